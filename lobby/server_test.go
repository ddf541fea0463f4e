package lobby_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/netcode"
)

// testServer is a real lobby on a loopback port.
type testServer struct {
	URL  string
	mgr  *lobby.Manager
	api  *lobby.API
	stop func()
}

func startServer(t *testing.T, opts lobby.Options, apiOpts lobby.APIOptions) *testServer {
	return startServerWith(t, opts, apiOpts, nil)
}

// startServerGame runs rooms of newGame.
func startServerGame(t *testing.T, newGame lobby.NewGame) *testServer {
	return startServerFull(t, lobby.Options{}, lobby.APIOptions{}, nil, newGame)
}

// startServerWith lets a test wrap the listener (to shape the sockets).
func startServerWith(t *testing.T, opts lobby.Options, apiOpts lobby.APIOptions, wrap func(net.Listener) net.Listener) *testServer {
	return startServerFull(t, opts, apiOpts, wrap, smallArena)
}

func startServerFull(t *testing.T, opts lobby.Options, apiOpts lobby.APIOptions, wrap func(net.Listener) net.Listener, newGame lobby.NewGame) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	mgr := lobby.NewManager(ctx, opts, newGame, nil)
	api := lobby.NewAPI(ctx, mgr, apiOpts)
	hs := httptest.NewUnstartedServer(api.Handler())
	if wrap != nil {
		hs.Listener = wrap(hs.Listener)
	}
	hs.Start()
	ts := &testServer{URL: hs.URL, mgr: mgr, api: api}
	ts.stop = func() {
		cancel()
		wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer wcancel()
		if err := api.WaitSessions(wctx); err != nil {
			t.Errorf("sessions did not end: %v", err)
		}
		mgr.Wait()
		hs.Close()
	}
	t.Cleanup(ts.stop)
	return ts
}

// smallArena keeps every player within sight of the others, so tests can
// watch each other move.
func smallArena(cfg lobby.RoomConfig) game.Game {
	m := game.Map{W: 800, H: 600, Walls: []game.Wall{
		{X: 0, Y: 0, W: 800, H: 16}, {X: 0, Y: 584, W: 800, H: 16},
		{X: 0, Y: 0, W: 16, H: 600}, {X: 784, Y: 0, W: 16, H: 600},
	}}
	spawns := []game.Point{{X: 200, Y: 300}, {X: 600, Y: 300}, {X: 400, Y: 150}, {X: 400, Y: 450}}
	return game.New(game.Config{Seed: cfg.Seed, TickRate: cfg.TickRate, Map: &m, Spawns: spawns})
}

// checkFor polls cond until it returns nil or total passes.
func checkFor(t *testing.T, total time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkGoroutines fails when goroutines stay above base after the test's
// servers and clients are gone.
func checkGoroutines(t *testing.T, base int) {
	t.Helper()
	checkFor(t, 5*time.Second, func() error {
		if n := runtime.NumGoroutine(); n > base {
			buf := make([]byte, 1<<16)
			return fmt.Errorf("goroutines: %d, baseline %d\n%s", n, base, buf[:runtime.Stack(buf, true)])
		}
		return nil
	})
}

// tinyBuffers shrinks a socket's kernel buffers (and turns off their
// autotuning) so a client that stops reading stalls the server's writes in
// seconds rather than after megabytes.
func tinyBuffers(c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = errors.Join(syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, 2048),
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048))
	})
	return errors.Join(err, serr)
}

type tinyBufListener struct{ net.Listener }

func (l tinyBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err == nil {
		err = tinyBuffers(rc)
	}
	return c, err
}

// tinyBufClient dials with tiny socket buffers.
func tinyBufClient() *http.Client {
	d := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error { return tinyBuffers(c) }}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

func join(t *testing.T, ctx context.Context, url, roomID, name string) *netcode.Client {
	t.Helper()
	c, err := netcode.JoinRoom(ctx, url, roomID, name, nil)
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func find(ents []game.Entity, id uint32) (game.Entity, bool) {
	for _, e := range ents {
		if e.ID == id {
			return e, true
		}
	}
	return game.Entity{}, false
}
