package lobby

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrRoomNotFound is returned for an unknown room id.
var ErrRoomNotFound = errors.New("lobby: room not found")

// RoomInfo is the public description of a room, as the directory lists it.
// Rooms publish a fresh RoomInfo whenever something in it changes; a
// RoomInfo is never modified after it is published.
type RoomInfo struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Mode       string            `json:"mode"`
	MaxPlayers int               `json:"max_players"`
	TickRate   int               `json:"tick_rate"`
	SendRate   int               `json:"send_rate"` // snapshots per second
	Players    int               `json:"players"`   // seated players, reconnecting included
	Reserved   int               `json:"reserved"`  // seats held for joins not yet connected
	Private    bool              `json:"private"`
	Default    bool              `json:"default"`
	Labels     map[string]string `json:"labels,omitempty"`
	State      string            `json:"state"` // "open" or "closed"
	CreatedAt  time.Time         `json:"created_at"`
	Roster     []PlayerInfo      `json:"-"`
}

// PlayerInfo is one seat as presence shows it.
type PlayerInfo struct {
	ID     uint32 `json:"id"`
	Name   string `json:"name"`
	Score  int32  `json:"score"`
	State  string `json:"state"` // "reserved", "playing" or "reconnecting"
	PingMS int64  `json:"ping_ms"`
}

// HasSpace reports whether a join could get a seat now.
func (r *RoomInfo) HasSpace() bool { return r.Players+r.Reserved < r.MaxPlayers }

// Directory lists the rooms of a cluster. The in-memory one serves a single
// node; a clustered one (NATS JetStream KV) can replace it without touching
// rooms.
type Directory interface {
	Put(ctx context.Context, info *RoomInfo) error
	Delete(ctx context.Context, id string) error
	Get(ctx context.Context, id string) (*RoomInfo, error)
	List(ctx context.Context) ([]*RoomInfo, error)
}

// MemoryDirectory is a Directory for one process.
type MemoryDirectory struct {
	mu    sync.Mutex
	rooms map[string]*RoomInfo // guarded by mu
}

// NewMemoryDirectory returns an empty directory.
func NewMemoryDirectory() *MemoryDirectory {
	return &MemoryDirectory{rooms: make(map[string]*RoomInfo)}
}

func (d *MemoryDirectory) Put(_ context.Context, info *RoomInfo) error {
	d.mu.Lock()
	d.rooms[info.ID] = info
	d.mu.Unlock()
	return nil
}

func (d *MemoryDirectory) Delete(_ context.Context, id string) error {
	d.mu.Lock()
	delete(d.rooms, id)
	d.mu.Unlock()
	return nil
}

func (d *MemoryDirectory) Get(_ context.Context, id string) (*RoomInfo, error) {
	d.mu.Lock()
	info, ok := d.rooms[id]
	d.mu.Unlock()
	if !ok {
		return nil, ErrRoomNotFound
	}
	return info, nil
}

// List returns every room, oldest first.
func (d *MemoryDirectory) List(_ context.Context) ([]*RoomInfo, error) {
	d.mu.Lock()
	out := make([]*RoomInfo, 0, len(d.rooms))
	for _, r := range d.rooms {
		out = append(out, r)
	}
	d.mu.Unlock()
	slices.SortFunc(out, func(a, b *RoomInfo) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}
