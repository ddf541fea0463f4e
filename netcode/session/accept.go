package session

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// Buffer sizes for an accepted connection. Client frames are at most
// MaxFrameBytes and usually a dozen bytes; snapshots are a few hundred. A
// larger frame still goes through, in more than one syscall.
const (
	connReadBuffer  = 512
	connWriteBuffer = 512
)

// ErrNoCodec is returned by Accept when its Options have no Codec.
var ErrNoCodec = errors.New("session: Options.Codec is required: it decodes the room's inputs")

// Accept upgrades r to a WebSocket and wraps it in a Session. Unlike
// websocket.Accept followed by New, the connection gets buffers
// sized for game frames instead of net/http's 4 KiB pair, and with
// opts.Poller a session whose client goes quiet parks no goroutine.
//
// accept's OnPingReceived and OnPongReceived, if set, are still called.
// On error the HTTP response has been written: by websocket.Accept, or a
// 500 when opts has no Codec (ErrNoCodec), before any upgrade.
func Accept(w http.ResponseWriter, r *http.Request, accept *websocket.AcceptOptions, opts *Options) (*Session, error) {
	o := opts.withDefaults()
	if o.Codec == nil {
		// New would panic after the upgrade, with the socket hijacked
		// and left open.
		http.Error(w, "the server cannot decode this room's inputs", http.StatusInternalServerError)
		return nil, ErrNoCodec
	}
	pc := &pollConn{slot: -1}
	pc.initFns()
	pc.check.limit = o.ReadLimit
	var ao websocket.AcceptOptions
	if accept != nil {
		ao = *accept
	}
	pc.check.rsv1 = ao.CompressionMode != websocket.CompressionDisabled
	// A control frame between data frames leaves the reader at a frame
	// boundary, where a quiet client's session may park.
	onPing, onPong := ao.OnPingReceived, ao.OnPongReceived
	ao.OnPingReceived = func(ctx context.Context, b []byte) bool {
		pc.markBoundary()
		return onPing == nil || onPing(ctx, b)
	}
	ao.OnPongReceived = func(ctx context.Context, b []byte) {
		pc.markBoundary()
		if onPong != nil {
			onPong(ctx, b)
		}
	}
	conn, err := websocket.Accept(hijacker{w, pc}, r, &ao)
	if err != nil {
		return nil, err
	}
	s := New(conn, &o)
	if o.Poller != nil && pc.raw != nil {
		pc.idleAfter = o.IdleAfter
	}
	pc.onClose = s.wake
	s.pc = pc
	return s, nil
}

// hijacker hands coder/websocket a pollConn and small buffers.
type hijacker struct {
	http.ResponseWriter
	pc *pollConn
}

func (h hijacker) Unwrap() http.ResponseWriter { return h.ResponseWriter }

func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		conn.Close()
		return nil, nil, err
	}
	// Whatever deadline the HTTP server set for the response (its
	// WriteTimeout, a handler's ResponseController) is not the session's:
	// it sets its own for each write. net/http clears them at the hijack
	// today; this does not depend on it.
	if err := conn.SetDeadline(time.Time{}); err != nil {
		conn.Close()
		return nil, nil, err
	}
	pc := h.pc
	pc.Conn = conn
	if n := brw.Reader.Buffered(); n > 0 {
		// Bytes the client sent right after its handshake: the connection
		// itself must yield them first, since coder/websocket re-points
		// its reader at the connection.
		b, _ := brw.Reader.Peek(n)
		pc.prefix = bytes.Clone(b)
	}
	if sc, ok := conn.(syscall.Conn); ok {
		pc.raw, _ = sc.SyscallConn()
	}
	pc.br = bufio.NewReaderSize(pc, connReadBuffer)
	return pc, bufio.NewReadWriter(pc.br, bufio.NewWriterSize(pc, connWriteBuffer)), nil
}
