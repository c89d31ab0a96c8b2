package permit_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
)

// uploadFixture is a citizen's draft file over the API: a client with a
// token that may write files, the file, and a checklist item taking PDFs.
type uploadFixture struct {
	c    apptest.APIClient
	file int64
	item string
}

func newUploadFixture(t *testing.T, a *app.App, base string) uploadFixture {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var id int64
	if err := a.DB.Transact(ctx, func(tx *db.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO persons (email, email_key, email_verified_at, given_name_latin,
			family_name_latin, lang, created_at, updated_at) VALUES ('hanane@example.ma', 'hanane@example.ma', $1, 'Hanane',
			'Berrada', 'fr', $1, $1) RETURNING id`, now).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	tok, err := a.Identity.CreateToken(ctx, id, "app", []authz.Scope{authz.ScopeFilesRead, authz.ScopeFilesWrite}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c := apptest.APIClient{T: t, Base: base, Token: tok}
	var f apptest.APIFile
	code, body := c.JSON("POST", "/api/v1/files", map[string]any{"kind": "auto_entrepreneur", "address": "Derb 3, Sidi Othmane",
		"arrondissement": "sidi-othmane", "fields": map[string]any{"ae_number": "AE-55120", "activity": "Couture"}}, &f)
	if code != 201 || len(f.Missing) == 0 {
		t.Fatalf("create: %d %s", code, body)
	}
	return uploadFixture{c: c, file: f.ID, item: f.Missing[0]}
}

// Upload posts content as a new version of the fixture's item.
func (u uploadFixture) Upload(name, lang string, content []byte) (int, string) {
	u.c.T.Helper()
	return u.c.Call("POST", fmt.Sprintf("/api/v1/files/%d/documents/%s?name=%s&lang=%s", u.file, u.item, name, lang),
		"application/pdf", bytes.NewReader(content), nil)
}

// TestDownloadsAreWhatTheySay: an HTML page that is also a valid PDF,
// uploaded as poly.html, passes the PDF check; it is kept and served as
// poly.pdf, of type application/pdf, as an attachment no browser renders
// or sniffs.
func TestDownloadsAreWhatTheySay(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		u := newUploadFixture(t, a, srv.URL)
		poly := append([]byte("<html><body><script>alert(document.cookie)</script>\n"), apptest.TinyPDF("poly")...)
		var up struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}
		code, body := u.c.Call("POST", fmt.Sprintf("/api/v1/files/%d/documents/%s?name=poly.html", u.file, u.item),
			"text/html", bytes.NewReader(poly), &up)
		if code != 201 {
			t.Fatalf("polyglot upload: %d %s", code, body)
		}
		if up.Name != "poly.pdf" {
			t.Errorf("kept as %q, want poly.pdf", up.Name)
		}
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/files/%d/documents/%d", srv.URL, u.file, up.ID), nil)
		req.Header.Set("Authorization", "Bearer "+u.c.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		h := res.Header
		if res.StatusCode != 200 || h.Get("Content-Type") != "application/pdf" ||
			!strings.HasPrefix(h.Get("Content-Disposition"), `attachment; filename="poly.pdf"`) ||
			h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("download: %d %v", res.StatusCode, h)
		}
	})
}

// TestUploadQuotaOverHTTP: past the configured quota, an upload answers
// 4xx with the reason in the user's language.
func TestUploadQuotaOverHTTP(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e, apptest.Config(func(c *config.Config) { c.UploadMaxVersions = 1 }))
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		u := newUploadFixture(t, a, srv.URL)
		if code, body := u.Upload("plan.pdf", "fr", apptest.TinyPDF("v1")); code != 201 {
			t.Fatalf("first version: %d %s", code, body)
		}
		code, body := u.Upload("plan.pdf", "fr", apptest.TinyPDF("v2"))
		if code != 409 || !strings.Contains(body, "permit.error.quota_versions") || !strings.Contains(body, "1 versions") {
			t.Errorf("second version past the quota: %d %s", code, body)
		}
	})
}
