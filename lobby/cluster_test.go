package lobby_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
)

// fakeCluster is the rest of a cluster as a test plays it: its nodes, and
// what each answers. The API under test is node "a".
type fakeCluster struct {
	dir *directory.Memory // the API's directory, where other nodes' rooms are listed

	mu       sync.Mutex
	nodes    []rest.Node
	creates  []string // "node id" of each create asked for, in order
	reserves []string // "node room" of each reserve
	create   func(node, id string) (*directory.Room, error)
	reserve  func(node, room string) (rest.Seat, error)
}

func (f *fakeCluster) Self() string { return "a" }

func (f *fakeCluster) Nodes() []rest.Node {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]rest.Node(nil), f.nodes...)
}

func (f *fakeCluster) CreateRoom(ctx context.Context, node, id string, req rest.CreateRoom) (*directory.Room, error) {
	f.mu.Lock()
	f.creates = append(f.creates, node+" "+id)
	create := f.create
	f.mu.Unlock()
	if create != nil {
		return create(node, id)
	}
	// The node makes the room and lists it, as natsdir would.
	r := &directory.Room{ID: id, Name: req.Name, Game: "arena", Mode: "ffa", MaxPlayers: 8, TickRate: 30, SendRate: 30,
		State: directory.StateOpen, CreatedAt: time.Now(), Node: node}
	f.dir.Put(ctx, r)
	return r, nil
}

func (f *fakeCluster) Reserve(ctx context.Context, node, roomID string, join rest.Join) (rest.Seat, error) {
	f.mu.Lock()
	f.reserves = append(f.reserves, node+" "+roomID)
	reserve := f.reserve
	f.mu.Unlock()
	if reserve != nil {
		return reserve(node, roomID)
	}
	return rest.Seat{RoomID: roomID, PlayerID: 1, Token: "t", WSURL: "ws://" + node + ".example/ws?token=t", ExpiresAt: time.Now().Add(15 * time.Second)}, nil
}

// set changes the cluster under its lock: the API reads it from its
// handlers' goroutines.
func (f *fakeCluster) set(change func(f *fakeCluster)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeCluster) asked() ([]string, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.creates...), append([]string(nil), f.reserves...)
}

// node is a live node with a load, as of one heartbeat.
func node(id string, players, rooms int) rest.Node {
	return rest.Node{ID: id, URL: "http://" + id + ".example", Players: players, Rooms: rooms, Capacity: 100,
		HeartbeatAt: time.Unix(1000, 0)}
}

func startClustered(t *testing.T, limits lobby.Limits, nodes ...rest.Node) (*testServer, *fakeCluster) {
	t.Helper()
	fc := &fakeCluster{dir: directory.NewMemory(), nodes: nodes}
	pub, _ := url.Parse("http://a.example")
	ts := startServer(t, rooms.Options{Directory: fc.dir}, lobby.APIOptions{Cluster: fc, PublicURL: pub, Limits: limits})
	return ts, fc
}

// TestPlacement: a room goes to the node with the fewest players and
// rooms that is neither draining, full nor late with its ticks; a burst
// of creations between two heartbeats spreads over the nodes; a node that
// fails (gone, too slow, at capacity) is followed by the next with the
// same id, this node included; a refusal of the request itself is not
// retried.
func TestPlacement(t *testing.T) {
	ts, fc := startClustered(t, noQuotas,
		node("a", 5, 2), node("b", 0, 1), node("c", 0, 0), node("d", 0, 100), node("e", 0, 0), node("f", 0, 0))
	fc.set(func(f *fakeCluster) {
		f.nodes[2].Draining = true                   // c
		f.nodes[4].TickLatenessP99MS = 40            // e: late
		f.nodes[5].Rooms, f.nodes[5].Players = 3, 20 // f: busy
	})

	room := createRoom(t, ts, `{"name":"first"}`)
	creates, _ := fc.asked()
	if room.Node != "b" || len(creates) != 1 || creates[0] != "b "+room.ID {
		t.Fatalf("placed on %s (asked %v), want b", room.Node, creates)
	}

	// b is gone and f too slow: a (this node) makes it, under the id b
	// and f were offered.
	fc.set(func(f *fakeCluster) {
		f.create = func(n, id string) (*directory.Room, error) {
			switch n {
			case "b":
				return nil, fmt.Errorf("%w: b", lobby.ErrPeerGone)
			case "f":
				return nil, fmt.Errorf("%w: f", lobby.ErrPeerTimeout)
			}
			return nil, errors.New("unexpected node " + n)
		}
		f.nodes[0].Players = 22 // a now after b and f
	})
	room = createRoom(t, ts, `{"name":"second"}`)
	creates, _ = fc.asked()
	if room.Node != "a" || fmt.Sprint(creates[1:]) != fmt.Sprint([]string{"b " + room.ID, "f " + room.ID}) {
		t.Fatalf("placed on %s after asking %v, want a after b and f with one id", room.Node, creates[1:])
	}
	if r, err := ts.mgr.Get(room.ID); err != nil || r.Info().Name != "second" {
		t.Fatalf("a runs %v, %v", r, err)
	}

	// A bad request is bad anywhere: the first node's refusal is the answer.
	fc.set(func(f *fakeCluster) {
		f.create = func(n, id string) (*directory.Room, error) {
			return nil, &lobby.PeerError{Node: n, Problem: rest.Problem{Type: "/problems/invalid-field", Status: 400, Title: "Invalid request field", Field: "name", Detail: "b says no"}}
		}
	})
	p := problem(t, call(t, "POST", ts.URL+"/api/rooms", `{"name":"third"}`), http.StatusBadRequest, "name")
	if creates2, _ := fc.asked(); len(creates2) != len(creates)+1 || p.Detail != "b says no" {
		t.Fatalf("a refused request was retried (%v) or answered %+v", creates2[len(creates):], p)
	}

	// Every node gone: 503 naming the last, not a 500.
	fc.set(func(f *fakeCluster) {
		f.create = func(n, id string) (*directory.Room, error) { return nil, fmt.Errorf("%w: %s", lobby.ErrPeerGone, n) }
		f.nodes[0].Draining = true
	})
	p = problem(t, call(t, "POST", ts.URL+"/api/rooms", `{}`), http.StatusServiceUnavailable, "")
	if p.Type != "/problems/node-unavailable" {
		t.Fatalf("every node gone: %+v", p)
	}
}

// TestPlacementSpreads: creations faster than the nodes' heartbeats go
// round the nodes of equal load instead of all to the first.
func TestPlacementSpreads(t *testing.T) {
	ts, fc := startClustered(t, noQuotas, node("a", 0, 0), node("b", 0, 0), node("c", 0, 0))
	on := map[string]int{}
	for range 9 {
		on[createRoom(t, ts, `{}`).Node]++
	}
	if on["a"] != 3 || on["b"] != 3 || on["c"] != 3 {
		t.Fatalf("9 rooms between two heartbeats went %v, want 3 each", on)
	}
	// A new heartbeat carries the real load: b has had many more.
	fc.set(func(f *fakeCluster) {
		for i := range f.nodes {
			f.nodes[i].HeartbeatAt = time.Unix(2000, 0)
			f.nodes[i].Rooms = 3
		}
		f.nodes[1].Rooms = 30
	})
	for range 4 {
		if n := createRoom(t, ts, `{}`).Node; n == "b" {
			t.Fatal("a room went to the node its heartbeat says is busiest")
		}
	}
}

// TestPlacementFindsLanded: when a first attempt landed after all (its
// answer came too late) and the next node finds the id taken, the answer
// is that room: the next node's own directory lists it.
func TestPlacementFindsLanded(t *testing.T) {
	ts, fc := startClustered(t, noQuotas, node("b", 0, 0), node("c", 0, 1))
	fc.set(func(f *fakeCluster) {
		f.create = func(n, id string) (*directory.Room, error) {
			if n == "b" {
				// b made the room, but answered too late.
				f.dir.Put(context.Background(), &directory.Room{ID: id, Name: "landed", State: directory.StateOpen, Node: "b", MaxPlayers: 8})
				return nil, lobby.ErrPeerTimeout
			}
			return nil, &lobby.PeerError{Node: n, Problem: rest.Problem{Type: "/problems/room-exists", Status: 409}}
		}
	})
	room := createRoom(t, ts, `{"name":"landed"}`)
	if room.Node != "b" || room.Name != "landed" {
		t.Fatalf("answer %+v, want b's room", room)
	}
	if creates, _ := fc.asked(); len(creates) != 2 {
		t.Fatalf("asked %v", creates)
	}
}

// TestRemoteJoin: a join to a room another node runs is that node's seat
// (its ws_url); the node gone is a 503 naming it, at once; too slow a
// 504; its refusals are passed on as they are, Retry-After included.
func TestRemoteJoin(t *testing.T) {
	ts, fc := startClustered(t, noQuotas, node("a", 0, 0), node("b", 0, 1))
	fc.dir.Put(t.Context(), &directory.Room{ID: "on-b", State: directory.StateOpen, Node: "b", MaxPlayers: 8})
	seat := decode[rest.Seat](t, call(t, "POST", ts.URL+"/api/rooms/on-b/join", `{"name":"x"}`), http.StatusOK)
	if seat.WSURL != "ws://b.example/ws?token=t" {
		t.Fatalf("seat %+v", seat)
	}
	fc.set(func(f *fakeCluster) {
		f.reserve = func(string, string) (rest.Seat, error) { return rest.Seat{}, fmt.Errorf("%w: b", lobby.ErrPeerGone) }
	})
	p := problem(t, call(t, "POST", ts.URL+"/api/rooms/on-b/join", `{"name":"x"}`), http.StatusServiceUnavailable, "")
	if p.Type != "/problems/node-unavailable" || !strings.Contains(p.Detail, "node b") {
		t.Fatalf("node gone: %+v", p)
	}
	fc.set(func(f *fakeCluster) {
		f.reserve = func(string, string) (rest.Seat, error) { return rest.Seat{}, fmt.Errorf("%w: b", lobby.ErrPeerTimeout) }
	})
	problem(t, call(t, "POST", ts.URL+"/api/rooms/on-b/join", `{"name":"x"}`), http.StatusGatewayTimeout, "")
	fc.set(func(f *fakeCluster) {
		f.reserve = func(string, string) (rest.Seat, error) {
			return rest.Seat{}, &lobby.PeerError{Node: "b", RetryAfter: 3 * time.Second,
				Problem: rest.Problem{Type: "/problems/quota-exceeded", Status: 429, Title: "Quota exceeded", Quota: "room-pending-share"}}
		}
	})
	a := call(t, "POST", ts.URL+"/api/rooms/on-b/join", `{"name":"x"}`)
	if p := problem(t, a, http.StatusTooManyRequests, ""); p.Quota != "room-pending-share" || a.header.Get("Retry-After") != "3" {
		t.Fatalf("b's refusal: %+v, Retry-After %q", p, a.header.Get("Retry-After"))
	}
	// A room nobody lists is not asked for.
	_, before := fc.asked()
	problem(t, call(t, "POST", ts.URL+"/api/rooms/nowhere/join", `{"name":"x"}`), http.StatusNotFound, "")
	if _, after := fc.asked(); len(after) != len(before) {
		t.Fatal("a join to a room nobody lists went to a node")
	}
}

// TestRemoteQuotas: the node a client asks counts its quotas, rooms and
// seats on other nodes included: a room placed elsewhere counts until it
// leaves the directory, a seat there until its player shows in the
// room's roster (connected) or it expires.
func TestRemoteQuotas(t *testing.T) {
	ts, fc := startClustered(t, lobby.Limits{RoomsPerClient: 2, RoomCreateRate: -1, PendingPerClient: 1},
		node("a", 9, 9), node("b", 0, 0))
	r1 := createRoom(t, ts, `{}`)
	createRoom(t, ts, `{}`)
	if p := problem(t, call(t, "POST", ts.URL+"/api/rooms", `{}`), http.StatusTooManyRequests, ""); p.Quota != "rooms-per-client" {
		t.Fatalf("third room: %+v", p)
	}
	fc.dir.Delete(t.Context(), r1.ID) // closed on b
	createRoom(t, ts, `{}`)

	fc.dir.Put(t.Context(), &directory.Room{ID: "on-b", State: directory.StateOpen, Node: "b", MaxPlayers: 8})
	decode[rest.Seat](t, call(t, "POST", ts.URL+"/api/rooms/on-b/join", `{"name":"x"}`), http.StatusOK)
	if p := problem(t, call(t, "POST", ts.URL+"/api/rooms/on-b/join", `{"name":"y"}`), http.StatusTooManyRequests, ""); p.Quota != "pending-per-client" {
		t.Fatalf("second pending seat: %+v", p)
	}
	// Player 1 connected on b: b's record says so.
	fc.dir.Put(t.Context(), &directory.Room{ID: "on-b", State: directory.StateOpen, Node: "b", MaxPlayers: 8, Players: 1,
		Roster: []directory.Player{{ID: 1, Name: "x", State: "playing"}}})
	decode[rest.Seat](t, call(t, "POST", ts.URL+"/api/rooms/on-b/join", `{"name":"y"}`), http.StatusOK)
}

// TestNodesSingle: GET /api/nodes on a single node lists itself.
func TestNodesSingle(t *testing.T) {
	pub, _ := url.Parse("http://play.example")
	ts := startServer(t, rooms.Options{MaxRooms: 50}, lobby.APIOptions{NodeID: "solo", PublicURL: pub,
		TickLateness: func() time.Duration { return 1500 * time.Microsecond }})
	createRoom(t, ts, `{}`)
	list := decode[rest.NodeList](t, call(t, "GET", ts.URL+"/api/nodes", ""), http.StatusOK)
	if list.Self != "solo" || len(list.Nodes) != 1 {
		t.Fatalf("nodes %+v", list)
	}
	n := list.Nodes[0]
	if n.ID != "solo" || n.URL != "http://play.example" || n.Rooms != 1 || n.Capacity != 50 || n.TickLatenessP99MS != 1.5 || n.Draining || !n.HeartbeatAt.IsZero() {
		t.Fatalf("node %+v", n)
	}
}

// TestJoinRightAfterCreate: a room this node placed on another a moment
// ago takes joins through this node before the directory lists it here.
func TestJoinRightAfterCreate(t *testing.T) {
	ts, fc := startClustered(t, noQuotas, node("a", 9, 9), node("b", 0, 0))
	fc.set(func(f *fakeCluster) {
		f.create = func(n, id string) (*directory.Room, error) {
			// b made it; its record has not reached a's directory yet.
			return &directory.Room{ID: id, State: directory.StateOpen, Node: n, MaxPlayers: 8}, nil
		}
	})
	room := createRoom(t, ts, `{}`)
	seat := decode[rest.Seat](t, call(t, "POST", ts.URL+"/api/rooms/"+room.ID+"/join", `{"name":"x"}`), http.StatusOK)
	if _, reserves := fc.asked(); seat.WSURL != "ws://b.example/ws?token=t" || len(reserves) != 1 || reserves[0] != "b "+room.ID {
		t.Fatalf("seat %+v after asking %v: want b's", seat, reserves)
	}
}
