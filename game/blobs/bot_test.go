package blobs

import (
	"math"
	"testing"

	"github.com/tickroom/tickroom/game"
)

// TestForagerChooses: what the forager heads for, from views a test builds.
func TestForagerChooses(t *testing.T) {
	me := Blob{ID: 1, X: 8 * 2000, Y: 8 * 2000, R: RadiusOf(100), Mass: 100}
	blobAt := func(id PlayerID, x, y, mass int32, flags uint8) game.Entity {
		b := Blob{ID: id, X: 8 * x, Y: 8 * y, R: RadiusOf(mass), Mass: mass, Flags: flags}
		return b.Wire()
	}
	pelletAt := func(n uint32, x, y int32) game.Entity {
		p := Pellet{ID: FirstPelletID + n, X: 8 * x, Y: 8 * y}
		return p.Wire()
	}
	tests := []struct {
		name string
		view []game.Entity
		// where it heads, roughly: a point, or a direction when far is set
		wantX, wantY float64
		direction    bool
	}{
		{"nearest pellet", []game.Entity{me.Wire(), pelletAt(0, 2300, 2000), pelletAt(1, 1900, 2050), pelletAt(2, 2000, 1700)}, 1900, 2050, false},
		{"chases a smaller blob over pellets", []game.Entity{me.Wire(), blobAt(2, 2200, 2000, 20, 0), pelletAt(0, 1990, 2000)}, 2200, 2000, false},
		{"ignores an eaten blob", []game.Entity{me.Wire(), blobAt(2, 2200, 2000, 20, FlagDead), pelletAt(0, 1990, 2000)}, 1990, 2000, false},
		{"ignores a blob too alike to eat", []game.Entity{me.Wire(), blobAt(2, 2100, 2000, 90, 0), pelletAt(0, 1990, 2000)}, 1990, 2000, false},
		{"flees a bigger blob", []game.Entity{me.Wire(), blobAt(2, 2200, 2000, 400, 0), pelletAt(0, 2150, 2000)}, -1, 0, true},
		{"flees the nearer of two most", []game.Entity{me.Wire(), blobAt(2, 2200, 2000, 400, 0), blobAt(3, 2000, 2330, 400, 0)}, -1, 0, true},
		{"flees two, away from both", []game.Entity{me.Wire(), blobAt(2, 2250, 2000, 400, 0), blobAt(3, 2000, 2250, 400, 0)}, -1, -1, true},
		{"a far bigger blob is no threat", []game.Entity{me.Wire(), blobAt(2, 2900, 2000, 400, 0), pelletAt(0, 2050, 2000)}, 2050, 2000, false},
	}
	s := New(Config{}).Schema()
	for _, tt := range tests {
		f := NewForager(s, 30, 1)
		in := InputOf(f.Think(1, 10, tt.view, nil))
		gx, gy := float64(in.TX), float64(in.TY)
		if !tt.direction {
			if gx != tt.wantX || gy != tt.wantY {
				t.Errorf("%s: heads for (%v, %v), want (%v, %v)", tt.name, gx, gy, tt.wantX, tt.wantY)
			}
			continue
		}
		dx, dy := gx-2000, gy-2000
		cos := (dx*tt.wantX + dy*tt.wantY) / math.Hypot(dx, dy) / math.Hypot(tt.wantX, tt.wantY)
		if cos < 0.95 {
			t.Errorf("%s: heads for (%v, %v), not along (%v, %v)", tt.name, gx, gy, tt.wantX, tt.wantY)
		}
	}
}

// TestForagerRoams: with nothing in view it heads somewhere on the field,
// and keeps its input while eaten.
func TestForagerRoams(t *testing.T) {
	me := Blob{ID: 1, X: 8 * 2000, Y: 8 * 2000, R: startRadius, Mass: StartMass}
	f := NewForager(New(Config{Size: 1000}).Schema(), 30, 1)
	in := InputOf(f.Think(1, 1, []game.Entity{me.Wire()}, nil))
	if in.TX < 100 || in.TX > 900 || in.TY < 100 || in.TY > 900 {
		t.Errorf("roams to (%d, %d), off the 1000 px field's middle", in.TX, in.TY)
	}
	me.Flags = FlagDead
	if again := InputOf(f.Think(1, 2, []game.Entity{me.Wire()}, nil)); again != in {
		t.Errorf("an eaten forager changed its input: %+v → %+v", in, again)
	}
	if again := InputOf(f.Think(1, 3, nil, nil)); again != in {
		t.Errorf("a forager that does not see itself changed its input: %+v → %+v", in, again)
	}
}

// TestForagersEat: foragers playing for a while eat many pellets, far more
// than blobs wandering at random, and every one of them grows.
func TestForagersEat(t *testing.T) {
	const bots, seconds = 8, 30
	cfg := Config{Seed: 11, Size: 2000, Pellets: 250}
	f := newForagers(t, cfg, bots, 100)
	wander, r := New(cfg), newRNG(5)
	for id := range PlayerID(bots) {
		if err := wander.Join(id+1, "p"); err != nil {
			t.Fatal(err)
		}
	}
	eaten := func(g *Game) int {
		return int(g.nextPellet-FirstPelletID) - cfg.Pellets + len(g.due)
	}
	best := make([]int32, bots)
	for tick := range seconds * 30 {
		f.step()
		if tick%60 == 0 {
			for id := range PlayerID(bots) {
				target(wander, id+1, r.intn(cfg.Size+1), r.intn(cfg.Size+1))
			}
		}
		wander.Step(nil)
		for i, id := range f.ids {
			best[i] = max(best[i], f.g.Score(id))
		}
	}
	t.Logf("%d bots in %d s: %d pellets eaten (wanderers: %d), %d blobs eaten, best masses %v",
		bots, seconds, eaten(f.g), eaten(wander), f.ate, best)
	if eaten(f.g) < bots*seconds/2 { // fewer than one each every 2 s would be poor
		t.Errorf("foragers ate %d pellets in %d s", eaten(f.g), seconds)
	}
	for i, m := range best {
		if m < StartMass+15 {
			t.Errorf("bot %d never grew past mass %d", i+1, m)
		}
	}
	if eaten(f.g) < 2*eaten(wander) {
		t.Errorf("foragers ate %d pellets, wanderers %d: foraging does not pay", eaten(f.g), eaten(wander))
	}
}
