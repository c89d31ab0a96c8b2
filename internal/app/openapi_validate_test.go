package app

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"madina/internal/platform/openapi/openapitest"
)

// The contract check of the tests that stay in package app; the file
// operations' contract test moved to internal/permit, the check of the
// check (TestOpenAPIContractCatchesAPlantedField) to internal/apptest.

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
