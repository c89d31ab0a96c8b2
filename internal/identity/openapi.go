package identity

import _ "embed"

// OpenAPI is this capability's fragment of the API document: the paths and
// schemas of the signed-in person (API tokens open it) under /api/v1. internal/app merges it into the served
// document; the app's tests check it against the routes and validate real
// responses against its schemas.
//
//go:embed openapi.json
var OpenAPI []byte
