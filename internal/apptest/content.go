package apptest

import (
	"bytes"
	"fmt"
	"image"
	"image/png"

	"madina/internal/platform/pdf"
)

// TinyPDF is a one-page PDF from Madina's own writer; note makes each
// one's bytes different.
func TinyPDF(note string) []byte {
	d := pdf.New(pdf.Options{})
	d.Text(72, 72, 12, false, note)
	var b bytes.Buffer
	if _, err := d.WriteTo(&b); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// TinyPNG is a real PNG image.
func TinyPNG() []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2)))
	return b.Bytes()
}

// OnePagePDF is a well-formed one-page PDF written by hand (no text).
func OnePagePDF() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"}
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
