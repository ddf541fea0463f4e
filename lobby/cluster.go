package lobby

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
)

// Cluster is the rest of a cluster of nodes, as the API sees it: the live
// nodes and their load, and the two calls one node makes to another.
// lobby/cluster implements it on NATS request/reply; without one
// (APIOptions.Cluster nil) the API serves a single node and needs no NATS.
//
// A call's error is a *PeerError when the node answered with a refusal
// (the problem it would have answered itself), wraps ErrPeerGone when no
// node of that id is listening, and ErrPeerTimeout when it did not answer
// in time.
type Cluster interface {
	// Self is this node's id: the Node of its rooms.
	Self() string
	// Nodes lists the live nodes, this one included, with their load as
	// of their last heartbeat.
	Nodes() []rest.Node
	// CreateRoom asks node to create a room under id. It is idempotent:
	// asking again with the same id, of that node or another, gives the
	// same room, never a second one.
	CreateRoom(ctx context.Context, node, id string, req rest.CreateRoom) (*directory.Room, error)
	// Reserve asks node for a seat in its room roomID. The seat's token is
	// the node's own, and its ws_url is on the node's public URL: the
	// client connects straight there.
	Reserve(ctx context.Context, node, roomID string, join rest.Join) (rest.Seat, error)
}

// Errors of calls to other nodes; match them with errors.Is.
var (
	// ErrPeerGone: no node of that id listens. It stopped, or lost its
	// connection to NATS; its record leaves the directory within seconds.
	ErrPeerGone = errors.New("lobby: node does not answer")
	// ErrPeerTimeout: the node did not answer within the cluster's
	// request timeout. What it was asked may have been done.
	ErrPeerTimeout = errors.New("lobby: node did not answer in time")
	// ErrNoCluster: this node cannot reach the cluster (NATS) now. It
	// still runs its rooms and takes joins to them, but makes no rooms,
	// whose ids it cannot claim, and calls no other node.
	ErrNoCluster = errors.New("lobby: this node cannot reach the cluster (NATS) now; retry in a moment")
)

// PeerError is another node's refusal of a call, as that node would have
// answered the request itself: the API passes it on to its client as it
// is.
type PeerError struct {
	Node       string
	Problem    rest.Problem
	RetryAfter time.Duration // 0: unknown
}

func (e *PeerError) Error() string { return "lobby: node " + e.Node + ": " + e.Problem.Error() }

// peerFailure is a call to another node that failed, said for the client.
type peerFailure struct {
	msg string
	err error
}

func (e *peerFailure) Error() string { return e.msg }
func (e *peerFailure) Unwrap() error { return e.err }

// self is this node's id: the cluster's, or APIOptions.NodeID.
func (a *API) self() string {
	if a.opts.Cluster != nil {
		return a.opts.Cluster.Self()
	}
	return a.opts.NodeID
}

// withNode is info as the API answers it: in a cluster, with the node
// that runs the room.
func (a *API) withNode(info *directory.Room) *directory.Room {
	if a.opts.Cluster == nil || info.Node != "" {
		return info
	}
	c := *info
	c.Node = a.self()
	return &c
}

// local reports whether node is this one ("" is: a single node's rooms).
func (a *API) local(node string) bool { return node == "" || node == a.self() }

// PeerCreate creates a room that another node of the cluster placed here:
// lobby/cluster's server calls it for the node that asked. req is checked
// as POST /api/rooms checks it, and the room is made under id as
// rooms.Manager.CreateID makes it: asked again, of this node or another,
// the same id gives the same room. The asking node has counted the
// client's quotas; this one checks its own limits (-max-rooms, draining).
// A refusal is a *PeerError.
func (a *API) PeerCreate(ctx context.Context, id string, req rest.CreateRoom) (*directory.Room, error) {
	info, _, err := a.createHere(ctx, id, req)
	if err != nil {
		return nil, a.peerRefusal(err)
	}
	return info, nil
}

// PeerReserve reserves a seat in one of this node's rooms for a client of
// another node, on the path a join here takes: the token is this node's
// and the seat's ws_url is on its public URL. The room's own limits
// apply (seats, -room-pending-share); the asking node has counted the
// client's. A refusal is a *PeerError.
func (a *API) PeerReserve(ctx context.Context, roomID string, join rest.Join) (rest.Seat, error) {
	if a.opts.PublicURL == nil {
		return rest.Seat{}, a.peerRefusal(errors.New("lobby: this node has no public URL to give a seat's ws_url on"))
	}
	name, err := validPlayerName(join.Name)
	if err == nil && len(join.JoinCode) > maxJoinCode {
		err = &FieldError{Field: "join_code", Detail: fmt.Sprintf("longer than %d bytes", maxJoinCode)}
	}
	if err != nil {
		return rest.Seat{}, a.peerRefusal(err)
	}
	join.Name = name
	seat, _, err := a.reserveHere(ctx, roomID, join, func(token string) string { return a.wsURL(nil, token) })
	if err != nil {
		return rest.Seat{}, a.peerRefusal(err)
	}
	return seat, nil
}

// peerRefusal is err as the node that asked passes it on, counted here
// when a limit of this node's refused.
func (a *API) peerRefusal(err error) error {
	if qe, ok := quotaOf(err); ok {
		a.opts.Metrics.Refused(qe.Quota)
	}
	p, wait := problemOf(err)
	return &PeerError{Node: a.self(), Problem: p, RetryAfter: wait}
}

// createHere makes a room on this node under id. An id another node runs
// (an earlier attempt of the same request that landed there) gives that
// room, once this node lists it.
func (a *API) createHere(ctx context.Context, id string, req rest.CreateRoom) (*directory.Room, gone, error) {
	cfg, err := (&createRoomRequest{req}).config()
	if err != nil {
		return nil, nil, err
	}
	room, _, err := a.m.CreateID(ctx, id, cfg)
	if errors.Is(err, rooms.ErrExists) {
		if info, gerr := a.m.Directory().Get(ctx, id); gerr == nil && !a.local(info.Node) {
			return info, a.remoteGone(id, 0), nil
		}
	}
	if err != nil && a.opts.Cluster != nil && !knownCreateError(err) {
		// The claim did not reach the directory.
		a.log.Warn("creating a room: the directory did not take its id", "room", id, "err", err)
		return nil, nil, fmt.Errorf("%w: %w", ErrNoCluster, err)
	}
	if err != nil {
		return nil, nil, err
	}
	return a.withNode(room.Info()), closedRoom(room), nil
}

// knownCreateError reports whether err is one of CreateID's own refusals,
// as opposed to the directory failing to claim the id.
func knownCreateError(err error) bool {
	var fe *rooms.FieldError
	return errors.As(err, &fe) || errors.Is(err, rooms.ErrExists) || errors.Is(err, rooms.ErrShuttingDown) ||
		errors.Is(err, rooms.ErrTooManyRooms)
}

// reserveHere reserves a seat in one of this node's rooms; wsURL builds
// the seat's URL from its token.
func (a *API) reserveHere(ctx context.Context, id string, join rest.Join, wsURL func(token string) string) (rest.Seat, gone, error) {
	if a.m.Draining() {
		return rest.Seat{}, nil, rooms.ErrShuttingDown
	}
	room, err := a.findRoom(id)
	if err != nil {
		return rest.Seat{}, nil, err
	}
	res, err := room.Reserve(ctx, join.Name, join.JoinCode)
	if err != nil {
		return rest.Seat{}, nil, err
	}
	return rest.Seat{RoomID: res.RoomID, PlayerID: res.PlayerID, Token: res.Token, WSURL: wsURL(res.Token), ExpiresAt: res.Expires},
		closedRoom(room), nil
}

// reserveIn reserves a seat in room id wherever it runs: here, or on the
// node the directory lists it on.
func (a *API) reserveIn(ctx context.Context, id string, join rest.Join, wsURL func(string) string) (rest.Seat, gone, error) {
	if node, ok := a.whereIs(ctx, id); ok && !a.local(node) {
		return a.reserveRemote(ctx, node, id, join)
	}
	return a.reserveHere(ctx, id, join, wsURL)
}

// whereIs is the node that runs room id: this one, the one the directory
// lists it on, or the one this node placed it on a moment ago.
func (a *API) whereIs(ctx context.Context, id string) (string, bool) {
	if _, err := a.m.Get(id); err == nil {
		return a.self(), true
	}
	if info, err := a.m.Directory().Get(ctx, id); err == nil {
		return info.Node, true
	}
	return a.recent.node(id)
}

// recentRooms remembers, for listLag, the rooms this node placed on
// others: a client that creates a room and joins it at once, through this
// node, must not be told it does not exist while the directory's watcher
// brings its record (about a millisecond, longer on a busy machine).
type recentRooms struct {
	mu    sync.Mutex
	nodes map[string]string // room id → node; guarded by mu
	order []recentRoom      // oldest first; guarded by mu
}

type recentRoom struct {
	id string
	at time.Time
}

func (r *recentRooms) add(id, node string) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.nodes == nil {
		r.nodes = map[string]string{}
	}
	r.expire(now)
	r.nodes[id] = node
	r.order = append(r.order, recentRoom{id, now})
}

func (r *recentRooms) node(id string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire(time.Now())
	n, ok := r.nodes[id]
	return n, ok
}

// expire forgets the rooms placed more than listLag ago. Lock held.
func (r *recentRooms) expire(now time.Time) {
	i := 0
	for ; i < len(r.order) && now.Sub(r.order[i].at) > listLag; i++ {
		delete(r.nodes, r.order[i].id)
	}
	r.order = append(r.order[:0], r.order[i:]...)
}

// reserveAt reserves a seat in room id of node.
func (a *API) reserveAt(ctx context.Context, node, id string, join rest.Join, wsURL func(string) string) (rest.Seat, gone, error) {
	if a.local(node) {
		return a.reserveHere(ctx, id, join, wsURL)
	}
	return a.reserveRemote(ctx, node, id, join)
}

// reserveRemote reserves a seat in room id of another node.
func (a *API) reserveRemote(ctx context.Context, node, id string, join rest.Join) (rest.Seat, gone, error) {
	seat, err := a.opts.Cluster.Reserve(ctx, node, id, join)
	if err != nil {
		return rest.Seat{}, nil, roomCallFailed(err, node, id)
	}
	return seat, a.remoteGone(id, seat.PlayerID), nil
}

// roomCallFailed says why a call about room id to node failed, for the
// client: a node that is gone or too slow is named, with what to do.
func roomCallFailed(err error, node, id string) error {
	switch {
	case errors.Is(err, ErrPeerGone):
		return &peerFailure{err: err, msg: fmt.Sprintf("room %s runs on node %s, which does not answer: it has stopped or lost its connection, and its rooms leave the list within seconds; pick another room", id, node)}
	case errors.Is(err, ErrPeerTimeout):
		return &peerFailure{err: err, msg: fmt.Sprintf("room %s runs on node %s, which did not answer in time; retry, or pick another room", id, node)}
	}
	return err
}

// listLag is how long a room another node has just made may take to be
// listed here before a quota stops counting it. Listing takes about a
// millisecond (docs/cluster.md); this is for a slow watcher.
const listLag = 5 * time.Second

// remoteGone is the gone of a room on another node, or of a seat in it
// (player > 0): the room has left this node's directory (or was never
// listed within listLag), or the player is in its roster, connected. A
// room's record is written at most once a second, so a seat stops
// counting about a second after its WebSocket came.
func (a *API) remoteGone(id string, player uint32) gone {
	since := time.Now()
	seen := false // only ever called with the quotas' lock held
	return func() bool {
		info, err := a.m.Directory().Get(context.Background(), id)
		if err != nil {
			return seen || time.Since(since) > listLag
		}
		seen = true
		if player == 0 {
			return false
		}
		return slices.ContainsFunc(info.Roster, func(p directory.Player) bool { return p.ID == player })
	}
}

// placeAttempts is how many nodes a room's creation tries, best first.
const placeAttempts = 3

// overloadedMS: a node whose ticks start later than this at the 99th
// percentile, in ms, takes new rooms only when no other node can: more
// than one tick in a hundred of its rooms is late (half a 30 Hz period,
// tickroom_late_ticks_total's measure).
const overloadedMS = 16

// errNoNode refuses a room when no node of the cluster takes one.
var errNoNode = &QuotaError{Quota: "max-rooms", NodeWide: true,
	Detail: "no node of the cluster takes new rooms now: each is shutting down or has as many rooms as it allows; join an open room (quick play) or retry later"}

// place creates a room on the least-loaded node that takes rooms, this one
// included, under an id chosen here: a node that fails is followed by the
// next with the same id, and since nodes claim ids across the cluster, a
// first attempt that landed after all (its answer timed out) is found
// instead of made twice. On a single node the room is made here.
func (a *API) place(ctx context.Context, req rest.CreateRoom) (*directory.Room, gone, error) {
	id := uuid.NewString()
	c := a.opts.Cluster
	if c == nil {
		return a.createHere(ctx, id, req)
	}
	nodes := a.placer.order(c.Nodes())
	if len(nodes) == 0 {
		return nil, nil, errNoNode
	}
	var err error
	var last string
	for _, n := range nodes[:min(len(nodes), placeAttempts)] {
		last = n.ID
		var info *directory.Room
		var g gone
		if n.ID == c.Self() {
			info, g, err = a.createHere(ctx, id, req)
		} else if info, err = c.CreateRoom(ctx, n.ID, id, req); err == nil {
			g = a.remoteGone(id, 0)
			if a.local(info.Node) {
				// Another node found the id ours: a first attempt
				// landed here after all.
				if room, gerr := a.m.Get(id); gerr == nil {
					g = closedRoom(room)
				}
			}
		}
		if err == nil {
			a.placer.placed(n)
			if !a.local(info.Node) {
				a.recent.add(id, info.Node)
			}
			return info, g, nil
		}
		if roomExists(err) {
			return a.awaitListed(ctx, id, err)
		}
		if !placeElsewhere(err) {
			return nil, nil, err
		}
		a.log.Warn("placing a room: trying the next node", "room", id, "node", n.ID, "err", err)
	}
	switch {
	case errors.Is(err, ErrPeerGone), errors.Is(err, ErrPeerTimeout):
		return nil, nil, &peerFailure{err: err, msg: fmt.Sprintf("no node made the room: the last one asked, %s, %s; retry", last, detail(err))}
	}
	return nil, nil, err
}

// roomExists reports whether err says a room has the id already.
func roomExists(err error) bool {
	var pe *PeerError
	return errors.Is(err, rooms.ErrExists) || errors.As(err, &pe) && pe.Problem.Type == "/problems/room-exists"
}

// placeElsewhere reports whether a node's failure to make a room means
// trying the next: it is gone, slow, shutting down or full. A refusal of
// the request itself (a bad field) would be the same anywhere.
func placeElsewhere(err error) bool {
	var pe *PeerError
	switch {
	case errors.As(err, &pe):
		return pe.Problem.Status >= 500
	case errors.Is(err, ErrPeerGone), errors.Is(err, ErrPeerTimeout), errors.Is(err, ErrNoCluster),
		errors.Is(err, rooms.ErrShuttingDown), errors.Is(err, rooms.ErrTooManyRooms):
		return true
	}
	return false
}

// awaitListed waits, for as long as a request to a node may take, for
// this node to list room id, which an earlier attempt made elsewhere.
func (a *API) awaitListed(ctx context.Context, id string, cause error) (*directory.Room, gone, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	feed := a.m.Directory().Feed()
	for {
		_, _, wake, _ := feed.Since(feed.Version())
		if info, err := a.m.Directory().Get(ctx, id); err == nil {
			if room, err := a.m.Get(id); err == nil {
				return a.withNode(info), closedRoom(room), nil
			}
			return info, a.remoteGone(id, 0), nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, nil, cause
		}
	}
}

// placer orders nodes for a new room, least loaded first.
type placer struct {
	mu     sync.Mutex
	recent map[string]placedSince // by node id; guarded by mu
}

// placedSince counts the rooms placed on a node since its heartbeat of
// beat: they are not in its load yet.
type placedSince struct {
	beat  time.Time
	rooms int
}

// order is nodes that take rooms, best first: not overloaded (ticks late),
// then fewest players and rooms together (the rooms placed there since
// its last heartbeat included, so a burst of creations between two
// heartbeats spreads), then by id.
func (p *placer) order(nodes []rest.Node) []rest.Node {
	p.mu.Lock()
	defer p.mu.Unlock()
	type cand struct {
		n    rest.Node
		hot  bool
		load int
	}
	var cands []cand
	live := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		live[n.ID] = true
		if n.Draining {
			continue
		}
		if r, ok := p.recent[n.ID]; ok && r.beat.Equal(n.HeartbeatAt) {
			n.Rooms += r.rooms
		}
		if n.Capacity > 0 && n.Rooms >= n.Capacity {
			continue
		}
		cands = append(cands, cand{n, n.TickLatenessP99MS > overloadedMS, n.Players + n.Rooms})
	}
	for id := range p.recent {
		if !live[id] {
			delete(p.recent, id)
		}
	}
	slices.SortFunc(cands, func(x, y cand) int {
		hot := func(c cand) int {
			if c.hot {
				return 1
			}
			return 0
		}
		return cmp.Or(cmp.Compare(hot(x), hot(y)), cmp.Compare(x.load, y.load), strings.Compare(x.n.ID, y.n.ID))
	})
	out := make([]rest.Node, len(cands))
	for i, c := range cands {
		out[i] = c.n
	}
	return out
}

// placed counts a room placed on n.
func (p *placer) placed(n rest.Node) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.recent == nil {
		p.recent = map[string]placedSince{}
	}
	r := p.recent[n.ID]
	if !r.beat.Equal(n.HeartbeatAt) {
		r = placedSince{beat: n.HeartbeatAt}
	}
	r.rooms++
	p.recent[n.ID] = r
}

// nodes lists the cluster's live nodes; on a single node, itself.
func (a *API) nodes() []rest.Node {
	if a.opts.Cluster != nil {
		return a.opts.Cluster.Nodes()
	}
	n := rest.Node{ID: a.opts.NodeID, Capacity: a.m.MaxRooms(), Draining: a.m.Draining(), StartedAt: a.started}
	if u := a.opts.PublicURL; u != nil {
		n.URL = u.String()
	}
	for _, r := range a.m.Rooms() {
		n.Rooms++
		n.Players += r.Info().Players
	}
	if a.opts.TickLateness != nil {
		n.TickLatenessP99MS = float64(a.opts.TickLateness().Microseconds()) / 1000
	}
	return []rest.Node{n}
}

// originPatterns are the browser origins allowed to open WebSockets here:
// APIOptions.OriginPatterns and, in a cluster, every live node's host,
// since a player may be sent here from a lobby page any node served. A
// node on loopback also allows the other names of loopback at its port.
func (a *API) originPatterns() []string {
	if a.opts.Cluster == nil {
		return a.opts.OriginPatterns
	}
	out := slices.Clone(a.opts.OriginPatterns)
	for _, n := range a.opts.Cluster.Nodes() {
		u, err := url.Parse(n.URL)
		if err != nil || u.Host == "" {
			continue
		}
		out = append(out, u.Host)
		if host, port, err := net.SplitHostPort(u.Host); err == nil && isLoopback(host) {
			out = append(out, "localhost:"+port, "127.0.0.1:"+port, `\[::1\]:`+port)
		}
	}
	return out
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
