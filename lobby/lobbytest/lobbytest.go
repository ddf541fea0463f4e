// Package lobbytest runs a real lobby on a loopback port for tests, the way
// net/http/httptest runs a real HTTP server: rooms, sessions and the REST
// and WebSocket API, stopped and waited for when the test ends.
package lobbytest

import (
	"context"
	"net"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/rooms"
)

// Config shapes a test server. The zero value runs SmallArena rooms with
// the lobby's defaults.
type Config struct {
	Options rooms.Options
	API     lobby.APIOptions
	Games   []game.Definition // default SmallArena alone
	// Listener, when set, wraps the server's listener (to shape sockets).
	Listener func(net.Listener) net.Listener
}

// Server is a running lobby.
type Server struct {
	URL     string
	Manager *rooms.Manager
	API     *lobby.API

	stopOnce sync.Once
	stop     func()
}

// Start runs a lobby until the test ends (or Close).
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Games == nil {
		cfg.Games = []game.Definition{SmallArena()}
	}
	ctx, cancel := context.WithCancel(context.Background())
	mgr := rooms.NewManager(ctx, cfg.Options, cfg.Games, nil)
	api := lobby.NewAPI(ctx, mgr, cfg.API)
	hs := httptest.NewUnstartedServer(api.Handler())
	if cfg.Listener != nil {
		hs.Listener = cfg.Listener(hs.Listener)
	}
	hs.Start()
	s := &Server{URL: hs.URL, Manager: mgr, API: api}
	s.stop = func() {
		cancel()
		wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer wcancel()
		if err := api.WaitSessions(wctx); err != nil {
			t.Errorf("sessions did not end: %v", err)
		}
		mgr.Wait()
		hs.Close()
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops every room and session and waits for them.
func (s *Server) Close() { s.stopOnce.Do(s.stop) }

// SmallArena is the arena on an 800×600 map that keeps every player
// within sight of the others, so tests can watch each other move.
func SmallArena() game.Definition {
	d := arena.Definition()
	d.New = func(cfg game.Config) game.Game {
		m := arena.Map{W: 800, H: 600, Walls: []arena.Wall{
			{X: 0, Y: 0, W: 800, H: 16}, {X: 0, Y: 584, W: 800, H: 16},
			{X: 0, Y: 0, W: 16, H: 600}, {X: 784, Y: 0, W: 16, H: 600},
		}}
		spawns := []arena.Point{{X: 200, Y: 300}, {X: 600, Y: 300}, {X: 400, Y: 150}, {X: 400, Y: 450}}
		return arena.New(arena.Config{Seed: cfg.Seed, TickRate: cfg.TickRate, Map: &m, Spawns: spawns})
	}
	return d
}
