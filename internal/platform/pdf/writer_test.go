package pdf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-text/typesetting/font"

	"madina/internal/platform/textnorm"
)

var receiptDate = time.Date(2026, 3, 2, 10, 30, 0, 0, time.FixedZone("Africa/Casablanca", 3600))

// receipt draws a filing receipt like the ones the city hands out.
func receipt() *Document {
	d := New(Options{
		Title:        "وصل إيداع ملف CASA-2026-000123",
		Author:       "جماعة الدار البيضاء",
		Subject:      "Récépissé de dépôt",
		CreationDate: receiptDate,
	})
	d.AddPage()
	w := d.Size().W
	right := w - 50
	d.FillRect(Rect{40, 40, w - 80, 50}, 0.9)
	d.TextRight(right, 75, 20, true, "وصل إيداع طلب رخصة البناء")
	d.Text(50, 75, 12, true, "Récépissé de dépôt")
	d.TextRight(right, 120, 12, false, "رقم الملف CASA-2026-000123")
	d.Text(50, 120, 12, false, "Dossier n° CASA-2026-000123")
	d.TextRight(right, 145, 12, false, "تاريخ الإيداع: 2026/03/02 على الساعة 10:30")
	d.Text(50, 145, 12, false, "Déposé le 02/03/2026 à 10 h 30")
	d.TextRight(right, 170, 12, false, "السلام عليكم، لا إله إلا الله. مُحَمَّدٌ")
	d.Text(50, 195, 12, false, "Filing receipt, file number CASA-2026-000123")
	h := d.Paragraph(Rect{50, 215, w - 100, 0}, 11, false,
		"يشهد رئيس مجلس الجماعة بأن السيد(ة) المذكور(ة) أعلاه قد أودع ملف طلب رخصة البناء رقم CASA-2026-000123، ويتضمن الملف 12 وثيقة. يُرجى الاحتفاظ بهذا الوصل.", true)
	y := 215 + h + 10
	d.Line(50, y, w-50, y, 0.5)
	h2 := d.Paragraph(Rect{50, y + 10, w - 100, 0}, 10, false,
		"Le présent récépissé atteste le dépôt du dossier. Il ne vaut pas autorisation de construire.", false)
	d.Rect(Rect{40, 40, w - 80, y + h2 + 20 - 40}, 1)
	return d
}

// plan draws a small demo plan on A3 landscape: a parcel, a building, a
// title block.
func plan() *Document {
	d := New(Options{Title: "Plan de masse", Lang: "fr", Size: A3Landscape, CreationDate: receiptDate})
	d.AddPage()
	s := d.Size()
	d.Rect(Rect{20, 20, s.W - 40, s.H - 40}, 1.5)
	d.Rect(Rect{200, 150, 500, 350}, 1)
	d.FillRect(Rect{300, 220, 220, 160}, 0.8)
	d.Rect(Rect{300, 220, 220, 160}, 0.8)
	for x := 200.0; x <= 700; x += 50 {
		d.Line(x, 520, x, 530, 0.3)
	}
	d.Line(200, 525, 700, 525, 0.3)
	d.Text(430, 545, 9, false, "50 m")
	d.Polyline([][2]float64{{760, 150}, {900, 150}, {900, 300}, {830, 360}, {760, 300}}, 1, true) // a second building
	d.Polyline([][2]float64{{200, 600}, {400, 620}, {600, 590}}, 0.5, false)                      // the road's edge
	var hatch [][4]float64
	for x := 760.0; x < 900; x += 10 {
		hatch = append(hatch, [4]float64{x, 160, x + 10, 170})
	}
	d.Segments(hatch, 0.25)
	tb := Rect{s.W - 320, s.H - 140, 300, 120}
	d.Rect(tb, 1)
	d.Line(tb.X, tb.Y+40, tb.X+tb.W, tb.Y+40, 0.5)
	d.TextRight(tb.X+tb.W-10, tb.Y+28, 14, true, "تصميم موقعي")
	d.Text(tb.X+10, tb.Y+28, 14, true, "Plan de masse")
	d.Text(tb.X+10, tb.Y+65, 10, false, "Dossier CASA-2026-000123")
	d.Text(tb.X+10, tb.Y+85, 10, false, "Échelle 1/500")
	d.TextRight(tb.X+tb.W-10, tb.Y+105, 10, false, "المقياس 1/500")
	return d
}

func TestReceiptTools(t *testing.T) {
	dir := t.TempDir()
	b := pdfBytes(t, receipt())
	t.Logf("one-page receipt: %d bytes", len(b))
	if len(b) > 100<<10 {
		t.Errorf("receipt is %d bytes, want well under 100 KB", len(b))
	}
	p := writeFile(t, dir, "receipt.pdf", b)
	checkValid(t, p)

	fonts := mustTool(t, "pdffonts", p)
	subset := regexp.MustCompile(`(?m)^[A-Z]{6}\+(DejaVuSans|DejaVuSans-Bold) +CID TrueType +Identity-H +yes +yes +yes `)
	if n := len(subset.FindAllString(fonts, -1)); n != 2 {
		t.Errorf("pdffonts: want 2 embedded subset fonts with ToUnicode, found %d:\n%s", n, fonts)
	}

	info := mustTool(t, "pdfinfo", p)
	for _, want := range []string{"Title:           وصل إيداع ملف CASA-2026-000123", "Pages:           1", "PDF version:     1.7", "Page size:       595.28 x 841.89 pts (A4)", "CreationDate:    Mon Mar  2 09:30:00 2026 UTC"} {
		if !strings.Contains(info, want) {
			t.Errorf("pdfinfo lacks %q:\n%s", want, info)
		}
	}

	// pdftotext gives each line in logical order, wrapped in bidi embedding
	// controls (U+202B … U+202C around right-to-left lines, U+202A … around
	// left-to-right runs inside them), which textnorm.Fold removes. The
	// lam-alef ligature comes out as its presentation form (U+FEFB…), which
	// Fold (NFKC) turns back into lam and alef. Vowel marks the shaper moved
	// off the baseline come out apart from their letters; Fold drops them.
	text := mustTool(t, "pdftotext", "-layout", p, "-")
	folded := textnorm.Fold(text)
	for _, want := range []string{"CASA-2026-000123", "Récépissé de dépôt", "Filing receipt, file number CASA-2026-000123", "Il ne vaut pas autorisation de construire."} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext lacks %q:\n%s", want, text)
		}
	}
	for _, want := range []string{
		"وصل إيداع طلب رخصة البناء",
		"رقم الملف CASA-2026-000123",
		"تاريخ الإيداع",
		"السلام عليكم، لا إله إلا الله",
		"محمد",
		"يشهد رئيس مجلس الجماعة",
		"يرجى الاحتفاظ بهذا الوصل",
	} {
		if !strings.Contains(folded, textnorm.Fold(want)) {
			t.Errorf("folded pdftotext lacks %q:\n%s", textnorm.Fold(want), folded)
		}
	}

	mustTool(t, "pdftoppm", "-png", "-r", "100", p, filepath.Join(dir, "receipt"))
	png := readFile(t, filepath.Join(dir, "receipt-1.png"))
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Error("pdftoppm did not write a PNG")
	}
	keep(t, p, filepath.Join(dir, "receipt-1.png"))
}

// keep copies files to $MADINA_TEST_PDF_OUT, when set, for a person to
// look at.
func keep(t *testing.T, paths ...string) {
	out := os.Getenv("MADINA_TEST_PDF_OUT")
	if out == "" {
		return
	}
	for _, p := range paths {
		if err := os.WriteFile(filepath.Join(out, filepath.Base(p)), readFile(t, p), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// checkValid runs qpdf --check, which must find nothing to warn about.
func checkValid(t *testing.T, p string) {
	t.Helper()
	out, code := runTool(t, "qpdf", "--check", p)
	if code != 0 || strings.Contains(strings.ToLower(out), "warning") {
		t.Errorf("qpdf --check %s: exit %d\n%s", filepath.Base(p), code, out)
	}
}

func TestPlanTools(t *testing.T) {
	dir := t.TempDir()
	b := pdfBytes(t, plan())
	t.Logf("one-page plan: %d bytes", len(b))
	p := writeFile(t, dir, "plan.pdf", b)
	checkValid(t, p)
	info := mustTool(t, "pdfinfo", p)
	if !strings.Contains(info, "Page size:       1190.55 x 841.89 pts (A3)") {
		t.Errorf("pdfinfo: want A3 landscape:\n%s", info)
	}
	content := mustTool(t, "qpdf", "--qdf", "--object-streams=disable", p, "-")
	for _, want := range []string{"q 1 w 760 691.89 m 900 691.89 l 900 541.89 l 830 481.89 l 760 541.89 l h S Q",
		"q 0.5 w 200 241.89 m 400 221.89 l 600 251.89 l S Q", "q 0.25 w 760 681.89 m 770 671.89 l 770 681.89 m 780 671.89 l"} {
		if !strings.Contains(content, want) {
			t.Errorf("the page's content lacks %q", want)
		}
	}
	text := mustTool(t, "pdftotext", "-layout", p, "-")
	for _, want := range []string{"Plan de masse", "Dossier CASA-2026-000123", "Échelle 1/500", "50 m"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(textnorm.Fold(text), textnorm.Fold("تصميم موقعي")) {
		t.Errorf("pdftotext lacks the Arabic title:\n%s", text)
	}
	mustTool(t, "pdftoppm", "-png", "-r", "50", p, filepath.Join(dir, "plan"))
	keep(t, p, filepath.Join(dir, "plan-1.png"))
}

func TestEmptyAndMultiPage(t *testing.T) {
	dir := t.TempDir()
	empty := pdfBytes(t, New(Options{}))
	checkValid(t, writeFile(t, dir, "empty.pdf", empty))
	if info, err := Inspect(bytes.NewReader(empty), int64(len(empty))); err != nil || info.Pages != 1 {
		t.Errorf("Inspect(empty document) = %+v, %v; want 1 page", info, err)
	}

	d := New(Options{Title: "(parenthèses) et \\ barre"})
	for i := range 3 {
		d.AddPage()
		d.Text(50, 50, 12, false, fmt.Sprintf("Page %d", i+1))
	}
	b := pdfBytes(t, d)
	p := writeFile(t, dir, "three.pdf", b)
	checkValid(t, p)
	info := mustTool(t, "pdfinfo", p)
	if !strings.Contains(info, "Pages:           3") || !strings.Contains(info, "Title:           (parenthèses) et \\ barre") {
		t.Errorf("pdfinfo:\n%s", info)
	}
	text := mustTool(t, "pdftotext", p, "-")
	for i := range 3 {
		if !strings.Contains(text, fmt.Sprintf("Page %d", i+1)) {
			t.Errorf("pdftotext lacks page %d:\n%s", i+1, text)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, b := pdfBytes(t, receipt()), pdfBytes(t, receipt())
	if !bytes.Equal(a, b) {
		t.Error("two identical receipts differ")
	}
	d := receipt()
	if !bytes.Equal(pdfBytes(t, d), pdfBytes(t, d)) {
		t.Error("writing a document twice gives different bytes")
	}
	other := receipt()
	other.Text(50, 800, 10, false, "x")
	if bytes.Equal(a, pdfBytes(t, other)) {
		t.Error("different documents are equal")
	}
	ids := regexp.MustCompile(`/ID \[<([0-9A-F]{32})> <([0-9A-F]{32})>\]`)
	if ids.FindSubmatch(a) == nil || string(ids.FindSubmatch(a)[1]) == string(ids.FindSubmatch(pdfBytes(t, other))[1]) {
		t.Error("the file identifier does not follow the content")
	}
}

// TestConcurrentDocuments builds documents in parallel (run with -race):
// documents share the parsed fonts and nothing else.
func TestConcurrentDocuments(t *testing.T) {
	want := pdfBytes(t, receipt())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if got := pdfBytes(t, receipt()); !bytes.Equal(got, want) {
				t.Error("a receipt built concurrently differs")
			}
		})
	}
	wg.Wait()
}

// glyphsOf lays out s and returns its glyph IDs left to right.
func glyphsOf(d *Document, s string, dir direction) []font.GID {
	var out []font.GID
	for _, g := range d.layout(d.fonts[0], s, dir).glyphs {
		out = append(out, g.gid)
	}
	return out
}

func nominal(t *testing.T, d *Document, r rune) font.GID {
	t.Helper()
	g, ok := d.fonts[0].face.NominalGlyph(r)
	if !ok {
		t.Fatalf("no glyph for %q", r)
	}
	return g
}

func TestShaping(t *testing.T) {
	d := New(Options{})

	// Letters join: the three beh of "ببب" take initial, medial and final
	// forms, none of them the isolated (nominal) one.
	beh := nominal(t, d, 'ب')
	gs := glyphsOf(d, "ببب", autoRTL)
	if len(gs) != 3 || gs[0] == beh || gs[1] == beh || gs[2] == beh || gs[0] == gs[1] || gs[1] == gs[2] {
		t.Errorf("ببب shaped as %v; want three distinct joining forms, not %d", gs, beh)
	}

	// Lam-alef is one glyph, which stands for the presentation form.
	gs = glyphsOf(d, "لا", autoRTL)
	if len(gs) != 1 {
		t.Fatalf("لا shaped as %d glyphs, want the ligature", len(gs))
	}
	l := d.layout(d.fonts[0], "لا", autoRTL)
	if len(l.texts) != 1 || l.texts[0].text != "\uFEFB" {
		t.Errorf("lam-alef stands for %+v, want U+FEFB", l.texts)
	}

	// Right to left, with the file number kept left to right: the number's
	// glyphs come first (leftmost) in order, then the Arabic, whose first
	// letter (ر) is the rightmost glyph.
	gs = glyphsOf(d, "رقم الملف CASA-2026-000123", autoRTL)
	latin := glyphsOf(d, "CASA-2026-000123", autoLTR)
	if len(gs) < len(latin)+1 || fmt.Sprint(gs[:len(latin)]) != fmt.Sprint(latin) {
		t.Errorf("file number not intact at the left of the line: %v, want it to start with %v", gs, latin)
	}
	// ر does not join to the left, so its isolated form is the last glyph.
	if last := gs[len(gs)-1]; last != nominal(t, d, 'ر') {
		t.Errorf("rightmost glyph is %d, want ر (%d)", last, nominal(t, d, 'ر'))
	}

	// A French line stays left to right and its glyphs are the nominal
	// ones in order.
	gs = glyphsOf(d, "Reçu", autoRTL)
	for i, r := range []rune("Reçu") {
		if gs[i] != nominal(t, d, r) {
			t.Errorf("Reçu glyph %d is %d, want %d", i, gs[i], nominal(t, d, r))
		}
	}

	// An isolated date stays intact inside Arabic; a bare one with hyphens
	// is reordered by the bidi algorithm like any browser does (numbers
	// after Arabic letters are Arabic numbers, which hyphens do not join).
	iso := glyphsOf(d, "2026-03-02", autoLTR)
	gs = glyphsOf(d, "بتاريخ \u20662026-03-02\u2069", autoRTL)
	if !containsRun(gs, iso) {
		t.Errorf("isolated date not intact: %v lacks %v", gs, iso)
	}

	// Format characters stand for nothing: the blank glyph the shaper may
	// draw for an isolate does not take the place of the space.
	d2 := New(Options{})
	d2.Text(10, 10, 10, false, "\u2066ab cd\u2069")
	if got := d2.fonts[0].text[nominal(t, d2, ' ')]; got != " " {
		t.Errorf("the space glyph stands for %q", got)
	}

	// Marks are placed by the shaper: the shadda of "مّ" is off the
	// baseline or shifted from its default place.
	l = d.layout(d.fonts[0], "مّ", autoRTL)
	if len(l.glyphs) != 2 {
		t.Fatalf("مّ shaped as %d glyphs, want 2", len(l.glyphs))
	}

	// Width is the sum of the advances, scaled.
	if w := d.Width("CASA", 10, false); w < 20 || w > 40 {
		t.Errorf("Width(CASA, 10pt) = %v", w)
	}
	if d.Width("", 10, false) != 0 {
		t.Error("Width of nothing is not 0")
	}
}

func containsRun(s, sub []font.GID) bool {
	return strings.Contains(fmt.Sprint(s), strings.Trim(fmt.Sprint(sub), "[]"))
}

func TestParagraph(t *testing.T) {
	d := New(Options{})
	text := "un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze"
	w := d.Width("un deux trois", 10, false) + 1
	h := d.Paragraph(Rect{50, 50, w, 0}, 10, false, text, false)
	if lines := int(h/LineHeight(10) + 0.5); lines < 5 {
		t.Errorf("paragraph in a narrow box used %d lines (height %v), want at least 5", lines, h)
	}
	if h2 := d.Paragraph(Rect{50, 50, 1000, 0}, 10, false, text, false); h2 != LineHeight(10) {
		t.Errorf("paragraph in a wide box used height %v, want one line (%v)", h2, LineHeight(10))
	}
	if h3 := d.Paragraph(Rect{50, 50, 1000, 0}, 10, false, "a\n\nb", true); h3 != 3*LineHeight(10) {
		t.Errorf("three lines (one blank) used height %v, want %v", h3, 3*LineHeight(10))
	}
}

func TestSubsetFont(t *testing.T) {
	fonts, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	f := fonts[0]
	d := New(Options{})
	l := d.layout(d.fonts[0], "رقم الملف CASA-2026-000123 لا", autoRTL)
	var used []font.GID
	for _, g := range l.glyphs {
		used = append(used, g.gid)
	}
	sub, tag := f.subset(used)
	if !regexp.MustCompile(`^[A-Z]{6}$`).MatchString(tag) {
		t.Errorf("subset tag %q", tag)
	}
	t.Logf("subset of %d glyphs: %d bytes before compression", len(used), len(sub))
	if len(sub) > 100<<10 {
		t.Errorf("subset is %d bytes uncompressed", len(sub))
	}
	if sum := checksum(sub); sum != 0xB1B0AFBA {
		t.Errorf("font checksum is %#x, want 0xB1B0AFBA", sum)
	}
	parsed, err := font.ParseTTF(bytes.NewReader(sub))
	if err != nil {
		t.Fatalf("the subset does not parse: %v", err)
	}
	_ = parsed
	sf, err := parseFont("subset", sub)
	if err != nil {
		t.Fatal(err)
	}
	if len(sf.advances) != len(f.advances) {
		t.Errorf("subset has %d glyphs, want %d (IDs kept)", len(sf.advances), len(f.advances))
	}
	for _, g := range used {
		if !bytes.Equal(sf.glyph(g), f.glyph(g)) || sf.advances[g] != f.advances[g] {
			t.Errorf("glyph %d differs in the subset", g)
		}
	}
	unused := font.GID(1000)
	if len(sf.glyph(unused)) != 0 || sf.advances[unused] != 0 {
		t.Errorf("unused glyph %d kept", unused)
	}
	// A composite glyph brings its components.
	for g := font.GID(1); int(g) < len(f.advances); g++ {
		d := f.glyph(g)
		if len(d) < 12 || int16(binary.BigEndian.Uint16(d)) >= 0 {
			continue
		}
		comp := font.GID(binary.BigEndian.Uint16(d[12:]))
		sub, _ := f.subset([]font.GID{g})
		sf, err := parseFont("subset", sub)
		if err != nil {
			t.Fatal(err)
		}
		if len(sf.glyph(comp)) == 0 && len(f.glyph(comp)) != 0 {
			t.Errorf("composite glyph %d: component %d missing from the subset", g, comp)
		}
		break
	}
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 1: "1", -1.5: "-1.5", 1.23456: "1.235", 1e12: "0", -0.0001: "0", 595.28: "595.28"} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
	if got := textString("a(b)\\"); got != `(a\(b\)\\)` {
		t.Errorf("textString = %s", got)
	}
	if got := textString("é"); got != "<FEFF00E9>" {
		t.Errorf("textString(é) = %s", got)
	}
	if got := pdfDate(receiptDate); got != "D:20260302103000+01'00'" {
		t.Errorf("pdfDate = %s", got)
	}
}
