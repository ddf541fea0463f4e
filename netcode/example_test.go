package netcode_test

import (
	"fmt"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/netcode"
)

// The server encodes each tick against the last snapshot the client has;
// the client, which knows no game, makes its codec from the welcome's
// schema, rebuilds the full state with a Baselines and finds fields by
// name.
func ExampleBaselines() {
	schema := arena.New(arena.Config{}).Schema()
	server := netcode.MustCodec(schema)
	me := arena.Entity{ID: 1, Kind: arena.KindPlayer, X: 800, VX: -240, HP: 100}
	tick7 := []game.Entity{me.Wire()}
	me.X = 760
	shot := arena.Entity{ID: 9, Kind: arena.KindProjectile, X: 790, VX: -7200, Owner: 1, Born: 8}
	tick8 := []game.Entity{me.Wire(), shot.Wire()}
	frames := [][]byte{
		netcode.AppendWelcome(nil, &netcode.Welcome{PlayerID: 1, TickRate: 30, Game: "arena", Schema: schema}),
		server.AppendSnapshot(nil, 7, 0, 1, 1, netcode.View{}, netcode.View{World: tick7}),
		server.AppendSnapshot(nil, 8, 7, 2, 1, netcode.View{World: tick7}, netcode.View{World: tick8}),
	}

	var (
		m     netcode.ServerMessage
		bases netcode.Baselines
		x     int // the player's field "x"
	)
	for _, frame := range frames {
		if err := netcode.DecodeServer(frame, &m); err != nil {
			panic(err)
		}
		switch m.Type {
		case netcode.MsgWelcome:
			codec, err := netcode.NewCodec(m.Welcome.Schema)
			if err != nil {
				panic(err)
			}
			bases.Reset(codec)
			x = m.Welcome.Schema.KindByName("player").Field("x")
			fmt.Printf("welcome to %s: %d kinds, %d input fields\n", m.Welcome.Game, len(m.Welcome.Schema.Kinds), len(m.Welcome.Schema.Input))
		case netcode.MsgSnapshot:
			state, err := bases.Apply(&m.Snapshot)
			if err != nil {
				panic(err) // ErrUnknownBaseline: reconnect
			}
			fmt.Printf("tick %d (%d bytes): %d entities, player x=%d\n", m.Snapshot.Tick, len(frame), len(state), state[0].V[x])
		}
	}
	// Output:
	// welcome to arena: 2 kinds, 3 input fields
	// tick 7 (17 bytes): 1 entities, player x=800
	// tick 8 (22 bytes): 2 entities, player x=760
}

// The server checks every input against the schema's input fields and
// names the field it refuses.
func ExampleCodec_DecodeClient() {
	codec := netcode.MustCodec(arena.New(arena.Config{}).Schema())
	frame := codec.AppendInput(nil, arena.Input{Seq: 12, Move: arena.MoveLeft, Aim: 32768}.Wire())
	var m netcode.ClientMessage
	if err := codec.DecodeClient(frame, &m); err != nil {
		panic(err)
	}
	fmt.Printf("% x\n%+v\n", frame, arena.InputOf(m.Input))
	err := codec.DecodeClient([]byte{0x95, 0x01, 0x0c, 0x04, 0xce, 0x00, 0x01, 0x11, 0x70, 0x00}, &m)
	fmt.Println(err)
	// Output:
	// 95 01 0c 04 cd 80 00 00
	// {Seq:12 Move:4 Aim:32768 Buttons:0}
	// netcode: malformed message: input: aim: 70000 out of range 0..65535
}
