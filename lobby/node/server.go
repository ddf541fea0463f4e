package node

import (
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
	ready       atomic.Bool
}

// newServer starts the room manager (and the default room). Rooms and
// sessions run until Close or ctx ends.
func newServer(ctx context.Context, cfg config, log *slog.Logger, opts Options) (*server, error) {
	// Rooms end first on shutdown and tell their players why; the API's
	// context (sessions' last resort) ends only after every room has.
	roomCtx, stop := context.WithCancel(ctx)
	apiCtx, stopAPI := context.WithCancel(ctx)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := lobby.NewMetrics(reg)
	mgr := rooms.NewManager(roomCtx, rooms.Options{
		IdleTimeout: cfg.IdleTimeout, UnusedTimeout: cfg.UnusedTimeout, ReconnectGrace: cfg.ReconnectGrace,
		PendingShare: cfg.PendingShare, MaxRooms: cfg.MaxRooms, TokenKey: []byte(cfg.TokenKey), Metrics: metrics,
	}, opts.Games, log)
	metrics.Watch(mgr)
	publicURL, _ := cfg.publicURL()
	proxies, _ := cfg.trustedProxies() // checked by parseConfig
	s := &server{
		cfg: cfg, opts: opts, log: log, mgr: mgr, stopRooms: stop, stopAPI: stopAPI,
		reg: reg,
		api: lobby.NewAPI(apiCtx, mgr, lobby.APIOptions{
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
			Session:  session.Options{IdleAfter: cfg.IdleAfter},
			NoPoller: cfg.IdleAfter == 0,
		}),
	}
	if cfg.DefaultRoom != "" {
		r, err := mgr.Create(rooms.Config{Name: cfg.DefaultRoom, Game: cfg.DefaultGame, Mode: cfg.DefaultMode, TickRate: cfg.DefaultTickRate, SendRate: cfg.DefaultSendRate, MaxPlayers: cfg.DefaultMax, Persistent: true})
		if err != nil {
			stop()
			stopAPI()
			mgr.Wait()
			// The default room's settings are flags: name the flag.
			if fe := (*rooms.FieldError)(nil); errors.As(err, &fe) {
				if flag, ok := defaultRoomFlag(fe.Field); ok {
					return nil, usageError{fmt.Errorf("%s: %s", flag, fe.Detail)}
				}
			}
			return nil, fmt.Errorf("default room: %w", err)
		}
		s.defaultRoom = r
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

// drain marks the server not ready, refuses new rooms and joins, and ends
// every room: players get close 1001 and live streams end, so an HTTP
// shutdown need not wait for them.
func (s *server) drain() {
	s.ready.Store(false)
	s.mgr.Drain()
	s.stopRooms()
	s.api.EndStreams()
}

// Close drains and waits, until ctx ends, for every session to finish
// writing and every room to stop.
func (s *server) Close(ctx context.Context) error {
	s.drain()
	s.mgr.Wait()
	s.stopAPI()
	return s.api.WaitSessions(ctx)
}
