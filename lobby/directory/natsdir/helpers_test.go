package natsdir

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/netcode/nettest"
)

func TestMain(m *testing.M) { nettest.Main(m) }

// connect opens a connection that reconnects forever and quickly, as a
// node's should.
func connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
		nats.ReconnectJitter(0, 0),
		// The client's default prints every lost connection to stderr;
		// the tests lose connections on purpose.
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// startNode starts a directory on a connection of its own; the test's
// cleanup closes both.
func startNode(t testing.TB, url string, opts Options) (*Directory, *nats.Conn) {
	t.Helper()
	nc := connect(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// NATSDIR_LOG=1 shows what the nodes log (watcher restarts, failed
	// writes) when a test needs explaining.
	if os.Getenv("NATSDIR_LOG") != "" && opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(os.Stderr, nil)).With("test", t.Name(), "node", opts.NodeID)
	}
	d, err := New(ctx, nc, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close(context.Background()) })
	return d, nc
}

// kill ends a node the way a crash does: its connection drops and it
// deletes nothing; its heartbeat and watchers stop.
func kill(d *Directory, nc *nats.Conn) {
	nc.Close()
	d.Close(context.Background())
}

func newRoom(players int) *directory.Room {
	return &directory.Room{
		ID: uuid.NewString(), Name: "room", Mode: "ffa", MaxPlayers: 8, TickRate: 30, SendRate: 30,
		Players: players, State: directory.StateOpen, CreatedAt: time.Now().UTC(),
	}
}

// with returns a copy of r with players seated: an update.
func with(r *directory.Room, players int) *directory.Room {
	c := *r
	c.Players = players
	return &c
}

// listing is what a node lists: players by room id.
func listing(t testing.TB, d *Directory) map[string]int {
	t.Helper()
	rooms, err := d.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]int, len(rooms))
	for _, r := range rooms {
		out[r.ID] = r.Players
	}
	return out
}

// sameListing is nil when d lists exactly want.
func sameListing(t testing.TB, d *Directory, want map[string]int) error {
	if got := listing(t, d); !maps.Equal(got, want) {
		return fmt.Errorf("node %s lists %d rooms %v, want %d %v", d.NodeID(), len(got), got, len(want), want)
	}
	return nil
}

// waitFeed blocks until cond holds, checking it after every change to d's
// feed (so the time it returns at is when the change arrived), or until
// ctx ends.
func waitFeed(ctx context.Context, d *Directory, cond func() bool) bool {
	for {
		_, _, wake, _ := d.Feed().Since(d.Feed().Version())
		if cond() {
			return true
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return false
		}
	}
}

// feedMirror replays a node's feed into the room list it describes.
type feedMirror struct {
	d       *Directory
	version directory.Version
	rooms   map[string]int
}

// newFeedMirror replays d's feed from its first change.
func newFeedMirror(d *Directory) *feedMirror {
	return &feedMirror{d: d, rooms: map[string]int{}, version: directory.Version{Epoch: d.Feed().Version().Epoch}}
}

// catchUp applies the changes since the last call; it fails if the feed
// dropped some (the mirror would be wrong).
func (m *feedMirror) catchUp() error {
	changes, current, _, complete := m.d.Feed().Since(m.version)
	if !complete {
		return fmt.Errorf("feed of %s lost changes", m.d.NodeID())
	}
	for _, c := range changes {
		switch c.Type {
		case "room.created", "room.updated":
			m.rooms[c.Room.ID] = c.Room.Players
		case "room.closed":
			delete(m.rooms, c.Room.ID)
		}
	}
	m.version = current
	return nil
}

// percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func sortedDurations(d []time.Duration) []time.Duration {
	out := slices.Clone(d)
	slices.Sort(out)
	return out
}

// slowLink is a TCP proxy in front of a NATS server that delays every
// chunk it forwards, each way: a network with latency.
type slowLink struct {
	ln    net.Listener
	delay time.Duration
	to    string
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

// newSlowLink starts a proxy to url; the test's cleanup stops it.
func newSlowLink(t testing.TB, url string, delay time.Duration) *slowLink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &slowLink{ln: ln, delay: delay, to: strings.TrimPrefix(url, "nats://")}
	l.wg.Go(l.accept)
	t.Cleanup(l.close)
	return l
}

func (l *slowLink) url() string { return "nats://" + l.ln.Addr().String() }

func (l *slowLink) accept() {
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

func (l *slowLink) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		time.Sleep(l.delay)
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

func (l *slowLink) close() {
	l.ln.Close()
	l.mu.Lock()
	for _, c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}
