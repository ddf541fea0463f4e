package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"github.com/coder/websocket"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/client"
	"github.com/tickroom/tickroom/netcode/session"
)

// The SDK against a real server: here a minimal stand-in for tickroom's
// lobby (miniLobby, below) so the example runs anywhere. Against tickroom,
// pass its URL (http://127.0.0.1:8080) and a room id from CreateRoom or
// ListRooms.
func ExampleJoinRoom() {
	server := miniLobby()
	defer server.Close()
	ctx := context.Background()

	c, err := client.JoinRoom(ctx, server.URL, "r1", "ada", nil)
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
func ExampleOptions_skipEntities() {
	server := miniLobby()
	defer server.Close()
	ctx := context.Background()

	c, err := client.JoinRoom(ctx, server.URL, "r1", "idle-bot", &client.Options{SkipEntities: true})
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
func readUntil(ctx context.Context, c *client.Client, t netcode.MsgType) *client.Update {
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
// input to the right and acknowledging the input. session.Session does the
// WebSocket side (and answers pings itself). tickroom's lobby package is
// the real thing.
func miniLobby() *httptest.Server {
	var players atomic.Uint32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/rooms/{id}/join", func(w http.ResponseWriter, r *http.Request) {
		id := players.Add(1)
		json.NewEncoder(w).Encode(rest.Seat{RoomID: r.PathValue("id"), PlayerID: id,
			Token: fmt.Sprint(id), WSURL: "ws://" + r.Host + "/ws?token=" + fmt.Sprint(id)})
	})
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{netcode.Subprotocol}})
		if err != nil {
			return
		}
		var id uint32
		fmt.Sscan(r.URL.Query().Get("token"), &id)
		sess := session.New(conn, nil)
		sess.SendFrame(netcode.AppendWelcome(nil, &netcode.Welcome{PlayerID: id, RoomID: "r1", TickRate: 30, ReconnectToken: "-"}))
		go serveInputs(sess, id)
		sess.Run(r.Context())
	})
	return httptest.NewServer(mux)
}

// serveInputs plays the mini room: one tick per input.
func serveInputs(sess *session.Session, id uint32) {
	avatar := []game.Entity{{ID: id, Kind: game.KindPlayer, X: 800, HP: 100}}
	var buf []byte
	for m := range sess.Inbox() {
		switch m.Type {
		case netcode.MsgInput:
			avatar[0].X += 8
			tick := m.Input.Seq
			buf = sess.SendSnapshot(tick, netcode.AppendSnapshot(buf, tick, 0, m.Input.Seq, nil, avatar))
		case netcode.MsgLeave:
			sess.Close(netcode.CloseNormal, "")
		}
	}
}
