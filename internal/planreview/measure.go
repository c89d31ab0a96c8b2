package planreview

import (
	"errors"
	"fmt"
	"math"

	"madina/internal/platform/errs"
)

// Measurements are computed here, by the server, from the stored shape and
// the calibration used: a browser may show its own figures while drawing,
// but the figures stored and served are these.

// pointMetres is one PDF point (1/72 inch) on paper, in metres.
const pointMetres = 0.0254 / 72

// The scales a sheet may be calibrated at, as the ratio N of 1:N (a
// reference line or the PDF's own dictionary implies one too). Plans of a
// building permit are drawn between 1:1 (details) and 1:10000 (situation
// maps); a scale outside is a mistake (1:0, 1:1e9, a reference line of a
// kilometre drawn over a centimetre) and refused.
const (
	MinRatio = 1
	MaxRatio = 10000
	// minReference is the shortest reference line, in user-space units
	// (about 3.5 mm on paper at 72 units an inch): shorter, a pixel's
	// error when drawing it is more than a few per cent of the scale.
	minReference = 10
	// maxReferenceMetres: no plan sheet shows a longer known length.
	maxReferenceMetres = 100000
)

// Calibration sources.
const (
	SourcePDF       = "pdf"       // the page's own /VP /Measure dictionary
	SourceScale     = "scale"     // a declared scale 1:N
	SourceReference = "reference" // a line of known length drawn on the page
)

// Calibration is how page units become metres: what the client declared
// and what the server derived from it.
type Calibration struct {
	Source string `json:"source"`
	// Ratio is N of 1:N: declared (scale), or implied (pdf, reference).
	Ratio float64 `json:"ratio,omitempty"`
	// Line and Metres: the reference line, and its length.
	Line   [][2]float64 `json:"line,omitempty"`
	Metres float64      `json:"metres,omitempty"`
	// Label is the PDF dictionary's own wording of its scale (/R).
	Label string `json:"label,omitempty"`
	// MetresPerUnit is what the server derived: metres per user-space unit.
	MetresPerUnit float64 `json:"metres_per_unit"`
}

// Page is what the server read of a sheet's page.
type Page struct {
	N        int        `json:"page"`
	Box      [4]float64 `json:"box"` // the crop box (else media box) in user space
	Rotate   int        `json:"rotate"`
	UserUnit float64    `json:"user_unit"`
	// Measure is metres per user-space unit from the page's own
	// measurement dictionary, 0 when it has none; Ratio its wording.
	Measure float64 `json:"measure,omitempty"`
	Ratio   string  `json:"measure_ratio,omitempty"`
}

// unitMetres is one paper unit of the page, in metres.
func (p Page) unitMetres() float64 {
	u := p.UserUnit
	if u <= 0 {
		u = 1
	}
	return u * pointMetres
}

func badScale(cause error) error {
	return errs.E(errs.Invalid, "planreview.error.scale").With("min", MinRatio).With("max", MaxRatio).
		OnField("madina:calibration").Cause(cause)
}

// Resolve checks c against page p and derives metres per unit.
func (c Calibration) Resolve(p Page) (Calibration, error) {
	out := Calibration{Source: c.Source}
	switch c.Source {
	case SourceScale:
		if math.IsNaN(c.Ratio) || c.Ratio < MinRatio || c.Ratio > MaxRatio {
			return Calibration{}, badScale(fmt.Errorf("declared 1:%v", c.Ratio))
		}
		out.Ratio, out.MetresPerUnit = c.Ratio, c.Ratio*p.unitMetres()
	case SourcePDF:
		if p.Measure <= 0 {
			return Calibration{}, errs.E(errs.Invalid, "planreview.error.no_pdf_scale").With("page", p.N).OnField("madina:calibration")
		}
		out.MetresPerUnit, out.Label = p.Measure, p.Ratio
		out.Ratio = p.Measure / p.unitMetres()
	case SourceReference:
		if len(c.Line) != 2 {
			return Calibration{}, errs.E(errs.Invalid, "planreview.error.reference").OnField("madina:calibration")
		}
		for _, q := range c.Line {
			if math.IsNaN(q[0]) || math.IsNaN(q[1]) || math.IsInf(q[0], 0) || math.IsInf(q[1], 0) {
				return Calibration{}, errs.E(errs.Invalid, "planreview.error.reference").OnField("madina:calibration")
			}
		}
		d := math.Hypot(c.Line[1][0]-c.Line[0][0], c.Line[1][1]-c.Line[0][1])
		if d < minReference {
			return Calibration{}, errs.E(errs.Invalid, "planreview.error.reference_short").OnField("madina:calibration").
				Cause(fmt.Errorf("reference line of %v units", d))
		}
		if math.IsNaN(c.Metres) || c.Metres <= 0 || c.Metres > maxReferenceMetres {
			return Calibration{}, badScale(fmt.Errorf("reference length %v m", c.Metres))
		}
		out.Line, out.Metres = c.Line, c.Metres
		out.MetresPerUnit = c.Metres / d
		out.Ratio = out.MetresPerUnit / p.unitMetres()
	default:
		return Calibration{}, errs.E(errs.Invalid, "planreview.error.calibration").OnField("madina:calibration")
	}
	if out.Ratio < MinRatio*0.999 || out.Ratio > MaxRatio*1.001 || math.IsNaN(out.Ratio) {
		return Calibration{}, badScale(fmt.Errorf("%s implies 1:%v", c.Source, out.Ratio))
	}
	return out, nil
}

// Measurement is what the server measured.
type Measurement struct {
	// Value is the measure: metres (distance, polyline), square metres
	// (area, rectangle_area), a number (count), degrees (angle).
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Perimeter, in metres, of an area.
	Perimeter float64 `json:"perimeter,omitempty"`
}

// Measure computes what annotation kind measures on s, with metres per
// unit m (ignored by count and angle). Kinds that measure nothing give
// ok false.
func Measure(kind string, s Shape, m float64) (Measurement, bool, error) {
	pts := s.Pts()
	switch kind {
	case "distance", "polyline":
		return Measurement{Value: pathLength(pts) * m, Unit: "m"}, true, nil
	case "area":
		if err := simple(pts); err != nil {
			return Measurement{}, false, err
		}
		a := math.Abs(shoelace(pts))
		if a == 0 {
			return Measurement{}, false, invalidShape("planreview.error.degenerate", errors.New("a polygon of no area"))
		}
		return Measurement{Value: a * m * m, Unit: "m2", Perimeter: (pathLength(pts) + dist(pts[len(pts)-1], pts[0])) * m}, true, nil
	case "rectangle_area":
		w, h := pts[1].X-pts[0].X, pts[1].Y-pts[0].Y
		return Measurement{Value: w * h * m * m, Unit: "m2", Perimeter: 2 * (w + h) * m}, true, nil
	case "count":
		return Measurement{Value: float64(len(pts)), Unit: "count"}, true, nil
	case "angle":
		a, b := Point{pts[0].X - pts[1].X, pts[0].Y - pts[1].Y}, Point{pts[2].X - pts[1].X, pts[2].Y - pts[1].Y}
		if math.Hypot(a.X, a.Y) == 0 || math.Hypot(b.X, b.Y) == 0 {
			return Measurement{}, false, invalidShape("planreview.error.angle", errors.New("an arm of no length"))
		}
		deg := math.Abs(math.Atan2(a.X*b.Y-a.Y*b.X, a.X*b.X+a.Y*b.Y)) * 180 / math.Pi
		return Measurement{Value: deg, Unit: "deg"}, true, nil
	}
	return Measurement{}, false, nil
}

func dist(a, b Point) float64 { return math.Hypot(b.X-a.X, b.Y-a.Y) }

func pathLength(pts []Point) float64 {
	l := 0.0
	for i := 1; i < len(pts); i++ {
		l += dist(pts[i-1], pts[i])
	}
	return l
}

// shoelace is the signed area of the closed polygon pts (positive
// counter-clockwise).
func shoelace(pts []Point) float64 {
	s := 0.0
	for i := range pts {
		j := (i + 1) % len(pts)
		s += pts[i].X*pts[j].Y - pts[j].X*pts[i].Y
	}
	return s / 2
}

// simple refuses a polygon whose edges cross or touch other than at
// their shared corners, or that repeats a corner: its area would mean
// nothing (the shoelace formula would subtract the loops from each other).
func simple(pts []Point) error {
	n := len(pts)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if pts[i] == pts[j] {
				return invalidShape("planreview.error.self_intersecting", fmt.Errorf("corners %d and %d coincide", i, j))
			}
		}
	}
	for i := 0; i < n; i++ {
		a1, a2 := pts[i], pts[(i+1)%n]
		for j := i + 1; j < n; j++ {
			if j == i+1 || (i == 0 && j == n-1) {
				continue // neighbours share a corner
			}
			b1, b2 := pts[j], pts[(j+1)%n]
			if segmentsMeet(a1, a2, b1, b2) {
				return invalidShape("planreview.error.self_intersecting", fmt.Errorf("edges %d and %d cross", i, j))
			}
		}
	}
	// Neighbouring edges folding back over each other overlap too.
	for i := 0; i < n; i++ {
		a, b, c := pts[(i+n-1)%n], pts[i], pts[(i+1)%n]
		if cross(a, b, c) == 0 && (b.X-a.X)*(c.X-b.X)+(b.Y-a.Y)*(c.Y-b.Y) < 0 {
			return invalidShape("planreview.error.self_intersecting", fmt.Errorf("edges fold back at corner %d", i))
		}
	}
	return nil
}

func cross(o, a, b Point) float64 { return (a.X-o.X)*(b.Y-o.Y) - (a.Y-o.Y)*(b.X-o.X) }

func onSegment(p, q, r Point) bool {
	return math.Min(p.X, r.X) <= q.X && q.X <= math.Max(p.X, r.X) && math.Min(p.Y, r.Y) <= q.Y && q.Y <= math.Max(p.Y, r.Y)
}

func sign(v float64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// segmentsMeet reports whether segments p1p2 and q1q2 share a point.
func segmentsMeet(p1, p2, q1, q2 Point) bool {
	d1, d2 := sign(cross(q1, q2, p1)), sign(cross(q1, q2, p2))
	d3, d4 := sign(cross(p1, p2, q1)), sign(cross(p1, p2, q2))
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	return d1 == 0 && onSegment(q1, p1, q2) || d2 == 0 && onSegment(q1, p2, q2) ||
		d3 == 0 && onSegment(p1, q1, p2) || d4 == 0 && onSegment(p1, q2, p2)
}
