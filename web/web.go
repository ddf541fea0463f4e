// Package web is tickroom's browser client: a lobby and a canvas game
// written as plain ES modules, served from files embedded in the binary so
// the server needs no build step and no files on disk.
//
// The client is generic: it decodes any game by the schema its welcome
// carries and hands the game's entities, by field name, to a game module
// that draws them and maps the keyboard and mouse to the game's input
// (web/game.js documents that interface; web/README.md shows how to write
// one). A game module is web/games/<name>.js for the built-in games; a
// program built on tickroom as a library adds its own with Options.Games. A
// game without a module is drawn by a generic renderer.
//
// Handler serves index.html at "/" and at "/room/{id}" (the shareable URL
// of a room), the modules, style sheet and vendored MessagePack codec by
// name, the game modules under /games/, and /games/index.json, the list of
// game modules there are. It imports nothing from the rest of tickroom: the
// client speaks to the server only through the REST API, /ws and the wire
// protocol.
package web

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
)

//go:embed index.html style.css *.js games vendor/msgpack
var files embed.FS

// builtinGames is the built-in game modules, as /games/ serves them.
var builtinGames = mustSub(files, "games")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the embed pattern above guarantees the directory
	}
	return sub
}

// contentTypes pins the types the browser is strict about; ES modules are
// refused unless served as JavaScript.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json",
}

// Options configures Handler. The zero value serves the built-in client and
// its built-in game modules.
type Options struct {
	// Games holds game modules a program adds, and anything they load: its
	// file name.js is served at /games/name.js, which the browser imports
	// for a room whose game is called name (game.Definition.Name), and
	// every other file at /games/ under its path. A file here wins over a
	// built-in one of the same path, so a program may also restyle a
	// built-in game. nil adds none. /games/index.json lists the modules
	// of its top directory, so it must be listable (fs.ReadDir), as every
	// fs.FS of the standard library is.
	Games fs.FS
}

// Handler returns the handler for the client's files; mount it at "/".
func Handler(opts Options) http.Handler {
	h := &handler{games: []fs.FS{builtinGames}}
	if opts.Games != nil {
		h.games = []fs.FS{opts.Games, builtinGames}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", serveIndex)
	mux.HandleFunc("GET /room/{id}", serveIndex)
	mux.HandleFunc("GET /games/index.json", h.serveGameIndex)
	mux.HandleFunc("GET /games/", h.serveGameFile)
	mux.HandleFunc("GET /", serveFile)
	return mux
}

type handler struct {
	games []fs.FS // looked up in order
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
	name, ok := fileName(r, "/")
	if !ok || name == "index.html" || !serveFrom(w, r, files, name) {
		http.NotFound(w, r)
	}
}

// fileName returns the path of the file r asks for below prefix, or false
// for a directory or an invalid path.
func fileName(r *http.Request, prefix string) (string, bool) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), prefix)
	if name == "" || strings.HasSuffix(r.URL.Path, "/") || !fs.ValidPath(name) {
		return "", false
	}
	return name, true
}

// serveFrom serves the regular file name of fsys; false when it has none.
func serveFrom(w http.ResponseWriter, r *http.Request, fsys fs.FS, name string) bool {
	st, err := fs.Stat(fsys, name)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	setHeaders(w, name)
	http.ServeFileFS(w, r, fsys, name)
	return true
}

// serveGameFile serves a file under /games/ from the first games FS that
// has it.
func (h *handler) serveGameFile(w http.ResponseWriter, r *http.Request) {
	name, ok := fileName(r, "/games/")
	if ok {
		for _, fsys := range h.games {
			if serveFrom(w, r, fsys, name) {
				return
			}
		}
	}
	http.NotFound(w, r)
}

// moduleName is a game's name as game.Definition allows it, plus ".js".
var moduleName = regexp.MustCompile(`^([a-z0-9-]+)\.js$`)

// GameIndex is /games/index.json: the games that have a module. The client
// imports a game's module only when it is listed, so a game without one
// goes straight to the generic renderer instead of through a failed
// request.
type GameIndex struct {
	Modules []string `json:"modules"` // game names, sorted
}

func (h *handler) serveGameIndex(w http.ResponseWriter, r *http.Request) {
	idx := GameIndex{Modules: []string{}}
	for _, fsys := range h.games {
		entries, err := fs.ReadDir(fsys, ".")
		if err != nil {
			continue // an FS that cannot list still serves what is asked
		}
		for _, e := range entries {
			if m := moduleName.FindStringSubmatch(e.Name()); m != nil && e.Type().IsRegular() {
				idx.Modules = append(idx.Modules, m[1])
			}
		}
	}
	slices.Sort(idx.Modules)
	idx.Modules = slices.Compact(idx.Modules)
	setHeaders(w, "index.json")
	json.NewEncoder(w).Encode(idx)
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
