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
	fmt.Println("joined", c.Welcome().RoomID, "as player", c.PlayerID(), "to play", c.Welcome().Game)
	// The welcome's schema names the game's inputs and entity fields: the
	// SDK knows no game, so a client finds what it needs by name.
	s := c.Schema()
	step := s.InputIndex("step")
	x := s.KindByName("walker").Field("x")
	for range 3 {
		var in game.Input
		in.V[step] = 1
		if _, err := c.SendInput(ctx, in); err != nil {
			panic(err)
		}
		u := readUntil(ctx, c, netcode.MsgSnapshot)
		me := u.Entities[0]
		fmt.Printf("tick %d: input %d applied, x=%d px\n", u.Tick, u.AckSeq, me.V[x]/8)
	}
	c.Ping(ctx)
	u := readUntil(ctx, c, netcode.MsgPong)
	fmt.Println("round trip measured:", u.RTT > 0 && c.RTT() == u.RTT)
	if err := c.Leave(ctx); err != nil {
		panic(err)
	}
	// Output:
	// joined r1 as player 1 to play walk
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
	c.SendInput(ctx, game.Input{})
	u := readUntil(ctx, c, netcode.MsgSnapshot)
	fmt.Printf("snapshot of tick %d: %d bytes, %d entities decoded\n", u.Tick, u.Bytes, len(u.Entities))
	// Output:
	// snapshot of tick 1: 13 bytes, 0 entities decoded
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

// walk is the mini room's game: a walker per player, which steps a pixel
// to the left or right for each input. Its schema is all a client learns
// of it, from the welcome.
func walk() *netcode.Codec {
	return netcode.MustCodec(&game.Schema{
		Game: "walk",
		Kinds: []game.Kind{{ID: 1, Name: "walker", Fields: []game.Field{
			{Name: "x", Type: game.Int32, Delta: game.Diff, Scale: 8, Unit: "px", Interp: true},
		}}},
		Input: []game.InputField{{Name: "step", Min: -1, Max: 1, Unit: "px"}},
	})
}

// miniLobby is the least a server must do for the SDK: answer a join with
// a seat, upgrade /ws with the tickroom.v2 subprotocol, send a welcome
// carrying the game's schema, and answer each input (decoded with the
// game's codec, which checks its range) with a snapshot of the player's
// walker, moved as the input says and acknowledging it. session.Session
// does the WebSocket side (and answers pings itself). tickroom's lobby
// package is the real thing.
func miniLobby() *httptest.Server {
	codec := walk()
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
		sess := session.New(conn, &session.Options{Codec: codec})
		sess.SendFrame(netcode.AppendWelcome(nil, &netcode.Welcome{PlayerID: id, RoomID: "r1", TickRate: 30, ReconnectToken: "-",
			Game: "walk", Mode: "solo", Schema: codec.Schema()}))
		go serveInputs(sess, codec, id)
		sess.Run(r.Context())
	})
	return httptest.NewServer(mux)
}

// serveInputs plays the mini room: one tick per input, each snapshot in
// full.
func serveInputs(sess *session.Session, codec *netcode.Codec, id uint32) {
	world := []game.Entity{{ID: id, Kind: 1, V: [game.MaxFields]int32{800}}}
	var buf []byte
	for m := range sess.Inbox() {
		switch m.Type {
		case netcode.MsgInput:
			world[0].V[0] += 8 * m.Input.V[0]
			tick := m.Input.Seq
			buf = sess.SendSnapshot(tick, codec.AppendSnapshot(buf, tick, 0, m.Input.Seq, id, netcode.View{}, netcode.View{World: world}))
		case netcode.MsgLeave:
			sess.Close(netcode.CloseNormal, "")
		}
	}
}
