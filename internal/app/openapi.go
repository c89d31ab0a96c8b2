package app

import (
	_ "embed"
	"net/http"

	"madina/internal/district"
	"madina/internal/identity"
	"madina/internal/permit"
	"madina/internal/platform/openapi"
)

// openapiBase is the part of the API document that belongs to no
// capability: info, servers, the document's own path and the shared
// components (the problem schema and response, the lang parameter, the
// bearer scheme, the three-language Name).
//
//go:embed openapi.json
var openapiBase []byte

// openAPIFragments lists each capability's fragment of the document.
func openAPIFragments() [][]byte {
	return [][]byte{district.OpenAPI, identity.OpenAPI, permit.OpenAPI}
}

// openAPIDocument assembles the served document; New calls it once. A test
// fails when it and the routes differ.
func openAPIDocument() ([]byte, error) {
	return openapi.Merge(openapiBase, openAPIFragments()...)
}

func (a *App) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(a.openapi)
}
