package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/web"
)

func get(t *testing.T, h http.Handler, path string) (int, string, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, rec.Header().Get("Content-Type"), string(body)
}

func modules(t *testing.T, h http.Handler) []string {
	t.Helper()
	code, ct, body := get(t, h, "/games/index.json")
	if code != http.StatusOK || ct != "application/json" {
		t.Fatalf("/games/index.json: %d %s", code, ct)
	}
	var idx web.GameIndex
	if err := json.Unmarshal([]byte(body), &idx); err != nil {
		t.Fatalf("/games/index.json: %v: %s", err, body)
	}
	return idx.Modules
}

// TestHandlerGames: the built-in game modules are served under /games/ and
// listed in /games/index.json; Options.Games adds a program's own, which
// win over a built-in of the same name, and its other files; nothing
// outside the games' files is reachable under /games/.
func TestHandlerGames(t *testing.T) {
	builtin := web.Handler(web.Options{})
	builtins := modules(t, builtin)
	if !slices.Contains(builtins, "arena") {
		t.Errorf("built-in modules %v lack arena", builtins)
	}
	code, ct, body := get(t, builtin, "/games/arena.js")
	if code != http.StatusOK || ct != "text/javascript; charset=utf-8" || !strings.Contains(body, "export function create(") {
		t.Errorf("/games/arena.js: %d %s, %d bytes", code, ct, len(body))
	}

	own := fstest.MapFS{
		"dots.js":        {Data: []byte("export function create(env) { return { draw() {} }; }")},
		"arena.js":       {Data: []byte("// restyled arena")},
		"dots/sheet.css": {Data: []byte("body {}")},
		"Not_A_Name.js":  {Data: []byte("")},
		"notes.txt":      {Data: []byte("")},
	}
	h := web.Handler(web.Options{Games: own})
	want := slices.Sorted(slices.Values(append([]string{"dots"}, builtins...)))
	if got := modules(t, h); !slices.Equal(got, want) {
		t.Errorf("modules %v, want %v", got, want)
	}
	for _, c := range []struct {
		path, ct, body string
	}{
		{"/games/dots.js", "text/javascript; charset=utf-8", "export function create"},
		{"/games/arena.js", "text/javascript; charset=utf-8", "// restyled arena"},
		{"/games/dots/sheet.css", "text/css; charset=utf-8", "body {}"},
		{"/app.js", "text/javascript; charset=utf-8", "window.tickroom"},
		{"/game.js", "text/javascript; charset=utf-8", "THE GAME MODULE INTERFACE"},
		{"/", "text/html; charset=utf-8", "<canvas"},
		{"/room/r-1", "text/html; charset=utf-8", "<canvas"},
	} {
		code, ct, body := get(t, h, c.path)
		if code != http.StatusOK || ct != c.ct || !strings.Contains(body, c.body) {
			t.Errorf("%s: %d %s %.60q, want 200 %s with %q", c.path, code, ct, body, c.ct, c.body)
		}
	}
	for _, path := range []string{"/games/", "/games/dots", "/games/nothing.js", "/games/%2e%2e/web.go", "/web.go", "/index.html", "/games/index.json/x"} {
		if code, _, _ := get(t, h, path); code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, code)
		}
	}
}

// TestArenaModuleReadsRules: the arena's module takes every rule the
// browser needs from the welcome's world (world.rules) instead of copying
// it: each rule the arena's world carries is read by web/games/arena.js,
// and none of the rules' telling values is written there.
func TestArenaModuleReadsRules(t *testing.T) {
	src, err := os.ReadFile("games/arena.js")
	if err != nil {
		t.Fatal(err)
	}
	world := arena.New(arena.Config{}).Schema().World
	rules, ok := world["rules"].(map[string]any)
	if !ok {
		t.Fatal("the arena's world has no rules")
	}
	// Rules the browser has no use for, and why.
	unused := map[string]string{
		"tickRate":    "the welcome carries the tick rate",
		"firstShotID": "own shots are told by their owner field",
	}
	for name := range rules {
		read := regexp.MustCompile(`\bR\.` + name + `\b`).Match(src)
		if _, skip := unused[name]; !read && !skip {
			t.Errorf("arena.js does not read rules.%s", name)
		}
	}
	for _, name := range []string{"w", "h", "walls"} {
		if _, ok := world[name]; !ok {
			t.Errorf("the arena's world has no %s", name)
		}
	}
	// Values distinctive enough that finding one means a copy.
	for _, v := range []string{"2400", "900", "0.7071", "1 << 20", "1048576", "800", "480", "1600", "960"} {
		if regexp.MustCompile(`(^|[^\w.])` + regexp.QuoteMeta(v) + `\b`).Match(src) {
			t.Errorf("arena.js holds %s, a value of the arena's rules: read it from the world", v)
		}
	}
}
