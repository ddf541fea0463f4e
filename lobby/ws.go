package lobby

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/session"
)

// serveWS checks the seat token before upgrading, so a bad token gets an
// HTTP error a client can read, then starts the session and returns: the
// HTTP handler's deep stack, the request and the response buffers are not
// pinned for the whole game. The API owns the session (WaitSessions).
func (a *API) serveWS(w http.ResponseWriter, r *http.Request) {
	// Before the token is spent: a page on another site must not burn a
	// visitor's seat by trying it.
	origins := a.originPatterns()
	if err := checkOrigin(r, origins); err != nil {
		a.opts.Metrics.connection("refused")
		writeError(w, err)
		return
	}
	release, err := a.conns.acquire(a.clients.key(r))
	if err != nil {
		a.opts.Metrics.connection("refused")
		a.refused(w, err)
		return
	}
	claims, room, err := a.claim(r, offersSubprotocol(r))
	if err != nil {
		release()
		a.opts.Metrics.connection("refused")
		writeError(w, err)
		return
	}
	// Counted before the upgrade: a client that has its 101 must not find
	// WaitSessions already returned.
	a.sessions.add()
	ended := func() {
		release()
		a.sessions.done()
	}
	lastEvent, _ := strconv.ParseUint(r.URL.Query().Get("last_event"), 10, 32)
	opts := a.opts.Session
	opts.Clock = room.Clock
	opts.Codec = room.Codec()
	opts.Admit = newAdmission(&a.opts.Limits, a.opts.Metrics).admit
	sess, err := session.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols: []string{netcode.Subprotocol}, OriginPatterns: origins,
	}, &opts)
	if err != nil {
		ended()
		a.opts.Metrics.connection("refused")
		room.Release(claims.PlayerID)
		return // Accept has answered
	}
	if err := room.Attach(a.ctx, claims.PlayerID, sess, uint32(lastEvent)); err != nil {
		a.opts.Metrics.connection("refused")
		sess.Close(netcode.ClosePolicyViolation, closeReason(err))
		sess.Run(a.ctx)
		ended()
		return
	}
	a.opts.Metrics.connection("accepted")
	a.opts.Metrics.sessionStarted(sess)
	sess.Start(a.ctx, func(end *session.CloseError) {
		defer ended()
		a.opts.Metrics.sessionEnded(sess)
		a.log.Debug("session ended", "room", room.ID(), "player", claims.PlayerID, "code", int(end.Code), "reason", end.Reason)
	})
}

// liveSessions counts the API's WebSocket sessions. Unlike a WaitGroup it
// may go up from zero while someone waits (a client connecting during
// shutdown), which then waits for that session too.
type liveSessions struct {
	release *memoryReleaser // static; told each new count

	mu   sync.Mutex
	n    int
	zero chan struct{} // closed when n next reaches 0; nil until someone waits
}

func (l *liveSessions) add() {
	l.mu.Lock()
	l.n++
	l.release.sessions(l.n)
	l.mu.Unlock()
}

func (l *liveSessions) done() {
	l.mu.Lock()
	l.n--
	if l.n == 0 && l.zero != nil {
		close(l.zero)
		l.zero = nil
	}
	l.release.sessions(l.n)
	l.mu.Unlock()
}

// wait blocks until no session is live, or ctx ends.
func (l *liveSessions) wait(ctx context.Context) error {
	l.mu.Lock()
	if l.n == 0 {
		l.mu.Unlock()
		return nil
	}
	if l.zero == nil {
		l.zero = make(chan struct{})
	}
	zero := l.zero
	l.mu.Unlock()
	select {
	case <-zero:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// claim verifies the token and spends it on its seat.
// A request without the subprotocol is checked but does not spend the
// token: a browser probing why its upgrade failed must not lose its seat.
func (a *API) claim(r *http.Request, spend bool) (rooms.Claims, *rooms.Room, error) {
	q := r.URL.Query()
	tok := q.Get("token")
	if tok == "" {
		// A seat token refused like any other: 401 /problems/bad-token.
		return rooms.Claims{}, nil, fmt.Errorf("%w: missing; the token query parameter is required", rooms.ErrTokenInvalid)
	}
	claims, err := a.m.Tokens().Verify(tok)
	if err != nil {
		return claims, nil, err
	}
	if id := q.Get("room"); id != "" && id != claims.RoomID {
		return claims, nil, fmt.Errorf("%w: token is for another room", rooms.ErrTokenInvalid)
	}
	if a.m.Draining() {
		return claims, nil, rooms.ErrShuttingDown
	}
	room, err := a.findRoom(claims.RoomID)
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
	a.quotas.claimed(claims.RoomID, claims.PlayerID)
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

// closeReason is what a client is told when its upgrade is refused after
// the handshake: a field error's detail, or the error itself.
func closeReason(err error) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return netcode.TruncateUTF8(fe.Detail, 123)
	}
	return netcode.CloseReason(err)
}

// checkOrigin is coder/websocket's origin check (AcceptOptions.OriginPatterns),
// made before the seat is claimed and answered as a problem: requests
// without Origin (bots, services) pass, as do browsers on the server's own
// host and origins whose host (or scheme://host, for a pattern with a
// scheme) matches a pattern, case-insensitively with path.Match. session.Accept
// checks again with the same patterns; TestCheckOriginMatchesAccept keeps
// the two in step.
func checkOrigin(r *http.Request, patterns []string) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	refused := &FieldError{Field: "Origin", Status: http.StatusForbidden,
		Detail: fmt.Sprintf("browser pages from %q may not open WebSockets here: only this host (%s) and the allowed origins may", origin, r.Host)}
	u, err := url.Parse(origin)
	if err != nil {
		return refused
	}
	if strings.EqualFold(r.Host, u.Host) {
		return nil
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(target)); ok {
			return nil
		}
	}
	return refused
}
