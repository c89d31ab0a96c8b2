package signature

import _ "embed"

// OpenAPI is this capability's fragment of the API document: a signer's
// certificates (API tokens with the certificates scopes) and the RFC 3161
// time-stamping authority, under /api/v1. internal/app merges it into the
// served document; the app's tests check it against the routes and
// validate real responses against its schemas.
//
//go:embed openapi.json
var OpenAPI []byte
