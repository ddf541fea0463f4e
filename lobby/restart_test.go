package lobby_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode/client"
)

// sameKey is what a restarted deployment keeps: its -token-key.
var sameKey = rooms.Options{TokenKey: []byte("kept across restarts")}

// catchUp creates rooms on ts until its feed has counted n changes, the
// way a restarted process numbers its changes from the start again.
func catchUp(t *testing.T, ts *testServer, n uint64) {
	t.Helper()
	for i := 0; ; i++ {
		v, err := directory.ParseVersion(list(t, ts, "").Version)
		if err != nil {
			t.Fatal(err)
		}
		if v.N >= n {
			if v.N != n {
				t.Fatalf("the new feed is at %d, past %d", v.N, n)
			}
			return
		}
		createRoom(t, ts, fmt.Sprintf(`{"name":"new %d"}`, i))
	}
}

// TestFeedResumeAcrossRestart: a watcher that resumes, after a restart,
// from an event id or list version of the old process gets the new
// process's whole list (rooms.reset; a long-poll answers at once), never
// the new process's changes as if they followed the old ones.
func TestFeedResumeAcrossRestart(t *testing.T) {
	before := startServer(t, sameKey, lobby.APIOptions{})
	s := openEvents(t, before, "")
	s.reset(t)
	createRoom(t, before, `{"name":"old one"}`)
	createRoom(t, before, `{"name":"old two"}`)
	s.event(t)
	_, lastID, _ := s.event(t)
	oldList := list(t, before, "").Version
	s.resp.Body.Close()
	before.stop()

	after := startServer(t, sameKey, lobby.APIOptions{})
	catchUp(t, after, lastID.N) // the old numbers mean something else now
	t.Run("long-poll", func(t *testing.T) {
		start := time.Now()
		l := decode[rest.RoomList](t, <-longPoll(t, after, "since="+oldList+"&timeout=10s"), 200)
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("answered after %v; a version from before the restart must answer at once", d)
		}
		if l.Version == oldList || len(l.Rooms) != int(lastID.N) {
			t.Fatalf("answer %+v, want the new process's %d rooms and version", l, lastID.N)
		}
	})
	newest := createRoom(t, after, `{"name":"newest"}`)
	for _, resume := range []struct{ name, query, header string }{
		{"Last-Event-ID", "", lastID.String()},
		{"since", "since=" + oldList, ""},
	} {
		t.Run(resume.name, func(t *testing.T) {
			s := openEvents(t, after, resume.query, "Last-Event-ID", resume.header)
			l := s.reset(t)
			if len(l.Rooms) != int(lastID.N)+1 || l.Rooms[len(l.Rooms)-1].ID != newest.ID {
				t.Fatalf("reset %+v, want the new process's rooms", l)
			}
		})
	}
}

// TestTokensAcrossRestart: nothing of a room survives a restart, so a
// reconnect or join token of the old process, still validly signed with
// the same key, gets 404 naming the room.
func TestTokensAcrossRestart(t *testing.T) {
	before := startServer(t, sameKey, lobby.APIOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	room := createRoom(t, before, `{"name":"lost on restart"}`)
	c := join(t, ctx, before.URL, room.ID, "alice")
	reconnect := c.Welcome().ReconnectToken
	joinSeat := reserve(t, before, room.ID, `{"name":"bob"}`)
	c.CloseNow()
	before.stop()

	after := startServer(t, sameKey, lobby.APIOptions{})
	for name, token := range map[string]string{"reconnect token": reconnect, "join token": joinSeat.Token} {
		t.Run(name, func(t *testing.T) {
			c, err := client.Dial(ctx, "ws"+strings.TrimPrefix(after.URL, "http")+"/ws?token="+token, nil)
			if err == nil {
				c.CloseNow()
				t.Fatal("a token from before the restart connected")
			}
			var p *rest.Problem
			if !errors.As(err, &p) || p.Status != http.StatusNotFound || p.Type != "/problems/room-not-found" || !strings.Contains(p.Detail, room.ID) {
				t.Fatalf("dial: %v, want 404 room-not-found naming room %s", err, room.ID)
			}
		})
	}
	p := problem(t, call(t, "GET", after.URL+"/api/rooms/"+room.ID, ""), 404, "")
	if !strings.Contains(p.Detail, room.ID) {
		t.Fatalf("problem %+v does not name room %s", p, room.ID)
	}
	t.Run("another token key", func(t *testing.T) {
		other := startServer(t, rooms.Options{TokenKey: []byte("another key")}, lobby.APIOptions{})
		dialRefused(t, "ws"+strings.TrimPrefix(other.URL, "http")+"/ws?token="+reconnect, http.StatusUnauthorized)
	})
}
