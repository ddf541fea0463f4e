package lobby

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tickroom/tickroom/lobby/directory"
)

// FuzzListQuery: any query string parses to a query or to an error naming
// a parameter; a parsed query pages without panicking, within its limit,
// and its next cursor is accepted by the same query.
func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{
		"", "mode=ffa&has_space=true&label.region=eu&name=duel", "sort=-players&limit=2",
		"watch=1&since=7&timeout=30s", "watch=true&since=0&timeout=250ms", "cursor=eyJxIjoiIiwiaSI6IngifQ",
		"limit=0", "limit=101", "sort=--name", "mode=a&mode=b", "label.=x", "%%%", "a=1;b=2",
		"timeout=1h&watch=1&since=1", strings.Repeat("label.k=v&", 64), "name=" + strings.Repeat("é", 49),
		"game=blobs&mode=small", "game=arena&sort=name&limit=1", "game=Blobs", "game=a&game=b",
	} {
		f.Add(seed)
	}
	rooms := fuzzRooms()
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := parseListQuery(raw)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("%q: error %v names no parameter", raw, err)
			}
			return
		}
		page, next := q.page(rooms)
		if len(page) > q.limit {
			t.Fatalf("%q: page of %d over limit %d", raw, len(page), q.limit)
		}
		if next == "" {
			return
		}
		v, _ := url.ParseQuery(raw)
		v.Set("cursor", next)
		if _, err := parseListQuery(v.Encode()); err != nil {
			t.Fatalf("%q: its own next cursor is refused: %v", raw, err)
		}
	})
}

func fuzzRooms() []*directory.Room {
	var out []*directory.Room
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 12 {
		out = append(out, &directory.Room{
			ID: fmt.Sprintf("room-%02d", i), Name: fmt.Sprintf("Room %d", i%5),
			Game: []string{"arena", "blobs", "arena"}[i%3], Mode: []string{"ffa", "duel"}[i%2],
			MaxPlayers: 4, Players: i % 5, Labels: map[string]string{"region": []string{"eu", "us", "asia"}[i%3]},
			State: "open", CreatedAt: t0.Add(time.Duration(i%7) * time.Second),
		})
	}
	return out
}

// FuzzCreateRoomBody: any body is either a valid room config or a problem
// naming a field, never a panic or a 500.
func FuzzCreateRoomBody(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"name":"EU duel","mode":"duel","max_players":2,"tick_rate":60,"labels":{"region":"eu"}}`,
		`{"private":true,"join_code":"tacos-42"}`, `{"name":`, `[]`, `null`, `{"max_players":1e400}`,
		`{"labels":{"a":1}}`, `{"labels":[]}`, `{"x":1}`, `{} {}`, `{"name":"\u0000"}`,
		`{"name":"` + strings.Repeat("x", 17<<10) + `"}`,
		`{"NAME":"x"}`, `{"name":"a","name":"b"}`, `{"labels":{"r":"a","r":"b"}}`, "{\"name\":\"\xff\"}",
		"{\"labels\":{\"\xc3\x28\":\"x\"}}", `{"name":"\u202e\u200b"}`, `{"Max_Players":2}`,
		`{"game":"blobs","mode":"small","max_players":12}`, `{"game":"Chess!"}`, `{"game":3}`, `{"game":""}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/api/rooms", strings.NewReader(string(body)))
		w := httptest.NewRecorder()
		var req createRoomRequest
		err := decodeJSON(w, r, &req)
		if err == nil {
			checkStrict(t, body)
			if _, err = req.config(); err == nil {
				return
			}
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field == "" {
			t.Fatalf("%q: error %v names no field", body, err)
		}
		writeError(w, err)
		if w.Code >= http.StatusInternalServerError {
			t.Fatalf("%q: status %d", body, w.Code)
		}
	})
}

// checkStrict fails t unless an accepted body is valid UTF-8 and names
// each field exactly (case included) and once.
func checkStrict(t *testing.T, body []byte) {
	t.Helper()
	if !utf8.Valid(body) {
		t.Fatalf("%q: accepted invalid UTF-8", body)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%q: accepted, but not an object", body)
	}
	names := jsonNames(reflect.TypeFor[createRoomRequest]())
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%q: accepted, but %v", body, err)
		}
		key := tok.(string)
		if !slices.Contains(names, key) || seen[key] {
			t.Fatalf("%q: accepted key %q (fields %v, seen before: %v)", body, key, names, seen[key])
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("%q: accepted, but %v", body, err)
		}
	}
}
