package app

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"madina/internal/platform/db"
	"madina/internal/platform/openapi/openapitest"
)

// contract is the served API document, ready to check responses against.
var contract = sync.OnceValues(func() (*openapitest.Validator, error) {
	doc, err := openAPIDocument()
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
