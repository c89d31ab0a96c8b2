package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"

	"madina/internal/platform/errs"
	"madina/internal/platform/textnorm"
)

// ParseGeoJSON reads the location of a parcel as an applicant gives it: a
// GeoJSON geometry object, or a Feature whose geometry is one, of type
// Point or Polygon, with at most MaxVertices vertices. Coordinates are
// rounded to 7 decimals and an altitude is dropped; repeated consecutive
// positions are merged; rings are turned to the right-hand rule. The
// result is valid (see Validate). Errors are errs.Invalid with one of the
// Key… message keys.
func ParseGeoJSON(b []byte) (Geometry, error) {
	return parse(b, MaxVertices, TypePoint, TypePolygon)
}

// ParseBoundary reads a territory's outline: as ParseGeoJSON, but of type
// Polygon or MultiPolygon, with at most MaxBoundaryVertices vertices.
func ParseBoundary(b []byte) (Geometry, error) {
	return parse(b, MaxBoundaryVertices, TypePolygon, TypeMultiPolygon)
}

func parse(b []byte, maxVertices int, allowed ...Type) (Geometry, error) {
	obj, typ, err := object(b)
	if err != nil {
		return Geometry{}, err
	}
	if typ == "Feature" {
		raw, ok := obj["geometry"]
		if !ok {
			return Geometry{}, invalid(KeyInvalid, "feature without geometry")
		}
		if obj, typ, err = object(raw); err != nil {
			return Geometry{}, err
		}
		if typ == "Feature" {
			return Geometry{}, invalid(KeyInvalid, "feature in a feature")
		}
	}
	ok := false
	for _, t := range allowed {
		ok = ok || Type(typ) == t
	}
	if !ok {
		return Geometry{}, errs.E(errs.Invalid, KeyType).With("type", typeLabel(typ))
	}
	raw, found := obj["coordinates"]
	if !found {
		return Geometry{}, invalid(KeyInvalid, "%s without coordinates", typ)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var coords any
	if err := dec.Decode(&coords); err != nil {
		return Geometry{}, errs.E(errs.Invalid, KeyInvalid).Cause(err)
	}
	w := walker{max: maxVertices}
	g := Geometry{Type: Type(typ)}
	switch g.Type {
	case TypePoint:
		g.Point, err = w.position(coords)
	case TypePolygon:
		g.Polygon, err = w.polygon(coords)
	case TypeMultiPolygon:
		var list []any
		if list, err = w.list(coords, "multipolygon"); err == nil {
			for _, c := range list {
				var p Polygon
				if p, err = w.polygon(c); err != nil {
					break
				}
				g.MultiPolygon = append(g.MultiPolygon, p)
			}
		}
	}
	if err != nil {
		return Geometry{}, err
	}
	if err := g.Validate(); err != nil {
		return Geometry{}, err
	}
	orientRings(g.parts())
	return g, nil
}

// object decodes a JSON object and its "type" member.
func object(b []byte) (map[string]json.RawMessage, string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, "", errs.E(errs.Invalid, KeyInvalid).Cause(err)
	}
	if obj == nil {
		return nil, "", invalid(KeyInvalid, "null instead of an object")
	}
	var typ string
	if err := json.Unmarshal(obj["type"], &typ); err != nil || typ == "" {
		return nil, "", invalid(KeyInvalid, "no type")
	}
	return obj, typ, nil
}

var typeRE = regexp.MustCompile(`^[A-Za-z]{1,32}$`)

// typeLabel is a type name fit to show in a message.
func typeLabel(t string) string {
	if typeRE.MatchString(t) {
		return t
	}
	return "?"
}

// walker reads decoded coordinates, counting vertices.
type walker struct{ max, n int }

func (w *walker) list(v any, what string) ([]any, error) {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return nil, invalid(KeyInvalid, "%s: not a non-empty array", what)
	}
	return l, nil
}

func (w *walker) position(v any) (Point, error) {
	l, ok := v.([]any)
	if !ok || len(l) < 2 || len(l) > 3 {
		return Point{}, invalid(KeyInvalid, "position: not an array of 2 or 3 numbers")
	}
	var c [2]float64
	for i := range l {
		num, ok := l[i].(json.Number)
		if !ok {
			return Point{}, invalid(KeyInvalid, "position: %T instead of a number", l[i])
		}
		f, err := strconv.ParseFloat(string(num), 64)
		if errors.Is(err, strconv.ErrRange) {
			return Point{}, invalid(KeyRange, "position: %s out of range", num)
		}
		if err != nil {
			return Point{}, errs.E(errs.Invalid, KeyInvalid).Cause(err)
		}
		if i < 2 {
			c[i] = f
		}
	}
	p := Point{Lon: c[0], Lat: c[1]}
	if err := checkPoint(p); err != nil {
		return Point{}, err
	}
	return Point{Lon: round7(p.Lon), Lat: round7(p.Lat)}, nil
}

func (w *walker) polygon(v any) (Polygon, error) {
	rings, err := w.list(v, "polygon")
	if err != nil {
		return nil, err
	}
	out := make(Polygon, 0, len(rings))
	for _, rv := range rings {
		ps, ok := rv.([]any)
		if !ok {
			return nil, invalid(KeyInvalid, "ring: not an array")
		}
		if len(ps) > 0 {
			w.n += len(ps) - 1
		}
		if w.n > w.max {
			return nil, errs.E(errs.Invalid, KeyTooManyVertices).With("max", w.max)
		}
		r := make([]Point, 0, len(ps))
		for _, pv := range ps {
			p, err := w.position(pv)
			if err != nil {
				return nil, err
			}
			if n := len(r); n > 0 && r[n-1] == p {
				continue // a double click on a map
			}
			r = append(r, p)
		}
		if len(r) >= 2 && r[0] != r[len(r)-1] {
			return nil, invalid(KeyRingOpen, "ring not closed")
		}
		if len(r) < 4 {
			return nil, invalid(KeyRingShort, "ring of %d distinct points", max(len(r)-1, 0))
		}
		out = append(out, r)
	}
	return out, nil
}

// orientRings turns valid rings to the right-hand rule, in place.
func orientRings(ps []Polygon) {
	for _, p := range ps {
		for i, r := range p {
			if !ringForward(r, i) {
				for a, b := 0, len(r)-1; a < b; a, b = a+1, b-1 {
					r[a], r[b] = r[b], r[a]
				}
			}
		}
	}
}

// ParsePoint reads a latitude and a longitude as a person types them, in
// decimal degrees: surrounding spaces, a decimal comma or the Arabic
// decimal separator, Arabic-Indic digits, a minus sign or a degree sign are
// all fine. Errors are errs.Invalid on field "lat" or "lon", with key
// KeyNumber (not a decimal number) or KeyRange.
func ParsePoint(lat, lon string) (Point, error) {
	la, err := parseDegrees(lat, "lat", 90)
	if err != nil {
		return Point{}, err
	}
	lo, err := parseDegrees(lon, "lon", 180)
	if err != nil {
		return Point{}, err
	}
	return Point{Lon: lo, Lat: la}, nil
}

var decimalRE = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)

func parseDegrees(s, field string, limit float64) (float64, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ',', '\u066B', '\u060C': // comma, Arabic decimal separator, Arabic comma
			return '.'
		case '\u2212', '\u2010', '\u2011', '\u2013', '\uFE63', '\uFF0D': // minus sign, hyphens, dashes
			return '-'
		case '\uFF0B':
			return '+'
		case '°', '\u200E', '\u200F', '\u061C', '\u200B', '\uFEFF': // degree sign, direction marks, zero-width
			return -1
		}
		if r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' { // bidi embeddings, isolates
			return -1
		}
		return r
	}, textnorm.Digits(s))
	s = strings.TrimSpace(s)
	if !decimalRE.MatchString(s) {
		return 0, errs.E(errs.Invalid, KeyNumber).OnField(field)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.Abs(v) > limit {
		return 0, errs.E(errs.Invalid, KeyRange).OnField(field)
	}
	return round7(v), nil
}
