package geo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"
)

// MarshalJSON writes g as an RFC 7946 GeoJSON geometry: coordinates with at
// most 7 decimals, exterior rings counter-clockwise and holes clockwise
// (the right-hand rule). The zero Geometry is written as null.
func (g Geometry) MarshalJSON() ([]byte, error) { return g.AppendJSON(nil) }

// AppendJSON appends g to b as MarshalJSON writes it.
func (g Geometry) AppendJSON(b []byte) ([]byte, error) {
	if g.IsZero() {
		return append(b, "null"...), nil
	}
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
	Properties Properties // written as null when nil
}

// Properties are what a feature says beyond its geometry. The small
// layers give a Props map; a layer of thousands of features gives a
// typed record that writes itself, with no map, sorting or reflection.
type Properties interface {
	// AppendJSON appends the properties to b as one JSON object.
	AppendJSON(b []byte) ([]byte, error)
	// Property is the property called key, nil when there is none: a
	// text, a boolean, a number, or a name in each language
	// (map[string]string). A time is its RFC 3339 text.
	Property(key string) any
	// Keys are the names of the properties there are.
	Keys() []string
}

// Props are properties held in a map, written with their keys sorted as
// encoding/json writes a map.
type Props map[string]any

// AppendJSON appends p as a JSON object.
func (p Props) AppendJSON(b []byte) ([]byte, error) { return appendValue(b, map[string]any(p)) }

// Property returns p[key].
func (p Props) Property(key string) any { return p[key] }

// Keys returns p's keys, sorted.
func (p Props) Keys() []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// MarshalJSON writes f as an RFC 7946 Feature.
func (f Feature) MarshalJSON() ([]byte, error) { return f.AppendJSON(nil) }

// AppendJSON appends f as an RFC 7946 Feature to b.
func (f Feature) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"type":"Feature"`...)
	if f.ID != "" {
		b = append(b, `,"id":`...)
		b = AppendString(b, f.ID)
	}
	b = append(b, `,"geometry":`...)
	b, err := f.Geometry.AppendJSON(b)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"properties":`...)
	if f.Properties == nil {
		b = append(b, "null"...)
	} else if b, err = f.Properties.AppendJSON(b); err != nil {
		return nil, fmt.Errorf("geo: feature %q properties: %w", f.ID, err)
	}
	return append(b, '}'), nil
}

// appendValue appends v as JSON: maps with their keys sorted, as
// encoding/json writes them, which it falls back on for other kinds.
func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return AppendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case map[string]any:
		if x == nil {
			return append(b, "null"...), nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendValue(b, x[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case map[string]string:
		if x == nil {
			return append(b, "null"...), nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(AppendString(b, k), ':')
			b = AppendString(b, x[k])
		}
		return append(b, '}'), nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// AppendString appends s as a JSON string: quotes, backslashes and
// control characters escaped, and U+2028 and U+2029 (which end a line in
// JavaScript); the rest as UTF-8. Invalid UTF-8 becomes U+FFFD, as
// encoding/json writes it.
func AppendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	// Most of a layer's text is plain ASCII: copied a run at a time.
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\' {
		i++
	}
	b = append(b, s[:i]...)
	for _, r := range s[i:] {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			switch r {
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
			}
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
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
