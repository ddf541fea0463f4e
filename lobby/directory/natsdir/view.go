package natsdir

import (
	"bytes"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickroom/tickroom/lobby/directory"
)

// nodeEntry is a node record as the watcher last delivered it.
type nodeEntry struct {
	rec NodeRecord
	rev uint64
}

// roomEntry is a room record as the watcher last delivered it.
type roomEntry struct {
	room *directory.Room // with Node and Roster; replaced, never modified
	inc  string          // the owner's incarnation
	rev  uint64
	raw  []byte // the stored value: an identical put keeps room as it is
}

// echo follows this node's heartbeats until its own watcher delivers them
// back: the time between is the watch lag, and heartbeats never seen mean
// the watcher has silently stopped (nats.go#1777).
type echo struct {
	rev     uint64    // revision of the last acknowledged heartbeat
	sent    time.Time // when it was sent
	seen    bool      // the watcher has delivered rev (or later)
	unseen  time.Time // when the oldest heartbeat not yet delivered was acknowledged; zero if none
	early   uint64    // highest own revision the watcher delivered before its ack
	earlyAt time.Time // when it delivered early
}

// probe checks that the rooms watcher keeps up with the rooms bucket,
// where this node may write nothing for a long time: every heartbeat it
// reads the stream's last sequence, and a sequence that was in the stream
// two heartbeats ago and has still not been delivered means the watcher
// has stopped.
type probe struct {
	seen uint64    // highest sequence delivered, or in the stream when the watcher started
	last [2]uint64 // the stream's last sequence at the previous two probes, older first
}

// visible is the room that List shows under id, or nil: this node's own
// rooms come from Put; another node's only while its record lives with the
// room's incarnation. Records of this node that it does not hold (a
// previous incarnation's, or one being deleted) are never shown. Lock held.
func (d *Directory) visible(id string) *directory.Room {
	if o := d.own[id]; o != nil {
		if o.deleted {
			return nil
		}
		return o.room
	}
	e := d.rooms[id]
	if e == nil || e.room.Node == d.opts.NodeID {
		return nil
	}
	if n := d.nodes[e.room.Node]; n == nil || n.rec.Incarnation != e.inc {
		return nil
	}
	return e.room
}

// relist brings listed[id] in step with visible(id) and tells the feed:
// created or updated when the room appears or changes, closed when it
// goes. Lock held.
func (d *Directory) relist(id string) {
	now, old := d.visible(id), d.listed[id]
	switch {
	case now == old:
	case now == nil:
		delete(d.listed, id)
		d.feed.Publish(old.Closed())
	default:
		d.listed[id] = now
		d.feed.Publish(now)
	}
}

// relistNode relists the rooms of node after its record came, went or
// changed incarnation. Lock held.
func (d *Directory) relistNode(node string) {
	for id, e := range d.rooms {
		if e.room.Node == node {
			d.relist(id)
		}
	}
}

// applyNode takes one entry of the nodes watcher.
func (d *Directory) applyNode(e jetstream.KeyValueEntry) {
	d.st.events.Add(1)
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	key, old := e.Key(), d.nodes[e.Key()]
	if e.Operation() == jetstream.KeyValuePut {
		rec, err := decodeNode(key, e.Value())
		if err != nil {
			d.log.Warn("natsdir: ignoring a malformed node record", "node", key, "err", err)
			return
		}
		rec.HeartbeatAt = e.Created()
		d.nodes[key] = &nodeEntry{rec: rec, rev: e.Revision()}
		switch {
		case key != d.opts.NodeID:
		case rec.Incarnation == d.inc:
			d.echoSeen(e.Revision(), now)
		case old == nil || old.rec.Incarnation == d.inc:
			// Two processes heartbeat under one id, each hiding the
			// other's rooms in turn: say so once per switch.
			d.log.Error("natsdir: another process puts records under this node's id", "node", key, "incarnation", rec.Incarnation)
		}
		if old == nil || old.rec.Incarnation != rec.Incarnation {
			d.relistNode(key)
		}
		return
	}
	if old != nil {
		delete(d.nodes, key)
		d.relistNode(key)
	}
}

// applyRoom takes one entry of the rooms watcher.
func (d *Directory) applyRoom(e jetstream.KeyValueEntry) {
	d.st.events.Add(1)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.probe.seen = max(d.probe.seen, e.Revision())
	key := e.Key()
	if e.Operation() == jetstream.KeyValuePut {
		if ne := d.roomEntry(key, e, d.rooms[key]); ne != nil {
			d.rooms[key] = ne
		} else {
			delete(d.rooms, key)
		}
	} else {
		delete(d.rooms, key)
	}
	d.noteOwn(key, d.rooms[key], e.Revision())
	d.relist(key)
}

// roomEntry decodes a put of the rooms bucket; an identical value keeps
// old's room, so a snapshot after a reconnect reports no change for it.
// nil for a malformed record. Lock held.
func (d *Directory) roomEntry(key string, e jetstream.KeyValueEntry, old *roomEntry) *roomEntry {
	if old != nil && bytes.Equal(old.raw, e.Value()) {
		return &roomEntry{room: old.room, inc: old.inc, rev: e.Revision(), raw: old.raw}
	}
	room, inc, err := decodeRoom(key, e.Value())
	if err != nil {
		d.log.Warn("natsdir: ignoring a malformed room record", "room", key, "err", err)
		return nil
	}
	return &roomEntry{room: room, inc: inc, rev: e.Revision(), raw: e.Value()}
}

// noteOwn compares what the bucket holds under one of this node's keys
// (e, nil if nothing) at revision rev with what this node last wrote. A
// record of this incarnation that the node no longer holds is deleted; a
// change this node did not write makes it write its room again (the
// write then decides, by revision, whether the room is still its own).
// Lock held.
func (d *Directory) noteOwn(id string, e *roomEntry, rev uint64) {
	mine := e != nil && e.room.Node == d.opts.NodeID && e.inc == d.inc
	o := d.own[id]
	if o == nil {
		if mine && d.creating[id] == 0 {
			// Written by a write that timed out but landed after all.
			o = &ownRoom{id: id, index: -1, deleted: true, written: true, rev: rev}
			d.own[id] = o
			d.scheduleLocked(o)
		}
		return
	}
	o.seen = max(o.seen, rev)
	if !o.inflight && rev > o.rev && !o.lost && !o.deleted {
		o.dirty = true
		d.scheduleLocked(o)
	}
}

// loadSnapshot replaces the view with the buckets' contents as a new pair
// of watchers delivered them, and publishes the differences to the feed.
// roomsLast is the rooms stream's last sequence before the watcher began.
func (d *Directory) loadSnapshot(nodes, rooms []jetstream.KeyValueEntry, roomsLast uint64) {
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.probe = probe{seen: roomsLast}
	newNodes := make(map[string]*nodeEntry, len(nodes))
	for _, e := range nodes {
		if e.Operation() != jetstream.KeyValuePut {
			continue
		}
		rec, err := decodeNode(e.Key(), e.Value())
		if err != nil {
			continue
		}
		rec.HeartbeatAt = e.Created()
		newNodes[e.Key()] = &nodeEntry{rec: rec, rev: e.Revision()}
		if e.Key() == d.opts.NodeID && rec.Incarnation == d.inc {
			d.echoSeen(e.Revision(), now)
		}
	}
	newRooms := make(map[string]*roomEntry, len(rooms))
	for _, e := range rooms {
		d.probe.seen = max(d.probe.seen, e.Revision())
		if e.Operation() == jetstream.KeyValuePut {
			if ne := d.roomEntry(e.Key(), e, d.rooms[e.Key()]); ne != nil {
				newRooms[e.Key()] = ne
			}
		}
	}
	ids := make(map[string]struct{}, len(d.listed)+len(newRooms))
	for id := range d.listed {
		ids[id] = struct{}{}
	}
	for id := range newRooms {
		ids[id] = struct{}{}
	}
	d.nodes, d.rooms = newNodes, newRooms
	for id, e := range newRooms {
		d.noteOwn(id, e, e.rev)
	}
	// This node's rooms that the snapshot lacks (the bucket lost them, or
	// a sweep deleted them while this node was cut off) are written again.
	for id, o := range d.own {
		if _, ok := newRooms[id]; !ok && o.written && !o.deleted && !o.lost {
			o.dirty = true
			d.scheduleLocked(o)
		}
	}
	for id := range ids {
		d.relist(id)
	}
}

// echoSeen notes that the watcher delivered this incarnation's node record
// at revision rev: that heartbeat and every one before it. Lock held.
func (d *Directory) echoSeen(rev uint64, now time.Time) {
	switch {
	case d.echo.rev != 0 && rev >= d.echo.rev && !d.echo.seen:
		d.echo.seen, d.echo.unseen = true, time.Time{}
		d.st.lag(now.Sub(d.echo.sent))
	case rev > d.echo.rev:
		d.echo.early, d.echo.earlyAt = rev, now
	}
}

// echoAcked notes that the heartbeat sent at sent was stored at rev.
// Lock held.
func (d *Directory) echoAcked(rev uint64, sent, acked time.Time) {
	d.echo.rev, d.echo.sent, d.echo.seen = rev, sent, false
	if d.echo.early >= rev {
		d.echo.seen, d.echo.unseen = true, time.Time{}
		d.st.lag(d.echo.earlyAt.Sub(sent))
		return
	}
	if d.echo.unseen.IsZero() {
		d.echo.unseen = acked
	}
}

// echoLate reports whether a heartbeat acknowledged timeout ago or more
// has still not come back through the watcher; once per such stall.
func (d *Directory) echoLate(timeout time.Duration) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.echo.unseen.IsZero() || time.Since(d.echo.unseen) < timeout {
		return false
	}
	d.echo.unseen = time.Time{}
	return true
}

// probeRooms takes the rooms stream's last sequence and reports whether
// the one taken at the previous probe has still not been delivered.
func (d *Directory) probeRooms(last uint64) (late bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	late = d.probe.last[0] > d.probe.seen
	d.probe.last = [2]uint64{d.probe.last[1], last}
	if late {
		d.probe.last = [2]uint64{} // one restart per stall
	}
	return late
}
