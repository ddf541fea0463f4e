package session

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// errIdle is what a pollConn read returns, at a frame boundary, when the
// client has gone quiet: coder/websocket hands it back from Reader without
// touching its state (nothing of a frame was consumed), and the session
// parks the connection on its Poller instead of a goroutine.
var errIdle = errors.New("session: connection idle")

var errPollerStopped = errors.New("session: poller stopped")

// pollConn is the TCP connection under a session's coder/websocket Conn.
// It yields the bytes read before the upgrade first, and it is how a quiet
// session gives up its reader goroutine.
//
// A read is in one of two modes:
//   - probe (after waking from the Poller): at a frame boundary, one
//     non-blocking read; nothing there means errIdle, so a client that
//     sends a frame now and then (a ping a second) costs a goroutine only
//     while that frame is handled. Between frames the session asks quiet
//     (a peek) first, so the usual way back to the Poller does not go
//     through coder/websocket at all.
//   - active (two frames within idleAfter: a client that is playing): a
//     normal blocking read under a read deadline that data frames push
//     back to idleAfter ahead whenever it is less than idleAfter/2 away
//     (so it costs no syscall and no wake-up per frame). When it passes,
//     the client has sent no data frame for idleAfter/2 to idleAfter; at a
//     frame boundary, that means errIdle.
//
// Mid-frame, reads always block: a frame is never left half-read.
type pollConn struct {
	net.Conn
	raw       syscall.RawConn // nil when the connection has no descriptor to poll
	br        *bufio.Reader   // coder/websocket's reader over this conn
	prefix    []byte          // bytes read off the socket before the upgrade finished
	idleAfter time.Duration   // 0: never idle (no Poller)
	slot      int32           // the Poller's slot, -1 when unregistered; guarded by the Poller's mu
	onClose   func()          // wakes a parked session, which then sees the close

	// check follows the client's frame headers; broken is what it refused,
	// if anything: every read from then on fails with it. check is used by
	// whoever reads (the reader, or a close handshake holding the
	// library's read lock); broken is read by the session when reads end.
	check  frameCheck
	broken atomic.Pointer[CloseError]

	// mu orders boundary checks, made between messages outside
	// coder/websocket's read lock, before a close handshake's own reads.
	mu      sync.Mutex
	closing atomic.Bool // a close handshake has begun: never idle again; set under mu

	boundary atomic.Bool // the next byte off the socket starts a frame
	probe    atomic.Bool // at a boundary, do not wait

	// used only by the session's reader goroutine (a close handshake,
	// which may read concurrently, sets closing first and leaves them alone)
	deadline time.Time // the read deadline in active mode
	lastData time.Time // when the last data frame arrived in probe mode
	woke     bool      // set by wake before it starts the reader: the first probe may skip its peek

	// The descriptor callbacks and what they read and return: made once, so
	// that a wake-up allocates nothing. Used by the reader goroutine only.
	readFn, peekFn func(fd uintptr)
	ioBuf          []byte
	ioN            int
	ioErr          error
	peekBuf        [1]byte
}

func (c *pollConn) initFns() {
	c.readFn, c.peekFn = c.readFd, c.peekFd
}

// Read yields the client's bytes up to the first broken frame header, and
// from then on the CloseError that says what is wrong with it.
func (c *pollConn) Read(p []byte) (int, error) {
	if ce := c.broken.Load(); ce != nil {
		return 0, ce
	}
	n, err := c.read(p)
	if n > 0 {
		if ok, ce := c.check.feed(p[:n]); ce != nil {
			c.broken.Store(ce)
			if ok == 0 {
				return 0, ce
			}
			return ok, nil
		}
	}
	return n, err
}

func (c *pollConn) read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		c.gotBytes()
		return n, nil
	}
	if c.boundary.Load() && c.probe.Load() {
		return c.tryRead(p)
	}
	for {
		n, err := c.Conn.Read(p)
		if n > 0 {
			c.gotBytes()
			return n, err
		}
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		if c.closing.Load() {
			c.Conn.SetReadDeadline(time.Time{})
			continue
		}
		if c.boundary.Load() {
			// Silent for at least idleAfter/2: dataFrame would have
			// pushed the deadline back otherwise.
			return 0, errIdle
		}
		c.renew(time.Now()) // mid-frame: wait for the rest
	}
}

func (c *pollConn) renew(now time.Time) {
	c.deadline = now.Add(c.idleAfter)
	c.Conn.SetReadDeadline(c.deadline)
}

func (c *pollConn) gotBytes() { c.boundary.Store(false) }

// tryRead reads what is there without waiting; nothing there means errIdle.
func (c *pollConn) tryRead(p []byte) (int, error) {
	c.ioBuf = p
	err := c.raw.Control(c.readFn)
	c.ioBuf = nil
	n, rerr := c.ioN, c.ioErr
	switch {
	case err != nil:
		return 0, err
	case wouldBlock(rerr):
		return 0, errIdle
	case rerr != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError("read", rerr)}
	case n == 0:
		return 0, io.EOF
	}
	c.gotBytes()
	return n, nil
}

// quiet reports, between frames in probe mode, that nothing has arrived,
// so the session can park without asking coder/websocket for a frame
// (whose way of saying "nothing yet" is an error wrapped three times).
// It only peeks; errors are left for the next read to find.
func (c *pollConn) quiet() bool {
	if c.woke {
		c.woke = false
		return false
	}
	if c.idleAfter == 0 || len(c.prefix) > 0 || !c.boundary.Load() || !c.probe.Load() {
		return false // bytes from before the upgrade are not on the socket
	}
	if c.broken.Load() != nil {
		return false // the next read reports it; the socket may hold nothing more
	}
	if err := c.raw.Control(c.peekFn); err != nil {
		return false
	}
	return wouldBlock(c.ioErr)
}

// markBoundary records, between frames, whether the next byte off the
// socket starts one: true unless coder/websocket has bytes buffered (a
// frame, or part of one, already read). Called by the goroutine that
// reads, or from inside a control frame's callback.
func (c *pollConn) markBoundary() {
	if c.idleAfter == 0 {
		return
	}
	c.mu.Lock()
	if !c.closing.Load() {
		c.boundary.Store(c.br.Buffered() == 0)
	}
	c.mu.Unlock()
}

// dataFrame is told of each data frame. In probe mode, a second one within
// idleAfter switches to active mode: the client is playing. In active
// mode it pushes the deadline back.
func (c *pollConn) dataFrame() {
	if c.idleAfter == 0 || c.closing.Load() {
		return
	}
	now := time.Now()
	if !c.probe.Load() {
		if c.deadline.Sub(now) < c.idleAfter/2 {
			c.renew(now)
		}
		return
	}
	if !c.lastData.IsZero() && now.Sub(c.lastData) < c.idleAfter {
		c.probe.Store(false)
		c.renew(now)
	}
	c.lastData = now
}

// parked resets the read mode for the next wake-up: probe, no deadline.
func (c *pollConn) parked() {
	c.Conn.SetReadDeadline(time.Time{})
	c.probe.Store(true)
}

// stopIdling makes every later read block: a close handshake is reading
// for the peer's close frame, and must neither idle nor race the
// session's boundary checks.
func (c *pollConn) stopIdling() {
	if c.idleAfter == 0 {
		return
	}
	c.mu.Lock()
	c.closing.Store(true)
	c.boundary.Store(false)
	c.mu.Unlock()
	c.Conn.SetReadDeadline(time.Time{})
}

func (c *pollConn) Close() error {
	err := c.Conn.Close()
	if c.onClose != nil {
		c.onClose()
	}
	return err
}
