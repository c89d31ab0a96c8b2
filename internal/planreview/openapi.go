package planreview

import _ "embed"

// OpenAPI is the capability's fragment of the API description.
//
//go:embed openapi.json
var OpenAPI []byte
