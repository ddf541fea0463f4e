package lobby_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
)

// sseEvent is one server-sent event block, or a comment line.
type sseEvent struct {
	name, id, data string
	comment        string
}

// sseStream reads a GET /api/rooms/events response.
type sseStream struct {
	resp *http.Response
	br   *bufio.Reader
}

// openEvents opens the event stream with query and header pairs.
func openEvents(t *testing.T, ts *testServer, query string, header ...string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/rooms/events?"+query, nil)
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	for h, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
		if got := resp.Header.Get(h); got != want {
			t.Fatalf("%s: %q, want %q", h, got, want)
		}
	}
	return &sseStream{resp: resp, br: bufio.NewReader(resp.Body)}
}

// next returns the next event or comment, skipping retry: blocks.
func (s *sseStream) next(t *testing.T) sseEvent {
	t.Helper()
	var ev sseEvent
	for {
		line, err := s.br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev != (sseEvent{}) {
				return ev
			}
		case strings.HasPrefix(line, ":"):
			ev.comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "event: "):
			ev.name = line[7:]
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[6:]
		case strings.HasPrefix(line, "retry: "):
		default:
			t.Fatalf("unexpected line %q", line)
		}
	}
}

// event returns the next event, skipping comments.
func (s *sseStream) event(t *testing.T) (name string, id directory.Version, room directory.Room) {
	t.Helper()
	for {
		ev := s.next(t)
		if ev.comment != "" {
			continue
		}
		id, err := directory.ParseVersion(ev.id)
		if err != nil || id.Epoch == "" {
			t.Fatalf("event %+v: id: %v", ev, err)
		}
		if ev.name != "rooms.reset" {
			if err := json.Unmarshal([]byte(ev.data), &room); err != nil {
				t.Fatalf("event %+v: %v", ev, err)
			}
		}
		return ev.name, id, room
	}
}

// reset reads the rooms.reset the stream must start with.
func (s *sseStream) reset(t *testing.T) rest.RoomList {
	t.Helper()
	ev := s.next(t)
	var l rest.RoomList
	if ev.name != "rooms.reset" || json.Unmarshal([]byte(ev.data), &l) != nil || ev.id != l.Version {
		t.Fatalf("first event %+v, want rooms.reset with id = version", ev)
	}
	return l
}

// TestEventsInOrder: a fresh stream starts with the list, then every public
// change arrives in order, named, with increasing ids; private rooms never.
func TestEventsInOrder(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
	before := createRoom(t, ts, `{"name":"before"}`)
	s := openEvents(t, ts, "")
	if l := s.reset(t); len(l.Rooms) != 1 || l.Rooms[0].ID != before.ID {
		t.Fatalf("reset %+v", l)
	}
	createRoom(t, ts, `{"name":"hidden","private":true,"join_code":"abcd"}`)
	room := createRoom(t, ts, `{"name":"duel","max_players":2}`)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c := join(t, ctx, ts.URL, room.ID, "alice")
	if err := ts.mgr.Close(room.ID); err != nil {
		t.Fatal(err)
	}
	c.CloseNow()
	want := []struct {
		name    string
		check   func(directory.Room) bool
		explain string
	}{
		{"room.created", func(r directory.Room) bool { return r.Players == 0 && r.State == "open" }, "open and empty"},
		{"room.updated", func(r directory.Room) bool { return r.Reserved == 1 }, "one seat reserved"},
		{"room.updated", func(r directory.Room) bool { return r.Players == 1 && r.Reserved == 0 }, "alice playing"},
		{"room.closed", func(r directory.Room) bool { return r.State == "closed" }, "closed"},
	}
	var last directory.Version
	for i, w := range want {
		name, id, r := s.event(t)
		for name == "room.updated" && w.name == "room.updated" && !w.check(r) && r.ID == room.ID {
			name, id, r = s.event(t) // score or ping updates in between
		}
		if name != w.name || r.ID != room.ID || !w.check(r) {
			t.Fatalf("event %d: %s %+v, want %s (%s) of %s", i, name, r, w.name, w.explain, room.ID)
		}
		if id.N <= last.N || (i > 0 && id.Epoch != last.Epoch) {
			t.Fatalf("event %d: id %s after %s", i, id, last)
		}
		last = id
	}
}

// TestEventsResume: a stream resumed with Last-Event-ID (or since=) gets
// exactly the changes it missed; one resumed from a version the server does
// not hold starts over with rooms.reset.
func TestEventsResume(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
	first := openEvents(t, ts, "")
	first.reset(t)
	createRoom(t, ts, `{"name":"one"}`)
	_, seen, _ := first.event(t)
	first.resp.Body.Close()

	missed := []string{createRoom(t, ts, `{"name":"two","mode":"duel"}`).ID, createRoom(t, ts, `{"name":"three"}`).ID}
	for _, resume := range []struct{ name, query, header string }{
		{"Last-Event-ID", "", seen.String()},
		{"since", "since=" + seen.String(), ""},
		{"Last-Event-ID over since", "since=" + directory.Version{Epoch: seen.Epoch, N: 999}.String(), seen.String()},
	} {
		t.Run(resume.name, func(t *testing.T) {
			s := openEvents(t, ts, resume.query, "Last-Event-ID", resume.header)
			for i, id := range missed {
				name, evID, r := s.event(t)
				want := directory.Version{Epoch: seen.Epoch, N: seen.N + uint64(i) + 1}
				if name != "room.created" || r.ID != id || evID != want {
					t.Fatalf("resumed event %d: %s %s %s, want room.created %s %s", i, name, evID, r.ID, want, id)
				}
			}
		})
	}
	t.Run("filtered", func(t *testing.T) {
		s := openEvents(t, ts, "mode=duel", "Last-Event-ID", seen.String())
		if name, _, r := s.event(t); name != "room.created" || r.ID != missed[0] {
			t.Fatalf("%s %s, want the duel room", name, r.ID)
		}
	})
	for name, id := range map[string]string{
		"version ahead of the feed": directory.Version{Epoch: seen.Epoch, N: 1000000}.String(),
		"another epoch":             directory.Version{Epoch: "zzzz", N: seen.N}.String(),
		"id without an epoch":       strconv.FormatUint(seen.N, 10), // from a server before epochs
	} {
		t.Run(name, func(t *testing.T) {
			s := openEvents(t, ts, "", "Last-Event-ID", id)
			if l := s.reset(t); len(l.Rooms) != 3 {
				t.Fatalf("reset with %d rooms, want 3", len(l.Rooms))
			}
		})
	}
}

func TestEventsHeartbeat(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{Heartbeat: 20 * time.Millisecond})
	s := openEvents(t, ts, "")
	s.reset(t)
	for range 3 {
		if ev := s.next(t); ev.comment != "heartbeat" {
			t.Fatalf("got %+v, want a heartbeat comment", ev)
		}
	}
	// EndStreams (on server shutdown) ends the stream.
	ts.api.EndStreams()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, s.br)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stream ended with %v, want a clean end", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stream still open after EndStreams")
	}
}

func TestEventsBadRequest(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
	cases := []struct{ query, lastID, field string }{
		{"since=x", "", "since"},
		{"since=-1", "", "since"},
		{"since=AB-1", "", "since"},
		{"since=ab-", "", "since"},
		{"since=ab-1-", "", "since"},
		{"has_space=true", "", "has_space"},
		{"limit=5", "", "limit"},
		{"mode=A", "", "mode"},
		{"mode=a&mode=b", "", "mode"},
		{"", "abc", "Last-Event-ID"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s %s", tc.query, tc.lastID), func(t *testing.T) {
			problem(t, call(t, "GET", ts.URL+"/api/rooms/events?"+tc.query, "", "Last-Event-ID", tc.lastID), 400, tc.field)
		})
	}
}

// longPoll runs GET /api/rooms?watch=1&… in the background.
func longPoll(t *testing.T, ts *testServer, query string) <-chan answer {
	out := make(chan answer, 1)
	go func() {
		a, err := send(t.Context(), "GET", ts.URL+"/api/rooms?watch=1&"+query, "")
		if err != nil {
			t.Error(err)
		}
		out <- a
	}()
	return out
}

func TestLongPoll(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
	v := list(t, ts, "").Version
	since := "since=" + v

	t.Run("times out without a change", func(t *testing.T) {
		start := time.Now()
		l := decode[rest.RoomList](t, <-longPoll(t, ts, since+"&timeout=150ms"), 200)
		if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
			t.Fatalf("answered after %v, want the 150ms timeout", d)
		}
		if l.Version != v || len(l.Rooms) != 0 {
			t.Fatalf("answer %+v, want version %s unchanged", l, v)
		}
	})
	t.Run("wakes on a change", func(t *testing.T) {
		ch := longPoll(t, ts, since+"&timeout=10s")
		time.Sleep(50 * time.Millisecond) // let it wait
		start := time.Now()
		room := createRoom(t, ts, `{"name":"new"}`)
		l := decode[rest.RoomList](t, <-ch, 200)
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("answered %v after the change", d)
		}
		if l.Version == v || len(l.Rooms) != 1 || l.Rooms[0].ID != room.ID {
			t.Fatalf("answer %+v", l)
		}
		v = l.Version
		since = "since=" + v
	})
	t.Run("answers at once when behind", func(t *testing.T) {
		l := decode[rest.RoomList](t, <-longPoll(t, ts, "since=0&timeout=10s"), 200)
		if l.Version != v {
			t.Fatalf("version %s, want %s", l.Version, v)
		}
		cur, _ := directory.ParseVersion(v)
		l = decode[rest.RoomList](t, <-longPoll(t, ts, "since="+directory.Version{Epoch: cur.Epoch, N: 1000000}.String()+"&timeout=10s"), 200)
		if l.Version != v {
			t.Fatalf("version from the future: answered %s, want %s", l.Version, v)
		}
	})
	t.Run("ignores what its filter hides", func(t *testing.T) {
		ch := longPoll(t, ts, since+"&mode=duel&timeout=10s")
		time.Sleep(50 * time.Millisecond)
		createRoom(t, ts, `{"mode":"ffa"}`)
		createRoom(t, ts, `{"mode":"duel","private":true,"join_code":"abcd"}`)
		select {
		case a := <-ch:
			t.Fatalf("woke for a room its filter hides: %s", a.body)
		case <-time.After(100 * time.Millisecond):
		}
		room := createRoom(t, ts, `{"mode":"duel"}`)
		l := decode[rest.RoomList](t, <-ch, 200)
		if len(l.Rooms) != 1 || l.Rooms[0].ID != room.ID {
			t.Fatalf("answer %+v", l)
		}
	})
	t.Run("ends at EndStreams", func(t *testing.T) {
		ch := longPoll(t, ts, "since=1000000&timeout=10s")
		<-ch // from the future: at once
		ch = longPoll(t, ts, "since="+list(t, ts, "").Version+"&timeout=10s")
		time.Sleep(50 * time.Millisecond)
		start := time.Now()
		ts.api.EndStreams()
		decode[rest.RoomList](t, <-ch, 200)
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("answered %v after EndStreams", d)
		}
	})
}
