package lobby_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/lobbytest"
	"github.com/tickroom/tickroom/lobby/rooms"
)

// streamAs opens the event stream as the client at addr ("" for
// loopback) and returns the answer's status and, when it is 200, the open
// stream; otherwise the whole answer.
func streamAs(t *testing.T, ts *testServer, addr string) (*sseStream, answer) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/rooms/events", nil)
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		defer cancel()
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return nil, answer{status: resp.StatusCode, header: resp.Header, body: b}
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	s := &sseStream{resp: resp, br: bufio.NewReader(resp.Body)}
	s.reset(t)
	return s, answer{status: resp.StatusCode, header: resp.Header}
}

// TestStreamCaps: event streams and long-polls count together against the
// client's cap (429) and the server's (503), each naming its quota; a
// stream whose client has gone stops counting as soon as a cap is reached.
func TestStreamCaps(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{TrustedProxies: viaProxy, Heartbeat: time.Hour,
		Limits: lobby.Limits{StreamsPerClient: 2, MaxStreams: 3}})
	a1, _ := streamAs(t, ts, "198.51.100.1")
	streamAs(t, ts, "198.51.100.1")
	_, a := streamAs(t, ts, "198.51.100.1")
	quotaRefusal(t, a, "max-streams-per-client", false)
	since := "since=" + list(t, ts, "").Version
	quotaRefusal(t, as(t, "198.51.100.1", "GET", ts.URL+"/api/rooms?watch=1&"+since, ""), "max-streams-per-client", false)
	streamAs(t, ts, "198.51.100.2")
	for _, open := range []func() answer{
		func() answer { _, a := streamAs(t, ts, "198.51.100.3"); return a },
		func() answer { return as(t, "198.51.100.3", "GET", ts.URL+"/api/rooms?watch=1&"+since, "") },
	} {
		a := open()
		p := problem(t, a, http.StatusServiceUnavailable, "")
		if p.Type != "/problems/capacity-exceeded" || p.Quota != "max-streams" || a.header.Get("Retry-After") == "" {
			t.Fatalf("problem %+v, Retry-After %q: want /problems/capacity-exceeded naming max-streams, with Retry-After", p, a.header.Get("Retry-After"))
		}
	}
	// The first client hangs up its stream: the heartbeat that would
	// notice is an hour away, but a refused open looks.
	a1.resp.Body.Close()
	checkFor(t, 5*time.Second, func() error {
		if _, a := streamAs(t, ts, "198.51.100.3"); a.status != http.StatusOK {
			return fmt.Errorf("after a stream's client left: %d %s", a.status, a.body)
		}
		return nil
	})
}

// TestStreamNotReadingHoldsUpNoOther: a client that stops reading its
// stream does not delay another's events.
func TestStreamNotReadingHoldsUpNoOther(t *testing.T) {
	t.Parallel()
	ts := startServerWith(t, rooms.Options{}, lobby.APIOptions{Limits: noQuotas}, func(l net.Listener) net.Listener { return tinyBufListener{l} })
	stalled, err := tinyBufClient().Get(ts.URL + "/api/rooms/events")
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Body.Close()
	reader := openEvents(t, ts, "")
	reader.reset(t)
	label := strings.Repeat("x", 64)
	for i := range 300 {
		createRoom(t, ts, fmt.Sprintf(`{"name":"room %d","labels":{"a":%q,"b":%q,"c":%q}}`, i, label, label, label))
	}
	for i := range 300 {
		if name, _, r := reader.event(t); name != "room.created" || r.Name != fmt.Sprint("room ", i) {
			t.Fatalf("event %d: %s %q", i, name, r.Name)
		}
	}
}

// TestStreamOverHTTP2: a server that cannot hand the connection over
// (HTTP/2) serves the same stream on the handler's goroutine.
func TestStreamOverHTTP2(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	mgr := rooms.NewManager(ctx, rooms.Options{}, []game.Definition{lobbytest.SmallArena()}, nil)
	api := lobby.NewAPI(ctx, mgr, lobby.APIOptions{Heartbeat: 50 * time.Millisecond})
	hs := httptest.NewUnstartedServer(api.Handler())
	hs.EnableHTTP2 = true
	hs.StartTLS()
	t.Cleanup(func() { cancel(); mgr.Wait(); hs.Close() })
	ts := &testServer{URL: hs.URL, mgr: mgr, api: api}

	hc := hs.Client()
	resp, err := hc.Get(hs.URL + "/api/rooms/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%s %s %q, want an HTTP/2 event stream", resp.Proto, resp.Status, resp.Header.Get("Content-Type"))
	}
	s := &sseStream{resp: resp, br: bufio.NewReader(resp.Body)}
	s.reset(t)
	if ev := s.next(t); ev.comment != "heartbeat" {
		t.Fatalf("got %+v, want a heartbeat", ev)
	}
	b := strings.NewReader(`{"name":"h2"}`)
	req, _ := http.NewRequest("POST", ts.URL+"/api/rooms", b)
	req.Header.Set("Content-Type", "application/json")
	cr, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	cr.Body.Close()
	if name, _, r := s.event(t); name != "room.created" || r.Name != "h2" {
		t.Fatalf("%s %+v, want room.created h2", name, r)
	}
	api.EndStreams()
	if _, err := io.Copy(io.Discard, s.br); err != nil {
		t.Fatalf("stream ended with %v, want a clean end", err)
	}
}
