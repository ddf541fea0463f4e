package arena

import (
	"slices"
	"testing"

	"github.com/tickroom/tickroom/game"
)

func TestView(t *testing.T) {
	a := arenaWith(t,
		Point{1200, 560},  // 1: viewer
		Point{1900, 900},  // 2: in view, near the corner
		Point{2100, 560},  // 3: 900 px right, out
		Point{1200, 1100}, // 4: 540 px down, out
		Point{400, 200},   // 5: 800 px left, 360 up: in (edge)
	)
	for id := range PlayerID(5) {
		a.SetInput(id+1, Input{Move: MoveDown}.Wire())
	}
	a.Step(nil)
	got := a.View(1, nil)
	ids := make([]uint32, len(got))
	for i, e := range got {
		ids[i] = e.ID
	}
	if want := []uint32{1, 2, 5}; !slices.Equal(ids, want) {
		t.Fatalf("view of 1: %v, want %v", ids, want)
	}
	if got[0].VY == 0 {
		t.Errorf("viewer's own velocity hidden: %+v", got[0])
	}
	if got[1].VY != 0 || got[2].VY != 0 {
		t.Errorf("others' velocity sent: %+v", got[1:])
	}
	if got := a.View(99, nil); len(got) != 0 {
		t.Errorf("view of a stranger: %v", got)
	}
}

// TestViewMatchesScan checks the grid finds exactly what a scan of every
// entity finds, over a busy random game.
func TestViewMatchesScan(t *testing.T) {
	a := New(Config{Seed: 4})
	for id := range PlayerID(24) {
		a.Join(id+1, "p")
	}
	r := newRNG(8)
	var got, all []Entity
	for tick := range 300 {
		script(a, 24, &r)
		a.Step(nil)
		all = a.Entities(all[:0])
		for id := range PlayerID(24) {
			got = a.View(id+1, got[:0])
			if want := scanView(all, id+1, a.Tick(), a.rate); !slices.Equal(got, want) {
				t.Fatalf("tick %d, view of %d:\n got %v\nwant %v", tick, id+1, got, want)
			}
		}
	}
}

// scanView is View by a scan of every entity, each where At says it is now.
func scanView(all []Entity, id PlayerID, tick uint32, rate int) []Entity {
	var self Entity
	for _, e := range all {
		if e.ID == id {
			self = e
		}
	}
	var out []Entity
	for _, e := range all {
		x, y := e.At(tick, rate)
		near := abs32(x-self.X) <= (ViewHalfW+PlayerRadius)*8 && abs32(y-self.Y) <= (ViewHalfH+PlayerRadius)*8
		if !near {
			continue
		}
		if e.Kind == KindPlayer && e.ID != id {
			e.VX, e.VY = 0, 0
		}
		out = append(out, e)
	}
	return out
}

func TestViewDoesNotAllocate(t *testing.T) {
	a := New(Config{})
	for id := range PlayerID(32) {
		a.Join(id+1, "p")
	}
	r := newRNG(1)
	for range 60 {
		script(a, 32, &r)
		a.Step(nil)
	}
	dst := make([]Entity, 0, 256)
	if n := testing.AllocsPerRun(100, func() { dst = a.View(7, dst[:0]) }); n != 0 {
		t.Errorf("View: %v allocs", n)
	}
}

func TestStepDoesNotAllocate(t *testing.T) {
	a, r, ev := busyArena(32)
	if n := testing.AllocsPerRun(300, func() {
		script(a, 32, &r)
		ev = a.Step(ev[:0])
	}); n != 0 {
		t.Errorf("Step: %v allocs", n)
	}
}

// busyArena returns an arena with n players moving and shooting, warmed up
// until its slices have grown.
func busyArena(n int) (*Arena, rng, []game.Event) {
	a := New(Config{Seed: 2})
	for id := range PlayerID(n) {
		a.Join(id+1, "p")
	}
	r := newRNG(5)
	ev := make([]game.Event, 0, 256)
	for range 600 {
		script(a, n, &r)
		ev = a.Step(ev[:0])
	}
	return a, r, ev
}

func BenchmarkStep(b *testing.B) {
	a, r, ev := busyArena(32)
	b.ReportAllocs()
	for b.Loop() {
		script(a, 32, &r)
		ev = a.Step(ev[:0])
	}
}

func BenchmarkView(b *testing.B) {
	a, _, _ := busyArena(32)
	dst := make([]Entity, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst = a.View(7, dst[:0])
	}
}
