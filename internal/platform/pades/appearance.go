package pades

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"unicode"

	"github.com/boombuler/barcode/qr"

	"madina/internal/platform/pdf"
)

// Appearance is a visible signature block: a framed box with text lines
// (Arabic right-aligned and shaped, French left-aligned, by package pdf's
// writer) and, with a URL, a QR code to it at the left.
type Appearance struct {
	// Page is the page, from 1; 0 is the last page.
	Page int
	// X, Y, W, H place the block in points from the page's bottom-left
	// corner; zero W or H give 260 × 72; zero X and Y put it at the
	// page's bottom right, half an inch from the edges.
	X, Y, W, H float64
	// Lines are the block's text lines, drawn from the top; none gives
	// the signer's name in Arabic and French and the claimed time.
	Lines []string
	// URL, if set, is drawn as a QR code (error correction level M).
	URL string
}

// maxURL bounds the QR code's content: a verification address is short.
const maxURL = 512

// build draws the block as a one-page PDF with package pdf's writer and
// imports that page as the widget's appearance (a form XObject), with the
// objects its resources use (the embedded font subsets) renumbered into
// the update.
func (ap *Appearance) build(r *pdf.Reader, page pdf.Dict, s Signer, opts Options, alloc func() int64) ([]any, []byte, map[int64][]byte, error) {
	w, h := ap.W, ap.H
	if w <= 0 || h <= 0 {
		w, h = 260, 72
	}
	if w > 2000 || h > 2000 {
		return nil, nil, nil, errors.New("pades: the signature block is larger than a page")
	}
	if len(ap.URL) > maxURL {
		return nil, nil, nil, errors.New("pades: the verification address is too long for a QR code")
	}
	lines := ap.Lines
	if len(lines) == 0 {
		name := opts.Name
		if name == "" {
			name = s.Cert.Subject.CommonName
		}
		t := opts.Time.UTC()
		lines = []string{
			"وقّعه إلكترونيًا " + name,
			"Signé électroniquement par " + name,
			fmt.Sprintf("Le %s à %s UTC", t.Format("02/01/2006"), t.Format("15:04")),
		}
	}

	d := pdf.New(pdf.Options{Size: pdf.Size{W: w, H: h}, Lang: "ar"})
	d.AddPage()
	d.FillRect(pdf.Rect{X: 0, Y: 0, W: w, H: h}, 1)
	d.Rect(pdf.Rect{X: 0.5, Y: 0.5, W: w - 1, H: h - 1}, 0.8)
	const pad = 4.0
	left := pad
	if ap.URL != "" {
		code, err := qr.Encode(ap.URL, qr.M, qr.Auto)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("pades: QR code: %w", err)
		}
		side := h - 2*pad
		n := code.Bounds().Dx()
		m := side / float64(n+4) // two modules of quiet zone each side
		x0, y0 := pad+2*m, pad+2*m
		for y := 0; y < n; y++ {
			for x := 0; x < n; {
				if !dark(code.At(code.Bounds().Min.X+x, code.Bounds().Min.Y+y)) {
					x++
					continue
				}
				run := 1
				for x+run < n && dark(code.At(code.Bounds().Min.X+x+run, code.Bounds().Min.Y+y)) {
					run++
				}
				// A hair wider than the module so that neighbours meet.
				d.FillRect(pdf.Rect{X: x0 + float64(x)*m, Y: y0 + float64(y)*m, W: float64(run)*m + 0.05, H: m + 0.05}, 0)
				x += run
			}
		}
		left = pad + side + pad
	}
	// One size for all lines: at most 9 points, the lines fitting the
	// height and the widest fitting the width.
	size := min(9, (h-2*pad)/(pdf.LineHeight(1)*float64(len(lines))))
	for i, l := range lines {
		if lw := d.Width(l, size, i == 0); lw > w-pad-left {
			size *= (w - pad - left) / lw
		}
	}
	for i, l := range lines {
		y := pad + size + float64(i)*pdf.LineHeight(size)
		if arabic(l) {
			d.TextRight(w-pad, y, size, i == 0, l)
		} else {
			d.Text(left, y, size, i == 0, l)
		}
	}
	var buf bytes.Buffer
	if _, err := d.WriteTo(&buf); err != nil {
		return nil, nil, nil, fmt.Errorf("pades: signature block: %w", err)
	}

	src, err := pdf.NewReader(buf.Bytes())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("pades: signature block: %w", err)
	}
	pages, err := src.Pages(1)
	if err != nil {
		return nil, nil, nil, err
	}
	pg, _ := src.Get(pages[0]).(pdf.Dict)
	cref, ok := pg["Contents"].(pdf.Ref)
	if !ok {
		return nil, nil, nil, errors.New("pades: signature block: no content stream")
	}
	cd, content, ok, err := src.RawStream(cref)
	if err != nil || !ok {
		return nil, nil, nil, fmt.Errorf("pades: signature block content: %v", err)
	}
	c := &copier{src: src, alloc: alloc, done: map[int64]int64{}, objs: map[int64][]byte{}}
	res, err := c.copy(pg["Resources"])
	if err != nil {
		return nil, nil, nil, err
	}
	form := pdf.Dict{
		"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"),
		"BBox": []any{0.0, 0.0, w, h}, "Resources": res,
	}
	if f, ok := cd["Filter"]; ok {
		form["Filter"] = f
	}
	x, y := ap.X, ap.Y
	if x == 0 && y == 0 {
		box := [4]float64{0, 0, pdf.A4.W, pdf.A4.H}
		if mb, ok := r.Get(page["MediaBox"]).([]any); ok && len(mb) == 4 {
			for i, v := range mb {
				switch n := r.Get(v).(type) {
				case int64:
					box[i] = float64(n)
				case float64:
					box[i] = n
				}
			}
		}
		x, y = box[2]-w-36, box[1]+36
	}
	rect := []any{x, y, x + w, y + h}
	return rect, pdf.EncodeStream(form, content), c.objs, nil
}

func dark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x8000
}

func arabic(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Arabic, r) {
			return true
		}
	}
	return false
}

// copier copies objects from another file into the update, giving each
// a new number.
type copier struct {
	src   *pdf.Reader
	alloc func() int64
	done  map[int64]int64
	objs  map[int64][]byte
	depth int
}

func (c *copier) copy(v any) (any, error) {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > 64 {
		return nil, errors.New("pades: objects nested too deeply")
	}
	switch x := v.(type) {
	case pdf.Ref:
		if n, ok := c.done[x.Num()]; ok {
			return pdf.MakeRef(n), nil
		}
		n := c.alloc()
		c.done[x.Num()] = n
		d, data, isStream, err := c.src.RawStream(x)
		if err != nil {
			return nil, err
		}
		if isStream {
			delete(d, "Length")
			d2, err := c.copy(d)
			if err != nil {
				return nil, err
			}
			c.objs[n] = pdf.EncodeStream(d2.(pdf.Dict), data)
			return pdf.MakeRef(n), nil
		}
		obj, err := c.src.Object(x)
		if err != nil {
			return nil, err
		}
		obj2, err := c.copy(obj)
		if err != nil {
			return nil, err
		}
		c.objs[n] = pdf.Encode(obj2)
		return pdf.MakeRef(n), nil
	case pdf.Dict:
		out := pdf.Dict{}
		for k, e := range x {
			e2, err := c.copy(e)
			if err != nil {
				return nil, err
			}
			out[k] = e2
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			e2, err := c.copy(e)
			if err != nil {
				return nil, err
			}
			out[i] = e2
		}
		return out, nil
	}
	return v, nil
}
