package planreview

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"madina/internal/platform/errs"
)

// Geometry: every shape is in the PDF page's own user space (ISO 32000
// §8.3.2.3): x to the right, y upwards, in the units of the page's
// MediaBox, whatever the page's /Rotate — the coordinates a PDF
// annotation's /Rect uses, so that an export writes them back unchanged
// and a measurement does not depend on how the viewer turned the page.
// The W3C form carries the same numbers in an SvgSelector; a viewer maps
// them to its screen (pdf.js: viewport.convertToViewportPoint).

// Point is a point in page user space.
type Point struct{ X, Y float64 }

// Shape types.
const (
	ShapePoint    = "point"    // one point (a pin)
	ShapeLine     = "line"     // two points
	ShapeRect     = "rect"     // two corners, lower-left then upper-right
	ShapeEllipse  = "ellipse"  // its centre, and radii RX, RY
	ShapePolygon  = "polygon"  // three points or more, closed
	ShapePolyline = "polyline" // two points or more, open
	ShapePoints   = "points"   // one point or more (a count)
)

// Shape is an annotation's geometry.
type Shape struct {
	Type   string       `json:"type"`
	Points [][2]float64 `json:"points"`
	RX     float64      `json:"rx,omitempty"`
	RY     float64      `json:"ry,omitempty"`
}

// Pts returns the shape's points.
func (s Shape) Pts() []Point {
	out := make([]Point, len(s.Points))
	for i, p := range s.Points {
		out[i] = Point{p[0], p[1]}
	}
	return out
}

// Limits on what a client sends.
const (
	maxPoints   = 5000      // points of one shape
	maxSVGBytes = 256 << 10 // an SvgSelector's value
)

// Kinds of annotation, and the shape each takes.
var kindShapes = map[string]string{
	"pin":            ShapePoint,
	"arrow":          ShapeLine,
	"line":           ShapeLine,
	"rectangle":      ShapeRect,
	"ellipse":        ShapeEllipse,
	"polygon":        ShapePolygon,
	"freehand":       ShapePolyline,
	"text":           ShapeRect,
	"highlight":      ShapeRect,
	"distance":       ShapeLine,
	"polyline":       ShapePolyline,
	"area":           ShapePolygon,
	"rectangle_area": ShapeRect,
	"count":          ShapePoints,
	"angle":          ShapePolyline,
}

// Kinds lists the annotation kinds, drawings first, then measurements.
var Kinds = []string{"pin", "arrow", "line", "rectangle", "ellipse", "polygon", "freehand", "text", "highlight",
	"distance", "polyline", "area", "rectangle_area", "count", "angle"}

// calibrated lists the measurements that need a scale (count and angle
// do not).
var calibrated = map[string]bool{"distance": true, "polyline": true, "area": true, "rectangle_area": true}

// measured lists every measurement kind.
var measured = map[string]bool{"distance": true, "polyline": true, "area": true, "rectangle_area": true, "count": true, "angle": true}

func invalidShape(key string, cause error) error {
	return errs.E(errs.Invalid, key).OnField("target").Cause(cause)
}

// ParseSVG reads an SvgSelector's value as the shape of an annotation of
// kind: an <svg> element holding one <circle>, <ellipse>, <rect>, <line>,
// <polyline> or <polygon> (several <circle>s for a count), with plain
// numbers in page user space. Anything else — paths, transforms, nested
// groups, scripts — is refused: the selector describes a geometry, not a
// picture.
func ParseSVG(kind, value string) (Shape, error) {
	want, ok := kindShapes[kind]
	if !ok {
		return Shape{}, errs.E(errs.Invalid, "planreview.error.kind").OnField("madina:kind")
	}
	if len(value) > maxSVGBytes {
		return Shape{}, invalidShape("planreview.error.svg", errors.New("svg too large"))
	}
	dec := xml.NewDecoder(strings.NewReader(value))
	dec.Strict = true
	var els []xml.StartElement
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Shape{}, invalidShape("planreview.error.svg", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1 && t.Name.Local != "svg":
				return Shape{}, invalidShape("planreview.error.svg", fmt.Errorf("root <%s>", t.Name.Local))
			case depth == 2:
				els = append(els, t.Copy())
			case depth > 2:
				return Shape{}, invalidShape("planreview.error.svg", errors.New("nested elements"))
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return Shape{}, invalidShape("planreview.error.svg", errors.New("text in the svg"))
			}
		case xml.Directive, xml.ProcInst:
			return Shape{}, invalidShape("planreview.error.svg", errors.New("directive or processing instruction"))
		}
	}
	if len(els) == 0 {
		return Shape{}, invalidShape("planreview.error.svg", errors.New("no shape"))
	}
	if want == ShapePoints {
		s := Shape{Type: ShapePoints}
		for _, el := range els {
			if el.Name.Local != "circle" {
				return Shape{}, invalidShape("planreview.error.shape", fmt.Errorf("count of <%s>", el.Name.Local))
			}
			a, err := attrs(el, "cx", "cy")
			if err != nil {
				return Shape{}, err
			}
			s.Points = append(s.Points, [2]float64{a["cx"], a["cy"]})
		}
		return s, s.check(kind)
	}
	if len(els) != 1 {
		return Shape{}, invalidShape("planreview.error.shape", fmt.Errorf("%d elements", len(els)))
	}
	el := els[0]
	var s Shape
	switch el.Name.Local {
	case "circle":
		a, err := attrs(el, "cx", "cy")
		if err != nil {
			return Shape{}, err
		}
		if want == ShapeEllipse {
			r, err := attrs(el, "r")
			if err != nil {
				return Shape{}, err
			}
			s = Shape{Type: ShapeEllipse, Points: [][2]float64{{a["cx"], a["cy"]}}, RX: r["r"], RY: r["r"]}
		} else {
			s = Shape{Type: ShapePoint, Points: [][2]float64{{a["cx"], a["cy"]}}}
		}
	case "ellipse":
		a, err := attrs(el, "cx", "cy", "rx", "ry")
		if err != nil {
			return Shape{}, err
		}
		s = Shape{Type: ShapeEllipse, Points: [][2]float64{{a["cx"], a["cy"]}}, RX: a["rx"], RY: a["ry"]}
	case "rect":
		a, err := attrs(el, "x", "y", "width", "height")
		if err != nil {
			return Shape{}, err
		}
		s = Shape{Type: ShapeRect, Points: [][2]float64{{a["x"], a["y"]}, {a["x"] + a["width"], a["y"] + a["height"]}}}
	case "line":
		a, err := attrs(el, "x1", "y1", "x2", "y2")
		if err != nil {
			return Shape{}, err
		}
		s = Shape{Type: ShapeLine, Points: [][2]float64{{a["x1"], a["y1"]}, {a["x2"], a["y2"]}}}
	case "polyline", "polygon":
		pts, err := pointList(el)
		if err != nil {
			return Shape{}, err
		}
		s = Shape{Type: el.Name.Local, Points: pts}
	default:
		return Shape{}, invalidShape("planreview.error.shape", fmt.Errorf("<%s>", el.Name.Local))
	}
	if s.Type != want {
		return Shape{}, invalidShape("planreview.error.shape", fmt.Errorf("%s for a %s", s.Type, kind))
	}
	return s, s.check(kind)
}

// attrs reads the named attributes of el as finite numbers.
func attrs(el xml.StartElement, names ...string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, n := range names {
		found := false
		for _, a := range el.Attr {
			if a.Name.Local == n && a.Name.Space == "" {
				v, err := number(a.Value)
				if err != nil {
					return nil, err
				}
				out[n], found = v, true
			}
		}
		if !found {
			return nil, invalidShape("planreview.error.svg", fmt.Errorf("<%s> without %s", el.Name.Local, n))
		}
	}
	return out, nil
}

func number(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e7 {
		return 0, invalidShape("planreview.error.svg", fmt.Errorf("bad number %q", s))
	}
	return v, nil
}

// pointList reads a points attribute: "x,y x,y …" (commas or spaces).
func pointList(el xml.StartElement) ([][2]float64, error) {
	var raw string
	for _, a := range el.Attr {
		if a.Name.Local == "points" && a.Name.Space == "" {
			raw = a.Value
		}
	}
	fields := strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	if len(fields)%2 != 0 || len(fields) == 0 {
		return nil, invalidShape("planreview.error.svg", fmt.Errorf("points %q", raw))
	}
	if len(fields)/2 > maxPoints {
		return nil, invalidShape("planreview.error.too_many_points", fmt.Errorf("%d points", len(fields)/2))
	}
	out := make([][2]float64, 0, len(fields)/2)
	for i := 0; i < len(fields); i += 2 {
		x, err := number(fields[i])
		if err != nil {
			return nil, err
		}
		y, err := number(fields[i+1])
		if err != nil {
			return nil, err
		}
		out = append(out, [2]float64{x, y})
	}
	return out, nil
}

// check normalises s and refuses what its kind cannot be: too few points,
// an empty rectangle or ellipse, an angle not of three points.
func (s *Shape) check(kind string) error {
	n := len(s.Points)
	if n > maxPoints {
		return invalidShape("planreview.error.too_many_points", fmt.Errorf("%d points", n))
	}
	bad := func(why string) error { return invalidShape("planreview.error.shape", errors.New(why)) }
	switch s.Type {
	case ShapePoint:
		if n != 1 {
			return bad("a point is one point")
		}
	case ShapeLine:
		if n != 2 || s.Points[0] == s.Points[1] {
			return invalidShape("planreview.error.degenerate", errors.New("a line of no length"))
		}
	case ShapeRect:
		a, b := s.Points[0], s.Points[1]
		s.Points = [][2]float64{{math.Min(a[0], b[0]), math.Min(a[1], b[1])}, {math.Max(a[0], b[0]), math.Max(a[1], b[1])}}
		if s.Points[0][0] == s.Points[1][0] || s.Points[0][1] == s.Points[1][1] {
			return invalidShape("planreview.error.degenerate", errors.New("an empty rectangle"))
		}
	case ShapeEllipse:
		if s.RX <= 0 || s.RY <= 0 {
			return invalidShape("planreview.error.degenerate", errors.New("an empty ellipse"))
		}
	case ShapePolyline:
		if n < 2 {
			return bad("a polyline of one point")
		}
		if kind == "angle" && n != 3 {
			return invalidShape("planreview.error.angle", fmt.Errorf("an angle of %d points", n))
		}
	case ShapePolygon:
		// A closing point equal to the first is dropped: SVG closes.
		if n > 1 && s.Points[0] == s.Points[n-1] {
			s.Points = s.Points[:n-1]
		}
		if len(s.Points) < 3 {
			return invalidShape("planreview.error.degenerate", errors.New("a polygon of fewer than three points"))
		}
	case ShapePoints:
		if n < 1 {
			return bad("a count of nothing")
		}
	}
	return nil
}

// Within reports whether every point of s (an ellipse: its box) lies in
// box [x0 y0 x1 y1].
func (s Shape) Within(box [4]float64) bool {
	in := func(x, y float64) bool { return x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3] }
	for _, p := range s.Points {
		if s.Type == ShapeEllipse {
			if !in(p[0]-s.RX, p[1]-s.RY) || !in(p[0]+s.RX, p[1]+s.RY) {
				return false
			}
			continue
		}
		if !in(p[0], p[1]) {
			return false
		}
	}
	return true
}

// Bounds is the smallest box [x0 y0 x1 y1] holding s.
func (s Shape) Bounds() [4]float64 {
	b := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range s.Points {
		rx, ry := 0.0, 0.0
		if s.Type == ShapeEllipse {
			rx, ry = s.RX, s.RY
		}
		b[0], b[1] = math.Min(b[0], p[0]-rx), math.Min(b[1], p[1]-ry)
		b[2], b[3] = math.Max(b[2], p[0]+rx), math.Max(b[3], p[1]+ry)
	}
	return b
}

// SVG is s as an SvgSelector's value.
func (s Shape) SVG() string {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg">`)
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	list := func() string {
		parts := make([]string, len(s.Points))
		for i, p := range s.Points {
			parts[i] = f(p[0]) + "," + f(p[1])
		}
		return strings.Join(parts, " ")
	}
	switch s.Type {
	case ShapePoint, ShapePoints:
		for _, p := range s.Points {
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="4"/>`, f(p[0]), f(p[1]))
		}
	case ShapeLine:
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s"/>`, f(s.Points[0][0]), f(s.Points[0][1]), f(s.Points[1][0]), f(s.Points[1][1]))
	case ShapeRect:
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s"/>`, f(s.Points[0][0]), f(s.Points[0][1]),
			f(s.Points[1][0]-s.Points[0][0]), f(s.Points[1][1]-s.Points[0][1]))
	case ShapeEllipse:
		fmt.Fprintf(&b, `<ellipse cx="%s" cy="%s" rx="%s" ry="%s"/>`, f(s.Points[0][0]), f(s.Points[0][1]), f(s.RX), f(s.RY))
	case ShapePolygon, ShapePolyline:
		fmt.Fprintf(&b, `<%s points="%s"/>`, s.Type, list())
	}
	b.WriteString(`</svg>`)
	return b.String()
}
