package blobs_test

import (
	"fmt"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/blobs"
)

func ExampleGame() {
	g := blobs.New(blobs.Config{Seed: 1, TickRate: 30})
	if err := g.Join(1, "ann"); err != nil {
		panic(err)
	}
	start, _ := g.Blob(1)
	// Head 1000 px to the right of where it spawned.
	g.SetInput(1, blobs.Input{Seq: 1, TX: start.X/8 + 1000, TY: start.Y / 8}.Wire())
	var events []game.Event
	for range 30 {
		events = g.Step(events[:0])
	}
	b, _ := g.Blob(1)
	// A starting blob moves 58/8 px a tick at 30 Hz; this one met no pellet
	// on the way (its mass is still 20), so it kept that speed.
	fmt.Println(g.Tick(), float64(b.X-start.X)/8, b.Y == start.Y, b.Mass)
	// Output: 30 217.5 true 20
}
