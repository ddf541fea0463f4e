package natsdir

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/natstest"
	"github.com/tickroom/tickroom/netcode/nettest"
)

// TestNATSRestart restarts the NATS server under three nodes again and
// again, on the same address. While it is down every node opens a room,
// closes one and updates one; each time, within 5 s of the restart, every
// node lists exactly the rooms of all three, its feed tells the same
// story, and the server holds no more consumers than the nodes' watchers
// (two each) plus, for a few seconds, the ones a reconnect orphaned.
//
// With file storage the buckets survive the restart; with memory storage
// they do not, and the nodes create them and write their records again.
func TestNATSRestart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		storage  jetstream.StorageType
		restarts int
	}{
		{jetstream.FileStorage, 10},
		{jetstream.MemoryStorage, 3},
	} {
		t.Run(tc.storage.String(), func(t *testing.T) {
			t.Parallel()
			testRestarts(t, tc.storage, tc.restarts)
		})
	}
}

func testRestarts(t *testing.T, storage jetstream.StorageType, restarts int) {
	ns := natstest.Start(t, natstest.FreePort(t))
	const nodes = 3
	type node struct {
		d      *Directory
		rooms  []*directory.Room // latest version of each open room
		mirror *feedMirror
	}
	ns2 := make([]*node, nodes)
	for i := range ns2 {
		d, _ := startNode(t, ns.URL(), Options{NodeID: fmt.Sprintf("n%d", i), Storage: storage})
		ns2[i] = &node{d: d, mirror: newFeedMirror(d)}
		for range 3 {
			r := newRoom(1)
			d.Put(context.Background(), r)
			ns2[i].rooms = append(ns2[i].rooms, r)
		}
	}
	truth := func() map[string]int {
		out := map[string]int{}
		for _, n := range ns2 {
			for _, r := range n.rooms {
				out[r.ID] = r.Players
			}
		}
		return out
	}
	converged := func() error {
		want := truth()
		for _, n := range ns2 {
			if err := sameListing(t, n.d, want); err != nil {
				return err
			}
			if got := n.d.Nodes(); len(got) != nodes {
				return fmt.Errorf("node %s sees %d nodes", n.d.NodeID(), len(got))
			}
			if err := n.mirror.catchUp(); err != nil {
				return err
			}
			if !maps.Equal(n.mirror.rooms, want) {
				return fmt.Errorf("feed of %s says %v, want %v", n.d.NodeID(), n.mirror.rooms, want)
			}
		}
		return nil
	}
	nettest.CheckFor(t, 5*time.Second, converged)

	most := 0
	for round := range restarts {
		ns.Stop()
		ctx := context.Background()
		for _, n := range ns2 {
			if err := n.d.Delete(ctx, n.rooms[0].ID); err != nil {
				t.Fatal(err)
			}
			n.rooms = n.rooms[1:]
			n.rooms[0] = with(n.rooms[0], n.rooms[0].Players+1)
			n.d.Put(ctx, n.rooms[0])
			opened := newRoom(round)
			n.d.Put(ctx, opened)
			n.rooms = append(n.rooms, opened)
		}
		ns.Start()
		start := time.Now()
		nettest.CheckFor(t, 5*time.Second, converged)
		took := time.Since(start)
		consumers := ns.Consumers()
		most = max(most, consumers)
		t.Logf("restart %d: every node converged %v after the server was up; %d consumers", round+1, took.Round(time.Millisecond), consumers)
		if consumers > 4*nodes {
			t.Errorf("restart %d: %d consumers on the server for %d nodes", round+1, consumers, nodes)
		}
	}
	// The orphans go: two consumers per node remain.
	nettest.CheckFor(t, 15*time.Second, func() error {
		if c := ns.Consumers(); c != 2*nodes {
			return fmt.Errorf("%d consumers, want %d", c, 2*nodes)
		}
		return nil
	})
	restarted := uint64(0)
	for _, n := range ns2 {
		restarted += n.d.Stats().WatchRestarts
	}
	t.Logf("%d restarts: at most %d consumers at once; the nodes re-created their watchers %d times", restarts, most, restarted)
}
