package lobby

import (
	"encoding/json"
	"maps"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
)

type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
	Comps   struct {
		Schemas map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"schemas"`
	} `json:"components"`
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("openapi %q, want 3.1.x", doc.OpenAPI)
	}
	return doc
}

// TestOpenAPIMatchesRoutes walks the real mux both ways: every operation
// in the document is routed to the route registered for it, and every
// registered route is in the document.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	mux := NewAPI(t.Context(), nil, APIOptions{}).mux()
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			pattern := strings.ToUpper(method) + " " + path
			documented[pattern] = true
			// Fill the path's {params} with sample values and ask the mux.
			url := strings.NewReplacer("{id}", "some-room-id").Replace(path)
			_, got := mux.Handler(httptest.NewRequest(strings.ToUpper(method), url, nil))
			if got != pattern {
				t.Errorf("documented %s is routed to %q", pattern, got)
			}
		}
	}
	for _, rt := range (&API{}).routes() {
		if !documented[rt.pattern] {
			t.Errorf("route %s is not in openapi.json", rt.pattern)
		}
		method, path, _ := strings.Cut(rt.pattern, " ")
		url := strings.NewReplacer("{id}", "x").Replace(path)
		if _, got := mux.Handler(httptest.NewRequest(method, url, nil)); got != rt.pattern {
			t.Errorf("route %s: the mux routes it to %q", rt.pattern, got)
		}
	}
}

// TestOpenAPISchemas: each schema lists exactly the JSON fields of the Go
// type it describes.
func TestOpenAPISchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	types := map[string]any{
		"CreateRoomRequest": rest.CreateRoom{},
		"JoinRequest":       rest.Join{},
		"MatchmakeRequest":  rest.QuickPlay{},
		"AnnounceRequest":   rest.Announce{},
		"AnnounceResponse":  rest.Announced{},
		"JoinResponse":      rest.Seat{},
		"Room":              directory.Room{},
		"RoomDetail":        rest.RoomDetail{},
		"Player":            directory.Player{},
		"RoomList":          rest.RoomList{},
		"Problem":           rest.Problem{},
		"GameList":          rest.GameList{},
		"Game":              rest.Game{},
		"GameMode":          rest.Mode{},
		"NodeList":          rest.NodeList{},
		"Node":              rest.Node{},
	}
	for name, v := range types {
		s, ok := doc.Comps.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		got := slices.Sorted(maps.Keys(s.Properties))
		if want := jsonFields(reflect.TypeOf(v)); !slices.Equal(got, want) {
			t.Errorf("schema %s has properties %q, the Go type %q", name, got, want)
		}
	}
}

func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && name == "":
			// An embedded struct's fields are the outer object's.
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			out = append(out, jsonFields(ft)...)
		case name != "-" && f.IsExported():
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
