package geo

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// rect returns a closed counter-clockwise rectangular ring.
func rect(x0, y0, x1, y1 float64) []Point {
	return []Point{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

// ring builds a closed ring from lon, lat pairs.
func ring(c ...float64) []Point {
	var r []Point
	for i := 0; i+1 < len(c); i += 2 {
		r = append(r, Point{c[i], c[i+1]})
	}
	return append(r, r[0])
}

func polyJSON(rings ...[]Point) string {
	var b strings.Builder
	b.WriteString(`{"type":"Polygon","coordinates":[`)
	for i, r := range rings {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		for k, p := range r {
			if k > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "[%v,%v]", p.Lon, p.Lat)
		}
		b.WriteByte(']')
	}
	b.WriteString(`]}`)
	return b.String()
}

// circle returns a closed ring of n vertices around c (radius in degrees,
// wavy so that it is not convex).
func circle(c Point, radius float64, n int) []Point {
	r := make([]Point, 0, n+1)
	for i := 0; i < n; i++ {
		t := 2 * math.Pi * float64(i) / float64(n)
		k := radius * (1 + 0.1*math.Sin(7*t))
		r = append(r, Point{round7(c.Lon + k*math.Cos(t)), round7(c.Lat + k*math.Sin(t))})
	}
	return append(r, r[0])
}

func keyOf(err error) string {
	if e := errs.As(err); e != nil && e.Kind == errs.Invalid {
		return e.Key
	}
	return fmt.Sprintf("not an invalid error: %v", err)
}

func TestParseGeoJSONRefusals(t *testing.T) {
	square := rect(0, 0, 10, 10)
	tooMany := circle(Point{-7.6, 33.57}, 0.01, MaxVertices+1)
	cases := []struct {
		name, in, key string
	}{
		{"not JSON", `{"type":`, KeyInvalid},
		{"an array", `[-7.5, 33.5]`, KeyInvalid},
		{"null", `null`, KeyInvalid},
		{"a string", `"Point"`, KeyInvalid},
		{"no type", `{"coordinates":[-7.5,33.5]}`, KeyInvalid},
		{"type not a string", `{"type":7,"coordinates":[-7.5,33.5]}`, KeyInvalid},
		{"no coordinates", `{"type":"Point"}`, KeyInvalid},
		{"feature without geometry", `{"type":"Feature","properties":{}}`, KeyInvalid},
		{"feature with null geometry", `{"type":"Feature","geometry":null,"properties":null}`, KeyInvalid},
		{"feature in a feature", `{"type":"Feature","geometry":{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}}`, KeyInvalid},
		{"numbers as strings", `{"type":"Point","coordinates":["-7.5","33.5"]}`, KeyInvalid},
		{"one number", `{"type":"Point","coordinates":[-7.5]}`, KeyInvalid},
		{"four numbers", `{"type":"Point","coordinates":[-7.5,33.5,0,1]}`, KeyInvalid},
		{"null coordinate", `{"type":"Point","coordinates":[null,33.5]}`, KeyInvalid},
		{"position is an object", `{"type":"Point","coordinates":{"lon":-7.5,"lat":33.5}}`, KeyInvalid},
		{"empty polygon", `{"type":"Polygon","coordinates":[]}`, KeyInvalid},
		{"ring not an array", `{"type":"Polygon","coordinates":[7]}`, KeyInvalid},
		{"polygon given as positions", `{"type":"Polygon","coordinates":[[0,0],[1,0],[1,1],[0,0]]}`, KeyInvalid},
		{"line string", `{"type":"LineString","coordinates":[[0,0],[1,1]]}`, KeyType},
		{"multipolygon from an applicant", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`, KeyType},
		{"feature collection", `{"type":"FeatureCollection","features":[]}`, KeyType},
		{"geometry collection", `{"type":"GeometryCollection","geometries":[]}`, KeyType},
		{"lower-case type", `{"type":"point","coordinates":[-7.5,33.5]}`, KeyType},
		{"longitude over 180", `{"type":"Point","coordinates":[180.5,33.5]}`, KeyRange},
		{"longitude just under -180", `{"type":"Point","coordinates":[-180.00000001,33.5]}`, KeyRange},
		{"latitude over 90", `{"type":"Point","coordinates":[-7.5,91]}`, KeyRange},
		{"latitude under -90", `{"type":"Point","coordinates":[-7.5,-90.5]}`, KeyRange},
		{"vertex out of range", polyJSON(ring(0, 0, 200, 0, 1, 1)), KeyRange},
		{"overflowing number", `{"type":"Point","coordinates":[1e400,33.5]}`, KeyRange},
		{"ring not closed", polyJSON(square[:4]), KeyRingOpen},
		{"ring of three positions", polyJSON([]Point{{0, 0}, {1, 0}, {0, 0}}), KeyRingShort},
		{"ring of one position", polyJSON([]Point{{0, 0}}), KeyRingShort},
		{"empty ring", `{"type":"Polygon","coordinates":[[]]}`, KeyRingShort},
		{"repeated points leave two", polyJSON([]Point{{0, 0}, {0, 0}, {1, 0}, {1, 0}, {0, 0}}), KeyRingShort},
		{"bow tie", polyJSON(ring(0, 0, 2, 2, 2, 0, 0, 2)), KeySelfIntersection},
		{"spike folding back", polyJSON(ring(0, 0, 4, 0, 4, 4, 4, 6, 4, 5, 0, 4)), KeySelfIntersection},
		{"flat ring", polyJSON(ring(0, 0, 1, 0, 2, 0)), KeySelfIntersection},
		{"ring through a vertex twice", polyJSON(ring(0, 0, 2, 0, 1, 1, 2, 2, 0, 2, 1, 1)), KeySelfIntersection},
		{"vertex on an edge", polyJSON(ring(0, 0, 4, 0, 4, 4, 2, 0)), KeySelfIntersection},
		{"too many vertices", polyJSON(tooMany), KeyTooManyVertices},
		{"hole outside", polyJSON(square, rect(11, 11, 12, 12)), KeyHole},
		{"hole crossing the exterior", polyJSON(square, rect(8, 8, 12, 12)), KeyHole},
		{"hole touching the exterior", polyJSON(square, rect(0, 4, 2, 6)), KeyHole},
		{"overlapping holes", polyJSON(square, rect(2, 2, 5, 5), rect(4, 4, 7, 7)), KeyHole},
		{"hole inside a hole", polyJSON(square, rect(2, 2, 8, 8), rect(4, 4, 5, 5)), KeyHole},
		{"hole larger than the exterior", polyJSON(rect(4, 4, 5, 5), square), KeyHole},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := ParseGeoJSON([]byte(c.in))
			if got := keyOf(err); got != c.key {
				t.Fatalf("ParseGeoJSON(%.80s) = %+v, %v; want key %s", c.in, g, err, c.key)
			}
		})
	}
	e := errs.As(func() error { _, err := ParseGeoJSON([]byte(polyJSON(tooMany))); return err }())
	if e.Params["max"] != MaxVertices {
		t.Errorf("too many vertices: params %v", e.Params)
	}
	e = errs.As(func() error { _, err := ParseGeoJSON([]byte(`{"type":"LineString","coordinates":[]}`)); return err }())
	if e.Params["type"] != "LineString" {
		t.Errorf("type: params %v", e.Params)
	}
	e = errs.As(func() error { _, err := ParseGeoJSON([]byte(`{"type":"<script>","coordinates":[]}`)); return err }())
	if e.Params["type"] != "?" {
		t.Errorf("a strange type is shown as is: %v", e.Params)
	}
}

func TestValidateRefusesNonFiniteAndUnknown(t *testing.T) {
	for name, c := range map[string]struct {
		g   Geometry
		key string
	}{
		"NaN":             {NewPoint(Point{math.NaN(), 33}), KeyNumber},
		"infinity":        {NewPoint(Point{-7, math.Inf(1)}), KeyNumber},
		"NaN in a ring":   {NewPolygon(Polygon{ring(0, 0, 1, 0, math.NaN(), 1)}), KeyNumber},
		"unknown type":    {Geometry{Type: "Circle"}, KeyType},
		"zero":            {Geometry{}, KeyType},
		"no ring":         {NewPolygon(Polygon{}), KeyInvalid},
		"open ring":       {NewPolygon(Polygon{rect(0, 0, 1, 1)[:4]}), KeyRingOpen},
		"empty multi":     {NewMultiPolygon(nil), KeyInvalid},
		"parts overlap":   {NewMultiPolygon(MultiPolygon{{rect(0, 0, 2, 2)}, {rect(1, 1, 3, 3)}}), KeySelfIntersection},
		"parts touch":     {NewMultiPolygon(MultiPolygon{{rect(0, 0, 2, 2)}, {rect(2, 0, 3, 2)}}), KeySelfIntersection},
		"part in a part":  {NewMultiPolygon(MultiPolygon{{rect(0, 0, 5, 5)}, {rect(1, 1, 2, 2)}}), KeySelfIntersection},
		"part around one": {NewMultiPolygon(MultiPolygon{{rect(1, 1, 2, 2)}, {rect(0, 0, 5, 5)}}), KeySelfIntersection},
	} {
		if got := keyOf(c.g.Validate()); got != c.key {
			t.Errorf("%s: %s, want %s", name, got, c.key)
		}
	}
	island := NewMultiPolygon(MultiPolygon{{rect(0, 0, 10, 10), rect(2, 2, 8, 8)}, {rect(4, 4, 6, 6)}})
	if err := island.Validate(); err != nil {
		t.Errorf("an island in a lake: %v", err)
	}
}

func TestParseGeoJSONAccepts(t *testing.T) {
	cases := []struct {
		name, in string
		want     Geometry
	}{
		{"point", `{"type":"Point","coordinates":[-7.5898,33.5731]}`, NewPoint(Point{-7.5898, 33.5731})},
		{"point with altitude, rounded", `{"type":"Point","coordinates":[-7.58981234567,33.57310000004,12.5]}`, NewPoint(Point{-7.5898123, 33.5731})},
		{"feature", `{"type":"Feature","id":7,"properties":{"lot":"12"},"geometry":{"type":"Point","coordinates":[-7.5,33.6]},"bbox":[0,0,1,1]}`, NewPoint(Point{-7.5, 33.6})},
		{"counter-clockwise polygon", polyJSON(rect(0, 0, 1, 1)), NewPolygon(Polygon{rect(0, 0, 1, 1)})},
		{"clockwise polygon is turned", polyJSON(ring(0, 0, 0, 1, 1, 1, 1, 0)), NewPolygon(Polygon{rect(0, 0, 1, 1)})},
		{"repeated points merged", polyJSON([]Point{{0, 0}, {1, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}, {0, 0}}), NewPolygon(Polygon{rect(0, 0, 1, 1)})},
		{"hole turned clockwise", polyJSON(rect(0, 0, 10, 10), rect(2, 2, 3, 3)), NewPolygon(Polygon{rect(0, 0, 10, 10), ring(2, 2, 2, 3, 3, 3, 3, 2)})},
		{"concave polygon", polyJSON(ring(0, 0, 10, 0, 10, 10, 7, 10, 7, 3, 3, 3, 3, 10, 0, 10)), NewPolygon(Polygon{ring(0, 0, 10, 0, 10, 10, 7, 10, 7, 3, 3, 3, 3, 10, 0, 10)})},
		{"negative zero", `{"type":"Point","coordinates":[-0,0]}`, NewPoint(Point{0, 0})},
		{"exactly the limits", `{"type":"Point","coordinates":[-180,90]}`, NewPoint(Point{-180, 90})},
	}
	for _, c := range cases {
		g, err := ParseGeoJSON([]byte(c.in))
		if err != nil || !reflect.DeepEqual(g, c.want) {
			t.Errorf("%s: %+v, %v; want %+v", c.name, g, err, c.want)
		}
	}
	// The most vertices allowed.
	if _, err := ParseGeoJSON([]byte(polyJSON(circle(Point{-7.6, 33.57}, 0.01, MaxVertices)))); err != nil {
		t.Errorf("%d vertices: %v", MaxVertices, err)
	}
}

func TestParseBoundary(t *testing.T) {
	multi := `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,2]]]]}`
	g, err := ParseBoundary([]byte(multi))
	if err != nil || g.Type != TypeMultiPolygon || len(g.MultiPolygon) != 2 || !g.Areal() {
		t.Fatalf("%+v %v", g, err)
	}
	if _, err := ParseBoundary([]byte(`{"type":"Point","coordinates":[1,2]}`)); keyOf(err) != KeyType {
		t.Errorf("point boundary: %v", err)
	}
	overlap := `{"type":"MultiPolygon","coordinates":[[[[0,0],[2,0],[2,2],[0,0]]],[[[1,0.5],[3,0.5],[3,3],[1,0.5]]]]}`
	if _, err := ParseBoundary([]byte(overlap)); keyOf(err) != KeySelfIntersection {
		t.Errorf("overlapping parts: %v", err)
	}
	if _, err := ParseBoundary([]byte(`{"type":"MultiPolygon","coordinates":[]}`)); keyOf(err) != KeyInvalid {
		t.Errorf("empty multipolygon: %v", err)
	}
	// A boundary may have many more vertices than a parcel.
	big := polyJSON(circle(Point{-7.6, 33.57}, 0.1, 20000))
	if _, err := ParseBoundary([]byte(big)); err != nil {
		t.Errorf("20000 vertices: %v", err)
	}
	// Decoded as a Geometry, the applicant's rules apply.
	var doc struct {
		G Geometry `json:"g"`
	}
	if err := json.Unmarshal([]byte(`{"g":null}`), &doc); err != nil || !doc.G.IsZero() {
		t.Errorf("null: %+v %v", doc, err)
	}
	if err := json.Unmarshal([]byte(`{"g":{"type":"Point","coordinates":[-7.5,33.6]}}`), &doc); err != nil || doc.G.Point.Lat != 33.6 {
		t.Errorf("point: %+v %v", doc, err)
	}
	if err := json.Unmarshal([]byte(`{"g":`+multi+`}`), &doc); keyOf(err) != KeyType {
		t.Errorf("multipolygon as a Geometry: %v", err)
	}
}

func TestParsePoint(t *testing.T) {
	good := []struct{ lat, lon string }{
		{"33.5731", "-7.5898"},
		{" 33.5731 ", "\t-7.5898\n"},
		{"33,5731", "-7,5898"},
		{"٣٣٫٥٧٣١", "-٧٫٥٨٩٨"},
		{"۳۳.۵۷۳۱", "−۷.۵۸۹۸"},
		{"33.5731°", "\u200e-7.5898"},
		{"+33.57310", "-7.58980000001"},
	}
	for _, c := range good {
		p, err := ParsePoint(c.lat, c.lon)
		if err != nil || p != (Point{Lon: -7.5898, Lat: 33.5731}) {
			t.Errorf("ParsePoint(%q, %q) = %v, %v", c.lat, c.lon, p, err)
		}
	}
	bad := []struct{ lat, lon, key, field string }{
		{"", "-7.5", KeyNumber, "lat"},
		{"33.5", " ", KeyNumber, "lon"},
		{"abc", "-7.5", KeyNumber, "lat"},
		{"NaN", "-7.5", KeyNumber, "lat"},
		{"33.5", "Inf", KeyNumber, "lon"},
		{"1e1", "-7.5", KeyNumber, "lat"},
		{"33.5.1", "-7.5", KeyNumber, "lat"},
		{"33 30", "-7.5", KeyNumber, "lat"},
		{"33°34'", "-7.5", KeyNumber, "lat"},
		{"90.0001", "-7.5", KeyRange, "lat"},
		{"-91", "-7.5", KeyRange, "lat"},
		{"33.5", "180.5", KeyRange, "lon"},
		{"33.5", "-٢٠٠", KeyRange, "lon"},
		// Swapped by mistake: a latitude of -7.5898 is in range, so the
		// point is read (and then found outside the city).
	}
	for _, c := range bad {
		_, err := ParsePoint(c.lat, c.lon)
		e := errs.As(err)
		if e == nil || e.Kind != errs.Invalid || e.Key != c.key || e.Field != c.field {
			t.Errorf("ParsePoint(%q, %q) = %v; want %s on %s", c.lat, c.lon, err, c.key, c.field)
		}
	}
	if p, err := ParsePoint("-7.5898", "33.5731"); err != nil || p.Lat != -7.5898 {
		t.Errorf("swapped but in range: %v %v", p, err)
	}
}

func TestPointWithinPolygon(t *testing.T) {
	b := NewPolygon(Polygon{rect(0, 0, 10, 10), rect(4, 4, 6, 6)})
	tri := NewPolygon(Polygon{ring(-7.6, 33.5, -7.5, 33.6, -7.6, 33.6)})
	cases := []struct {
		name string
		p    Point
		in   Geometry
		want bool
	}{
		{"inside", Point{2, 2}, b, true},
		{"outside", Point{11, 5}, b, false},
		{"on an edge", Point{0, 5}, b, true},
		{"on the top edge", Point{5, 10}, b, true},
		{"at a vertex", Point{0, 0}, b, true},
		{"at the top right vertex", Point{10, 10}, b, true},
		{"in the hole", Point{5, 5}, b, false},
		{"on the hole's edge", Point{4, 5}, b, true},
		{"at the hole's vertex", Point{6, 6}, b, true},
		{"1 cm outside", Point{10.0000001, 5}, b, false},
		{"1 cm inside", Point{9.9999999, 5}, b, true},
		{"1 cm into the hole", Point{4.0000001, 5}, b, false},
		{"level with a vertex, outside", Point{-1, 10}, b, false},
		{"level with a vertex, inside", Point{1, 4}, b, true},
		{"on a diagonal edge", Point{-7.55, 33.55}, tri, true},
		{"just off a diagonal edge", Point{-7.55, 33.5499999}, tri, false},
		{"just inside a diagonal edge", Point{-7.55, 33.5500001}, tri, true},
		{"a point contains nothing", Point{1, 1}, NewPoint(Point{1, 1}), false},
		{"nor does nothing", Point{1, 1}, Geometry{}, false},
	}
	for _, c := range cases {
		if got := NewPoint(c.p).Within(c.in); got != c.want {
			t.Errorf("%s: Within = %v", c.name, got)
		}
	}
	// A clockwise boundary (as built in code, not parsed) answers the same.
	cw := NewPolygon(Polygon{ring(0, 0, 0, 10, 10, 10, 10, 0), ring(4, 4, 6, 4, 6, 6, 4, 6)})
	for _, c := range cases[:14] {
		if got := NewPoint(c.p).Within(cw); got != c.want {
			t.Errorf("clockwise, %s: Within = %v", c.name, got)
		}
	}
	multi := NewMultiPolygon(MultiPolygon{{rect(0, 0, 1, 1)}, {rect(5, 5, 6, 6)}})
	if !NewPoint(Point{5.5, 5.5}).Within(multi) || NewPoint(Point{3, 3}).Within(multi) {
		t.Error("multipolygon")
	}
}

func TestPolygonWithin(t *testing.T) {
	holed := NewPolygon(Polygon{rect(0, 0, 10, 10), rect(4, 4, 6, 6)})
	// A U: the notch 3 < x < 7, y > 3 is outside.
	u := NewPolygon(Polygon{ring(0, 0, 10, 0, 10, 10, 7, 10, 7, 3, 3, 3, 3, 10, 0, 10)})
	multi := NewMultiPolygon(MultiPolygon{{rect(0, 0, 4, 4)}, {rect(5, 0, 9, 4)}})
	cases := []struct {
		name string
		g    Polygon
		b    Geometry
		want bool
	}{
		{"small square inside", Polygon{rect(1, 1, 2, 2)}, holed, true},
		{"crossing the edge", Polygon{rect(9, 1, 11, 2)}, holed, false},
		{"entirely outside", Polygon{rect(11, 1, 12, 2)}, holed, false},
		{"sharing the boundary's edge, inside", Polygon{rect(8, 0, 10, 2)}, holed, true},
		{"sharing the boundary's edge, outside", Polygon{rect(10, 0, 12, 2)}, holed, false},
		{"the boundary itself", Polygon{rect(0, 0, 10, 10), rect(4, 4, 6, 6)}, holed, true},
		{"the boundary without its hole", Polygon{rect(0, 0, 10, 10)}, holed, false},
		{"around the hole", Polygon{rect(3, 3, 7, 7)}, holed, false},
		{"exactly the hole", Polygon{rect(4, 4, 6, 6)}, holed, false},
		{"the hole, clockwise", Polygon{ring(4, 4, 4, 6, 6, 6, 6, 4)}, holed, false},
		{"in the hole", Polygon{rect(4.5, 4.5, 5.5, 5.5)}, holed, false},
		{"half in the hole", Polygon{rect(5, 5, 7, 7)}, holed, false},
		{"touching the hole from outside", Polygon{rect(6, 4, 8, 6)}, holed, true},
		{"an annulus around the same hole", Polygon{rect(1, 1, 9, 9), rect(4, 4, 6, 6)}, holed, true},
		{"an annulus around a larger hole", Polygon{rect(1, 1, 9, 9), rect(3, 3, 7, 7)}, holed, true},
		{"across the notch through two vertices", Polygon{ring(1, 1, 9, 1, 9, 10, 1, 10)}, u, false},
		{"along the notch's floor", Polygon{ring(1, 1, 9, 1, 9, 3, 1, 3)}, u, true},
		{"touching the notch's corner", Polygon{ring(1, 1, 3, 1, 3, 3, 1, 3)}, u, true},
		{"in one arm", Polygon{rect(0.5, 4, 2.5, 9)}, u, true},
		{"in the notch", Polygon{rect(4, 4, 6, 9)}, u, false},
		{"in the second part", Polygon{rect(6, 1, 8, 3)}, multi, true},
		{"across the gap", Polygon{rect(3, 1, 6, 3)}, multi, false},
		{"around both parts", Polygon{rect(-1, -1, 10, 5)}, multi, false},
		{"within a point", Polygon{rect(0, 0, 1, 1)}, NewPoint(Point{0, 0}), false},
	}
	for _, c := range cases {
		if got := NewPolygon(c.g).Within(c.b); got != c.want {
			t.Errorf("%s: Within = %v", c.name, got)
		}
	}
	if NewPolygon(Polygon{rect(1, 1, 2, 2)}).Within(Geometry{}) || (Geometry{}).Within(holed) {
		t.Error("the zero geometry")
	}
	if !NewMultiPolygon(MultiPolygon{{rect(1, 1, 2, 2)}, {rect(7, 7, 8, 8)}}).Within(holed) ||
		NewMultiPolygon(MultiPolygon{{rect(1, 1, 2, 2)}, {rect(4.5, 4.5, 5, 5)}}).Within(holed) {
		t.Error("multipolygon within")
	}
}

func TestRoundTrip(t *testing.T) {
	inputs := []string{
		`{"type":"Point","coordinates":[-7.5898,33.5731]}`,
		polyJSON(ring(-7.566, 33.554, -7.566, 33.558, -7.562, 33.558, -7.562, 33.554)), // clockwise
		polyJSON(rect(-7.6, 33.5, -7.5, 33.6), ring(-7.58, 33.52, -7.52, 33.52, -7.55, 33.58)),
		polyJSON(circle(Point{-7.6, 33.57}, 0.01, 500)),
	}
	for _, in := range inputs {
		g, err := ParseGeoJSON([]byte(in))
		if err != nil {
			t.Fatalf("%.60s: %v", in, err)
		}
		out, err := json.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		g2, err := ParseGeoJSON(out)
		if err != nil || !reflect.DeepEqual(g, g2) {
			t.Fatalf("%.60s: round trip %s → %+v, %v", in, out, g2, err)
		}
		out2, _ := json.Marshal(g2)
		if string(out) != string(out2) {
			t.Fatalf("not stable: %s then %s", out, out2)
		}
		for _, p := range g.parts() {
			for i, r := range gridPolygon(p) {
				if o := ringOrientation(r); (o > 0) != (i == 0) {
					t.Errorf("%.60s: ring %d orientation %d", in, i, o)
				}
			}
		}
	}
	// Exact text, right-hand rule and 7 decimals, even for a clockwise
	// polygon built in code.
	cw := NewPolygon(Polygon{{{-7.1234567891, 33}, {-7.1234567891, 34}, {-7, 34}, {-7.1234567891, 33}}})
	b, _ := json.Marshal(cw)
	if want := `{"type":"Polygon","coordinates":[[[-7.1234568,33],[-7,34],[-7.1234568,34],[-7.1234568,33]]]}`; string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	b, _ = json.Marshal(NewPoint(Point{-7.5898, 33.5731}))
	if string(b) != `{"type":"Point","coordinates":[-7.5898,33.5731]}` {
		t.Errorf("point: %s", b)
	}
	if b, _ := json.Marshal(Geometry{}); string(b) != "null" {
		t.Errorf("zero: %s", b)
	}
	if _, err := json.Marshal(Geometry{Type: "Circle"}); err == nil {
		t.Error("unknown type written")
	}
	multi := NewMultiPolygon(MultiPolygon{{rect(0, 0, 1, 1)}, {rect(2, 2, 3, 3)}})
	b, _ = json.Marshal(multi)
	if g, err := ParseBoundary(b); err != nil || !reflect.DeepEqual(g, multi) {
		t.Errorf("multipolygon: %s → %+v %v", b, g, err)
	}
}

func TestWKT(t *testing.T) {
	for _, c := range []struct {
		g    Geometry
		want string
	}{
		{NewPoint(Point{-7.5898, 33.5731}), "POINT(-7.5898 33.5731)"},
		{NewPolygon(Polygon{ring(0, 0, 0, 1, 1, 1, 1, 0), rect(0.2, 0.2, 0.4, 0.4)}),
			"POLYGON((0 0,1 0,1 1,0 1,0 0),(0.2 0.2,0.2 0.4,0.4 0.4,0.4 0.2,0.2 0.2))"},
		{NewMultiPolygon(MultiPolygon{{rect(0, 0, 1, 1)}, {rect(2, 2, 3, 3)}}),
			"MULTIPOLYGON(((0 0,1 0,1 1,0 1,0 0)),((2 2,3 2,3 3,2 3,2 2)))"},
		{Geometry{}, ""},
	} {
		if got := c.g.WKT(); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}

// quadrangleArea is the exact area of a graticule quadrangle on the WGS 84
// ellipsoid (through the authalic latitude), to check Area against.
func quadrangleArea(lon0, lat0, lon1, lat1 float64) float64 {
	e := math.Sqrt(wgsE2)
	q := func(lat float64) float64 {
		s := math.Sin(lat * math.Pi / 180)
		return s/(1-wgsE2*s*s) + math.Log((1+e*s)/(1-e*s))/(2*e)
	}
	return wgsA * wgsA * (1 - wgsE2) / 2 * (lon1 - lon0) * math.Pi / 180 * (q(lat1) - q(lat0))
}

func TestArea(t *testing.T) {
	for _, r := range [][4]float64{
		{-7.60, 33.57, -7.59, 33.58},         // a hectare-scale block, about 1 km²
		{-7.5641, 33.5559, -7.5639, 33.5561}, // a parcel, about 19 m × 22 m
		{-7.72, 33.50, -7.48, 33.64},         // the city's box
	} {
		got := NewPolygon(Polygon{rect(r[0], r[1], r[2], r[3])}).Area()
		want := quadrangleArea(r[0], r[1], r[2], r[3])
		if math.Abs(got/want-1) > 0.002 {
			t.Errorf("%v: area %.1f m², want %.1f m² (±0.2%%)", r, got, want)
		}
	}
	// About 1,109 m by 928 m.
	if a := NewPolygon(Polygon{rect(-7.60, 33.57, -7.59, 33.58)}).Area(); a < 1.025e6 || a > 1.035e6 {
		t.Errorf("1/100 degree square at Casablanca: %.0f m²", a)
	}
	whole := NewPolygon(Polygon{rect(0, 0, 0.02, 0.02)}).Area()
	tri := NewPolygon(Polygon{ring(0, 0, 0.02, 0, 0, 0.02)}).Area()
	holed := NewPolygon(Polygon{rect(0, 0, 0.02, 0.02), ring(0.005, 0.005, 0.005, 0.015, 0.015, 0.015, 0.015, 0.005)}).Area()
	if math.Abs(tri/whole-0.5) > 1e-9 || math.Abs(holed/whole-0.75) > 1e-9 {
		t.Errorf("triangle %.4f, holed %.4f of the square", tri/whole, holed/whole)
	}
	cw := NewPolygon(Polygon{ring(0, 0, 0, 0.02, 0.02, 0.02, 0.02, 0)}).Area()
	if math.Abs(cw/whole-1) > 1e-12 {
		t.Errorf("clockwise ring: %v vs %v", cw, whole)
	}
	if NewPoint(Point{1, 1}).Area() != 0 || (Geometry{}).Area() != 0 {
		t.Error("a point has no area")
	}
}

func TestCentroidAndBounds(t *testing.T) {
	// An L of three 0.01° squares: its centre of area is at 5/6 of a
	// square from the corner (a local equirectangular projection keeps
	// centroids).
	o := Point{-7.6, 33.5}
	l := NewPolygon(Polygon{ring(o.Lon, o.Lat, o.Lon+0.02, o.Lat, o.Lon+0.02, o.Lat+0.01, o.Lon+0.01, o.Lat+0.01, o.Lon+0.01, o.Lat+0.02, o.Lon, o.Lat+0.02)})
	c := l.Centroid()
	want := Point{o.Lon + 0.025/3, o.Lat + 0.025/3}
	if math.Abs(c.Lon-want.Lon) > 2e-7 || math.Abs(c.Lat-want.Lat) > 2e-7 {
		t.Errorf("L centroid %v, want %v", c, want)
	}
	sq := NewPolygon(Polygon{rect(-7.566, 33.554, -7.562, 33.558), rect(-7.5655, 33.5545, -7.5645, 33.5555)})
	c = sq.Centroid()
	// The hole in the south-west pulls the centre north-east.
	if c.Lon <= -7.564 || c.Lat <= 33.556 || !sq.Bounds().Contains(c) {
		t.Errorf("holed square centroid %v", c)
	}
	if c := NewPoint(Point{1, 2}).Centroid(); c != (Point{1, 2}) {
		t.Error(c)
	}
	b := l.Bounds()
	if b.Min != o || math.Abs(b.Max.Lon-(o.Lon+0.02)) > 1e-12 || math.Abs(b.Max.Lat-(o.Lat+0.02)) > 1e-12 {
		t.Errorf("bounds %+v", b)
	}
	if (Geometry{}).Bounds() != (Bounds{}) || l.Vertices() != 6 || NewPoint(o).Vertices() != 1 {
		t.Error("zero bounds or vertices")
	}
}

func TestMessages(t *testing.T) {
	cat, err := i18n.Load(Messages)
	if err != nil {
		t.Fatal(err)
	}
	if probs := cat.Check(); len(probs) > 0 {
		t.Fatal(probs)
	}
	keys := []string{KeyInvalid, KeyType, KeyRange, KeyNumber, KeyRingOpen, KeyRingShort, KeySelfIntersection,
		KeyTooManyVertices, KeyHole, KeyOutside, KeyBBox, KeyDatetime, KeyLimit, KeyOffset}
	for _, l := range i18n.Langs {
		if n := len(cat.Keys(l)); n != len(keys) {
			t.Errorf("%s: %d keys, want %d", l, n, len(keys))
		}
		for _, k := range keys {
			if !cat.Has(l, k) {
				t.Errorf("%s: %s missing", l, k)
			}
		}
	}
	e := ErrOutside(i18n.Text{AR: "جماعة الدار البيضاء", FR: "Commune de Casablanca", EN: "Commune of Casablanca"})
	msg := cat.TMap(i18n.FR, e.Key, e.Params)
	if e.Kind != errs.Invalid || !strings.Contains(msg, "(Commune de Casablanca)") {
		t.Errorf("outside: %v %q", e, msg)
	}
	if msg := cat.TMap(i18n.AR, e.Key, e.Params); !strings.Contains(msg, "(جماعة الدار البيضاء)") {
		t.Errorf("outside in Arabic: %q", msg)
	}
	if msg := cat.T(i18n.EN, KeyTooManyVertices, "max", MaxVertices); !strings.Contains(msg, "2000") {
		t.Error(msg)
	}
}

// Random small polygons on a coarse lattice touch, share edges and pass
// through each other's vertices often: whatever Within says must agree
// with sampling on a finer lattice (with this seed no sliver escapes the
// sampling), and every polygon is within itself.
func TestWithinAgreesWithSampling(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	randomPolygon := func(lo, hi int) Geometry {
		for {
			n := 3 + rnd.IntN(5)
			c := make([]float64, 0, 2*n)
			for range n {
				c = append(c, float64(lo+rnd.IntN(hi-lo+1)), float64(lo+rnd.IntN(hi-lo+1)))
			}
			g := NewPolygon(Polygon{ring(c...)})
			if g.Validate() == nil {
				return g
			}
		}
	}
	// Sample points: a lattice four times finer than the vertices'.
	var samples []Point
	for x := 0.0; x <= 6; x += 0.25 {
		for y := 0.0; y <= 6; y += 0.25 {
			samples = append(samples, Point{x, y})
		}
	}
	within, checked := 0, 0
	for range 3000 {
		a, b := randomPolygon(1, 4), randomPolygon(0, 6)
		if !a.Within(a) {
			t.Fatalf("%s not within itself", a.WKT())
		}
		got := a.Within(b)
		escapes := false
		for _, s := range samples {
			if NewPoint(s).Within(a) && !NewPoint(s).Within(b) {
				escapes = true
				break
			}
		}
		if got && escapes {
			t.Fatalf("%s within %s, but a sample of the first is outside the second", a.WKT(), b.WKT())
		}
		if got {
			within++
		}
		if !got && !escapes {
			t.Fatalf("%s not within %s, but every sample of the first is in the second", a.WKT(), b.WKT())
		}
		checked++
	}
	if within < 100 {
		t.Fatalf("only %d of %d pairs within: the test checks too little", within, checked)
	}
}

// DistanceTo measures on the ground: 0 inside a polygon, to the nearest
// edge outside it (not to a vertex), and between two points.
func TestDistanceTo(t *testing.T) {
	sq := NewPolygon(Polygon{{{Lon: -7.62, Lat: 33.56}, {Lon: -7.60, Lat: 33.56}, {Lon: -7.60, Lat: 33.58}, {Lon: -7.62, Lat: 33.58}, {Lon: -7.62, Lat: 33.56}}})
	if d := sq.DistanceTo(Point{Lon: -7.61, Lat: 33.57}); d != 0 {
		t.Errorf("inside: %v m", d)
	}
	// A hundredth of a degree east of the east edge, level with its middle:
	// about 928 m at this latitude (a degree of longitude is some 92.8 km).
	if d := sq.DistanceTo(Point{Lon: -7.59, Lat: 33.57}); d < 920 || d > 935 {
		t.Errorf("east of the square: %.1f m", d)
	}
	// A hundredth of a degree north: about 1,109 m.
	if d := NewPoint(Point{Lon: -7.6, Lat: 33.57}).DistanceTo(Point{Lon: -7.6, Lat: 33.58}); d < 1105 || d > 1113 {
		t.Errorf("between two points: %.1f m", d)
	}
}

// Intersects is the box test of the portal's bbox: the box inside the
// polygon, the polygon inside the box, crossing edges and a touching
// corner meet it; a box in the polygon's hole or beside its slanted side
// does not (though it meets the polygon's bounding box).
func TestIntersects(t *testing.T) {
	withHole := NewPolygon(Polygon{
		{{Lon: 0, Lat: 0}, {Lon: 10, Lat: 0}, {Lon: 10, Lat: 10}, {Lon: 0, Lat: 10}, {Lon: 0, Lat: 0}},
		{{Lon: 3, Lat: 3}, {Lon: 3, Lat: 7}, {Lon: 7, Lat: 7}, {Lon: 7, Lat: 3}, {Lon: 3, Lat: 3}},
	})
	triangle := NewPolygon(Polygon{{{Lon: 0, Lat: 0}, {Lon: 10, Lat: 0}, {Lon: 0, Lat: 10}, {Lon: 0, Lat: 0}}})
	box := func(x0, y0, x1, y1 float64) Bounds {
		return Bounds{Min: Point{Lon: x0, Lat: y0}, Max: Point{Lon: x1, Lat: y1}}
	}
	for _, c := range []struct {
		name string
		g    Geometry
		b    Bounds
		want bool
	}{
		{"a box inside the polygon", withHole, box(1, 1, 2, 2), true},
		{"the polygon inside a box", withHole, box(-1, -1, 11, 11), true},
		{"a box across an edge", withHole, box(9, 4, 12, 5), true},
		{"a box touching a corner", withHole, box(10, 10, 12, 12), true},
		{"a box in the hole", withHole, box(4, 4, 6, 6), false},
		{"a box around the hole's edge", withHole, box(2, 4, 4, 5), true},
		{"a box beside the slanted side", triangle, box(7, 7, 9, 9), false},
		{"a box on the slanted side", triangle, box(4, 4, 6, 6), true},
		{"a box far away", triangle, box(20, 20, 30, 30), false},
		{"a point inside", NewPoint(Point{Lon: 1, Lat: 1}), box(0, 0, 2, 2), true},
		{"a point on the edge", NewPoint(Point{Lon: 2, Lat: 1}), box(0, 0, 2, 2), true},
		{"a point outside", NewPoint(Point{Lon: 2.0000002, Lat: 1}), box(0, 0, 2, 2), false},
	} {
		if got := c.g.Intersects(c.b); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// A feature's properties written without reflection read back as
// encoding/json reads its own writing: quotes, backslashes, control
// characters, line separators, Arabic, invalid UTF-8, nested texts by
// language, numbers and booleans.
func TestFeaturePropertiesEncodeAsJSONDoes(t *testing.T) {
	texts := []string{"", `a "quoted" \ word`, "line\nbreak\ttab\x01\x1f", "سيدي عثمان", "\u2028\u2029", "bad \xff utf8", "<b>&amp;</b>"}
	for i, s := range texts {
		props := map[string]any{"name": s, "n": i, "ok": i%2 == 0, "f": 1.5, "none": nil,
			"names": map[string]string{"ar": s, "fr": "é", "en": "x"}, s: "key"}
		f := Feature{ID: s, Geometry: NewPoint(Point{Lon: -7.6, Lat: 33.5}), Properties: Props(props)}
		ours, err := f.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var got, want any
		if err := json.Unmarshal(ours, &got); err != nil {
			t.Fatalf("%q: not JSON: %v\n%s", s, err, ours)
		}
		doc := map[string]any{"type": "Feature", "id": s, "geometry": map[string]any{"type": "Point", "coordinates": []float64{-7.6, 33.5}}, "properties": props}
		if s == "" {
			delete(doc, "id") // an empty id is left out
		}
		std, _ := json.Marshal(doc)
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\n ours %s\n want %s", s, ours, std)
		}
	}
}
