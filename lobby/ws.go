package lobby

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/netcode"
)

// serveWS checks the seat token before upgrading, so a bad token gets an
// HTTP error a client can read, then hands the connection to a session
// goroutine the API owns and returns: the HTTP handler's deep stack, the
// request and the response buffers are not pinned for the whole game.
func (a *API) serveWS(w http.ResponseWriter, r *http.Request) {
	release, err := a.conns.acquire(r)
	if err != nil {
		a.opts.Metrics.connection("refused")
		writeError(w, err)
		return
	}
	claims, room, err := a.claim(r, offersSubprotocol(r))
	if err != nil {
		release()
		a.opts.Metrics.connection("refused")
		writeError(w, err)
		return
	}
	conn, err := a.accept(w, r)
	if err != nil {
		release()
		a.opts.Metrics.connection("refused")
		room.Release(claims.PlayerID)
		return // accept has answered (403 for a foreign origin)
	}
	lastEvent, _ := strconv.ParseUint(r.URL.Query().Get("last_event"), 10, 32)
	a.sessions.Add(1)
	go func() {
		defer a.sessions.Done()
		defer release()
		a.run(room, claims, conn, uint32(lastEvent))
	}()
}

func (a *API) accept(w http.ResponseWriter, r *http.Request) (*websocket.Conn, error) {
	return websocket.Accept(smallBuffers{w}, r, &websocket.AcceptOptions{
		Subprotocols: []string{netcode.Subprotocol}, OriginPatterns: a.opts.OriginPatterns,
	})
}

func (a *API) run(room *Room, claims Claims, conn *websocket.Conn, lastEvent uint32) {
	opts := a.opts.Session
	opts.Clock = room.clock
	opts.Admit = newAdmission(&a.opts.Limits, a.opts.Metrics).admit
	sess := netcode.NewSession(conn, &opts)
	if err := room.Attach(a.ctx, claims.PlayerID, sess, lastEvent); err != nil {
		a.opts.Metrics.connection("refused")
		conn.Close(websocket.StatusPolicyViolation, closeReason(err))
		return
	}
	a.opts.Metrics.connection("accepted")
	a.opts.Metrics.sessionStarted(sess)
	end := sess.Run(a.ctx)
	a.opts.Metrics.sessionEnded(sess)
	a.log.Debug("session ended", "room", room.ID(), "player", claims.PlayerID, "code", int(end.Code), "reason", end.Reason)
}

// claim verifies the token and spends it on its seat.
// A request without the subprotocol is checked but does not spend the
// token: a browser probing why its upgrade failed must not lose its seat.
func (a *API) claim(r *http.Request, spend bool) (Claims, *Room, error) {
	q := r.URL.Query()
	tok := q.Get("token")
	if tok == "" {
		return Claims{}, nil, &FieldError{Field: "token", Detail: "query parameter required", Status: http.StatusUnauthorized}
	}
	claims, err := a.m.Tokens().Verify(tok)
	if err != nil {
		return claims, nil, err
	}
	if id := q.Get("room"); id != "" && id != claims.RoomID {
		return claims, nil, fmt.Errorf("%w: token is for another room", ErrTokenInvalid)
	}
	if a.m.Draining() {
		return claims, nil, ErrShuttingDown
	}
	room, err := a.m.Get(claims.RoomID)
	if err != nil {
		return claims, nil, err
	}
	if !spend {
		if err := room.CheckClaim(r.Context(), claims); err != nil {
			return claims, nil, err
		}
		return claims, nil, &FieldError{Field: "Sec-WebSocket-Protocol",
			Detail: "offer WebSocket subprotocol " + netcode.Subprotocol}
	}
	if err := room.Claim(r.Context(), claims); err != nil {
		return claims, nil, err
	}
	return claims, room, nil
}

func offersSubprotocol(r *http.Request) bool {
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(h, ",") {
			if strings.TrimSpace(p) == netcode.Subprotocol {
				return true
			}
		}
	}
	return false
}

func closeReason(err error) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Detail
	}
	s := err.Error()
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// Buffer sizes for an upgraded connection. Client frames are at most
// netcode.MaxFrameBytes and usually a dozen bytes; snapshots are a few
// hundred. A larger frame still goes through, in more than one syscall.
const (
	connReadBuffer  = 512
	connWriteBuffer = 512
)

// smallBuffers hands coder/websocket buffers sized for game frames instead
// of net/http's 4 KiB pair, which it would otherwise keep for the whole
// session: about 5.5 KB less pinned per connected player.
type smallBuffers struct{ http.ResponseWriter }

func (w smallBuffers) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		conn.Close()
		return nil, nil, err
	}
	if n := brw.Reader.Buffered(); n > 0 {
		// Bytes the client sent right after its handshake: the connection
		// itself must yield them first, since coder/websocket re-points
		// its reader at the connection.
		b, _ := brw.Reader.Peek(n)
		conn = &prefixConn{Conn: conn, r: io.MultiReader(bytes.NewReader(bytes.Clone(b)), conn)}
	}
	return conn, bufio.NewReadWriter(bufio.NewReaderSize(conn, connReadBuffer), bufio.NewWriterSize(conn, connWriteBuffer)), nil
}

// prefixConn reads bytes already taken off the socket before the socket.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixConn) Read(p []byte) (int, error) { return c.r.Read(p) }
