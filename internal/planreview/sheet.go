package planreview

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"madina/internal/platform/errs"
	"madina/internal/platform/pdf"
)

// maxPages bounds the pages read from one sheet.
const maxPages = 2000

// ReadPages reads the pages of a PDF sheet held in data: each page's crop
// box (else media box, both inherited through the page tree), rotation,
// user unit, and the scale of its own measurement dictionary when it has
// one (ISO 32000 §12.9: a /VP viewport with a rectilinear /Measure). A
// damaged or encrypted file is refused with the platform's messages, a
// file with no page with planreview.error.no_pages.
func ReadPages(data []byte) ([]Page, error) {
	r, err := pdf.NewReader(data)
	if err != nil {
		return nil, err // error.pdf.corrupt or error.pdf.encrypted
	}
	if n, ok := pageCount(r); ok && n == 0 {
		return nil, errs.E(errs.Invalid, "planreview.error.no_pages").Cause(errors.New("the page tree counts no page"))
	}
	refs, err := r.Pages(maxPages)
	if err != nil {
		if strings.Contains(err.Error(), "no page") {
			return nil, errs.E(errs.Invalid, "planreview.error.no_pages").Cause(err)
		}
		return nil, errs.E(errs.Invalid, "error.pdf.corrupt").Cause(err)
	}
	out := make([]Page, 0, len(refs))
	for i, ref := range refs {
		d, ok := r.Get(ref).(pdf.Dict)
		if !ok {
			return nil, errs.E(errs.Invalid, "error.pdf.corrupt").Cause(fmt.Errorf("page %d is not a dictionary", i+1))
		}
		p := Page{N: i + 1, UserUnit: 1}
		box, ok := rect(r, inherited(r, d, "CropBox"))
		if !ok {
			box, ok = rect(r, inherited(r, d, "MediaBox"))
		}
		if !ok {
			return nil, errs.E(errs.Invalid, "error.pdf.corrupt").Cause(fmt.Errorf("page %d has no media box", i+1))
		}
		p.Box = box
		if rot, ok := num(r.Get(inherited(r, d, "Rotate"))); ok {
			p.Rotate = ((int(rot)%360 + 360) % 360) / 90 * 90
		}
		if u, ok := num(r.Get(d["UserUnit"])); ok && u > 0 && u < 75000 {
			p.UserUnit = u
		}
		p.Measure, p.Ratio = measureOf(r, d)
		out = append(out, p)
	}
	return out, nil
}

// pageCount is the page tree's /Count.
func pageCount(r *pdf.Reader) (int64, bool) {
	cat, ok := r.Get(r.Root()).(pdf.Dict)
	if !ok {
		return 0, false
	}
	pages, ok := r.Get(cat["Pages"]).(pdf.Dict)
	if !ok {
		return 0, false
	}
	n, ok := num(r.Get(pages["Count"]))
	return int64(n), ok
}

// inherited is key of page d, or of its nearest ancestor that has it.
func inherited(r *pdf.Reader, d pdf.Dict, key pdf.Name) any {
	for depth := 0; d != nil && depth < 32; depth++ {
		if v, ok := d[key]; ok {
			return v
		}
		d, _ = r.Get(d["Parent"]).(pdf.Dict)
	}
	return nil
}

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, false
		}
		return x, true
	}
	return 0, false
}

// rect reads a PDF rectangle, normalised to lower-left, upper-right.
func rect(r *pdf.Reader, v any) ([4]float64, bool) {
	a, ok := r.Get(v).([]any)
	if !ok || len(a) != 4 {
		return [4]float64{}, false
	}
	var b [4]float64
	for i := range a {
		f, ok := num(r.Get(a[i]))
		if !ok {
			return [4]float64{}, false
		}
		b[i] = f
	}
	b = [4]float64{math.Min(b[0], b[2]), math.Min(b[1], b[3]), math.Max(b[0], b[2]), math.Max(b[1], b[3])}
	if b[2]-b[0] <= 0 || b[3]-b[1] <= 0 {
		return [4]float64{}, false
	}
	return b, true
}

// unitsMetres are the units a measurement dictionary's number format may
// name, in metres.
var unitsMetres = map[string]float64{
	"m": 1, "metre": 1, "metres": 1, "meter": 1, "meters": 1, "mètre": 1, "mètres": 1,
	"cm": 0.01, "mm": 0.001, "km": 1000,
	"ft": 0.3048, "feet": 0.3048, "foot": 0.3048, "'": 0.3048,
	"in": 0.0254, "inch": 0.0254, "inches": 0.0254, "\"": 0.0254,
	"yd": 0.9144, "mi": 1609.344,
}

// measureOf reads the scale of page d's first rectilinear viewport
// measure: the first number format's conversion factor /C (its unit per
// user-space unit) times its unit /U in metres, and the dictionary's
// own wording /R. 0 when there is none, or its unit is unknown.
func measureOf(r *pdf.Reader, d pdf.Dict) (float64, string) {
	vps, ok := r.Get(d["VP"]).([]any)
	if !ok {
		return 0, ""
	}
	for _, v := range vps {
		vp, ok := r.Get(v).(pdf.Dict)
		if !ok {
			continue
		}
		m, ok := r.Get(vp["Measure"]).(pdf.Dict)
		if !ok {
			continue
		}
		if st := m["Subtype"]; st != nil && st != pdf.Name("RL") {
			continue // a geospatial measure: no single scale
		}
		xs, ok := r.Get(m["X"]).([]any)
		if !ok || len(xs) == 0 {
			continue
		}
		nf, ok := r.Get(xs[0]).(pdf.Dict)
		if !ok {
			continue
		}
		c, ok := num(r.Get(nf["C"]))
		unit := strings.ToLower(strings.TrimSpace(pdf.Text(r.Get(nf["U"]))))
		per, known := unitsMetres[unit]
		if !ok || !known || c <= 0 {
			continue
		}
		return c * per, pdf.Text(r.Get(m["R"]))
	}
	return 0, ""
}
