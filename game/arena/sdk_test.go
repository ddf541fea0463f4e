package arena

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tickroom/tickroom/game"
)

// TestWorldAndInterest: what the room sends (World, and each player's
// Interest in it, private fields as a client reads them) is exactly the
// typed View the arena's own rules give, every entity fits the schema, and
// World is sorted by id.
func TestWorldAndInterest(t *testing.T) {
	a := New(Config{Seed: 3})
	rng := rand.New(rand.NewPCG(3, 4))
	for id := range uint32(10) {
		if err := a.Join(id+1, "p"); err != nil {
			t.Fatal(err)
		}
	}
	s := a.Schema()
	var world []game.Entity
	var idx []int32
	for tick := range 200 {
		for id := range uint32(10) {
			a.SetInput(id+1, Input{Move: uint8(rng.IntN(16)), Aim: uint16(rng.Uint32()), Buttons: uint8(rng.IntN(2))}.Wire())
		}
		a.Step(nil)
		world = a.World(world[:0])
		if !slices.IsSortedFunc(world, func(x, y game.Entity) int { return cmpID(x.ID, y.ID) }) {
			t.Fatalf("tick %d: world not sorted by id", tick)
		}
		for i := range world {
			if err := s.CheckEntity(&world[i]); err != nil {
				t.Fatalf("tick %d: %v", tick, err)
			}
		}
		for id := range uint32(10) {
			idx = a.Interest(id+1, world, idx[:0])
			var got []Entity
			for _, i := range idx {
				e := world[i]
				if e.ID != id+1 {
					private(s, &e)
				}
				got = append(got, EntityOf(&e))
			}
			if want := a.View(id+1, nil); !slices.Equal(got, want) {
				t.Fatalf("tick %d player %d: interest gives\n %+v\nview gives\n %+v", tick, id+1, got, want)
			}
		}
	}
}

// private zeroes e's private fields, as a viewer other than its own player
// reads them.
func private(s *game.Schema, e *game.Entity) {
	for i, f := range s.KindByID(e.Kind).Fields {
		if f.Private {
			e.V[i] = 0
		}
	}
}

// TestHashFollowsState: the same operations hash alike; any difference in
// what happened shows.
func TestHashFollowsState(t *testing.T) {
	run := func(aim uint16) *Arena {
		a := New(Config{Seed: 9})
		a.Join(1, "a")
		a.Join(2, "b")
		a.SetInput(1, Input{Move: MoveRight, Aim: aim, Buttons: ButtonFire}.Wire())
		for range 40 {
			a.Step(nil)
		}
		return a
	}
	if run(100).Hash() != run(100).Hash() {
		t.Error("two identical runs hash differently")
	}
	if run(100).Hash() == run(200).Hash() {
		t.Error("runs with different aims hash alike")
	}
	a := run(100)
	h := a.Hash()
	a.SetInput(2, Input{Move: MoveUp}.Wire()) // not yet stepped: only the input differs
	if a.Hash() == h {
		t.Error("a new input does not change the hash")
	}
}

// A fighter heads for and shoots at the nearest live enemy.
func TestFighter(t *testing.T) {
	s := New(Config{}).Schema()
	f := NewFighter(s, 30, 1)
	view := []game.Entity{
		(&Entity{ID: 1, Kind: KindPlayer, X: 8 * 100, Y: 8 * 100, HP: 100}).Wire(),
		(&Entity{ID: 2, Kind: KindPlayer, X: 8 * 600, Y: 8 * 100, HP: 100}).Wire(),                // 500 px right
		(&Entity{ID: 3, Kind: KindPlayer, X: 8 * 100, Y: 8 * 150, Flags: FlagDead}).Wire(),        // dead
		(&Entity{ID: FirstShotID, Kind: KindProjectile, X: 8 * 110, Y: 8 * 100, Owner: 2}).Wire(), // not a player
	}
	in := InputOf(f.Think(1, 1, view, nil))
	if in.Move != MoveRight || in.Buttons != ButtonFire || in.Aim != 0 {
		t.Errorf("fighter input %+v, want right, fire, aim 0", in)
	}
	view[0].V[FieldFlags] = int32(FlagDead)
	if in := f.Think(1, 2, view, nil); in != (game.Input{}) {
		t.Errorf("a dead fighter sends %+v", in)
	}
}
