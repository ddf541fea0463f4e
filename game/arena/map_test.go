package arena

import (
	"slices"
	"testing"
)

func TestDefaultMap(t *testing.T) {
	m := DefaultMap()
	if m.W != 2400 || m.H != 1600 {
		t.Errorf("size %dx%d", m.W, m.H)
	}
	for _, w := range m.Walls {
		if w.W <= 0 || w.H <= 0 || w.X < 0 || w.Y < 0 || w.X+w.W > m.W || w.Y+w.H > m.H {
			t.Errorf("wall %+v outside the map", w)
		}
		for _, mirror := range []Wall{{m.W - w.X - w.W, w.Y, w.W, w.H}, {w.X, m.H - w.Y - w.H, w.W, w.H}} {
			if !slices.Contains(m.Walls, mirror) {
				t.Errorf("wall %+v has no mirror image %+v", w, mirror)
			}
		}
	}
}

func TestDefaultSpawnsAreClear(t *testing.T) {
	m := DefaultMap()
	spawns := DefaultSpawns()
	if len(spawns) != 8 {
		t.Errorf("%d spawns", len(spawns))
	}
	for _, s := range spawns {
		for _, w := range m.Walls {
			// A clear spawn leaves room to fire: the muzzle is ShotOffset out.
			if overlapsWall(float64(s.X), float64(s.Y), ShotOffset+ShotRadius, w) {
				t.Errorf("spawn %v too close to wall %+v", s, w)
			}
		}
	}
}

func TestSpawnOrderDependsOnSeed(t *testing.T) {
	first := map[Point]bool{}
	for seed := range uint64(16) {
		a := New(Config{Seed: seed})
		if !slices.Equal(a.spawns, New(Config{Seed: seed}).spawns) {
			t.Fatalf("seed %d: spawn order not deterministic", seed)
		}
		first[a.spawns[0]] = true
	}
	if len(first) < 3 {
		t.Errorf("16 seeds start at only %d different spawns", len(first))
	}
}
