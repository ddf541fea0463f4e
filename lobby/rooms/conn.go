package rooms

import (
	"time"

	"github.com/tickroom/tickroom/netcode"
)

// Conn is a player's connection as its room sees it: the handful of calls
// the room goroutine makes, none of which may block. netcode/session's
// Session is the real one; tests give the room an in-memory Conn.
type Conn interface {
	// Inbox delivers the client's decoded messages; it is closed when the
	// connection has ended.
	Inbox() <-chan netcode.ClientMessage
	// SendFrame queues a frame that must not be skipped (welcome, events,
	// errors); false means the queue overflowed and the connection is
	// closing.
	SendFrame(frame []byte) bool
	// SendSnapshot makes frame the newest snapshot, replacing one not yet
	// written, and returns a spare buffer for the next encode.
	SendSnapshot(tick uint32, frame []byte) (spare []byte)
	// WrittenTick is the tick of the last snapshot written in full: the
	// baseline the next delta may use.
	WrittenTick() uint32
	// Close writes what is queued, then closes with code and reason.
	Close(code netcode.CloseCode, reason string)
	// RTT is the last measured round trip (0 when unknown).
	RTT() time.Duration
	// Kicked reports whether the connection was closed, or is closing,
	// because of what the client sent (malformed input, broken framing,
	// flooding). It must be true before the client can see its close: the
	// room frees a kicked player's seat instead of holding it.
	Kicked() bool
}
