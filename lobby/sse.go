package lobby

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
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
func (a *API) roomEvents(w http.ResponseWriter, r *http.Request) {
	sq, err := parseStreamQuery(r)
	if err != nil {
		writeError(w, err)
		return
	}
	ctx, cancel := a.streamContext(r)
	defer cancel()
	s := &eventStream{w: w, rc: http.NewResponseController(w)}
	defer s.rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout)) // for the stream's end
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if s.write(fmt.Sprintf("retry: %d\n\n", sseRetry.Milliseconds())) != nil {
		return
	}
	a.stream(ctx, s, sq)
}

func (a *API) stream(ctx context.Context, s *eventStream, sq streamQuery) {
	heartbeat := time.NewTicker(a.opts.Heartbeat)
	defer heartbeat.Stop()
	from, resume := sq.from, sq.resume
	for {
		changes, current, wake, complete := a.m.Directory().Feed().Since(from)
		var err error
		if !resume || !complete {
			from, err = a.sendReset(ctx, s, &sq.filter)
			resume = true
			if err != nil {
				return
			}
			continue
		}
		for _, c := range changes {
			if sq.filter.static(c.Room) {
				if err := s.event(c.Type, c.Version, c.Room); err != nil {
					return
				}
			}
		}
		from = current
		select {
		case <-wake:
		case <-heartbeat.C:
			if s.write(": heartbeat\n\n") != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// sendReset sends the whole filtered list as of the feed's current version
// and returns that version. Changes after it follow as events; one that is
// also in the list is sent again, which applying in order makes harmless.
func (a *API) sendReset(ctx context.Context, s *eventStream, f *roomFilter) (directory.Version, error) {
	version := a.m.Directory().Feed().Version()
	rooms, err := a.m.List(ctx)
	if err != nil {
		return version, err
	}
	out := make([]*directory.Room, 0, len(rooms))
	for _, r := range rooms {
		if f.match(r) {
			out = append(out, r)
		}
	}
	return version, s.event("rooms.reset", version, rest.RoomList{Rooms: out, Version: version.String()})
}

// eventStream writes server-sent events. Owned by its handler's goroutine.
type eventStream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (s *eventStream) event(name string, id directory.Version, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	// JSON from encoding/json holds no raw newlines, so one data line does.
	return s.write(fmt.Sprintf("event: %s\nid: %s\ndata: %s\n\n", name, id, data))
}

// write sends text and flushes it, within sseWriteTimeout.
func (s *eventStream) write(text string) error {
	s.rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
	if _, err := s.w.Write([]byte(text)); err != nil {
		return err
	}
	return s.rc.Flush()
}
