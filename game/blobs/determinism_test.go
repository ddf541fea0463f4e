package blobs

import (
	"slices"
	"testing"

	"github.com/tickroom/tickroom/game"
)

// scripted drives a game with a random but reproducible stream of what a
// room does: players join and leave, go away and come back, and head for
// one of a few meeting points (so they meet and eat each other) or
// anywhere. The script's seed is its own, apart from the game's.
type scripted struct {
	g    *Game
	r    rng
	next PlayerID
	ids  []PlayerID
	// What happened, so a test knows it exercised everything.
	ate, respawns, joins, leaves, aways int
}

func newScripted(g *Game, seed uint64, players int) *scripted {
	s := &scripted{g: g, r: newRNG(seed), next: 1}
	for range players {
		s.join()
	}
	return s
}

func (s *scripted) join() {
	if err := s.g.Join(s.next, "p"); err != nil {
		panic(err)
	}
	s.ids = append(s.ids, s.next)
	s.next++
	s.joins++
}

// step makes this tick's operations, then Steps.
func (s *scripted) step(ev []game.Event) []game.Event {
	size := s.g.Size()
	switch {
	case s.r.intn(40) == 0:
		s.join()
	case s.r.intn(100) == 0 && len(s.ids) > 1:
		i := s.r.intn(int32(len(s.ids)))
		s.g.Leave(s.ids[i])
		s.ids = slices.Delete(s.ids, int(i), int(i)+1)
		s.leaves++
	case s.r.intn(30) == 0:
		s.g.SetAway(s.ids[s.r.intn(int32(len(s.ids)))], s.r.intn(2) == 0)
		s.aways++
	}
	meet := [...]at{{size / 3, size / 3}, {2 * size / 3, size / 2}, {size / 2, 4 * size / 5}}
	for _, id := range s.ids {
		if s.r.intn(15) != 0 {
			continue
		}
		in := Input{TX: s.r.intn(size + 1), TY: s.r.intn(size + 1)}
		if s.r.intn(3) != 0 {
			m := meet[s.r.intn(int32(len(meet)))]
			in.TX, in.TY = m.x+s.r.intn(101)-50, m.y+s.r.intn(101)-50
		}
		s.g.SetInput(id, in.Wire())
	}
	n := len(ev)
	ev = s.g.Step(ev)
	for _, e := range ev[n:] {
		switch e.Kind {
		case EventAte:
			s.ate++
		case EventRespawn:
			s.respawns++
		}
	}
	return ev
}

// TestDeterminism: two games with the same seed put through the same
// operations agree on every tick, in their World and their Hash; a game
// with another seed does not.
func TestDeterminism(t *testing.T) {
	const ticks = 1200
	cfg := Config{Seed: 42, Size: 1500, Pellets: 300}
	a, b := newScripted(New(cfg), 7, 12), newScripted(New(cfg), 7, 12)
	cfg.Seed = 43
	c := newScripted(New(cfg), 7, 12)
	var wa, wb, wc []game.Entity
	var ea, eb []game.Event
	differed := false
	for tick := range ticks {
		ea, eb = a.step(ea[:0]), b.step(eb[:0])
		c.step(nil)
		wa, wb, wc = a.g.World(wa[:0]), b.g.World(wb[:0]), c.g.World(wc[:0])
		if !slices.Equal(wa, wb) || a.g.Hash() != b.g.Hash() || !slices.Equal(ea, eb) {
			t.Fatalf("tick %d: same seed and operations, different states", tick)
		}
		if !slices.Equal(wa, wc) && a.g.Hash() != c.g.Hash() {
			differed = true
		}
	}
	if !differed {
		t.Errorf("seeds 42 and 43 gave the same states")
	}
	t.Logf("ate %d, respawns %d, joins %d, leaves %d, aways %d, next pellet id %d",
		a.ate, a.respawns, a.joins, a.leaves, a.aways, a.g.nextPellet)
	if a.ate < 5 || a.respawns < 5 || a.leaves == 0 || a.aways == 0 || a.g.nextPellet < FirstPelletID+400 {
		t.Errorf("the script did not exercise the rules: %+v", *a)
	}
}

// TestHashSeesHiddenState: what the wire does not carry still changes the
// hash, so a replay that diverges there is caught.
func TestHashSeesHiddenState(t *testing.T) {
	a, b := New(Config{Seed: 5}), New(Config{Seed: 5})
	for _, g := range []*Game{a, b} {
		if err := g.Join(1, "p"); err != nil {
			t.Fatal(err)
		}
	}
	if a.Hash() != b.Hash() {
		t.Fatal("equal games hash apart")
	}
	target(a, 1, 10, 10)
	if a.Hash() == b.Hash() {
		t.Error("a different target does not change the hash")
	}
	target(b, 1, 10, 10)
	a.rng.next()
	if a.Hash() == b.Hash() {
		t.Error("a different RNG state does not change the hash")
	}
}

// TestWorld: every entity is valid for the schema, sorted by id; blob ids
// are player ids and pellet ids start at FirstPelletID and only grow, so
// none is reused; pellets never change while they exist.
func TestWorld(t *testing.T) {
	s := newScripted(New(Config{Seed: 3, Size: 1500, Pellets: 300}), 9, 16)
	schema := s.g.Schema()
	pellets := map[uint32]game.Entity{}
	gone := map[uint32]bool{}
	var world []game.Entity
	for tick := range 900 {
		s.step(nil)
		world = s.g.World(world[:0])
		now := map[uint32]bool{}
		for i := range world {
			e := &world[i]
			if err := schema.CheckEntity(e); err != nil {
				t.Fatalf("tick %d: %v", tick, err)
			}
			if i > 0 && world[i-1].ID >= e.ID {
				t.Fatalf("tick %d: ids %d, %d out of order", tick, world[i-1].ID, e.ID)
			}
			switch e.Kind {
			case KindBlob:
				if e.ID >= FirstPelletID {
					t.Fatalf("tick %d: blob id %d", tick, e.ID)
				}
			case KindPellet:
				if old, ok := pellets[e.ID]; ok && old != *e {
					t.Fatalf("tick %d: pellet changed: %+v → %+v", tick, old, *e)
				}
				if e.ID < FirstPelletID || gone[e.ID] {
					t.Fatalf("tick %d: pellet id %d reused or below FirstPelletID", tick, e.ID)
				}
				pellets[e.ID], now[e.ID] = *e, true
			}
		}
		for id := range pellets {
			if !now[id] {
				gone[id] = true
				delete(pellets, id)
			}
		}
	}
	if len(gone) < 200 {
		t.Errorf("only %d pellets eaten: the test did not see ids come and go", len(gone))
	}
}
