package app

import (
	_ "embed"
	"net/http"

	"madina/internal/module"
	"madina/internal/platform/openapi"
)

// openapiJSON is the part of the API document that belongs to no
// capability: info, servers, the document's own path and the shared
// components (the problem schema and response, the lang parameter, the
// bearer scheme, the three-language Name).
//
//go:embed openapi.json
var openapiJSON []byte

// openAPIFragments are the modules' fragments of the document, in list
// order.
func openAPIFragments(mods []module.Module) [][]byte {
	var out [][]byte
	for _, m := range mods {
		if m.OpenAPI != nil {
			out = append(out, m.OpenAPI)
		}
	}
	return out
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
