package lobby

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tickroom/tickroom/lobby/directory"
)

// sseWriteTimeout bounds each write to an event stream: a client that does
// not read is cut off instead of holding its handler forever. The feed
// never waits for a stream, so a slow one only falls behind; once it is
// feedLen changes behind it gets a fresh rooms.reset.
const sseWriteTimeout = 10 * time.Second

// sseRetry is the reconnect delay the stream suggests to EventSource.
const sseRetry = 2 * time.Second

// streamQuery is a parsed GET /api/rooms/events request.
type streamQuery struct {
	filter roomFilter
	from   directory.Version
	resume bool // from is a version the client holds; else start with a reset
}

func parseStreamQuery(r *http.Request) (streamQuery, error) {
	var sq streamQuery
	q, err := queryOf(r.URL.RawQuery)
	if err != nil {
		return sq, err
	}
	err = params(q, func(key, val string) error {
		if key == "has_space" {
			// A room filling up would vanish from the stream without a
			// room.closed; follow has_space on each room instead.
			return &FieldError{Field: key, Detail: "not supported on the event stream; every event carries players and max_players"}
		}
		if ok, err := sq.filter.parse(key, val); ok {
			return err
		}
		if key != "since" {
			return &FieldError{Field: key, Detail: "unknown query parameter"}
		}
		v, err := directory.ParseVersion(val)
		if err != nil {
			return &FieldError{Field: key, Detail: "must be a version the server sent (a list's version or an event id)"}
		}
		sq.from, sq.resume = v, true
		return nil
	})
	if err != nil {
		return sq, err
	}
	// EventSource sends Last-Event-ID when it reconnects, with the URL it
	// first used: the header is newer than any since= in it.
	if id := strings.TrimSpace(r.Header.Get("Last-Event-ID")); id != "" {
		v, err := directory.ParseVersion(id)
		if err != nil {
			return sq, &FieldError{Field: "Last-Event-ID", Detail: "must be an event id this stream sent"}
		}
		sq.from, sq.resume = v, true
	}
	return sq, nil
}

// roomEvents streams the public room list's changes as server-sent events:
// room.created, room.updated and room.closed carry the room, with the
// feed version as the event id. A stream opened without a version, or with
// one the feed cannot resume from (too old, or of another epoch: from
// before a restart), starts with rooms.reset: the whole filtered list.
//
// The handler takes the connection over and hands it to the API's
// streamHub, which serves every stream with no goroutine while it is idle
// (a server that cannot hand its connections over, such as HTTP/2, gets a
// goroutine per stream, serveStream).
func (a *API) roomEvents(w http.ResponseWriter, r *http.Request) {
	sq, err := parseStreamQuery(r)
	if err != nil {
		writeError(w, err)
		return
	}
	release, err := a.streamSlot(r)
	if err != nil {
		a.refused(w, err)
		return
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		defer release()
		a.serveStream(w, r, sq)
		return
	}
	// The buffered reader and writer of net/http stay behind: nothing is
	// read from the client, and each write goes out whole.
	conn.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
	if _, err := io.WriteString(conn, sseHeader+sseRetryLine); err != nil {
		conn.Close()
		release()
		return
	}
	a.hub.add(&hubStream{conn: conn, filter: sq.filter, release: release, from: sq.from, resume: sq.resume})
}

// sseRetryLine suggests EventSource's reconnect delay, sseRetry in ms (the
// blank constants stop the build if the two part).
const (
	sseRetryLine = "retry: 2000\n\n"
	_            = uint(sseRetry/time.Millisecond - 2000)
	_            = uint(2000 - sseRetry/time.Millisecond)
)

// streamSlot takes one of the event-stream and long-poll slots for r's
// client; at a cap it first drops the streams whose clients have gone.
func (a *API) streamSlot(r *http.Request) (release func(), err error) {
	key := a.clients.key(r)
	release, err = a.streamSlots.acquire(key)
	if err != nil {
		a.hub.reap()
		release, err = a.streamSlots.acquire(key)
	}
	return release, err
}

// serveStream serves an event stream on its handler's goroutine, for
// servers that cannot hand the connection over: the same events as the
// hub sends, with its shared heartbeat.
func (a *API) serveStream(w http.ResponseWriter, r *http.Request, sq streamQuery) {
	ctx, cancel := a.streamContext(r)
	defer cancel()
	rc := http.NewResponseController(w)
	defer rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout)) // for the stream's end
	write := func(b []byte) error {
		rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
		if _, err := w.Write(b); err != nil {
			return err
		}
		return rc.Flush()
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if write([]byte(sseRetryLine)) != nil {
		return
	}
	s := &hubStream{filter: sq.filter, from: sq.from, resume: sq.resume}
	for {
		_, _, wake, _ := a.hub.feed.Since(a.hub.feed.Version())
		beat := a.hub.nextBeat()
		text, reset := a.hub.pending(s, nil, nil)
		if reset {
			var err error
			if text, err = a.hub.resetText(ctx, s); err != nil {
				return
			}
		}
		if len(text) > 0 {
			if write(text) != nil {
				return
			}
			if reset {
				continue
			}
		}
		select {
		case <-wake:
		case <-beat:
			if write([]byte(": heartbeat\n\n")) != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}
