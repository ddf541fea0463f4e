package lobby_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"syscall"
	"testing"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/lobbytest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/client"
	"github.com/tickroom/tickroom/netcode/nettest"
)

// testServer is a real lobby on a loopback port.
type testServer struct {
	URL  string
	mgr  *rooms.Manager
	api  *lobby.API
	stop func()
}

func startServer(t *testing.T, opts rooms.Options, apiOpts lobby.APIOptions) *testServer {
	return startServerWith(t, opts, apiOpts, nil)
}

// startServerGames runs rooms of games, the first the default, without per-client
// quotas (tests of games make more rooms than one client may).
func startServerGames(t *testing.T, opts rooms.Options, games ...game.Definition) *testServer {
	return startServerFull(t, opts, lobby.APIOptions{Limits: noQuotas}, nil, games)
}

// startServerWith lets a test wrap the listener (to shape the sockets).
func startServerWith(t *testing.T, opts rooms.Options, apiOpts lobby.APIOptions, wrap func(net.Listener) net.Listener) *testServer {
	return startServerFull(t, opts, apiOpts, wrap, nil)
}

// startServerFull runs games (nil: lobbytest's small arena alone).
func startServerFull(t *testing.T, opts rooms.Options, apiOpts lobby.APIOptions, wrap func(net.Listener) net.Listener, games []game.Definition) *testServer {
	t.Helper()
	s := lobbytest.Start(t, lobbytest.Config{Options: opts, API: apiOpts, Games: games, Listener: wrap})
	return &testServer{URL: s.URL, mgr: s.Manager, api: s.API, stop: s.Close}
}

// smallArenaAs is the small arena registered as the game name, each of
// its games passed through wrap: a test's own game, which its rooms ask
// for by name.
func smallArenaAs(name string, wrap func(game.Game) game.Game) game.Definition {
	d := lobbytest.SmallArena()
	d.Name = name
	newArena := d.New
	d.New = func(cfg game.Config) game.Game { return wrap(newArena(cfg)) }
	return d
}

// arenaCodec encodes the arena's inputs, for clients on raw sockets.
func arenaCodec() *netcode.Codec { return netcode.MustCodec(arena.New(arena.Config{}).Schema()) }

var checkFor = nettest.CheckFor

// noQuotas lifts the per-client room and reservation quotas, for tests
// of other things that create many rooms or hold many seats from the one
// client every loopback test is.
var noQuotas = lobby.Limits{RoomsPerClient: -1, RoomCreateRate: -1, PendingPerClient: -1}

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

func join(t *testing.T, ctx context.Context, url, roomID, name string) *client.Client {
	t.Helper()
	c, err := client.JoinRoom(ctx, url, roomID, name, nil)
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// find returns arena entity id of ents, as a client decoded them.
func find(ents []game.Entity, id uint32) (arena.Entity, bool) {
	for i := range ents {
		if ents[i].ID == id {
			return arena.EntityOf(&ents[i]), true
		}
	}
	return arena.Entity{}, false
}

// asClient is an HTTP client whose requests (REST calls and WebSocket
// handshakes alike) leave from local, a loopback address such as
// 127.0.0.2 ("" for the default), and carry X-Forwarded-For: xff when xff
// is not empty.
func asClient(local, xff string) *http.Client {
	d := &net.Dialer{}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	tr := &http.Transport{DialContext: d.DialContext}
	return &http.Client{Transport: forwardFor{tr, xff}}
}

// forwardFor adds X-Forwarded-For to every request it sends.
type forwardFor struct {
	rt  http.RoundTripper
	xff string
}

func (f forwardFor) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.xff != "" {
		r = r.Clone(r.Context())
		r.Header.Set("X-Forwarded-For", f.xff)
	}
	return f.rt.RoundTrip(r)
}
