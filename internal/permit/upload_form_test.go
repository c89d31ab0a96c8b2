package permit_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/permit"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestUploadFormKeepsItsTokenOutOfTheAddress: a file's upload forms carry
// the anti-forgery token as their first field, not in their action (where
// a failed upload would show it in the address bar); an upload sent that
// way is taken, one with the token later in the body is refused.
func TestUploadFormKeepsItsTokenOutOfTheAddress(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e, withBaseURL)
		ctx := context.Background()
		fatima := apptest.IDOf(t, a.DB, `SELECT id FROM persons WHERE email = 'fatima.benali@example.ma'`)
		self := authz.Actor{Person: fatima, EmailVerified: true, Now: time.Now()}
		f, err := a.Permit.Create(ctx, self, permit.Input{Kind: "auto_entrepreneur", Address: "12 rue Ibnou Mounir",
			Arrondissement: "maarif", Fields: permit.Values{"ae_number": "AE-99311", "activity": "Couture"}})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := a.Permit.View(ctx, self, f.ID)
		if len(v.Missing) < 2 {
			t.Fatalf("want two items to upload, have %v", v.Missing)
		}
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		b := apptest.NewBrowser(t, srv.URL)
		b.SignIn("fatima.benali@example.ma", false)
		b.SetLang(i18n.FR)
		page := "/files/" + itoa(f.ID)
		_, body, _ := b.Get(page)
		forms := regexp.MustCompile(`(?s)<form method="post" enctype="multipart/form-data" action="([^"]*)" class="form">\s*<input type="hidden" name="(\w+)"`).FindAllStringSubmatch(body, -1)
		if len(forms) == 0 || strings.Contains(body, "csrf_token=") {
			t.Fatalf("upload forms: %q", forms)
		}
		for _, m := range forms {
			if m[1] != page+"/documents" || m[2] != "csrf_token" {
				t.Fatalf("an upload form posts to %q with %q first", m[1], m[2])
			}
		}
		code, _, h := b.Upload(page, v.Missing[0], "a.pdf", apptest.TinyPDF("a"))
		apptest.WantStatus(t, "upload with the token first", code, http.StatusSeeOther, h)

		// The same token after the item is not read: refused.
		token := apptest.CSRFRE.FindStringSubmatch(body)[1]
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("item", v.Missing[1])
		_ = mw.WriteField("csrf_token", token)
		fw, _ := mw.CreateFormFile("file", "b.pdf")
		_, _ = fw.Write(apptest.TinyPDF("b"))
		_ = mw.Close()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+page+"/documents", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		res, err := b.C.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("token after the item: %d", res.StatusCode)
		}
	})
}

// TestNewFileFormSaysWhatIsWrongFirst: the new-file form sent without a
// kind comes back with the error summary at the top, before the heading,
// linking to the kind's group, and a title that starts with "Error" — in
// French, Arabic and English.
func TestNewFileFormSaysWhatIsWrongFirst(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite, withBaseURL)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	b := apptest.NewBrowser(t, srv.URL)
	b.SignIn("fatima.benali@example.ma", false)
	for lang, title := range map[i18n.Lang]string{i18n.FR: "<title>Erreur : ", i18n.AR: "<title>خطأ: ", i18n.EN: "<title>Error: "} {
		b.SetLang(lang)
		code, body, _ := b.Post("/files/new", "/files", url.Values{"owner": {"self"}})
		summary := strings.Index(body, `class="error-summary"`)
		if code != http.StatusBadRequest || summary < 0 || summary > strings.Index(body, "<h1") ||
			!strings.Contains(body, `<li><a href="#kind">`) || !strings.Contains(body, `<fieldset id="kind" tabindex="-1"`) ||
			!strings.Contains(body, title) || strings.Count(body, `role="alert"`) != 1 {
			t.Fatalf("%s: %d\n%s", lang, code, apptest.Grep(body, "error-summary"))
		}
	}
}

// TestWindowFormsSayWhatIsWrongFirst: the window's return form sent
// without saying what is missing comes back with the error summary before
// the heading, linking to the list of documents (a fieldset that takes the
// focus), the title starting with "Error" — in French, Arabic and English.
func TestWindowFormsSayWhatIsWrongFirst(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite, withBaseURL)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	file := apptest.IDOf(t, a.DB, `SELECT id FROM permit_files WHERE window_code = 'city' AND state = 'submitted' ORDER BY id LIMIT 1`)
	page := "/files/" + itoa(file)
	agent := apptest.NewBrowser(t, srv.URL)
	agent.SignIn("amina.idrissi@example.ma", true)
	for lang, title := range map[i18n.Lang]string{i18n.FR: "<title>Erreur : ", i18n.AR: "<title>خطأ: ", i18n.EN: "<title>Error: "} {
		agent.SetLang(lang)
		// The return form leads to its confirmation with a GET (no token
		// in the address): asking for nothing stays on the file's page.
		code, body, _ := agent.Get(page + "/return?version=" + agent.Version(page))
		summary := strings.Index(body, `class="error-summary"`)
		if code != http.StatusBadRequest || summary < 0 || summary > strings.Index(body, "<h1") ||
			!strings.Contains(body, `<li><a href="#return-missing">`) || !strings.Contains(body, `<fieldset id="return-missing" tabindex="-1"`) ||
			!strings.Contains(body, `id="return-missing-error"`) || !strings.Contains(body, title) {
			t.Fatalf("%s: %d\n%s", lang, code, apptest.Grep(body, "error-summary"))
		}
	}
}
