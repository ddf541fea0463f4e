package lobby_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode/client"
)

func TestAnnounce(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{AdminKey: "sesame"})
	room := createRoom(t, ts, `{}`)
	url := ts.URL + "/api/rooms/" + room.ID + "/announce"
	cases := []struct {
		name, url, body, auth string
		status                int
		field                 string
	}{
		{"no key", url, `{"text":"hi"}`, "", 401, "Authorization"},
		{"not bearer", url, `{"text":"hi"}`, "Basic c2VzYW1l", 401, "Authorization"},
		{"empty bearer", url, `{"text":"hi"}`, "Bearer ", 401, "Authorization"},
		{"wrong key", url, `{"text":"hi"}`, "Bearer open", 403, "Authorization"},
		{"wrong key, unknown room", ts.URL + "/api/rooms/nope/announce", `{"text":"hi"}`, "Bearer open", 403, "Authorization"},
		{"unknown room", ts.URL + "/api/rooms/nope/announce", `{"text":"hi"}`, "Bearer sesame", 404, ""},
		{"malformed", url, `{"text":`, "Bearer sesame", 400, "body"},
		{"unknown field", url, `{"text":"hi","level":"warn"}`, "Bearer sesame", 400, "level"},
		{"wrong type", url, `{"text":["hi"]}`, "Bearer sesame", 400, "text"},
		{"empty text", url, `{"text":"  "}`, "Bearer sesame", 400, "text"},
		{"text too long", url, `{"text":"` + strings.Repeat("x", 201) + `"}`, "Bearer sesame", 400, "text"},
		{"oversized", url, `{"text":"` + strings.Repeat("x", 17<<10) + `"}`, "Bearer sesame", 413, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, "POST", tc.url, tc.body, "Authorization", tc.auth)
			problem(t, a, tc.status, tc.field)
			if tc.status == 401 && !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("WWW-Authenticate %q", a.header.Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("delivered", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		alice := join(t, ctx, ts.URL, room.ID, "alice")
		a := call(t, "POST", url, `{"text":"server restarts in 5 minutes"}`, "Authorization", "bearer sesame")
		if got := decode[rest.Announced](t, a, http.StatusAccepted); got.RoomID != room.ID {
			t.Fatalf("answer %+v", got)
		}
		if e := waitForText(t, ctx, alice, "server restarts in 5 minutes"); e.Kind != game.EventSystem {
			t.Fatalf("event kind %d, want system", e.Kind)
		}
	})
	t.Run("disabled without a key", func(t *testing.T) {
		off := startServer(t, rooms.Options{}, lobby.APIOptions{})
		r := createRoom(t, off, `{}`)
		problem(t, call(t, "POST", off.URL+"/api/rooms/"+r.ID+"/announce", `{"text":"hi"}`, "Authorization", "Bearer "), 404, "")
	})
}

// waitForText reads c until an event with text arrives.
func waitForText(t *testing.T, ctx context.Context, c *client.Client, text string) game.Event {
	t.Helper()
	for {
		u, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for %q: %v", text, err)
		}
		for _, e := range u.Events {
			if e.Text == text {
				return e
			}
		}
	}
}
