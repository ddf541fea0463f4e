package session

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/nettest"
)

// frame is a masked client frame of any length; b0 is its first header
// byte (FIN, RSV, opcode).
func frame(b0 byte, payload []byte) []byte {
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	key := [4]byte{9, 8, 7, 6}
	f = append(f, key[:]...)
	for i, b := range payload {
		f = append(f, b^key[i%4])
	}
	return f
}

// TestFrameCheck: a valid stream passes however it is cut into reads; a
// broken header is found wherever the cut falls, and everything before it
// is let through.
func TestFrameCheck(t *testing.T) {
	const limit = 4096
	var valid []byte
	valid = append(valid, frame(0x82, make([]byte, 12))...)
	valid = append(valid, frame(0x89, []byte("ping"))...)                  // a ping
	valid = append(valid, frame(0x02, make([]byte, 2000))...)              // a message in three fragments,
	valid = append(valid, frame(0x8a, nil)...)                             // a pong between them,
	valid = append(valid, frame(0x00, make([]byte, 2000))...)              //
	valid = append(valid, frame(0x80, make([]byte, limit-4000))...)        // exactly at the limit
	valid = append(valid, frame(0x82, make([]byte, limit))...)             // one frame at the limit
	valid = append(valid, frame(0x81, []byte("text is framing-valid"))...) // refused later, by the session
	valid = append(valid, frame(0x88, []byte{0x03, 0xe8})...)              // close
	tests := []struct {
		name string
		bad  []byte
		code netcode.CloseCode
	}{
		{"unmasked", []byte{0x82, 0x02, 0x91, 0x04}, netcode.CloseProtocolError},
		{"over the limit", frame(0x82, make([]byte, limit+1))[:8], netcode.CloseMessageTooBig},
		{"fragments over the limit", append(frame(0x02, make([]byte, limit)), frame(0x80, []byte{1})...), netcode.CloseMessageTooBig},
		{"64-bit length", []byte{0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}, netcode.CloseMessageTooBig},
		{"reserved opcode", frame(0x8b, nil), netcode.CloseProtocolError},
		{"rsv1 without an extension", frame(0xc2, []byte{1}), netcode.CloseProtocolError},
		{"rsv3", frame(0x92, []byte{1}), netcode.CloseProtocolError},
		{"fragmented ping", frame(0x09, nil), netcode.CloseProtocolError},
		{"long pong", frame(0x8a, make([]byte, 126)), netcode.CloseProtocolError},
		{"stray continuation", frame(0x80, []byte{1}), netcode.CloseProtocolError},
		{"message inside a message", append(frame(0x02, []byte{1}), frame(0x82, []byte{1})...), netcode.CloseProtocolError},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tt := range append([]struct {
		name string
		bad  []byte
		code netcode.CloseCode
	}{{"valid", nil, 0}}, tests...) {
		stream := append(append([]byte(nil), valid...), tt.bad...)
		// Where the refused header ends: the tests' bad frames refuse their
		// last header, an unmasked one as soon as its second byte is in.
		// Its first bytes may go through in an earlier read, never all of it.
		badEnd := len(stream)
		if tt.bad != nil {
			badEnd = len(valid) + lastHeader(tt.bad)
		}
		for round := range 200 {
			f := frameCheck{limit: limit}
			var passed int
			var got *CloseError
			for rest := stream; len(rest) > 0 && got == nil; {
				n := min(len(rest), 1+rng.IntN(40))
				if round%2 == 1 {
					n = min(len(rest), 1+rng.IntN(3))
				}
				var ok int
				ok, got = f.feed(rest[:n])
				passed += ok
				rest = rest[n:]
			}
			switch {
			case tt.bad == nil && got != nil:
				t.Fatalf("%s: refused: %v", tt.name, got)
			case tt.bad == nil:
				continue
			case got == nil || got.Code != tt.code:
				t.Fatalf("%s: got %v, want code %d", tt.name, got, tt.code)
			case passed >= badEnd:
				t.Fatalf("%s: %d bytes let through, the broken header ends at %d", tt.name, passed, badEnd)
			}
		}
	}
}

// lastHeader returns where the header of the last frame of stream ends
// (after its second byte when it is unmasked).
func lastHeader(stream []byte) int {
	end := 0
	for i := 0; i < len(stream); {
		n := uint64(stream[i+1] & 0x7f)
		h := 2
		switch n {
		case 126:
			n, h = uint64(binary.BigEndian.Uint16(stream[i+2:])), 4
		case 127:
			n, h = binary.BigEndian.Uint64(stream[i+2:]), 10
		}
		if stream[i+1]&0x80 == 0 {
			return i + 2
		}
		h += 4
		end = i + h
		if n > uint64(len(stream)) {
			break
		}
		i += h + int(n)
	}
	return end
}

// serverFrames reads a server's frames (unmasked) until its close frame,
// for at most d, and returns the close and the messages before it.
func serverFrames(t *testing.T, conn net.Conn, br *bufio.Reader, d time.Duration) (CloseError, []netcode.ServerMessage, []byte) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(d))
	var msgs []netcode.ServerMessage
	var opcodes []byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			t.Fatalf("no close frame within %v (after opcodes %v): %v", d, opcodes, err)
		}
		n := int(h[1] & 0x7f)
		if n == 126 {
			var ext [2]byte
			io.ReadFull(br, ext[:])
			n = int(binary.BigEndian.Uint16(ext[:]))
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			t.Fatal(err)
		}
		opcodes = append(opcodes, h[0]&0x0f)
		switch h[0] & 0x0f {
		case 8:
			return CloseError{Code: netcode.CloseCode(binary.BigEndian.Uint16(payload)), Reason: string(payload[2:])}, msgs, opcodes
		case 2:
			var m netcode.ServerMessage
			if err := netcode.DecodeServer(payload, &m); err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, m)
		}
	}
}

// A broken frame closes the session at once with its code, after the
// frames before it are handled and an Error message says why; the
// session is Kicked. With and without a Poller.
func TestBrokenFrameClosesAtOnce(t *testing.T) {
	for _, poller := range []bool{false, true} {
		var ps *pollServer
		if poller {
			ps = startPollServer(t, Options{IdleAfter: 10 * time.Millisecond})
		} else {
			ps = startSessionServer(t, Options{}, nil)
		}
		for _, tt := range []struct {
			name string
			bad  []byte
			code netcode.CloseCode
		}{
			{"unmasked", []byte{0x82, 0x02, 0x91, 0x04}, netcode.CloseProtocolError},
			{"declares 5000 bytes", frame(0x82, make([]byte, 5000))[:8], netcode.CloseMessageTooBig},
		} {
			conn := rawDial(t, ps.url)
			s := ps.session(t)
			input := maskedFrame(inputMsg(1, 0, 0))
			if _, err := conn.Write(append(input, tt.bad...)); err != nil {
				t.Fatal(err)
			}
			wantInput(t, s, 1)
			ce, msgs, _ := serverFrames(t, conn, bufio.NewReader(conn), 2*time.Second)
			if ce.Code != tt.code {
				t.Fatalf("poller %v, %s: closed with %v, want %d", poller, tt.name, ce, tt.code)
			}
			if len(msgs) != 1 || msgs[0].Type != netcode.MsgError || msgs[0].Error.Code != netcode.CodeBadMessage || msgs[0].Error.Message != ce.Reason {
				t.Fatalf("poller %v, %s: messages before the close: %+v", poller, tt.name, msgs)
			}
			<-s.Done()
			if e := s.Err(); e.Code != tt.code || !s.Kicked() {
				t.Fatalf("poller %v, %s: session ended with %v, kicked %v", poller, tt.name, e, s.Kicked())
			}
		}
	}
}

// TestKeepaliveSendsCloseFrame: a peer that reads but never answers a ping
// is told why, with an Error message and a close frame, within the
// keepalive's bound; a peer that neither reads nor answers is cut within
// the same bound even though its socket takes nothing more.
func TestKeepaliveSendsCloseFrame(t *testing.T) {
	const interval = 200 * time.Millisecond
	k := NewKeepalive(interval)
	kctx, kstop := context.WithCancel(context.Background())
	kdone := make(chan struct{})
	go func() { k.Run(kctx); close(kdone) }()
	defer func() { kstop(); <-kdone }()
	ps := startPollServer(t, Options{IdleAfter: 10 * time.Millisecond, Keepalive: k})
	bound := k.Bound()

	t.Run("reads, never pongs", func(t *testing.T) {
		conn := rawDial(t, ps.url)
		s := ps.session(t)
		start := time.Now()
		ce, msgs, opcodes := serverFrames(t, conn, bufio.NewReader(conn), 5*bound)
		if ce.Code != netcode.ClosePolicyViolation || !strings.Contains(ce.Reason, "keepalive") {
			t.Fatalf("closed with %v, want 1008 keepalive", ce)
		}
		if len(msgs) != 1 || msgs[0].Error.Code != netcode.CodeTooSlow || opcodes[0] != 9 {
			t.Fatalf("before the close: opcodes %v, messages %+v; want a ping, then an Error", opcodes, msgs)
		}
		<-s.Done()
		if took := time.Since(start); took > bound {
			t.Fatalf("session ended %v after the client connected, bound %v", took, bound)
		}
	})
	t.Run("neither reads nor pongs, buffers full", func(t *testing.T) {
		conn := rawDial(t, ps.url)
		conn.(*net.TCPConn).SetReadBuffer(4096)
		s := ps.session(t)
		start := time.Now()
		big := make([]byte, 1<<20)
		// Fill the socket's buffers both ways, so a close frame cannot go.
		nettest.CheckFor(t, bound, func() error {
			s.SendFrame(big)
			if n := pending(s); n < 3 {
				return fmt.Errorf("%d frames waiting: the socket still takes them", n)
			}
			return nil
		})
		<-s.Done()
		if took := time.Since(start); took > bound {
			t.Fatalf("session ended %v after the client connected, bound %v", took, bound)
		}
		if e := s.Err(); e.Code != netcode.ClosePolicyViolation || !strings.Contains(e.Reason, "keepalive") {
			t.Fatalf("ended with %v", e)
		}
	})
}

func pending(s *Session) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.frames)
}

// TestInputOutOfRangeCloses: an input whose field is outside the range the
// game's schema gives it is refused like any malformed message: an Error
// message, then 1008 with a reason naming the field and its range, and
// the session is Kicked; the inputs before it were delivered. With and
// without a Poller.
func TestInputOutOfRangeCloses(t *testing.T) {
	for _, poller := range []bool{false, true} {
		var ps *pollServer
		if poller {
			ps = startPollServer(t, Options{IdleAfter: 10 * time.Millisecond})
		} else {
			ps = startSessionServer(t, Options{}, nil)
		}
		for _, tt := range []struct {
			move, aim int32
			field     string
		}{
			{move: 16, field: "move"},
			{move: -1, field: "move"},
			{aim: 65536, field: "aim"},
		} {
			conn := rawDial(t, ps.url)
			s := ps.session(t)
			good := maskedFrame(inputMsg(1, 15, 65535))
			bad := maskedFrame(inputMsg(2, tt.move, tt.aim))
			if _, err := conn.Write(append(good, bad...)); err != nil {
				t.Fatal(err)
			}
			wantInput(t, s, 1)
			ce, msgs, _ := serverFrames(t, conn, bufio.NewReader(conn), 2*time.Second)
			conn.Write(maskedFrameOp(0x8, binary.BigEndian.AppendUint16(nil, uint16(ce.Code)))) // the close handshake
			if ce.Code != netcode.ClosePolicyViolation || !strings.Contains(ce.Reason, "input: "+tt.field) {
				t.Fatalf("poller %v, %s out of range: closed with %v, want 1008 naming the field", poller, tt.field, ce)
			}
			if len(msgs) != 1 || msgs[0].Type != netcode.MsgError || msgs[0].Error.Code != netcode.CodeBadMessage || msgs[0].Error.Message != ce.Reason {
				t.Fatalf("poller %v, %s: messages before the close: %+v", poller, tt.field, msgs)
			}
			<-s.Done()
			if !s.Kicked() {
				t.Fatalf("poller %v, %s: session not kicked", poller, tt.field)
			}
		}
	}
}
