package planreview

import (
	"math"
	"testing"

	"madina/internal/platform/errs"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func wantKey(t *testing.T, err error, key string) {
	t.Helper()
	e := errs.As(err)
	if e == nil || e.Key != key || e.Kind != errs.Invalid {
		t.Fatalf("error %v, want invalid %s", err, key)
	}
}

func shape(t *testing.T, kind, svg string) Shape {
	t.Helper()
	s, err := ParseSVG(kind, svg)
	if err != nil {
		t.Fatalf("%s %s: %v", kind, svg, err)
	}
	return s
}

// Known figures at 1:100 (one point on paper is 0.0254/72 × 100 m; 72
// points are 2.54 m on the ground).
func TestMeasureKnownFigures(t *testing.T) {
	page := Page{N: 1, Box: [4]float64{0, 0, 3370, 2384}, UserUnit: 1}
	cal, err := Calibration{Source: SourceScale, Ratio: 100}.Resolve(page)
	if err != nil {
		t.Fatal(err)
	}
	m := cal.MetresPerUnit
	if !near(m*72, 2.54, 1e-12) {
		t.Fatalf("1:100: %v m per point", m)
	}
	cases := []struct {
		name, kind, svg  string
		value, perimeter float64
		unit             string
	}{
		{"square 72 pt", "area", `<svg xmlns="http://www.w3.org/2000/svg"><polygon points="100,100 172,100 172,172 100,172"/></svg>`, 2.54 * 2.54, 4 * 2.54, "m2"},
		{"same square clockwise, closed twice", "area", `<svg><polygon points="100,100 100,172 172,172 172,100 100,100"/></svg>`, 2.54 * 2.54, 4 * 2.54, "m2"},
		// An L of four squares of 72 pt (three along, one up), perimeter 10 sides.
		{"L-shaped room", "area", `<svg><polygon points="0,0 216,0 216,72 72,72 72,144 0,144"/></svg>`, 4 * 2.54 * 2.54, 10 * 2.54, "m2"},
		// Right triangle 3-4-5 (in units of 72 pt): area 6, perimeter 12.
		{"3-4-5 triangle", "area", `<svg><polygon points="0,0 216,0 0,288"/></svg>`, 6 * 2.54 * 2.54, 12 * 2.54, "m2"},
		{"rectangle", "rectangle_area", `<svg><rect x="10" y="20" width="144" height="72"/></svg>`, 2 * 2.54 * 2.54, 6 * 2.54, "m2"},
		{"distance", "distance", `<svg><line x1="0" y1="0" x2="216" y2="288"/></svg>`, 5 * 2.54, 0, "m"},
		{"polyline", "polyline", `<svg><polyline points="0,0 72,0 72,72 144,72"/></svg>`, 3 * 2.54, 0, "m"},
		{"count", "count", `<svg><circle cx="1" cy="1" r="3"/><circle cx="5" cy="5" r="3"/><circle cx="9" cy="9" r="3"/></svg>`, 3, 0, "count"},
		{"right angle", "angle", `<svg><polyline points="100,0 0,0 0,50"/></svg>`, 90, 0, "deg"},
		{"45 degrees", "angle", `<svg><polyline points="10,0 0,0 7,7"/></svg>`, 45, 0, "deg"},
	}
	for _, c := range cases {
		s := shape(t, c.kind, c.svg)
		got, ok, err := Measure(c.kind, s, m)
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", c.name, ok, err)
		}
		if got.Unit != c.unit || !near(got.Value, c.value, 1e-9) || !near(got.Perimeter, c.perimeter, 1e-9) {
			t.Errorf("%s: %+v, want %v %s (perimeter %v)", c.name, got, c.value, c.unit, c.perimeter)
		}
	}
	if _, ok, _ := Measure("pin", shape(t, "pin", `<svg><circle cx="1" cy="2" r="4"/></svg>`), m); ok {
		t.Error("a pin measures something")
	}
}

// Polygons whose edges cross or touch are refused: the shoelace formula
// would give a number that is no area.
func TestSelfIntersectingPolygonsAreRefused(t *testing.T) {
	for name, svg := range map[string]string{
		"bow tie":           `<svg><polygon points="0,0 100,100 100,0 0,100"/></svg>`,
		"edge through":      `<svg><polygon points="0,0 200,0 200,100 50,100 50,-50"/></svg>`,
		"touching vertex":   `<svg><polygon points="0,0 100,0 50,50 100,100 0,100 50,50"/></svg>`,
		"folding back":      `<svg><polygon points="0,0 100,0 50,0 50,50"/></svg>`,
		"star (pentagram)":  `<svg><polygon points="50,0 79,90 2,35 98,35 21,90"/></svg>`,
		"vertex on an edge": `<svg><polygon points="0,0 100,0 100,100 50,0"/></svg>`,
	} {
		_, _, err := Measure("area", shape(t, "area", svg), 0.01)
		e := errs.As(err)
		if e == nil || e.Key != "planreview.error.self_intersecting" {
			t.Errorf("%s: %v, want planreview.error.self_intersecting", name, err)
		}
	}
	// A concave but simple polygon passes.
	if _, _, err := Measure("area", shape(t, "area", `<svg><polygon points="0,0 100,0 100,100 50,20 0,100"/></svg>`), 0.01); err != nil {
		t.Errorf("a simple concave polygon: %v", err)
	}
	// Collinear corners, no area.
	_, _, err := Measure("area", shape(t, "area", `<svg><polygon points="0,0 50,0 100,0"/></svg>`), 0.01)
	if err == nil {
		t.Error("a flat polygon measured")
	}
}

func TestCalibration(t *testing.T) {
	page := Page{N: 3, Box: [4]float64{0, 0, 1000, 1000}, UserUnit: 1}
	for _, r := range []float64{0, -100, 0.5, 10001, 1e9, math.NaN(), math.Inf(1)} {
		_, err := Calibration{Source: SourceScale, Ratio: r}.Resolve(page)
		wantKey(t, err, "planreview.error.scale")
	}
	for _, r := range []float64{50, 100, 200, 500} {
		c, err := Calibration{Source: SourceScale, Ratio: r}.Resolve(page)
		if err != nil || !near(c.MetresPerUnit, r*0.0254/72, 1e-15) {
			t.Errorf("1:%v: %+v %v", r, c, err)
		}
	}
	// A reference line of 100 units said to be 5 m: 0.05 m per unit
	// (1:141.7…).
	c, err := Calibration{Source: SourceReference, Line: [][2]float64{{10, 10}, {70, 90}}, Metres: 5}.Resolve(page)
	if err != nil || !near(c.MetresPerUnit, 0.05, 1e-15) || !near(c.Ratio, 0.05/(0.0254/72), 1e-9) {
		t.Fatalf("reference: %+v %v", c, err)
	}
	_, err = Calibration{Source: SourceReference, Line: [][2]float64{{10, 10}, {12, 10}}, Metres: 5}.Resolve(page)
	wantKey(t, err, "planreview.error.reference_short")
	// A kilometre over 100 units is 1:28346: absurd.
	_, err = Calibration{Source: SourceReference, Line: [][2]float64{{0, 0}, {100, 0}}, Metres: 1000}.Resolve(page)
	wantKey(t, err, "planreview.error.scale")
	_, err = Calibration{Source: SourceReference, Line: [][2]float64{{0, 0}, {100, 0}}, Metres: -1}.Resolve(page)
	wantKey(t, err, "planreview.error.scale")
	// The PDF's own scale: only on a page that has one.
	_, err = Calibration{Source: SourcePDF}.Resolve(page)
	wantKey(t, err, "planreview.error.no_pdf_scale")
	page.Measure, page.Ratio = 100*0.0254/72, "1 cm = 1 m"
	c, err = Calibration{Source: SourcePDF, Ratio: 5}.Resolve(page)
	if err != nil || !near(c.Ratio, 100, 1e-9) || c.Label != "1 cm = 1 m" {
		t.Fatalf("pdf: %+v %v", c, err)
	}
	// A user unit of 2 doubles every unit on paper.
	page.UserUnit = 2
	c, _ = Calibration{Source: SourceScale, Ratio: 100}.Resolve(page)
	if !near(c.MetresPerUnit, 2*100*0.0254/72, 1e-15) {
		t.Errorf("user unit 2: %v", c.MetresPerUnit)
	}
	_, err = Calibration{Source: "guess"}.Resolve(page)
	wantKey(t, err, "planreview.error.calibration")
}

func TestParseSVG(t *testing.T) {
	for _, c := range []struct{ kind, svg, key string }{
		{"area", `<svg><path d="M0 0 L10 0 L10 10 Z"/></svg>`, "planreview.error.shape"},
		{"area", `<svg><g><polygon points="0,0 1,0 1,1"/></g></svg>`, "planreview.error.svg"},
		{"area", `<svg><polygon points="0,0 1,0 1,1"/><script/></svg>`, "planreview.error.shape"},
		{"area", `<svg><polygon points="0,0 1,0 1,1"/><script>alert(1)</script></svg>`, "planreview.error.svg"},
		{"area", `<svg><polygon points="0,0 1,0 1"/></svg>`, "planreview.error.svg"},
		{"area", `<svg><polygon points="0,0 1,0 NaN,1"/></svg>`, "planreview.error.svg"},
		{"area", `<html><polygon points="0,0 1,0 1,1"/></html>`, "planreview.error.svg"},
		{"area", `<svg><polygon points="0,0 1,0 1,1"/>`, "planreview.error.svg"},
		{"area", `<svg><polygon points="0,0 1,0"/></svg>`, "planreview.error.degenerate"},
		{"distance", `<svg><polygon points="0,0 1,0 1,1"/></svg>`, "planreview.error.shape"},
		{"distance", `<svg><line x1="1" y1="1" x2="1" y2="1"/></svg>`, "planreview.error.degenerate"},
		{"rectangle", `<svg><rect x="1" y="1" width="0" height="4"/></svg>`, "planreview.error.degenerate"},
		{"angle", `<svg><polyline points="0,0 1,0 1,1 2,2"/></svg>`, "planreview.error.angle"},
		{"angle", `<svg><polyline points="0,0 0,0 1,1"/></svg>`, ""},
		{"sketch", `<svg><line x1="1" y1="1" x2="2" y2="2"/></svg>`, "planreview.error.kind"},
		{"area", `<!DOCTYPE svg [<!ENTITY x "y">]><svg><polygon points="0,0 1,0 1,1"/></svg>`, "planreview.error.svg"},
	} {
		s, err := ParseSVG(c.kind, c.svg)
		if c.key == "" {
			if _, _, err = Measure(c.kind, s, 1); err == nil {
				t.Errorf("%s %s: measured", c.kind, c.svg)
			}
			continue
		}
		e := errs.As(err)
		if e == nil || e.Key != c.key {
			t.Errorf("%s %s: %v, want %s", c.kind, c.svg, err, c.key)
		}
	}
	// Round trip: what SVG writes, ParseSVG reads back the same.
	for _, c := range []struct{ kind, svg string }{
		{"ellipse", `<svg><ellipse cx="10" cy="20" rx="3" ry="4.5"/></svg>`},
		{"ellipse", `<svg><circle cx="10" cy="20" r="3"/></svg>`},
		{"highlight", `<svg><rect x="10" y="20" width="30" height="5"/></svg>`},
		{"freehand", `<svg><polyline points="1,2 3,4 5,7.25"/></svg>`},
		{"pin", `<svg><circle cx="10" cy="20" r="0"/></svg>`},
		{"count", `<svg><circle cx="10" cy="20" r="1"/><circle cx="11" cy="21" r="1"/></svg>`},
		{"arrow", `<svg xmlns="http://www.w3.org/2000/svg"><line x1="1" y1="2" x2="3" y2="4"/></svg>`},
	} {
		s := shape(t, c.kind, c.svg)
		back := shape(t, c.kind, s.SVG())
		if s.SVG() != back.SVG() || s.Type != back.Type || len(s.Points) != len(back.Points) {
			t.Errorf("%s: %s read back as %s", c.kind, s.SVG(), back.SVG())
		}
	}
	s := shape(t, "rectangle", `<svg><rect x="10" y="20" width="-5" height="-5"/></svg>`)
	if s.Points[0] != [2]float64{5, 15} || s.Points[1] != [2]float64{10, 20} {
		t.Errorf("a rectangle drawn backwards: %v", s.Points)
	}
	if !s.Within([4]float64{0, 0, 10, 20}) || s.Within([4]float64{0, 0, 9, 20}) {
		t.Error("Within")
	}
}

func TestReadPages(t *testing.T) {
	pages, err := ReadPages(sheetPDF())
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 {
		t.Fatalf("%d pages", len(pages))
	}
	p1, p2 := pages[0], pages[1]
	if p1.Box != [4]float64{0, 0, 3370, 2384} || p1.Rotate != 0 || !near(p1.Measure, 100*0.0254/72, 1e-12) || p1.Ratio != "1 cm = 1 m" {
		t.Errorf("page 1: %+v", p1)
	}
	if p2.Box != p1.Box || p2.Rotate != 90 || p2.Measure != 0 {
		t.Errorf("page 2: %+v", p2)
	}
	c, err := Calibration{Source: SourcePDF}.Resolve(p1)
	if err != nil || !near(c.Ratio, 100, 1e-6) {
		t.Errorf("page 1's own scale: %+v %v", c, err)
	}
	// A crop box wins over the media box; feet are feet.
	ft := `/CropBox [10 10 110 210] /VP [<< /Measure << /Subtype /RL /R (1in = 10 ft) /X [<< /U (ft) /C 0.1388888 >>] >> >>]`
	pages, err = ReadPages(testPDF("/MediaBox [0 0 612 792]", []string{ft}, ""))
	if err != nil || pages[0].Box != [4]float64{10, 10, 110, 210} || !near(pages[0].Measure, 0.1388888*0.3048, 1e-12) {
		t.Fatalf("feet: %+v %v", pages, err)
	}

	_, err = ReadPages(testPDF("", nil, ""))
	wantKey(t, err, "planreview.error.no_pages")
	_, err = ReadPages([]byte("%PDF-1.7\nthis is not a PDF at all\n%%EOF\n"))
	wantKey(t, err, "error.pdf.corrupt")
	enc := testPDF("/MediaBox "+a0, []string{""}, "/Encrypt << /Filter /Standard /V 2 /R 3 /O (x) /U (y) /P -4 >>")
	_, err = ReadPages(enc)
	wantKey(t, err, "error.pdf.encrypted")
}
