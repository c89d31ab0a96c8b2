package geo

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The GeoJSON we write for the geoportal must be read by GDAL, which every
// GIS (QGIS, ArcGIS, MapServer) uses. ogrinfo comes from Debian's gdal-bin,
// which CI installs: without it this test fails rather than skips.
func TestGDALReadsFeatureCollections(t *testing.T) {
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Fatal("ogrinfo is missing: install Debian's gdal-bin (apt-get install gdal-bin) to check the GeoJSON we publish")
	}
	parcel, err := ParseGeoJSON([]byte(polyJSON(ring(-7.566, 33.554, -7.566, 33.558, -7.562, 33.558, -7.562, 33.554))))
	if err != nil {
		t.Fatal(err)
	}
	holed := NewPolygon(Polygon{rect(-7.60, 33.57, -7.59, 33.58), ring(-7.598, 33.572, -7.592, 33.572, -7.595, 33.578)})
	layers := []struct {
		name     string
		features []Feature
		geometry string
		extent   string
	}{
		{"points", []Feature{
			{ID: "BP-2025-0001", Geometry: NewPoint(Point{-7.5898, 33.5731}), Properties: Props{"name": "سيدي عثمان", "floors": 3}},
			{ID: "BP-2025-0002", Geometry: NewPoint(Point{-7.67, 33.563}), Properties: Props{"name": "Hay Hassani", "floors": 1}},
		}, "Point", "Extent: (-7.670000, 33.563000) - (-7.589800, 33.573100)"},
		{"parcels", []Feature{
			{ID: "a", Geometry: parcel, Properties: Props{"kind": "building"}},
			{ID: "b", Geometry: holed},
			{Geometry: NewPolygon(Polygon{rect(-7.50, 33.60, -7.499, 33.601)}), Properties: Props{}},
		}, "Polygon", "Extent: (-7.600000, 33.554000) - (-7.499000, 33.601000)"},
		{"territory", []Feature{
			{ID: "casablanca", Geometry: NewMultiPolygon(MultiPolygon{{rect(-7.7, 33.5, -7.6, 33.6)}, {rect(-7.55, 33.5, -7.5, 33.55)}})},
		}, "Multi Polygon", "Extent: (-7.700000, 33.500000) - (-7.500000, 33.600000)"},
	}
	dir := t.TempDir()
	for _, l := range layers {
		var buf bytes.Buffer
		if err := WriteFeatureCollection(&buf, l.features); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(buf.Bytes()) {
			t.Fatalf("%s: not JSON:\n%s", l.name, buf.String())
		}
		file := filepath.Join(dir, l.name+".geojson")
		if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(ogrinfo, "-ro", "-al", "-so", file).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: ogrinfo: %v\n%s\n%s", l.name, err, out, buf.String())
		}
		for _, want := range []string{"Geometry: " + l.geometry + "\n", "Feature Count: " + itoa(len(l.features)) + "\n", l.extent, "WGS 84"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("%s: ogrinfo does not say %q:\n%s", l.name, want, out)
			}
		}
		if strings.Contains(string(out), "Warning") || strings.Contains(string(out), "ERROR") {
			t.Errorf("%s: ogrinfo complains:\n%s", l.name, out)
		}
	}
	// The properties come through in UTF-8, and the identifiers as such.
	out, err := exec.Command(ogrinfo, "-ro", "-al", filepath.Join(dir, "points.geojson")).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	for _, want := range []string{"name (String) = سيدي عثمان", "floors (Integer) = 3", "BP-2025-0002", "POINT (-7.5898 33.5731)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("ogrinfo does not show %q:\n%s", want, out)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestWriteFeatureCollection(t *testing.T) {
	var buf bytes.Buffer
	err := WriteFeatureCollection(&buf, []Feature{{ID: `a"b`, Geometry: NewPoint(Point{1, 2}), Properties: Props{"k": "v"}}, {}})
	want := "{\"type\":\"FeatureCollection\",\"features\":[\n" +
		`{"type":"Feature","id":"a\"b","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"k":"v"}},` + "\n" +
		`{"type":"Feature","geometry":null,"properties":null}` + "\n]}\n"
	if err != nil || buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := WriteFeatureCollection(&buf, nil); err != nil || !json.Valid(buf.Bytes()) {
		t.Fatalf("empty: %s %v", buf.String(), err)
	}
	if err := WriteFeatureCollection(&buf, []Feature{{Properties: Props{"f": func() {}}}}); err == nil {
		t.Error("unwritable properties accepted")
	}
	// A Feature read back gives its geometry.
	b, _ := json.Marshal(Feature{ID: "x", Geometry: NewPoint(Point{-7.5, 33.6})})
	if g, err := ParseGeoJSON(b); err != nil || g.Point != (Point{-7.5, 33.6}) {
		t.Errorf("%s: %v %v", b, g, err)
	}
}

// What Validate accepts, GEOS (through GDAL's SQLite dialect) finds valid,
// and what it refuses, GEOS finds invalid: random rings on a coarse
// lattice cross, touch, fold back and repeat points often.
func TestValidityAgreesWithGEOS(t *testing.T) {
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Fatal("ogrinfo is missing: install Debian's gdal-bin (apt-get install gdal-bin) to check the GeoJSON we publish")
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	var fs []Feature
	valid := 0
	for i := range 400 {
		n := 3 + rnd.IntN(6)
		c := make([]float64, 0, 2*n)
		for range n {
			// Steps of 1/128 degree: exact in binary and in 7 decimals,
			// so GEOS's floating point sees the same collinear points
			// as our grid.
			c = append(c, -7.625+float64(rnd.IntN(5))/128, 33.5+float64(rnd.IntN(5))/128)
		}
		g := NewPolygon(Polygon{ring(c...)})
		ours := 0
		if g.Validate() == nil {
			ours = 1
			valid++
		}
		fs = append(fs, Feature{ID: itoa(i), Geometry: g, Properties: Props{"ours": ours, "wkt": g.WKT()}})
	}
	if valid < 40 || valid > 360 {
		t.Fatalf("%d valid of 400: the sample tells little", valid)
	}
	var buf bytes.Buffer
	if err := WriteFeatureCollection(&buf, fs); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "random.geojson")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	query := func(sql string) string {
		cmd := exec.Command(ogrinfo, "-ro", "-dialect", "SQLite", "-sql", sql, file)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr // GEOS explains each invalid ring there
		out, err := cmd.Output()
		if err != nil || !strings.Contains(string(out), "Layer name: SELECT") {
			t.Fatalf("ogrinfo (GDAL with SpatiaLite and GEOS): %v\n%s\n%s", err, out, stderr.String())
		}
		return string(out)
	}
	if out := query("SELECT COUNT(*) AS n FROM random WHERE ST_IsValid(geometry) = 1"); !strings.Contains(out, "n (Integer) = "+itoa(valid)+"\n") {
		t.Errorf("GEOS does not find %d valid polygons:\n%s", valid, out)
	}
	out := query("SELECT wkt, ours, ST_IsValid(geometry) AS geos FROM random WHERE ours <> ST_IsValid(geometry) OR ST_IsValid(geometry) IS NULL")
	if strings.Contains(out, "OGRFeature") {
		t.Fatalf("Validate and GEOS disagree:\n%s", out)
	}
}

// Within answers as GEOS's ST_CoveredBy (both count the boundary line as
// inside) on random pairs that touch, share edges and pass through each
// other's vertices, with holes and points among them.
func TestWithinAgreesWithGEOS(t *testing.T) {
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Fatal("ogrinfo is missing: install Debian's gdal-bin (apt-get install gdal-bin) to check the GeoJSON we publish")
	}
	rnd := rand.New(rand.NewPCG(5, 6))
	coord := func(lo, hi int) (float64, float64) {
		return -7.625 + float64(lo+rnd.IntN(hi-lo+1))/128, 33.5 + float64(lo+rnd.IntN(hi-lo+1))/128
	}
	random := func(lo, hi int) Geometry {
		for {
			n := 3 + rnd.IntN(5)
			c := make([]float64, 0, 2*n)
			for range n {
				x, y := coord(lo, hi)
				c = append(c, x, y)
			}
			g := NewPolygon(Polygon{ring(c...)})
			if rnd.IntN(3) == 0 { // a hole, when it fits
				h := NewPolygon(Polygon{g.Polygon[0], ring(-7.625+2.0/128, 33.5+2.0/128, -7.625+2.0/128, 33.5+3.0/128, -7.625+3.0/128, 33.5+3.0/128)})
				if h.Validate() == nil {
					g = h
				}
			}
			if g.Validate() == nil {
				return g
			}
		}
	}
	var fs []Feature
	within := 0
	for i := range 600 {
		var a Geometry
		if i%4 == 0 {
			x, y := coord(0, 6)
			a = NewPoint(Point{x, y})
		} else {
			a = random(1, 5)
		}
		b := random(0, 6)
		ours := 0
		if a.Within(b) {
			ours = 1
			within++
		}
		fs = append(fs, Feature{ID: itoa(i), Geometry: a, Properties: Props{"ours": ours, "a": a.WKT(), "b": b.WKT()}})
	}
	if within < 30 {
		t.Fatalf("only %d of 600 within: the sample tells little", within)
	}
	var buf bytes.Buffer
	if err := WriteFeatureCollection(&buf, fs); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "pairs.geojson")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	query := func(sql string) string {
		out, err := exec.Command(ogrinfo, "-ro", "-dialect", "SQLite", "-sql", sql, file).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Layer name: SELECT") {
			t.Fatalf("ogrinfo (GDAL with SpatiaLite and GEOS): %v\n%s", err, out)
		}
		return string(out)
	}
	const covered = "ST_CoveredBy(geometry, ST_GeomFromText(b))"
	if out := query("SELECT COUNT(*) AS n FROM pairs WHERE " + covered + " = 1"); !strings.Contains(out, "n (Integer) = "+itoa(within)+"\n") {
		t.Errorf("GEOS does not find %d pairs within:\n%s", within, out)
	}
	if out := query("SELECT a, b, ours, " + covered + " AS geos FROM pairs WHERE ours <> " + covered + " OR " + covered + " IS NULL"); strings.Contains(out, "OGRFeature") {
		t.Fatalf("Within and GEOS disagree:\n%s", out)
	}
}
