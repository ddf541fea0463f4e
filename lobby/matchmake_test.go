package lobby_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
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
		{"oversized", `{"name":"x","mode":"` + string(make([]byte, 17<<10)) + `"}`, 413, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			problem(t, call(t, "POST", ts.URL+"/api/matchmake", tc.body), tc.status, tc.field)
		})
	}
}

// TestMatchmakePicksFullest: quick play takes the fullest public room of
// its mode with space, skipping full, private and other-mode rooms, and
// creates a room of the mode when none has space.
func TestMatchmakePicksFullest(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{Limits: noQuotas})
	emptier := createRoom(t, ts, `{"mode":"duel","max_players":4}`)
	fuller := createRoom(t, ts, `{"mode":"duel","max_players":4}`)
	full := createRoom(t, ts, `{"mode":"duel","max_players":2}`)
	private := createRoom(t, ts, `{"mode":"duel","max_players":8,"private":true,"join_code":"abcd"}`)
	createRoom(t, ts, `{"mode":"ffa","max_players":8}`)
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
		if got := matchmake(t, ts, fmt.Sprintf(`{"mode":"duel","name":"q%d"}`, i)); got.RoomID != id || got.Token == "" {
			t.Fatalf("quick play %d went to %s, want %s", i, got.RoomID, id)
		}
	}
	// Every duel room is full now: the next one gets a new duel room.
	seat := matchmake(t, ts, `{"mode":"duel","name":"new"}`)
	r := roomInfo(t, ts, seat.RoomID)
	if r.Mode != "duel" || r.Private || r.Reserved != 1 {
		t.Fatalf("new room %+v", r.Room)
	}
	// mode defaults to ffa.
	if got := matchmake(t, ts, `{"name":"solo"}`); roomInfo(t, ts, got.RoomID).Mode != "ffa" {
		t.Fatal("quick play without a mode did not go to an ffa room")
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
			a, err := send(t.Context(), "POST", ts.URL+"/api/matchmake", fmt.Sprintf(`{"mode":"rush","name":"p%d"}`, i))
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
