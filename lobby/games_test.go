package lobby_test

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/blobs"
	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/lobbytest"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode/client"
)

// startArenaAndBlobs runs the small arena (the default game) and blobs.
func startArenaAndBlobs(t *testing.T) *testServer {
	return startServerGames(t, rooms.Options{}, lobbytest.SmallArena(), blobs.Definition())
}

// TestListGames: GET /api/games lists the games the server runs, the
// default first, each with its modes (the default first) and their seat
// limits, as the SDK reads them.
func TestListGames(t *testing.T) {
	t.Parallel()
	ts := startArenaAndBlobs(t)
	got := decode[rest.GameList](t, call(t, "GET", ts.URL+"/api/games", ""), http.StatusOK)
	want := []rest.Game{
		{Name: "arena", Title: "Arena", Description: "Top-down deathmatch: move with WASD, aim with the mouse, click to shoot.", Modes: []rest.Mode{
			{Name: "ffa", Title: "Free for all", MaxPlayers: 8, Limit: 64},
			{Name: "duel", Title: "Duel", MaxPlayers: 2, Limit: 2},
		}},
		{Name: "blobs", Title: "Blobs", Description: "Steer your blob with the mouse: eat pellets to grow, swallow smaller blobs, flee bigger ones.", Modes: []rest.Mode{
			{Name: "ffa", Title: "Free for all", MaxPlayers: 16, Limit: 64},
			{Name: "small", Title: "Small field", MaxPlayers: 6, Limit: 12},
		}},
	}
	if !reflect.DeepEqual(got.Games, want) {
		t.Fatalf("games %+v\nwant %+v", got.Games, want)
	}
	sdk, err := client.Games(t.Context(), ts.URL, nil)
	if err != nil || !reflect.DeepEqual(sdk, want) {
		t.Fatalf("client.Games: %+v, %v", sdk, err)
	}
	only := decode[rest.GameList](t, call(t, "GET", startServer(t, rooms.Options{}, lobby.APIOptions{}).URL+"/api/games", ""), http.StatusOK)
	if len(only.Games) != 1 || only.Games[0].Name != "arena" {
		t.Fatalf("a server of the arena alone lists %+v", only.Games)
	}
	a := call(t, "POST", ts.URL+"/api/games", "{}")
	problem(t, a, http.StatusMethodNotAllowed, "")
	if allow := a.header.Get("Allow"); allow != "GET" {
		t.Fatalf("Allow %q", allow)
	}
}

// TestCreateRoomOfGame: a room is created for a game and mode, with the
// mode's seats by default; the room, the list and the room's welcome say
// which game it runs, and its players decode that game's schema.
func TestCreateRoomOfGame(t *testing.T) {
	t.Parallel()
	ts := startArenaAndBlobs(t)
	for _, tc := range []struct {
		spec            string
		game, mode      string
		seats           int
		kind, otherKind string // a kind of the game's schema, and one of the other's
	}{
		{spec: `{"game":"blobs","mode":"small"}`, game: "blobs", mode: "small", seats: 6, kind: "pellet", otherKind: "projectile"},
		{spec: `{"game":"blobs"}`, game: "blobs", mode: "ffa", seats: 16, kind: "blob", otherKind: "player"},
		{spec: `{"game":"blobs","mode":"small","max_players":12}`, game: "blobs", mode: "small", seats: 12, kind: "pellet", otherKind: "projectile"},
		{spec: `{"mode":"duel"}`, game: "arena", mode: "duel", seats: 2, kind: "projectile", otherKind: "pellet"},
		{spec: `{}`, game: "arena", mode: "ffa", seats: 8, kind: "player", otherKind: "blob"},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			r := createRoom(t, ts, tc.spec)
			if r.Game != tc.game || r.Mode != tc.mode || r.MaxPlayers != tc.seats {
				t.Fatalf("created %s %s with %d seats, want %s %s with %d", r.Game, r.Mode, r.MaxPlayers, tc.game, tc.mode, tc.seats)
			}
			if d := roomInfo(t, ts, r.ID); d.Game != tc.game || d.Mode != tc.mode {
				t.Fatalf("GET the room: %+v", d.Room)
			}
			i := slices.IndexFunc(list(t, ts, "").Rooms, func(l *directory.Room) bool { return l.ID == r.ID })
			if i < 0 || list(t, ts, "").Rooms[i].Game != tc.game {
				t.Fatalf("listed as %+v", list(t, ts, "").Rooms)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			c := join(t, ctx, ts.URL, r.ID, "p")
			if w := c.Welcome(); w.Game != tc.game || w.Mode != tc.mode || w.Schema.Game != tc.game {
				t.Fatalf("welcome: game %q mode %q schema %q", w.Game, w.Mode, w.Schema.Game)
			}
			if c.Schema().KindByName(tc.kind) == nil || c.Schema().KindByName(tc.otherKind) != nil {
				t.Fatalf("schema kinds %+v: want %s, not %s", c.Schema().Kinds, tc.kind, tc.otherKind)
			}
			u := readSnapshot(t, ctx, c)
			if i := slices.IndexFunc(u.Entities, func(e game.Entity) bool { return e.ID == c.PlayerID() }); i < 0 ||
				c.Schema().KindByID(u.Entities[i].Kind) == nil {
				t.Fatalf("snapshot %+v: no avatar of a kind of the schema", u.Entities)
			}
		})
	}
}

// TestCreateRoomGameErrors: an unknown game or mode, or more seats than
// the mode allows, is a 400 problem naming the field, and makes no room.
func TestCreateRoomGameErrors(t *testing.T) {
	t.Parallel()
	ts := startArenaAndBlobs(t)
	for _, tc := range []struct{ spec, field string }{
		{`{"game":"chess"}`, "game"},
		{`{"game":"Blobs"}`, "game"},
		{`{"game":""}`, ""}, // the default game: not an error
		{`{"game":3}`, "game"},
		{`{"mode":"small"}`, "mode"}, // blobs', not the arena's
		{`{"game":"blobs","mode":"duel"}`, "mode"},
		{`{"game":"blobs","mode":"ctf"}`, "mode"},
		{`{"mode":"duel","max_players":3}`, "max_players"},
		{`{"game":"blobs","mode":"small","max_players":13}`, "max_players"},
		{`{"game":"blobs","max_players":65}`, "max_players"},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			before := len(list(t, ts, "").Rooms)
			a := call(t, "POST", ts.URL+"/api/rooms", tc.spec)
			if tc.field == "" {
				decode[directory.Room](t, a, http.StatusCreated)
				return
			}
			p := problem(t, a, http.StatusBadRequest, tc.field)
			if p.Detail == "" {
				t.Fatalf("problem %+v does not say why", p)
			}
			if n := len(list(t, ts, "").Rooms); n != before {
				t.Fatalf("%d rooms listed after a refused create, %d before", n, before)
			}
		})
	}
}

// TestGameFilter: game= narrows the room list, the long-poll and the
// event stream to one game's rooms; an unknown game lists none, a
// malformed one is a 400 naming game.
func TestGameFilter(t *testing.T) {
	t.Parallel()
	ts := startArenaAndBlobs(t)
	s := openEvents(t, ts, "game=blobs")
	if l := s.reset(t); len(l.Rooms) != 0 {
		t.Fatalf("reset %+v", l)
	}
	v := list(t, ts, "game=blobs").Version
	poll := longPoll(t, ts, "game=blobs&since="+v+"&timeout=10s")
	arenaRoom := createRoom(t, ts, `{"name":"a"}`)
	arenaDuel := createRoom(t, ts, `{"name":"d","mode":"duel"}`)
	select {
	case a := <-poll:
		t.Fatalf("the blobs long-poll woke for an arena room: %s", a.body)
	case <-time.After(100 * time.Millisecond):
	}
	blobsRoom := createRoom(t, ts, `{"name":"b","game":"blobs"}`)
	if l := decode[rest.RoomList](t, <-poll, http.StatusOK); len(l.Rooms) != 1 || l.Rooms[0].ID != blobsRoom.ID {
		t.Fatalf("long-poll answered %+v", l)
	}
	if name, _, r := s.event(t); name != "room.created" || r.ID != blobsRoom.ID || r.Game != "blobs" {
		t.Fatalf("the blobs stream's first event: %s %+v, want blobs room %s created", name, r, blobsRoom.ID)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"game=blobs", []string{blobsRoom.ID}},
		{"game=arena", []string{arenaRoom.ID, arenaDuel.ID}},
		{"game=arena&mode=duel", []string{arenaDuel.ID}},
		{"game=blobs&mode=duel", []string{}},
		{"game=chess", []string{}},
		{"", []string{arenaRoom.ID, arenaDuel.ID, blobsRoom.ID}},
	} {
		var got []string
		for _, r := range list(t, ts, tc.query).Rooms {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, tc.want) && (len(got) != 0 || len(tc.want) != 0) {
			t.Errorf("%s: rooms %v, want %v", tc.query, got, tc.want)
		}
	}
	for _, q := range []string{"game=Blobs", "game=", "game=a&game=b"} {
		problem(t, call(t, "GET", ts.URL+"/api/rooms?"+q, ""), http.StatusBadRequest, "game")
		problem(t, call(t, "GET", ts.URL+"/api/rooms/events?"+q, ""), http.StatusBadRequest, "game")
	}
}
