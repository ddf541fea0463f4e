// Package web is tickroom's browser client: a lobby and a canvas game
// written as plain ES modules, served from files embedded in the binary so
// the server needs no build step and no files on disk.
//
// Handler serves index.html at "/" and at "/room/{id}" (the shareable URL
// of a room), and the modules, style sheet and vendored MessagePack codec
// by name. It imports nothing from the rest of tickroom: the client speaks
// to the server only through the REST API, /ws and the wire protocol.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed index.html style.css *.js vendor/msgpack
var files embed.FS

// contentTypes pins the types the browser is strict about; ES modules are
// refused unless served as JavaScript.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// Handler returns the handler for the client's files; mount it at "/".
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", serveIndex)
	mux.HandleFunc("GET /room/{id}", serveIndex)
	mux.HandleFunc("GET /", serveFile)
	return mux
}

func serveIndex(w http.ResponseWriter, r *http.Request) {
	b, err := files.ReadFile("index.html")
	if err != nil {
		http.Error(w, "index.html missing from the build", http.StatusInternalServerError)
		return
	}
	setHeaders(w, "index.html")
	w.Write(b)
}

// serveFile serves one embedded file; directories are not listed.
func serveFile(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	if name == "" || name == "index.html" || strings.HasSuffix(r.URL.Path, "/") {
		http.NotFound(w, r)
		return
	}
	st, err := fs.Stat(files, name)
	if err != nil || st.IsDir() {
		http.NotFound(w, r)
		return
	}
	setHeaders(w, name)
	http.ServeFileFS(w, r, files, name)
}

func setHeaders(w http.ResponseWriter, name string) {
	h := w.Header()
	if ct, ok := contentTypes[path.Ext(name)]; ok {
		h.Set("Content-Type", ct)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	// The files change with the binary and carry no version in their
	// names: let the browser revalidate instead of running stale code.
	h.Set("Cache-Control", "no-cache")
}
