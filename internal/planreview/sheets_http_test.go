package planreview_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/testenv"
)

// TestBadSheetsAndExportOverHTTP, on both engines: a sheet the server
// cannot read — damaged, encrypted, without a page, not a PDF — is
// refused with a message saying so in the reader's language, and nothing
// is kept of it; the export of a sheet holds, as PDF annotations qpdf
// reads back, what its reader may see: all for the committee, the
// shared ones for the applicant.
func TestBadSheetsAndExportOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		f := newSheetFixture(t, e)
		bad := []struct {
			what    string
			content []byte
			key     string
			text    string
		}{
			{"a damaged PDF", []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog\nthis ends here"), "error.pdf.corrupt", "damaged or incomplete"},
			{"an encrypted PDF", encryptedPDF(), "error.pdf.encrypted", "protected by a password"},
			{"a PDF without a page", zeroPagePDF(), "planreview.error.no_pages", "no page to annotate"},
		}
		// The demonstration's annotated sheets are there already.
		sheets := func() int {
			var n int
			if err := f.a.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM planreview_sheets`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := sheets()
		for _, b := range bad {
			doc := f.newVersion(b.content, 0)
			code, p := f.call(f.member, "", "GET", f.sheet("", doc)+"/annotations", i18n.EN, nil, nil)
			wantProblem(t, b.what, code, p, 400, b.key, b.text)
		}
		code, p := f.call(nil, f.token, "GET", f.sheet("/api/v1", f.doc)+"/annotations?visibility=everything", i18n.FR, nil, nil)
		wantProblem(t, "an unknown visibility", code, p, 400, "planreview.error.visibility", "Choisissez qui voit")
		if n := sheets(); n != before {
			t.Fatalf("sheets kept after refusals: %d, %d before", n, before)
		}
	})
}

// TestExportAndReviewPageOverHTTP: the committee's member exports the
// sheet with both annotations; the owner, through the API, with the
// shared one only. The review page lists the annotations as text in each
// language — the measured area, the thread — the committee's for the
// member, the shared one for the owner.
func TestExportAndReviewPageOverHTTP(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		f := newSheetFixture(t, e)
		web, api := f.sheet("", f.doc), f.sheet("/api/v1", f.doc)
		var c collection
		f.call(f.member, "", "GET", web+"/annotations", i18n.EN, nil, &c)
		x, y := c.Sheet.Pages[0].Box[0]+40, c.Sheet.Pages[0].Box[1]+40
		for _, vis := range []string{"shared", "committee"} {
			if code, p := f.call(f.member, "", "POST", web+"/annotations", i18n.EN, annotation(c.Sheet.Source, "rectangle",
				fmt.Sprintf(`%s<rect x="%g" y="%g" width="100" height="60"/></svg>`, svgNS, x, y), 1,
				map[string]any{"madina:visibility": vis, "body": map[string]any{"type": "TextualBody", "value": "Façade: " + vis}}), nil); code != http.StatusCreated {
				t.Fatalf("%s rectangle: %d %v", vis, code, p)
			}
		}
		count := func(b *apptest.Browser, token, path string) (int, string) {
			t.Helper()
			req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
			cl := http.DefaultClient
			if b != nil {
				cl = b.C
			}
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			res, err := cl.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" {
				t.Fatalf("%s: %d %s", path, res.StatusCode, body)
			}
			bin, err := exec.LookPath("qpdf")
			if err != nil {
				t.Fatal("qpdf is required: install the Debian package qpdf")
			}
			in := filepath.Join(t.TempDir(), "x.pdf")
			_ = os.WriteFile(in, body, 0o600)
			out, code := testenv.RunTool(t, nil, bin, "--json=2", "--json-key=qpdf", in)
			if code != 0 {
				t.Fatalf("qpdf: %d %s", code, out)
			}
			return strings.Count(out, `"/Subtype": "/Square"`), out
		}
		if n, out := count(f.member, "", web+"/annotated.pdf"); n != 2 || !strings.Contains(out, "Façade: committee") {
			t.Fatalf("the member's export holds %d rectangles, want 2", n)
		}
		if n, out := count(nil, f.token, api+"/annotated.pdf"); n != 1 || strings.Contains(out, "Façade: committee") || !strings.Contains(out, "Façade: shared") {
			t.Fatalf("the owner's export holds %d rectangles (or the committee's), want the shared one", n)
		}

		// The review page.
		var area w3c
		if code, p := f.call(f.member, "", "POST", web+"/annotations", i18n.EN, annotation(c.Sheet.Source, "area",
			fmt.Sprintf(`%s<polygon points="%g,%g %g,%g %g,%g %g,%g"/></svg>`, svgNS, x, y, x+72, y, x+72, y+72, x, y+72), 1,
			map[string]any{"madina:visibility": "shared", "madina:calibration": map[string]any{"source": "scale", "ratio": 100}}), &area); code != http.StatusCreated {
			t.Fatalf("the area: %d %v", code, p)
		}
		if code, p := f.call(nil, f.token, "POST", api+"/annotations/"+lastSegment(area.ID)+"/replies", i18n.EN,
			map[string]any{"body": map[string]any{"type": "TextualBody", "value": "La pièce respecte le minimum."}}, nil); code != http.StatusCreated {
			t.Fatalf("the owner's answer: %d %v", code, p)
		}
		review := web + "/review"
		for lang, want := range map[i18n.Lang][]string{
			i18n.FR: {"3 annotations", "Surface — page 1", "6,45 m² (périmètre 10,16 m)", "échelle déclarée 1:100", "Façade: committee", "commission seulement", "La pièce respecte le minimum.", "(demandeur)", "Karim Benjelloun"},
			i18n.EN: {"3 annotations", "Area — page 1", "6.45 m² (perimeter 10.16 m)", "declared scale 1:100", "committee only", "(applicant)"},
			i18n.AR: {"مساحة — الصفحة 1", "6.45 م² (المحيط 10.16 م)", "مقياس مصرح به 1:100", "للجنة وحدها", "(صاحب الطلب)"},
		} {
			f.member.SetLang(lang)
			code, body, _ := f.member.Get(review)
			body = html.UnescapeString(body)
			for _, w := range want {
				if code != http.StatusOK || !strings.Contains(body, w) {
					t.Fatalf("the review page in %s: %d, no %q\n%s", lang, code, w, apptest.Grep(body, "annotation"))
				}
			}
		}
		// The viewer comes with the build's PDF.js (scripts/assets); without
		// it the page is the list alone.
		f.member.SetLang(i18n.EN)
		_, page, _ := f.member.Get(review)
		_, statErr := os.Stat("../platform/web/static/vendor/pdfjs/pdf.min.js")
		if built := statErr == nil; built != strings.Contains(page, "data-plan-viewer") {
			t.Fatalf("PDF.js built %v, viewer on the page %v", built, !built)
		} else if built {
			for _, attr := range []string{"data-pdfjs", "data-worker"} {
				m := regexp.MustCompile(attr + `="([^"]+)"`).FindStringSubmatch(page)
				if m == nil {
					t.Fatalf("no %s on the page", attr)
				}
				code, body, h := f.member.Get(m[1])
				if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/javascript") || len(body) < 100000 {
					t.Fatalf("%s %s: %d %s, %d bytes", attr, m[1], code, h.Get("Content-Type"), len(body))
				}
			}
			if m := regexp.MustCompile(`src="(/static/planviewer\.[0-9a-f]+\.js)"`).FindStringSubmatch(page); m == nil {
				t.Fatal("the viewer's script is not on the page")
			}
			// Whoever annotates may change each annotation from the viewer:
			// a button per entry (hidden until the script shows it) and one
			// form with the three statuses.
			if n := strings.Count(page, `data-plan-edit-for="`); n != 3 {
				t.Fatalf("the member's page has %d buttons to change an annotation, want 3", n)
			}
			for _, w := range []string{`data-plan-edit hidden`, `<option value="open" data-tag="yellow">Open</option>`,
				`<option value="resolved" data-tag="green">Resolved</option>`, `id="plan-edit-comment"`, `data-t-cursor="`, `data-plan-cursor-say`} {
				if !strings.Contains(page, w) {
					t.Fatalf("the member's page has no %s", w)
				}
			}
		}
		// "Back to file": the words and the file's reference apart inside
		// one box, after an arrow the stylesheet turns in Arabic.
		f.member.SetLang(i18n.AR)
		_, page, _ = f.member.Get(review)
		if !regexp.MustCompile(`(?s)<a class="back-link" href="/files/\d+">(<svg class="icon icon-arrow-left icon-mirror"[^>]*>.*?</svg>)?<span>العودة إلى الملف <bdi dir="ltr">`).MatchString(page) {
			t.Fatalf("the back link in Arabic:\n%s", apptest.Grep(page, "back-link"))
		}

		var email string
		if err := f.a.DB.QueryRowContext(context.Background(), `SELECT email FROM persons WHERE id = $1`, f.owner).Scan(&email); err != nil {
			t.Fatal(err)
		}
		// The demonstration's generated owners have no password: give this
		// one the demonstration's.
		if err := f.a.DB.Transact(context.Background(), func(tx *db.Tx) error {
			_, err := tx.ExecContext(context.Background(), `UPDATE persons SET password_hash = (SELECT password_hash FROM persons
				WHERE email = 'karim.benjelloun@example.ma') WHERE id = $1`, f.owner)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		owner := apptest.NewBrowser(t, f.srv.URL)
		owner.SignIn(email, false)
		owner.SetLang(i18n.EN)
		code, body, _ := owner.Get(review)
		body = html.UnescapeString(body)
		if code != http.StatusOK || !strings.Contains(body, "2 annotations") || strings.Contains(body, "Façade: committee") ||
			!strings.Contains(body, "Façade: shared") || !strings.Contains(body, "shared with you") {
			t.Fatalf("the owner's review page: %d\n%s", code, apptest.Grep(body, "annotation"))
		}
		if strings.Contains(body, "data-plan-edit") {
			t.Fatal("the owner, who does not annotate, is offered to change an annotation")
		}
		// The owner answers from the page, without JavaScript: an empty
		// answer comes back on its field; a real one is on the thread.
		shared := area.ID[strings.LastIndex(area.ID, "/")+1:]
		field := "reply-" + shared
		code, body, _ = owner.Post(review, review+"/"+shared, url.Values{field: {"  "}})
		body = html.UnescapeString(body)
		if code != http.StatusBadRequest || !strings.Contains(body, `href="#`+field+`"`) || !strings.Contains(body, "Write your answer") ||
			!strings.Contains(body, `id="`+field+`-error"`) {
			t.Fatalf("an empty answer from the page: %d\n%s", code, apptest.Grep(body, "answer"))
		}
		code, _, h := owner.Post(review, review+"/"+shared, url.Values{field: {"Les dimensions sont corrigées\nsur la version 2."}})
		apptest.WantStatus(t, "the owner's answer from the page", code, http.StatusSeeOther, h)
		_, body, _ = owner.Get(h.Get("Location"))
		body = html.UnescapeString(body)
		if !strings.Contains(body, "Your answer was added to the annotation.") || !strings.Contains(body, "Les dimensions sont corrigées\nsur la version 2.") {
			t.Fatalf("the page after the answer:\n%s", apptest.Grep(body, "answer"))
		}
		if miss := apptest.Untranslated(f.a); len(miss) > 0 {
			t.Fatalf("texts missing: %v", miss)
		}
	})
}

// encryptedPDF is a one-page PDF whose trailer names an encryption
// dictionary.
func encryptedPDF() []byte {
	return handPDF("<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
		"/Encrypt << /Filter /Standard /V 2 /R 3 /O (x) /U (y) /P -4 >>")
}

// zeroPagePDF is a well-formed PDF whose page tree is empty.
func zeroPagePDF() []byte {
	return handPDF("<< /Type /Pages /Kids [] /Count 0 >>", "<< /Type /Page /MediaBox [0 0 595 842] >>", "")
}

func handPDF(tree, page, trailer string) []byte {
	var b strings.Builder
	b.WriteString("%PDF-1.7\n")
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", tree, page}
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
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, trailer, xref)
	return []byte(b.String())
}

// TestCompareOnTheReviewPage: the member's review page of a sheet with two
// versions offers to compare them; the comparison names both versions,
// and a document that is not another version of the same item is
// refused with a message in the reader's language.
func TestCompareOnTheReviewPage(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		f := newSheetFixture(t, e)
		first, v1 := f.doc, f.version
		next := f.newVersion(apptest.TinyPDF("version 2"), 1)
		f.member.SetLang(i18n.FR)
		page := f.sheet("", next) + "/review"
		code, body, _ := f.member.Get(page)
		if code != 200 || !strings.Contains(body, `name="compare"`) || !strings.Contains(body, fmt.Sprintf(`value="%d"`, first)) {
			t.Fatalf("the review page of version %d offers no comparison with %d (%d)", f.version, first, code)
		}
		code, body, _ = f.member.Get(fmt.Sprintf("%s?compare=%d", page, first))
		want := fmt.Sprintf("Version %d comparée à la version %d", f.version, v1)
		if code != 200 || !strings.Contains(body, want) || !strings.Contains(body, "data-plan-compare") {
			t.Fatalf("comparing: %d, want %q", code, want)
		}
		code, body, _ = f.member.Get(fmt.Sprintf("%s?compare=%d", page, next))
		if code != 400 || !strings.Contains(body, "Ce n’est pas une autre version du même plan.") {
			t.Fatalf("comparing a version with itself: %d", code)
		}
	})
}
