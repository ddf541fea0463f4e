package lobby_test

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode/client"
)

// viaProxy trusts loopback as a reverse proxy, so each test request can
// come from the client its X-Forwarded-For names; one without the header
// is the loopback client itself.
var viaProxy = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// as sends a request as the client at addr ("" for loopback).
func as(t *testing.T, addr, method, url, body string) answer {
	t.Helper()
	var header []string
	if addr != "" {
		header = []string{"X-Forwarded-For", addr}
	}
	return call(t, method, url, body, header...)
}

// quotaRefusal checks that a is a 429 quota-exceeded problem naming quota,
// with Retry-After when retry is true, and returns it.
func quotaRefusal(t *testing.T, a answer, quota string, retry bool) rest.Problem {
	t.Helper()
	p := problem(t, a, http.StatusTooManyRequests, "")
	if p.Type != "/problems/quota-exceeded" || p.Quota != quota || !strings.Contains(p.Detail, "limit") {
		t.Fatalf("problem %+v, want /problems/quota-exceeded naming quota %s and its limit", p, quota)
	}
	if ra := a.header.Get("Retry-After"); retry {
		if n, err := strconv.Atoi(ra); err != nil || n < 1 {
			t.Fatalf("Retry-After %q, want whole seconds", ra)
		}
	} else if ra != "" {
		t.Fatalf("Retry-After %q where the wait is not known", ra)
	}
	return p
}

// TestRoomFloodLocksOutNobody: one client creating rooms as fast as it can
// gets its own few and then 429s naming the quota, while the server's room
// cap is never reached: other clients still create rooms and quick play
// still finds or makes one.
func TestRoomFloodLocksOutNobody(t *testing.T) {
	t.Parallel()
	ts := startServerFull(t, rooms.Options{MaxRooms: 20}, lobby.APIOptions{TrustedProxies: viaProxy}, nil, quotaGames())
	created, refused := 0, map[string]int{}
	for range 200 {
		a := as(t, "", "POST", ts.URL+"/api/rooms", `{}`)
		if a.status == http.StatusCreated {
			created++
			continue
		}
		p := problem(t, a, http.StatusTooManyRequests, "")
		refused[p.Quota]++
	}
	if created > 8 || refused["rooms-per-client"]+refused["room-create-rate"] != 200-created {
		t.Fatalf("flooder: %d rooms created, refusals %v: want at most 8 (-rooms-per-client), then 429s", created, refused)
	}
	for i := range 5 {
		addr := fmt.Sprintf("203.0.113.%d", i+1)
		decode[directoryRoom](t, as(t, addr, "POST", ts.URL+"/api/rooms", `{}`), http.StatusCreated)
		decode[rest.Seat](t, as(t, addr, "POST", ts.URL+"/api/matchmake", `{"mode":"solo","name":"p"}`), http.StatusOK)
	}
}

type directoryRoom = struct {
	ID string `json:"id"`
}

// TestRoomsPerClient: a client may have -rooms-per-client rooms open at
// once; when one closes it may make another. Rooms quick play makes are
// nobody's.
func TestRoomsPerClient(t *testing.T) {
	t.Parallel()
	ts := startServerFull(t, rooms.Options{}, lobby.APIOptions{TrustedProxies: viaProxy,
		Limits: lobby.Limits{RoomsPerClient: 2, RoomCreateRate: -1, PendingPerClient: -1}}, nil, quotaGames())
	first := createRoom(t, ts, `{}`)
	createRoom(t, ts, `{}`)
	quotaRefusal(t, as(t, "", "POST", ts.URL+"/api/rooms", `{}`), "rooms-per-client", false)
	// Quick play still makes rooms for this client, and they are not its.
	matchmake(t, ts, `{"mode":"a","name":"p"}`)
	// Another client has its own allowance.
	decode[directoryRoom](t, as(t, "203.0.113.7", "POST", ts.URL+"/api/rooms", `{}`), http.StatusCreated)
	if err := ts.mgr.Close(first.ID); err != nil {
		t.Fatal(err)
	}
	createRoom(t, ts, `{}`)
}

// TestRoomCreateRate: past its burst a client creates rooms at
// -room-create-rate, and is told how long to wait.
func TestRoomCreateRate(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{
		Limits: lobby.Limits{RoomsPerClient: -1, RoomCreateRate: 6, RoomCreateBurst: 2}})
	createRoom(t, ts, `{}`)
	createRoom(t, ts, `{}`)
	a := call(t, "POST", ts.URL+"/api/rooms", `{}`)
	quotaRefusal(t, a, "room-create-rate", true)
	if ra := a.header.Get("Retry-After"); ra != "10" {
		t.Fatalf("Retry-After %s, want 10 (6 rooms a minute)", ra)
	}
}

// TestServerRoomCap: the node's own cap is a 503 naming -max-rooms.
func TestServerRoomCap(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{MaxRooms: 1}, lobby.APIOptions{})
	createRoom(t, ts, `{}`)
	p := problem(t, call(t, "POST", ts.URL+"/api/rooms", `{}`), http.StatusServiceUnavailable, "")
	if p.Type != "/problems/capacity-exceeded" || p.Quota != "max-rooms" {
		t.Fatalf("problem %+v, want /problems/capacity-exceeded naming max-rooms", p)
	}
}

// TestUnusedRoomsFreeTheQuota: rooms nobody joins close after
// UnusedTimeout, and with them the quota they held.
func TestUnusedRoomsFreeTheQuota(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{UnusedTimeout: 200 * time.Millisecond},
		lobby.APIOptions{Limits: lobby.Limits{RoomsPerClient: 2, RoomCreateRate: -1}})
	createRoom(t, ts, `{}`)
	createRoom(t, ts, `{}`)
	quotaRefusal(t, call(t, "POST", ts.URL+"/api/rooms", `{}`), "rooms-per-client", false)
	checkFor(t, 5*time.Second, func() error {
		if n := len(ts.mgr.Rooms()); n != 0 {
			return fmt.Errorf("%d unused rooms still open", n)
		}
		return nil
	})
	createRoom(t, ts, `{}`)
}

// quotaGames is the small arena with the modes the quota tests quick-play
// into: "solo" and m0..m29 of one seat (each quick play makes a room),
// "a" and "big" of many.
func quotaGames() []game.Definition {
	d := smallArenaAs("quota", func(g game.Game) game.Game { return g })
	d.Modes = []game.Mode{{Name: "a", MaxPlayers: 8, Limit: 64}, {Name: "big", MaxPlayers: 16, Limit: 64}, {Name: "solo", MaxPlayers: 1, Limit: 1}}
	for i := range 30 {
		d.Modes = append(d.Modes, game.Mode{Name: fmt.Sprintf("m%d", i), MaxPlayers: 1, Limit: 1})
	}
	return []game.Definition{d}
}

// TestQuickPlayCannotFlood: quick play with ever new modes makes a room
// each time, but each also holds one of the caller's few unclaimed
// reservations, checked before any room is made.
func TestQuickPlayCannotFlood(t *testing.T) {
	t.Parallel()
	ts := startServerFull(t, rooms.Options{}, lobby.APIOptions{}, nil, quotaGames())
	for i := range 30 {
		a := call(t, "POST", ts.URL+"/api/matchmake", fmt.Sprintf(`{"mode":"m%d","name":"p"}`, i))
		if i < 4 {
			decode[rest.Seat](t, a, http.StatusOK)
			continue
		}
		quotaRefusal(t, a, "pending-per-client", true)
	}
	if n := len(ts.mgr.Rooms()); n != 4 {
		t.Fatalf("%d rooms after 30 quick plays, want 4 (-pending-per-client)", n)
	}
}

// TestSeatSquatting: a client that keeps joining without connecting holds
// -pending-per-client seats at most, across rooms, and every other player
// gets a seat.
func TestSeatSquatting(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{TrustedProxies: viaProxy})
	room := createRoom(t, ts, `{"max_players":16}`)
	other := createRoom(t, ts, `{"max_players":16}`)
	for i := range 40 {
		id := room.ID
		if i%2 == 1 {
			id = other.ID
		}
		a := as(t, "", "POST", ts.URL+"/api/rooms/"+id+"/join", `{"name":"squatter"}`)
		if i < 4 {
			decode[rest.Seat](t, a, http.StatusOK)
			continue
		}
		quotaRefusal(t, a, "pending-per-client", true)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for i := range 14 {
		hc := asClient("", fmt.Sprintf("198.51.100.%d", i+1))
		c, err := client.JoinRoom(ctx, ts.URL, room.ID, fmt.Sprint("player", i), &client.Options{HTTPClient: hc})
		if err != nil {
			t.Fatalf("player %d: %v", i, err)
		}
		defer c.CloseNow()
	}
	// A connected seat no longer counts: the player may join elsewhere.
	hc := asClient("", "198.51.100.1")
	for range 4 {
		if _, err := client.Reserve(ctx, ts.URL, other.ID, "again", &client.Options{HTTPClient: hc}); err != nil {
			t.Fatalf("a player whose seat is connected: %v", err)
		}
	}
}

// TestRoomPendingShare: many clients each within their own quota still
// cannot fill a room with reservations: past half its open seats a join
// gets 429 naming the quota, until a reservation is claimed. Quick play
// moves on to another room instead.
func TestRoomPendingShare(t *testing.T) {
	t.Parallel()
	ts := startServerFull(t, rooms.Options{}, lobby.APIOptions{TrustedProxies: viaProxy}, nil, quotaGames())
	room := createRoom(t, ts, `{"max_players":16,"mode":"big"}`)
	var seats []rest.Seat
	for i := range 8 {
		seats = append(seats, decode[rest.Seat](t, as(t, fmt.Sprintf("198.51.100.%d", i+1), "POST", ts.URL+"/api/rooms/"+room.ID+"/join", `{"name":"p"}`), http.StatusOK))
	}
	quotaRefusal(t, as(t, "198.51.100.100", "POST", ts.URL+"/api/rooms/"+room.ID+"/join", `{"name":"p"}`), "room-pending-share", true)
	if seat := decode[rest.Seat](t, as(t, "198.51.100.101", "POST", ts.URL+"/api/matchmake", `{"mode":"big","name":"q"}`), http.StatusOK); seat.RoomID == room.ID {
		t.Fatal("quick play reserved in a room past its pending share")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, seats[0].WSURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	decode[rest.Seat](t, as(t, "198.51.100.100", "POST", ts.URL+"/api/rooms/"+room.ID+"/join", `{"name":"p"}`), http.StatusOK)
}
