// Package natsdir is the room directory of a tickroom cluster, kept in two
// NATS JetStream key-value buckets. Every node puts its own record
// ([NodeRecord]) in the nodes bucket every heartbeat, and a record expires
// a few seconds after its node stops; every node writes the records of the
// rooms it runs to the rooms bucket. Every node watches both buckets into
// memory, so Get, List and Feed serve the whole cluster without a network
// round trip, and a room is listed only while its node's record lives with
// the incarnation the room was written by.
//
// [Directory] implements [directory.Directory]: the room runtime publishes
// through Put and Delete exactly as to [directory.Memory], and Put never
// waits for the network (it is called from room goroutines). Writes of one
// room are coalesced to at most one a RoomWriteInterval. docs/cluster.md
// describes the buckets, the records and what happens when a node dies or
// the NATS server restarts.
//
// The package does not import net/http: it sits under the room runtime's
// directory seam.
package natsdir

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickroom/tickroom/lobby/directory"
)

var (
	// ErrClosed is returned by a Directory after Close.
	ErrClosed = errors.New("natsdir: directory closed")
	// ErrRoomExists is returned by Create when a live node (this one
	// included) already has a record under the room's id. It is
	// directory.ErrExists, which the room runtime matches.
	ErrRoomExists = directory.ErrExists
	// ErrNotOwner is returned by Delete for a room another node runs.
	ErrNotOwner = errors.New("natsdir: room runs on another node")

	errBadRecord = errors.New("natsdir: malformed record")
	errLost      = errors.New("natsdir: another live node owns the room")
)

// tombstoneTTL is how long a delete marker stays in a bucket. Watchers see
// the marker as it is written; it only needs to outlive the delivery, and
// expiring it keeps closed rooms from piling up in the stream.
const tombstoneTTL = time.Minute

// Options configure a Directory. Every zero value means its default.
type Options struct {
	// NodeID names this node in the cluster: its key in the nodes bucket
	// and the Node of its rooms. A NATS key: letters, digits, - _ = / and
	// dots between tokens. Default: the incarnation, a random id, so a
	// restart is a new node.
	NodeID string
	// PublicURL is the base URL clients reach this node's lobby at, for
	// joins across nodes. Default: empty.
	PublicURL string
	// Load reports the node's current load for its heartbeat. It is called
	// from the heartbeat goroutine and must not block for long: a heartbeat
	// that comes later than NodeTTL hides the node. Default: the rooms
	// this directory holds for the node and their players.
	Load func() Load
	// NodesBucket and RoomsBucket name the key-value buckets. Every node
	// of a cluster must use the same names and the same NodeTTL. Default
	// "tickroom_nodes" and "tickroom_rooms".
	NodesBucket, RoomsBucket string
	// Heartbeat is how often the node puts its record. Default 1s.
	Heartbeat time.Duration
	// NodeTTL is how long a node record lives after its last put: a node
	// silent this long is gone, and its rooms with it. At least twice
	// Heartbeat, so one late heartbeat hides nothing. Default three
	// heartbeats (3s): a node stalled for up to two seconds stays listed,
	// and a dead one is unlisted within about 3.3 s (the server checks
	// for expired records every quarter second at most).
	NodeTTL time.Duration
	// RoomWriteInterval is the least time between two writes of one
	// room's record: the puts in between are coalesced and the latest is
	// written. A room's creation and deletion are written at once.
	// Default 1s.
	RoomWriteInterval time.Duration
	// Writers is how many room writes may be in flight at once. Default 8.
	Writers int
	// RequestTimeout bounds each request to NATS. Default 2s.
	RequestTimeout time.Duration
	// OrphanGrace is how long the record of a room whose node is gone
	// stays in the bucket before a live node deletes it. A node that comes
	// back sooner (with the same incarnation) finds its rooms listed
	// again; one that comes back later writes them again. Default 30s.
	OrphanGrace time.Duration
	// Storage and Replicas are the buckets' storage and replication: file
	// storage survives a NATS restart; use 3 replicas in a NATS cluster.
	// Default file storage, 1 replica.
	Storage  jetstream.StorageType
	Replicas int
	// Log receives the directory's warnings. Default: discarded.
	Log *slog.Logger
}

func (o Options) withDefaults(incarnation string) Options {
	if o.NodeID == "" {
		o.NodeID = incarnation
	}
	if o.NodesBucket == "" {
		o.NodesBucket = "tickroom_nodes"
	}
	if o.RoomsBucket == "" {
		o.RoomsBucket = "tickroom_rooms"
	}
	if o.Heartbeat == 0 {
		o.Heartbeat = time.Second
	}
	if o.NodeTTL == 0 {
		o.NodeTTL = 3 * o.Heartbeat
	}
	if o.RoomWriteInterval == 0 {
		o.RoomWriteInterval = time.Second
	}
	if o.Writers == 0 {
		o.Writers = 8
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 2 * time.Second
	}
	if o.OrphanGrace == 0 {
		o.OrphanGrace = 30 * time.Second
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

func (o Options) validate() error {
	switch {
	case !validKey(o.NodeID):
		return fmt.Errorf("natsdir: NodeID %q is not a NATS key", o.NodeID)
	case o.Heartbeat < 0:
		return fmt.Errorf("natsdir: Heartbeat %v is negative", o.Heartbeat)
	case o.NodeTTL < 2*o.Heartbeat:
		return fmt.Errorf("natsdir: NodeTTL %v is less than twice Heartbeat %v", o.NodeTTL, o.Heartbeat)
	case o.RoomWriteInterval < 0, o.RequestTimeout < 0, o.OrphanGrace < 0, o.Writers < 0, o.Replicas < 0:
		return errors.New("natsdir: negative RoomWriteInterval, RequestTimeout, OrphanGrace, Writers or Replicas")
	}
	return nil
}

// Directory is the cluster's room directory as one node sees it. It
// implements directory.Directory; its methods are safe for concurrent use.
type Directory struct {
	nc        *nats.Conn
	js        jetstream.JetStream
	opts      Options
	inc       string // this process's incarnation
	startedAt time.Time
	feed      *directory.Feed
	log       *slog.Logger
	st        counters

	kick    chan struct{} // wakes the write scheduler; cap 1
	beatNow chan struct{} // asks for a heartbeat now; cap 1
	restart chan struct{} // asks the watch loop for new watchers; cap 1
	reconn  chan struct{} // tells the watch loop the connection came back; cap 1
	work    chan string   // ids of rooms due for a write, to the writers

	cancelWork, cancelWatch context.CancelFunc
	workers, watching       sync.WaitGroup
	closeOnce               sync.Once
	closeErr                error

	mu       sync.Mutex
	kvNodes  jetstream.KeyValue         // guarded by mu; replaced when buckets are re-created
	kvRooms  jetstream.KeyValue         // guarded by mu
	nodes    map[string]*nodeEntry      // live node records by id; guarded by mu
	rooms    map[string]*roomEntry      // room records by id, live owner or not; guarded by mu
	own      map[string]*ownRoom        // this node's rooms by id; guarded by mu
	listed   map[string]*directory.Room // what List shows, in step with feed; guarded by mu
	due      dueHeap                    // own rooms waiting for a write; guarded by mu
	orphans  map[string]time.Time       // when the sweep first saw a room orphaned; guarded by mu
	creating map[string]int             // ids that Create calls are writing; guarded by mu
	echo     echo                       // guarded by mu
	// epoch ends at every reconnect: requests sent before it may have
	// been lost with the old connection, so they stop waiting and retry.
	epoch       context.Context    // guarded by mu
	epochCancel context.CancelFunc // guarded by mu
	probe       probe              // guarded by mu
	draining    bool               // guarded by mu
	closed      bool               // guarded by mu
}

// New joins the cluster on nc: it creates the buckets if needed, puts this
// node's first heartbeat and loads both buckets, so that List is complete
// when it returns; then it keeps all of that up to date until Close. nc
// should reconnect forever (nats.MaxReconnects(-1)); the directory
// re-creates its watchers after every reconnect. The server must be
// nats-server 2.11 or later with JetStream: expiries leave markers
// (LimitMarkerTTL) only from there on. ctx bounds New only.
func New(ctx context.Context, nc *nats.Conn, opts Options) (*Directory, error) {
	inc := uuid.NewString()
	opts = opts.withDefaults(inc)
	if err := opts.validate(); err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natsdir: %w", err)
	}
	d := &Directory{
		nc: nc, js: js, opts: opts, inc: inc, startedAt: time.Now(), feed: directory.NewFeed(), log: opts.Log,
		kick: make(chan struct{}, 1), beatNow: make(chan struct{}, 1), restart: make(chan struct{}, 1),
		reconn: make(chan struct{}, 1),
		work:   make(chan string),
		nodes:  map[string]*nodeEntry{}, rooms: map[string]*roomEntry{}, own: map[string]*ownRoom{},
		listed: map[string]*directory.Room{}, orphans: map[string]time.Time{}, creating: map[string]int{},
	}
	d.epoch, d.epochCancel = context.WithCancel(context.Background())
	setup, cancel := context.WithTimeout(ctx, 2*opts.RequestTimeout)
	defer cancel()
	if _, _, err := d.ensureBuckets(setup); err != nil {
		d.epochCancel()
		return nil, err
	}
	if err := d.beat(setup); err != nil {
		d.epochCancel()
		return nil, fmt.Errorf("natsdir: first heartbeat: %w", err)
	}
	watchCtx, cancelWatch := context.WithCancel(context.Background())
	w, err := d.rebuild(watchCtx, setup)
	if err != nil {
		cancelWatch()
		d.epochCancel()
		return nil, err
	}
	workCtx, cancelWork := context.WithCancel(context.Background())
	d.cancelWatch, d.cancelWork = cancelWatch, cancelWork
	d.watching.Go(func() { d.watchLoop(watchCtx, w) })
	d.watching.Go(func() { d.statusLoop(watchCtx) })
	d.workers.Go(func() { d.heartbeatLoop(workCtx) })
	d.workers.Go(func() { d.schedule(workCtx) })
	for range opts.Writers {
		d.workers.Go(func() { d.writer(workCtx) })
	}
	return d, nil
}

// Incarnation returns the random id this process drew at New.
func (d *Directory) Incarnation() string { return d.inc }

// NodeID returns this node's id.
func (d *Directory) NodeID() string { return d.opts.NodeID }

// Feed returns the changes to the cluster's room list.
func (d *Directory) Feed() *directory.Feed { return d.feed }

// Put publishes one of this node's rooms: the room is listed here at once
// and written to the bucket without waiting, at once if it is new and
// otherwise at most once a RoomWriteInterval (latest wins). A room whose
// State is closed is deleted. room is not modified; its copy is listed
// with Node set to this node.
func (d *Directory) Put(ctx context.Context, room *directory.Room) error {
	if room.State == directory.StateClosed {
		return d.Delete(ctx, room.ID)
	}
	if !validKey(room.ID) {
		return fmt.Errorf("natsdir: room id %q is not a NATS key", room.ID)
	}
	c := *room
	c.Node = d.opts.NodeID
	d.st.puts.Add(1)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	o := d.own[c.ID]
	if o == nil {
		o = &ownRoom{id: c.ID, index: -1}
		d.own[c.ID] = o
	}
	o.room, o.deleted, o.dirty = &c, false, true
	d.relist(c.ID)
	d.scheduleLocked(o)
	return nil
}

// Create claims id room.ID for this node, atomically across the cluster,
// and lists the room: it fails with ErrRoomExists when a live node has a
// record under that id already. A record left by a node that is gone is
// taken over. Unlike Put it waits for NATS; Put of the same room after
// Create only updates it. Use it for ids that are not random.
func (d *Directory) Create(ctx context.Context, room *directory.Room) error {
	if !validKey(room.ID) {
		return fmt.Errorf("natsdir: room id %q is not a NATS key", room.ID)
	}
	c := *room
	c.Node, c.State = d.opts.NodeID, directory.StateOpen
	data, err := encodeRoom(&c, d.inc)
	if err != nil {
		return err
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	if o := d.own[c.ID]; o != nil && !o.deleted {
		d.mu.Unlock()
		return fmt.Errorf("%w: %s on this node", ErrRoomExists, c.ID)
	}
	kv := d.kvRooms
	// The watcher may deliver the new record before this call returns:
	// it must not take it for a stray record of this node's.
	d.creating[c.ID]++
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		if d.creating[c.ID]--; d.creating[c.ID] == 0 {
			delete(d.creating, c.ID)
		}
		d.mu.Unlock()
	}()

	ctx, cancel := context.WithTimeout(ctx, d.opts.RequestTimeout)
	defer cancel()
	rev, err := kv.Create(ctx, c.ID, data)
	if errors.Is(err, jetstream.ErrKeyExists) {
		d.st.conflicts.Add(1)
		rev, err = d.takeOver(ctx, kv, c.ID, data)
	}
	if err != nil {
		return fmt.Errorf("natsdir: create room %s: %w", c.ID, err)
	}
	d.st.creates.Add(1)
	d.mu.Lock()
	defer d.mu.Unlock()
	o := d.own[c.ID]
	if o == nil {
		o = &ownRoom{id: c.ID, index: -1}
		d.own[c.ID] = o
	}
	o.room, o.deleted, o.written = &c, false, true
	o.rev = max(o.rev, rev)
	o.nextWrite = time.Now().Add(d.opts.RoomWriteInterval)
	d.relist(c.ID)
	return nil
}

// takeOver writes data under an existing key if the record there belongs
// to no live node (this incarnation counts as live).
func (d *Directory) takeOver(ctx context.Context, kv jetstream.KeyValue, id string, data []byte) (uint64, error) {
	cur, err := kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return kv.Create(ctx, id, data)
	}
	if err != nil {
		return 0, err
	}
	room, inc, derr := decodeRoom(id, cur.Value())
	if derr == nil && d.ownerLive(room.Node, inc, true) {
		return 0, fmt.Errorf("%w: on node %s", ErrRoomExists, room.Node)
	}
	rev, err := kv.Update(ctx, id, data, cur.Revision())
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return 0, fmt.Errorf("%w: %w", ErrRoomExists, err)
	}
	return rev, err
}

// ownerLive reports whether node's record lives with incarnation inc.
// self says whether this very incarnation counts as live even while its
// own record is missing from the view.
func (d *Directory) ownerLive(node, inc string, self bool) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if self && node == d.opts.NodeID && inc == d.inc {
		return true
	}
	n := d.nodes[node]
	return n != nil && n.rec.Incarnation == inc
}

// Delete removes one of this node's rooms: it is unlisted at once (the
// feed reports it closed) and deleted from the bucket without waiting.
// It returns directory.ErrNotFound for an unknown room and ErrNotOwner for
// another node's.
func (d *Directory) Delete(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	o := d.own[id]
	if o == nil || o.deleted {
		if _, ok := d.listed[id]; ok {
			return fmt.Errorf("%w: %s", ErrNotOwner, id)
		}
		return directory.ErrNotFound
	}
	o.deleted = true
	d.relist(id)
	if !o.written && !o.inflight {
		// Never written: nothing to delete in the bucket.
		d.unscheduleLocked(o)
		delete(d.own, id)
		return nil
	}
	d.scheduleLocked(o)
	return nil
}

// Get returns a listed room of any node.
func (d *Directory) Get(_ context.Context, id string) (*directory.Room, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r, ok := d.listed[id]; ok {
		return r, nil
	}
	return nil, directory.ErrNotFound
}

// List returns the listed rooms of every live node, oldest first.
func (d *Directory) List(_ context.Context) ([]*directory.Room, error) {
	d.mu.Lock()
	out := make([]*directory.Room, 0, len(d.listed))
	for _, r := range d.listed {
		out = append(out, r)
	}
	d.mu.Unlock()
	directory.SortOldestFirst(out)
	return out, nil
}

// Nodes returns the records of the live nodes, this one included once its
// heartbeat has been seen (New waits for that), by id.
func (d *Directory) Nodes() []NodeRecord {
	d.mu.Lock()
	out := make([]NodeRecord, 0, len(d.nodes))
	for _, n := range d.nodes {
		out = append(out, n.rec)
	}
	d.mu.Unlock()
	slices.SortFunc(out, func(a, b NodeRecord) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Node returns a live node's record.
func (d *Directory) Node(id string) (NodeRecord, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n, ok := d.nodes[id]; ok {
		return n.rec, true
	}
	return NodeRecord{}, false
}

// SetDraining sets the draining flag of this node's record and puts the
// record at once.
func (d *Directory) SetDraining(draining bool) {
	d.mu.Lock()
	d.draining = draining
	d.mu.Unlock()
	select {
	case d.beatNow <- struct{}{}:
	default:
	}
}

// Close leaves the cluster: it stops the heartbeat and the room writes,
// deletes this node's record (every node unlists its rooms at once) and
// then its room records, and stops watching. Every goroutine the
// directory started has ended when it returns. ctx bounds the deletes; on
// a closed connection there is nothing to delete and the records expire.
func (d *Directory) Close(ctx context.Context) error {
	d.closeOnce.Do(func() {
		d.mu.Lock()
		d.closed = true
		d.mu.Unlock()
		d.cancelWork()
		d.workers.Wait()
		if !d.nc.IsClosed() {
			d.closeErr = d.leave(ctx)
		}
		d.cancelWatch()
		d.watching.Wait()
		d.mu.Lock()
		d.epochCancel()
		d.mu.Unlock()
	})
	return d.closeErr
}

// requestCtx bounds one request to NATS: RequestTimeout, or the next
// reconnect, or parent, whichever ends first.
func (d *Directory) requestCtx(parent context.Context) (context.Context, context.CancelFunc) {
	return d.epochCtx(parent, d.opts.RequestTimeout)
}

// epochCtx ends after timeout, at the next reconnect or with parent.
func (d *Directory) epochCtx(parent context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	d.mu.Lock()
	epoch := d.epoch
	d.mu.Unlock()
	c, cancel := context.WithTimeout(parent, timeout)
	stop := context.AfterFunc(epoch, cancel)
	return c, func() { stop(); cancel() }
}

// statusLoop follows the connection: after every reconnect, it starts a
// new epoch and tells the watch loop, even while that is busy getting new
// watchers over the old connection.
func (d *Directory) statusLoop(ctx context.Context) {
	status := d.nc.StatusChanged(nats.CONNECTED)
	defer d.nc.RemoveStatusListener(status)
	for {
		select {
		case <-status:
			d.reconnected()
			select {
			case d.reconn <- struct{}{}:
			default:
			}
		case <-ctx.Done():
			return
		}
	}
}

// reconnected starts a new epoch: the requests of the old one stop
// waiting for answers that went with the old connection, the rooms whose
// writes failed are written at once, and the heartbeat goes now.
func (d *Directory) reconnected() {
	d.mu.Lock()
	old := d.epochCancel
	d.epoch, d.epochCancel = context.WithCancel(context.Background())
	for _, o := range d.own {
		if o.failed {
			o.nextWrite, o.notBefore = time.Time{}, time.Time{}
			d.scheduleLocked(o)
		}
	}
	d.mu.Unlock()
	old()
	select {
	case d.beatNow <- struct{}{}:
	default:
	}
}

// leave deletes this node's record, then the records of its rooms.
func (d *Directory) leave(ctx context.Context) error {
	d.mu.Lock()
	kvNodes, kvRooms := d.kvNodes, d.kvRooms
	type pending struct {
		id      string
		rev     uint64
		written bool
	}
	var rooms []pending
	for _, o := range d.own {
		if !o.lost {
			rooms = append(rooms, pending{o.id, o.rev, o.written || o.inflight})
		}
	}
	d.mu.Unlock()
	var errs []error
	c, cancel := context.WithTimeout(ctx, d.opts.RequestTimeout)
	if err := kvNodes.Purge(c, d.opts.NodeID, jetstream.PurgeTTL(tombstoneTTL)); err != nil {
		errs = append(errs, fmt.Errorf("natsdir: delete node record: %w", err))
	}
	cancel()
	// Every node has unlisted the rooms already; deleting their records
	// only tidies up, and what ctx leaves undone the sweep does later.
	for _, r := range rooms {
		if !r.written {
			continue
		}
		if ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("natsdir: rooms left to the sweep: %w", ctx.Err()))
			break
		}
		c, cancel := context.WithTimeout(ctx, d.opts.RequestTimeout)
		if err := d.purgeRoom(c, kvRooms, r.id, r.rev); err != nil {
			errs = append(errs, fmt.Errorf("natsdir: delete room %s: %w", r.id, err))
		}
		cancel()
	}
	return errors.Join(errs...)
}
