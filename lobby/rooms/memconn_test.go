package rooms

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/netcode"
)

// neverWrites is the memConn lag of a reader that never takes a snapshot.
const neverWrites = -1

// memConn is an in-memory Conn. The test feeds its inbox; it records every
// frame and snapshot the room hands it. Its WrittenTick is the tick of the
// snapshot handed to it lag snapshots before the newest (lag 0: each is
// written at once; neverWrites: none ever is).
type memConn struct {
	inbox chan netcode.ClientMessage
	lag   int
	rtt   time.Duration

	mu            sync.Mutex
	frames        [][]byte   // SendFrame, in order
	snaps         []sentSnap // SendSnapshot, in order
	inboxClosed   bool
	kicked        bool
	closed        bool // Close was called
	closes        int  // how many times Close was called
	closeCode     netcode.CloseCode
	closeReason   string
	framesAtClose int // len(frames) when Close was first called
}

type sentSnap struct {
	tick  uint32
	frame []byte
	at    time.Time // when the room handed it over
}

var _ Conn = (*memConn)(nil)

func newMemConn(lag int) *memConn {
	return &memConn{inbox: make(chan netcode.ClientMessage, 64), lag: lag}
}

func (c *memConn) Inbox() <-chan netcode.ClientMessage { return c.inbox }

func (c *memConn) SendFrame(frame []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frames = append(c.frames, slices.Clone(frame))
	return true
}

func (c *memConn) SendSnapshot(tick uint32, frame []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.snaps = append(c.snaps, sentSnap{tick: tick, frame: slices.Clone(frame), at: time.Now()})
	// Hand the room its own buffer back, as a session does once the
	// previous one is written: the room must not keep anything in it.
	clear(frame)
	return frame[:0]
}

func (c *memConn) WrittenTick() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lag < 0 || len(c.snaps) <= c.lag {
		return 0
	}
	return c.snaps[len(c.snaps)-1-c.lag].tick
}

func (c *memConn) Close(code netcode.CloseCode, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closes++
	if c.closed {
		return
	}
	c.closed, c.closeCode, c.closeReason, c.framesAtClose = true, code, reason, len(c.frames)
	c.closeInboxLocked()
}

func (c *memConn) RTT() time.Duration { return c.rtt }

func (c *memConn) Kicked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kicked
}

// Kick ends the connection as a session does that refused what its client
// sent: Kicked turns true, then the inbox closes.
func (c *memConn) Kick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.kicked = true
	c.closeInboxLocked()
}

func (c *memConn) closeInboxLocked() {
	if !c.inboxClosed {
		c.inboxClosed = true
		close(c.inbox)
	}
}

// Drop ends the connection from the client's side: the inbox closes, as a
// session's does when its socket goes away.
func (c *memConn) Drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeInboxLocked()
}

// Send queues a client message; it fails the test if the inbox is closed
// or full.
func (c *memConn) Send(t testing.TB, m netcode.ClientMessage) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inboxClosed {
		t.Fatalf("send %v: connection closed", m.Type)
	}
	select {
	case c.inbox <- m:
	default:
		t.Fatalf("send %v: inbox full", m.Type)
	}
}

// Input queues an input message.
func (c *memConn) Input(t testing.TB, in game.Input) {
	t.Helper()
	c.Send(t, netcode.ClientMessage{Type: netcode.MsgInput, Input: in})
}

// Closed reports whether the room closed the connection, and how.
func (c *memConn) Closed() (closed bool, code netcode.CloseCode, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed, c.closeCode, c.closeReason
}

// SnapshotTimes returns when the room handed over each snapshot, by tick.
func (c *memConn) SnapshotTimes() map[uint32]time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[uint32]time.Time, len(c.snaps))
	for _, s := range c.snaps {
		out[s.tick] = s.at
	}
	return out
}

// NumSnapshots is how many snapshots the room has handed over.
func (c *memConn) NumSnapshots() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.snaps)
}

// Snapshots decodes every snapshot handed over, in order.
func (c *memConn) Snapshots(t testing.TB) []netcode.Snapshot {
	t.Helper()
	c.mu.Lock()
	snaps := slices.Clone(c.snaps)
	c.mu.Unlock()
	out := make([]netcode.Snapshot, 0, len(snaps))
	for _, s := range snaps {
		m := decode(t, s.frame)
		if m.Type != netcode.MsgSnapshot {
			t.Fatalf("SendSnapshot got message type %d", m.Type)
		}
		if m.Snapshot.Tick != s.tick {
			t.Fatalf("SendSnapshot(%d) carried a snapshot of tick %d", s.tick, m.Snapshot.Tick)
		}
		out = append(out, m.Snapshot)
	}
	return out
}

// Messages decodes every frame sent with SendFrame, in order.
func (c *memConn) Messages(t testing.TB) []netcode.ServerMessage {
	t.Helper()
	c.mu.Lock()
	frames := slices.Clone(c.frames)
	c.mu.Unlock()
	out := make([]netcode.ServerMessage, 0, len(frames))
	for _, f := range frames {
		out = append(out, decode(t, f))
	}
	return out
}

// Welcome returns the first frame, which must be a welcome.
func (c *memConn) Welcome(t testing.TB) netcode.Welcome {
	t.Helper()
	msgs := c.Messages(t)
	if len(msgs) == 0 || msgs[0].Type != netcode.MsgWelcome {
		t.Fatalf("first frame is not a welcome: %d frames", len(msgs))
	}
	return msgs[0].Welcome
}

// Events returns every event sent, in order.
func (c *memConn) Events(t testing.TB) []game.Event {
	t.Helper()
	var out []game.Event
	for _, m := range c.Messages(t) {
		if m.Type == netcode.MsgEvents {
			out = append(out, m.Events...)
		}
	}
	return out
}

// CheckClosedWith fails t unless the room closed c once, with code, and
// the last frame before the close (and nothing after it) was an error
// message with ec.
func (c *memConn) CheckClosedWith(t testing.TB, code netcode.CloseCode, ec netcode.ErrorCode) {
	t.Helper()
	msgs := c.Messages(t)
	c.mu.Lock()
	closed, closes, got, reason, n := c.closed, c.closes, c.closeCode, c.closeReason, c.framesAtClose
	c.mu.Unlock()
	if !closed || closes != 1 || got != code {
		t.Fatalf("conn closed %v (%d times) with %d %q, want %d", closed, closes, got, reason, code)
	}
	if n != len(msgs) {
		t.Fatalf("%d frames sent after the close", len(msgs)-n)
	}
	if n == 0 || msgs[n-1].Type != netcode.MsgError || msgs[n-1].Error.Code != ec {
		t.Fatalf("last frame before the close is not an error %d: %+v", ec, msgs[max(n-1, 0)])
	}
}

// States applies every snapshot in order to a fresh Baselines decoding
// with nothing but the welcome's schema, as a client that read them all
// would, and returns the full state at each.
func (c *memConn) States(t testing.TB) [][]game.Entity {
	t.Helper()
	codec, err := netcode.NewCodec(c.Welcome(t).Schema)
	if err != nil {
		t.Fatalf("the welcome's schema: %v", err)
	}
	var b netcode.Baselines
	b.Reset(codec)
	var out [][]game.Entity
	for _, s := range c.Snapshots(t) {
		ents, err := b.Apply(&s)
		if err != nil {
			t.Fatalf("snapshot %d (base %d): %v", s.Tick, s.BaseTick, err)
		}
		out = append(out, slices.Clone(ents))
	}
	return out
}

func decode(t testing.TB, frame []byte) netcode.ServerMessage {
	t.Helper()
	var m netcode.ServerMessage
	if err := netcode.DecodeServer(frame, &m); err != nil {
		t.Fatalf("decode server frame: %v", err)
	}
	return m
}

func findEntity(ents []game.Entity, id uint32) (game.Entity, bool) {
	i, ok := slices.BinarySearchFunc(ents, id, func(e game.Entity, id uint32) int { return int(e.ID) - int(id) })
	if !ok {
		return game.Entity{}, false
	}
	return ents[i], true
}
