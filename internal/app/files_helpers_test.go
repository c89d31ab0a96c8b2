package app

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/pdf"
)

// The permit files' vocabulary of the tests that stay in package app; the
// permit capability's own HTTP tests (internal/permit/web_test.go) use
// internal/apptest's.

// tinyPDF is a one-page PDF from Madina's own writer; note makes each
// one's bytes different.
func tinyPDF(note string) []byte {
	d := pdf.New(pdf.Options{})
	d.Text(72, 72, 12, false, note)
	var b bytes.Buffer
	if _, err := d.WriteTo(&b); err != nil {
		panic(err)
	}
	return b.Bytes()
}

var (
	uploadActionRE = regexp.MustCompile(`action="(/files/\d+/documents\?csrf_token=[^"]+)"`)
	versionRE      = regexp.MustCompile(`name="version" value="(\d+)"`)
	fileIDRE       = regexp.MustCompile(`^/files/(\d+)\?done=created$`)
)

// upload posts a document the way the item's form on page does: the item
// field first, then the file, with the CSRF token in the address.
func (b *browser) upload(page, item, name string, content []byte) (int, string, http.Header) {
	b.t.Helper()
	_, body, _ := b.get(page)
	m := uploadActionRE.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no upload form on %s", page)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("item", item)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.url+html.UnescapeString(m[1]), &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out), res.Header
}

// version reads the file version the page's forms carry.
func (b *browser) version(page string) string {
	b.t.Helper()
	_, body, _ := b.get(page)
	m := versionRE.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no version on %s", page)
	}
	return m[1]
}

// act posts an action form of page with the file's current version.
func (b *browser) act(page, path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	form.Set("version", b.version(page))
	return b.post(page, path, form)
}

// newFilesApp is the real application on a fresh database of engine e,
// with a public address (appointment invitations carry links).
func newFilesApp(t *testing.T, e db.Engine) *App {
	t.Helper()
	return newTestAppWith(t, func(c *config.Config) {
		c.DatabaseURL = dbtest.URL(t, e)
		if e == db.SQLite {
			c.DatabaseURL = "sqlite:" + c.DatabaseURL
		}
		c.BaseURL = "http://madina.test"
	})
}

func wantStatus(t *testing.T, what string, code, want int, h http.Header) {
	t.Helper()
	if code != want {
		t.Fatalf("%s: %d, want %d (Location %q)", what, code, want, h.Get("Location"))
	}
}

// uploadFixture is a citizen's draft file over the API: a client with a
// token that may write files, the file, and a checklist item taking PDFs.
type uploadFixture struct {
	c    apiClient
	file int64
	item string
}

func newUploadFixture(t *testing.T, a *App, base string) uploadFixture {
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
	c := apiClient{t: t, base: base, token: tok}
	var f apiFile
	code, body := c.json("POST", "/api/v1/files", map[string]any{"kind": "auto_entrepreneur", "address": "Derb 3, Sidi Othmane",
		"arrondissement": "sidi-othmane", "fields": map[string]any{"ae_number": "AE-55120", "activity": "Couture"}}, &f)
	if code != 201 || len(f.Missing) == 0 {
		t.Fatalf("create: %d %s", code, body)
	}
	return uploadFixture{c: c, file: f.ID, item: f.Missing[0]}
}

// newStorageApp is the real application on a fresh database of engine e,
// with mod applied to its configuration.
func newStorageApp(t *testing.T, e db.Engine, mod func(*config.Config)) *App {
	return newTestAppWith(t, func(c *config.Config) {
		c.DatabaseURL = dbtest.URL(t, e)
		if e == db.SQLite {
			c.DatabaseURL = "sqlite:" + c.DatabaseURL
		}
		mod(c)
	})
}

// upload posts content as a new version of the fixture's item.
func (u uploadFixture) upload(name, lang string, content []byte) (int, string) {
	u.c.t.Helper()
	return u.c.call("POST", fmt.Sprintf("/api/v1/files/%d/documents/%s?name=%s&lang=%s", u.file, u.item, name, lang),
		"application/pdf", bytes.NewReader(content), nil)
}
