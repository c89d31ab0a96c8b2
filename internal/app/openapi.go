package app

import (
	_ "embed"
	"net/http"

	"madina/internal/district"
	"madina/internal/identity"
	"madina/internal/permit"
	"madina/internal/platform/openapi"
)

// openapiJSON is the part of the API document that belongs to no
// capability: info, servers, the document's own path and the shared
// components (the problem schema and response, the lang parameter, the
// bearer scheme, the three-language Name).
//
//go:embed openapi.json
var openapiJSON []byte

// openAPIFragments lists each capability's fragment of the document (to be
// read from the module list once capabilities carry their fragment).
func openAPIFragments() [][]byte {
	return [][]byte{district.OpenAPI, identity.OpenAPI, permit.OpenAPI}
}

// openAPIDocument is the API document served: the application's part with
// every capability's fragment. New calls it once; a fragment describing an
// operation or defining a component another already does differently is an
// error. A test fails when the document and the routes differ.
func openAPIDocument(fragments [][]byte) ([]byte, error) {
	return openapi.Merge(openapiJSON, fragments...)
}

func (a *App) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(a.openapi)
}
