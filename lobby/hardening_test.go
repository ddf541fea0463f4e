package lobby_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/game/blobs"
	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/lobbytest"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/client"
	"github.com/tickroom/tickroom/netcode/session"
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

// closedWith reads until the server closes and returns its close error,
// with the Error messages that came before it.
func closedWith(t *testing.T, ctx context.Context, conn *websocket.Conn) (websocket.CloseError, []netcode.Error) {
	t.Helper()
	var errs []netcode.Error
	var m netcode.ServerMessage
	for {
		_, data, err := conn.Read(ctx)
		if err == nil {
			if netcode.DecodeServer(data, &m) == nil && m.Type == netcode.MsgError {
				errs = append(errs, m.Error)
			}
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("connection ended without a close frame: %v", err)
		}
		return ce, errs
	}
}

// rawConn is a seat taken on a bare TCP socket, to write frames that no
// WebSocket library would.
type rawConn struct {
	net.Conn
	br       *bufio.Reader
	playerID uint32
}

func dialRawTCP(t *testing.T, ctx context.Context, ts *testServer, roomID string) *rawConn {
	t.Helper()
	seat, err := client.Reserve(ctx, ts.URL, roomID, "raw", nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(seat.WSURL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n\r\n",
		u.RequestURI(), u.Host, netcode.Subprotocol)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return &rawConn{conn, br, seat.PlayerID}
}

// readClose reads the server's frames until its close frame, for at most
// d, and returns the close code and reason and the Error messages before
// it.
func (c *rawConn) readClose(t *testing.T, d time.Duration) (websocket.CloseError, []netcode.Error) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	var errs []netcode.Error
	var m netcode.ServerMessage
	for {
		var h [2]byte
		if _, err := io.ReadFull(c.br, h[:]); err != nil {
			t.Fatalf("no close frame within %v: %v", d, err)
		}
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126, 127:
			ext := make([]byte, map[uint64]int{126: 2, 127: 8}[n])
			if _, err := io.ReadFull(c.br, ext); err != nil {
				t.Fatal(err)
			}
			n = 0
			for _, b := range ext {
				n = n<<8 | uint64(b)
			}
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(c.br, payload); err != nil {
			t.Fatal(err)
		}
		switch h[0] & 0x0f {
		case 8:
			if len(payload) < 2 {
				t.Fatalf("close frame without a code: %x", payload)
			}
			return websocket.CloseError{Code: websocket.StatusCode(binary.BigEndian.Uint16(payload)), Reason: string(payload[2:])}, errs
		case 2:
			if netcode.DecodeServer(payload, &m) == nil && m.Type == netcode.MsgError {
				errs = append(errs, m.Error)
			}
		}
	}
}

// clientFrame is a masked client frame of any length, with the header's
// first byte b0 (FIN, RSV and opcode).
func clientFrame(b0 byte, payload []byte) []byte {
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	f = append(f, key[:]...)
	for i, b := range payload {
		f = append(f, b^key[i%4])
	}
	return f
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

	codec := arenaCodec()
	flood := func(conn *websocket.Conn) {
		for i := range 5000 {
			if conn.Write(ctx, websocket.MessageBinary, codec.AppendInput(nil, game.Input{Seq: uint32(i + 1)})) != nil {
				return
			}
		}
	}
	tests := []struct {
		name   string
		send   func(*websocket.Conn) // through a WebSocket library
		raw    []byte                // or as bytes on a bare socket
		code   websocket.StatusCode
		reason string
		ec     netcode.ErrorCode // the Error message before the close
	}{
		{name: "oversized", send: func(c *websocket.Conn) { c.Write(ctx, websocket.MessageBinary, make([]byte, 5000)) },
			code: websocket.StatusMessageTooBig, reason: "limit", ec: netcode.CodeBadMessage},
		{name: "text frame", send: func(c *websocket.Conn) { c.Write(ctx, websocket.MessageText, []byte(`{"type":"input"}`)) },
			code: websocket.StatusUnsupportedData, reason: "binary", ec: netcode.CodeBadMessage},
		{name: "undecodable", send: func(c *websocket.Conn) { c.Write(ctx, websocket.MessageBinary, []byte{0xc1, 0x00}) },
			code: websocket.StatusPolicyViolation, reason: "malformed", ec: netcode.CodeBadMessage},
		{name: "move out of range", send: func(c *websocket.Conn) {
			c.Write(ctx, websocket.MessageBinary, []byte{0x95, 0x01, 0x01, 0x63, 0x00, 0x00})
		}, code: websocket.StatusPolicyViolation, reason: "move", ec: netcode.CodeBadMessage},
		{name: "NaN ping", send: func(c *websocket.Conn) {
			c.Write(ctx, websocket.MessageBinary, append([]byte{0x92, 0x02, 0xcb}, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1))
		}, code: websocket.StatusPolicyViolation, reason: "ping", ec: netcode.CodeBadMessage},
		{name: "flood", send: flood, code: websocket.StatusPolicyViolation, reason: "flooding", ec: netcode.CodeRateLimited},
		// Frames no library sends. A header that declares too much is
		// refused at once, without waiting for a payload that never comes.
		{name: "unmasked", raw: []byte{0x82, 0x02, 0x91, 0x04},
			code: websocket.StatusProtocolError, reason: "unmasked", ec: netcode.CodeBadMessage},
		{name: "declares 5000 bytes, sends none", raw: clientFrame(0x82, make([]byte, 5000))[:8],
			code: websocket.StatusMessageTooBig, reason: "5000 bytes", ec: netcode.CodeBadMessage},
		{name: "declares 2^63 bytes", raw: []byte{0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4},
			code: websocket.StatusMessageTooBig, reason: "limit", ec: netcode.CodeBadMessage},
		{name: "fragments over the limit", raw: append(clientFrame(0x02, make([]byte, 3000)), clientFrame(0x80, make([]byte, 3000))[:8]...),
			code: websocket.StatusMessageTooBig, reason: "6000 bytes", ec: netcode.CodeBadMessage},
		{name: "reserved opcode", raw: clientFrame(0x83, nil),
			code: websocket.StatusProtocolError, reason: "opcode", ec: netcode.CodeBadMessage},
		{name: "ping over 125 bytes", raw: clientFrame(0x89, make([]byte, 126)),
			code: websocket.StatusProtocolError, reason: "control frame", ec: netcode.CodeBadMessage},
		{name: "continuation first", raw: clientFrame(0x80, []byte{0x91, 0x04}),
			code: websocket.StatusProtocolError, reason: "continuation", ec: netcode.CodeBadMessage},
		{name: "reserved bit", raw: clientFrame(0xc2, []byte{0x91, 0x04}),
			code: websocket.StatusProtocolError, reason: "reserved bits", ec: netcode.CodeBadMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ce websocket.CloseError
			var errs []netcode.Error
			if tt.raw != nil {
				conn := dialRawTCP(t, ctx, ts, room.ID)
				if _, err := conn.Write(tt.raw); err != nil {
					t.Fatal(err)
				}
				// Long before a keepalive could end it.
				ce, errs = conn.readClose(t, 2*time.Second)
			} else {
				conn := dialRaw(t, ctx, ts, room.ID)
				go tt.send(conn)
				ce, errs = closedWith(t, ctx, conn)
			}
			if ce.Code != tt.code || !strings.Contains(ce.Reason, tt.reason) {
				t.Fatalf("closed with %d %q, want %d containing %q", ce.Code, ce.Reason, tt.code, tt.reason)
			}
			if len(errs) == 0 || errs[len(errs)-1].Code != tt.ec || errs[len(errs)-1].Message != ce.Reason {
				t.Fatalf("Error messages before the close: %+v, want the last with code %d and the close's reason", errs, tt.ec)
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
			if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || apiErr.Type != "/problems/bad-token" || apiErr.Field != "token" {
				t.Fatalf("dial with %s token: %+v, want a 401 /problems/bad-token naming the token", tt.name, err)
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

// TestCrossOriginKeepsSeat: a browser upgrade from a foreign origin is
// refused before its token is spent, with a problem naming Origin; the
// same token then connects from an allowed origin.
func TestCrossOriginKeepsSeat(t *testing.T) {
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{OriginPatterns: []string{"game.example.com", "https://*.example.org"}})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	room := createRoom(t, ts, `{}`)
	for _, allowed := range []string{"https://game.example.com", "https://play.example.org", ""} {
		t.Run("then "+allowed, func(t *testing.T) {
			seat := reserve(t, ts, room.ID, `{"name":"p"}`)
			for _, foreign := range []string{"http://evil.example.net", "http://play.example.org", "null", "https://game.example.com.evil.net"} {
				_, resp, err := websocket.Dial(ctx, seat.WSURL, &websocket.DialOptions{
					HTTPHeader: http.Header{"Origin": {foreign}}, Subprotocols: []string{netcode.Subprotocol}})
				if resp == nil {
					t.Fatalf("origin %q: %v", foreign, err)
				}
				a := answer{status: resp.StatusCode, header: resp.Header}
				a.body, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				if p := problem(t, a, http.StatusForbidden, "Origin"); p.Type != "/problems/forbidden" {
					t.Fatalf("origin %q: problem %+v, want /problems/forbidden", foreign, p)
				}
			}
			h := http.Header{}
			if allowed != "" {
				h.Set("Origin", allowed)
			}
			conn, _, err := websocket.Dial(ctx, seat.WSURL, &websocket.DialOptions{HTTPHeader: h, Subprotocols: []string{netcode.Subprotocol}})
			if err != nil {
				t.Fatalf("origin %q after refused ones: %v (the refusals spent the token?)", allowed, err)
			}
			conn.CloseNow()
		})
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
		if _, err := shooter.SendInput(ctx, arena.Input{Aim: aim, Buttons: arena.ButtonFire}.Wire()); err != nil {
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
	if e.Score != score || e.Flags&arena.FlagAway != 0 {
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
	ts := startServerGames(t, rooms.Options{}, lobbytest.SmallArena(),
		smallArenaAs("doomed", func(g game.Game) game.Game { return panicky{g, &armed} }))
	mgr := ts.mgr
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	doomed, _ := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{Name: "doomed", Game: "doomed"}, nil)
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

// TestKickedClientLosesSeat: a client the server closes for what it sent
// (flooding, malformed input, broken framing) cannot take its seat back
// with its reconnect token, and the seat is free for another player as
// soon as the client has seen its close.
func TestKickedClientLosesSeat(t *testing.T) {
	ts := startServer(t, rooms.Options{ReconnectGrace: time.Minute}, lobby.APIOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for _, tt := range []struct {
		name string
		send func(*websocket.Conn)
	}{
		{"flooding", func(c *websocket.Conn) {
			codec := arenaCodec()
			for i := range 5000 {
				if c.Write(ctx, websocket.MessageBinary, codec.AppendInput(nil, game.Input{Seq: uint32(i + 1)})) != nil {
					return
				}
			}
		}},
		{"malformed", func(c *websocket.Conn) { c.Write(ctx, websocket.MessageBinary, []byte{0x92, 0x01, 0x01}) }},
		{"oversized", func(c *websocket.Conn) { c.Write(ctx, websocket.MessageBinary, make([]byte, 5000)) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			room, err := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{MaxPlayers: new(2)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			join(t, ctx, ts.URL, room.ID, "honest")
			seat, err := client.Reserve(ctx, ts.URL, room.ID, "kicked", nil)
			if err != nil {
				t.Fatal(err)
			}
			conn, _, err := websocket.Dial(ctx, seat.WSURL, &websocket.DialOptions{Subprotocols: []string{netcode.Subprotocol}})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.CloseNow()
			_, data, err := conn.Read(ctx)
			var m netcode.ServerMessage
			if err != nil || netcode.DecodeServer(data, &m) != nil || m.Type != netcode.MsgWelcome {
				t.Fatalf("first message: %v", err)
			}
			token := m.Welcome.ReconnectToken
			go tt.send(conn)
			if ce, _ := closedWith(t, ctx, conn); ce.Code == websocket.StatusNormalClosure {
				t.Fatalf("closed with %v", ce)
			}
			_, err = client.Dial(ctx, wsURLWith(seat.WSURL, token), nil)
			var p *rest.Problem
			if !errors.As(err, &p) || p.Status != http.StatusUnauthorized || p.Type != "/problems/bad-token" {
				t.Fatalf("reconnect after the kick: %v, want a 401 bad-token problem", err)
			}
			if _, err := client.Reserve(ctx, ts.URL, room.ID, "next", nil); err != nil {
				t.Fatalf("join right after the kick: %v, want the kicked player's seat", err)
			}
		})
	}
}

// TestNonReadingClientClosed: a client that connects and then never reads
// (kernel buffers keep taking its snapshots, so the server sees no
// backpressure) answers no ping, and it is closed within the bound
// docs/security.md states: 2.5 keepalive intervals, 12.5 s by default. The
// test runs a 1 s interval, so the bound is 2.5 s.
func TestNonReadingClientClosed(t *testing.T) {
	if got := session.NewKeepalive(0).Bound(); got != 12500*time.Millisecond {
		t.Fatalf("the default keepalive closes a non-reading client within %v; docs/security.md says 12.5 s", got)
	}
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{KeepaliveInterval: time.Second})
	bound := session.NewKeepalive(time.Second).Bound()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel) // after the parallel subtests
	for _, tt := range []struct {
		name string
		dial func(t *testing.T, roomID string) uint32
	}{
		{"SDK client that never calls Read", func(t *testing.T, roomID string) uint32 {
			return join(t, ctx, ts.URL, roomID, "deaf").PlayerID()
		}},
		{"raw socket that never reads", func(t *testing.T, roomID string) uint32 {
			return dialRawTCP(t, ctx, ts, roomID).playerID
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			room, err := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := ts.mgr.Get(room.ID)
			start := time.Now()
			id := tt.dial(t, room.ID)
			checkFor(t, 2*time.Second, func() error {
				if st := playerState(r, id); st != "playing" {
					return fmt.Errorf("player %d is %q", id, st)
				}
				return nil
			})
			checkFor(t, bound-time.Since(start), func() error {
				if st := playerState(r, id); st != "reconnecting" {
					return fmt.Errorf("a client that never reads is still %q %v after it connected", st, time.Since(start).Round(time.Millisecond))
				}
				return nil
			})
		})
	}
}

// playerState is player id's state in the room's roster ("" when absent).
func playerState(r *rooms.Room, id uint32) string {
	for _, p := range r.Info().Roster {
		if p.ID == id {
			return p.State
		}
	}
	return ""
}

// TestBadInputOfEachGame: an input of the built-in games with a field out
// of its schema's range, a field too many or too few, or a value that is
// not an integer, closes the connection with 1008 and a reason naming the
// field or what is wrong, after an Error message with the same reason.
func TestBadInputOfEachGame(t *testing.T) {
	ts := startServerGames(t, rooms.Options{}, arena.Definition(), blobs.Definition())
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	// [1, seq, fields...] as MessagePack, each field given as raw bytes.
	input := func(seq byte, fields ...[]byte) []byte {
		b := []byte{0x90 | byte(2+len(fields)), byte(netcode.MsgInput), seq}
		for _, f := range fields {
			b = append(b, f...)
		}
		return b
	}
	u16 := func(v uint16) []byte { return []byte{0xcd, byte(v >> 8), byte(v)} }
	i8 := func(v int8) []byte { return []byte{0xd0, byte(v)} }
	f64 := []byte{0xcb, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18} // 3.14159…
	for _, tc := range []struct {
		game, name string
		frame      []byte
		reason     string
	}{
		// The arena's input: move (bits 0..15), aim (0..65535), buttons (0..1).
		{"arena", "move out of range", input(1, []byte{0x10}, u16(0), []byte{0}), "move: 16 out of range 0..15"},
		{"arena", "negative aim", input(1, []byte{0}, i8(-1), []byte{0}), "aim: -1 out of range 0..65535"},
		{"arena", "a field too many", input(1, []byte{0}, u16(0), []byte{0}, []byte{0}), "input: 6 elements, want 5"},
		{"arena", "a field too few", input(1, []byte{0}, u16(0)), "input: 4 elements, want 5"},
		{"arena", "a float", input(1, f64, u16(0), []byte{0}), "move: want an integer"},
		// Blobs': tx and ty, a point on the 4000 px field.
		{"blobs", "tx past the field", input(1, u16(4001), u16(0)), "tx: 4001 out of range 0..4000"},
		{"blobs", "negative ty", input(1, u16(0), i8(-5)), "ty: -5 out of range 0..4000"},
		{"blobs", "a field too many", input(1, u16(0), u16(0), u16(0)), "input: 5 elements, want 4"},
		{"blobs", "a float", input(1, u16(0), f64), "ty: want an integer"},
	} {
		t.Run(tc.game+"/"+tc.name, func(t *testing.T) {
			room, err := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{Game: tc.game}, nil)
			if err != nil {
				t.Fatal(err)
			}
			conn := dialRaw(t, ctx, ts, room.ID)
			if err := conn.Write(ctx, websocket.MessageBinary, tc.frame); err != nil {
				t.Fatal(err)
			}
			ce, errs := closedWith(t, ctx, conn)
			if ce.Code != websocket.StatusPolicyViolation || !strings.Contains(ce.Reason, tc.reason) {
				t.Fatalf("closed with %d %q, want 1008 naming %q", ce.Code, ce.Reason, tc.reason)
			}
			if len(errs) == 0 || errs[len(errs)-1].Code != netcode.CodeBadMessage || errs[len(errs)-1].Message != ce.Reason {
				t.Fatalf("Error messages before the close: %+v, want the last with the close's reason", errs)
			}
		})
	}
}
