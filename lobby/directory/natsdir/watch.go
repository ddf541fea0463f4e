package natsdir

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Backoff between failed attempts to watch the buckets again.
const (
	minRetry = 50 * time.Millisecond
	maxRetry = time.Second
)

// ensureBuckets creates the buckets, or updates their configuration to
// this node's, and keeps their handles.
func (d *Directory) ensureBuckets(ctx context.Context) (jetstream.KeyValue, jetstream.KeyValue, error) {
	nodes, err := d.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      d.opts.NodesBucket,
		Description: "tickroom nodes: each live node's record, put every heartbeat",
		// A record lives NodeTTL after its last put; the expiry leaves a
		// marker, so watchers see the node go.
		TTL:            d.opts.NodeTTL,
		LimitMarkerTTL: tombstoneTTL,
		Storage:        d.opts.Storage,
		Replicas:       d.opts.Replicas,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("natsdir: bucket %s: %w", d.opts.NodesBucket, err)
	}
	rooms, err := d.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      d.opts.RoomsBucket,
		Description: "tickroom rooms: each room's record, written by the node that runs it",
		// No TTL: a room lives as long as its node's record. The marker
		// TTL lets deletes leave markers that expire (PurgeTTL).
		LimitMarkerTTL: tombstoneTTL,
		Storage:        d.opts.Storage,
		Replicas:       d.opts.Replicas,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("natsdir: bucket %s: %w", d.opts.RoomsBucket, err)
	}
	d.mu.Lock()
	d.kvNodes, d.kvRooms = nodes, rooms
	d.mu.Unlock()
	return nodes, rooms, nil
}

// watchSet is a pair of watchers, one per bucket, and what stops them.
type watchSet struct {
	nodes, rooms jetstream.KeyWatcher
	cancel       context.CancelFunc
}

// stop ends both watchers and waits until their subscriptions have
// delivered their last entry: a subscription blocked on a full updates
// channel would otherwise never end.
func (w *watchSet) stop() {
	if w == nil {
		return
	}
	for _, kw := range []jetstream.KeyWatcher{w.nodes, w.rooms} {
		if kw != nil {
			kw.Stop()
		}
	}
	w.cancel()
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	for _, kw := range []jetstream.KeyWatcher{w.nodes, w.rooms} {
		if kw == nil {
			continue
		}
	drain:
		for {
			select {
			case _, ok := <-kw.Updates():
				if !ok {
					break drain
				}
			case <-timeout.C:
				return
			}
		}
	}
}

// rebuild watches both buckets anew and loads what they hold into the
// view, publishing the differences to the feed. The watchers live until
// life ends or stop; setup bounds how long getting them and their initial
// values may take.
func (d *Directory) rebuild(life, setup context.Context) (*watchSet, error) {
	wctx, cancel := context.WithCancel(life)
	// The watchers take one context for their whole life and for their
	// creation: setup ending before they are ready cancels it.
	unguard := context.AfterFunc(setup, cancel)
	w := &watchSet{cancel: cancel}
	fail := func(err error) (*watchSet, error) {
		unguard()
		w.stop()
		return nil, err
	}
	kvNodes, kvRooms, err := d.ensureBuckets(setup)
	if err != nil {
		return fail(err)
	}
	roomsLast, err := lastSeq(setup, kvRooms)
	if err != nil {
		return fail(fmt.Errorf("natsdir: bucket %s: %w", d.opts.RoomsBucket, err))
	}
	if w.nodes, err = kvNodes.WatchAll(wctx); err != nil {
		return fail(fmt.Errorf("natsdir: watch %s: %w", d.opts.NodesBucket, err))
	}
	if w.rooms, err = kvRooms.WatchAll(wctx); err != nil {
		return fail(fmt.Errorf("natsdir: watch %s: %w", d.opts.RoomsBucket, err))
	}
	nodes, err := initial(setup, w.nodes)
	if err != nil {
		return fail(fmt.Errorf("natsdir: load %s: %w", d.opts.NodesBucket, err))
	}
	rooms, err := initial(setup, w.rooms)
	if err != nil {
		return fail(fmt.Errorf("natsdir: load %s: %w", d.opts.RoomsBucket, err))
	}
	if !unguard() {
		return fail(fmt.Errorf("natsdir: watch: %w", context.Cause(setup)))
	}
	d.loadSnapshot(nodes, rooms, roomsLast)
	return w, nil
}

// initial reads a new watcher's initial values, up to the nil entry that
// follows them.
func initial(ctx context.Context, w jetstream.KeyWatcher) ([]jetstream.KeyValueEntry, error) {
	var out []jetstream.KeyValueEntry
	for {
		select {
		case e, ok := <-w.Updates():
			switch {
			case !ok:
				return nil, errors.New("watcher stopped")
			case e == nil:
				return out, nil
			}
			out = append(out, e)
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

// watchLoop applies the watchers' entries to the view until ctx ends, and
// replaces the watchers when they may have stopped delivering: after a
// reconnect, when one closes, when this node's own heartbeat does not come
// back through them, or when the heartbeat finds the bucket gone. Each
// replacement stops the old watchers first (and with them their
// consumers), so the consumers on the server stay two per node.
func (d *Directory) watchLoop(ctx context.Context, w *watchSet) {
	check := time.NewTicker(d.opts.Heartbeat / 4)
	defer check.Stop()
	defer func() { w.stop() }()
	retry := minRetry
	restart := func(why string) {
		d.log.Info("natsdir: watching the buckets again", "why", why)
		d.st.restarts.Add(1)
		w.stop()
		w = nil
	}
	for {
		if w == nil {
			// A reconnect cuts the attempt short: its requests went out
			// on the old connection.
			setup, cancel := d.epochCtx(ctx, 2*d.opts.RequestTimeout)
			nw, err := d.rebuild(ctx, setup)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				d.st.watchErrors.Add(1)
				d.log.Warn("natsdir: watching the buckets failed; will retry", "err", err, "in", retry)
				select {
				case <-time.After(retry):
					retry = min(2*retry, maxRetry)
				case <-d.reconn:
					retry = minRetry
				case <-ctx.Done():
					return
				}
				continue
			}
			w, retry = nw, minRetry
		}
		select {
		case e, ok := <-w.nodes.Updates():
			switch {
			case !ok:
				restart("nodes watcher closed")
			case e != nil:
				d.applyNode(e)
			}
		case e, ok := <-w.rooms.Updates():
			switch {
			case !ok:
				restart("rooms watcher closed")
			case e != nil:
				d.applyRoom(e)
			}
		case <-d.reconn:
			restart("reconnected")
		case <-d.restart:
			restart("asked by the heartbeat: bucket missing or rooms watcher behind")
		case <-check.C:
			if d.echoLate(2 * d.opts.Heartbeat) {
				restart("own heartbeat not delivered")
			}
		case <-ctx.Done():
			return
		}
	}
}

// lastSeq is the last sequence (revision) written to a bucket's stream.
func lastSeq(ctx context.Context, kv jetstream.KeyValue) (uint64, error) {
	st, err := kv.Status(ctx)
	if err != nil {
		return 0, err
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok {
		return 0, fmt.Errorf("unexpected bucket status %T", st)
	}
	return bs.StreamInfo().State.LastSeq, nil
}
