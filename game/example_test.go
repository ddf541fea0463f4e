package game_test

import (
	"fmt"

	"github.com/tickroom/tickroom/game"
)

func ExampleArena() {
	a := game.New(game.Config{Seed: 1, TickRate: 30})
	if err := a.Join(1, "ann"); err != nil {
		panic(err)
	}
	a.SetInput(1, game.Input{Seq: 1, Move: game.MoveRight})
	var events []game.Event
	for range 30 {
		events = a.Step(events[:0])
	}
	view := a.View(1, nil)
	fmt.Println(a.Tick(), len(view), view[0].ID, view[0].VX/8)
	// Output: 30 1 1 219
}

func ExampleMovePlayer() {
	b := game.Body{X: 100, Y: 100}
	game.MovePlayer(&b, game.MoveRight|game.MoveDown, 1.0/30, game.DefaultMap().Walls)
	fmt.Println(b.X, b.Y, b.VX, b.VY)
	// Output: 101.375 101.375 41.5 41.5
}
