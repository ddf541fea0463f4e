package netcode_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"github.com/coder/websocket"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/netcode"
)

// The server encodes each tick against the last snapshot the client has;
// the client decodes it and rebuilds the full state with a Baselines.
func ExampleBaselines() {
	tick7 := []game.Entity{{ID: 1, Kind: game.KindPlayer, X: 800, HP: 100}}
	tick8 := []game.Entity{
		{ID: 1, Kind: game.KindPlayer, X: 760, HP: 100},
		{ID: 9, Kind: game.KindProjectile, X: 790, VX: -4000, Owner: 1, Born: 8},
	}
	full := netcode.AppendSnapshot(nil, 7, 0, 1, nil, tick7)
	delta := netcode.AppendSnapshot(nil, 8, 7, 2, tick7, tick8)

	var (
		m     netcode.ServerMessage
		bases netcode.Baselines
	)
	for _, frame := range [][]byte{full, delta} {
		if err := netcode.DecodeServer(frame, &m); err != nil {
			panic(err)
		}
		state, err := bases.Apply(&m.Snapshot)
		if err != nil {
			panic(err) // ErrUnknownBaseline: reconnect
		}
		fmt.Printf("tick %d (%d bytes): %d entities, player x=%d\n", m.Snapshot.Tick, len(frame), len(state), state[0].X)
	}
	// Output:
	// tick 7 (14 bytes): 1 entities, player x=800
	// tick 8 (23 bytes): 2 entities, player x=760
}

func ExampleDecodeClient() {
	frame := netcode.AppendInput(nil, game.Input{Seq: 12, Move: game.MoveLeft, Aim: 32768})
	var m netcode.ClientMessage
	if err := netcode.DecodeClient(frame, &m); err != nil {
		panic(err)
	}
	fmt.Printf("% x\n%+v\n", frame, m.Input)
	err := netcode.DecodeClient([]byte{0x95, 0x01, 0x0c, 0x10, 0x00, 0x00}, &m)
	fmt.Println(err)
	// Output:
	// 95 01 0c 04 cd 80 00 00
	// {Seq:12 Move:4 Aim:32768 Buttons:0}
	// netcode: malformed message: input: move: 16 out of range 0..15
}

// The SDK against a real server: here a minimal stand-in for tickroom's
// lobby (miniLobby, below) so the example runs anywhere. Against tickroom,
// pass its URL (http://127.0.0.1:8080) and a room id from CreateRoom or
// ListRooms.
func ExampleJoinRoom() {
	server := miniLobby()
	defer server.Close()
	ctx := context.Background()

	c, err := netcode.JoinRoom(ctx, server.URL, "r1", "ada", nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("joined", c.Welcome().RoomID, "as player", c.PlayerID())
	for range 3 {
		if _, err := c.SendInput(ctx, game.Input{Move: game.MoveRight}); err != nil {
			panic(err)
		}
		u := readUntil(ctx, c, netcode.MsgSnapshot)
		me := u.Entities[0]
		fmt.Printf("tick %d: input %d applied, x=%d px\n", u.Tick, u.AckSeq, me.X/8)
	}
	c.Ping(ctx)
	u := readUntil(ctx, c, netcode.MsgPong)
	fmt.Println("round trip measured:", u.RTT > 0 && c.RTT() == u.RTT)
	if err := c.Leave(ctx); err != nil {
		panic(err)
	}
	// Output:
	// joined r1 as player 1
	// tick 1: input 1 applied, x=101 px
	// tick 2: input 2 applied, x=102 px
	// tick 3: input 3 applied, x=103 px
	// round trip measured: true
}

// A client that only counts snapshots (an idle load-test bot) skips
// decoding their entities.
func ExampleClientOptions_skipEntities() {
	server := miniLobby()
	defer server.Close()
	ctx := context.Background()

	c, err := netcode.JoinRoom(ctx, server.URL, "r1", "idle-bot", &netcode.ClientOptions{SkipEntities: true})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.SendInput(ctx, game.Input{Move: game.MoveDown})
	u := readUntil(ctx, c, netcode.MsgSnapshot)
	fmt.Printf("snapshot of tick %d: %d bytes, %d entities decoded\n", u.Tick, u.Bytes, len(u.Entities))
	// Output:
	// snapshot of tick 1: 14 bytes, 0 entities decoded
}

// readUntil reads updates until one of type t arrives.
func readUntil(ctx context.Context, c *netcode.Client, t netcode.MsgType) *netcode.Update {
	for {
		u, err := c.Read(ctx)
		if err != nil {
			panic(err)
		}
		if u.Type == t {
			return u
		}
	}
}

// miniLobby is the least a server must do for the SDK: answer a join with
// a seat, upgrade /ws with the tickroom.v1 subprotocol, send a welcome, and
// answer each input with a snapshot of the player's avatar, moved 1 px per
// input to the right and acknowledging the input. netcode.Session does the
// WebSocket side (and answers pings itself). tickroom's lobby package is
// the real thing.
func miniLobby() *httptest.Server {
	var players atomic.Uint32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/rooms/{id}/join", func(w http.ResponseWriter, r *http.Request) {
		id := players.Add(1)
		json.NewEncoder(w).Encode(netcode.Seat{RoomID: r.PathValue("id"), PlayerID: id,
			Token: fmt.Sprint(id), WSURL: "ws://" + r.Host + "/ws?token=" + fmt.Sprint(id)})
	})
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{netcode.Subprotocol}})
		if err != nil {
			return
		}
		var id uint32
		fmt.Sscan(r.URL.Query().Get("token"), &id)
		sess := netcode.NewSession(conn, nil)
		sess.SendFrame(netcode.AppendWelcome(nil, &netcode.Welcome{PlayerID: id, RoomID: "r1", TickRate: 30, ReconnectToken: "-"}))
		go serveInputs(sess, id)
		sess.Run(r.Context())
	})
	return httptest.NewServer(mux)
}

// serveInputs plays the mini room: one tick per input.
func serveInputs(sess *netcode.Session, id uint32) {
	avatar := []game.Entity{{ID: id, Kind: game.KindPlayer, X: 800, HP: 100}}
	var buf []byte
	for m := range sess.Inbox() {
		switch m.Type {
		case netcode.MsgInput:
			avatar[0].X += 8
			tick := m.Input.Seq
			buf = sess.SendSnapshot(tick, netcode.AppendSnapshot(buf, tick, 0, m.Input.Seq, nil, avatar))
		case netcode.MsgLeave:
			sess.Close(websocket.StatusNormalClosure, "")
		}
	}
}
