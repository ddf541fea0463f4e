package arena_test

import (
	"fmt"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
)

func ExampleArena() {
	a := arena.New(arena.Config{Seed: 1, TickRate: 30})
	if err := a.Join(1, "ann"); err != nil {
		panic(err)
	}
	a.SetInput(1, arena.Input{Seq: 1, Move: arena.MoveRight}.Wire())
	var events []game.Event
	for range 30 {
		events = a.Step(events[:0])
	}
	view := a.View(1, nil)
	fmt.Println(a.Tick(), len(view), view[0].ID, view[0].VX/8)
	// Output: 30 1 1 219
}

func ExampleMovePlayer() {
	b := arena.Body{X: 100, Y: 100}
	arena.MovePlayer(&b, arena.MoveRight|arena.MoveDown, 1.0/30, arena.DefaultMap().Walls)
	fmt.Println(b.X, b.Y, b.VX, b.VY)
	// Output: 101.375 101.375 41.5 41.5
}
