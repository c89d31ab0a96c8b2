// Package geo reads, checks and writes the locations people give for their
// parcels — a point or a polygon in WGS 84 longitude and latitude — and
// answers whether one lies within a territory. It reads and writes GeoJSON
// (RFC 7946), writes WKT for PostGIS (SRID 4326), and measures areas in
// square metres. It does no I/O beyond the writer it is handed.
//
// Coordinates are kept to 7 decimals (about 1 cm): parsing rounds them, and
// the geometric predicates (simplicity, point in polygon, within) work
// exactly on that grid, so a point on an edge or at a vertex is decided
// without floating-point doubt. A polygon is closed: its edges belong to it.
package geo

import (
	"embed"
	"math"

	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// Messages holds the user-visible texts for the message keys this package
// puts in its errors, one flat JSON object per language (ar, fr, en).
//
//go:embed messages/*.json
var Messages embed.FS

// Message keys of the errors this package returns (all of kind
// errs.Invalid).
const (
	KeyInvalid          = "error.geo.invalid"           // not JSON, not a geometry, malformed coordinates
	KeyType             = "error.geo.type"              // param "type": the geometry type given
	KeyRange            = "error.geo.range"             // longitude outside −180..180 or latitude outside −90..90
	KeyNumber           = "error.geo.number"            // a coordinate that is not a finite decimal number
	KeyRingOpen         = "error.geo.ring_open"         // last position differs from the first
	KeyRingShort        = "error.geo.ring_short"        // fewer than 4 positions (3 distinct points)
	KeySelfIntersection = "error.geo.self_intersection" // a ring crosses or touches itself; parts overlap
	KeyTooManyVertices  = "error.geo.too_many_vertices" // param "max"
	KeyHole             = "error.geo.hole"              // a hole not strictly inside the exterior, or holes meeting
	KeyOutside          = "error.geo.outside"           // param "place": the territory's name
)

// MaxVertices bounds the vertices of a location given by an applicant
// (ParseGeoJSON); MaxBoundaryVertices those of a territory (ParseBoundary).
const (
	MaxVertices         = 2000
	MaxBoundaryVertices = 100000
)

// ErrOutside is the error for a location outside the territory named place
// (the catalogue shows the name in the reader's language).
func ErrOutside(place i18n.Text) *errs.Error {
	return errs.E(errs.Invalid, KeyOutside).With("place", place)
}

// Point is a position in decimal degrees (WGS 84).
type Point struct {
	Lon, Lat float64
}

// Polygon is a list of closed rings (first position repeated last): the
// exterior first, then the holes.
type Polygon [][]Point

// MultiPolygon is a list of polygons whose interiors do not meet.
type MultiPolygon []Polygon

// Type names a geometry type as GeoJSON does.
type Type string

// The geometry types this package handles.
const (
	TypePoint        Type = "Point"
	TypePolygon      Type = "Polygon"
	TypeMultiPolygon Type = "MultiPolygon"
)

// Geometry holds one Point, Polygon or MultiPolygon, as Type says; the zero
// Geometry holds nothing (it is written as JSON null).
type Geometry struct {
	Type         Type
	Point        Point        // when Type is TypePoint
	Polygon      Polygon      // when Type is TypePolygon
	MultiPolygon MultiPolygon // when Type is TypeMultiPolygon
}

// NewPoint returns a point geometry.
func NewPoint(p Point) Geometry { return Geometry{Type: TypePoint, Point: p} }

// NewPolygon returns a polygon geometry. It does not check p: see Validate.
func NewPolygon(p Polygon) Geometry { return Geometry{Type: TypePolygon, Polygon: p} }

// NewMultiPolygon returns a multipolygon geometry. It does not check m: see
// Validate.
func NewMultiPolygon(m MultiPolygon) Geometry {
	return Geometry{Type: TypeMultiPolygon, MultiPolygon: m}
}

// IsZero reports whether g holds nothing.
func (g Geometry) IsZero() bool { return g.Type == "" }

// Areal reports whether g is a Polygon or a MultiPolygon with at least one
// polygon: something a point can be within.
func (g Geometry) Areal() bool { return len(g.parts()) > 0 }

// parts returns g's polygons: none for a point.
func (g Geometry) parts() []Polygon {
	switch g.Type {
	case TypePolygon:
		if len(g.Polygon) == 0 {
			return nil
		}
		return []Polygon{g.Polygon}
	case TypeMultiPolygon:
		return g.MultiPolygon
	}
	return nil
}

// Vertices counts g's vertices, the closing position of each ring not
// counted again.
func (g Geometry) Vertices() int {
	if g.Type == TypePoint {
		return 1
	}
	n := 0
	for _, p := range g.parts() {
		for _, r := range p {
			if len(r) > 0 {
				n += len(r) - 1
			}
		}
	}
	return n
}

// Bounds is a longitude/latitude box: Min is its south-west corner, Max its
// north-east one.
type Bounds struct {
	Min, Max Point
}

// Contains reports whether p lies in b, edges included.
func (b Bounds) Contains(p Point) bool {
	return p.Lon >= b.Min.Lon && p.Lon <= b.Max.Lon && p.Lat >= b.Min.Lat && p.Lat <= b.Max.Lat
}

// Bounds returns the smallest box holding g (the zero Bounds for the zero
// Geometry).
func (g Geometry) Bounds() Bounds {
	first := true
	var b Bounds
	add := func(p Point) {
		if first {
			b.Min, b.Max, first = p, p, false
			return
		}
		b.Min.Lon, b.Min.Lat = math.Min(b.Min.Lon, p.Lon), math.Min(b.Min.Lat, p.Lat)
		b.Max.Lon, b.Max.Lat = math.Max(b.Max.Lon, p.Lon), math.Max(b.Max.Lat, p.Lat)
	}
	if g.Type == TypePoint {
		add(g.Point)
	}
	for _, p := range g.parts() {
		for _, r := range p {
			for _, q := range r {
				add(q)
			}
		}
	}
	return b
}

// round7 rounds a coordinate to 7 decimals, and -0 to 0.
func round7(v float64) float64 {
	r := math.Round(v*1e7) / 1e7
	if r == 0 {
		return 0
	}
	return r
}
