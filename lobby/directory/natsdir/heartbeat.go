package natsdir

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// sweepBatch caps the orphaned room records one sweep deletes, so a sweep
// after a big node died stays shorter than a heartbeat.
const sweepBatch = 100

// heartbeatLoop puts this node's record every Heartbeat (and when asked),
// then sweeps the records of rooms whose node is gone.
func (d *Directory) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(d.opts.Heartbeat)
	defer t.Stop()
	missing := 0 // heartbeats in a row that found no bucket
	for {
		select {
		case <-t.C:
		case <-d.beatNow:
		case <-ctx.Done():
			return
		}
		if err := d.beat(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			d.st.heartbeatErrors.Add(1)
			d.log.Warn("natsdir: heartbeat failed", "err", err)
			// No bucket answering twice in a row (once is a server still
			// starting): it is gone, and the watch loop creates it again.
			if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, jetstream.ErrStreamNotFound) {
				if missing++; missing == 2 {
					d.requestRestart()
				}
			}
			continue
		}
		missing = 0
		d.checkRooms(ctx)
		d.sweep(ctx)
	}
}

// checkRooms asks the watch loop for new watchers when the rooms watcher
// has fallen a heartbeat behind the rooms stream.
func (d *Directory) checkRooms(ctx context.Context) {
	d.mu.Lock()
	kv := d.kvRooms
	d.mu.Unlock()
	c, cancel := context.WithTimeout(ctx, d.opts.RequestTimeout)
	defer cancel()
	last, err := lastSeq(c, kv)
	if err != nil {
		return // the heartbeat and the reconnect tell about NATS trouble
	}
	if d.probeRooms(last) {
		d.requestRestart()
	}
}

// record is this node's record as of now.
func (d *Directory) record() NodeRecord {
	var load Load
	if d.opts.Load != nil {
		load = d.opts.Load()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.opts.Load == nil {
		for _, o := range d.own {
			if !o.deleted && o.room != nil {
				load.Rooms++
				load.Players += o.room.Players
			}
		}
	}
	return NodeRecord{
		ID: d.opts.NodeID, Incarnation: d.inc, URL: d.opts.PublicURL,
		Load: load, Draining: d.draining, StartedAt: d.startedAt,
	}
}

// beat puts this node's record and notes its revision, so the watch loop
// can tell when its own watcher delivers it.
func (d *Directory) beat(ctx context.Context) error {
	rec := d.record()
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	d.mu.Lock()
	kv := d.kvNodes
	d.mu.Unlock()
	c, cancel := d.requestCtx(ctx)
	defer cancel()
	sent := time.Now()
	// A plain Put: a per-key TTL would be lost on the next update
	// (nats.go#1994); the bucket's TTL expires the record.
	rev, err := kv.Put(c, d.opts.NodeID, data)
	if err != nil {
		return err
	}
	d.st.heartbeats.Add(1)
	d.mu.Lock()
	d.echoAcked(rev, sent, time.Now())
	d.mu.Unlock()
	return nil
}

// requestRestart asks the watch loop for new watchers.
func (d *Directory) requestRestart() {
	select {
	case d.restart <- struct{}{}:
	default:
	}
}

// sweep deletes the records of rooms whose node has been gone for
// OrphanGrace. Only one node sweeps: the live node with the smallest id,
// as this node sees the nodes; two that both think so do no harm, since
// each delete is conditional on the revision it saw.
func (d *Directory) sweep(ctx context.Context) {
	type orphan struct {
		id  string
		rev uint64
	}
	var due []orphan
	now := time.Now()
	d.mu.Lock()
	kv := d.kvRooms
	if !d.sweeperLocked() {
		clear(d.orphans)
		d.mu.Unlock()
		return
	}
	for id := range d.orphans {
		if _, ok := d.rooms[id]; !ok {
			delete(d.orphans, id)
		}
	}
	for id, e := range d.rooms {
		if e.room.Node == d.opts.NodeID && e.inc == d.inc {
			continue // this node's own: it deletes them itself
		}
		if n := d.nodes[e.room.Node]; n != nil && n.rec.Incarnation == e.inc {
			delete(d.orphans, id)
			continue
		}
		first, ok := d.orphans[id]
		if !ok {
			d.orphans[id] = now
			continue
		}
		if now.Sub(first) >= d.opts.OrphanGrace && len(due) < sweepBatch {
			due = append(due, orphan{id, e.rev})
		}
	}
	d.mu.Unlock()
	for _, o := range due {
		c, cancel := context.WithTimeout(ctx, d.opts.RequestTimeout)
		err := kv.Purge(c, o.id, jetstream.LastRevision(o.rev), jetstream.PurgeTTL(tombstoneTTL))
		cancel()
		switch {
		case err == nil:
			d.st.orphansDeleted.Add(1)
		case errors.Is(err, jetstream.ErrKeyRevisionMismatch):
			// Written again meanwhile (its node came back): not an orphan.
		default:
			d.log.Warn("natsdir: deleting an orphaned room record", "room", o.id, "err", err)
			return
		}
	}
}

// sweeperLocked reports whether this node is the one that sweeps: live in
// its own view, with no live node of a smaller id. Lock held.
func (d *Directory) sweeperLocked() bool {
	if n := d.nodes[d.opts.NodeID]; n == nil || n.rec.Incarnation != d.inc {
		return false
	}
	for id := range d.nodes {
		if id < d.opts.NodeID {
			return false
		}
	}
	return true
}
