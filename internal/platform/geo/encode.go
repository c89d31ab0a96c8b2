package geo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// MarshalJSON writes g as an RFC 7946 GeoJSON geometry: coordinates with at
// most 7 decimals, exterior rings counter-clockwise and holes clockwise
// (the right-hand rule). The zero Geometry is written as null.
func (g Geometry) MarshalJSON() ([]byte, error) {
	if g.IsZero() {
		return []byte("null"), nil
	}
	var b []byte
	switch g.Type {
	case TypePoint:
		b = append(b, `{"type":"Point","coordinates":`...)
		b = appendPosition(b, g.Point)
	case TypePolygon:
		b = append(b, `{"type":"Polygon","coordinates":`...)
		b = appendPolygon(b, g.Polygon)
	case TypeMultiPolygon:
		b = append(b, `{"type":"MultiPolygon","coordinates":[`...)
		for i, p := range g.MultiPolygon {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPolygon(b, p)
		}
		b = append(b, ']')
	default:
		return nil, fmt.Errorf("geo: cannot write a geometry of type %q", g.Type)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads an applicant's location with ParseGeoJSON's rules (a
// Point or a Polygon, at most MaxVertices); null leaves g as it is. Decode
// a territory into a Boundary instead.
func (g *Geometry) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	v, err := ParseGeoJSON(b)
	if err != nil {
		return err
	}
	*g = v
	return nil
}

func appendCoord(b []byte, v float64) []byte {
	return strconv.AppendFloat(b, round7(v), 'f', -1, 64)
}

func appendPosition(b []byte, p Point) []byte {
	b = append(b, '[')
	b = appendCoord(b, p.Lon)
	b = append(b, ',')
	b = appendCoord(b, p.Lat)
	return append(b, ']')
}

// ringForward reports whether ring i of a polygon already runs the
// standard way (exterior counter-clockwise, holes clockwise).
func ringForward(r []Point, i int) bool {
	o := ringOrientation(gridPolygon(Polygon{r})[0])
	return o == 0 || (o > 0) == (i == 0)
}

func appendPolygon(b []byte, p Polygon) []byte {
	b = append(b, '[')
	for i, r := range p {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		fwd := ringForward(r, i)
		for k := range r {
			q := r[k]
			if !fwd {
				q = r[len(r)-1-k]
			}
			if k > 0 {
				b = append(b, ',')
			}
			b = appendPosition(b, q)
		}
		b = append(b, ']')
	}
	return append(b, ']')
}

// WKT returns g as Well-Known Text, e.g. "POINT(-7.5898 33.5731)", with
// the same coordinates and ring order as MarshalJSON: for PostGIS,
// ST_GeomFromText(wkt, 4326). The zero Geometry gives "".
func (g Geometry) WKT() string {
	var b []byte
	ring := func(r []Point, i int) {
		b = append(b, '(')
		fwd := ringForward(r, i)
		for k := range r {
			q := r[k]
			if !fwd {
				q = r[len(r)-1-k]
			}
			if k > 0 {
				b = append(b, ',')
			}
			b = appendCoord(b, q.Lon)
			b = append(b, ' ')
			b = appendCoord(b, q.Lat)
		}
		b = append(b, ')')
	}
	poly := func(p Polygon) {
		b = append(b, '(')
		for i, r := range p {
			if i > 0 {
				b = append(b, ',')
			}
			ring(r, i)
		}
		b = append(b, ')')
	}
	switch g.Type {
	case TypePoint:
		b = append(b, "POINT("...)
		b = appendCoord(b, g.Point.Lon)
		b = append(b, ' ')
		b = appendCoord(b, g.Point.Lat)
		b = append(b, ')')
	case TypePolygon:
		b = append(b, "POLYGON"...)
		poly(g.Polygon)
	case TypeMultiPolygon:
		b = append(b, "MULTIPOLYGON("...)
		for i, p := range g.MultiPolygon {
			if i > 0 {
				b = append(b, ',')
			}
			poly(p)
		}
		b = append(b, ')')
	}
	return string(b)
}

// Feature is a GeoJSON Feature: a geometry with an identifier and
// properties (for the geoportal: an authorised project and what the public
// may know of it).
type Feature struct {
	ID         string // omitted when empty
	Geometry   Geometry
	Properties map[string]any // written as null when nil
}

// MarshalJSON writes f as an RFC 7946 Feature.
func (f Feature) MarshalJSON() ([]byte, error) {
	b := []byte(`{"type":"Feature"`)
	if f.ID != "" {
		id, _ := json.Marshal(f.ID)
		b = append(b, `,"id":`...)
		b = append(b, id...)
	}
	g, err := f.Geometry.MarshalJSON()
	if err != nil {
		return nil, err
	}
	b = append(b, `,"geometry":`...)
	b = append(b, g...)
	props, err := json.Marshal(f.Properties)
	if err != nil {
		return nil, fmt.Errorf("geo: feature %q properties: %w", f.ID, err)
	}
	b = append(b, `,"properties":`...)
	b = append(b, props...)
	return append(b, '}'), nil
}

// WriteFeatureCollection writes features as one GeoJSON FeatureCollection,
// one feature at a time (a geoportal layer may be long).
func WriteFeatureCollection(w io.Writer, features []Feature) error {
	if _, err := io.WriteString(w, `{"type":"FeatureCollection","features":[`); err != nil {
		return err
	}
	for i, f := range features {
		b, err := f.MarshalJSON()
		if err != nil {
			return err
		}
		if i > 0 {
			b = append([]byte{',', '\n'}, b...)
		} else {
			b = append([]byte{'\n'}, b...)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "\n]}\n")
	return err
}
