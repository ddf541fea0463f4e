package lobby

import (
	_ "embed"
	"net/http"
)

// openAPI is the OpenAPI 3.1 description of this API. docs/openapi.json is
// the same file for readers; a test keeps the two, and both against the
// routes, in step.
//
//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openAPI)
}
