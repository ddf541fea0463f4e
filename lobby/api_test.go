package lobby_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
)

// answer is one HTTP response, read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// call sends method url with body (none when empty) and header pairs
// ("Name", "value", ...). A body gets Content-Type application/json unless
// the pairs set one.
func call(t *testing.T, method, url, body string, header ...string) answer {
	t.Helper()
	a, err := send(t.Context(), method, url, body, header...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// send is call for goroutines other than the test's.
func send(ctx context.Context, method, url, body string, header ...string) (answer, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return answer{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: reading: %w", method, url, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// decode checks the status and decodes the JSON answer into a T.
func decode[T any](t *testing.T, a answer, status int) T {
	t.Helper()
	var v T
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("decoding %s: %v", a.body, err)
	}
	return v
}

// problem checks that a is an RFC 9457 problem with status, naming field
// (when field is not empty), and returns it.
func problem(t *testing.T, a answer, status int, field string) rest.Problem {
	t.Helper()
	if mt, _, _ := mime.ParseMediaType(a.header.Get("Content-Type")); mt != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json (status %d: %s)", a.header.Get("Content-Type"), a.status, a.body)
	}
	p := decode[rest.Problem](t, a, status)
	if p.Status != status || p.Type == "" || p.Title == "" {
		t.Fatalf("problem %+v: want status %d with type and title", p, status)
	}
	if field != "" && p.Field != field {
		t.Fatalf("problem names field %q, want %q: %+v", p.Field, field, p)
	}
	return p
}

// createRoom creates a room from a JSON spec and returns it.
func createRoom(t *testing.T, ts *testServer, spec string) directory.Room {
	t.Helper()
	return decode[directory.Room](t, call(t, "POST", ts.URL+"/api/rooms", spec), http.StatusCreated)
}

// reserve joins room as name and returns the seat.
func reserve(t *testing.T, ts *testServer, roomID, body string) rest.Seat {
	t.Helper()
	return decode[rest.Seat](t, call(t, "POST", ts.URL+"/api/rooms/"+roomID+"/join", body), http.StatusOK)
}

func TestCreateRoomContract(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{Limits: noQuotas})
	bad := []struct {
		name, body string
		status     int
		field      string
	}{
		{"malformed JSON", `{"name": "x"`, 400, "body"},
		{"not JSON", `name=x`, 400, "body"},
		{"empty body", ``, 400, "body"},
		{"array", `[{"name":"x"}]`, 400, "body"},
		{"null", `null`, 400, "body"},
		{"two objects", `{} {}`, 400, "body"},
		{"unknown field", `{"name":"x","colour":"red"}`, 400, "colour"},
		{"wrong type max_players", `{"max_players":"8"}`, 400, "max_players"},
		{"wrong type name", `{"name":42}`, 400, "name"},
		{"wrong type private", `{"private":"yes"}`, 400, "private"},
		{"wrong type labels", `{"labels":["eu"]}`, 400, "labels"},
		{"wrong type label value", `{"labels":{"region":1}}`, 400, "labels.region"},
		{"fractional max_players", `{"max_players":4.5}`, 400, "max_players"},
		{"huge max_players", `{"max_players":1e20}`, 400, "max_players"},
		{"zero max_players", `{"max_players":0}`, 400, "max_players"},
		{"max_players over 64", `{"max_players":65}`, 400, "max_players"},
		{"negative max_players", `{"max_players":-1}`, 400, "max_players"},
		{"tick_rate under 10", `{"tick_rate":9}`, 400, "tick_rate"},
		{"tick_rate over 60", `{"tick_rate":61}`, 400, "tick_rate"},
		{"name too long", `{"name":"` + strings.Repeat("n", 49) + `"}`, 400, "name"},
		{"bad mode", `{"mode":"Capture Flag!"}`, 400, "mode"},
		{"private without join code", `{"private":true}`, 400, "join_code"},
		{"short join code", `{"private":true,"join_code":"abc"}`, 400, "join_code"},
		{"join code on a public room", `{"join_code":"secret"}`, 400, "join_code"},
		{"too many labels", `{"labels":{` + manyLabels(17) + `}}`, 400, "labels"},
		{"bad label key", `{"labels":{"a b":"x"}}`, 400, "labels.a b"},
		{"long label value", `{"labels":{"region":"` + strings.Repeat("v", 65) + `"}}`, 400, "labels.region"},
		{"oversized body", `{"name":"` + strings.Repeat("x", 17<<10) + `"}`, 413, "body"},
		// encoding/json would take these: keys matched ignoring case, the
		// last of two equal keys, invalid UTF-8 as U+FFFD.
		{"case-folded key", `{"NAME":"x"}`, 400, "NAME"},
		{"case-folded key in a mix", `{"name":"x","Max_Players":4}`, 400, "Max_Players"},
		{"duplicate key", `{"name":"a","name":"b"}`, 400, "name"},
		{"duplicate key, other case", `{"name":"a","Name":"b"}`, 400, "Name"},
		{"duplicate label key", `{"labels":{"region":"eu","region":"us"}}`, 400, "labels.region"},
		{"invalid UTF-8 in name", "{\"name\":\"lobby\xff\xfe\"}", 400, "name"},
		{"invalid UTF-8 in a label value", "{\"labels\":{\"region\":\"\xc3\x28\"}}", 400, "labels.region"},
		{"invalid UTF-8 in a key", "{\"\xff\":1}", 400, "body"},
		{"invalid UTF-8 after the object", "{\"name\":\"x\"}\xff", 400, "body"},
		// Found by FuzzCreateRoomBody: the member named "" was named by
		// nothing.
		{"invalid UTF-8 after an empty name", "{\"\"\x95", 400, `""`},
		{"a form feed before the object", "\f{}", 400, "body"},
		{"a no-break space after the object", "{}\u00a0", 400, "body"},
		{"invalid UTF-8 after an empty label key", "{\"labels\":{\"\":\x95}}", 400, `labels.""`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			problem(t, call(t, "POST", ts.URL+"/api/rooms", tc.body), tc.status, tc.field)
		})
	}
	t.Run("wrong content type", func(t *testing.T) {
		problem(t, call(t, "POST", ts.URL+"/api/rooms", `{}`, "Content-Type", "text/plain"), 415, "Content-Type")
	})
	for _, ct := range []string{"application/json; charset=utf-16", "application/json; charset=UTF-16LE", "application/json; charset=latin1"} {
		t.Run(ct, func(t *testing.T) {
			p := problem(t, call(t, "POST", ts.URL+"/api/rooms", `{}`, "Content-Type", ct), 415, "Content-Type")
			if !strings.Contains(p.Detail, "charset") {
				t.Fatalf("detail %q does not name the charset", p.Detail)
			}
		})
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON; charset=\"UTF-8\""} {
		t.Run(ct, func(t *testing.T) {
			decode[directory.Room](t, call(t, "POST", ts.URL+"/api/rooms", `{"name":"ok"}`, "Content-Type", ct), http.StatusCreated)
		})
	}
	t.Run("unknown key names its case-sensitive twin", func(t *testing.T) {
		p := problem(t, call(t, "POST", ts.URL+"/api/rooms", `{"Tick_Rate":30}`), 400, "Tick_Rate")
		if !strings.Contains(p.Detail, `"tick_rate"`) {
			t.Fatalf("detail %q does not point at tick_rate", p.Detail)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		a := call(t, "POST", ts.URL+"/api/rooms", `{}`)
		r := decode[directory.Room](t, a, http.StatusCreated)
		if r.Name != "room" || r.Mode != "ffa" || r.MaxPlayers != 8 || r.TickRate != 30 || r.State != "open" || r.Private {
			t.Fatalf("defaults: %+v", r)
		}
		if loc := a.header.Get("Location"); loc != "/api/rooms/"+r.ID {
			t.Fatalf("Location %q", loc)
		}
	})
	t.Run("all metadata", func(t *testing.T) {
		r := createRoom(t, ts, `{"name":" EU duel ","mode":"duel","max_players":2,"tick_rate":60,"labels":{"region":"eu","tier":"gold"}}`)
		if r.Name != "EU duel" || r.Mode != "duel" || r.MaxPlayers != 2 || r.TickRate != 60 || r.Labels["region"] != "eu" || r.Labels["tier"] != "gold" {
			t.Fatalf("room: %+v", r)
		}
	})
	t.Run("private", func(t *testing.T) {
		a := call(t, "POST", ts.URL+"/api/rooms", `{"private":true,"join_code":"s3cret"}`)
		if strings.Contains(string(a.body), "s3cret") {
			t.Fatalf("the answer shows the join code: %s", a.body)
		}
		if r := decode[directory.Room](t, a, http.StatusCreated); !r.Private {
			t.Fatalf("room: %+v", r)
		}
	})
}

func manyLabels(n int) string {
	var parts []string
	for i := range n {
		parts = append(parts, fmt.Sprintf(`"k%d":"v"`, i))
	}
	return strings.Join(parts, ",")
}

func TestGetRoomPresence(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
	room := createRoom(t, ts, `{"name":"lounge","max_players":4}`)
	alice := join(t, t.Context(), ts.URL, room.ID, "alice")
	reserve(t, ts, room.ID, `{"name":"late"}`) // reserved, not connected
	checkFor(t, 5*time.Second, func() error {
		d := roomInfo(t, ts, room.ID)
		if d.ID != room.ID || d.Name != "lounge" || d.Reserved != 1 {
			return fmt.Errorf("room: %+v", d.Room)
		}
		if len(d.Players) != 1 {
			return fmt.Errorf("players: %+v", d.Players)
		}
		p := d.Players[0]
		if p.ID != alice.PlayerID() || p.Name != "alice" || p.State != "playing" {
			return fmt.Errorf("player: %+v", p)
		}
		return nil
	})
	// The round trip is unknown (null, not 0) until a keepalive ping has
	// measured it; then it is in ms to the microsecond, so a loopback's
	// sub-millisecond round trip is not 0.
	raw := decode[map[string]any](t, call(t, "GET", ts.URL+"/api/rooms/"+room.ID, ""), http.StatusOK)
	if p := raw["players"].([]any)[0].(map[string]any); p["ping_ms"] != nil {
		t.Fatalf("ping_ms %v before any round trip, want null", p["ping_ms"])
	}
	fast := startServer(t, rooms.Options{}, lobby.APIOptions{KeepaliveInterval: 50 * time.Millisecond})
	froom := createRoom(t, fast, `{}`)
	bob := join(t, t.Context(), fast.URL, froom.ID, "bob")
	go func() { // reading answers the keepalive's pings
		for {
			if _, err := bob.Read(t.Context()); err != nil {
				return
			}
		}
	}()
	checkFor(t, 5*time.Second, func() error {
		d := roomInfo(t, fast, froom.ID)
		if len(d.Players) != 1 || d.Players[0].PingMS == nil || *d.Players[0].PingMS <= 0 {
			return fmt.Errorf("players %+v: want a measured round trip", d.Players)
		}
		return nil
	})
	alice.CloseNow()
	checkFor(t, 5*time.Second, func() error {
		d := roomInfo(t, ts, room.ID)
		if len(d.Players) != 1 || d.Players[0].State != "reconnecting" {
			return fmt.Errorf("after a drop: %+v", d.Players)
		}
		return nil
	})
	problem(t, call(t, "GET", ts.URL+"/api/rooms/no-such-room", ""), 404, "")
}

func TestRouting(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
	cases := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"DELETE", "/api/rooms", 405, "GET, POST"},
		{"PUT", "/api/rooms/abc/join", 405, "POST"},
		{"GET", "/api/matchmake", 405, "POST"},
		{"POST", "/ws", 405, "GET"},
		{"GET", "/api/nothing", 404, ""},
		{"GET", "/api/rooms/abc/nothing", 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			a := call(t, tc.method, ts.URL+tc.path, "")
			problem(t, a, tc.status, "")
			if got := a.header.Get("Allow"); got != tc.allow {
				t.Fatalf("Allow %q, want %q", got, tc.allow)
			}
		})
	}
	t.Run("openapi.json", func(t *testing.T) {
		doc := decode[map[string]any](t, call(t, "GET", ts.URL+"/api/openapi.json", ""), http.StatusOK)
		if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
			t.Fatalf("openapi version %q", v)
		}
	})
}
