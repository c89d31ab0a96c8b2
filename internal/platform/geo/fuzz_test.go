package geo

import (
	"encoding/json"
	"reflect"
	"testing"

	"madina/internal/platform/errs"
)

// FuzzParseGeoJSON: whatever an applicant sends, parsing never panics and
// refuses with an invalid error; what it accepts writes back to GeoJSON
// that reads as the same geometry, lies within itself, and measures
// without trouble.
func FuzzParseGeoJSON(f *testing.F) {
	for _, s := range []string{
		`{"type":"Point","coordinates":[-7.5898,33.5731]}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[-7.5,33.6,10]},"properties":null}`,
		polyJSON(rect(-7.6, 33.5, -7.5, 33.6), ring(-7.58, 33.52, -7.52, 33.52, -7.55, 33.58)),
		polyJSON(ring(0, 0, 2, 2, 2, 0, 0, 2)),
		polyJSON(ring(0, 0, 10, 0, 10, 10, 7, 10, 7, 3, 3, 3, 3, 10, 0, 10)),
		polyJSON(rect(0, 0, 10, 10), rect(8, 8, 12, 12)),
		`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,2]]]]}`,
		`{"type":"Point","coordinates":["1","2"]}`,
		`{"type":"Polygon","coordinates":[[[1e400,0],[1,0],[1,1],[1e400,0]]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[1e-9,0],[0,1e-9],[0,0]]]}`,
		`[[[[[[[[[[]]]]]]]]]]`,
		`{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func([]byte) (Geometry, error){ParseGeoJSON, ParseBoundary} {
			g, err := parse(data)
			if err != nil {
				if !errs.Is(err, errs.Invalid) || errs.As(err).Key == "" {
					t.Fatalf("error %v is not invalid with a key", err)
				}
				continue
			}
			if err := g.Validate(); err != nil {
				t.Fatalf("accepted but invalid: %v", err)
			}
			b, err := json.Marshal(g)
			if err != nil {
				t.Fatal(err)
			}
			g2, err := parse(b)
			if err != nil || !reflect.DeepEqual(g, g2) {
				t.Fatalf("%s → %s → %+v, %v", data, b, g2, err)
			}
			_ = g.WKT()
			c, a := g.Centroid(), g.Area()
			if a < 0 || c.Lon != c.Lon {
				t.Fatalf("area %v centroid %v", a, c)
			}
			if g.Areal() && g.Vertices() <= 200 && !g.Within(g) {
				t.Fatalf("%s is not within itself", b)
			}
		}
	})
}

// A 2,000-vertex city boundary, as a permit filing checks it.
func BenchmarkWithin(b *testing.B) {
	boundary := NewPolygon(Polygon{circle(Point{-7.6, 33.57}, 0.1, 2000)})
	if err := boundary.Validate(); err != nil {
		b.Fatal(err)
	}
	parcel := NewPolygon(Polygon{rect(-7.5641, 33.5559, -7.5639, 33.5561)})
	for _, c := range []struct {
		name string
		g    Geometry
		want bool
	}{
		{"point inside", NewPoint(Point{-7.5898, 33.5731}), true},
		{"point outside", NewPoint(Point{-7.3830, 33.6860}), false},
		{"parcel inside", parcel, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if c.g.Within(boundary) != c.want {
					b.Fatal("wrong answer")
				}
			}
		})
	}
}
