package natsdir

import (
	"sync/atomic"
	"time"
)

// Stats are the directory's counters since New, for metrics. None is per
// room. The lobby can export each as a Prometheus counter or gauge func.
type Stats struct {
	Puts            uint64 // Put calls: what the rooms asked to publish
	Creates         uint64 // room records created in the bucket
	Updates         uint64 // room records updated: Puts after coalescing
	Deletes         uint64 // room records this node deleted
	WriteErrors     uint64 // room writes and deletes that failed (and are retried)
	Conflicts       uint64 // writes refused on a revision mismatch, then re-read
	Heartbeats      uint64 // node record puts that succeeded
	HeartbeatErrors uint64 // and that failed
	OrphansDeleted  uint64 // records of gone nodes' rooms this node swept
	WatchEvents     uint64 // entries the watchers delivered
	WatchRestarts   uint64 // times the watchers were replaced
	WatchErrors     uint64 // failed attempts to replace them
	// WatchLagCount, WatchLagSum and WatchLagMax measure the time from
	// sending this node's heartbeat to its own watcher delivering it.
	WatchLagCount uint64
	WatchLagSum   time.Duration
	WatchLagMax   time.Duration
	Nodes         int // live nodes now
	Rooms         int // rooms listed now
	OwnRooms      int // this node's rooms now
}

type counters struct {
	puts, creates, updates, deletes, writeErrors, conflicts atomic.Uint64
	heartbeats, heartbeatErrors, orphansDeleted             atomic.Uint64
	events, restarts, watchErrors                           atomic.Uint64
	lagCount                                                atomic.Uint64
	lagSum, lagMax                                          atomic.Int64
}

func (c *counters) lag(d time.Duration) {
	d = max(d, 0)
	c.lagCount.Add(1)
	c.lagSum.Add(int64(d))
	for {
		m := c.lagMax.Load()
		if int64(d) <= m || c.lagMax.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// Stats returns the counters as of now.
func (d *Directory) Stats() Stats {
	d.mu.Lock()
	nodes, rooms, own := len(d.nodes), len(d.listed), 0
	for _, o := range d.own {
		if !o.deleted && o.room != nil {
			own++
		}
	}
	d.mu.Unlock()
	return Stats{
		Puts: d.st.puts.Load(), Creates: d.st.creates.Load(), Updates: d.st.updates.Load(),
		Deletes: d.st.deletes.Load(), WriteErrors: d.st.writeErrors.Load(), Conflicts: d.st.conflicts.Load(),
		Heartbeats: d.st.heartbeats.Load(), HeartbeatErrors: d.st.heartbeatErrors.Load(),
		OrphansDeleted: d.st.orphansDeleted.Load(),
		WatchEvents:    d.st.events.Load(), WatchRestarts: d.st.restarts.Load(), WatchErrors: d.st.watchErrors.Load(),
		WatchLagCount: d.st.lagCount.Load(), WatchLagSum: time.Duration(d.st.lagSum.Load()),
		WatchLagMax: time.Duration(d.st.lagMax.Load()),
		Nodes:       nodes, Rooms: rooms, OwnRooms: own,
	}
}
