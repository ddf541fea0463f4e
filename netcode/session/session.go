package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/netcode"
)

// CloseError is how a Session ended: the close code sent (or received) and
// its reason.
type CloseError struct {
	Code   netcode.CloseCode
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("session: closed: %d %s", int(e.Code), e.Reason)
}

// Session is the server side of one client connection. A reader goroutine
// exists while the client is sending; with a Poller it exits when the
// client goes quiet and the Poller starts another when bytes arrive.
// Writes happen on a flush goroutine that exists only while there is
// something to write. So an idle connection can pin no goroutine at all.
// The room talks to a session only through Inbox, SendSnapshot, SendFrame
// and Close, none of which block.
type Session struct {
	// static after construction (pc, readCtx, onEnd and stop: after Start)
	conn    *websocket.Conn
	pc      *pollConn // nil unless made by Accept
	opts    Options
	inbox   chan netcode.ClientMessage
	done    chan struct{} // closed when the session has ended
	flushed chan struct{} // closed when writing has stopped for good
	stall   *time.Timer   // cuts a stuck write; used by the one running flush
	flushFn func()        // s.flush, made once: a go statement with a bound method allocates each time
	serveFn func()        // s.serve, likewise
	readCtx context.Context
	onEnd   func(*CloseError)
	stop    func() bool // stops the shutdown hook on the Start context

	reading atomic.Int32 // readRunning, readParked or readNotStarted

	// guarded by mu; handed between the room and the flush goroutine
	mu          sync.Mutex
	frames      [][]byte // reliable frames in order
	spareFrames [][]byte // the other frames slice, reused
	snap        []byte   // newest snapshot not yet written
	snapTick    uint32
	spare       []byte // a written snapshot buffer for the room to reuse
	closeWith   *CloseError
	cut         *time.Timer // cuts the connection of an unresponsive peer (abort)
	writing     bool        // a flush goroutine is running
	stopped     bool        // writing is over: closed, or the connection failed
	closeOnce   sync.Once

	// atomics, read by the room
	writtenTick atomic.Uint32 // tick of the last snapshot fully written
	dropped     atomic.Uint64 // client messages dropped (inbox full or not admitted)
	bytesOut    atomic.Uint64
	bytesIn     atomic.Uint64
	rtt         atomic.Int64 // last keepalive round trip, ns
	end         atomic.Pointer[CloseError]
	kicked      atomic.Bool // closed for what the client sent; set before the close frame is queued
}

// New wraps an accepted connection. Call Run to serve it.
func New(conn *websocket.Conn, opts *Options) *Session {
	o := opts.withDefaults()
	if o.Codec == nil {
		panic("session: Options.Codec is required: it decodes the room's inputs")
	}
	conn.SetReadLimit(o.ReadLimit)
	s := &Session{
		conn:    conn,
		opts:    o,
		inbox:   make(chan netcode.ClientMessage, o.InboxSize),
		done:    make(chan struct{}),
		flushed: make(chan struct{}),
	}
	s.flushFn, s.serveFn = s.flush, s.serve
	s.stall = time.AfterFunc(time.Hour, s.cutConn)
	s.stall.Stop()
	return s
}

// Inbox delivers the client's decoded messages (not pings, which the
// session answers itself). It is closed when the session ends.
func (s *Session) Inbox() <-chan netcode.ClientMessage { return s.inbox }

// Done is closed when Run has returned.
func (s *Session) Done() <-chan struct{} { return s.done }

// WrittenTick is the tick of the last snapshot written in full: the baseline
// the next delta may use.
func (s *Session) WrittenTick() uint32 { return s.writtenTick.Load() }

// Dropped counts client messages dropped so far.
func (s *Session) Dropped() uint64 { return s.dropped.Load() }

// Bytes returns the payload bytes read and written so far.
func (s *Session) Bytes() (in, out uint64) { return s.bytesIn.Load(), s.bytesOut.Load() }

// RTT is the round trip of the last keepalive ping (0 before the first).
func (s *Session) RTT() time.Duration { return time.Duration(s.rtt.Load()) }

// Err reports how the session ended, once Done is closed.
func (s *Session) Err() *CloseError { return s.end.Load() }

// Kicked reports whether the session closed, or is closing, because of
// what the client sent: a malformed message, a text frame, broken
// WebSocket framing, a frame over ReadLimit, or a message Admit refused
// with an error (flooding). It is true before the close frame is written,
// so a client that has seen its close cannot find it false.
func (s *Session) Kicked() bool { return s.kicked.Load() }

// SendSnapshot makes frame the newest snapshot to write, replacing one not
// yet written: a slow reader gets the newest snapshot, never a backlog. The
// session takes frame; the returned buffer (possibly nil) is free for the
// caller's next encode.
func (s *Session) SendSnapshot(tick uint32, frame []byte) (spare []byte) {
	s.mu.Lock()
	if s.snap != nil {
		spare = s.snap
	} else {
		spare, s.spare = s.spare, nil
	}
	s.snap, s.snapTick = frame, tick
	s.mu.Unlock()
	s.poke()
	return spare[:0]
}

// SendFrame queues a frame that must not be skipped (welcome, events,
// errors). It reports false, and closes the session as too slow, when the
// queue is full. The session takes frame.
func (s *Session) SendFrame(frame []byte) bool {
	s.mu.Lock()
	full := len(s.frames) >= s.opts.MaxPendingFrames
	if !full {
		s.frames = append(s.frames, frame)
	}
	s.mu.Unlock()
	if full {
		s.refuse(netcode.ClosePolicyViolation, netcode.CodeTooSlow, "too slow: event queue overflow", false)
		return false
	}
	s.poke()
	return true
}

// Close asks the writer to finish what is queued and close with code and
// reason. It does not block. If the client is not reading, the connection is
// cut after WriteTimeout.
func (s *Session) Close(code netcode.CloseCode, reason string) {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closeWith = &CloseError{Code: code, Reason: reason}
		s.mu.Unlock()
		s.poke()
	})
}

// refuse closes the session, as Close does, after an Error message with ec
// and reason: the message goes after what is queued even when the queue is
// full. kick marks the session Kicked first. It does nothing if the session
// is already closing.
func (s *Session) refuse(code netcode.CloseCode, ec netcode.ErrorCode, reason string, kick bool) {
	s.closeOnce.Do(func() {
		if kick {
			s.kicked.Store(true)
		}
		frame := netcode.AppendError(nil, netcode.Error{Code: ec, Message: reason})
		s.mu.Lock()
		s.frames = append(s.frames, frame)
		s.closeWith = &CloseError{Code: code, Reason: reason}
		s.mu.Unlock()
		s.poke()
	})
}

// abort closes a session whose peer stopped answering: an Error message
// and a close frame go out if the socket takes them within d, and then the
// connection is cut without waiting for the peer's close frame (a dead
// peer would hold the session for coder/websocket's 5 s, a peer that is
// not reading for as long as its buffers take frames).
func (s *Session) abort(code netcode.CloseCode, ec netcode.ErrorCode, reason string, d time.Duration) {
	s.refuse(code, ec, reason, false)
	s.mu.Lock()
	if s.cut == nil {
		s.cut = time.AfterFunc(d, s.cutConn)
	}
	s.mu.Unlock()
}

// cutConn ends the connection at once, whatever the session is doing. It
// closes the socket under coder/websocket: the library's CloseNow does
// nothing while its Close is under way (writing a close frame to a peer
// that does not read, or waiting for the peer's close frame).
func (s *Session) cutConn() {
	if s.pc != nil {
		s.pc.Close()
		return
	}
	s.conn.CloseNow()
}

// poke starts a flush unless one is running; a running flush picks up what
// was queued before it exits.
func (s *Session) poke() {
	s.mu.Lock()
	start := !s.writing && !s.stopped
	s.writing = s.writing || start
	s.mu.Unlock()
	if start {
		go s.flushFn()
	}
}

const (
	readNotStarted = iota
	readRunning
	readParked
)

// Run serves the session until the connection ends. When ctx is done the
// session closes with 1001 after writing what is queued. Run returns only
// after the last write.
func (s *Session) Run(ctx context.Context) *CloseError {
	s.Start(ctx, nil)
	<-s.done
	return s.Err()
}

// Start serves the session on goroutines of its own and returns at once.
// When the connection has ended and the last write is done, Done is closed
// and then onEnd (if not nil) is called with how it ended. When ctx is
// done the session closes with 1001 after writing what is queued.
func (s *Session) Start(ctx context.Context, onEnd func(*CloseError)) {
	s.onEnd = onEnd
	// Reads must not end with ctx: cancelling a read cuts the connection
	// before the writer can send the close reason.
	s.readCtx = context.WithoutCancel(ctx)
	s.stop = context.AfterFunc(ctx, func() { s.Close(netcode.CloseGoingAway, "server shutting down") })
	if k := s.opts.Keepalive; k != nil {
		k.add(s)
	}
	if s.parkable() {
		s.pc.parked() // the first read probes: a client says nothing until it plays
	}
	s.reading.Store(readRunning)
	go s.serveFn()
}

func (s *Session) parkable() bool { return s.pc != nil && s.pc.idleAfter > 0 }

// serve reads until the client goes quiet (and the session parks on the
// Poller) or the connection ends.
func (s *Session) serve() {
	for {
		err := s.readLoop(s.readCtx)
		if !errors.Is(err, errIdle) {
			s.endRead(err)
			return
		}
		if s.park() {
			return
		}
	}
}

// park hands the socket to the Poller and reports whether this goroutine
// may return. If the Poller cannot take it, reads go on blocking here.
func (s *Session) park() bool {
	s.pc.parked()
	s.opts.Poller.parked.Add(1)
	s.reading.Store(readParked)
	if err := s.opts.Poller.arm(s); err != nil {
		if !s.reading.CompareAndSwap(readParked, readRunning) {
			return true // a close woke the session meanwhile; that reader goes on
		}
		s.opts.Poller.parked.Add(-1)
		s.pc.stopIdling()
		return false
	}
	return true
}

// wake starts a reader for a parked session: bytes arrived, or the
// connection was closed.
func (s *Session) wake() {
	if s.reading.CompareAndSwap(readParked, readRunning) {
		s.opts.Poller.parked.Add(-1)
		s.pc.woke = true
		go s.serveFn()
	}
}

// endRead runs once, on the last reader, when the connection has ended.
func (s *Session) endRead(err error) {
	s.finish(err)
	<-s.flushed
	s.stall.Stop()
	s.mu.Lock()
	if s.cut != nil {
		s.cut.Stop()
	}
	s.mu.Unlock()
	s.stop()
	if k := s.opts.Keepalive; k != nil {
		k.remove(s)
	}
	if s.parkable() {
		s.opts.Poller.remove(s)
	}
	close(s.inbox)
	close(s.done)
	if s.onEnd != nil {
		s.onEnd(s.Err())
	}
}

func (s *Session) finish(err error) {
	r := s.refusalOf(err)
	if r != nil {
		s.refuse(r.Code, r.ErrorCode, r.Reason, true)
	} else {
		s.Close(netcode.CloseNormal, "")
	}
	s.mu.Lock()
	ce := s.closeWith
	s.mu.Unlock()
	if r == nil && ce.Code == netcode.CloseNormal {
		// The peer ended it (or the network did): report what it said.
		ce = &CloseError{Code: netcode.CloseAbnormal, Reason: err.Error()}
		if code := websocket.CloseStatus(err); code != -1 {
			ce.Code = netcode.CloseCode(code)
		}
	}
	s.end.Store(ce)
}

// refusal ends a session for what the client sent: the close code and
// reason, and the Error message's code that goes before the close.
type refusal struct {
	CloseError
	ErrorCode netcode.ErrorCode
}

func (r *refusal) Error() string { return r.CloseError.Error() }

// refusalOf says whether err, which ended the reads, is the client's fault:
// a message the session refused, a frame header pollConn refused, or a
// message over the read limit (which coder/websocket has already answered
// with 1009). Anything else is the connection ending.
func (s *Session) refusalOf(err error) *refusal {
	var r *refusal
	switch {
	case errors.As(err, &r):
		return r
	case s.pc != nil && s.pc.broken.Load() != nil:
		return &refusal{*s.pc.broken.Load(), netcode.CodeBadMessage}
	case errors.Is(err, websocket.ErrMessageTooBig):
		return &refusal{CloseError{netcode.CloseMessageTooBig, fmt.Sprintf("message over the %d-byte limit", s.opts.ReadLimit)}, netcode.CodeBadMessage}
	}
	return nil
}
