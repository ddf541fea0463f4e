package session

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/nettest"
)

// pollServer is a real server on loopback whose sessions come from
// AcceptSession, with a Poller unless the test asks for none; the test takes
// each session from accepted.
type pollServer struct {
	url        string
	poller     *Poller // nil without one
	accepted   chan *Session
	stopPoller func() // stops the Poller alone
	stop       func() // ends the sessions' context, the Poller and the server
}

func startPollServer(t testing.TB, opts Options) *pollServer {
	t.Helper()
	p, err := NewPoller()
	if err != nil {
		t.Skip(err)
	}
	return startSessionServer(t, opts, p)
}

func startSessionServer(t testing.TB, opts Options, p *Poller) *pollServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pctx, pcancel := context.WithCancel(ctx)
	pollerDone := make(chan struct{})
	if p != nil {
		go func() { p.Run(pctx); close(pollerDone) }()
	} else {
		close(pollerDone)
	}
	opts.Poller = p
	if opts.Codec == nil {
		opts.Codec = testCodec()
	}
	ps := &pollServer{poller: p, accepted: make(chan *Session, 64)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{netcode.Subprotocol}}, &opts)
		if err != nil {
			return
		}
		s.Start(ctx, nil)
		ps.accepted <- s
	}))
	ps.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	ps.stopPoller = func() {
		pcancel()
		<-pollerDone
	}
	var once sync.Once
	ps.stop = func() {
		once.Do(func() {
			cancel()
			<-pollerDone
			srv.Close()
		})
	}
	t.Cleanup(ps.stop)
	return ps
}

func (ps *pollServer) session(t testing.TB) *Session {
	t.Helper()
	select {
	case s := <-ps.accepted:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no session accepted")
		return nil
	}
}

func (ps *pollServer) dial(t *testing.T) (*websocket.Conn, *Session) {
	t.Helper()
	c, _, err := websocket.Dial(context.Background(), ps.url, &websocket.DialOptions{Subprotocols: []string{netcode.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	return c, ps.session(t)
}

func sendInput(t *testing.T, c *websocket.Conn, seq uint32) {
	t.Helper()
	if err := c.Write(context.Background(), websocket.MessageBinary, inputMsg(seq, 1, 0)); err != nil {
		t.Fatal(err)
	}
}

func wantInput(t *testing.T, s *Session, seq uint32) {
	t.Helper()
	select {
	case m, ok := <-s.Inbox():
		if !ok {
			t.Fatalf("session ended waiting for input %d: %v", seq, s.Err())
		}
		if m.Type != netcode.MsgInput || m.Input.Seq != seq {
			t.Fatalf("got %+v, want input %d", m, seq)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("input %d never arrived", seq)
	}
}

// waitGoroutines waits until at most want goroutines run.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	nettest.CheckFor(t, 5*time.Second, func() error {
		if n := runtime.NumGoroutine(); n > want {
			buf := make([]byte, 1<<20)
			return fmt.Errorf("%d goroutines, want at most %d:\n%s", n, want, buf[:runtime.Stack(buf, true)])
		}
		return nil
	})
}

func TestQuietSessionsParkNoGoroutine(t *testing.T) {
	ps := startPollServer(t, Options{IdleAfter: 20 * time.Millisecond})
	base := runtime.NumGoroutine()
	const n = 30
	clients := make([]*websocket.Conn, n)
	sessions := make([]*Session, n)
	for i := range clients {
		clients[i], sessions[i] = ps.dial(t)
	}
	// The clients do not read, so they run no goroutine: every one above
	// base would be a session's.
	waitGoroutines(t, base)
	waitReaders(t, 0)
	if got := ps.poller.Sessions(); got != n {
		t.Fatalf("poller holds %d sessions, want %d", got, n)
	}
	if got := ps.poller.Parked(); got != n {
		t.Fatalf("%d sessions parked, want %d", got, n)
	}

	// A burst of steady input (active mode), then quiet again.
	for seq := uint32(1); seq <= 20; seq++ {
		for i, c := range clients {
			sendInput(t, c, seq)
			wantInput(t, sessions[i], seq)
		}
	}
	waitGoroutines(t, base)
	waitReaders(t, 0)

	// One frame now and then (probe mode) is read and handed back.
	for i, c := range clients {
		sendInput(t, c, 100)
		wantInput(t, sessions[i], 100)
	}
	waitGoroutines(t, base)
	waitReaders(t, 0)

	for _, c := range clients {
		c.Close(websocket.StatusNormalClosure, "bye")
	}
	for _, s := range sessions {
		<-s.Done()
		if e := s.Err(); e.Code != netcode.CloseNormal || !strings.Contains(e.Reason, "bye") {
			t.Errorf("session ended with %v, want the client's 1000 bye", e)
		}
	}
	if got, parked := ps.poller.Sessions(), ps.poller.Parked(); got != 0 || parked != 0 {
		t.Errorf("poller still holds %d sessions, %d parked", got, parked)
	}
}

// A frame that arrives in pieces, with pauses longer than IdleAfter, is
// still read whole, whether the session was probing (a frame now and then)
// or active (steady input, blocking reads under a deadline): a session
// parks only between frames.
func TestParkedSessionReadsSplitFrames(t *testing.T) {
	const idleAfter = 30 * time.Millisecond
	ps := startPollServer(t, Options{IdleAfter: idleAfter})
	conn := rawDial(t, ps.url)
	s := ps.session(t)
	frame := maskedFrame(inputMsg(7, 2, 300))
	recv := func(want uint32) {
		t.Helper()
		select {
		case m := <-s.Inbox():
			if m.Type != netcode.MsgInput || m.Input.Seq != want {
				t.Fatalf("got %+v, want input %d (session: %v)", m, want, s.Err())
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("input %d never arrived (%v)", want, s.Err())
		}
	}
	cuts := [][]int{
		{1},              // after the first header byte
		{2},              // after the length
		{4},              // inside the mask key
		{len(frame) - 1}, // inside the payload
		{1, 3, 6, 8},     // byte by byte, nearly
	}
	for _, active := range []bool{false, true} {
		for i, cut := range cuts {
			if active {
				// Frames back to back: the session switches to blocking reads.
				burst := maskedFrame(inputMsg(1, 0, 0))
				for range 3 {
					conn.Write(burst)
					recv(1)
				}
			}
			prev := 0
			for _, at := range append(cut, len(frame)) {
				if _, err := conn.Write(frame[prev:at]); err != nil {
					t.Fatal(err)
				}
				prev = at
				time.Sleep(3 * idleAfter)
			}
			t.Logf("active %v cut %d", active, i)
			recv(7)
		}
	}
	// Two frames in one write, the second cut short and finished later.
	two := append(maskedFrame(inputMsg(8, 0, 0)), frame...)
	conn.Write(two[:len(two)-3])
	time.Sleep(3 * idleAfter)
	conn.Write(two[len(two)-3:])
	recv(8)
	recv(7)
	conn.Close()
	<-s.Done()
}

func TestParkedSessionAnswersKeepalive(t *testing.T) {
	k := NewKeepalive(150 * time.Millisecond) // a pong may take up to this long: generous for a loaded CI machine
	kctx, kstop := context.WithCancel(context.Background())
	kdone := make(chan struct{})
	go func() { k.Run(kctx); close(kdone) }()
	defer func() { kstop(); <-kdone }()
	ps := startPollServer(t, Options{IdleAfter: 10 * time.Millisecond, Keepalive: k})
	c, s := ps.dial(t)
	// The client reads (to answer pings) on a goroutine of its own.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	readDone := make(chan struct{})
	go func() { c.Read(ctx); close(readDone) }()
	deadline := time.Now().Add(5 * time.Second)
	for s.RTT() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no keepalive round trip on a parked session")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Pongs keep coming and the session stays up.
	time.Sleep(500 * time.Millisecond)
	select {
	case <-s.Done():
		t.Fatalf("session ended: %v", s.Err())
	default:
	}
	cancel()
	<-readDone
	<-s.Done()
}

func TestParkedSessionCloses(t *testing.T) {
	ps := startPollServer(t, Options{IdleAfter: 10 * time.Millisecond})
	base := runtime.NumGoroutine() + 1 // each subtest runs on a goroutine of its own

	t.Run("server closes", func(t *testing.T) {
		c, s := ps.dial(t)
		waitGoroutines(t, base)
		s.Close(netcode.ClosePolicyViolation, "rules")
		_, _, err := c.Read(context.Background())
		if websocket.CloseStatus(err) != websocket.StatusPolicyViolation || !strings.Contains(err.Error(), "rules") {
			t.Fatalf("client read %v, want 1008 rules", err)
		}
		<-s.Done()
	})
	t.Run("connection cut", func(t *testing.T) {
		c, s := ps.dial(t)
		waitGoroutines(t, base)
		s.abort(netcode.ClosePolicyViolation, netcode.CodeTooSlow, "keepalive: no pong", 100*time.Millisecond)
		<-s.Done()
		if e := s.Err(); e.Reason != "keepalive: no pong" {
			t.Fatalf("ended with %v", e)
		}
		c.CloseNow()
	})
	t.Run("client vanishes", func(t *testing.T) {
		conn := rawDial(t, ps.url)
		s := ps.session(t)
		waitGoroutines(t, base)
		conn.Close()
		select {
		case <-s.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("session outlived its TCP connection")
		}
	})
	t.Run("shutdown", func(t *testing.T) {
		c, s := ps.dial(t)
		waitGoroutines(t, base)
		ps.stop() // ends the sessions' context and the poller
		_, _, err := c.Read(context.Background())
		if websocket.CloseStatus(err) != websocket.StatusGoingAway {
			t.Fatalf("client read %v, want 1001", err)
		}
		<-s.Done()
	})
	waitGoroutines(t, base-3) // and the poller and the HTTP server have stopped
}

// Without its Poller, a session reads on a goroutine of its own again.
func TestSessionsOutliveTheirPoller(t *testing.T) {
	ps := startPollServer(t, Options{IdleAfter: 10 * time.Millisecond})
	c, s := ps.dial(t)
	nettest.CheckFor(t, 5*time.Second, func() error {
		if n := ps.poller.Parked(); n != 1 {
			return fmt.Errorf("%d parked, want 1", n)
		}
		return nil
	})
	ps.stopPoller()
	if ps.poller.Parked() != 0 {
		t.Fatalf("%d parked after the Poller stopped, want 0", ps.poller.Parked())
	}
	for seq := uint32(1); seq <= 3; seq++ {
		sendInput(t, c, seq)
		wantInput(t, s, seq)
		time.Sleep(30 * time.Millisecond) // longer than IdleAfter: it would park
	}
	c.Close(websocket.StatusNormalClosure, "")
	<-s.Done()
}

// rawDial opens a WebSocket by hand, so a test can write frames byte by
// byte.
func rawDial(t testing.TB, wsURL string) net.Conn { return rawDialSending(t, wsURL, nil) }

// rawDialSending is rawDial sending extra in the same write as the upgrade
// request, as a client that does not wait for the response may.
func rawDialSending(t testing.TB, wsURL string, extra []byte) net.Conn {
	t.Helper()
	host := strings.TrimPrefix(wsURL, "ws://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := fmt.Appendf(nil, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Protocol: %s\r\n\r\n", host, netcode.Subprotocol)
	if _, err := conn.Write(append(req, extra...)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %s", resp.Status)
	}
	return conn
}

// maskedFrame is a client's binary frame (short payloads only).
func maskedFrame(payload []byte) []byte { return maskedFrameOp(0x2, payload) }

// maskedFrameOp is a client's final frame with the given opcode (short
// payloads only).
func maskedFrameOp(opcode byte, payload []byte) []byte {
	if len(payload) > 125 {
		panic(errors.New("maskedFrame: payload too long"))
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	f := []byte{0x80 | opcode, 0x80 | byte(len(payload))}
	f = append(f, key[:]...)
	for i, b := range payload {
		f = append(f, b^key[i%4])
	}
	return f
}

// Frames cut at random places and sent with random pauses around
// IdleAfter, so that parking, probing and active reads meet every kind of
// split, arrive whole and in order.
func TestParkedSessionRandomSplits(t *testing.T) {
	const idleAfter = 5 * time.Millisecond
	ps := startPollServer(t, Options{IdleAfter: idleAfter})
	conn := rawDial(t, ps.url)
	s := ps.session(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var stream []byte
	const frames = 120
	for seq := uint32(1); seq <= frames; seq++ {
		stream = append(stream, maskedFrame(inputMsg(seq, 0, int32(uint16(rng.Uint32()))))...)
	}
	go func() {
		for len(stream) > 0 {
			n := min(1+rng.IntN(12), len(stream))
			if _, err := conn.Write(stream[:n]); err != nil {
				return
			}
			stream = stream[n:]
			time.Sleep(time.Duration(rng.IntN(4)) * idleAfter / 2)
		}
	}()
	for seq := uint32(1); seq <= frames; seq++ {
		wantInput(t, s, seq)
	}
}

// Without a Poller an accepted session reads on a goroutine of its own
// for its whole life, and quiet spells change nothing.
func TestAcceptedSessionWithoutPoller(t *testing.T) {
	ps := startSessionServer(t, Options{IdleAfter: time.Millisecond}, nil)
	c, s := ps.dial(t)
	time.Sleep(20 * time.Millisecond)
	if n := sessionReaders(); n != 1 {
		t.Fatalf("%d session readers for a quiet connection, want 1", n)
	}
	for seq := uint32(1); seq <= 3; seq++ {
		sendInput(t, c, seq)
		wantInput(t, s, seq)
		time.Sleep(10 * time.Millisecond)
	}
	c.Close(websocket.StatusNormalClosure, "")
	<-s.Done()
}

// waitReaders waits until n goroutines are in a session's read loop.
func waitReaders(t *testing.T, n int) {
	t.Helper()
	nettest.CheckFor(t, 5*time.Second, func() error {
		if got := sessionReaders(); got != n {
			return fmt.Errorf("%d session readers, want %d", got, n)
		}
		return nil
	})
}

// serveFrame is how a goroutine stack names the reader's function, taken
// from the function itself so that a rename cannot make the count silently
// zero.
var serveFrame = "\n" + runtime.FuncForPC(reflect.ValueOf((*Session).serve).Pointer()).Name() + "("

// sessionReaders counts the goroutines in a session's read loop.
func sessionReaders() int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), serveFrame)
}

// BenchmarkSessionRoundTrip is one input in and one snapshot out through a
// real session on loopback, the client a raw socket that allocates
// nothing: allocs/op is what the session costs per frame.
func BenchmarkSessionRoundTrip(b *testing.B) {
	for _, mode := range []string{"no-poller", "poller", "parked"} {
		b.Run(mode, func(b *testing.B) {
			opts := Options{}
			if mode == "parked" {
				opts.IdleAfter = time.Nanosecond // every frame wakes a parked session
			}
			var ps *pollServer
			if mode == "no-poller" {
				ps = startSessionServer(b, opts, nil)
			} else {
				ps = startPollServer(b, opts)
			}
			conn := rawDial(b, ps.url)
			s := ps.session(b)
			input := maskedFrame(inputMsg(1, 1, 0))
			snap := testCodec().AppendSnapshot(nil, 1, 0, 1, 1, netcode.View{},
				netcode.View{World: []game.Entity{{ID: 1, Kind: 1, V: [game.MaxFields]int32{100, 100, 100}}}})
			go func() {
				spare := make([]byte, 0, 64)
				for range s.Inbox() {
					spare = s.SendSnapshot(1, append(spare, snap...))
				}
			}()
			want := 2 + len(snap) // server frames are unmasked; short ones have a 2-byte header
			buf := make([]byte, 4096)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := conn.Write(input); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(conn, buf[:want]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			conn.Close()
			<-s.Done()
		})
	}
}
