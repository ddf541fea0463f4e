// Package directory is the room directory: the record each room publishes
// about itself ([Room], with its [Player]s), the [Directory] seam that lists
// the rooms of a node or a cluster, and the [Feed] of changes that event
// streams and long-polls follow. The room runtime writes records; the HTTP
// API and the Go SDK read them in the same shape.
package directory

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is returned for an unknown room id.
var ErrNotFound = errors.New("directory: room not found")

// ErrExists is returned by a Claimer when another room has the id.
var ErrExists = errors.New("directory: room id already taken")

// Room states.
const (
	StateOpen   = "open"
	StateClosed = "closed"
)

// Room is the public description of a room, as the directory lists it.
// Rooms publish a fresh Room whenever something in it changes; a Room is
// never modified after it is published.
type Room struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Game       string            `json:"game"`
	Mode       string            `json:"mode"`
	MaxPlayers int               `json:"max_players"`
	TickRate   int               `json:"tick_rate"`
	SendRate   int               `json:"send_rate"` // snapshots per second
	Players    int               `json:"players"`   // seated players, reconnecting included
	Reserved   int               `json:"reserved"`  // seats held for joins not yet connected
	Private    bool              `json:"private"`
	Default    bool              `json:"default"`
	Labels     map[string]string `json:"labels,omitempty"`
	State      string            `json:"state"` // StateOpen or StateClosed
	CreatedAt  time.Time         `json:"created_at"`
	// Node is the id of the cluster node that runs the room, set by a
	// clustered directory; empty (and absent from JSON) on a single node.
	Node   string   `json:"node,omitempty"`
	Roster []Player `json:"-"`
}

// Player is one seat as presence shows it.
type Player struct {
	ID    uint32 `json:"id"`
	Name  string `json:"name"`
	Score int32  `json:"score"`
	State string `json:"state"` // "reserved", "playing" or "reconnecting"
	// PingMS is the last measured round trip in ms, to the microsecond
	// (0.25 on a LAN); nil (JSON null) until one is measured and while
	// reconnecting.
	PingMS *float64 `json:"ping_ms"`
}

// HasSpace reports whether a join could get a seat now.
func (r *Room) HasSpace() bool { return r.Players+r.Reserved < r.MaxPlayers }

// Closed returns the record of r once it has closed: no players, no seats.
func (r *Room) Closed() *Room {
	c := *r
	c.State = StateClosed
	c.Players, c.Reserved, c.Roster = 0, 0, nil
	return &c
}

// Directory lists the rooms of a cluster. The in-memory one serves a single
// node; a clustered one can replace it without touching rooms. Every Put
// and Delete shows up in Feed, in order.
type Directory interface {
	Put(ctx context.Context, room *Room) error
	Delete(ctx context.Context, id string) error
	Get(ctx context.Context, id string) (*Room, error)
	List(ctx context.Context) ([]*Room, error)
	Feed() *Feed
}

// Claimer is a Directory that can claim a room id atomically across every
// node that shares it (natsdir's Create). The room runtime claims a
// caller-chosen id through it before the room starts, so two nodes asked
// to create one id (a retry after a timeout, sent to another node) cannot
// both run it: the second gets ErrExists. A Put of the room after Create
// only updates it.
type Claimer interface {
	Create(ctx context.Context, room *Room) error
}

// Memory is a Directory for one process.
type Memory struct {
	feed *Feed // static

	mu    sync.Mutex
	rooms map[string]*Room // guarded by mu
}

// NewMemory returns an empty directory.
func NewMemory() *Memory {
	return &Memory{feed: NewFeed(), rooms: make(map[string]*Room)}
}

// Feed returns the changes to the directory.
func (d *Memory) Feed() *Feed { return d.feed }

// Put adds or replaces a room.
func (d *Memory) Put(_ context.Context, room *Room) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rooms[room.ID] = room
	d.feed.Publish(room)
	return nil
}

// Delete removes a room; the feed reports it closed.
func (d *Memory) Delete(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	room, ok := d.rooms[id]
	if !ok {
		return ErrNotFound
	}
	delete(d.rooms, id)
	d.feed.Publish(room.Closed())
	return nil
}

// Get returns a room.
func (d *Memory) Get(_ context.Context, id string) (*Room, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	room, ok := d.rooms[id]
	if !ok {
		return nil, ErrNotFound
	}
	return room, nil
}

// List returns every room, oldest first.
func (d *Memory) List(_ context.Context) ([]*Room, error) {
	d.mu.Lock()
	out := make([]*Room, 0, len(d.rooms))
	for _, r := range d.rooms {
		out = append(out, r)
	}
	d.mu.Unlock()
	SortOldestFirst(out)
	return out, nil
}

// SortOldestFirst sorts rooms by creation time, then id.
func SortOldestFirst(rooms []*Room) {
	slices.SortFunc(rooms, func(a, b *Room) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
