package session

// Contract tests: what the session (and above all the Poller) assumes of
// coder/websocket that the library does not document or promise, checked
// against the version in go.mod. They test the assumptions themselves, on
// real loopback sockets, with a raw client that decides which bytes are on
// the socket when:
//
//	(A) coder/websocket reads frames only through the bufio.Reader our
//	    Hijack returns (pc.br), and a message read to its end leaves the
//	    next frame there untouched: pc.br.Buffered() == 0 means "between
//	    frames" (markBoundary).
//	(B) a read error (errIdle) at a frame boundary comes back from
//	    Conn.Reader wrapped, and leaves the Conn fully usable: the next
//	    Reader reads the next frame whole, and writes still work.
//	(C) bytes the client sends in the same packet as its upgrade request
//	    (net/http has buffered them before the hijack) reach the session
//	    as frames: pollConn.prefix replays them.
//
// If one of these fails after a coder/websocket upgrade, the Poller (or, for
// C, the handshake replay in accept.go) is unsafe with that version: its
// failure message says which assumption broke and what depends on it.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/nettest"
)

const (
	assumeA = "(A) coder/websocket reads frames only through the bufio.Reader our Hijack returns (pc.br), " +
		"so pc.br.Buffered()==0 after a message means \"between frames\". " +
		"The Poller is unsafe with this coder/websocket version: a session could park with a frame " +
		"buffered where markBoundary cannot see it, and its input would stall silently " +
		"(see pollConn.markBoundary, hijacker.Hijack)"
	assumeB = "(B) a read error (errIdle) at a frame boundary comes back from Conn.Reader wrapped, " +
		"consumes nothing, and leaves the Conn usable for the next Reader and for writes. " +
		"The Poller is unsafe with this coder/websocket version: parking a quiet session " +
		"would break or corrupt its connection (see errIdle, Session.serve, pollConn.Read)"
	assumeC = "(C) bytes sent in the same packet as the upgrade request reach the session as frames. " +
		"The handshake replay (pollConn.prefix, hijacker.Hijack in accept.go) is unsafe with this " +
		"coder/websocket version: a client's first frames would be lost or stall"
)

// broken prefixes a failure with the assumption it breaks.
func broken(assumption, format string, args ...any) string {
	return fmt.Sprintf("coder/websocket %s breaks contract %s:\n"+format, append([]any{websocketVersion(), assumption}, args...)...)
}

// websocketVersion is the coder/websocket under test, from where its
// source was compiled (test binaries carry no module list): a module cache
// path names the version, a replace directive's directory is shown as is.
func websocketVersion() string {
	f := runtime.FuncForPC(reflect.ValueOf(websocket.Accept).Pointer())
	file, _ := f.FileLine(f.Entry())
	const mod = "github.com/coder/websocket@"
	if i := strings.Index(file, mod); i >= 0 {
		v, _, _ := strings.Cut(file[i+len(mod):], "/")
		return v
	}
	return "(from " + filepath.Dir(file) + ")"
}

// tapConn sits under a session's pollConn, between it and the socket. It
// counts the bytes read off the socket, and when armed fails the next read
// with errIdle without touching the socket: what pollConn does at a frame
// boundary when the client is quiet.
type tapConn struct {
	net.Conn
	read atomic.Int64
	idle atomic.Bool
}

func (c *tapConn) Read(p []byte) (int, error) {
	if c.idle.CompareAndSwap(true, false) {
		return 0, errIdle
	}
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// contractConn is a session made by Accept but not started: the test reads
// and writes through its websocket.Conn itself, on its own goroutine, so it
// decides when each read happens and can look at pc.br between reads.
type contractConn struct {
	s      *Session
	tap    *tapConn
	client net.Conn    // raw: writes masked frames, reads the server's frames as bytes
	cut    atomic.Bool // the watchdog closed the connection
}

func acceptUnstarted(t *testing.T, accept websocket.AcceptOptions) *contractConn {
	t.Helper()
	accept.Subprotocols = []string{netcode.Subprotocol}
	sessions := make(chan *Session, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := Accept(w, r, &accept, &Options{Codec: testCodec()})
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		sessions <- s
	}))
	t.Cleanup(srv.Close)
	client := rawDial(t, "ws"+strings.TrimPrefix(srv.URL, "http"))
	var s *Session
	select {
	case s = <-sessions:
	case <-time.After(5 * time.Second):
		t.Fatal("no session accepted")
	}
	t.Cleanup(func() { s.conn.CloseNow() })
	// No read has happened yet: Accept reads nothing after the handshake.
	c := &contractConn{s: s, tap: &tapConn{Conn: s.pc.Conn}, client: client}
	s.pc.Conn = c.tap
	// A read that never returns (a frame that never arrives) fails the
	// test instead of hanging it.
	watchdog := time.AfterFunc(10*time.Second, func() { c.cut.Store(true); s.conn.CloseNow() })
	t.Cleanup(func() { watchdog.Stop() })
	return c
}

// read reads one message through the session's websocket.Conn as readLoop
// does: a context without Done, the message read to its end.
func (c *contractConn) read() ([]byte, error) {
	typ, r, err := c.s.conn.Reader(context.Background())
	if err != nil {
		return nil, err
	}
	b, err := netcode.AppendMessage(nil, r)
	if err == nil && typ != websocket.MessageBinary {
		err = fmt.Errorf("message type %v, want binary", typ)
	}
	return b, err
}

func (c *contractConn) send(t *testing.T, b []byte) {
	t.Helper()
	if _, err := c.client.Write(b); err != nil {
		t.Fatal(err)
	}
}

// wantMessage reads one message and fails unless it is payload, whole.
func (c *contractConn) wantMessage(t *testing.T, assumption, what string, payload []byte) {
	t.Helper()
	got, err := c.read()
	if err != nil {
		t.Fatal(broken(assumption, "reading %s: %v%s", what, err, c.cutNote()))
	}
	if !bytes.Equal(got, payload) {
		t.Fatal(broken(assumption, "reading %s: got %q, want %q", what, got, payload))
	}
}

// wantWriteArrives writes payload through the session's websocket.Conn and
// fails unless the client receives exactly that frame next.
func (c *contractConn) wantWriteArrives(t *testing.T, assumption, what string, payload []byte) {
	t.Helper()
	if err := c.s.conn.Write(context.Background(), websocket.MessageBinary, payload); err != nil {
		t.Fatal(broken(assumption, "writing %s: %v", what, err))
	}
	want := append([]byte{0x82, byte(len(payload))}, payload...) // unmasked, short
	got := make([]byte, len(want))
	c.client.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.ReadFull(c.client, got)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatal(broken(assumption, "writing %s: the client read % x (%v), want the frame % x", what, got[:n], err, want))
	}
}

// cutNote explains a read error that the watchdog caused.
func (c *contractConn) cutNote() string {
	if c.cut.Load() {
		return " (the read blocked for 10 s and the test closed the connection)"
	}
	return ""
}

// wantIdle fails unless err is errIdle come back through Conn.Reader.
func (c *contractConn) wantIdle(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, errIdle) {
		t.Fatal(broken(assumeB, "%s: Conn.Reader returned %v%s, want an error wrapping errIdle", what, err, c.cutNote()))
	}
}

// (A): several frames in one write, so that the first read off the socket
// fills pc.br with all of them; after each message, pc.br must hold
// exactly the rest. Counting what pollConn handed up (tap) tells "the
// library read ahead into a buffer of its own" from "the bytes had not
// arrived yet".
func TestContractFramesReadThroughHijackedReader(t *testing.T) {
	c := acceptUnstarted(t, websocket.AcceptOptions{})
	payloads := [][]byte{[]byte("first"), []byte("the second frame"), []byte("third, sent in two parts")}
	var frames [][]byte
	for _, p := range payloads {
		frames = append(frames, maskedFrame(p))
	}
	const cut = 4 // inside the third frame's mask key
	wire := append(append(bytes.Clone(frames[0]), frames[1]...), frames[2][:cut]...)
	c.send(t, wire)

	consumed := 0 // bytes of the frames read so far
	check := func(after string, want int) {
		t.Helper()
		got := c.s.pc.br.Buffered()
		unread := int(c.tap.read.Load()) - consumed
		if got != unread {
			t.Fatal(broken(assumeA, "after %s, %d bytes had come off the connection that were not yet part of a message read, "+
				"but pc.br holds %d: the library reads (or buffers) them somewhere else", after, unread, got))
		}
		if got != want {
			t.Fatalf("after %s, pc.br holds %d bytes, want %d: only %d of the %d bytes the client wrote at once "+
				"came off the socket in the first read (a test precondition, not the contract)",
				after, got, want, c.tap.read.Load(), len(wire))
		}
	}
	c.wantMessage(t, assumeA, "frame 1", payloads[0])
	consumed += len(frames[0])
	check("frame 1", len(frames[1])+cut)
	c.wantMessage(t, assumeA, "frame 2", payloads[1])
	consumed += len(frames[1])
	check("frame 2 (frame 3 partly sent: not a boundary)", cut)
	c.send(t, frames[2][cut:])
	c.wantMessage(t, assumeA, "frame 3", payloads[2])
	consumed += len(frames[2])
	check("frame 3, the last sent", 0)
}

// (A) for control frames: Accept's ping and pong callbacks mark a boundary
// from inside the library's read loop, which is right only if the library
// calls them once the control frame is wholly read, with what follows it
// still in pc.br.
func TestContractControlFrameCallbacksAtBoundary(t *testing.T) {
	var c *contractConn
	var atPing, atPong []int // pc.br.Buffered() and the bytes read off the socket, in each callback
	seen := func() []int { return []int{c.s.pc.br.Buffered(), int(c.tap.read.Load())} }
	c = acceptUnstarted(t, websocket.AcceptOptions{
		OnPingReceived: func(context.Context, []byte) bool { atPing = seen(); return true },
		OnPongReceived: func(context.Context, []byte) { atPong = seen() },
	})
	ping, pong := maskedFrameOp(0x9, []byte("p1")), maskedFrameOp(0xA, []byte("p2"))
	payload := []byte("data after control frames")
	data := maskedFrame(payload)
	c.send(t, append(append(bytes.Clone(ping), pong...), data...))
	c.wantMessage(t, assumeA, "the data frame after a ping and a pong", payload)
	if atPing == nil || atPong == nil {
		t.Fatal(broken(assumeA, "the ping callback ran: %v, the pong callback ran: %v; want both before the data frame", atPing != nil, atPong != nil))
	}
	for _, cb := range []struct {
		name     string
		seen     []int
		consumed int // the frames read by the time of the callback
		want     int
	}{{"ping", atPing, len(ping), len(pong) + len(data)}, {"pong", atPong, len(ping) + len(pong), len(data)}} {
		if buffered, unread := cb.seen[0], cb.seen[1]-cb.consumed; buffered != unread || buffered != cb.want {
			t.Fatal(broken(assumeA, "in the %s callback pc.br held %d bytes and %d had come off the connection unread; "+
				"want %d in pc.br (the frames after it): markBoundary in a control-frame callback would be wrong",
				cb.name, buffered, unread, cb.want))
		}
	}
	if got := c.s.pc.br.Buffered(); got != 0 {
		t.Fatal(broken(assumeA, "after the last frame pc.br holds %d bytes, want 0", got))
	}
}

// (B), errIdle injected under pollConn exactly as pollConn itself returns
// it: at a boundary, with nothing of the next frame read. Before the first
// frame, after a message, twice in a row, with the next frame already on
// the socket, and inside the library's read loop right after a control
// frame (a keepalive pong).
func TestContractIdleErrorLeavesConnUsable(t *testing.T) {
	var c *contractConn
	c = acceptUnstarted(t, websocket.AcceptOptions{
		// Idle right after the pong: the library goes on to read the
		// next frame header within the same Reader call.
		OnPongReceived: func(context.Context, []byte) { c.tap.idle.Store(true) },
	})
	idle := func(what string) {
		t.Helper()
		c.tap.idle.Store(true)
		_, err := c.read()
		c.wantIdle(t, what, err)
		if c.tap.idle.Load() {
			t.Fatalf("%s: the idle read never reached the connection", what)
		}
	}

	idle("before the first frame")
	idle("again, before the first frame")
	c.send(t, maskedFrame([]byte("one")))
	c.wantMessage(t, assumeB, "the first frame after errIdle", []byte("one"))
	c.wantWriteArrives(t, assumeB, "after errIdle", []byte("reply one"))

	idle("after a message")
	c.send(t, maskedFrame([]byte("two")))
	c.wantMessage(t, assumeB, "a frame after errIdle between messages", []byte("two"))

	// The next frame is on the socket (or on its way) when the read idles.
	c.send(t, maskedFrame([]byte("three")))
	idle("with the next frame sent")
	c.wantMessage(t, assumeB, "a frame sent before errIdle", []byte("three"))
	c.wantWriteArrives(t, assumeB, "after errIdle", []byte("reply three"))

	c.send(t, maskedFrameOp(0xA, []byte("ka")))
	_, err := c.read()
	c.wantIdle(t, "right after a pong, in the same Reader call", err)
	c.send(t, maskedFrame([]byte("four")))
	c.wantMessage(t, assumeB, "a frame after errIdle that followed a pong", []byte("four"))
	c.wantWriteArrives(t, assumeB, "after errIdle that followed a pong", []byte("reply four"))
}

// (B) through pollConn's own modes, as a session on a Poller meets them:
// probe (a non-blocking read finds nothing) and active (the read deadline
// passes at a boundary). After each errIdle the test does what the
// session does: park (probe mode), and read again once bytes are there.
func TestContractPollConnIdleLeavesConnUsable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pollConn idles only with a Poller, which needs Linux epoll")
	}
	c := acceptUnstarted(t, websocket.AcceptOptions{})
	pc := c.s.pc
	pc.idleAfter = time.Hour // probe mode stays until the test switches
	pc.parked()
	next := func() error {
		pc.markBoundary()
		_, err := c.read()
		return err
	}
	// readWhenThere reads as a woken session would, again while errIdle
	// (the frame may not have arrived yet).
	readWhenThere := func(what string, payload []byte) {
		t.Helper()
		var got []byte
		nettest.CheckFor(t, 5*time.Second, func() error {
			pc.markBoundary()
			var err error
			got, err = c.read()
			if errors.Is(err, errIdle) {
				return fmt.Errorf("%s: still idle", what)
			}
			if err != nil {
				t.Fatal(broken(assumeB, "reading %s: %v%s", what, err, c.cutNote()))
			}
			return nil
		})
		if !bytes.Equal(got, payload) {
			t.Fatal(broken(assumeB, "reading %s: got %q, want %q", what, got, payload))
		}
	}

	c.wantIdle(t, "probe mode, before the first frame", next())
	c.send(t, maskedFrame([]byte("probed")))
	readWhenThere("a frame after a probe found nothing", []byte("probed"))
	c.wantWriteArrives(t, assumeB, "after a probe's errIdle", []byte("reply probed"))
	c.wantIdle(t, "probe mode, after a message", next())

	// Active mode: a blocking read under a deadline.
	pc.idleAfter = 20 * time.Millisecond
	pc.probe.Store(false)
	pc.renew(time.Now())
	c.wantIdle(t, "active mode, when the read deadline passes", next())
	pc.parked()
	c.send(t, maskedFrame([]byte("active")))
	readWhenThere("a frame after the deadline passed", []byte("active"))
	c.wantWriteArrives(t, assumeB, "after an active read's errIdle", []byte("reply active"))
}

// spyHijacker hijacks for Accept's hijacker and records how many bytes
// net/http had buffered past the request: the bytes the replay must yield.
type spyHijacker struct {
	http.ResponseWriter
	buffered int
}

func (h *spyHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err == nil {
		h.buffered = brw.Reader.Buffered()
	}
	return conn, brw, err
}

// (C): the upgrade request and the first frames in one write, the last
// frame cut short and finished later, so the session reads across the
// seam between the replayed bytes and the socket. With a Poller too:
// a session that starts out probing must not take the replayed bytes for
// silence.
func TestContractBytesWithUpgradeRequestReachSession(t *testing.T) {
	for _, withPoller := range []bool{false, true} {
		t.Run(fmt.Sprintf("poller=%v", withPoller), func(t *testing.T) {
			var p *Poller
			if withPoller {
				var err error
				if p, err = NewPoller(); err != nil {
					t.Skip(err)
				}
			}
			ps := startSpyServer(t, p)
			first := maskedFrame(inputMsg(1, 1, 0))
			second := maskedFrame(inputMsg(2, 1, 0))
			const cut = 5
			conn := rawDialSending(t, ps.url, append(bytes.Clone(first), second[:cut]...))
			s, spy := ps.next(t)
			if want := len(first) + cut; spy.buffered != want {
				t.Fatalf("net/http had %d bytes buffered past the request at the hijack, want %d: "+
					"the test's precondition (one packet) failed, not the contract", spy.buffered, want)
			}
			recv := func(seq uint32, what string) {
				t.Helper()
				select {
				case m, ok := <-s.Inbox():
					if !ok || m.Type != netcode.MsgInput || m.Input.Seq != seq {
						t.Fatal(broken(assumeC, "%s: got %+v (open %v, session %v), want input %d", what, m, ok, s.Err(), seq))
					}
				case <-time.After(5 * time.Second):
					t.Fatal(broken(assumeC, "%s never reached the session's inbox", what))
				}
			}
			recv(1, "the frame sent with the upgrade request")
			if _, err := conn.Write(second[cut:]); err != nil {
				t.Fatal(err)
			}
			recv(2, "a frame begun with the upgrade request and finished later")
			conn.Close()
			<-s.Done()
		})
	}
}

type spyServer struct {
	url      string
	accepted chan spyAccepted
}

type spyAccepted struct {
	s   *Session
	spy *spyHijacker
}

// startSpyServer is startSessionServer with a spyHijacker under Accept.
func startSpyServer(t *testing.T, p *Poller) *spyServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pollerDone := make(chan struct{})
	if p != nil {
		go func() { p.Run(ctx); close(pollerDone) }()
	} else {
		close(pollerDone)
	}
	ss := &spyServer{accepted: make(chan spyAccepted, 1)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		spy := &spyHijacker{ResponseWriter: w}
		s, err := Accept(spy, r, &websocket.AcceptOptions{Subprotocols: []string{netcode.Subprotocol}}, &Options{Poller: p, IdleAfter: 20 * time.Millisecond, Codec: testCodec()})
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		s.Start(ctx, nil)
		ss.accepted <- spyAccepted{s, spy}
	}))
	ss.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	t.Cleanup(func() {
		cancel()
		<-pollerDone
		srv.Close()
	})
	return ss
}

func (ss *spyServer) next(t *testing.T) (*Session, *spyHijacker) {
	t.Helper()
	select {
	case a := <-ss.accepted:
		return a.s, a.spy
	case <-time.After(5 * time.Second):
		t.Fatal("no session accepted")
		return nil, nil
	}
}

// TestAcceptWithoutCodec: Accept without a Codec, which it cannot decode
// inputs without, refuses before the upgrade: the client gets a 500, the
// caller ErrNoCodec, and no socket is left hijacked.
func TestAcceptWithoutCodec(t *testing.T) {
	errs := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{netcode.Subprotocol}}, &Options{})
		if s != nil {
			s.cutConn()
		}
		errs <- err
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{Subprotocols: []string{netcode.Subprotocol}})
	if err == nil {
		c.CloseNow()
		t.Fatal("upgraded without a codec")
	}
	if resp == nil || resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("dial: %v, response %v: want a 500", err, resp)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, ErrNoCodec) {
			t.Fatalf("Accept: %v, want ErrNoCodec", err)
		}
	case <-ctx.Done():
		t.Fatal("Accept never returned")
	}
}
