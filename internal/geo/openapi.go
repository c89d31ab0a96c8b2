package geo

import _ "embed"

// OpenAPI is this capability's fragment of the API document: GET
// /api/v1/locate. (The OGC API at /ogc describes itself by its own
// standard's documents.)
//
//go:embed openapi.json
var OpenAPI []byte
