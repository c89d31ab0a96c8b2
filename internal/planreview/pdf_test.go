package planreview

import (
	"bytes"
	"fmt"
	"strings"
)

// testPDF writes a PDF by hand: a catalogue, a page tree whose node
// carries treeExtra (inherited keys), and one page per entry of pages
// (the page dictionary's own keys), with trailerExtra in the trailer.
func testPDF(treeExtra string, pages []string, trailerExtra string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", i+3)
	}
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>",
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d %s >>", strings.Join(kids, " "), len(pages), treeExtra)}
	for _, p := range pages {
		objs = append(objs, "<< /Type /Page /Parent 2 0 R "+p+" >>")
	}
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
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, trailerExtra, xref)
	return b.Bytes()
}

// A0 landscape, in points.
const a0 = "[0 0 3370 2384]"

// measure100 is a rectilinear measure dictionary of 1:100 in metres: one
// point on paper (0.0254/72 m) is 100 times that on the ground.
const measure100 = `/VP [<< /Type /Viewport /BBox [0 0 3370 2384] /Measure << /Type /Measure /Subtype /RL /R (1 cm = 1 m)
	/X [<< /Type /NumberFormat /U (m) /C 0.035277777777777776 >>] >> >>]`

// sheetPDF is a two-page A0 sheet: page 1 with the PDF's own scale 1:100,
// page 2 turned and without a scale.
func sheetPDF() []byte {
	return testPDF("/MediaBox "+a0, []string{measure100, "/Rotate 90"}, "")
}
