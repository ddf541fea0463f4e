package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/cluster"
	"github.com/tickroom/tickroom/lobby/directory/natsdir"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode/session"
	"github.com/tickroom/tickroom/web"
)

// server wires the lobby, the WebSocket endpoint and the web client.
type server struct {
	cfg         config
	opts        Options
	log         *slog.Logger
	mgr         *rooms.Manager
	api         *lobby.API
	defaultRoom *rooms.Room
	stopRooms   context.CancelFunc
	stopAPI     context.CancelFunc
	reg         *prometheus.Registry
	metrics     *lobby.Metrics
	ready       atomic.Bool
	cluster     *cluster.Node // nil on a single node
}

// newServer starts the room manager (and the default room) and, with
// -nats or -nats-embed, joins the cluster. Rooms and sessions run until
// Close or ctx ends.
func newServer(ctx context.Context, cfg config, log *slog.Logger, opts Options) (*server, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := lobby.NewMetrics(reg)
	var mgrRef atomic.Pointer[rooms.Manager]
	var node *cluster.Node
	if cfg.clustered() {
		publicURL, _ := cfg.publicURL()
		var err error
		node, err = cluster.Start(ctx, cluster.Options{
			URL: cfg.NATS, Embed: cfg.NATSEmbed, StoreDir: cfg.NATSStore, RemoveStore: cfg.NATSStore == "" && cfg.nodeIDDrawn,
			NodeID: cfg.NodeID, PublicURL: publicURL.String(), Timeout: cfg.ClusterTimeout, Replicas: cfg.NATSReplicas,
			Registerer: reg, Log: log,
			// The heartbeat's load; the manager comes next, and the
			// first heartbeat, before it, finds none yet.
			Load: func() natsdir.Load {
				l := natsdir.Load{Capacity: cfg.MaxRooms, TickLatenessP99: metrics.TickLatenessP99()}
				if m := mgrRef.Load(); m != nil {
					for _, r := range m.Rooms() {
						l.Rooms++
						l.Players += r.Info().Players
					}
				}
				return l
			},
		})
		if err != nil {
			return nil, err
		}
		log.Info("joined the cluster", "node", cfg.NodeID, "nats", cmp.Or(cfg.NATS, node.EmbeddedURL()), "public_url", publicURL.String())
	}
	// Rooms end first on shutdown and tell their players why; the API's
	// context (sessions' last resort) ends only after every room has.
	roomCtx, stop := context.WithCancel(ctx)
	apiCtx, stopAPI := context.WithCancel(ctx)
	ropts := rooms.Options{
		IdleTimeout: cfg.IdleTimeout, UnusedTimeout: cfg.UnusedTimeout, ReconnectGrace: cfg.ReconnectGrace,
		PendingShare: cfg.PendingShare, MaxRooms: cfg.MaxRooms, TokenKey: []byte(cfg.TokenKey), Metrics: metrics,
	}
	if node != nil {
		ropts.Directory = node.Directory()
	}
	mgr := rooms.NewManager(roomCtx, ropts, opts.Games, log)
	mgrRef.Store(mgr)
	metrics.Watch(mgr)
	publicURL, _ := cfg.publicURL()
	proxies, _ := cfg.trustedProxies() // checked by parseConfig
	apiOpts := lobby.APIOptions{
		OriginPatterns: cfg.originPatterns(), PublicURL: publicURL, TrustedProxies: proxies,
		AdminKey: cfg.AdminKey, Logger: log, Metrics: metrics,
		Limits: lobby.Limits{MaxConnsPerIP: cfg.MaxConnsPerIP, InputRate: cfg.InputRate,
			RoomsPerClient: cfg.RoomsPerClient, RoomCreateRate: cfg.RoomCreateRate, RoomCreateBurst: cfg.RoomCreateBurst,
			PendingPerClient: cfg.PendingPerClient, StreamsPerClient: cfg.StreamsPerClient, MaxStreams: cfg.MaxStreams},
		KeepaliveInterval: cfg.Keepalive,
		// The second release comes once rooms emptied by a drop have
		// held their seats and then idled out.
		MemoryRelease: lobby.MemoryRelease{Drop: cfg.ReleaseDrop, MinSessions: cfg.ReleaseMin,
			Again: cfg.ReconnectGrace + cfg.IdleTimeout + 10*time.Second},
		Session:      session.Options{IdleAfter: cfg.IdleAfter},
		NoPoller:     cfg.IdleAfter == 0,
		NodeID:       cfg.NodeID,
		TickLateness: metrics.TickLatenessP99,
	}
	if node != nil {
		apiOpts.Cluster = node.Client()
	}
	s := &server{
		cfg: cfg, opts: opts, log: log, mgr: mgr, stopRooms: stop, stopAPI: stopAPI,
		reg: reg, metrics: metrics, cluster: node,
		api: lobby.NewAPI(apiCtx, mgr, apiOpts),
	}
	fail := func(err error) (*server, error) {
		stop()
		stopAPI()
		mgr.Wait()
		if node != nil {
			node.Close(context.WithoutCancel(ctx))
		}
		return nil, err
	}
	if cfg.DefaultRoom != "" {
		r, err := mgr.Create(rooms.Config{Name: cfg.DefaultRoom, Game: cfg.DefaultGame, Mode: cfg.DefaultMode, TickRate: cfg.DefaultTickRate, SendRate: cfg.DefaultSendRate, MaxPlayers: cfg.DefaultMax, Persistent: true})
		if err != nil {
			// The default room's settings are flags: name the flag.
			if fe := (*rooms.FieldError)(nil); errors.As(err, &fe) {
				if flag, ok := defaultRoomFlag(fe.Field); ok {
					return fail(usageError{fmt.Errorf("%s: %s", flag, fe.Detail)})
				}
			}
			return fail(fmt.Errorf("default room: %w", err))
		}
		s.defaultRoom = r
	}
	if node != nil {
		// Other nodes may send calls from now on.
		var b cluster.Backend = s.api
		if cfg.wrapPeer != nil {
			b = cfg.wrapPeer(b)
		}
		if err := node.Serve(b); err != nil {
			return fail(fmt.Errorf("cluster: serving calls from other nodes: %w", err))
		}
	}
	s.ready.Store(true)
	return s, nil
}

// defaultRoomFlag names the flag that sets a field of the default room.
func defaultRoomFlag(field string) (string, bool) {
	switch field {
	case "game", "mode":
		return "-default-" + field, true
	case "name":
		return "-default-room", true
	case "tick_rate", "send_rate", "max_players":
		return "-default-" + strings.ReplaceAll(field, "_", "-"), true
	}
	return "", false
}

// Handler composes the web client, the API and the health endpoints.
func (s *server) Handler() http.Handler {
	mux := http.NewServeMux()
	api := s.api.Handler()
	mux.Handle("/api/", api)
	mux.Handle("/ws", api)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	mux.Handle("/", web.Handler(web.Options{Games: s.opts.Web}))
	return mux
}

func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}

// drain marks the server not ready, refuses new rooms and joins (telling
// the cluster at once, so no node places rooms here), and ends every
// room: players get close 1001 and live streams end, so an HTTP shutdown
// need not wait for them.
func (s *server) drain() {
	s.refuse()
	s.stopRooms()
	s.api.EndStreams()
}

// refuse is drain's first step: from now on the node is not ready and
// takes no new rooms or joins, and every node of the cluster knows it.
func (s *server) refuse() {
	s.ready.Store(false)
	if s.cluster != nil {
		s.cluster.SetDraining(true)
	}
	s.mgr.Drain()
}

// Close drains and waits, until ctx ends, for every session to finish
// writing and every room to stop; a cluster node then leaves the cluster.
func (s *server) Close(ctx context.Context) error {
	s.drain()
	s.mgr.Wait()
	if s.cluster != nil {
		// Its rooms are gone: leave, and every node unlists this one now
		// rather than when its record expires.
		if err := s.cluster.Close(ctx); err != nil {
			s.log.Warn("leaving the cluster", "err", err)
		}
	}
	s.stopAPI()
	return s.api.WaitSessions(ctx)
}
