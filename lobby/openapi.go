package lobby

import (
	_ "embed"
	"net/http"
)

// openAPI is the OpenAPI 3.1 description of this API, the one copy: the
// server serves it at /api/openapi.json and the docs link here. Tests keep
// it and the routes, and its schemas and the lobby/rest types, in step.
//
//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openAPI)
}
