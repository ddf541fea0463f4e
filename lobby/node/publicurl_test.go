package node

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/nettest"
)

// runServer runs the server's main loop in this process with args until
// the test ends, and returns its base URL once it is ready.
func runServer(t *testing.T, args ...string) string {
	t.Helper()
	addr := nettest.FreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, append([]string{"-addr", addr, "-log-level", "warn"}, args...), func(string) string { return "" }, io.Discard, builtin)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	base := "http://" + addr
	nettest.CheckFor(t, 10*time.Second, func() error {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return errors.New(resp.Status)
		}
		return nil
	})
	return base
}

// seatVia reserves a seat in the default room, sending the request with
// Host set to host ("" for the real one).
func seatVia(t *testing.T, base, host string) rest.Seat {
	t.Helper()
	resp, err := http.Get(base + "/api/rooms")
	if err != nil {
		t.Fatal(err)
	}
	var list rest.RoomList
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || len(list.Rooms) == 0 {
		t.Fatalf("rooms: %v %+v", err, list)
	}
	req, _ := http.NewRequest("POST", base+"/api/rooms/"+list.Rooms[0].ID+"/join", strings.NewReader(`{"name":"p"}`))
	req.Header.Set("Content-Type", "application/json")
	if host != "" {
		req.Host = host
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var seat rest.Seat
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&seat) != nil {
		t.Fatalf("join: %s", resp.Status)
	}
	return seat
}

func withoutQuery(t *testing.T, s string) string {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	u.RawQuery = ""
	return u.String()
}

// TestWSURLFromListenAddress: with -addr naming a host and no -public-url,
// ws_url is on the listen address whatever Host the request names, and a
// browser that loaded the page as localhost may still open it.
func TestWSURLFromListenAddress(t *testing.T) {
	base := runServer(t)
	host := strings.TrimPrefix(base, "http://")
	seat := seatVia(t, base, "evil.example")
	if got, want := withoutQuery(t, seat.WSURL), "ws://"+host+"/ws"; got != want {
		t.Fatalf("ws_url %s with a forged Host, want %s", got, want)
	}
	_, port, _ := net.SplitHostPort(host)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, seat.WSURL, &websocket.DialOptions{
		Subprotocols: []string{netcode.Subprotocol},
		HTTPHeader:   http.Header{"Origin": {"http://localhost:" + port}},
	})
	if err != nil {
		t.Fatalf("upgrade from a page at localhost:%s: %v", port, err)
	}
	conn.CloseNow()
}

// TestWSURLFromPublicURL: -public-url decides ws_url and the browser
// origin allowed by default.
func TestWSURLFromPublicURL(t *testing.T) {
	base := runServer(t, "-public-url", "https://play.example.com")
	seat := seatVia(t, base, "evil.example")
	if got := withoutQuery(t, seat.WSURL); got != "wss://play.example.com/ws" {
		t.Fatalf("ws_url %s, want wss://play.example.com/ws", got)
	}
	// The seat is on this server: reach it through the "proxy" (directly),
	// as a page at the public URL would.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	direct := "ws://" + strings.TrimPrefix(base, "http://") + "/ws?" + strings.SplitN(seat.WSURL, "?", 2)[1]
	conn, _, err := websocket.Dial(ctx, direct, &websocket.DialOptions{
		Subprotocols: []string{netcode.Subprotocol},
		HTTPHeader:   http.Header{"Origin": {"https://play.example.com"}},
	})
	if err != nil {
		t.Fatalf("upgrade from a page at the public URL: %v", err)
	}
	conn.CloseNow()
}

func TestPublicURLConfig(t *testing.T) {
	noEnv := func(string) string { return "" }
	for _, bad := range [][]string{
		{"-public-url", "play.example.com"},
		{"-public-url", "ftp://play.example.com"},
		{"-public-url", "https://play.example.com/?x=1"},
		{"-public-url", "https://"},
		{"-public-url", "https://a.example", "-public-host", "a.example"},
		{"-trusted-proxies", "10.0.0.0/8, proxy.example"},
		{"-trusted-proxies", "10.0.0.0/33"},
	} {
		if _, err := parseConfig("tickroom", bad, noEnv, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	cfg, err := parseConfig("tickroom", []string{"-trusted-proxies", "10.0.0.0/8, 192.0.2.7 ,2001:db8::/32"}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := cfg.trustedProxies()
	if len(got) != 3 || got[1].String() != "192.0.2.7/32" || got[2].String() != "2001:db8::/32" {
		t.Fatalf("trusted proxies %v", got)
	}
	// -public-host alone still sets the allowed origin.
	cfg, err = parseConfig("tickroom", []string{"-public-host", "game.example:8443"}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o := cfg.originPatterns(); len(o) != 1 || o[0] != "game.example:8443" {
		t.Fatalf("origins with -public-host: %q", o)
	}
	// The default :8080 names no host: ws_url follows each request's Host.
	cfg, _ = parseConfig("tickroom", nil, noEnv, io.Discard)
	cfg.listen = &net.TCPAddr{IP: net.IPv6zero, Port: 8080}
	if u, _ := cfg.publicURL(); u != nil {
		t.Fatalf("public URL %v for -addr :8080, want none", u)
	}
}
