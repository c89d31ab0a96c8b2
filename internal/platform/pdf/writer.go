// Package pdf checks uploaded PDFs and writes the city's own.
//
// Inspect tells whether an upload is a PDF the city can keep: not
// truncated, not damaged, not locked by a password. It reads only the
// header, the tail and the cross-reference sections, so a 200 MB plan costs
// a few kilobytes of memory.
//
// Document writes small PDF 1.7 files — receipts, demo plans — with proper
// Arabic: text is split by the Unicode bidirectional algorithm, shaped by
// HarfBuzz (go-text/typesetting) so that letters join and lam-alef forms
// its ligature, and laid out right to left with numbers and Latin file
// numbers kept left to right. DejaVu Sans (regular and bold) is embedded as
// a subset, with a /ToUnicode map so that the text can be searched and
// copied. The same inputs always give the same bytes.
package pdf

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	gobidi "github.com/go-text/typesetting/bidi"
	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/shaping"
)

// Size is a page size in points (1/72 inch), width × height.
type Size struct{ W, H float64 }

// Page sizes.
var (
	A4          = Size{595.28, 841.89}   // portrait, the default
	A3Landscape = Size{1190.55, 841.89}  // for plans
	A0          = Size{2383.94, 3370.39} // portrait, 841 × 1189 mm: the largest plan sheets
)

// Rect is a rectangle in page coordinates: X, Y its top-left corner, W, H
// its width and height, in points.
type Rect struct{ X, Y, W, H float64 }

// Options describe a document. Zero values take the defaults.
type Options struct {
	Title, Author, Subject string    // document information, shown by readers
	Lang                   string    // BCP 47 language of the text; default "ar"
	Size                   Size      // page size; default A4 portrait
	CreationDate           time.Time // recorded as is; zero records none
}

// Document is a PDF being built, page after page. Coordinates are in points
// from the top-left corner of the page, y growing downwards; text is placed
// by its baseline. A Document is not safe for concurrent use; separate
// Documents are.
type Document struct {
	opts  Options
	size  Size
	lang  language.Language
	err   error // from loading the fonts; returned by WriteTo
	pages []*bytes.Buffer
	fonts [2]*docFont // regular, bold
	used  [2]bool     // fonts drawn with

	// Shaping state, reused from line to line.
	bidi   gobidi.Paragraph
	seg    shaping.Segmenter
	shaper shaping.HarfbuzzShaper
}

// New starts a document with no pages; AddPage starts one (drawing before
// the first AddPage starts one too).
func New(opts Options) *Document {
	if opts.Lang == "" {
		opts.Lang = "ar"
	}
	if opts.Size.W <= 0 || opts.Size.H <= 0 {
		opts.Size = A4
	}
	d := &Document{opts: opts, size: opts.Size, lang: language.NewLanguage(opts.Lang)}
	fonts, err := loadFonts()
	if err != nil {
		d.err = err
		return d
	}
	for k, f := range fonts {
		d.fonts[k] = &docFont{data: f, face: font.NewFace(f.font), text: map[font.GID]string{}}
	}
	return d
}

// Size returns the page size.
func (d *Document) Size() Size { return d.size }

// AddPage starts a new page; what follows is drawn on it.
func (d *Document) AddPage() { d.pages = append(d.pages, new(bytes.Buffer)) }

// page returns the content of the current page.
func (d *Document) page() *bytes.Buffer {
	if len(d.pages) == 0 {
		d.AddPage()
	}
	return d.pages[len(d.pages)-1]
}

// LineHeight is the distance between the baselines of two lines of text
// of the given size, as Paragraph sets them.
func LineHeight(size float64) float64 { return 1.5 * size }

func (d *Document) font(bold bool) (*docFont, int) {
	k := 0
	if bold {
		k = 1
	}
	return d.fonts[k], k
}

// Width returns the width of s set on one line.
func (d *Document) Width(s string, size float64, bold bool) float64 {
	if d.err != nil {
		return 0
	}
	f, _ := d.font(bold)
	return d.layout(f, s, autoLTR).width * size / f.data.upem
}

// Text draws s on one line with its left end at x and its baseline at y.
// The line's direction follows its first letter: an Arabic line reads right
// to left, a French one left to right, and numbers and Latin words stay
// left to right in both (Unicode bidirectional algorithm). Start s with
// U+200F (right-to-left mark) to make a line that begins with a Latin word
// read as Arabic. Inside Arabic text the algorithm reorders the parts of a
// number joined by hyphens, as browsers do ("2026-03-02" shows as
// 02-03-2026 read left to right); write dates with slashes, or wrap them
// in U+2066 … U+2069 (left-to-right isolate), to keep them in order.
func (d *Document) Text(x, y, size float64, bold bool, s string) {
	d.text(x, y, size, bold, s, autoLTR, false)
}

// TextRight is Text with the line's right end at xRight, as Arabic lines
// are aligned. A line without letters reads right to left.
func (d *Document) TextRight(xRight, y, size float64, bold bool, s string) {
	d.text(xRight, y, size, bold, s, autoRTL, true)
}

func (d *Document) text(x, y, size float64, bold bool, s string, dir direction, right bool) {
	if d.err != nil {
		return
	}
	f, k := d.font(bold)
	l := d.layout(f, s, dir)
	if right {
		x -= l.width * size / f.data.upem
	}
	d.draw(l, f, k, x, y, size)
}

// Paragraph wraps s between the left and right edges of box, breaking
// lines at spaces and at "\n", with the first baseline one font ascent
// below box.Y and the others LineHeight(size) apart. Right-to-left
// paragraphs are aligned on the right edge and left-to-right ones on the
// left. A word wider than the box stands alone on its line and overflows.
// box.H is not enforced: Paragraph returns the height it used, for the
// caller to place what follows or start a new page.
func (d *Document) Paragraph(box Rect, size float64, bold bool, s string, rtl bool) float64 {
	if d.err != nil {
		return 0
	}
	f, k := d.font(bold)
	dir, x := forceLTR, box.X
	if rtl {
		dir, x = forceRTL, box.X+box.W
	}
	scale := size / f.data.upem
	var lines []line
	for _, para := range strings.Split(s, "\n") {
		words := strings.Fields(para)
		if len(words) == 0 {
			lines = append(lines, line{})
			continue
		}
		cur := words[0]
		curLine := d.layout(f, cur, dir)
		for _, w := range words[1:] {
			next := d.layout(f, cur+" "+w, dir)
			if next.width*scale <= box.W {
				cur, curLine = cur+" "+w, next
				continue
			}
			lines = append(lines, curLine)
			cur, curLine = w, d.layout(f, w, dir)
		}
		lines = append(lines, curLine)
	}
	y := box.Y + float64(f.data.ascent)*scale
	for _, l := range lines {
		lx := x
		if rtl {
			lx -= l.width * scale
		}
		d.draw(l, f, k, lx, y, size)
		y += LineHeight(size)
	}
	return float64(len(lines)) * LineHeight(size)
}

// draw writes a shaped line to the page. Glyphs are shown by ID (the
// fonts use Identity-H). The glyphs on the baseline go first, in one TJ
// whose adjustments move each glyph from the font's advance to its shaped
// position (kerning, zero-width marks); marks that the shaper raised or
// lowered follow, each at its own position. Text extractors thus find the
// letters of a word together on one baseline.
func (d *Document) draw(l line, f *docFont, k int, x, y, size float64) {
	if len(l.glyphs) == 0 {
		return
	}
	d.used[k] = true
	for _, t := range l.texts {
		f.note(t.gid, t.text)
	}
	b := d.page()
	fmt.Fprintf(b, "BT\n/F%d %s Tf\n", k+1, num(size))
	scale := size / f.data.upem
	baseY := d.size.H - y
	started := false
	var pos, startX float64 // pos: where the next glyph would go, in thousandths of the size from startX
	for _, g := range l.glyphs {
		if g.y != 0 {
			continue
		}
		if !started {
			fmt.Fprintf(b, "1 0 0 1 %s %s Tm\n[<", num(x+g.x*scale), num(baseY))
			started, startX = true, g.x
		} else {
			want := (g.x - startX) * 1000 / f.data.upem
			if adj := roundTo(pos-want, 2); adj != 0 {
				fmt.Fprintf(b, "> %s <", num(adj))
				pos -= adj
			}
		}
		fmt.Fprintf(b, "%04X", uint16(g.gid))
		pos += f.data.width(g.gid)
	}
	if started {
		b.WriteString(">] TJ\n")
	}
	for _, g := range l.glyphs {
		if g.y != 0 {
			fmt.Fprintf(b, "1 0 0 1 %s %s Tm\n<%04X> Tj\n", num(x+g.x*scale), num(baseY+g.y*scale), uint16(g.gid))
		}
	}
	b.WriteString("ET\n")
}

// Line draws a line from (x1, y1) to (x2, y2), width points thick.
func (d *Document) Line(x1, y1, x2, y2, width float64) {
	fmt.Fprintf(d.page(), "q %s w %s %s m %s %s l S Q\n", num(width),
		num(x1), num(d.size.H-y1), num(x2), num(d.size.H-y2))
}

// Polyline draws the line through pts, each {x, y}, width points thick;
// closed joins the last point to the first. Fewer than two points draw
// nothing.
func (d *Document) Polyline(pts [][2]float64, width float64, closed bool) {
	if len(pts) < 2 {
		return
	}
	b := d.page()
	fmt.Fprintf(b, "q %s w %s %s m", num(width), num(pts[0][0]), num(d.size.H-pts[0][1]))
	for _, p := range pts[1:] {
		fmt.Fprintf(b, " %s %s l", num(p[0]), num(d.size.H-p[1]))
	}
	if closed {
		b.WriteString(" h")
	}
	b.WriteString(" S Q\n")
}

// Segments draws separate straight segments, each {x1, y1, x2, y2}, as
// one path stroked once, width points thick: how drawing programs write
// hatching, ticks and the many short lines of a detailed plan.
func (d *Document) Segments(segs [][4]float64, width float64) {
	if len(segs) == 0 {
		return
	}
	b := d.page()
	fmt.Fprintf(b, "q %s w", num(width))
	for _, s := range segs {
		fmt.Fprintf(b, " %s %s m %s %s l", num(s[0]), num(d.size.H-s[1]), num(s[2]), num(d.size.H-s[3]))
	}
	b.WriteString(" S Q\n")
}

// Rect draws the outline of r, width points thick.
func (d *Document) Rect(r Rect, width float64) {
	fmt.Fprintf(d.page(), "q %s w %s re S Q\n", num(width), d.re(r))
}

// FillRect fills r with a gray from 0 (black) to 1 (white).
func (d *Document) FillRect(r Rect, gray float64) {
	fmt.Fprintf(d.page(), "q %s g %s re f Q\n", num(min(1, max(0, gray))), d.re(r))
}

func (d *Document) re(r Rect) string {
	return num(r.X) + " " + num(d.size.H-r.Y-r.H) + " " + num(r.W) + " " + num(r.H)
}

// roundTo rounds v to the given number of decimals.
func roundTo(v float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(v*p) / p
}

// num formats a number for a content stream: at most three decimals, no
// exponent, and 0 for what is not a finite number.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e9 {
		v = 0
	}
	v = roundTo(v, 3)
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// WriteTo writes the document as PDF 1.7. It may be called more than once;
// the same document always gives the same bytes.
func (d *Document) WriteTo(w io.Writer) (int64, error) {
	if d.err != nil {
		return 0, d.err
	}
	var out objWriter
	out.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

	pages := d.pages
	if len(pages) == 0 {
		pages = []*bytes.Buffer{new(bytes.Buffer)}
	}
	// Object numbers: 1 catalogue, 2 page tree, 3 information, then a page
	// and its content for each page, then five objects for each font used.
	const catalog, pageTree, info = 1, 2, 3
	pageObj := func(i int) int { return 4 + 2*i }
	next := 4 + 2*len(pages)
	var fontObj [2]int
	var resources strings.Builder
	resources.WriteString("<< /Font <<")
	for k := range d.fonts {
		if d.used[k] {
			fontObj[k] = next
			next += 5
			fmt.Fprintf(&resources, " /F%d %d 0 R", k+1, fontObj[k])
		}
	}
	resources.WriteString(" >> >>")
	out.offsets = make([]int, next-1)

	var cat strings.Builder
	fmt.Fprintf(&cat, "<< /Type /Catalog /Pages %d 0 R /Lang %s", pageTree, textString(d.opts.Lang))
	cat.WriteString(" /ViewerPreferences << /DisplayDocTitle true")
	if d.lang.Primary() == "ar" {
		cat.WriteString(" /Direction /R2L")
	}
	cat.WriteString(" >> >>")
	out.object(catalog, cat.String())

	var kids strings.Builder
	for i := range pages {
		if i > 0 {
			kids.WriteByte(' ')
		}
		fmt.Fprintf(&kids, "%d 0 R", pageObj(i))
	}
	out.object(pageTree, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids.String(), len(pages)))

	var inf strings.Builder
	inf.WriteString("<<")
	for _, kv := range [][2]string{{"Title", d.opts.Title}, {"Author", d.opts.Author}, {"Subject", d.opts.Subject}} {
		if kv[1] != "" {
			fmt.Fprintf(&inf, " /%s %s", kv[0], textString(kv[1]))
		}
	}
	inf.WriteString(" /Producer (Madina)")
	if t := d.opts.CreationDate; !t.IsZero() {
		fmt.Fprintf(&inf, " /CreationDate %s", textString(pdfDate(t)))
	}
	inf.WriteString(" >>")
	out.object(info, inf.String())

	for i, content := range pages {
		out.object(pageObj(i), fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources %s /Contents %d 0 R >>",
			pageTree, num(d.size.W), num(d.size.H), resources.String(), pageObj(i)+1))
		out.stream(pageObj(i)+1, "", content.Bytes())
	}
	for k, f := range d.fonts {
		if d.used[k] {
			f.write(&out, fontObj[k])
		}
	}

	// The file identifier is a hash of the body: the same document, the
	// same identifier.
	sum := sha256.Sum256(out.buf.Bytes())
	id := fmt.Sprintf("%X", sum[:16])
	xref := out.buf.Len()
	fmt.Fprintf(&out.buf, "xref\n0 %d\n0000000000 65535 f\r\n", next)
	for _, off := range out.offsets {
		fmt.Fprintf(&out.buf, "%010d 00000 n\r\n", off)
	}
	fmt.Fprintf(&out.buf, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n",
		next, catalog, info, id, id, xref)
	return out.buf.WriteTo(w)
}

// pdfDate formats t as a PDF date, D:YYYYMMDDHHmmSS+HH'mm'.
func pdfDate(t time.Time) string {
	s := t.Format("D:20060102150405")
	_, off := t.Zone()
	if off == 0 {
		return s + "Z"
	}
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%s%c%02d'%02d'", s, sign, off/3600, off%3600/60)
}

// textString encodes s as a PDF text string: a literal for printable
// ASCII, else UTF-16BE with a byte order mark, in hexadecimal.
func textString(s string) string {
	ascii := true
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
		return "(" + r.Replace(s) + ")"
	}
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}

// objWriter writes numbered objects and remembers where each starts.
type objWriter struct {
	buf     bytes.Buffer
	offsets []int // of object n at n-1
}

func (w *objWriter) object(n int, body string) {
	w.offsets[n-1] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", n, body)
}

// stream writes a Flate-compressed stream object; extra holds further
// dictionary entries.
func (w *objWriter) stream(n int, extra string, data []byte) {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(data)
	zw.Close()
	w.offsets[n-1] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< /Length %d /Filter /FlateDecode%s >>\nstream\n", n, z.Len(), extra)
	w.buf.Write(z.Bytes())
	w.buf.WriteString("\nendstream\nendobj\n")
}

// write writes the five objects of a font used by the document, numbered
// from n: the Type0 font, its CIDFontType2 descendant, the font
// descriptor, the subset font program and the /ToUnicode map.
func (f *docFont) write(w *objWriter, n int) {
	gids := make([]font.GID, 0, len(f.text))
	for g := range f.text {
		gids = append(gids, g)
	}
	slices.Sort(gids)
	program, subsetTag := f.data.subset(gids)
	name := subsetTag + "+" + f.data.psName
	fd := f.data
	per := func(v int16) string { return num(roundTo(float64(v)*1000/fd.upem, 0)) }

	w.object(n, fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>",
		name, n+1, n+4))

	var widths strings.Builder
	widths.WriteString("[")
	for i := 0; i < len(gids); {
		j := i + 1
		for j < len(gids) && gids[j] == gids[j-1]+1 {
			j++
		}
		fmt.Fprintf(&widths, " %d [", gids[i])
		for k, g := range gids[i:j] {
			if k > 0 {
				widths.WriteByte(' ')
			}
			widths.WriteString(num(fd.width(g)))
		}
		widths.WriteString("]")
		i = j
	}
	widths.WriteString(" ]")
	w.object(n+1, fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW %s /W %s /CIDToGIDMap /Identity >>",
		name, n+2, num(fd.width(0)), widths.String()))

	stemV := 80
	if strings.Contains(fd.psName, "Bold") {
		stemV = 150
	}
	w.object(n+2, fmt.Sprintf("<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [%s %s %s %s] /ItalicAngle 0 /Ascent %s /Descent %s /CapHeight %s /StemV %d /FontFile2 %d 0 R >>",
		name, per(fd.bbox[0]), per(fd.bbox[1]), per(fd.bbox[2]), per(fd.bbox[3]), per(fd.ascent), per(fd.descent), per(fd.capH), stemV, n+3))

	w.stream(n+3, fmt.Sprintf(" /Length1 %d", len(program)), program)
	w.stream(n+4, "", toUnicode(gids, f.text))
}

// toUnicode returns a CMap from glyph IDs (two-byte codes, Identity-H) to
// the UTF-16 text each glyph stands for.
func toUnicode(gids []font.GID, text map[font.GID]string) []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	var entries []string
	for _, g := range gids {
		t := text[g]
		if t == "" || g == 0 {
			continue
		}
		var e strings.Builder
		fmt.Fprintf(&e, "<%04X> <", uint16(g))
		for _, u := range utf16.Encode([]rune(t)) {
			fmt.Fprintf(&e, "%04X", u)
		}
		e.WriteString(">")
		entries = append(entries, e.String())
	}
	for len(entries) > 0 {
		chunk := entries[:min(100, len(entries))]
		entries = entries[len(chunk):]
		fmt.Fprintf(&b, "%d beginbfchar\n%s\nendbfchar\n", len(chunk), strings.Join(chunk, "\n"))
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}
