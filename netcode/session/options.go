package session

import (
	"time"

	"github.com/tickroom/tickroom/netcode"
)

// Options configures a Session. Codec is required; the other fields'
// zero values take the defaults noted.
type Options struct {
	// ReadLimit caps one client message in bytes. Default
	// netcode.MaxFrameBytes; a frame or message whose header declares more
	// closes the connection with 1009 as soon as the header is read (with
	// Accept; a Session from New finds out when the payload comes).
	ReadLimit int64
	// WriteTimeout bounds one frame write; a client that does not take a
	// frame within it is closed. Default 5s.
	WriteTimeout time.Duration
	// InboxSize bounds the client messages waiting for the room. Default 8
	// (the room drains it every tick); what does not fit is dropped and
	// counted.
	InboxSize int
	// MaxPendingFrames bounds the reliable frames (events, welcome, errors)
	// waiting to be written. Default 256; overflowing it closes the session.
	MaxPendingFrames int
	// Clock answers pings with the room's tick and clock (ms). Nil answers
	// with zeros.
	Clock func() (tick uint32, serverMs float64)
	// Keepalive pings the session to detect dead peers and measure RTT;
	// nil disables it.
	Keepalive *Keepalive
	// Codec decodes the client's frames: inputs by the room's game schema,
	// each field checked against its range. Required: New panics without
	// it, Accept refuses the upgrade (ErrNoCodec).
	Codec *netcode.Codec
	// Admit, when set, is asked before each decoded message is handled;
	// false drops it (rate limiting; the caller counts it). A non-nil error
	// closes the session with 1008 and the error as the reason, after an
	// Error message (CodeRateLimited when the error wraps
	// netcode.ErrRateLimited, else CodeBadMessage), and makes it Kicked.
	Admit func(m netcode.ClientMessage) (bool, error)
	// Poller, when set, takes over the socket of a session whose client
	// has gone quiet, so that it parks no goroutine (see Accept,
	// which such sessions need). Nil: each session keeps a reader
	// goroutine parked for its whole life.
	Poller *Poller
	// IdleAfter is how long a client that was sending steadily must be
	// silent (between half of it and all of it) before its session is
	// handed to the Poller. Default 250ms. A client whose frames come
	// further apart than that (a ping a second) is handed back after each.
	IdleAfter time.Duration
}

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.ReadLimit <= 0 {
		c.ReadLimit = netcode.MaxFrameBytes
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 5 * time.Second
	}
	if c.InboxSize <= 0 {
		c.InboxSize = 8
	}
	if c.MaxPendingFrames <= 0 {
		c.MaxPendingFrames = 256
	}
	if c.IdleAfter <= 0 {
		c.IdleAfter = 250 * time.Millisecond
	}
	return c
}
