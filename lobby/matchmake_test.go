package lobby_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/blobs"
	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/lobbytest"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode/client"
)

func matchmake(t *testing.T, ts *testServer, body string) rest.Seat {
	t.Helper()
	return decode[rest.Seat](t, call(t, "POST", ts.URL+"/api/matchmake", body), http.StatusOK)
}

func TestMatchmakeContract(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
	cases := []struct {
		name, body string
		status     int
		field      string
	}{
		{"malformed", `{"name":"x",}`, 400, "body"},
		{"unknown field", `{"name":"x","region":"eu"}`, 400, "region"},
		{"wrong type", `{"name":"x","mode":3}`, 400, "mode"},
		{"no name", `{"mode":"ffa"}`, 400, "name"},
		{"bad mode", `{"name":"x","mode":"Free For All"}`, 400, "mode"},
		{"unknown mode", `{"name":"x","mode":"ctf"}`, 400, "mode"},
		{"unknown game", `{"name":"x","game":"chess"}`, 400, "game"},
		{"bad game", `{"name":"x","game":"Chess!"}`, 400, "game"},
		{"mode of another game", `{"name":"x","game":"arena","mode":"small"}`, 400, "mode"},
		{"oversized", `{"name":"x","mode":"` + string(make([]byte, 17<<10)) + `"}`, 413, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			problem(t, call(t, "POST", ts.URL+"/api/matchmake", tc.body), tc.status, tc.field)
		})
	}
}

// TestMatchmakePicksFullest: quick play takes the fullest public room of
// its game and mode with space, skipping full, private, other-mode and
// other-game rooms, and creates a room of the game and mode when none has
// space.
func TestMatchmakePicksFullest(t *testing.T) {
	t.Parallel()
	ts := startServerGames(t, rooms.Options{}, lobbytest.SmallArena(), blobs.Definition())
	emptier := createRoom(t, ts, `{"game":"blobs","mode":"small","max_players":4}`)
	fuller := createRoom(t, ts, `{"game":"blobs","mode":"small","max_players":4}`)
	full := createRoom(t, ts, `{"game":"blobs","mode":"small","max_players":2}`)
	private := createRoom(t, ts, `{"game":"blobs","mode":"small","max_players":8,"private":true,"join_code":"abcd"}`)
	arenaFFA := createRoom(t, ts, `{"mode":"ffa","max_players":8}`)
	blobsFFA := createRoom(t, ts, `{"game":"blobs","mode":"ffa","max_players":8}`)
	reserve(t, ts, emptier.ID, `{"name":"e1"}`)
	reserve(t, ts, fuller.ID, `{"name":"f1"}`)
	reserve(t, ts, fuller.ID, `{"name":"f2"}`)
	reserve(t, ts, full.ID, `{"name":"x1"}`)
	reserve(t, ts, full.ID, `{"name":"x2"}`)
	reserve(t, ts, private.ID, `{"name":"p1","join_code":"abcd"}`)
	reserve(t, ts, private.ID, `{"name":"p2","join_code":"abcd"}`)
	reserve(t, ts, private.ID, `{"name":"p3","join_code":"abcd"}`)

	want := []string{fuller.ID, fuller.ID, emptier.ID, emptier.ID, emptier.ID}
	for i, id := range want {
		if got := matchmake(t, ts, fmt.Sprintf(`{"game":"blobs","mode":"small","name":"q%d"}`, i)); got.RoomID != id || got.Token == "" {
			t.Fatalf("quick play %d went to %s, want %s", i, got.RoomID, id)
		}
	}
	// Every small blobs room is full now: the next one gets a new one.
	seat := matchmake(t, ts, `{"game":"blobs","mode":"small","name":"new"}`)
	r := roomInfo(t, ts, seat.RoomID)
	if r.Game != "blobs" || r.Mode != "small" || r.MaxPlayers != 6 || r.Private || r.Reserved != 1 || seat.RoomID == blobsFFA.ID {
		t.Fatalf("new room %+v", r.Room)
	}
	// A mode of the same name in two games stays apart: blobs ffa is not
	// the (older, as empty) arena ffa room, and then the arena's quick play
	// is not the (fuller) blobs ffa room.
	if got := matchmake(t, ts, `{"game":"blobs","mode":"ffa","name":"b"}`); got.RoomID != blobsFFA.ID {
		t.Fatalf("blobs ffa quick play went to %s, want %s", got.RoomID, blobsFFA.ID)
	}
	// The game defaults to the first (the arena), the mode to its first.
	if got := matchmake(t, ts, `{"name":"solo"}`); got.RoomID != arenaFFA.ID {
		t.Fatalf("quick play without a game went to %+v, want the arena ffa room", roomInfo(t, ts, got.RoomID).Room)
	}
	// Its seat is the game's: the welcome says so and carries its schema.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, seat.WSURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if w := c.Welcome(); w.Game != "blobs" || w.Mode != "small" || w.Schema.Game != "blobs" || c.Schema().KindByName("pellet") == nil {
		t.Fatalf("welcome: game %q mode %q schema %q", w.Game, w.Mode, w.Schema.Game)
	}
}

// TestMatchmakeConcurrent: many quick plays at once never overfill a room
// and fill new rooms one at a time instead of each creating its own. The
// players never connect, so the share of seats reservations may hold is
// lifted (with it, each room takes 4 until they do).
func TestMatchmakeConcurrent(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{PendingShare: -1}, lobby.APIOptions{Limits: noQuotas})
	const players = 30 // new rooms hold 8
	answers := make(chan answer, players)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range players {
		wg.Go(func() {
			<-start
			a, err := send(t.Context(), "POST", ts.URL+"/api/matchmake", fmt.Sprintf(`{"name":"p%d"}`, i))
			if err != nil {
				t.Error(err)
			}
			answers <- a
		})
	}
	close(start)
	wg.Wait()
	close(answers)
	perRoom := map[string]int{}
	for a := range answers {
		perRoom[decode[rest.Seat](t, a, http.StatusOK).RoomID]++
	}
	if len(perRoom) != 4 {
		t.Fatalf("%d rooms for %d players in rooms of 8: %v", len(perRoom), players, perRoom)
	}
	for id, n := range perRoom {
		if r := roomInfo(t, ts, id); r.Reserved != n || n > r.MaxPlayers {
			t.Fatalf("room %s: %d seats given, %d reserved, max %d", id, n, r.Reserved, r.MaxPlayers)
		}
	}
}

// TestMatchmakeLongNames: quick play makes a room for a game and mode of
// the longest names, whose room name would be over the limit spelled out:
// the name is cut, the player is not refused for it.
func TestMatchmakeLongNames(t *testing.T) {
	t.Parallel()
	long := smallArenaAs(strings.Repeat("g", 32), func(g game.Game) game.Game { return g })
	long.Modes = []game.Mode{{Name: strings.Repeat("m", 32), Title: "Long", MaxPlayers: 4, Limit: 8}}
	ts := startServerGames(t, rooms.Options{}, long)
	seat := matchmake(t, ts, `{"name":"p"}`)
	r := roomInfo(t, ts, seat.RoomID)
	if r.Game != long.Name || r.Mode != long.Modes[0].Name || utf8.RuneCountInString(r.Name) > rooms.MaxNameRunes || !strings.HasPrefix(r.Name, "Quick play: ") {
		t.Fatalf("room %+v", r.Room)
	}
}
