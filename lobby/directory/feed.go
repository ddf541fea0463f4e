package directory

import "sync"

// Change is one entry of the room feed.
type Change struct {
	Version uint64 `json:"version"`
	Type    string `json:"type"` // room.created, room.updated, room.closed
	Room    *Room  `json:"room"`
}

// feedLen is how many changes the feed keeps for resuming watchers.
const feedLen = 1024

// Feed numbers every change to the room list so watchers (SSE, long-poll)
// can resume from a version and wait for the next change.
type Feed struct {
	mu      sync.Mutex
	version uint64              // guarded by mu
	ring    [feedLen]Change     // guarded by mu
	known   map[string]struct{} // rooms announced as created; guarded by mu
	wake    chan struct{}       // closed and replaced on each change; guarded by mu
}

// NewFeed returns an empty feed.
func NewFeed() *Feed {
	return &Feed{known: make(map[string]struct{}), wake: make(chan struct{})}
}

// Publish records room's new state: created the first time an open room is
// seen, closed when its State says so, updated otherwise.
func (f *Feed) Publish(room *Room) {
	f.mu.Lock()
	defer f.mu.Unlock()
	typ := "room.updated"
	if room.State == StateClosed {
		typ = "room.closed"
		delete(f.known, room.ID)
	} else if _, ok := f.known[room.ID]; !ok {
		typ = "room.created"
		f.known[room.ID] = struct{}{}
	}
	f.version++
	f.ring[f.version%feedLen] = Change{Version: f.version, Type: typ, Room: room}
	close(f.wake)
	f.wake = make(chan struct{})
}

// Since returns the changes after version v, the current version, and a
// channel closed at the next change. complete is false when changes after
// v have already been dropped from the feed.
func (f *Feed) Since(v uint64) (changes []Change, current uint64, wake <-chan struct{}, complete bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	complete = v+feedLen > f.version || v >= f.version
	first := v + 1
	if !complete {
		first = f.version - feedLen + 1
	}
	for x := first; x <= f.version; x++ {
		changes = append(changes, f.ring[x%feedLen])
	}
	return changes, f.version, f.wake, complete
}

// Version returns the version of the newest change.
func (f *Feed) Version() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.version
}
