package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
)

// testNode is a real node in this process: the server newServer wires, on
// a loopback listener of its own, with its own NATS connection.
type testNode struct {
	t      *testing.T
	id     string
	srv    *server
	hs     *http.Server
	base   string // http://127.0.0.1:port
	served chan error
	once   sync.Once
}

// startTestNode starts node id of the cluster on natsURL, with the shared
// token key, no default room and args after those; adjust, when set,
// changes the parsed config.
func startTestNode(t *testing.T, natsURL, id string, adjust func(*config), args ...string) *testNode {
	t.Helper()
	all := append([]string{"-addr", "127.0.0.1:0", "-nats", natsURL, "-node-id", id, "-token-key", "cluster test key",
		"-default-room", "", "-log-level", "warn"}, args...)
	cfg, err := parseConfig("tickroom", all, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if adjust != nil {
		adjust(&cfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.listen = ln.Addr()
	srv, err := newServer(context.Background(), cfg, testLog(t, id, cfg), builtin)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	n := &testNode{t: t, id: id, srv: srv, base: "http://" + ln.Addr().String(), served: make(chan error, 1),
		hs: &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	go func() { n.served <- n.hs.Serve(ln) }()
	t.Cleanup(n.stop)
	return n
}

// testLog is a node's log: warnings and errors to stderr with
// TICKROOM_TEST_LOG=1 (and everything at -log-level debug), else nothing.
func testLog(t *testing.T, id string, cfg config) *slog.Logger {
	if os.Getenv("TICKROOM_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return newLogger(cfg, os.Stderr).With("test", t.Name(), "node", id)
}

// stop shuts the node down as SIGTERM does: it drains (telling the
// cluster at once), ends its rooms, leaves the cluster.
func (n *testNode) stop() {
	n.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.srv.drain()
		// Connections the client dialed and never used (it had another
		// free by then) would hold Shutdown for 5 s, as new ones.
		http.DefaultClient.CloseIdleConnections()
		n.hs.Shutdown(ctx)
		<-n.served
		if err := n.srv.Close(ctx); err != nil {
			n.t.Errorf("node %s: shutdown: %v", n.id, err)
		}
	})
}

// kill ends the node as a crash does: its NATS connection and its
// sockets close at once, and it tells the cluster nothing (its record
// expires). Its goroutines are then stopped.
func (n *testNode) kill() {
	n.once.Do(func() {
		n.srv.cluster.Conn().Close()
		n.hs.Close()
		<-n.served
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.srv.Close(ctx)
	})
}

// call makes an API request and decodes a 2xx answer into out; anything
// else comes back as the problem it was, checked to be problem+json.
func call(ctx context.Context, method, url string, in, out any) (int, *rest.Problem, error) {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			return resp.StatusCode, nil, fmt.Errorf("%s %s: %d with Content-Type %q, not a problem", method, url, resp.StatusCode, ct)
		}
		var p rest.Problem
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			return resp.StatusCode, nil, err
		}
		return resp.StatusCode, &p, nil
	}
	if out != nil {
		return resp.StatusCode, nil, json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode, nil, nil
}

// listIDs is what a node's GET /api/rooms lists: its room ids, by node.
func listIDs(ctx context.Context, base string) (map[string]string, error) {
	var list rest.RoomList
	if _, p, err := call(ctx, http.MethodGet, base+"/api/rooms?limit=100", nil, &list); err != nil || p != nil {
		return nil, fmt.Errorf("list: %v %v", p, err)
	}
	out := map[string]string{}
	for _, r := range list.Rooms {
		out[r.ID] = r.Node
	}
	return out, nil
}

// follower follows a node's room event stream (GET /api/rooms/events) and
// notes when each room was first listed and when it was closed.
type follower struct {
	base string

	mu      sync.Mutex
	created map[string]time.Time // guarded by mu
	closed  map[string]time.Time // guarded by mu
	wake    chan struct{}        // closed at every event; guarded by mu
	err     error                // why the stream ended; guarded by mu
}

// follow opens node's event stream; it is read until the test ends.
func follow(t *testing.T, base string) *follower {
	t.Helper()
	f := &follower{base: base, created: map[string]time.Time{}, closed: map[string]time.Time{}, wake: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/rooms/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		resp.Body.Close()
		t.Fatalf("event stream of %s: %s", base, resp.Status)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer resp.Body.Close()
		f.read(resp.Body)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return f
}

func (f *follower) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var event string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			f.note(event, []byte(strings.TrimPrefix(line, "data: ")), time.Now())
		}
	}
	f.mu.Lock()
	f.err = fmt.Errorf("event stream of %s ended: %v", f.base, sc.Err())
	close(f.wake)
	f.wake = make(chan struct{})
	f.mu.Unlock()
}

func (f *follower) note(event string, data []byte, at time.Time) {
	var rooms []*directory.Room
	switch event {
	case "rooms.reset":
		var list rest.RoomList
		json.Unmarshal(data, &list)
		rooms = list.Rooms
		event = "room.created"
	case "room.created", "room.updated", "room.closed":
		var r directory.Room
		json.Unmarshal(data, &r)
		rooms = []*directory.Room{&r}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rooms {
		switch event {
		case "room.created", "room.updated":
			if _, ok := f.created[r.ID]; !ok {
				f.created[r.ID] = at
			}
		case "room.closed":
			if _, ok := f.closed[r.ID]; !ok {
				f.closed[r.ID] = at
			}
		}
	}
	close(f.wake)
	f.wake = make(chan struct{})
}

// wait returns when the stream first showed room id listed (closed false)
// or closed, or an error at ctx's end.
func (f *follower) wait(ctx context.Context, id string, closed bool) (time.Time, error) {
	for {
		f.mu.Lock()
		at, ok := f.created[id]
		if closed {
			at, ok = f.closed[id]
		}
		wake, err := f.wake, f.err
		f.mu.Unlock()
		switch {
		case ok:
			return at, nil
		case err != nil:
			return time.Time{}, err
		}
		select {
		case <-wake:
		case <-ctx.Done():
			what := "listed"
			if closed {
				what = "closed"
			}
			return time.Time{}, fmt.Errorf("%s never showed room %s %s", f.base, id, what)
		}
	}
}

// closedAny is the rooms of ids the stream has shown closed.
func (f *follower) closedAny(ids []string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, id := range ids {
		if _, ok := f.closed[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

// percentile of durations (sorted here).
func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// pausableLink is a TCP proxy to a NATS server that can hold everything
// it forwards, both ways, for a while: a node that stalls on the network.
type pausableLink struct {
	ln    net.Listener
	to    string
	wg    sync.WaitGroup
	mu    sync.Mutex
	gate  chan struct{} // closed while open; guarded by mu
	conns []net.Conn    // guarded by mu
}

func newPausableLink(t *testing.T, natsURL string) *pausableLink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &pausableLink{ln: ln, to: strings.TrimPrefix(natsURL, "nats://"), gate: make(chan struct{})}
	close(l.gate)
	l.wg.Go(l.accept)
	t.Cleanup(l.close)
	return l
}

func (l *pausableLink) url() string { return "nats://" + l.ln.Addr().String() }

// pause holds all traffic for d, then lets it through.
func (l *pausableLink) pause(d time.Duration) {
	l.mu.Lock()
	l.gate = make(chan struct{})
	gate := l.gate
	l.mu.Unlock()
	time.AfterFunc(d, func() { close(gate) })
}

func (l *pausableLink) accept() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", l.to)
		if err != nil {
			c.Close()
			continue
		}
		l.mu.Lock()
		l.conns = append(l.conns, c, s)
		l.mu.Unlock()
		l.wg.Go(func() { l.pipe(s, c) })
		l.wg.Go(func() { l.pipe(c, s) })
	}
}

func (l *pausableLink) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		l.mu.Lock()
		gate := l.gate
		l.mu.Unlock()
		<-gate
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

func (l *pausableLink) close() {
	l.ln.Close()
	l.mu.Lock()
	for _, c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}
