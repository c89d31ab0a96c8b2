package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/openapi/openapitest"
	"madina/internal/platform/pdf"
)

// contract is the served API document, ready to check responses against.
var contract = sync.OnceValues(func() (*openapitest.Validator, error) {
	doc, err := openAPIDocument(openAPIFragments(Modules()))
	if err != nil {
		return nil, err
	}
	return openapitest.New(doc)
})

// checked returns c (http.DefaultClient when nil) checking every /api/v1
// response against the document: status, content type and JSON body,
// problem details included. A mismatch fails t.
func checked(t testing.TB, c *http.Client) *http.Client {
	t.Helper()
	v, err := contract()
	if err != nil {
		t.Fatal(err)
	}
	return v.Client(t, c, "/api/v1/")
}

// TestOpenAPIContractCatchesAPlantedField checks the check on the real
// document: a real response passes, the same response with one field of
// the wrong type, one field missing or one undocumented field fails.
func TestOpenAPIContractCatchesAPlantedField(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	v, err := contract()
	if err != nil {
		t.Fatal(err)
	}
	r := do(t, a.Handler, "GET", "/api/v1/windows", nil)
	if err := v.Response("GET", "/api/v1/windows", r.code, r.h, []byte(r.body)); err != nil {
		t.Fatalf("the real response disagrees: %v", err)
	}
	if !strings.Contains(r.body, `"code":"`) {
		t.Fatalf("no window code to plant a wrong one on: %s", r.body)
	}
	for name, body := range map[string]string{
		"wrong type":   strings.Replace(r.body, `"code":"`, `"code":7,"x":"`, 1),
		"missing":      strings.Replace(r.body, `"code":"`, `"not_code":"`, 1),
		"undocumented": strings.Replace(r.body, `"code":"`, `"planted":1,"code":"`, 1),
	} {
		if err := v.Response("GET", "/api/v1/windows", r.code, r.h, []byte(body)); err == nil {
			t.Errorf("%s: a planted field passed", name)
		}
	}
	p := do(t, a.Handler, "GET", "/api/v1/arrondissements/nowhere", nil)
	if err := v.Response("GET", "/api/v1/arrondissements/nowhere", p.code, p.h, []byte(p.body)); err != nil {
		t.Fatalf("the real problem disagrees: %v", err)
	}
	if err := v.Response("GET", "/api/v1/arrondissements/nowhere", p.code, p.h, []byte(strings.Replace(p.body, `"status":`, `"status":"x","was":`, 1))); err == nil {
		t.Error("a problem with a status of the wrong type passed")
	}
}

// doChecked is do, with the response checked against the document.
func doChecked(t *testing.T, h http.Handler, method, target string) resp {
	t.Helper()
	r := do(t, h, method, target, nil)
	v, err := contract()
	if err != nil {
		t.Fatal(err)
	}
	path, _, _ := strings.Cut(target, "?")
	if err := v.Response(method, path, r.code, r.h, []byte(r.body)); err != nil {
		t.Errorf("OpenAPI contract: %v", err)
	}
	return r
}

// TestOpenAPIContractOfTheOtherFileOperations calls, through the checking
// client, the file operations TestFilesAPI does not reach (list, update,
// download, receipt, answer, cancel, withdraw), so that every operation of
// the document is checked against a real response.
func TestOpenAPIContractOfTheOtherFileOperations(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		a := newTestApp(t, d.Engine)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		ctx := context.Background()
		var id int64
		now := time.Now().UTC()
		if err := a.DB.Transact(ctx, func(tx *db.Tx) error {
			return tx.QueryRowContext(ctx, `INSERT INTO persons (email, email_key, email_verified_at, given_name_latin,
				family_name_latin, lang, created_at, updated_at) VALUES ('salma@example.ma', 'salma@example.ma', $1, 'Salma',
				'Tazi', 'fr', $1, $1) RETURNING id`, now).Scan(&id)
		}); err != nil {
			t.Fatal(err)
		}
		tok, err := a.Identity.CreateToken(ctx, id, "app", []authz.Scope{authz.ScopeFilesRead, authz.ScopeFilesWrite}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c := apiClient{t: t, base: srv.URL, token: tok}
		var f apiFile
		if code, body := c.json("POST", "/api/v1/files", map[string]any{"kind": "auto_entrepreneur", "address": "Derb 5, Sidi Othmane",
			"arrondissement": "sidi-othmane", "fields": map[string]any{"ae_number": "AE-55121", "activity": "Broderie"}}, &f); code != 201 {
			t.Fatalf("create: %d %s", code, body)
		}
		var list struct {
			Files []apiFile `json:"files"`
		}
		if code, body := c.json("GET", "/api/v1/files", nil, &list); code != 200 || len(list.Files) != 1 || list.Files[0].ID != f.ID {
			t.Fatalf("list: %d %s", code, body)
		}
		path := fmt.Sprintf("/api/v1/files/%d", f.ID)
		if code, body := c.json("PUT", path, map[string]any{"kind": "auto_entrepreneur", "address": "Derb 6, Sidi Othmane",
			"arrondissement": "sidi-othmane", "fields": map[string]any{"ae_number": "AE-55121", "activity": "Broderie"},
			"version": f.Version}, &f); code != 200 || f.Version != 2 {
			t.Fatalf("update: %d %s", code, body)
		}
		doc := pdf.New(pdf.Options{})
		doc.Text(72, 72, 12, false, "Pièce")
		var b bytes.Buffer
		if _, err := doc.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		var up struct {
			ID int64 `json:"id"`
		}
		if code, body := c.call("POST", path+"/documents/"+f.Missing[0]+"?name=piece.pdf", "application/pdf", &b, &up); code != 201 || up.ID == 0 {
			t.Fatalf("upload: %d %s", code, body)
		}
		if code, body := c.call("GET", fmt.Sprintf("%s/documents/%d", path, up.ID), "", nil, nil); code != 200 || !strings.HasPrefix(body, "%PDF-") {
			t.Fatalf("download: %d %.100s", code, body)
		}
		// A draft has no receipt, nothing to answer and no appointment:
		// the refusals are documented problems too.
		for _, op := range []struct{ method, path string }{
			{"GET", path + "/receipt"}, {"POST", path + "/answer"}, {"DELETE", path + "/appointment"},
		} {
			if code, body := c.json(op.method, op.path, nil, nil); code < 400 || code >= 500 {
				t.Errorf("%s %s on a draft: %d %s", op.method, op.path, code, body)
			}
		}
		c.json("GET", path, nil, &f)
		if code, body := c.json("POST", path+"/withdraw", map[string]int{"version": f.Version}, &f); code != 200 || f.State != "withdrawn" {
			t.Fatalf("withdraw: %d %s", code, body)
		}
	})
}
