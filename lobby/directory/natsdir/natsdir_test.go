package natsdir

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/natstest"
	"github.com/tickroom/tickroom/netcode/nettest"
)

// The room runtime can take a natsdir.Directory.
var (
	_ directory.Directory = (*Directory)(nil)
	_ directory.Claimer   = (*Directory)(nil)
)

// The tests of timings run one at a time, before the parallel ones
// (go test runs those after every sequential test has ended): a busy test
// next to them would measure its own load.

// TestPutVisibleAcrossNodes: a room put on one of three nodes is listed by
// the other two within 250 ms at the 99th percentile, with the node that
// runs it; the node that put it lists it at once.
func TestPutVisibleAcrossNodes(t *testing.T) {
	ns := natstest.Start(t, -1)
	var nodes [3]*Directory
	for i := range nodes {
		nodes[i], _ = startNode(t, ns.URL(), Options{NodeID: fmt.Sprintf("node-%d", i), PublicURL: fmt.Sprintf("http://10.0.0.%d:8080", i)})
	}
	nettest.CheckFor(t, 5*time.Second, func() error {
		for _, n := range nodes {
			if got := n.Nodes(); len(got) != 3 {
				return fmt.Errorf("node %s sees nodes %v", n.NodeID(), got)
			}
		}
		return nil
	})
	if rec, ok := nodes[0].Node("node-2"); !ok || rec.URL != "http://10.0.0.2:8080" || rec.Incarnation != nodes[2].Incarnation() {
		t.Fatalf("node-0's record of node-2: %+v, %v", rec, ok)
	}

	const trials = 100
	ctx := context.Background()
	want := map[string]int{}
	var lat []time.Duration
	for i := range trials {
		src, r := nodes[i%3], newRoom(i%8)
		want[r.ID] = r.Players
		start := time.Now()
		if err := src.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
		if got, err := src.Get(ctx, r.ID); err != nil || got.Node != src.NodeID() {
			t.Fatalf("the node that put %s: %+v, %v", r.ID, got, err)
		}
		for _, other := range nodes {
			if other == src {
				continue
			}
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			ok := waitFeed(wctx, other, func() bool {
				got, err := other.Get(ctx, r.ID)
				return err == nil && got.Node == src.NodeID() && got.Players == r.Players
			})
			cancel()
			if !ok {
				t.Fatalf("trial %d: node %s never listed %s from %s", i, other.NodeID(), r.ID, src.NodeID())
			}
		}
		lat = append(lat, time.Since(start))
	}
	s := sortedDurations(lat)
	p50, p99 := percentile(s, 0.50), percentile(s, 0.99)
	t.Logf("put on one node to listed on both others, %d trials: p50 %v, p99 %v, max %v", trials, p50, p99, s[len(s)-1])
	if p99 > 250*time.Millisecond {
		t.Errorf("p99 %v, want at most 250ms", p99)
	}
	for _, n := range nodes {
		if err := sameListing(t, n, want); err != nil {
			t.Error(err)
		}
		st := n.Stats()
		if st.WatchLagCount == 0 {
			t.Errorf("node %s measured no watch lag: %+v", n.NodeID(), st)
		} else {
			t.Logf("node %s: watch lag mean %v max %v over %d heartbeats; %d events",
				n.NodeID(), st.WatchLagSum/time.Duration(st.WatchLagCount), st.WatchLagMax, st.WatchLagCount, st.WatchEvents)
		}
	}
}

// TestKilledNodesRoomsVanish: at the real defaults (1 s heartbeat, 3 s
// TTL), 20 nodes killed at 20 phases of their heartbeat (connection
// dropped, nothing deleted) each have their rooms unlisted by both
// observers within 3.5 s, and the observers' feeds report them closed.
func TestKilledNodesRoomsVanish(t *testing.T) {
	ns := natstest.Start(t, -1)
	observers := []*Directory{}
	for _, id := range []string{"observer-a", "observer-b"} {
		d, _ := startNode(t, ns.URL(), Options{NodeID: id})
		observers = append(observers, d)
	}
	mirrors := []*feedMirror{newFeedMirror(observers[0]), newFeedMirror(observers[1])}

	const victims = 20
	type victim struct {
		d      *Directory
		nc     *nats.Conn
		rooms  []string
		killed time.Time
		last   time.Time        // its last heartbeat as observer 0 saw it, stamped by the server
		gone   [2]time.Duration // per observer, from the kill
	}
	vs := make([]*victim, victims)
	want := map[string]int{}
	for i := range vs {
		d, nc := startNode(t, ns.URL(), Options{NodeID: fmt.Sprintf("victim-%02d", i)})
		v := &victim{d: d, nc: nc}
		for range 2 {
			r := newRoom(1)
			d.Put(context.Background(), r)
			v.rooms = append(v.rooms, r.ID)
			want[r.ID] = r.Players
		}
		vs[i] = v
	}
	nettest.CheckFor(t, 5*time.Second, func() error {
		for _, o := range observers {
			if err := sameListing(t, o, want); err != nil {
				return err
			}
		}
		return nil
	})

	// Kill them 50 ms apart: across a second, every phase of a heartbeat.
	var kills sync.WaitGroup
	for i, v := range vs {
		kills.Go(func() {
			time.Sleep(time.Duration(i) * 50 * time.Millisecond)
			v.killed = time.Now()
			kill(v.d, v.nc)
			rec, _ := observers[0].Node(v.d.NodeID())
			v.last = rec.HeartbeatAt
		})
	}
	kills.Wait()

	deadline := time.Now().Add(6 * time.Second)
	for left := victims * 2; left > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		for _, v := range vs {
			for oi, o := range observers {
				if v.gone[oi] != 0 {
					continue
				}
				listed := false
				for _, id := range v.rooms {
					if _, err := o.Get(context.Background(), id); err == nil {
						listed = true
					}
				}
				if !listed {
					v.gone[oi] = time.Since(v.killed)
					left--
				}
			}
		}
	}
	var all []time.Duration
	for i, v := range vs {
		t.Logf("victim %d: last heartbeat %v before the kill, unlisted %v after it", i, v.killed.Sub(v.last), v.gone)
		for oi := range observers {
			if v.gone[oi] == 0 || v.gone[oi] > 3500*time.Millisecond {
				t.Errorf("victim %d: rooms still listed by observer %d %v after the kill (0: never unlisted)", i, oi, v.gone[oi])
			}
			all = append(all, v.gone[oi])
		}
	}
	s := sortedDurations(all)
	t.Logf("kill to unlisted, %d victims x 2 observers: min %v, p50 %v, max %v", victims, s[0], percentile(s, 0.5), s[len(s)-1])
	for _, m := range mirrors {
		if err := m.catchUp(); err != nil {
			t.Fatal(err)
		}
		if len(m.rooms) != 0 {
			t.Errorf("feed of %s still has %d rooms open: %v", m.d.NodeID(), len(m.rooms), m.rooms)
		}
	}
}

// TestHeartbeatStallHidesNothing: a node whose heartbeat stalls for 1.5 s
// (its load report blocks, as in a long GC pause) stays listed: neither
// observer's feed reports one of its rooms closed.
func TestHeartbeatStallHidesNothing(t *testing.T) {
	ns := natstest.Start(t, -1)
	a, _ := startNode(t, ns.URL(), Options{NodeID: "a"})
	c, _ := startNode(t, ns.URL(), Options{NodeID: "c"})
	var stall atomic.Bool
	stalled := make(chan time.Time, 1)
	b, _ := startNode(t, ns.URL(), Options{NodeID: "b", Load: func() Load {
		if stall.CompareAndSwap(true, false) {
			time.Sleep(1500 * time.Millisecond)
			stalled <- time.Now()
		}
		return Load{Rooms: 3}
	}})
	want := map[string]int{}
	for range 3 {
		r := newRoom(2)
		b.Put(context.Background(), r)
		want[r.ID] = r.Players
	}
	nettest.CheckFor(t, 5*time.Second, func() error {
		for _, o := range []*Directory{a, c} {
			if err := sameListing(t, o, want); err != nil {
				return err
			}
		}
		return nil
	})
	mirrors := []*feedMirror{newFeedMirror(a), newFeedMirror(c)}
	for _, m := range mirrors {
		m.version = m.d.Feed().Version()
		m.rooms = listing(t, m.d)
	}
	before, _ := a.Node("b")
	stall.Store(true)
	var end time.Time
	select {
	case end = <-stalled:
	case <-time.After(10 * time.Second):
		t.Fatal("the heartbeat never stalled")
	}
	// Once a has seen the heartbeat after the stall, an expiry would
	// already have happened: the gap between the two heartbeats is over.
	var gap time.Duration
	nettest.CheckFor(t, 5*time.Second, func() error {
		rec, _ := a.Node("b")
		if !rec.HeartbeatAt.After(end.Add(-10 * time.Millisecond)) {
			return fmt.Errorf("a has not seen b's heartbeat after the stall (last %v)", rec.HeartbeatAt)
		}
		return nil
	})
	// The longest silence a saw: from the last heartbeat before the
	// stall to the first after it.
	after, _ := a.Node("b")
	gap = after.HeartbeatAt.Sub(before.HeartbeatAt)
	t.Logf("heartbeat gap seen by a: at least %v (stall 1.5s, TTL %v)", gap, a.opts.NodeTTL)
	if gap < 1500*time.Millisecond {
		t.Errorf("gap %v: the stall did not silence b", gap)
	}
	for _, m := range mirrors {
		changes, _, _, _ := m.d.Feed().Since(m.version)
		for _, ch := range changes {
			if ch.Type == "room.closed" {
				t.Errorf("node %s reported %s closed during b's stall", m.d.NodeID(), ch.Room.ID)
			}
		}
		if err := sameListing(t, m.d, want); err != nil {
			t.Error(err)
		}
	}
}

// TestCreateSameKeyOnce: three nodes creating the same room id at once
// get exactly one room; a Put of an id a live node holds writes nothing
// over it; a record left by a dead node is taken over.
func TestCreateSameKeyOnce(t *testing.T) {
	t.Parallel()
	ns := natstest.Start(t, -1)
	// A short heartbeat and TTL: the takeover waits for a node to expire.
	opts := func(id string) Options {
		return Options{NodeID: id, Heartbeat: 100 * time.Millisecond, NodeTTL: time.Second}
	}
	var nodes [3]*Directory
	for i := range nodes {
		nodes[i], _ = startNode(t, ns.URL(), opts(fmt.Sprintf("n%d", i)))
	}
	ctx := context.Background()
	for k := range 20 {
		id := fmt.Sprintf("named-%d", k)
		errs := make([]error, len(nodes))
		var wg sync.WaitGroup
		for i, n := range nodes {
			wg.Go(func() {
				r := newRoom(0)
				r.ID = id
				errs[i] = n.Create(ctx, r)
			})
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner == -1:
				winner = i
			case err == nil:
				t.Fatalf("%s: created by n%d and n%d", id, winner, i)
			case !errors.Is(err, ErrRoomExists):
				t.Fatalf("%s on n%d: %v, want ErrRoomExists", id, i, err)
			}
		}
		if winner == -1 {
			t.Fatalf("%s: nobody created it: %v", id, errs)
		}
		nettest.CheckFor(t, 2*time.Second, func() error {
			for _, n := range nodes {
				got, err := n.Get(ctx, id)
				if err != nil || got.Node != nodes[winner].NodeID() {
					return fmt.Errorf("%s on %s: %+v, %v; want node n%d", id, n.NodeID(), got, err, winner)
				}
			}
			return nil
		})
	}

	// n1 puts an id n0 holds: its write finds a live owner and gives up.
	held, _ := nodes[0].Get(ctx, "named-0")
	if held.Node != "n0" {
		// Create it where this part needs it.
		held = newRoom(0)
		if err := nodes[0].Create(ctx, held); err != nil {
			t.Fatal(err)
		}
	}
	nettest.CheckFor(t, 2*time.Second, func() error {
		if _, err := nodes[2].Get(ctx, held.ID); err != nil {
			return err
		}
		return nil
	})
	intruder := with(held, 7)
	nodes[1].Put(ctx, intruder)
	nettest.CheckFor(t, 2*time.Second, func() error {
		if st := nodes[1].Stats(); st.Conflicts == 0 {
			return fmt.Errorf("n1 has had no conflict yet: %+v", st)
		}
		return nil
	})
	if got, _ := nodes[2].Get(ctx, held.ID); got == nil || got.Node != "n0" || got.Players != held.Players {
		t.Errorf("after n1's put, n2 lists %+v; want n0's record", got)
	}

	// A dead node's record is taken over once the node has expired.
	dead, deadConn := startNode(t, ns.URL(), opts("dead"))
	r := newRoom(0)
	r.ID = "named-orphan"
	if err := dead.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := nodes[0].Create(ctx, with(r, 1)); !errors.Is(err, ErrRoomExists) {
		t.Fatalf("create over a live node's room: %v, want ErrRoomExists", err)
	}
	kill(dead, deadConn)
	nettest.CheckFor(t, 3*time.Second, func() error {
		if _, ok := nodes[0].Node("dead"); ok {
			return errors.New("the dead node has not expired yet")
		}
		return nil
	})
	if err := nodes[0].Create(ctx, with(r, 1)); err != nil {
		t.Fatalf("create over a dead node's room: %v", err)
	}
	nettest.CheckFor(t, 2*time.Second, func() error {
		got, err := nodes[2].Get(ctx, r.ID)
		if err != nil || got.Node != "n0" {
			return fmt.Errorf("n2 lists %+v, %v; want it on n0", got, err)
		}
		return nil
	})
}

// TestCoalescedWrites: 100 rooms, each put 30 times a second for 3 s,
// are written at most once a second each (the server's own timestamps of
// the writes are a second apart), and the latest put of each is what the
// other node lists.
func TestCoalescedWrites(t *testing.T) {
	ns := natstest.Start(t, -1)
	w, _ := startNode(t, ns.URL(), Options{NodeID: "writer"})
	o, _ := startNode(t, ns.URL(), Options{NodeID: "observer"})
	ctx := context.Background()

	// Record every write the server stores, per room, with a watcher of
	// the test's own.
	kv, err := w.js.KeyValue(ctx, w.opts.RoomsBucket)
	if err != nil {
		t.Fatal(err)
	}
	counter, err := kv.WatchAll(ctx, jetstream.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	writes := map[string][]time.Time{}
	var counted sync.WaitGroup
	counted.Go(func() {
		for e := range counter.Updates() {
			if e != nil {
				mu.Lock()
				writes[e.Key()] = append(writes[e.Key()], e.Created())
				mu.Unlock()
			}
		}
	})

	const (
		rooms = 100
		rate  = 30 // puts per room per second
		busy  = 3 * time.Second
	)
	rs := make([]*directory.Room, rooms)
	want := map[string]int{}
	created := time.Now()
	for i := range rs {
		rs[i] = newRoom(0)
		w.Put(ctx, rs[i])
		want[rs[i].ID] = 0
	}
	nettest.CheckFor(t, 5*time.Second, func() error { return sameListing(t, o, want) })
	before := w.Stats()
	start := time.Now()
	// A round of puts every 1/rate s; a slow machine takes longer over
	// them, but every room still gets all of its puts.
	tick := time.NewTicker(time.Second / rate)
	for n := range rate * int(busy/time.Second) {
		<-tick.C
		for i, r := range rs {
			w.Put(ctx, with(r, n+i+1))
			want[r.ID] = n + i + 1
		}
	}
	tick.Stop()
	nettest.CheckFor(t, 5*time.Second, func() error { return sameListing(t, o, want) })
	// The rate limit counts from each room's creation: so does the rate.
	elapsed := time.Since(created)
	// Every room is listed as last put, so nothing more is written; but
	// the writer counts a write when the server's answer reaches it, which
	// can be after the watchers saw the write. Each count is final once
	// they agree. A write whose answer timed out may still have been
	// stored: those are the write errors.
	var after Stats
	nettest.CheckFor(t, 5*time.Second, func() error {
		after = w.Stats()
		mu.Lock()
		total := 0
		for _, ts := range writes {
			total += len(ts)
		}
		mu.Unlock()
		if counted := after.Creates + after.Updates; uint64(total) < counted || uint64(total) > counted+after.WriteErrors {
			return fmt.Errorf("the server stored %d writes; the writer counted %+v", total, after)
		}
		return nil
	})
	counter.Stop()
	counted.Wait()

	puts, updates := after.Puts-before.Puts, after.Updates-before.Updates
	total, most, closest := 0, 0, time.Hour
	for _, ts := range writes {
		total += len(ts)
		most = max(most, len(ts))
		for i := 1; i < len(ts); i++ {
			closest = min(closest, ts[i].Sub(ts[i-1]))
		}
	}
	t.Logf("%d puts in %v coalesced into %d updates (%.2f per room per second since creation); the server stored %d writes "+
		"(creations included), at most %d for one room, the closest two %v apart",
		puts, time.Since(start).Round(time.Millisecond), updates, float64(updates)/rooms/elapsed.Seconds(), total, most, closest)
	if want := uint64(rooms * rate * int(busy/time.Second)); puts != want {
		t.Fatalf("%d puts, want %d", puts, want)
	}
	// The next write of a room goes a second after the server answered
	// the last one, so the server's own stamps are a second apart.
	if closest < time.Second {
		t.Errorf("a room was written twice %v apart, want a second at least", closest)
	}
	if perSec := float64(updates) / rooms / elapsed.Seconds(); perSec > 1 {
		t.Errorf("%.2f updates per room per second, want at most 1", perSec)
	}
}

// TestGracefulClose: a node that closes is unlisted by the others at once
// (not a TTL later) and leaves no room records behind.
func TestGracefulClose(t *testing.T) {
	t.Parallel()
	ns := natstest.Start(t, -1)
	a, _ := startNode(t, ns.URL(), Options{NodeID: "a"})
	b, _ := startNode(t, ns.URL(), Options{NodeID: "b"})
	ctx := context.Background()
	want := map[string]int{}
	for range 3 {
		r := newRoom(1)
		b.Put(ctx, r)
		want[r.ID] = 1
	}
	gone := newRoom(0)
	b.Put(ctx, gone)
	nettest.CheckFor(t, 5*time.Second, func() error {
		want[gone.ID] = 0
		return sameListing(t, a, want)
	})
	if err := b.Delete(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	delete(want, gone.ID)
	if err := a.Delete(ctx, gone.ID); !errors.Is(err, ErrNotOwner) && !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("a deleting b's room: %v", err)
	}
	nettest.CheckFor(t, time.Second, func() error { return sameListing(t, a, want) })
	if err := a.Delete(ctx, "no-such-room"); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("deleting an unknown room: %v, want ErrNotFound", err)
	}

	start := time.Now()
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if !waitFeed(wctx, a, func() bool { return len(listing(t, a)) == 0 }) {
		t.Fatal("a still lists b's rooms")
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("b's rooms unlisted %v after its Close, want well under the TTL", took)
	}
	// b deleted its own record, so it is gone at once (not a TTL later).
	nettest.CheckFor(t, 500*time.Millisecond, func() error {
		if _, ok := a.Node("b"); ok {
			return errors.New("a still sees node b")
		}
		return nil
	})
	kv, err := a.js.KeyValue(ctx, a.opts.RoomsBucket)
	if err != nil {
		t.Fatal(err)
	}
	if keys, err := kv.Keys(ctx); err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		t.Fatal(err)
	} else if len(keys) != 0 {
		t.Errorf("room records left after b's Close: %v", keys)
	}
	if err := b.Put(ctx, newRoom(0)); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close: %v, want ErrClosed", err)
	}
}

// TestCloseOverSlowLink: over a link with latency, a node that leaves
// deletes the records of all its rooms, each delete with its own request
// timeout (one timeout for all ran out after the first few).
func TestCloseOverSlowLink(t *testing.T) {
	t.Parallel()
	ns := natstest.Start(t, -1)
	link := newSlowLink(t, ns.URL(), 10*time.Millisecond)
	a, _ := startNode(t, ns.URL(), Options{NodeID: "a"})
	b, _ := startNode(t, link.url(), Options{NodeID: "b", RequestTimeout: 500 * time.Millisecond})
	ctx := context.Background()
	want := map[string]int{}
	for range 60 {
		r := newRoom(1)
		b.Put(ctx, r)
		want[r.ID] = 1
	}
	nettest.CheckFor(t, 10*time.Second, func() error { return sameListing(t, a, want) })
	start := time.Now()
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("b deleted its record and %d rooms' in %v", len(want), time.Since(start))
	kv, err := a.js.KeyValue(ctx, a.opts.RoomsBucket)
	if err != nil {
		t.Fatal(err)
	}
	if keys, err := kv.Keys(ctx); err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		t.Fatal(err)
	} else if len(keys) != 0 {
		t.Errorf("%d room records left after b's Close", len(keys))
	}
}

// TestRestartedNodeHidesOldRooms: a node that restarts under the same id
// (a new incarnation) hides its previous life's rooms at once, long
// before they would expire, and the orphaned records are swept.
func TestRestartedNodeHidesOldRooms(t *testing.T) {
	t.Parallel()
	ns := natstest.Start(t, -1)
	a, _ := startNode(t, ns.URL(), Options{NodeID: "a", OrphanGrace: 200 * time.Millisecond})
	b1, nc1 := startNode(t, ns.URL(), Options{NodeID: "b"})
	ctx := context.Background()
	old := newRoom(1)
	b1.Put(ctx, old)
	nettest.CheckFor(t, 5*time.Second, func() error { return sameListing(t, a, map[string]int{old.ID: 1}) })

	kill(b1, nc1)
	start := time.Now()
	b2, _ := startNode(t, ns.URL(), Options{NodeID: "b"})
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if !waitFeed(wctx, a, func() bool { return len(listing(t, a)) == 0 }) {
		t.Fatal("a still lists b's old room")
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("old room unlisted %v after the restart, want sooner than the TTL", took)
	}
	fresh := newRoom(2)
	b2.Put(ctx, fresh)
	nettest.CheckFor(t, 2*time.Second, func() error { return sameListing(t, a, map[string]int{fresh.ID: 2}) })

	kv, err := a.js.KeyValue(ctx, a.opts.RoomsBucket)
	if err != nil {
		t.Fatal(err)
	}
	nettest.CheckFor(t, 5*time.Second, func() error {
		if _, err := kv.Get(ctx, old.ID); !errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("the old room's record is still there: %v", err)
		}
		if st := a.Stats(); st.OrphansDeleted != 1 {
			return fmt.Errorf("a swept %d orphans, want 1", st.OrphansDeleted)
		}
		return nil
	})
}

// TestWatcherSilentlyStopped: when the server drops a watcher's consumer
// without the connection noticing (nats.go#1777), the nodes notice by
// themselves and watch again: the nodes watcher because the node's own
// heartbeat does not come back, the rooms watcher because the rooms
// stream runs ahead of it.
func TestWatcherSilentlyStopped(t *testing.T) {
	t.Parallel()
	for _, bucket := range []string{"nodes", "rooms"} {
		t.Run(bucket, func(t *testing.T) {
			t.Parallel()
			ns := natstest.Start(t, -1)
			a, _ := startNode(t, ns.URL(), Options{NodeID: "a"})
			b, _ := startNode(t, ns.URL(), Options{NodeID: "b"})
			ctx := context.Background()
			s, err := a.js.Stream(ctx, "KV_tickroom_"+bucket)
			if err != nil {
				t.Fatal(err)
			}
			names := s.ConsumerNames(ctx)
			for name := range names.Name() {
				if err := s.DeleteConsumer(ctx, name); err != nil {
					t.Fatal(err)
				}
			}
			if names.Err() != nil {
				t.Fatal(names.Err())
			}
			// A change only the dropped watcher can show a.
			check := func() error {
				if rec, _ := a.Node("b"); !rec.Draining {
					return errors.New("a has not seen b draining")
				}
				return nil
			}
			if bucket == "nodes" {
				b.SetDraining(true)
			} else {
				r := newRoom(3)
				b.Put(ctx, r)
				check = func() error { return sameListing(t, a, map[string]int{r.ID: 3}) }
			}
			start := time.Now()
			// The client notices a consumer without heartbeats after 10 s
			// (twice its 5 s idle heartbeat), if ever; the directory
			// notices within two or three of its own heartbeats.
			nettest.CheckFor(t, 8*time.Second, check)
			t.Logf("a saw b's change %v after its %s watchers' consumers were deleted; restarts: a %d, b %d",
				time.Since(start), bucket, a.Stats().WatchRestarts, b.Stats().WatchRestarts)
			if a.Stats().WatchRestarts == 0 {
				t.Error("a never restarted its watchers")
			}
		})
	}
}

// TestDuplicateNodeID: two processes started with one node id fight over
// its record; each says so in its log.
func TestDuplicateNodeID(t *testing.T) {
	t.Parallel()
	ns := natstest.Start(t, -1)
	var logged atomic.Int32
	log := slog.New(countHandler{&logged})
	startNode(t, ns.URL(), Options{NodeID: "twin", Log: log})
	startNode(t, ns.URL(), Options{NodeID: "twin", Log: log})
	nettest.CheckFor(t, 5*time.Second, func() error {
		if logged.Load() == 0 {
			return errors.New("no error logged about the shared node id")
		}
		return nil
	})
}

// countHandler counts the records logged at error level.
type countHandler struct{ n *atomic.Int32 }

func (h countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.n.Add(1)
	}
	return nil
}
func (h countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countHandler) WithGroup(string) slog.Handler      { return h }
