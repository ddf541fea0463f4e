package netcode_test

import (
	"fmt"

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
