package pdf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// handPDF writes a valid one-page PDF by hand: catalogue (object 1, with
// catalogueExtra inside its dictionary), page tree (2), page (3), then
// extra objects numbered from 4, and a classic cross-reference table.
func handPDF(catalogueExtra string, extra ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	objs := append([]string{
		"<< /Type /Catalog /Pages 2 0 R " + catalogueExtra + " >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
	}, extra...)
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f\r\n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// TestInspectRefusesActiveContent: every kind of active content is
// refused, however it is written; the PDFs are valid for qpdf, so only
// the content refuses them.
func TestInspectRefusesActiveContent(t *testing.T) {
	for _, tc := range []struct {
		name           string
		catalogueExtra string
		extra          []string
	}{
		{"javascript open action", "/OpenAction 4 0 R", []string{"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"}},
		{"document javascript", "/Names << /JavaScript 4 0 R >>", []string{"<< /Names [(a) 5 0 R] >>", "<< /S /JavaScript /JS (1) >>"}},
		{"escaped name", "/OpenAction 4 0 R", []string{"<< /S /J#61va#53cript /JS (app.alert\\(1\\)) >>"}},
		{"launch", "/OpenAction 4 0 R", []string{"<< /S /Launch /F (C:\\\\Windows\\\\System32\\\\calc.exe) >>"}},
		{"embedded file", "/Names << /EmbeddedFiles 4 0 R >>", []string{"<< /Names [(x.exe) 5 0 R] >>",
			"<< /Type /Filespec /F (x.exe) /EF << /F 6 0 R >> >>", "<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream"}},
		{"embedded file stream alone", "", []string{"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream"}},
		{"go to embedded", "/OpenAction 4 0 R", []string{"<< /S /GoToE /T << /R /C /N (a.pdf) >> >>"}},
		{"go to remote share", "/OpenAction 4 0 R", []string{"<< /S /GoToR /F (\\\\\\\\10.0.0.1\\\\share\\\\x.pdf) /D [0 /Fit] >>"}},
		{"rich media", "", []string{"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 1 1] >>"}},
		{"submit form", "/OpenAction 4 0 R", []string{"<< /S /SubmitForm /F (https://evil.example/) >>"}},
		{"import data", "/OpenAction 4 0 R", []string{"<< /S /ImportData /F (data.fdf) >>"}},
		{"rendition", "/OpenAction 4 0 R", []string{"<< /S /Rendition /JS (app.alert\\(1\\)) >>"}},
		{"xfa", "/AcroForm << /Fields [] /XFA 4 0 R >>", []string{"<< /Length 7 >>\nstream\n<xdp/>\n\nendstream"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := handPDF(tc.catalogueExtra, tc.extra...)
			dir := t.TempDir()
			p := writeFile(t, dir, "in.pdf", b)
			if out, code := runTool(t, "qpdf", "--check", p); code != 0 {
				t.Fatalf("the test PDF is not valid for qpdf:\n%s", out)
			}
			_, err := Inspect(bytes.NewReader(b), int64(len(b)))
			checkRefusal(t, err, keyActive)

			// The same, its objects compressed in object streams: the
			// names are no longer in the file's bytes.
			out := filepath.Join(dir, "objstm.pdf")
			mustTool(t, "qpdf", "--object-streams=generate", "--compress-streams=y", p, out)
			c := readFile(t, out)
			if strings.Contains(tc.name, "alone") || tc.name == "rich media" {
				return // qpdf drops objects nothing refers to
			}
			if !strings.Contains(tc.extra[len(tc.extra)-1], "stream") {
				// No stream, which object streams cannot hold: every
				// name is compressed out of sight.
				for n := range activeNames {
					if bytes.Contains(c, []byte("/"+n)) {
						t.Fatalf("qpdf left /%s outside the object streams", n)
					}
				}
			}
			_, err = Inspect(bytes.NewReader(c), int64(len(c)))
			checkRefusal(t, err, keyActive)

			// The object streams' type escaped (/Obj#53tm is /ObjStm),
			// same length so that the offsets hold.
			e := bytes.ReplaceAll(c, []byte(" /Type /ObjStm"), []byte("/Type/Obj#53tm"))
			if bytes.Equal(e, c) {
				t.Fatal("no object stream to escape")
			}
			pe := writeFile(t, dir, "escaped.pdf", e)
			if out, code := runTool(t, "qpdf", "--check", pe); code != 0 {
				t.Fatalf("the escaped PDF is not valid for qpdf:\n%s", out)
			}
			_, err = Inspect(bytes.NewReader(e), int64(len(e)))
			checkRefusal(t, err, keyActive)

			// The type hidden altogether: the cross-reference stream
			// still says where the compressed objects are.
			h := bytes.ReplaceAll(c, []byte(" /Type /ObjStm"), []byte("/Type/ObjStmX "))
			_, err = Inspect(bytes.NewReader(h), int64(len(h)))
			checkRefusal(t, err, keyActive)
		})
	}
}

// TestInspectAcceptsLookalikes: text and names that only resemble active
// content pass.
func TestInspectAcceptsLookalikes(t *testing.T) {
	for _, b := range [][]byte{
		handPDF("/Info (JavaScript Launch EmbeddedFile)"),              // words in a string, no name
		handPDF("/PageLabels << /Nums [0 << /P (x) >>] >> /Lang (fr)"), // an ordinary catalogue
		handPDF("/JavaScriptish 1 /Launcher 2"),                        // longer names
		sample(t),
	} {
		if _, err := Inspect(bytes.NewReader(b), int64(len(b))); err != nil {
			t.Errorf("Inspect refused a clean PDF: %v\n%s", err, b)
		}
	}
}

// TestScanNamesAcrossReads: a name cut by the end of a read is still
// found.
func TestScanNamesAcrossReads(t *testing.T) {
	for _, size := range []int{64 << 10, 1 << 20} {
		for _, at := range []int{size - 3, size - 1, size, size + 1} {
			b := bytes.Repeat([]byte{' '}, at)
			b = append(b, "/J#61vaScript "...)
			got, err := scanNames(bytes.NewReader(b), size, func(n []byte, _ int64) bool { return activeNames[string(n)] })
			if err != nil || got != "JavaScript" {
				t.Errorf("buffer %d, name at %d: %q, %v", size, at, got, err)
			}
		}
	}
}

func TestActiveMessages(t *testing.T) {
	for _, lang := range languages {
		b, err := Messages.ReadFile("messages/active." + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		msg := m[keyActive]
		if strings.TrimSpace(msg) == "" || len(m) != 1 {
			t.Errorf("active.%s.json: %v", lang, m)
		}
		if lang == "ar" && !strings.ContainsFunc(msg, func(r rune) bool { return unicode.Is(unicode.Arabic, r) }) {
			t.Errorf("active.ar.json is not written in Arabic")
		}
	}
}

// BenchmarkScanNamesRandom scans 200 MB of random bytes, what compressed
// streams look like: a '/' every 256 bytes, names of every length.
func BenchmarkScanNamesRandom(b *testing.B) {
	data := make([]byte, 200<<20)
	r := rand.NewChaCha8([32]byte{})
	_, _ = r.Read(data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := scanNames(bytes.NewReader(data), 1<<20, func(n []byte, _ int64) bool { return activeNames[string(n)] }); err != nil {
			b.Fatal(err)
		}
	}
}
