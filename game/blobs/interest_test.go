package blobs

import (
	"slices"
	"testing"

	"github.com/tickroom/tickroom/game"
)

// scanInterest is Interest by a scan of the whole world, reading only what
// the wire carries: the viewer's own blob, every live blob whose bounding
// square touches the view rectangle, every pellet whose bounding square
// does.
func scanInterest(world []game.Entity, id PlayerID) []int32 {
	i := slices.IndexFunc(world, func(e game.Entity) bool { return e.ID == id })
	if i < 0 {
		return nil
	}
	self := BlobOf(&world[i])
	hw, hh := viewHalf(self.R)
	var out []int32
	for i := range world {
		e := &world[i]
		r := int32(PelletRadius * 8)
		if e.Kind == KindBlob {
			b := BlobOf(e)
			if b.ID != id && b.Flags&FlagDead != 0 {
				continue
			}
			r = b.R
		}
		if e.ID == id || abs32(e.V[FieldX]-self.X) <= hw+r && abs32(e.V[FieldY]-self.Y) <= hh+r {
			out = append(out, int32(i))
		}
	}
	return out
}

// TestViewHalf: the view grows by ViewGrow times the radius each way.
func TestViewHalf(t *testing.T) {
	tests := []struct{ mass, hwPx, hhPx int32 }{
		{100, 640 + 3*60, 360 + 3*60}, // a radius of 60 px
		{400, 640 + 3*120, 360 + 3*120},
		{2500, 640 + 3*300, 360 + 3*300},
	}
	for _, tt := range tests {
		if hw, hh := viewHalf(RadiusOf(tt.mass)); hw != 8*tt.hwPx || hh != 8*tt.hhPx {
			t.Errorf("mass %d: view half-extents %d×%d /8 px, want %d×%d px", tt.mass, hw, hh, tt.hwPx, tt.hhPx)
		}
	}
}

// TestInterestCases: the edges of the view rectangle, by the radius of what
// is seen and of who sees, to the 1/8 px.
func TestInterestCases(t *testing.T) {
	hw, hh := viewHalf(startRadius) // the viewer starts small
	const cx, cy = 8 * 2000, 8 * 2000
	const pr = PelletRadius * 8
	big := RadiusOf(400)
	pellets := [][2]int32{
		{cx + hw + pr, cy},     // touches the right edge: in
		{cx + hw + pr + 1, cy}, // just beyond: out
		{cx, cy - hh - pr},     // top edge: in
		{cx, cy - hh - pr - 1}, // out
		{cx - hw, cy + hh},     // bottom-left corner: in
	}
	blobs := []struct {
		x, y, mass int32
	}{
		{cx, cy, StartMass},                                       // 1: the viewer
		{cx + hw + big, cy, 400},                                  // 2: big, its edge touches the view: in
		{cx + hw + big + 1, cy + 1, 400},                          // 3: out
		{cx - hw - startRadius - 1, cy, StartMass},                // 4: out
		{cx - hw - startRadius, cy + hh + startRadius, StartMass}, // 5: in, by its bounding square's corner
	}
	g := fieldWith(t, nil)
	for i, b := range blobs {
		if err := g.Join(PlayerID(i+1), "p"); err != nil {
			t.Fatal(err)
		}
		bl := g.blob(PlayerID(i + 1))
		bl.x, bl.y, bl.tx, bl.ty, bl.mass, bl.r = b.x, b.y, b.x, b.y, b.mass, RadiusOf(b.mass)
	}
	for _, p := range pellets {
		g.putPellet(p[0], p[1], 0)
	}
	g.refresh()
	world := g.World(nil)
	ids := func(viewer PlayerID) []uint32 {
		var out []uint32
		for _, i := range g.Interest(viewer, world, nil) {
			out = append(out, world[i].ID)
		}
		return out
	}
	p := uint32(FirstPelletID)
	if got, want := ids(1), []uint32{1, 2, 5, p, p + 2, p + 4}; !slices.Equal(got, want) {
		t.Errorf("view of 1: %v, want %v", got, want)
	}
	// The big blob sees farther: 1 from its own centre is farther than the
	// viewer's half-width.
	if got := ids(2); !slices.Contains(got, 1) || !slices.Contains(got, p+1) || !slices.Contains(got, 3) {
		t.Errorf("view of 2: %v", got)
	}
	g.blob(3).flags |= FlagDead // eaten: only 3 itself sees it
	g.refresh()
	world = g.World(world[:0])
	if got := ids(2); slices.Contains(got, 3) {
		t.Errorf("view of 2 holds the dead 3: %v", got)
	}
}

// TestInterestMatchesScan checks the grid finds exactly what a scan of
// the whole world finds, in ascending order with the viewer included,
// over busy games of foragers (which grow, die and respawn) and of
// scripted players (who join, leave and go away).
func TestInterestMatchesScan(t *testing.T) {
	check := func(t *testing.T, g *Game, tick int, ids []PlayerID) {
		t.Helper()
		world := g.World(nil)
		var got []int32
		for _, id := range ids {
			got = g.Interest(id, world, got[:0])
			want := scanInterest(world, id)
			if !slices.Equal(got, want) {
				t.Fatalf("tick %d, view of %d:\n got %v\nwant %v", tick, id, got, want)
			}
			if !slices.IsSorted(got) || len(got) == 0 || world[got[slices.IndexFunc(got, func(i int32) bool { return world[i].ID == id })]].ID != id {
				t.Fatalf("tick %d, view of %d: unsorted or without itself: %v", tick, id, got)
			}
		}
	}
	t.Run("foragers", func(t *testing.T) {
		f := newForagers(t, Config{Seed: 4, Size: 2500, Pellets: 400}, 24, 1)
		for tick := range 400 {
			f.step()
			check(t, f.g, tick, f.ids)
		}
		if f.ate == 0 {
			t.Errorf("no blob was eaten: the test saw no deaths")
		}
	})
	t.Run("scripted", func(t *testing.T) {
		s := newScripted(New(Config{Seed: 6, Size: 1500, Pellets: 300}), 2, 16)
		for tick := range 600 {
			s.step(nil)
			check(t, s.g, tick, s.ids)
		}
	})
}

// foragers is a game played by forager bots, each thinking from exactly
// the entities its interest holds.
type foragers struct {
	g    *Game
	ids  []PlayerID
	bots []game.Bot
	ev   []game.Event
	ate  int

	world []game.Entity
	idx   []int32
	view  []game.Entity
}

func newForagers(t testing.TB, cfg Config, n int, seed uint64) *foragers {
	f := &foragers{g: New(cfg)}
	for i := range n {
		id := PlayerID(i + 1)
		if err := f.g.Join(id, "bot"); err != nil {
			t.Fatal(err)
		}
		f.ids = append(f.ids, id)
		f.bots = append(f.bots, NewForager(f.g.Schema(), f.g.rate, seed+uint64(i)))
	}
	return f
}

func (f *foragers) step() {
	f.world = f.g.World(f.world[:0])
	for i, id := range f.ids {
		f.idx = f.g.Interest(id, f.world, f.idx[:0])
		f.view = f.view[:0]
		for _, k := range f.idx {
			f.view = append(f.view, f.world[k])
		}
		f.g.SetInput(id, f.bots[i].Think(id, f.g.Tick(), f.view, f.ev))
	}
	f.ev = f.g.Step(f.ev[:0])
	for _, e := range f.ev {
		if e.Kind == EventAte {
			f.ate++
		}
	}
}

func TestInterestDoesNotAllocate(t *testing.T) {
	f := newForagers(t, Config{Seed: 1}, 32, 1)
	for range 120 {
		f.step()
	}
	world := f.g.World(nil)
	dst := make([]int32, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { dst = f.g.Interest(7, world, dst[:0]) }); n != 0 {
		t.Errorf("Interest: %v allocs", n)
	}
}

func TestStepDoesNotAllocate(t *testing.T) {
	s := newScripted(New(Config{Seed: 2}), 3, 32)
	s.r = newRNG(3)
	for range 900 {
		s.g.Step(nil)
	}
	ev := make([]game.Event, 0, 64)
	// Inputs only: joins grow the blob list, which is allowed to allocate.
	r := newRNG(9)
	if n := testing.AllocsPerRun(300, func() {
		for _, id := range s.ids {
			if r.intn(10) == 0 {
				target(s.g, id, r.intn(DefaultSize), r.intn(DefaultSize))
			}
		}
		ev = s.g.Step(ev[:0])
	}); n != 0 {
		t.Errorf("Step: %v allocs", n)
	}
}

func BenchmarkStep(b *testing.B) {
	f := newForagers(b, Config{Seed: 2}, 32, 1)
	for range 300 {
		f.step()
	}
	var ev []game.Event
	b.ReportAllocs()
	for b.Loop() {
		ev = f.g.Step(ev[:0])
	}
}

func BenchmarkInterest(b *testing.B) {
	f := newForagers(b, Config{Seed: 2}, 32, 1)
	for range 300 {
		f.step()
	}
	world := f.g.World(nil)
	dst := make([]int32, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		dst = f.g.Interest(7, world, dst[:0])
	}
}
