package arena

import (
	"math"
	"slices"
	"testing"

	"github.com/tickroom/tickroom/game"
)

func shots(a *Arena) []Entity {
	return slices.DeleteFunc(a.Entities(nil), func(e Entity) bool { return e.Kind != KindProjectile })
}

// at returns where e is now.
func at(a *Arena, e Entity) Point {
	x, y := e.At(a.Tick(), a.rate)
	return Point{x, y}
}

// TestProjectileEntityConstant checks that a projectile's Entity never
// changes in flight, and that At puts it exactly where the simulation has
// it, at every tick and tick rate.
func TestProjectileEntityConstant(t *testing.T) {
	for _, rate := range []int{10, 30, 60} {
		a := New(Config{Seed: 3, TickRate: rate})
		for id := range PlayerID(8) {
			a.Join(id+1, "p")
		}
		r := newRNG(11)
		first := map[uint32]Entity{}
		for range 20 * rate {
			script(a, 8, &r)
			a.Step(nil)
			for i := range a.shots {
				s := &a.shots[i]
				e := s.entity()
				if f, ok := first[e.ID]; ok && f != e {
					t.Fatalf("%d Hz: projectile changed in flight: %+v, then %+v", rate, f, e)
				}
				first[e.ID] = e
				if got, want := at(a, e), (Point{fixed(s.x), fixed(s.y)}); got != want {
					t.Fatalf("%d Hz tick %d: At = %v, simulation has %v (%+v)", rate, a.Tick(), got, want, e)
				}
			}
		}
		if len(first) < 10 {
			t.Errorf("%d Hz: only %d projectiles fired", rate, len(first))
		}
	}
}

func TestAtRounding(t *testing.T) {
	tests := []struct {
		v       int32
		k, rate int
		want    int32
	}{
		{7200, 1, 30, 240}, {-7200, 1, 30, -240},
		{45, 1, 30, 2},   // 1.5 rounds up
		{-45, 1, 30, -1}, // -1.5 rounds up too
		{44, 1, 30, 1}, {-44, 1, 30, -1}, {-46, 1, 30, -2},
		{1000, 0, 30, 0}, {-3, 10, 60, 0}, // -0.5 → 0
	}
	for _, tt := range tests {
		e := Entity{Kind: KindProjectile, X: 100, Y: 100, VX: tt.v, VY: -tt.v, Born: 5}
		x, y := e.At(5+uint32(tt.k), tt.rate)
		if x != 100+tt.want {
			t.Errorf("VX %d, %d ticks at %d Hz: x moved %d, want %d", tt.v, tt.k, tt.rate, x-100, tt.want)
		}
		if back := (Entity{Kind: KindProjectile, VX: -tt.v}); y-100 != flown(back.VX, int64(tt.k), tt.rate) {
			t.Errorf("VY %d: y moved %d", -tt.v, y-100)
		}
	}
	p := Entity{Kind: KindPlayer, X: 3, Y: 4, VX: 800, Born: 1}
	if x, y := p.At(100, 30); x != 3 || y != 4 {
		t.Errorf("a player moved: (%d, %d)", x, y)
	}
}

func TestFireSpawnsProjectile(t *testing.T) {
	tests := []struct {
		aim    uint16
		dx, dy float64
	}{
		{0, 1, 0}, {16384, 0, 1}, {32768, -1, 0}, {49152, 0, -1}, {8192, math.Sqrt2 / 2, math.Sqrt2 / 2},
	}
	for _, tt := range tests {
		a := arenaWith(t, Point{1000, 1000 - 500})
		a.SetInput(1, Input{Aim: tt.aim, Buttons: ButtonFire}.Wire())
		a.Step(nil)
		got := shots(a)
		if len(got) != 1 {
			t.Fatalf("aim %d: %d projectiles", tt.aim, len(got))
		}
		s := got[0]
		// Spawned ShotOffset out, then flown one tick.
		dist := ShotOffset + ShotSpeed*dt30
		wantX, wantY := 1000+tt.dx*dist, 500+tt.dy*dist
		if math.Abs(float64(s.X)/8-wantX) > 0.25 || math.Abs(float64(s.Y)/8-wantY) > 0.25 {
			t.Errorf("aim %d: at (%v, %v), want (%v, %v)", tt.aim, float64(s.X)/8, float64(s.Y)/8, wantX, wantY)
		}
		if math.Abs(math.Hypot(float64(s.VX), float64(s.VY))/8-ShotSpeed) > 0.2 {
			t.Errorf("aim %d: speed (%d, %d)/8", tt.aim, s.VX, s.VY)
		}
		if s.Owner != 1 || s.Angle != tt.aim || s.ID != FirstShotID {
			t.Errorf("aim %d: %+v", tt.aim, s)
		}
	}
}

func TestFireCooldown(t *testing.T) {
	for _, rate := range []int{10, 30, 60} {
		a := New(Config{TickRate: rate})
		a.m.Walls = nil
		a.Join(1, "p")
		a.SetInput(1, Input{Buttons: ButtonFire}.Wire())
		steps(a, rate) // one second
		if got, want := int(a.nextShotID-FirstShotID), 4; got != want {
			t.Errorf("%d Hz: %d shots in a second, want %d", rate, got, want)
		}
	}
}

func TestProjectileLifetime(t *testing.T) {
	a := arenaWith(t, Point{100, 800})
	a.m.Walls = nil
	a.SetInput(1, Input{Buttons: ButtonFire}.Wire())
	a.Step(nil)
	a.SetInput(1, Input{}.Wire())
	steps(a, 28)
	if len(shots(a)) != 1 {
		t.Fatalf("projectile gone before its lifetime")
	}
	a.Step(nil)
	s := shots(a)
	if len(s) != 1 || math.Abs(float64(at(a, s[0]).X)/8-(100+ShotOffset+ShotSpeed)) > 1 {
		t.Fatalf("after 30 ticks: %+v, want it %v px out", s, ShotOffset+ShotSpeed)
	}
	a.Step(nil)
	if s := shots(a); len(s) != 0 {
		t.Errorf("projectile outlived its second: %+v", s)
	}
}

func TestProjectileHitsWall(t *testing.T) {
	// The side post at x=400..432 stands between the shooter and x=500.
	a := arenaWith(t, Point{200, 600}, Point{500, 600})
	a.SetInput(1, Input{Buttons: ButtonFire}.Wire())
	a.Step(nil)
	a.SetInput(1, Input{}.Wire())
	ev := steps(a, 30)
	if len(shots(a)) != 0 || len(ev) != 0 || mustPlayer(t, a, 2).HP != MaxHP {
		t.Errorf("projectile went through a wall: events %v", ev)
	}
}

func TestNoFireIntoAdjacentWall(t *testing.T) {
	a := arenaWith(t, Point{32 + PlayerRadius, 600})
	a.SetInput(1, Input{Aim: 32768, Buttons: ButtonFire}.Wire())
	a.Step(nil)
	if s := shots(a); len(s) != 0 {
		t.Errorf("fired into the wall: %+v", s)
	}
}

func TestHitDamage(t *testing.T) {
	a := arenaWith(t, Point{1000, 600}, Point{1200, 600})
	a.SetInput(1, Input{Buttons: ButtonFire}.Wire())
	a.Step(nil)
	a.SetInput(1, Input{}.Wire())
	ev := steps(a, 10)
	if want := []game.Event{{Kind: EventHit, A: 1, B: 2}}; !slices.Equal(ev, want) {
		t.Fatalf("events %v, want %v", ev, want)
	}
	if hp := mustPlayer(t, a, 2).HP; hp != MaxHP-ShotDamage {
		t.Errorf("victim HP %d", hp)
	}
	if hp := mustPlayer(t, a, 1).HP; hp != MaxHP {
		t.Errorf("shooter HP %d", hp)
	}
	if len(shots(a)) != 0 {
		t.Errorf("projectile survived its hit")
	}
}

func TestOwnProjectileDoesNotHit(t *testing.T) {
	a := arenaWith(t, Point{1000, 600})
	a.SetInput(1, Input{Move: MoveRight, Buttons: ButtonFire}.Wire()) // chase own shots
	if ev := steps(a, 30); len(ev) != 0 {
		t.Errorf("events %v", ev)
	}
	if hp := mustPlayer(t, a, 1).HP; hp != MaxHP {
		t.Errorf("HP %d", hp)
	}
}

// killVictim has player 1 shoot player 2 until it dies and returns the tick
// of the kill and the events up to it.
func killVictim(t *testing.T, a *Arena) (uint32, []game.Event) {
	t.Helper()
	a.SetInput(1, Input{Buttons: ButtonFire}.Wire())
	var ev []game.Event
	for range 300 {
		ev = a.Step(ev)
		if len(ev) > 0 && ev[len(ev)-1].Kind == EventKill {
			return a.Tick(), ev
		}
	}
	t.Fatalf("no kill in 300 ticks: %v", ev)
	return 0, nil
}

func TestKillAndScore(t *testing.T) {
	a := arenaWith(t, Point{1000, 600}, Point{1200, 600})
	_, ev := killVictim(t, a)
	hit := game.Event{Kind: EventHit, A: 1, B: 2}
	want := []game.Event{hit, hit, hit, hit, hit, {Kind: EventKill, A: 1, B: 2}}
	if !slices.Equal(ev, want) {
		t.Errorf("events %v, want %v", ev, want)
	}
	v := mustPlayer(t, a, 2)
	if v.Flags&FlagDead == 0 || v.HP != 0 || v.VX != 0 || v.VY != 0 {
		t.Errorf("victim %+v", v)
	}
	if s := mustPlayer(t, a, 1).Score; s != 1 {
		t.Errorf("shooter score %d", s)
	}
	// The dead are not hit, do not move and do not fire.
	a.SetInput(2, Input{Move: MoveLeft, Buttons: ButtonFire}.Wire())
	if ev := steps(a, 20); len(ev) != 0 {
		t.Errorf("events while dead: %v", ev)
	}
	if e := mustPlayer(t, a, 2); e.X != v.X || e.Y != v.Y || e.VX != 0 || e.Score != 0 {
		t.Errorf("dead player moved: %+v", e)
	}
	for _, s := range shots(a) {
		if s.Owner == 2 {
			t.Errorf("dead player fired %+v", s)
		}
	}
}

func TestRespawn(t *testing.T) {
	// Player 3 stands near spawn (128, 128) so it is not the free one.
	a := arenaWith(t, Point{1000, 600}, Point{1200, 600}, Point{160, 160})
	killed, _ := killVictim(t, a)
	a.SetInput(1, Input{}.Wire())
	steps(a, int(killed+a.respawn-1-a.Tick()))
	if e := mustPlayer(t, a, 2); e.Flags&FlagDead == 0 {
		t.Fatalf("respawned early, at tick %d (killed at %d)", a.Tick(), killed)
	}
	a.Step(nil)
	e := mustPlayer(t, a, 2)
	if e.Flags&FlagDead != 0 || e.HP != MaxHP || e.VX != 0 || e.VY != 0 {
		t.Fatalf("tick %d, killed at %d: %+v", a.Tick(), killed, e)
	}
	// Free spawn: the one whose nearest live player (1 and 3) is farthest.
	best, bestD := Point{}, -1.0
	for _, s := range a.spawns {
		d := math.Inf(1)
		for _, id := range []PlayerID{1, 3} {
			p := mustPlayer(t, a, id)
			d = min(d, math.Hypot(float64(p.X)/8-float64(s.X), float64(p.Y)/8-float64(s.Y)))
		}
		if d > bestD {
			best, bestD = s, d
		}
	}
	if (Point{e.X / 8, e.Y / 8}) != best {
		t.Errorf("respawned at (%d, %d), want %v", e.X/8, e.Y/8, best)
	}
}
