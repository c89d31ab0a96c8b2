package app

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
)

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

// upload posts content as a new version of the fixture's item.
func (u uploadFixture) upload(name, lang string, content []byte) (int, string) {
	u.c.t.Helper()
	return u.c.call("POST", fmt.Sprintf("/api/v1/files/%d/documents/%s?name=%s&lang=%s", u.file, u.item, name, lang),
		"application/pdf", bytes.NewReader(content), nil)
}
