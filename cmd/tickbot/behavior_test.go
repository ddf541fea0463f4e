package main

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/game/blobs"
)

// -behavior picks a generic behaviour or a game's own bot: play is the
// game's first bot (wander for a game with none), mixed gives every eight
// bots four of the game's, two wanderers, a chatty one and an idle one.
func TestBehaviorOf(t *testing.T) {
	noBots := arena.Definition()
	noBots.Bots = nil
	for _, tc := range []struct {
		flag string
		def  game.Definition
		want []string // bots 0..7
	}{
		{"play", arena.Definition(), rep8("fighter")},
		{"play", blobs.Definition(), rep8("forager")},
		{"play", noBots, rep8(wander)},
		{"fighter", arena.Definition(), rep8("fighter")},
		{"forager", blobs.Definition(), rep8("forager")},
		{"idle", blobs.Definition(), rep8(idle)},
		{"chatty", arena.Definition(), rep8(chatty)},
		{"mixed", arena.Definition(), []string{"fighter", wander, "fighter", chatty, "fighter", wander, "fighter", idle}},
		{"mixed", blobs.Definition(), []string{"forager", wander, "forager", chatty, "forager", wander, "forager", idle}},
	} {
		var got []string
		for n := range 8 {
			b := behaviorOf(tc.flag, tc.def, n)
			if b.thinks() != (b.name == "fighter" || b.name == "forager") {
				t.Errorf("%s for %s: %s thinks %v", tc.flag, tc.def.Name, b.name, b.thinks())
			}
			got = append(got, b.name)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("-behavior %s for %s: %v, want %v", tc.flag, tc.def.Name, got, tc.want)
		}
	}
	if got := behaviorNames(blobs.Definition()); !slices.Contains(got, "forager") || slices.Contains(got, "fighter") {
		t.Errorf("blobs' behaviours %v", got)
	}
}

func rep8(s string) []string { return []string{s, s, s, s, s, s, s, s} }

// A wanderer sends random values of every input field within the field's
// range, buttons released, and keeps them for 0.7 to 2.5 s: whatever the
// game, from its schema alone.
func TestWalker(t *testing.T) {
	for _, s := range []*game.Schema{arena.New(arena.Config{}).Schema(), blobs.New(blobs.Config{}).Schema()} {
		rng := rand.New(rand.NewPCG(1, 2))
		var w walker
		start := time.Unix(0, 0)
		prev, changed := w.walk(rng, s.Input, start), start
		var turns []time.Duration
		seen := make([]map[int32]bool, len(s.Input))
		for i := range seen {
			seen[i] = map[int32]bool{}
		}
		for ms := 0; ms < 60_000; ms += 10 {
			now := start.Add(time.Duration(ms) * time.Millisecond)
			in := w.walk(rng, s.Input, now)
			for i, f := range s.Input {
				v := in.V[i]
				if v < f.Min || v > f.Max || (f.Buttons && v != 0) {
					t.Fatalf("%s: %s = %d, outside %d..%d (buttons %v)", s.Game, f.Name, v, f.Min, f.Max, f.Buttons)
				}
				seen[i][v] = true
			}
			for i := len(s.Input); i < game.MaxInputFields; i++ {
				if in.V[i] != 0 {
					t.Fatalf("%s: value %d beyond the schema's %d fields", s.Game, i, len(s.Input))
				}
			}
			if in != prev {
				turns = append(turns, now.Sub(changed))
				prev, changed = in, now
			}
		}
		if len(turns) < 20 {
			t.Fatalf("%s: %d turns in a minute", s.Game, len(turns))
		}
		for _, d := range turns[1:] {
			if d < 700*time.Millisecond || d > 2510*time.Millisecond {
				t.Fatalf("%s: kept an input for %v, want 0.7 to 2.5 s", s.Game, d)
			}
		}
		for i, f := range s.Input {
			if !f.Buttons && len(seen[i]) < 10 {
				t.Errorf("%s: %s took only %d values", s.Game, f.Name, len(seen[i]))
			}
		}
	}
}

// With -input-on-change a thinking bot's wide input fields go in steps of
// 1/256 of their range (the arena's aim in 1/256 turn), narrow ones and
// buttons as they are.
func TestCoarse(t *testing.T) {
	arenaIn := arena.New(arena.Config{}).Schema().Input
	for _, tc := range []struct{ aim, want uint16 }{{0, 0}, {127, 0}, {128, 256}, {300, 256}, {40000, 39936}, {65500, 65535}} {
		in := coarse(arena.Input{Seq: 7, Move: arena.MoveLeft | arena.MoveUp, Aim: tc.aim, Buttons: arena.ButtonFire}.Wire(), arenaIn)
		if want := (arena.Input{Seq: 7, Move: arena.MoveLeft | arena.MoveUp, Aim: tc.want, Buttons: arena.ButtonFire}).Wire(); in != want {
			t.Errorf("aim %d: %+v, want %+v", tc.aim, arena.InputOf(in), arena.InputOf(want))
		}
	}
	blobsIn := blobs.New(blobs.Config{Size: 2000}).Schema().Input // tx, ty in 0..2000: steps of 7
	in := coarse(game.Input{V: [game.MaxInputFields]int32{1003, 2000}}, blobsIn)
	if in.V[0] != 1001 || in.V[1] != 2000 {
		t.Errorf("blobs target %v, want 1001, 2000", in.V[:2])
	}
}
