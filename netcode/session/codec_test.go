package session

import (
	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/netcode"
)

// testCodec is what the tests' sessions decode with: a game of one entity
// kind and three input fields like the arena's, so that the transport's
// tests need no game.
func testCodec() *netcode.Codec {
	return netcode.MustCodec(&game.Schema{
		Game: "test",
		Kinds: []game.Kind{{ID: 1, Name: "dot", Fields: []game.Field{
			{Name: "x", Type: game.Int32, Delta: game.Diff},
			{Name: "y", Type: game.Int32, Delta: game.Diff},
			{Name: "hp", Type: game.Uint8, Delta: game.Value},
		}}},
		Input: []game.InputField{
			{Name: "move", Min: 0, Max: 15},
			{Name: "aim", Min: 0, Max: 65535},
			{Name: "buttons", Min: 0, Max: 1, Buttons: true},
		},
	})
}

// inputMsg is an input message of the test game: seq, move and aim.
func inputMsg(seq uint32, move, aim int32) []byte {
	return testCodec().AppendInput(nil, game.Input{Seq: seq, V: [game.MaxInputFields]int32{move, aim}})
}
