package permit_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
)

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
		u := apptest.NewUploadFixture(t, a, srv.URL)
		poly := append([]byte("<html><body><script>alert(document.cookie)</script>\n"), apptest.TinyPDF("poly")...)
		var up struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}
		code, body := u.C.Call("POST", fmt.Sprintf("/api/v1/files/%d/documents/%s?name=poly.html", u.File, u.Item),
			"text/html", bytes.NewReader(poly), &up)
		if code != 201 {
			t.Fatalf("polyglot upload: %d %s", code, body)
		}
		if up.Name != "poly.pdf" {
			t.Errorf("kept as %q, want poly.pdf", up.Name)
		}
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/files/%d/documents/%d", srv.URL, u.File, up.ID), nil)
		req.Header.Set("Authorization", "Bearer "+u.C.Token)
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
		u := apptest.NewUploadFixture(t, a, srv.URL)
		if code, body := u.Upload("plan.pdf", "fr", apptest.TinyPDF("v1")); code != 201 {
			t.Fatalf("first version: %d %s", code, body)
		}
		code, body := u.Upload("plan.pdf", "fr", apptest.TinyPDF("v2"))
		if code != 409 || !strings.Contains(body, "permit.error.quota_versions") || !strings.Contains(body, "1 versions") {
			t.Errorf("second version past the quota: %d %s", code, body)
		}
	})
}
