package lobby_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/client"
)

// TestReconnectResumesMissedEvents: a client drops without a close
// handshake, another chats meanwhile, and on reconnecting the first
// receives exactly the events it missed, in order, once — through the SDK's
// Reconnect, and on the wire, where nothing it already had is sent again.
func TestReconnectResumesMissedEvents(t *testing.T) {
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	room, err := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{Name: "resume", MaxPlayers: new(4), TickRate: new(30)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	seat, err := client.Reserve(ctx, ts.URL, room.ID, "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	alice, err := client.Dial(ctx, seat.WSURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alice.CloseNow() })
	bob := join(t, ctx, ts.URL, room.ID, "bob")
	var log eventLog // every event, as bob, who never drops, sees them
	log.readUntil(t, ctx, bob, game.EventJoin, bob.PlayerID(), "")
	had := readEventsUntil(t, ctx, alice, game.EventJoin, bob.PlayerID(), "")

	// Through the SDK: drop, miss two chats, Reconnect.
	alice.CloseNow()
	last := chatWhileAway(t, ctx, bob, &log, "one", "two")
	if err := alice.Reconnect(ctx); err != nil {
		t.Fatal(err)
	}
	got := readEventsUntil(t, ctx, alice, game.EventChat, bob.PlayerID(), "two")
	if want := log.after(had[len(had)-1].Seq); !slices.Equal(got, want) {
		t.Fatalf("after Reconnect alice got %v, want %v", got, want)
	}
	if got[len(got)-1].Seq != last {
		t.Fatalf("last event %d, want %d", got[len(got)-1].Seq, last)
	}

	// On the wire: drop again, miss one more chat, and reconnect by hand
	// with the token and last_event, reading every event frame undeduplicated.
	alice.CloseNow()
	chatWhileAway(t, ctx, bob, &log, "three")
	raw := rawEvents(t, ctx, seat.WSURL, alice.Welcome().ReconnectToken, last)
	if want := log.after(last); !slices.Equal(raw, want) {
		t.Fatalf("resumed after event %d, the server sent %v, want exactly %v", last, raw, want)
	}
}

// eventLog is the room's events as one client saw them, in order.
type eventLog []game.Event

func (l *eventLog) readUntil(t *testing.T, ctx context.Context, c *client.Client, kind game.EventKind, a uint32, text string) {
	t.Helper()
	*l = append(*l, readEventsUntil(t, ctx, c, kind, a, text)...)
}

// after returns the events after seq.
func (l eventLog) after(seq uint32) []game.Event {
	i := slices.IndexFunc(l, func(e game.Event) bool { return e.Seq > seq })
	if i < 0 {
		return nil
	}
	return l[i:]
}

// chatWhileAway has c say each text and waits until the room has sent them
// back, so they are logged before anyone reconnects; it returns the last
// event's seq.
func chatWhileAway(t *testing.T, ctx context.Context, c *client.Client, log *eventLog, texts ...string) uint32 {
	t.Helper()
	for _, text := range texts {
		if err := c.Chat(ctx, text); err != nil {
			t.Fatal(err)
		}
	}
	log.readUntil(t, ctx, c, game.EventChat, c.PlayerID(), texts[len(texts)-1])
	return (*log)[len(*log)-1].Seq
}

// readEventsUntil reads c until an event of kind by a (with text, when
// given) arrives and returns every event read, in order.
func readEventsUntil(t *testing.T, ctx context.Context, c *client.Client, kind game.EventKind, a uint32, text string) []game.Event {
	t.Helper()
	var out []game.Event
	for {
		u, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for event %d by %d: %v (read %v)", kind, a, err, out)
		}
		for _, e := range u.Events {
			out = append(out, e)
			if e.Kind == kind && e.A == a && (text == "" || e.Text == text) {
				return out
			}
		}
	}
}

// rawEvents reconnects with token and lastEvent on a bare WebSocket and
// returns every event the server sends in its first 15 ticks.
func rawEvents(t *testing.T, ctx context.Context, wsURL, token string, lastEvent uint32) []game.Event {
	t.Helper()
	u, err := url.Parse(wsURL)
	if err != nil {
		t.Fatal(err)
	}
	u.RawQuery = url.Values{"token": {token}, "last_event": {strconv.FormatUint(uint64(lastEvent), 10)}}.Encode()
	conn, _, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{Subprotocols: []string{netcode.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)
	var out []game.Event
	var m netcode.ServerMessage
	for snapshots := 0; snapshots < 15; {
		_, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("raw read: %v", err)
		}
		if err := netcode.DecodeServer(data, &m); err != nil {
			t.Fatal(err)
		}
		switch m.Type {
		case netcode.MsgSnapshot:
			snapshots++
		case netcode.MsgEvents:
			out = append(out, m.Events...)
		case netcode.MsgError:
			t.Fatalf("server error %d: %s", m.Error.Code, m.Error.Message)
		}
	}
	return out
}

// TestInputSeqContinuesAfterResume: the Go SDK numbers its inputs after
// the welcome's LastInputSeq when it resumes — through Reconnect, after
// inputs it sent were lost with the old connection, and as a new Client
// dialled with the reconnect token (a restarted bot) — and the server
// accepts them; one far ahead of the last accepted closes the connection
// 1008 naming its seq.
func TestInputSeqContinuesAfterResume(t *testing.T) {
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	room, err := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{Name: "seq"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	seat, err := client.Reserve(ctx, ts.URL, room.ID, "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	alice, err := client.Dial(ctx, seat.WSURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alice.CloseNow() })
	// sendAcked sends one input and reads until a snapshot acknowledges it.
	sendAcked := func(c *client.Client, want uint32) {
		t.Helper()
		seq, err := c.SendInput(ctx, arena.Input{Move: arena.MoveUp}.Wire())
		if err != nil || seq != want {
			t.Fatalf("SendInput: seq %d, %v; want seq %d", seq, err, want)
		}
		for readSnapshot(t, ctx, c).AckSeq != seq {
		}
	}
	for seq := uint32(1); seq <= 3; seq++ {
		sendAcked(alice, seq)
	}

	// The line drops; an input sent meanwhile is lost with it.
	alice.CloseNow()
	if _, err := alice.SendInput(ctx, arena.Input{Move: arena.MoveUp}.Wire()); err == nil {
		t.Fatal("input sent on a closed connection")
	}
	if err := alice.Reconnect(ctx); err != nil {
		t.Fatal(err)
	}
	if got := alice.Welcome().LastInputSeq; got != 3 {
		t.Fatalf("welcome after Reconnect: last input seq %d, want 3", got)
	}
	sendAcked(alice, 4)

	// A new client with the reconnect token, as a restarted bot would.
	alice.CloseNow()
	u, _ := url.Parse(seat.WSURL)
	u.RawQuery = url.Values{"token": {alice.Welcome().ReconnectToken}}.Encode()
	again, err := client.Dial(ctx, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { again.CloseNow() })
	if got := again.Welcome().LastInputSeq; got != 4 {
		t.Fatalf("welcome of a new client: last input seq %d, want 4", got)
	}
	sendAcked(again, 5)

	// Far ahead: refused, naming the seq.
	if _, err := again.SendInput(ctx, game.Input{Seq: 5 + 5000}); err != nil {
		t.Fatal(err)
	}
	for {
		u, err := again.Read(ctx)
		if err != nil {
			if code := client.CloseStatus(err); code != netcode.ClosePolicyViolation || !strings.Contains(err.Error(), "input seq 5005 ") {
				t.Fatalf("closed with %v, want 1008 naming seq 5005", err)
			}
			break
		}
		if u.Type == netcode.MsgError && !strings.Contains(u.Error.Message, "5005") {
			t.Fatalf("error message %+v", u.Error)
		}
	}
}
