package lobby_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/client"
)

// dialRaw takes a seat with a bare WebSocket, to send what no SDK would.
func dialRaw(t *testing.T, ctx context.Context, ts *testServer, roomID string) *websocket.Conn {
	t.Helper()
	seat, err := client.Reserve(ctx, ts.URL, roomID, "raw", nil)
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := websocket.Dial(ctx, seat.WSURL, &websocket.DialOptions{Subprotocols: []string{netcode.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return conn
}

// closedWith reads until the server closes and returns its close error.
func closedWith(t *testing.T, ctx context.Context, conn *websocket.Conn) websocket.CloseError {
	t.Helper()
	for {
		_, _, err := conn.Read(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("connection ended without a close frame: %v", err)
		}
		return ce
	}
}

// watchRate counts snapshots a well-behaved client receives and flags any
// skipped tick, while misbehaving clients share its room.
type watchRate struct {
	got, skipped atomic.Int64
}

func watch(ctx context.Context, c *client.Client, w *watchRate) {
	var last uint32
	for {
		u, err := c.Read(ctx)
		if err != nil {
			return
		}
		if u.Type != netcode.MsgSnapshot {
			continue
		}
		if last != 0 && u.Tick != last+1 {
			w.skipped.Add(1)
		}
		last = u.Tick
		w.got.Add(1)
	}
}

func TestBadFramesGetCloseCodes(t *testing.T) {
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	room, err := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{MaxPlayers: new(16), TickRate: new(30)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	honest := join(t, ctx, ts.URL, room.ID, "honest")
	var rate watchRate
	go watch(ctx, honest, &rate)
	start := time.Now()

	flood := func(conn *websocket.Conn) {
		for i := range 5000 {
			if conn.Write(ctx, websocket.MessageBinary, netcode.AppendInput(nil, game.Input{Seq: uint32(i + 1)})) != nil {
				return
			}
		}
	}
	tests := []struct {
		name   string
		send   func(*websocket.Conn)
		code   websocket.StatusCode
		reason string
	}{
		{"oversized", func(c *websocket.Conn) { c.Write(ctx, websocket.MessageBinary, make([]byte, 5000)) }, websocket.StatusMessageTooBig, ""},
		{"text frame", func(c *websocket.Conn) { c.Write(ctx, websocket.MessageText, []byte(`{"type":"input"}`)) }, websocket.StatusUnsupportedData, "binary"},
		{"undecodable", func(c *websocket.Conn) { c.Write(ctx, websocket.MessageBinary, []byte{0xc1, 0x00}) }, websocket.StatusPolicyViolation, "malformed"},
		{"move out of range", func(c *websocket.Conn) {
			c.Write(ctx, websocket.MessageBinary, []byte{0x95, 0x01, 0x01, 0x63, 0x00, 0x00})
		}, websocket.StatusPolicyViolation, "move"},
		{"NaN ping", func(c *websocket.Conn) {
			c.Write(ctx, websocket.MessageBinary, append([]byte{0x92, 0x02, 0xcb}, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1))
		}, websocket.StatusPolicyViolation, "ping"},
		{"flood", flood, websocket.StatusPolicyViolation, "flooding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := dialRaw(t, ctx, ts, room.ID)
			go tt.send(conn)
			ce := closedWith(t, ctx, conn)
			if ce.Code != tt.code || !strings.Contains(ce.Reason, tt.reason) {
				t.Fatalf("closed with %d %q, want %d containing %q", ce.Code, ce.Reason, tt.code, tt.reason)
			}
		})
	}
	// Meanwhile, and for a while after, the honest client gets every tick.
	time.Sleep(time.Until(start.Add(2 * time.Second)))
	elapsed := time.Since(start).Seconds()
	// On a loaded CI machine a rare coalesced snapshot is tolerated; a
	// stall or a lower rate is not.
	if want := int64(elapsed * 30 * 0.9); rate.got.Load() < want || rate.skipped.Load() > 3 {
		t.Fatalf("honest client got %d snapshots (%d gaps) in %.1fs at 30 Hz", rate.got.Load(), rate.skipped.Load(), elapsed)
	}
}

func TestTokensRefused(t *testing.T) {
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	roomA, _ := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{Name: "a"}, nil)
	roomB, _ := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{Name: "b"}, nil)
	used, err := client.Reserve(ctx, ts.URL, roomA.ID, "once", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(ctx, used.WSURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	fresh, _ := client.Reserve(ctx, ts.URL, roomA.ID, "fresh", nil)
	expired := ts.mgr.Tokens().Sign(rooms.Claims{Kind: rooms.TokenJoin, RoomID: roomA.ID, PlayerID: fresh.PlayerID, Expires: time.Now().Add(-time.Minute).Unix()})
	forged := rooms.NewTokens([]byte("not the server's key"), nil).Sign(rooms.Claims{Kind: rooms.TokenJoin, RoomID: roomA.ID, PlayerID: fresh.PlayerID, Expires: time.Now().Add(time.Minute).Unix()})
	tampered := []byte(fresh.Token)
	tampered[5] ^= 1

	tests := []struct{ name, url string }{
		{"reused", used.WSURL},
		{"expired", wsURLWith(fresh.WSURL, expired)},
		{"forged", wsURLWith(fresh.WSURL, forged)},
		{"tampered", wsURLWith(fresh.WSURL, string(tampered))},
		{"other room", fresh.WSURL + "&room=" + roomB.ID},
		{"missing", strings.Split(fresh.WSURL, "?")[0]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.Dial(ctx, tt.url, nil)
			var apiErr *rest.Problem
			if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || apiErr.Field != "token" {
				t.Fatalf("dial with %s token: %v, want a 401 problem naming the token", tt.name, err)
			}
		})
	}
	// The fresh token still works after all that.
	ok, err := client.Dial(ctx, fresh.WSURL, nil)
	if err != nil {
		t.Fatalf("fresh token refused: %v", err)
	}
	ok.CloseNow()
}

func wsURLWith(wsURL, token string) string {
	return strings.Split(wsURL, "?")[0] + "?token=" + token
}

func TestCrossOriginUpgradeRefused(t *testing.T) {
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{OriginPatterns: []string{"game.example.com"}})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	room, _ := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{}, nil)
	for _, tt := range []struct {
		origin string
		status int
	}{
		{"http://evil.example.net", http.StatusForbidden},
		{"https://game.example.com", http.StatusSwitchingProtocols},
		{"", http.StatusSwitchingProtocols}, // bots send no Origin
	} {
		seat, _ := client.Reserve(ctx, ts.URL, room.ID, "p", nil)
		h := http.Header{}
		if tt.origin != "" {
			h.Set("Origin", tt.origin)
		}
		conn, resp, err := websocket.Dial(ctx, seat.WSURL, &websocket.DialOptions{HTTPHeader: h, Subprotocols: []string{netcode.Subprotocol}})
		if resp == nil || resp.StatusCode != tt.status {
			t.Fatalf("origin %q: response %v, err %v; want status %d", tt.origin, resp, err, tt.status)
		}
		if conn != nil {
			conn.CloseNow()
		}
	}
}

// TestReconnectKeepsPlayer: a player who scored, then lost its TCP
// connection, comes back as the same player with the same score.
func TestReconnectKeepsPlayer(t *testing.T) {
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	room, _ := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{TickRate: new(30)}, nil)
	shooter := join(t, ctx, ts.URL, room.ID, "shooter")
	target := join(t, ctx, ts.URL, room.ID, "target")
	go func() { // the target only reads
		for {
			if _, err := target.Read(ctx); err != nil {
				return
			}
		}
	}()
	me := waitForEntity(t, ctx, shooter, shooter.PlayerID())
	them := waitForEntity(t, ctx, shooter, target.PlayerID())
	aim := uint16(math.Atan2(float64(them.Y-me.Y), float64(them.X-me.X)) / (2 * math.Pi) * 65536)
	var score int32
	for score == 0 {
		if _, err := shooter.SendInput(ctx, game.Input{Aim: aim, Buttons: game.ButtonFire}); err != nil {
			t.Fatal(err)
		}
		u := readSnapshot(t, ctx, shooter)
		if e, ok := find(u.Entities, shooter.PlayerID()); ok {
			score = e.Score
		}
	}

	shooter.CloseNow() // the network drops; no close frame
	r, _ := ts.mgr.Get(room.ID)
	checkFor(t, 5*time.Second, func() error {
		for _, p := range r.Info().Roster {
			if p.ID == shooter.PlayerID() && p.State == "reconnecting" {
				return nil
			}
		}
		return errors.New("dropped player not shown as reconnecting")
	})
	if err := shooter.Reconnect(ctx); err != nil {
		t.Fatal(err)
	}
	if shooter.Welcome().PlayerID != shooter.PlayerID() {
		t.Fatal("reconnected as another player")
	}
	e := waitForEntity(t, ctx, shooter, shooter.PlayerID())
	if e.Score != score || e.Flags&game.FlagReconnecting != 0 {
		t.Fatalf("after reconnect: score %d flags %b, want score %d, not reconnecting", e.Score, e.Flags, score)
	}
}

// TestKeepaliveDropsSilentPeer: a peer that answers nothing is detected
// within two keepalive intervals even though TCP still looks fine.
func TestKeepaliveDropsSilentPeer(t *testing.T) {
	ts := startServer(t, rooms.Options{SlowAfter: time.Minute}, lobby.APIOptions{KeepaliveInterval: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	room, _ := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{}, nil)
	silent := join(t, ctx, ts.URL, room.ID, "silent") // never reads: never answers pings
	r, _ := ts.mgr.Get(room.ID)
	checkFor(t, 3*time.Second, func() error {
		for _, p := range r.Info().Roster {
			if p.ID == silent.PlayerID() && p.State == "reconnecting" {
				return nil
			}
		}
		return errors.New("silent peer still counted as playing")
	})
}

// panicky is an arena whose Step panics once armed.
type panicky struct {
	game.Game
	armed *atomic.Bool
}

func (p panicky) Step(ev []game.Event) []game.Event {
	if p.armed.Load() {
		panic("injected failure")
	}
	return p.Game.Step(ev)
}

func TestPanicClosesOnlyThatRoom(t *testing.T) {
	var armed atomic.Bool
	ts := startServerGame(t, func(cfg rooms.Config) game.Game {
		g := smallArena(cfg)
		if cfg.Name == "doomed" {
			return panicky{g, &armed}
		}
		return g
	})
	mgr := ts.mgr
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	doomed, _ := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{Name: "doomed"}, nil)
	fine, _ := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{Name: "fine"}, nil)
	victim := join(t, ctx, ts.URL, doomed.ID, "victim")
	bystander := join(t, ctx, ts.URL, fine.ID, "bystander")
	readSnapshot(t, ctx, victim)
	armed.Store(true)

	var gotError bool
	for {
		u, err := victim.Read(ctx)
		if err != nil {
			if code := client.CloseStatus(err); code != netcode.CloseInternalError {
				t.Fatalf("victim closed with %d (%v), want 1011", code, err)
			}
			break
		}
		gotError = gotError || (u.Type == netcode.MsgError && u.Error.Code == netcode.CodeInternal)
	}
	if !gotError {
		t.Fatal("victim got no error message before the close")
	}
	checkFor(t, 5*time.Second, func() error {
		if _, err := mgr.Get(doomed.ID); !errors.Is(err, rooms.ErrNotFound) {
			return fmt.Errorf("panicked room still known: %v", err)
		}
		return nil
	})
	// The other room keeps ticking.
	a := readSnapshot(t, ctx, bystander).Tick
	for range 10 {
		readSnapshot(t, ctx, bystander)
	}
	if b := readSnapshot(t, ctx, bystander).Tick; b <= a {
		t.Fatal("the other room stopped")
	}
}

// TestProbeWithoutSubprotocolKeepsSeat: a plain GET with a valid token (a
// browser asking why its upgrade failed) is told what is wrong and does
// not spend the token; a bad token is named as such.
func TestProbeWithoutSubprotocolKeepsSeat(t *testing.T) {
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	room, _ := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{}, nil)
	seat, _ := client.Reserve(ctx, ts.URL, room.ID, "prober", nil)
	httpURL := "http" + strings.TrimPrefix(seat.WSURL, "ws")
	for _, tt := range []struct {
		url, field string
		status     int
	}{
		{httpURL, "Sec-WebSocket-Protocol", http.StatusBadRequest},
		{httpURL + "x", "token", http.StatusUnauthorized},
	} {
		resp, err := http.Get(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		var p rest.Problem
		json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != tt.status || p.Field != tt.field {
			t.Fatalf("probe: %d %+v, want %d naming %s", resp.StatusCode, p, tt.status, tt.field)
		}
	}
	c, err := client.Dial(ctx, seat.WSURL, nil)
	if err != nil {
		t.Fatalf("token spent by a probe: %v", err)
	}
	c.CloseNow()
}

// TestFrameInHandshakePacket: a client that sends its first frame in the
// same TCP write as the upgrade request (net/http has already buffered it)
// must not lose it or corrupt the stream.
func TestFrameInHandshakePacket(t *testing.T) {
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	room, _ := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{}, nil)
	observer := join(t, ctx, ts.URL, room.ID, "observer")
	seat, err := client.Reserve(ctx, ts.URL, room.ID, "eager", nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(seat.WSURL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " + netcode.Subprotocol + "\r\n\r\n"
	payload := netcode.AppendChat(nil, "same packet")
	frame := append([]byte{0x82, 0x80 | byte(len(payload)), 0, 0, 0, 0}, payload...) // masked with a zero key
	if _, err := conn.Write(append([]byte(req), frame...)); err != nil {
		t.Fatal(err)
	}
	waitForText(t, ctx, observer, "same packet")
}

// A client that has its 101 is a live session: shutdown waits for it,
// even if the room has not attached it yet.
func TestWaitSessionsCountsUpgradedClient(t *testing.T) {
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{Limits: noQuotas})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for range 20 {
		room, err := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		seat, err := client.Reserve(ctx, ts.URL, room.ID, "p", nil)
		if err != nil {
			t.Fatal(err)
		}
		conn, _, err := websocket.Dial(ctx, seat.WSURL, &websocket.DialOptions{Subprotocols: []string{netcode.Subprotocol}})
		if err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(ctx, 5*time.Millisecond)
		err = ts.api.WaitSessions(wctx)
		wcancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WaitSessions with a client connected: %v, want it to wait", err)
		}
		conn.Close(websocket.StatusNormalClosure, "")
		if err := ts.api.WaitSessions(ctx); err != nil {
			t.Fatalf("WaitSessions after the client left: %v", err)
		}
	}
}
