package apptest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/openapi/openapitest"
)

// The helpers below came with the whole-application tests of internal/app
// (package app_test), which used private copies of them before.

// Contract is a validator of the API document a serves, to check
// responses against it one by one (Checked checks a client's).
func Contract(t testing.TB, a *app.App) *openapitest.Validator {
	t.Helper()
	v, err := openapitest.New(a.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// DoChecked serves one GET-like request on a's handler, as Do does, and
// reports (t.Errorf) an answer that disagrees with the API document:
// status, content type and body.
func DoChecked(t testing.TB, a *app.App, method, target string) Resp {
	t.Helper()
	r := Do(t, a.Handler, method, target, nil)
	path, _, _ := strings.Cut(target, "?")
	if err := Contract(t, a).Response(method, path, r.Code, r.Header, []byte(r.Body)); err != nil {
		t.Errorf("OpenAPI contract: %v", err)
	}
	return r
}

// WantStatus fails t when code is not want, naming what was done and
// where the answer redirected.
func WantStatus(t testing.TB, what string, code, want int, h http.Header) {
	t.Helper()
	if code != want {
		t.Fatalf("%s: %d, want %d (Location %q)", what, code, want, h.Get("Location"))
	}
}

// UploadFixture is a citizen's draft permit file over the API: a client
// whose token may read and write files, the file, and the first checklist
// item it lacks (one taking PDFs).
type UploadFixture struct {
	C    APIClient
	File int64
	Item string
}

// NewUploadFixture creates, in a's database, a verified person (Hanane
// Berrada) with an API token, and through the API served at base her
// draft file for an auto-entrepreneur.
func NewUploadFixture(t testing.TB, a *app.App, base string) UploadFixture {
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
	c := APIClient{T: t, Base: base, Token: tok}
	var f APIFile
	code, body := c.JSON("POST", "/api/v1/files", map[string]any{"kind": "auto_entrepreneur", "address": "Derb 3, Sidi Othmane",
		"arrondissement": "sidi-othmane", "fields": map[string]any{"ae_number": "AE-55120", "activity": "Couture"}}, &f)
	if code != 201 || len(f.Missing) == 0 {
		t.Fatalf("create: %d %s", code, body)
	}
	return UploadFixture{C: c, File: f.ID, Item: f.Missing[0]}
}

// Upload posts content as a new version of the fixture's item.
func (u UploadFixture) Upload(name, lang string, content []byte) (int, string) {
	u.C.T.Helper()
	return u.C.Call("POST", fmt.Sprintf("/api/v1/files/%d/documents/%s?name=%s&lang=%s", u.File, u.Item, name, lang),
		"application/pdf", bytes.NewReader(content), nil)
}

// PersonID is the number of the person whose e-mail address is email.
func PersonID(t testing.TB, a *app.App, email string) int64 {
	t.Helper()
	p, err := a.Identity.PersonByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}
