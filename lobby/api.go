package lobby

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode/session"
)

// APIOptions configures the HTTP API. Zero fields take the defaults noted.
type APIOptions struct {
	// OriginPatterns lists the browser origins allowed to open WebSockets,
	// as coder/websocket host patterns. Default: only the server's own host.
	// Upgrades without an Origin header (bots, services) are always allowed.
	OriginPatterns []string
	// PublicURL is where clients reach the server, such as
	// https://play.example.com (a path, such as /game, prefixes /ws):
	// join and quick play answers build ws_url from it. Default none:
	// ws_url is built from the request's Host and TLS, or from a trusted
	// proxy's X-Forwarded-Host and X-Forwarded-Proto; any client can put
	// any Host in its own request, so a deployment should set this.
	PublicURL *url.URL
	// AdminKey guards admin endpoints (announce); empty disables them
	// (they answer 404).
	AdminKey string
	// Heartbeat is how often an idle event stream gets a comment line, so
	// proxies and clients can tell it is alive. Default 15s.
	Heartbeat time.Duration
	// Session configures every WebSocket session.
	Session session.Options
	// KeepaliveInterval is how often each client is pinged; one that does
	// not answer within another interval is dropped, so a client that has
	// stopped reading is closed within 2.5 intervals (Keepalive.Bound).
	// Default session.DefaultKeepalive (5s); negative disables keepalive.
	KeepaliveInterval time.Duration
	// NoPoller keeps a reader goroutine parked for every connection's
	// whole life, as on systems without epoll. By default NewAPI starts a
	// session.Poller (unless Session.Poller is set), so a connection whose
	// client has gone quiet pins no goroutine.
	NoPoller bool
	// MemoryRelease returns memory to the OS after many sessions end at
	// once; see its fields for the defaults.
	MemoryRelease MemoryRelease
	// Limits bounds what each client may send and how many may connect.
	Limits Limits
	// TrustedProxies are the reverse proxies in front of the server. Only
	// from them are X-Forwarded-For (who the client is, for every
	// per-client limit), X-Forwarded-Proto and X-Forwarded-Host believed;
	// from any other peer these headers are ignored, since anyone can send
	// them. Default none: every client is its own peer address.
	TrustedProxies []netip.Prefix
	Metrics        *Metrics
	Logger         *slog.Logger
	// Cluster is the rest of the cluster this node belongs to: rooms are
	// then placed on any node, joined on the node that runs them, and
	// quick play searches them all. Default none: a single node.
	Cluster Cluster
	// NodeID names this node in GET /api/nodes on a single node (a
	// cluster has its own ids). Default empty.
	NodeID string
	// TickLateness reports the 99th percentile of how late this node's
	// ticks start, for GET /api/nodes on a single node. Default none (0).
	TickLateness func() time.Duration
}

// API serves the lobby REST API and the WebSocket endpoint.
type API struct {
	// static after construction
	m          *rooms.Manager
	opts       APIOptions
	log        *slog.Logger
	ctx        context.Context // ends sessions on shutdown
	streams    context.Context // ends event streams and long-polls: ctx or EndStreams
	endStreams context.CancelFunc

	sessions liveSessions // one per live WebSocket, from before its upgrade
	matchMu  sync.Mutex   // serializes quick play's create-a-room step
	conns    *ipConns     // open WebSockets per client
	clients  clients
	quotas   *quotas // rooms and reservations per client

	streamSlots *streamSlots // event streams and long-polls
	hub         *streamHub   // serves the event streams; ends with streams
	placer      placer       // where new rooms go, in a cluster
	recent      recentRooms  // rooms placed on other nodes a moment ago
	started     time.Time
}

// NewAPI returns the API for m. Sessions, event streams and long-polls end
// when ctx does.
func NewAPI(ctx context.Context, m *rooms.Manager, opts APIOptions) *API {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 15 * time.Second
	}
	opts.Limits = opts.Limits.WithDefaults()
	if opts.KeepaliveInterval >= 0 && opts.Session.Keepalive == nil {
		// One goroutine pings every session; it ends with ctx.
		opts.Session.Keepalive = session.NewKeepalive(opts.KeepaliveInterval)
		go opts.Session.Keepalive.Run(ctx)
	}
	if !opts.NoPoller && opts.Session.Poller == nil {
		// One goroutine watches every quiet connection; it ends with ctx.
		if p, err := session.NewPoller(); err != nil {
			opts.Logger.Warn("idle connections will each keep a goroutine", "err", err)
		} else {
			opts.Session.Poller = p
			go p.Run(ctx)
			if opts.Metrics != nil {
				opts.Metrics.poller.Store(p)
			}
		}
	}
	streams, endStreams := context.WithCancel(ctx)
	a := &API{m: m, opts: opts, log: opts.Logger, ctx: ctx, streams: streams, endStreams: endStreams, started: time.Now(),
		conns: newIPConns(opts.Limits.MaxConnsPerIP), clients: clients{trusted: opts.TrustedProxies},
		sessions: liveSessions{release: newMemoryReleaser(ctx, opts.MemoryRelease, opts.Metrics)}}
	a.quotas = newQuotas(&a.opts.Limits)
	a.streamSlots = newStreamSlots(opts.Limits.StreamsPerClient, opts.Limits.MaxStreams)
	if m != nil {
		// One goroutine serves every event stream; it ends with streams.
		a.hub = newStreamHub(m.Directory().Feed(), m.List, opts.Heartbeat)
		go a.hub.run(streams)
	}
	return a
}

// route is one endpoint. routes is the one list of them: Handler registers
// it and the OpenAPI test checks it against the document both ways.
type route struct {
	pattern string
	handler http.HandlerFunc
}

func (a *API) routes() []route {
	return []route{
		{"POST /api/rooms", a.createRoom},
		{"GET /api/rooms", a.listRooms},
		{"GET /api/rooms/events", a.roomEvents},
		{"GET /api/rooms/{id}", a.getRoom},
		{"POST /api/rooms/{id}/join", a.joinRoom},
		{"POST /api/rooms/{id}/announce", a.announce},
		{"POST /api/matchmake", a.matchmake},
		{"GET /api/nodes", a.listNodes},
		{"GET /api/games", a.listGames},
		{"GET /api/openapi.json", serveOpenAPI},
		{"GET /ws", a.serveWS},
	}
}

// Handler routes /api/ and /ws.
func (a *API) Handler() http.Handler { return a.mux() }

func (a *API) mux() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range a.routes() {
		mux.HandleFunc(rt.pattern, rt.handler)
	}
	mux.HandleFunc("/api/", noRoute(mux))
	mux.HandleFunc("/ws", noRoute(mux))
	return mux
}

// noRoute answers what no route matched as a problem: 405 with Allow when
// the path exists for other methods, 404 otherwise.
func noRoute(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != r.Pattern {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeProblem(w, rest.Problem{Type: "/problems/method-not-allowed", Status: http.StatusMethodNotAllowed,
				Detail: r.Method + " is not allowed on " + r.URL.Path + "; use " + strings.Join(allow, " or ")})
			return
		}
		writeProblem(w, rest.Problem{Type: "/problems/not-found", Status: http.StatusNotFound, Detail: "no such API endpoint: " + r.Method + " " + r.URL.Path})
	}
}

// EndStreams ends every event stream and long-poll now (long-polls answer
// with the current list), and any opened later at once. They also end with
// NewAPI's context; http.Server.Shutdown waits for them, unlike WebSockets,
// so a server that shuts down HTTP before ending that context should
// register this: srv.RegisterOnShutdown(api.EndStreams).
func (a *API) EndStreams() { a.endStreams() }

// streamContext is the context of an event stream or long-poll: it ends
// with the request, with the API's context, or at EndStreams.
func (a *API) streamContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(a.streams, cancel)
	return ctx, func() { stop(); cancel() }
}

// WaitSessions blocks until every WebSocket session has ended or ctx does.
func (a *API) WaitSessions(ctx context.Context) error { return a.sessions.wait(ctx) }

// createRoomRequest is the body of POST /api/rooms as the server checks it.
type createRoomRequest struct {
	rest.CreateRoom
}

// config checks the request and returns the room it asks for. Numbers that
// are given must be in range: an explicit 0 is not "the default".
func (req *createRoomRequest) config() (rooms.Config, error) {
	cfg := rooms.Config{Private: req.Private, JoinCode: req.JoinCode, Labels: req.Labels}
	var err error
	if cfg.Name, err = validRoomName(req.Name); err != nil {
		return cfg, err
	}
	if req.Game != "" {
		if cfg.Game, err = validMode(req.Game, "game"); err != nil {
			return cfg, err
		}
	}
	if req.Mode != "" {
		if cfg.Mode, err = validMode(req.Mode, "mode"); err != nil {
			return cfg, err
		}
	}
	if cfg.MaxPlayers, err = inRange(req.MaxPlayers, "max_players", 1, rooms.MaxMaxPlayers); err != nil {
		return cfg, err
	}
	if cfg.TickRate, err = inRange(req.TickRate, "tick_rate", rooms.MinTickRate, rooms.MaxTickRate); err != nil {
		return cfg, err
	}
	if cfg.SendRate, err = inRange(req.SendRate, "send_rate", 1, rooms.MaxTickRate); err != nil {
		return cfg, err
	}
	if err := validateLabels(req.Labels); err != nil {
		return cfg, err
	}
	switch {
	case req.Private:
		err = validJoinCode(req.JoinCode)
	case req.JoinCode != "":
		err = &FieldError{Field: "join_code", Detail: "only for a private room (private: true)"}
	}
	return cfg, err
}

func (a *API) createRoom(w http.ResponseWriter, r *http.Request) {
	var req createRoomRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if _, err := req.config(); err != nil {
		writeError(w, err)
		return
	}
	if a.m.Draining() {
		writeError(w, rooms.ErrShuttingDown)
		return
	}
	room, err := a.quotas.createRoom(a.clients.key(r), func() (*directory.Room, gone, error) {
		return a.place(r.Context(), req.CreateRoom)
	})
	if err != nil {
		a.refused(w, err)
		return
	}
	w.Header().Set("Location", "/api/rooms/"+room.ID)
	writeJSON(w, http.StatusCreated, room)
}

// findRoom finds a room of this process. Rooms live in memory only, so a
// room from before a restart, whose token may still verify, is not found.
// In a cluster, a room another node runs is named with that node.
func (a *API) findRoom(id string) (*rooms.Room, error) {
	room, err := a.m.Get(id)
	if errors.Is(err, rooms.ErrNotFound) {
		nf := &roomNotFoundError{id: id, err: err, cluster: a.opts.Cluster != nil}
		if a.opts.Cluster != nil {
			if info, err := a.m.Directory().Get(a.ctx, id); err == nil && !a.local(info.Node) {
				nf.node = info.Node
				for _, n := range a.opts.Cluster.Nodes() {
					if n.ID == info.Node {
						nf.url = n.URL
					}
				}
			}
		}
		return nil, nf
	}
	return room, err
}

// roomNotFoundError names the room a request or a seat token asked for,
// and the node that runs it when that is another.
type roomNotFoundError struct {
	id        string
	node, url string
	cluster   bool
	err       error
}

func (e *roomNotFoundError) Error() string {
	switch {
	case e.node != "":
		return fmt.Sprintf("lobby: room %s runs on node %s (%s), not this one: send this request there", e.id, e.node, e.url)
	case e.cluster:
		return fmt.Sprintf("lobby: no room %s in the cluster (its node may have stopped; rooms do not survive a restart)", e.id)
	}
	return fmt.Sprintf("lobby: no room %s on this server (rooms do not survive a restart)", e.id)
}

func (e *roomNotFoundError) Unwrap() error { return e.err }

func (a *API) getRoom(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if a.opts.Cluster != nil {
		// Another node's room, as its last write said (at most a second
		// old): its players are the roster it wrote.
		if info, err := a.m.Directory().Get(r.Context(), id); err == nil && !a.local(info.Node) {
			players := info.Roster
			if players == nil {
				players = []directory.Player{}
			}
			writeJSON(w, http.StatusOK, rest.RoomDetail{Room: info, Players: players})
			return
		}
	}
	room, err := a.findRoom(id)
	if err != nil {
		writeError(w, err)
		return
	}
	players, err := room.Presence(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rest.RoomDetail{Room: a.withNode(room.Info()), Players: players})
}

func (a *API) listNodes(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, rest.NodeList{Nodes: a.nodes(), Self: a.self()})
}

func (a *API) joinRoom(w http.ResponseWriter, r *http.Request) {
	var req rest.Join
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	name, err := validPlayerName(req.Name)
	if err != nil {
		writeError(w, err)
		return
	}
	if len(req.JoinCode) > maxJoinCode {
		writeError(w, &FieldError{Field: "join_code", Detail: fmt.Sprintf("longer than %d bytes", maxJoinCode)})
		return
	}
	if a.m.Draining() {
		writeError(w, rooms.ErrShuttingDown)
		return
	}
	id := r.PathValue("id")
	if _, ok := a.whereIs(r.Context(), id); !ok {
		// A room nobody runs is not found before any quota is spent
		// on it.
		writeError(w, &roomNotFoundError{id: id, err: rooms.ErrNotFound, cluster: a.opts.Cluster != nil})
		return
	}
	join := rest.Join{Name: name, JoinCode: req.JoinCode}
	seat, err := a.quotas.reserve(a.clients.key(r), func() (rest.Seat, gone, error) {
		return a.reserveIn(r.Context(), id, join, func(token string) string { return a.wsURL(r, token) })
	})
	a.writeSeat(w, seat, err)
}

// writeSeat answers a join or a quick play: the seat, or why not.
func (a *API) writeSeat(w http.ResponseWriter, seat rest.Seat, err error) {
	if err != nil {
		a.refused(w, err)
		return
	}
	writeJSON(w, http.StatusOK, seat)
}

// wsURL is where the seat's WebSocket is opened: on PublicURL when one is
// configured, so no request header can point a client elsewhere. Without
// it the request is all there is to go by: its Host and whether it came
// over TLS, or what a trusted proxy says in X-Forwarded-Host and
// X-Forwarded-Proto (never what an arbitrary client says). r is nil for
// another node's join, which PeerReserve only serves with a PublicURL.
func (a *API) wsURL(r *http.Request, token string) string {
	u := url.URL{Path: "/ws", RawQuery: "token=" + url.QueryEscape(token)}
	var secure bool
	if r != nil {
		secure, u.Host = r.TLS != nil, r.Host
	}
	if pub := a.opts.PublicURL; pub != nil {
		secure = pub.Scheme == "https"
		u.Host = pub.Host
		u.Path = strings.TrimSuffix(pub.Path, "/") + "/ws"
	} else if r != nil && a.clients.viaProxy(r) {
		if proto := a.clients.forwarded(r, "X-Forwarded-Proto"); proto != "" {
			secure = strings.EqualFold(proto, "https")
		}
		if host := a.clients.forwarded(r, "X-Forwarded-Host"); host != "" {
			u.Host = host
		}
	}
	u.Scheme = "ws"
	if secure {
		u.Scheme = "wss"
	}
	return u.String()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
