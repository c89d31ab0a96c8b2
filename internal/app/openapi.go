package app

import (
	_ "embed"
	"net/http"
)

// openapiJSON documents /api/v1. A test fails when it and the routes differ.
//
//go:embed openapi.json
var openapiJSON []byte

func (a *App) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openapiJSON)
}
