package directory

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"sync"
)

// Change is one entry of the room feed.
type Change struct {
	Version Version `json:"version"`
	Type    string  `json:"type"` // room.created, room.updated, room.closed
	Room    *Room   `json:"room"`
}

// Version is a point in a Feed: the feed's epoch, which a new feed (a new
// process) draws afresh, and the number of changes made in it. Clients see
// it as an opaque string, "epoch-n", and hand it back to resume; one from
// another epoch can only be answered with the whole list, since the rooms
// it counted are gone.
type Version struct {
	Epoch string
	N     uint64
}

// String is the version as clients see it: SSE event ids, list versions.
func (v Version) String() string { return v.Epoch + "-" + strconv.FormatUint(v.N, 10) }

// ErrBadVersion is returned for a string that no feed could have made.
var ErrBadVersion = errors.New("directory: not a feed version")

// ParseVersion parses what Version.String made. A bare number (what
// servers sent before versions had epochs) is a version of the empty
// epoch, which no feed has: resuming from it gets the whole list.
func ParseVersion(s string) (Version, error) {
	epoch, n := "", s
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		epoch, n = s[:i], s[i+1:]
		if epoch == "" || strings.Trim(epoch, "0123456789abcdefghijklmnopqrstuvwxyz") != "" {
			return Version{}, ErrBadVersion
		}
	}
	v, err := strconv.ParseUint(n, 10, 64)
	if err != nil {
		return Version{}, ErrBadVersion
	}
	return Version{Epoch: epoch, N: v}, nil
}

// feedLen is how many changes the feed keeps for resuming watchers.
const feedLen = 1024

// Feed numbers every change to the room list so watchers (SSE, long-poll)
// can resume from a version and wait for the next change.
type Feed struct {
	epoch string // static

	mu      sync.Mutex
	version uint64              // guarded by mu
	ring    [feedLen]Change     // guarded by mu
	known   map[string]struct{} // rooms announced as created; guarded by mu
	wake    chan struct{}       // closed and replaced on each change; guarded by mu
}

// NewFeed returns an empty feed with a random epoch of its own.
func NewFeed() *Feed {
	var b [8]byte
	rand.Read(b[:])
	// 52 random bits: two feeds sharing an epoch by chance is not a worry.
	epoch := strconv.FormatUint(binary.LittleEndian.Uint64(b[:])>>12, 36)
	return &Feed{epoch: epoch, known: make(map[string]struct{}), wake: make(chan struct{})}
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
	f.ring[f.version%feedLen] = Change{Version: Version{f.epoch, f.version}, Type: typ, Room: room}
	close(f.wake)
	f.wake = make(chan struct{})
}

// Since returns the changes after v, the current version, and a channel
// closed at the next change. complete is false when the feed cannot say
// what changed after v: v is of another epoch (another process), ahead of
// the feed, or so old that its changes have been dropped.
func (f *Feed) Since(v Version) (changes []Change, current Version, wake <-chan struct{}, complete bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	current = Version{f.epoch, f.version}
	if v.Epoch != f.epoch || v.N > f.version || v.N+feedLen < f.version {
		return nil, current, f.wake, false
	}
	for x := v.N + 1; x <= f.version; x++ {
		changes = append(changes, f.ring[x%feedLen])
	}
	return changes, current, f.wake, true
}

// Version returns the version of the newest change.
func (f *Feed) Version() Version {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Version{f.epoch, f.version}
}
