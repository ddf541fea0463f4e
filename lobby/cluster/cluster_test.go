package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/natstest"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/netcode/nettest"
)

func TestMain(m *testing.M) { nettest.Main(m) }

// backend answers calls the way a test wants.
type backend struct {
	create  func(ctx context.Context, id string, req rest.CreateRoom) (*directory.Room, error)
	reserve func(ctx context.Context, roomID string, join rest.Join) (rest.Seat, error)
}

func (b backend) PeerCreate(ctx context.Context, id string, req rest.CreateRoom) (*directory.Room, error) {
	return b.create(ctx, id, req)
}

func (b backend) PeerReserve(ctx context.Context, roomID string, join rest.Join) (rest.Seat, error) {
	return b.reserve(ctx, roomID, join)
}

func startNode(t *testing.T, opts Options) *Node {
	t.Helper()
	if opts.PublicURL == "" {
		opts.PublicURL = "http://" + opts.NodeID + ".example:8080"
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	n, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	return n
}

// TestCalls: a call reaches the node it names and comes back with its
// answer, or its refusal as the problem it would have answered (with its
// Retry-After); a node nobody runs fails at once as gone, a node too slow
// to answer as a timeout, and the node's handler gives up when the caller
// does. The calls are counted by result.
func TestCalls(t *testing.T) {
	ns := natstest.Start(t, -1)
	reg := prometheus.NewRegistry()
	const timeout = 300 * time.Millisecond
	a := startNode(t, Options{URL: ns.URL(), NodeID: "a", Timeout: timeout, Registerer: reg})
	b := startNode(t, Options{URL: ns.URL(), NodeID: "b", Timeout: timeout})
	var handlerDeadline atomic.Int64 // how long the slow handler was given, ns
	if err := b.Serve(backend{
		create: func(ctx context.Context, id string, req rest.CreateRoom) (*directory.Room, error) {
			if req.Name == "slow" {
				dl, _ := ctx.Deadline()
				handlerDeadline.Store(int64(time.Until(dl)))
				<-ctx.Done()
				return nil, ctx.Err()
			}
			return &directory.Room{ID: id, Name: req.Name, Node: "b"}, nil
		},
		reserve: func(ctx context.Context, roomID string, join rest.Join) (rest.Seat, error) {
			if join.Name == "late" {
				return rest.Seat{}, &lobby.PeerError{Problem: rest.Problem{Type: "/problems/quota-exceeded", Status: 429, Quota: "room-pending-share", Detail: "wait"}, RetryAfter: 3 * time.Second}
			}
			return rest.Seat{RoomID: roomID, PlayerID: 7, Token: "tok", WSURL: "ws://b.example:8080/ws?token=tok"}, nil
		},
	}); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	c := a.Client()

	room, err := c.CreateRoom(ctx, "b", "room-1", rest.CreateRoom{Name: "lounge"})
	if err != nil || room.ID != "room-1" || room.Name != "lounge" || room.Node != "b" {
		t.Fatalf("create: %+v, %v", room, err)
	}
	seat, err := c.Reserve(ctx, "b", "room-1", rest.Join{Name: "ann"})
	if err != nil || seat.PlayerID != 7 || seat.WSURL != "ws://b.example:8080/ws?token=tok" {
		t.Fatalf("reserve: %+v, %v", seat, err)
	}
	var pe *lobby.PeerError
	if _, err := c.Reserve(ctx, "b", "room-1", rest.Join{Name: "late"}); !errors.As(err, &pe) ||
		pe.Node != "b" || pe.Problem.Status != 429 || pe.Problem.Quota != "room-pending-share" || pe.RetryAfter != 3*time.Second {
		t.Fatalf("refusal: %v (%+v), want b's problem with its Retry-After", err, pe)
	}

	start := time.Now()
	if _, err := c.Reserve(ctx, "nobody", "room-1", rest.Join{Name: "ann"}); !errors.Is(err, lobby.ErrPeerGone) {
		t.Fatalf("a node nobody runs: %v, want ErrPeerGone", err)
	}
	if d := time.Since(start); d > timeout/2 {
		t.Errorf("a node nobody runs failed after %v: not at once", d)
	}

	start = time.Now()
	if _, err := c.CreateRoom(ctx, "b", "room-2", rest.CreateRoom{Name: "slow"}); !errors.Is(err, lobby.ErrPeerTimeout) {
		t.Fatalf("slow node: %v, want ErrPeerTimeout", err)
	}
	if d := time.Since(start); d < timeout || d > timeout+200*time.Millisecond {
		t.Errorf("slow node: failed after %v, want the timeout %v", d, timeout)
	}
	if d := time.Duration(handlerDeadline.Load()); d <= 0 || d > timeout {
		t.Errorf("the slow node's handler was given %v: want no more than the caller waits (%v)", d, timeout)
	}

	// Once b has left, its subjects have no responder: gone at once.
	b.Close(ctx)
	start = time.Now()
	if _, err := c.Reserve(ctx, "b", "room-1", rest.Join{Name: "ann"}); !errors.Is(err, lobby.ErrPeerGone) || time.Since(start) > timeout/2 {
		t.Fatalf("after b closed: %v after %v, want ErrPeerGone at once", err, time.Since(start))
	}

	for _, want := range []struct {
		op, result string
		n          float64
	}{{"create", "ok", 1}, {"create", "timeout", 1}, {"reserve", "ok", 1}, {"reserve", "refused", 1}, {"reserve", "gone", 2}} {
		var m dto.Metric
		a.metrics.calls.WithLabelValues(want.op, want.result).Write(&m)
		if got := m.GetCounter().GetValue(); got != want.n {
			t.Errorf("tickroom_cluster_calls_total{op=%q,result=%q} = %v, want %v", want.op, want.result, got, want.n)
		}
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() != "op" && l.GetName() != "result" {
					t.Errorf("%s has a label %s: only op and result", f.GetName(), l.GetName())
				}
			}
		}
	}
	for _, want := range []string{"tickroom_directory_heartbeats_total", "tickroom_directory_updates_total", "tickroom_directory_watch_lag_seconds_sum", "tickroom_cluster_nodes", "tickroom_cluster_call_seconds", "tickroom_cluster_served_total"} {
		if !names[want] {
			t.Errorf("no metric %s", want)
		}
	}
}

// TestEmbedded: a node runs an embedded NATS server with JetStream on a
// port of its own choosing; another node joins the cluster on it, and each
// lists the other. Close stops the server and, when asked, removes its
// store.
func TestEmbedded(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store")
	a := startNode(t, Options{Embed: "127.0.0.1:0", StoreDir: store, RemoveStore: true, NodeID: "a"})
	url := a.EmbeddedURL()
	if !strings.HasPrefix(url, "nats://127.0.0.1:") {
		t.Fatalf("embedded URL %q", url)
	}
	b := startNode(t, Options{URL: url, NodeID: "b"})
	nettest.CheckFor(t, 5*time.Second, func() error {
		for _, n := range []*Node{a, b} {
			if got := n.Client().Nodes(); len(got) != 2 || got[0].ID != "a" || got[1].ID != "b" || got[1].URL != "http://b.example:8080" {
				return errors.New("the nodes do not list each other")
			}
		}
		return nil
	})
	if _, err := os.Stat(filepath.Join(store, "jetstream")); err != nil {
		t.Fatalf("store: %v", err)
	}
	b.Close(t.Context())
	a.Close(t.Context())
	if _, err := os.Stat(store); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("store left behind: %v", err)
	}
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "nats://"), time.Second); err == nil {
		c.Close()
		t.Error("the embedded server still listens after Close")
	}
}

// TestStartRefuses: a node without what it needs does not start.
func TestStartRefuses(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{URL: "nats://127.0.0.1:1", NodeID: "a.b", PublicURL: "http://x"}, "node id"},
		{Options{URL: "nats://127.0.0.1:1", NodeID: "a"}, "public URL"},
		{Options{NodeID: "a", PublicURL: "http://x"}, "no NATS"},
		{Options{URL: "nats://127.0.0.1:1", NodeID: "a", PublicURL: "http://x"}, "connecting to NATS"},
		{Options{Embed: "127.0.0.1:http", NodeID: "a", PublicURL: "http://x"}, "bad port"},
	} {
		if _, err := Start(t.Context(), tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error saying %q", tc.opts, err, tc.want)
		}
	}
}

// TestCallSentAgain: a call unanswered after a quarter of the timeout is
// sent again, once. A node that took the first request and died (NATS
// routed it to a connection that was closing) has no responder for the
// second: the call fails as gone well within the timeout. A node that is
// only slow answers the second with the first's answer: one seat.
func TestCallSentAgain(t *testing.T) {
	ns := natstest.Start(t, -1)
	const timeout = 400 * time.Millisecond
	a := startNode(t, Options{URL: ns.URL(), NodeID: "a", Timeout: timeout})

	// "dying" takes the first request and goes before answering it.
	nc := connectRaw(t, ns.URL())
	var sub *nats.Subscription
	sub, err := nc.Subscribe(subject("dying", opReserve), func(*nats.Msg) { sub.Unsubscribe() })
	if err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	start := time.Now()
	if _, err := a.Client().Reserve(t.Context(), "dying", "r", rest.Join{Name: "x"}); !errors.Is(err, lobby.ErrPeerGone) {
		t.Fatalf("a node that died with the request: %v, want ErrPeerGone", err)
	}
	if d := time.Since(start); d < timeout/4 || d > timeout/2 {
		t.Errorf("failed after %v: want about a quarter of the %v timeout", d, timeout)
	}

	// "slow" answers after 150 ms: the request sent again at 100 ms gets
	// the same seat, and the room is asked once.
	reg := prometheus.NewRegistry()
	slow := startNode(t, Options{URL: ns.URL(), NodeID: "slow", Timeout: timeout, Registerer: reg})
	var seats atomic.Int32
	if err := slow.Serve(backend{reserve: func(ctx context.Context, roomID string, join rest.Join) (rest.Seat, error) {
		time.Sleep(150 * time.Millisecond)
		n := seats.Add(1)
		return rest.Seat{RoomID: roomID, PlayerID: uint32(n), Token: fmt.Sprint("tok", n)}, nil
	}}); err != nil {
		t.Fatal(err)
	}
	seat, err := a.Client().Reserve(t.Context(), "slow", "r", rest.Join{Name: "x"})
	if err != nil || seat.PlayerID != 1 || seats.Load() != 1 {
		t.Fatalf("slow node: %+v, %v; %d seats taken, want 1", seat, err, seats.Load())
	}
	var m dto.Metric
	slow.metrics.serves.WithLabelValues(opReserve, "again").Write(&m)
	if m.GetCounter().GetValue() != 1 {
		t.Errorf("the request sent again was answered %v times from the first's answer, want 1", m.GetCounter().GetValue())
	}
}

func connectRaw(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}
