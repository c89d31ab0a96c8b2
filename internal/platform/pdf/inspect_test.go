package pdf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"madina/internal/platform/errs"
)

// sample is a two-page document from the writer (classic xref table).
func sample(t testing.TB) []byte {
	t.Helper()
	d := New(Options{Title: "Sample", CreationDate: receiptDate})
	d.AddPage()
	d.TextRight(500, 100, 14, false, "صفحة أولى")
	d.AddPage()
	d.Text(50, 100, 14, false, "Deuxième page")
	return pdfBytes(t, d)
}

// incrementalUpdate appends an update to a PDF from the writer: a new
// information dictionary (object 3) and a cross-reference section whose
// trailer points back with /Prev. The catalogue and pages are only in the
// first section, so counting pages needs the /Prev chain.
func incrementalUpdate(t testing.TB, b []byte) []byte {
	t.Helper()
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no startxref")
	}
	size := regexp.MustCompile(`/Size (\d+)`).FindSubmatch(b)
	out := slices.Clone(b)
	obj := len(out)
	out = append(out, "3 0 obj\n<< /Title (Updated) /Producer (Madina) >>\nendobj\n"...)
	xref := len(out)
	out = fmt.Appendf(out, "xref\n3 1\n%010d 00000 n\r\ntrailer\n<< /Size %s /Root 1 0 R /Info 3 0 R /Prev %s >>\nstartxref\n%d\n%%%%EOF\n",
		obj, size[1], m[1], xref)
	return out
}

func pngBytes(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 64, 64))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type fixture struct {
	name  string
	data  []byte
	key   string // "" if accepted
	pages int
}

// fixtures builds the upload cases, using qpdf for the rewrites.
func fixtures(t *testing.T) []fixture {
	dir := t.TempDir()
	base := sample(t)
	basePath := writeFile(t, dir, "base.pdf", base)
	qpdf := func(name string, args ...string) []byte {
		out := filepath.Join(dir, name)
		// Exit 3 means success with warnings, which the inputs must not cause.
		mustTool(t, "qpdf", append(append(args, basePath), out)...)
		return readFile(t, out)
	}
	xrefStream := qpdf("objstm.pdf", "--object-streams=generate")
	if !bytes.Contains(xrefStream, []byte("/XRef")) || !bytes.Contains(xrefStream, []byte("/ObjStm")) {
		t.Fatal("qpdf --object-streams=generate wrote no xref stream")
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 5000)
	for i := range garbage {
		garbage[i] = byte(rnd.Uint32())
	}
	noRoot := bytes.Replace(base, []byte("/Root 1 0 R"), []byte("/Rxxx 1 0 R"), 1)
	badStart := regexp.MustCompile(`startxref\n\d+`).ReplaceAll(base, []byte("startxref\n99"))
	outside := regexp.MustCompile(`startxref\n\d+`).ReplaceAll(base, []byte("startxref\n99999999"))
	return []fixture{
		{"classic.pdf", base, "", 2},
		{"xref-stream.pdf", xrefStream, "", 2},
		{"qpdf-classic.pdf", qpdf("qpdf-classic.pdf", "--object-streams=disable"), "", 2},
		{"linearized.pdf", qpdf("linearized.pdf", "--linearize"), "", 2},
		{"linearized-objstm.pdf", qpdf("linearized-objstm.pdf", "--linearize", "--object-streams=generate"), "", 2},
		{"incremental.pdf", incrementalUpdate(t, base), "", 2},
		{"pdf-2.0.pdf", qpdf("pdf-2.0.pdf", "--force-version=2.0"), "", 2},
		{"encrypted-aes256.pdf", qpdf("encrypted-aes256.pdf", "--encrypt", "user", "owner", "256", "--"), keyEncrypted, 0},
		{"encrypted-aes128.pdf", qpdf("encrypted-aes128.pdf", "--encrypt", "user", "owner", "128", "--use-aes=y", "--"), keyEncrypted, 0},
		{"owner-only.pdf", qpdf("owner-only.pdf", "--encrypt", "", "owner", "256", "--"), keyEncrypted, 0},
		{"owner-only-restricted.pdf", qpdf("owner-only-restricted.pdf", "--encrypt", "", "owner", "256", "--print=none", "--modify=none", "--extract=n", "--"), keyEncrypted, 0},
		{"encrypted-objstm.pdf", qpdf("encrypted-objstm.pdf", "--object-streams=generate", "--encrypt", "u", "o", "256", "--"), keyEncrypted, 0},
		{"truncated.pdf", base[:len(base)/2], keyCorrupt, 0},
		{"truncated-xref-stream.pdf", xrefStream[:len(xrefStream)/2], keyCorrupt, 0},
		{"no-eof.pdf", base[:len(base)-7], keyCorrupt, 0},
		{"garbage.pdf", garbage, keyCorrupt, 0},
		{"image.pdf", pngBytes(t), keyCorrupt, 0},
		{"empty.pdf", nil, keyCorrupt, 0},
		{"header-only.pdf", []byte("%PDF-1.7\n"), keyCorrupt, 0},
		{"no-root.pdf", noRoot, keyCorrupt, 0},
		{"bad-startxref.pdf", badStart, keyCorrupt, 0},
		{"startxref-outside.pdf", outside, keyCorrupt, 0},
		{"no-header.pdf", append(bytes.Repeat([]byte(" "), 1100), base...), keyCorrupt, 0},
	}
}

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	for _, fx := range fixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			info, err := Inspect(bytes.NewReader(fx.data), int64(len(fx.data)))
			if fx.key == "" {
				if err != nil {
					t.Fatalf("Inspect: %v", err)
				}
				if info.Pages != fx.pages {
					t.Errorf("Pages = %d, want %d", info.Pages, fx.pages)
				}
			} else {
				checkRefusal(t, err, fx.key)
			}

			// Cross-check with poppler: what pdfinfo calls encrypted we
			// refuse as encrypted, and for what we accept, pdfinfo agrees
			// on the version and the page count.
			if len(fx.data) == 0 {
				return
			}
			p := writeFile(t, dir, fx.name, fx.data)
			out, code := runTool(t, "pdfinfo", p)
			if strings.Contains(out, "Encrypted:       yes") || strings.Contains(out, "Incorrect password") {
				checkRefusal(t, err, keyEncrypted)
			}
			if err == nil {
				if code != 0 {
					t.Fatalf("we accept what pdfinfo refuses:\n%s", out)
				}
				for _, want := range []string{"Pages:           " + strconv.Itoa(info.Pages) + "\n", "PDF version:     " + info.Version + "\n"} {
					if !strings.Contains(out, want) {
						t.Errorf("pdfinfo disagrees, want %q:\n%s", want, out)
					}
				}
			}
		})
	}
}

func checkRefusal(t *testing.T, err error, key string) {
	t.Helper()
	e := errs.As(err)
	if e == nil {
		t.Fatalf("Inspect: err = %v, want %s", err, key)
	}
	if e.Kind != errs.Invalid || e.Key != key {
		t.Errorf("Inspect: kind %s key %s, want %s %s", e.Kind, e.Key, errs.Invalid, key)
	}
	if e.Err == nil {
		t.Error("Inspect: the refusal carries no cause for the log")
	}
}

// TestInspectWriterOutput checks that every PDF the writer produces, as it
// is and rewritten by qpdf, is accepted.
func TestInspectWriterOutput(t *testing.T) {
	dir := t.TempDir()
	docs := map[string]*Document{"receipt": receipt(), "plan": plan(), "empty": New(Options{})}
	for _, name := range []string{"receipt", "plan", "empty"} {
		b := pdfBytes(t, docs[name])
		in := writeFile(t, dir, name+".pdf", b)
		variants := map[string][]byte{"as written": b}
		for _, args := range [][]string{{"--object-streams=generate"}, {"--linearize"}, {"--qdf"}, {"--object-streams=preserve", "--compress-streams=n"}} {
			out := filepath.Join(dir, name+"-rewritten.pdf")
			mustTool(t, "qpdf", append(args, in, out)...)
			variants[strings.Join(args, " ")] = readFile(t, out)
		}
		for v, data := range variants {
			info, err := Inspect(bytes.NewReader(data), int64(len(data)))
			if err != nil || info.Pages != 1 || info.Version != "1.7" {
				t.Errorf("%s, %s: Inspect = %+v, %v; want 1 page, version 1.7", name, v, info, err)
			}
		}
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// bigPDF writes a valid PDF of about size bytes to dir: one page whose
// content stream is junk (NUL bytes, which content streams treat as white
// space). The junk is a hole in a sparse file, so the test is fast and
// costs no disk.
func bigPDF(t testing.TB, dir string, size int64) string {
	t.Helper()
	p := filepath.Join(dir, "big.pdf")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	var offs []int64
	pos := int64(0)
	write := func(s string) {
		w.WriteString(s)
		pos += int64(len(s))
	}
	obj := func(s string) {
		offs = append(offs, pos)
		write(s)
	}
	write("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	obj("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n")
	obj("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n")
	junk := size - 1024
	obj(fmt.Sprintf("4 0 obj\n<< /Length %d >>\nstream\n", junk))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(junk, io.SeekCurrent); err != nil {
		t.Fatal(err)
	}
	pos += junk
	write("\nendstream\nendobj\n")
	xref := pos
	write("xref\n0 5\n0000000000 65535 f\r\n")
	for _, o := range offs {
		write(fmt.Sprintf("%010d 00000 n\r\n", o))
	}
	write(fmt.Sprintf("trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", xref))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestInspectMemory inspects a 200 MB PDF: Inspect reads the file once
// (the active content scan) and allocates well under the budget of an
// upload.
func TestInspectMemory(t *testing.T) {
	p := bigPDF(t, t.TempDir(), 200<<20)
	if out := mustTool(t, "pdfinfo", p); !strings.Contains(out, "Pages:           1") {
		t.Fatalf("the big PDF is not valid for pdfinfo:\n%s", out)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	cr := &countingReader{r: f}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	info, err := Inspect(cr, st.Size())
	runtime.ReadMemStats(&after)
	if err != nil || info.Pages != 1 {
		t.Fatalf("Inspect = %+v, %v", info, err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("200 MB PDF: read %d bytes, allocated %d bytes", cr.n.Load(), alloc)
	if alloc > 8<<20 {
		t.Errorf("Inspect allocated %d bytes, want < 8 MB", alloc)
	}
	if cr.n.Load() > st.Size()+1<<20 {
		t.Errorf("Inspect read %d bytes of a %d-byte file, want it read once and 1 MB more at most", cr.n.Load(), st.Size())
	}
}

func BenchmarkInspect200MB(b *testing.B) {
	p := bigPDF(b, b.TempDir(), 200<<20)
	f, err := os.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Inspect(f, st.Size()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInspectXRefStream(b *testing.B) {
	dir := b.TempDir()
	in := writeFile(b, dir, "in.pdf", sample(b))
	out := filepath.Join(dir, "out.pdf")
	mustTool(b, "qpdf", "--object-streams=generate", in, out)
	data := readFile(b, out)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Inspect(bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzInspect(f *testing.F) {
	base := sample(f)
	f.Add(base)
	f.Add(incrementalUpdate(f, base))
	f.Add(base[:len(base)/2])
	dir := f.TempDir()
	in := writeFile(f, dir, "in.pdf", base)
	for k, args := range [][]string{{"--object-streams=generate"}, {"--linearize"}, {"--encrypt", "u", "o", "256", "--"}} {
		out := filepath.Join(dir, fmt.Sprint(k, ".pdf"))
		mustTool(f, "qpdf", append(args, in, out)...)
		f.Add(readFile(f, out))
	}
	f.Add([]byte("%PDF-1.4\nstartxref\n9\n%%EOF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		start := time.Now()
		_, err := Inspect(bytes.NewReader(b), int64(len(b)))
		if d := time.Since(start); d > time.Second {
			t.Fatalf("Inspect took %v", d)
		}
		if err == nil {
			return
		}
		e := errs.As(err)
		if e == nil || e.Kind != errs.Invalid || (e.Key != keyCorrupt && e.Key != keyEncrypted) {
			t.Fatalf("Inspect: unexpected error %v", err)
		}
	})
}

// TestInspectReadError reports a failing reader as a corrupt file, not a
// panic, and keeps the cause.
func TestInspectReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := Inspect(failingReader{boom}, 1000)
	checkRefusal(t, err, keyCorrupt)
	if !errors.Is(err, boom) {
		t.Errorf("the cause %v is lost: %v", boom, err)
	}
}

type failingReader struct{ err error }

func (f failingReader) ReadAt([]byte, int64) (int, error) { return 0, f.err }

var languages = []string{"ar", "fr", "en"}

func TestMessages(t *testing.T) {
	for _, lang := range languages {
		b, err := Messages.ReadFile("messages/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s.json: %v", lang, err)
		}
		if len(m) != 2 {
			t.Errorf("%s.json has %d keys, want 2", lang, len(m))
		}
		for _, k := range []string{keyEncrypted, keyCorrupt} {
			msg := m[k]
			if strings.TrimSpace(msg) == "" {
				t.Errorf("%s.json lacks %s", lang, k)
			}
			if strings.ContainsAny(msg, "{}") {
				t.Errorf("%s.json: %s has placeholders, but the errors carry no parameters", lang, k)
			}
			if lang == "ar" && !strings.ContainsFunc(msg, func(r rune) bool { return unicode.Is(unicode.Arabic, r) }) {
				t.Errorf("ar.json: %s is not written in Arabic", k)
			}
		}
	}
}
