package lobby

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
)

// streamSlots counts open event streams and long-polls, per client and in
// all: each holds a socket, so together they are bounded below what the
// process may open, and health checks and joins always find one.
type streamSlots struct {
	perClient, total int // static; 0 or less: no cap

	mu  sync.Mutex
	n   map[clientKey]int // guarded by mu
	all int               // guarded by mu
}

func newStreamSlots(perClient, total int) *streamSlots {
	return &streamSlots{perClient: perClient, total: total, n: make(map[clientKey]int)}
}

// acquire takes a slot for client, or explains which cap is reached.
// release gives it back; call it once.
func (s *streamSlots) acquire(client clientKey) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.perClient > 0 && s.n[client] >= s.perClient:
		return nil, &QuotaError{Quota: "max-streams-per-client",
			Detail: fmt.Sprintf("you have %d event streams and long-polls open, the most one client may (limit %d); close one", s.n[client], s.perClient)}
	case s.total > 0 && s.all >= s.total:
		return nil, &QuotaError{Quota: "max-streams", NodeWide: true, RetryAfter: sseRetry,
			Detail: fmt.Sprintf("this server has as many event streams and long-polls open as it allows (limit %d); poll GET /api/rooms meanwhile", s.total)}
	}
	s.n[client]++
	s.all++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.all--
		if s.n[client]--; s.n[client] <= 0 {
			delete(s.n, client)
		}
	}, nil
}

// hubStream is one event stream whose connection the hub serves. Its
// fields are guarded by the hub's mu, except that while busy its conn
// belongs to the writer goroutine.
type hubStream struct {
	conn    net.Conn // nil for a stream its own handler writes (fallback)
	filter  roomFilter
	release func()
	from    directory.Version // the feed version the stream has been sent up to
	resume  bool              // from is a version the client holds; else it needs a reset
	busy    bool              // a writer goroutine is writing to conn
	closed  bool
}

// streamHub serves every hijacked event stream with no goroutine of its
// own while it is idle: one goroutine (run) wakes at each change of the
// room feed and at each heartbeat, works out what each idle stream needs,
// and starts a writer goroutine only for a stream that has something to
// send; the writer exits once it has sent all there is. A stream that does
// not read is cut off by its write deadline; one that has fallen a whole
// feed behind meanwhile gets a fresh rooms.reset. A client that has gone
// is noticed at the next heartbeat (its socket is peeked, where the system
// allows it) or the next write.
//
// Compared with a handler goroutine per stream (which net/http pairs with
// a background reader goroutine and 8 KiB of buffers), a stream costs its
// socket and this struct.
type streamHub struct {
	// static after construction
	feed      *directory.Feed
	list      func(context.Context) ([]*directory.Room, error)
	heartbeat time.Duration
	kick      chan struct{} // a stream was added: serve it now

	writers sync.WaitGroup

	mu      sync.Mutex
	streams map[*hubStream]struct{} // guarded by mu
	fresh   []*hubStream            // added since the last pass; guarded by mu
	ended   bool                    // guarded by mu
	beat    chan struct{}           // closed at the next heartbeat; guarded by mu
}

func newStreamHub(feed *directory.Feed, list func(context.Context) ([]*directory.Room, error), heartbeat time.Duration) *streamHub {
	return &streamHub{feed: feed, list: list, heartbeat: heartbeat,
		kick: make(chan struct{}, 1), streams: make(map[*hubStream]struct{}), beat: make(chan struct{})}
}

// sseHeader starts a hijacked event stream: the response has no length and
// ends when the connection closes.
const sseHeader = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n" +
	"X-Accel-Buffering: no\r\nConnection: close\r\n\r\n"

// add serves s from now on; after the hub has ended it closes s at once.
func (h *streamHub) add(s *hubStream) {
	h.mu.Lock()
	if h.ended {
		h.mu.Unlock()
		s.conn.Close()
		s.release()
		return
	}
	h.streams[s] = struct{}{}
	h.fresh = append(h.fresh, s)
	h.mu.Unlock()
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// run serves the streams until ctx ends, then closes them all and waits
// for their writers.
func (h *streamHub) run(ctx context.Context) {
	ticker := time.NewTicker(h.heartbeat)
	defer ticker.Stop()
	var seen directory.Version
	first := true
	for {
		// The wake channel is taken before the pass: a change during the
		// pass closes it, so none is missed. Only when the feed has moved
		// does every stream need a look; otherwise just the new ones do.
		_, current, wake, _ := h.feed.Since(h.feed.Version())
		h.pass(ctx, first || current != seen)
		seen, first = current, false
		select {
		case <-ctx.Done():
			h.end()
			return
		case <-wake:
		case <-h.kick:
		case <-ticker.C:
			h.beatAll(ctx)
		}
	}
}

// pass starts a writer for every idle stream that has something to send:
// every stream when all is set, else the streams added since the last pass
// (a burst of new streams costs each its own look, not a look at all).
func (h *streamHub) pass(ctx context.Context, all bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	enc := make(changeText)
	since := make(map[directory.Version]feedSince)
	serve := func(s *hubStream) {
		if s.busy || s.closed {
			return
		}
		text, reset := h.pending(s, enc, since)
		if reset || len(text) > 0 {
			h.startWriter(ctx, s, text, reset)
		}
	}
	if all {
		for s := range h.streams {
			serve(s)
		}
	} else {
		for _, s := range h.fresh {
			serve(s)
		}
	}
	clear(h.fresh)
	h.fresh = h.fresh[:0]
}

// beatAll sends the heartbeat to every idle stream, first dropping those
// whose client has gone, and wakes the streams their handlers serve.
func (h *streamHub) beatAll(ctx context.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.beat)
	h.beat = make(chan struct{})
	for s := range h.streams {
		if s.busy || s.closed {
			continue
		}
		if peerClosed(s.conn) {
			h.closeLocked(s)
			continue
		}
		h.startWriter(ctx, s, []byte(": heartbeat\n\n"), false)
	}
}

// reap drops the streams whose client has gone, now: the caps count open
// streams, and a client that left since the last heartbeat holds nothing.
func (h *streamHub) reap() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.streams {
		if !s.busy && !s.closed && peerClosed(s.conn) {
			h.closeLocked(s)
		}
	}
}

// nextBeat is closed at the next heartbeat.
func (h *streamHub) nextBeat() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.beat
}

func (h *streamHub) end() {
	h.mu.Lock()
	h.ended = true
	for s := range h.streams {
		h.closeLocked(s)
	}
	clear(h.fresh)
	h.fresh = nil
	h.mu.Unlock()
	h.writers.Wait()
}

// closeLocked ends s: a busy writer's write fails and it returns.
func (h *streamHub) closeLocked(s *hubStream) {
	if s.closed {
		return
	}
	s.closed = true
	s.conn.Close()
	s.release()
	delete(h.streams, s)
}

func (h *streamHub) startWriter(ctx context.Context, s *hubStream, text []byte, reset bool) {
	s.busy = true
	h.writers.Add(1)
	go h.write(ctx, s, text, reset)
}

// write sends text (after a rooms.reset when reset is set) to s, and
// whatever came meanwhile, until there is nothing left.
func (h *streamHub) write(ctx context.Context, s *hubStream, text []byte, reset bool) {
	defer h.writers.Done()
	for {
		if reset {
			var err error
			if text, err = h.resetText(ctx, s); err != nil {
				h.mu.Lock()
				h.closeLocked(s)
				h.mu.Unlock()
				return
			}
		}
		s.conn.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
		_, err := s.conn.Write(text)
		h.mu.Lock()
		if err != nil || s.closed {
			h.closeLocked(s)
			h.mu.Unlock()
			return
		}
		text, reset = h.pending(s, nil, nil)
		if !reset && len(text) == 0 {
			s.busy = false
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
	}
}

// changeText is each change's event text, by version, made once for
// every stream it goes to.
type changeText map[directory.Version][]byte

// feedSince is one Feed.Since answer, shared by the streams at one version.
type feedSince struct {
	changes  []directory.Change
	current  directory.Version
	complete bool
}

// pending returns the events s has not been sent yet, or reset when it
// needs a rooms.reset first (a fresh stream, or one the feed has left
// behind). It moves s.from past what it returns. Call with mu held (or on
// a stream only its own goroutine knows); enc and since may be nil.
func (h *streamHub) pending(s *hubStream, enc changeText, since map[directory.Version]feedSince) (text []byte, reset bool) {
	fs, ok := since[s.from]
	if !ok {
		fs.changes, fs.current, _, fs.complete = h.feed.Since(s.from)
		if since != nil {
			since[s.from] = fs
		}
	}
	if !s.resume || !fs.complete { // incomplete also for a version of another epoch, or ahead
		return nil, true
	}
	for _, c := range fs.changes {
		if !s.filter.static(c.Room) {
			continue
		}
		ev, ok := enc[c.Version]
		if !ok {
			ev = eventText(c.Type, c.Version, c.Room)
			if enc != nil {
				enc[c.Version] = ev
			}
		}
		text = append(text, ev...)
	}
	s.from = fs.current
	return text, false
}

// resetText is a rooms.reset of s's filtered list as of the feed's current
// version; the stream goes on from that version. Changes after it follow
// as events; one that is also in the list is sent again, which applying in
// order makes harmless.
func (h *streamHub) resetText(ctx context.Context, s *hubStream) ([]byte, error) {
	version := h.feed.Version()
	rooms, err := h.list(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*directory.Room, 0, len(rooms))
	for _, r := range rooms {
		if s.filter.match(r) {
			out = append(out, r)
		}
	}
	h.mu.Lock()
	s.from, s.resume = version, true
	h.mu.Unlock()
	return eventText("rooms.reset", version, rest.RoomList{Rooms: out, Version: version.String()}), nil
}

// eventText is one server-sent event. JSON from encoding/json holds no
// raw newlines, so one data line does.
func eventText(name string, id directory.Version, v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		data = []byte("null")
	}
	b := make([]byte, 0, len(name)+len(data)+40)
	b = append(b, "event: "...)
	b = append(b, name...)
	b = append(b, "\nid: "...)
	b = append(b, id.String()...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}
