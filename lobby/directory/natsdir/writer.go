package natsdir

import (
	"container/heap"
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickroom/tickroom/lobby/directory"
)

// ownRoom is one of this node's rooms: what it should look like in the
// bucket and what was last written there. Guarded by Directory.mu.
type ownRoom struct {
	id        string
	room      *directory.Room // latest Put; nil for a stray record to delete
	dirty     bool            // room has not been written yet
	deleted   bool            // Delete was called: the record is to go
	lost      bool            // another live node owns the key: never written again
	written   bool            // a write was attempted, so a record may exist
	inflight  bool            // a writer has it: one write at a time per room
	failed    bool            // the last write or delete failed
	rev       uint64          // revision of this node's last successful write
	seen      uint64          // highest revision the watcher delivered for the key
	nextWrite time.Time       // no update before this: the write rate limit
	notBefore time.Time       // no write at all before this: after a failed delete
	due       time.Time       // when it is due, while in the heap
	index     int             // in Directory.due; -1 when not there
}

// dueHeap orders the rooms waiting for a write by when they are due.
type dueHeap []*ownRoom

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *dueHeap) Push(x any) {
	o := x.(*ownRoom)
	o.index = len(*h)
	*h = append(*h, o)
}
func (h *dueHeap) Pop() any {
	old := *h
	o := old[len(old)-1]
	old[len(old)-1] = nil
	o.index = -1
	*h = old[:len(old)-1]
	return o
}

// scheduleLocked queues o for a write: a creation or a deletion at once,
// an update no sooner than its rate limit allows. A room being written is
// queued again by its writer if needed. Lock held.
func (d *Directory) scheduleLocked(o *ownRoom) {
	if o.inflight || d.closed {
		return
	}
	at := time.Now()
	if !o.deleted && o.written && at.Before(o.nextWrite) {
		at = o.nextWrite
	}
	if at.Before(o.notBefore) {
		at = o.notBefore
	}
	if o.index >= 0 {
		if at.Before(o.due) {
			o.due = at
			heap.Fix(&d.due, o.index)
		}
	} else {
		o.due = at
		heap.Push(&d.due, o)
	}
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// unscheduleLocked takes o out of the queue. Lock held.
func (d *Directory) unscheduleLocked(o *ownRoom) {
	if o.index >= 0 {
		heap.Remove(&d.due, o.index)
	}
}

// schedule hands the rooms that are due to the writers, in the order they
// fell due.
func (d *Directory) schedule(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var ready []string
	for {
		d.mu.Lock()
		now := time.Now()
		ready = ready[:0]
		for d.due.Len() > 0 && !d.due[0].due.After(now) {
			o := heap.Pop(&d.due).(*ownRoom)
			o.inflight = true
			ready = append(ready, o.id)
		}
		wait := time.Hour
		if d.due.Len() > 0 {
			wait = d.due[0].due.Sub(now)
		}
		d.mu.Unlock()
		for _, id := range ready {
			select {
			case d.work <- id:
			case <-ctx.Done():
				return
			}
		}
		timer.Reset(wait)
		select {
		case <-d.kick:
		case <-timer.C:
		case <-ctx.Done():
			return
		}
	}
}

// writer writes the rooms schedule hands it, one at a time.
func (d *Directory) writer(ctx context.Context) {
	for {
		select {
		case id := <-d.work:
			d.writeRoom(ctx, id)
		case <-ctx.Done():
			return
		}
	}
}

// writeRoom writes (or deletes) one of this node's rooms, then queues it
// again if it changed meanwhile or the write failed.
func (d *Directory) writeRoom(ctx context.Context, id string) {
	d.mu.Lock()
	o := d.own[id]
	kv := d.kvRooms
	if o == nil {
		d.mu.Unlock()
		return
	}
	if o.deleted {
		rev := o.rev
		d.mu.Unlock()
		c, cancel := d.requestCtx(ctx)
		err := d.purgeRoom(c, kv, id, rev)
		cancel()
		d.mu.Lock()
		defer d.mu.Unlock()
		o.inflight, o.failed = false, err != nil
		switch {
		case err != nil:
			d.st.writeErrors.Add(1)
			if ctx.Err() != nil {
				// Closing: leave deletes what is left.
				d.log.Debug("natsdir: a room delete was cut by Close; leaving deletes it", "room", id)
			} else {
				d.log.Warn("natsdir: deleting a room record failed; will retry", "room", id, "err", err)
			}
			if !d.cutByReconnect(ctx, err) {
				o.notBefore = time.Now().Add(d.opts.RoomWriteInterval)
			}
			d.retryLocked(o)
		case o.deleted:
			delete(d.own, id)
		default: // Put again while it was being deleted: write it anew.
			o.rev, o.written, o.notBefore = 0, false, time.Time{}
			d.scheduleLocked(o)
		}
		return
	}
	if !o.dirty || o.lost {
		o.inflight = false
		d.mu.Unlock()
		return
	}
	data, err := encodeRoom(o.room, d.inc)
	if err != nil {
		o.inflight, o.dirty = false, false
		d.mu.Unlock()
		d.log.Error("natsdir: encoding a room record", "room", id, "err", err)
		return
	}
	rev := o.rev
	o.dirty, o.written = false, true
	d.mu.Unlock()

	c, cancel := d.requestCtx(ctx)
	newRev, err := d.writeRecord(c, kv, id, data, rev)
	cancel()

	d.mu.Lock()
	defer d.mu.Unlock()
	// The next update waits a full interval from this one's answer: then
	// the server stores them at least an interval apart.
	o.nextWrite = time.Now().Add(d.opts.RoomWriteInterval)
	o.inflight, o.failed = false, err != nil && !errors.Is(err, errLost)
	switch {
	case err == nil:
		o.rev = newRev
		if o.seen > newRev {
			o.dirty = true // someone wrote after us: check again
		}
	case errors.Is(err, errLost):
		o.lost = true
		d.log.Warn("natsdir: another live node has a record under this room's id; not writing it", "room", id)
	default:
		o.dirty = true
		d.st.writeErrors.Add(1)
		if d.cutByReconnect(ctx, err) {
			d.log.Debug("natsdir: a room write was cut by a reconnect; retrying", "room", id)
			o.nextWrite = time.Time{}
		} else {
			d.log.Warn("natsdir: writing a room record failed; will retry", "room", id, "err", err)
		}
	}
	if o.deleted || o.dirty {
		d.retryLocked(o)
	}
}

// cutByReconnect reports whether a request failed because a reconnect
// ended its epoch (and not because the directory is closing): its retry
// need not wait.
func (d *Directory) cutByReconnect(ctx context.Context, err error) bool {
	return errors.Is(err, context.Canceled) && ctx.Err() == nil
}

// retryLocked queues o again unless the directory is closing. Lock held.
func (d *Directory) retryLocked(o *ownRoom) {
	if !o.lost {
		d.scheduleLocked(o)
	}
}

// writeRecord creates the record (rev 0) or updates it from revision rev.
// When the bucket holds something else, it reads what is there and
// decides: nothing there, create it; this incarnation's (a write that
// timed out but landed) or a record of a node that is gone, update from
// its revision; a live node's, errLost.
func (d *Directory) writeRecord(ctx context.Context, kv jetstream.KeyValue, id string, data []byte, rev uint64) (uint64, error) {
	if rev == 0 {
		r, err := kv.Create(ctx, id, data)
		if err == nil {
			d.st.creates.Add(1)
			return r, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return 0, err
		}
	} else {
		r, err := kv.Update(ctx, id, data, rev)
		if err == nil {
			d.st.updates.Add(1)
			return r, nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return 0, err
		}
	}
	d.st.conflicts.Add(1)
	cur, err := kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		r, err := kv.Create(ctx, id, data)
		if err == nil {
			d.st.creates.Add(1)
		}
		return r, err
	}
	if err != nil {
		return 0, err
	}
	if room, inc, derr := decodeRoom(id, cur.Value()); derr == nil && !(room.Node == d.opts.NodeID && inc == d.inc) && d.ownerLive(room.Node, inc, false) {
		return 0, errLost
	}
	r, err := kv.Update(ctx, id, data, cur.Revision())
	if err == nil {
		d.st.updates.Add(1)
	}
	return r, err
}

// purgeRoom deletes this incarnation's record of a room: from revision rev
// if that is still the latest, otherwise only if what is there is still
// this incarnation's. The delete marker expires after tombstoneTTL.
func (d *Directory) purgeRoom(ctx context.Context, kv jetstream.KeyValue, id string, rev uint64) error {
	if rev != 0 {
		err := kv.Purge(ctx, id, jetstream.LastRevision(rev), jetstream.PurgeTTL(tombstoneTTL))
		if err == nil {
			d.st.deletes.Add(1)
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return err
		}
		d.st.conflicts.Add(1)
	}
	cur, err := kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if room, inc, derr := decodeRoom(id, cur.Value()); derr != nil || room.Node != d.opts.NodeID || inc != d.inc {
		return nil // not ours (any more)
	}
	err = kv.Purge(ctx, id, jetstream.LastRevision(cur.Revision()), jetstream.PurgeTTL(tombstoneTTL))
	if err == nil {
		d.st.deletes.Add(1)
	}
	return err
}
