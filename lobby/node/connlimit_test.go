package node

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game/games"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/netcode/nettest"
)

// TestLimitListener: past max open connections Accept waits (the next
// client waits in the backlog) until one is closed; the connections it
// hands out are still syscall.Conns, for the session Poller.
func TestLimitListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := newLimitListener(inner, limitOptions{Max: 2})
	defer ln.Close()
	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	for range 3 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first, second := <-accepted, <-accepted
	if _, ok := first.(syscall.Conn); !ok {
		t.Fatalf("%T is no syscall.Conn", first)
	}
	select {
	case <-accepted:
		t.Fatal("a third connection accepted with two open and a limit of 2")
	case <-time.After(100 * time.Millisecond):
	}
	first.Close()
	first.Close() // a second Close gives back nothing more
	select {
	case third := <-accepted:
		third.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting connection was not accepted after one closed")
	}
	second.Close()
	ln.Close()
	if _, ok := <-accepted; ok {
		t.Fatal("Accept after Close")
	}
}

func TestConnLimits(t *testing.T) {
	for _, tt := range []struct {
		files          uint64
		conns, streams int
	}{
		{256, 192, 64},
		{4096, 3584, 1024},
		{20000, 17500, 5000},
		{1 << 40, 1<<22 - 1<<19, 1 << 20},
	} {
		if c, s := connLimits(tt.files); c != tt.conns || s != tt.streams {
			t.Errorf("connLimits(%d) = %d, %d; want %d, %d", tt.files, c, s, tt.conns, tt.streams)
		}
	}
}

// dialFrom connects to addr from the local address from (any port).
func dialFrom(t *testing.T, from, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// getOn sends GET path on c and reads the answer.
func getOn(t *testing.T, c net.Conn, br *bufio.Reader, path string) *http.Response {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: tickroom\r\n\r\n", path); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp
}

// readRefusal sends a request on c and reads the answer: a 429 naming
// max-conns-per-client, then the end of the connection.
func readRefusal(t *testing.T, c net.Conn) {
	t.Helper()
	resp := getOn(t, c, bufio.NewReader(c), "/healthz")
	defer resp.Body.Close()
	var p rest.Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatalf("429 body: %v", err)
	}
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Content-Type") != "application/problem+json" ||
		p.Status != http.StatusTooManyRequests || p.Quota != "max-conns-per-client" || !resp.Close {
		t.Fatalf("a connection past the client's cap got %s %q %+v (close %v), want 429 problem+json naming max-conns-per-client, closing",
			resp.Status, resp.Header.Get("Content-Type"), p, resp.Close)
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("after the 429 the connection read %d bytes, %v; want it closed", n, err)
	}
}

// TestLimitListenerPerClient: past its cap a client's new connections are
// answered 429 and closed without reaching the server, while another
// client's are taken; one closed gives its client's slot back.
func TestLimitListenerPerClient(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var refused atomic.Int32
	ln := newLimitListener(inner, limitOptions{Max: 10, PerClient: 2, Refused: func() { refused.Add(1) },
		// Each loopback address a client of its own, as distinct
		// hosts would be (lobby.ClientOf makes them one).
		ClientOf: func(a net.Addr) (string, bool) { return a.(*net.TCPAddr).IP.String(), true }})
	defer ln.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		defer close(accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	addr := inner.Addr().String()
	take := func(what string) net.Conn {
		t.Helper()
		select {
		case c := <-accepted:
			return c
		case <-time.After(5 * time.Second):
			t.Fatalf("%s not accepted", what)
			return nil
		}
	}
	dialFrom(t, "127.0.0.1", addr)
	first := take("the client's first connection")
	dialFrom(t, "127.0.0.1", addr)
	second := take("the client's second connection")
	defer second.Close()
	readRefusal(t, dialFrom(t, "127.0.0.1", addr))
	// One that sends no request is closed unanswered once its time is
	// up.
	silent := dialFrom(t, "127.0.0.1", addr)
	silent.SetReadDeadline(time.Now().Add(refusalWait + 5*time.Second))
	if n, err := silent.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("a refused connection that sent nothing read %d bytes, %v; want the end of it", n, err)
	}
	if n := refused.Load(); n != 2 {
		t.Fatalf("%d refusals counted, want 2", n)
	}
	dialFrom(t, "127.0.0.2", addr)
	take("another client's connection").Close()
	first.Close()
	dialFrom(t, "127.0.0.1", addr)
	take("the client's connection after one of its two closed").Close()
	select {
	case c := <-accepted:
		t.Fatalf("a refused connection reached the server: %v", c.RemoteAddr())
	default:
	}
}

// TestConnClient: the listener counts clients as the API does (every
// loopback address one client, IPv6 by /64), and does not count
// connections from a trusted proxy.
func TestConnClient(t *testing.T) {
	cfg := defaultConfig()
	cfg.TrustedProxies = "10.0.0.1, 2001:db8:1::/48"
	clientOf := connClient(cfg)
	for _, tt := range []struct {
		addr    string
		client  string
		counted bool
	}{
		{"127.0.0.1", "loopback", true},
		{"127.0.0.2", "loopback", true},
		{"::1", "loopback", true},
		{"192.0.2.7", "192.0.2.7", true},
		{"::ffff:192.0.2.7", "192.0.2.7", true},
		{"2001:db8:2:3:4::5", "2001:db8:2:3::/64", true},
		{"10.0.0.1", "", false},
		{"2001:db8:1:2::9", "", false},
	} {
		ap := netip.AddrPortFrom(netip.MustParseAddr(tt.addr), 4711)
		client, counted := clientOf(net.TCPAddrFromAddrPort(ap))
		if client != tt.client || counted != tt.counted {
			t.Errorf("%s: client %q, counted %v; want %q, %v", tt.addr, client, counted, tt.client, tt.counted)
		}
	}
	if _, counted := clientOf(&net.UnixAddr{Name: "@x", Net: "unix"}); counted {
		t.Error("a Unix socket's peer counted")
	}
}

// TestConnsPerClientDefault: -max-conns-per-client leaves room for a
// client's WebSockets and event streams at their caps and its requests;
// it is off when either of those is, so a bot swarm's server (per-client
// caps off) takes all its connections.
func TestConnsPerClientDefault(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want int
	}{
		{nil, 64 + 32 + restConnsPerClient},
		{[]string{"-max-conns-per-ip", "10", "-max-streams-per-client", "5"}, 10 + 5 + restConnsPerClient},
		{[]string{"-max-conns-per-ip", "-1"}, -1},
		{[]string{"-max-streams-per-client", "-1"}, -1},
		{[]string{"-max-conns-per-client", "500"}, 500},
		{[]string{"-max-conns-per-ip", "-1", "-max-conns-per-client", "500"}, 500},
		{[]string{"-max-conns-per-client", "-1"}, -1},
	} {
		cfg, err := parseConfig("tickroom", tt.args, func(string) string { return "" }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.connsPerClient(); got != tt.want {
			t.Errorf("%q: %d connections per client, want %d", tt.args, got, tt.want)
		}
	}
}

// TestServerConnsPerClient: the server run with -max-conns-per-client 3
// answers a client's fourth open connection 429 before it sends anything,
// counts the refusal in its metrics, and serves the client again once
// one of its connections closes.
func TestServerConnsPerClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() {
		served <- Run(ctx, []string{"-default-room", "", "-log-level", "warn", "-max-conns-per-client", "3"},
			func(string) string { return "" }, io.Discard, Options{Games: games.Builtin(), Listener: ln})
	}()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("server: %v", err)
		}
	}()
	addr := ln.Addr().String()
	var held []net.Conn
	defer func() {
		// Before the server stops: it waits 5 s on connections that
		// never sent a request.
		for _, c := range held {
			c.Close()
		}
	}()
	// The listener is open before the server runs: the connections wait
	// in its backlog, and are taken in order.
	for range 3 {
		held = append(held, dialFrom(t, "127.0.0.1", addr))
	}
	// From another loopback address: the same client, the host.
	readRefusal(t, dialFrom(t, "127.0.0.2", addr))
	held[0].Close()
	// The server sees the close when its read of the idle connection
	// fails; until then the client's requests are refused, and counted.
	// Each is answered 429: one that failed instead (its connection reset)
	// would be a refusal counted here as none.
	refusals := 1
	var metrics string
	nettest.CheckFor(t, 5*time.Second, func() error {
		c := dialFrom(t, "127.0.0.1", addr)
		defer c.Close()
		br := bufio.NewReader(c)
		resp := getOn(t, c, br, "/healthz")
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			refusals++
		}
		if resp.StatusCode != http.StatusOK {
			return errors.New(resp.Status)
		}
		// On the same connection: a new one might come before the
		// server has counted this one's predecessor closed.
		resp = getOn(t, c, br, "/metrics")
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		metrics = string(body)
		return err
	})
	want := fmt.Sprintf(`tickroom_quota_refusals_total{quota="max-conns-per-client"} %d`, refusals)
	if !strings.Contains(metrics, want) {
		t.Errorf("metrics lack %s: %s", want, regexp.MustCompile(`(?m)^tickroom_quota.*$`).FindAllString(metrics, -1))
	}
}
