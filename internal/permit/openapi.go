package permit

import _ "embed"

// OpenAPI is this capability's fragment of the API document: the paths and
// schemas of permit files and the permit catalogue under /api/v1. internal/app merges it into the served
// document; the app's tests check it against the routes and validate real
// responses against its schemas.
//
//go:embed openapi.json
var OpenAPI []byte
