package arena

import (
	"errors"
	"slices"
	"testing"

	"github.com/tickroom/tickroom/game"
)

// arenaWith returns a 30 Hz arena with players 1..len(at) standing at the
// given points.
func arenaWith(t testing.TB, at ...Point) *Arena {
	t.Helper()
	a := New(Config{Seed: 1})
	for i, pt := range at {
		id := PlayerID(i + 1)
		if err := a.Join(id, "p"); err != nil {
			t.Fatal(err)
		}
		a.player(id).place(pt)
	}
	a.dirty = true
	return a
}

// steps runs n Steps and returns all their events.
func steps(a *Arena, n int) []game.Event {
	var ev []game.Event
	for range n {
		ev = a.Step(ev)
	}
	return ev
}

func mustPlayer(t *testing.T, a *Arena, id PlayerID) Entity {
	t.Helper()
	e, ok := a.Player(id)
	if !ok {
		t.Fatalf("player %d missing", id)
	}
	return e
}

func TestConfigTickRate(t *testing.T) {
	tests := []struct{ rate, wantCooldown, wantRespawn int }{
		{0, 8, 60}, {30, 8, 60}, {10, 3, 20}, {1, 3, 20}, {60, 15, 120}, {144, 15, 120}, {20, 5, 40},
	}
	for _, tt := range tests {
		a := New(Config{TickRate: tt.rate})
		if int(a.cooldown) != tt.wantCooldown || int(a.respawn) != tt.wantRespawn {
			t.Errorf("rate %d: cooldown %d respawn %d, want %d %d",
				tt.rate, a.cooldown, a.respawn, tt.wantCooldown, tt.wantRespawn)
		}
	}
}

func TestJoin(t *testing.T) {
	a := New(Config{})
	if err := a.Join(1, "ann"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id   PlayerID
		want error
	}{
		{1, ErrPlayerExists},
		{0, ErrBadPlayerID},
		{FirstShotID, ErrBadPlayerID},
		{2, nil},
	}
	for _, tt := range tests {
		if err := a.Join(tt.id, "x"); !errors.Is(err, tt.want) {
			t.Errorf("Join(%d) = %v, want %v", tt.id, err, tt.want)
		}
	}
	e := mustPlayer(t, a, 1)
	if e.Kind != KindPlayer || e.HP != MaxHP || e.Flags != 0 || e.Score != 0 {
		t.Errorf("fresh player: %+v", e)
	}
	if !slices.Contains(DefaultSpawns(), Point{e.X / 8, e.Y / 8}) {
		t.Errorf("player 1 at (%d, %d), not a spawn point", e.X/8, e.Y/8)
	}
	if p2 := mustPlayer(t, a, 2); p2.X == e.X && p2.Y == e.Y {
		t.Errorf("players 1 and 2 share a spawn")
	}
}

func TestJoinSpreadsOverSpawns(t *testing.T) {
	a := New(Config{Seed: 9})
	seen := map[Point]bool{}
	for id := range PlayerID(len(DefaultSpawns())) {
		if err := a.Join(id+1, "p"); err != nil {
			t.Fatal(err)
		}
		e := mustPlayer(t, a, id+1)
		seen[Point{e.X / 8, e.Y / 8}] = true
	}
	if len(seen) != len(DefaultSpawns()) {
		t.Errorf("%d players took %d distinct spawns", len(DefaultSpawns()), len(seen))
	}
}

func TestIDsNeverReused(t *testing.T) {
	a := arenaWith(t, Point{1000, 600})
	a.SetInput(1, Input{Buttons: ButtonFire}.Wire())
	ids := map[uint32]bool{}
	last := uint32(0)
	for range 120 {
		a.Step(nil)
		for _, e := range a.Entities(nil) {
			if e.Kind != KindProjectile || ids[e.ID] {
				continue
			}
			if e.ID < FirstShotID || e.ID <= last {
				t.Fatalf("projectile id %d after %d", e.ID, last)
			}
			ids[e.ID], last = true, e.ID
		}
	}
	if len(ids) < 10 {
		t.Fatalf("only %d projectiles fired", len(ids))
	}
	a.Leave(1)
	if got := a.Entities(nil); len(got) != 0 {
		t.Errorf("after Leave: %v", got)
	}
	if err := a.Join(1, "again"); !errors.Is(err, ErrPlayerIDUsed) {
		t.Errorf("rejoin with a used id: %v", err)
	}
}

func TestSetAway(t *testing.T) {
	a := arenaWith(t, Point{1000, 600})
	a.SetAway(1, true)
	if e := mustPlayer(t, a, 1); e.Flags != FlagAway {
		t.Errorf("flags %b", e.Flags)
	}
	a.SetAway(1, false)
	if e := mustPlayer(t, a, 1); e.Flags != 0 {
		t.Errorf("flags %b after SetAway(false)", e.Flags)
	}
	a.kill(a.player(1))
	a.SetAway(1, true)
	a.SetAway(1, false)
	if e := mustPlayer(t, a, 1); e.Flags != FlagDead {
		t.Errorf("flags %b, want FlagDead kept", e.Flags)
	}
	if got := a.View(1, nil); len(got) != 1 || got[0].Flags != FlagDead {
		t.Errorf("view after SetAway: %+v", got)
	}
}

func TestInputPersists(t *testing.T) {
	a := arenaWith(t, Point{1000, 600})
	a.SetInput(1, Input{Seq: 1, Move: MoveRight, Aim: 1234}.Wire())
	steps(a, 10)
	e := mustPlayer(t, a, 1)
	if e.X <= 1000*8 || e.VX <= 0 || e.Angle != 1234 {
		t.Errorf("after 10 ticks of MoveRight: %+v", e)
	}
	if a.Tick() != 10 {
		t.Errorf("Tick() = %d", a.Tick())
	}
}

// TestStepUsesMovePlayer checks an avatar follows MovePlayer exactly, walls
// included, so client prediction matches the server.
func TestStepUsesMovePlayer(t *testing.T) {
	a := arenaWith(t, Point{128, 128})
	b := Body{X: 128, Y: 128}
	r := newRNG(3)
	for tick := range 300 {
		move := uint8(r.next() & 15)
		a.SetInput(1, Input{Move: move}.Wire())
		a.Step(nil)
		MovePlayer(&b, move, dt30, DefaultMap().Walls)
		e := mustPlayer(t, a, 1)
		if want := [4]int32{fixed(b.X), fixed(b.Y), fixed(b.VX), fixed(b.VY)}; [4]int32{e.X, e.Y, e.VX, e.VY} != want {
			t.Fatalf("tick %d: entity %+v, MovePlayer %v", tick, e, want)
		}
	}
}

// script drives players 1..n with pseudo-random input from seed.
func script(a *Arena, n int, r *rng) {
	for id := range PlayerID(n) {
		x := r.next()
		a.SetInput(id+1, Input{Seq: a.Tick(), Move: uint8(x & 15), Aim: uint16(x >> 8), Buttons: uint8(x>>4) & 1}.Wire())
	}
}

func TestDeterminism(t *testing.T) {
	run := func(seed uint64) ([][]Entity, [][]game.Event) {
		a := New(Config{Seed: seed})
		r := newRNG(99)
		var ents [][]Entity
		var evs [][]game.Event
		for tick := range 600 {
			if tick%50 == 0 && tick < 400 {
				for id := range PlayerID(2) {
					a.Join(PlayerID(tick/25)+id+1, "p")
				}
			}
			if tick == 450 {
				a.Leave(3)
			}
			script(a, 16, &r)
			evs = append(evs, a.Step(nil))
			ents = append(ents, a.Entities(nil))
		}
		return ents, evs
	}
	ents1, evs1 := run(5)
	ents2, evs2 := run(5)
	for tick := range ents1 {
		if !slices.Equal(ents1[tick], ents2[tick]) || !slices.Equal(evs1[tick], evs2[tick]) {
			t.Fatalf("tick %d differs:\n%v\n%v", tick, ents1[tick], ents2[tick])
		}
	}
	var kills int
	for _, ev := range evs1 {
		for _, e := range ev {
			if e.Kind == EventKill {
				kills++
			}
		}
	}
	if kills == 0 {
		t.Errorf("no kills in 600 ticks: the script exercises too little")
	}
	ents3, _ := run(6)
	if slices.EqualFunc(ents1, ents3, slices.Equal) {
		t.Errorf("seeds 5 and 6 played identically")
	}
}
