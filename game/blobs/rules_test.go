package blobs

import (
	"errors"
	"slices"
	"testing"

	"github.com/tickroom/tickroom/game"
)

// at is a place on the field in whole px.
type at struct{ x, y int32 }

// placed is a blob a test puts somewhere with some mass.
type placed struct {
	at
	mass int32
}

// fieldWith returns a 30 Hz field of DefaultSize with no pellets but those
// given, and blobs 1..len(blobs) standing (their target is where they are)
// as given.
func fieldWith(t testing.TB, pellets []at, blobs ...placed) *Game {
	t.Helper()
	g := New(Config{Seed: 1, Pellets: -1})
	for i, p := range blobs {
		id := PlayerID(i + 1)
		if err := g.Join(id, "p"); err != nil {
			t.Fatal(err)
		}
		b := g.blob(id)
		b.x, b.y, b.tx, b.ty = 8*p.x, 8*p.y, 8*p.x, 8*p.y
		b.mass, b.r = p.mass, RadiusOf(p.mass)
	}
	for _, p := range pellets {
		g.putPellet(8*p.x, 8*p.y, 0)
	}
	g.refresh()
	return g
}

func mustBlob(t *testing.T, g *Game, id PlayerID) Blob {
	t.Helper()
	b, ok := g.Blob(id)
	if !ok {
		t.Fatalf("blob %d missing", id)
	}
	return b
}

// target sends player id's input to head for (x, y) px.
func target(g *Game, id PlayerID, x, y int32) {
	g.SetInput(id, Input{TX: x, TY: y}.Wire())
}

func TestRadius(t *testing.T) {
	if got := RadiusOf(StartMass); got != startRadius {
		t.Fatalf("RadiusOf(StartMass) = %d, startRadius is %d", got, startRadius)
	}
	// 6·√mass px: exact where the mass is a square.
	for _, m := range []int32{1, 4, 25, 100, 400, 2500} {
		sq := isqrt(int64(m))
		if want := int32(6 * 8 * sq); RadiusOf(m) != want {
			t.Errorf("RadiusOf(%d) = %d, want %d (6·√m px)", m, RadiusOf(m), want)
		}
	}
	if r := RadiusOf(MaxMass); r > 32767-1 || r/8 > MaxSize/2 {
		t.Errorf("RadiusOf(MaxMass) = %d: does not fit the field or the wire", r)
	}
}

func TestIsqrt(t *testing.T) {
	for _, n := range []int64{0, 1, 2, 3, 4, 15, 16, 17, 46080, 1<<52 - 1, 1 << 52, 1<<53 + 1, 2 * 32000 * 32000} {
		r := isqrt(n)
		if r*r > n || (r+1)*(r+1) <= n {
			t.Errorf("isqrt(%d) = %d", n, r)
		}
	}
}

// TestStepOf: full speed at the start, half at four times the starting
// radius, never below MinSpeed, and never faster as a blob grows.
func TestStepOf(t *testing.T) {
	tests := []struct {
		name string
		r    int32
		rate int
		want int32
	}{
		{"start, 30 Hz", startRadius, 30, MaxSpeed * 8 / 30},
		{"start, 60 Hz", startRadius, 60, MaxSpeed * 8 / 60},
		{"start, 10 Hz", startRadius, 10, MaxSpeed * 8 / 10},
		{"4×R0, 30 Hz", 4 * startRadius, 30, MaxSpeed * 8 / 2 / 30},
		{"largest, 30 Hz", RadiusOf(MaxMass), 30, MinSpeed * 8 / 30},
	}
	for _, tt := range tests {
		if got := StepOf(tt.r, tt.rate); got != tt.want {
			t.Errorf("%s: StepOf(%d, %d) = %d, want %d", tt.name, tt.r, tt.rate, got, tt.want)
		}
	}
	for _, rate := range []int{10, 30, 60} {
		prev := StepOf(startRadius, rate)
		for m := int32(StartMass); m <= MaxMass; m++ {
			s := StepOf(RadiusOf(m), rate)
			if s > prev || s < MinSpeed*8/int32(rate) {
				t.Fatalf("rate %d mass %d: step %d after %d", rate, m, s, prev)
			}
			prev = s
		}
	}
	// A diff of at most 63 is one byte on the wire (a zigzag fixint).
	if s := StepOf(startRadius, defaultRate); s > 63 {
		t.Errorf("a starting blob moves %d/8 px per tick at %d Hz: more than a one-byte diff", s, defaultRate)
	}
}

func TestMoveToward(t *testing.T) {
	tests := []struct {
		name               string
		x, y, tx, ty, step int32
		wantX, wantY       int32
	}{
		{"reaches a near target", 100, 100, 103, 104, 5, 103, 104},
		{"stays on its target", 100, 100, 100, 100, 5, 100, 100},
		{"along x", 0, 0, 1000, 0, 58, 58, 0},
		{"along -y", 0, 500, 0, 0, 58, 0, 442},
		{"3-4-5", 0, 0, 300, 400, 50, 30, 40},
		{"truncates toward zero", 0, 0, -300, -400, 7, -4, -5},
		{"step just short", 0, 0, 0, 6, 5, 0, 5},
	}
	for _, tt := range tests {
		x, y := MoveToward(tt.x, tt.y, tt.tx, tt.ty, tt.step)
		if x != tt.wantX || y != tt.wantY {
			t.Errorf("%s: (%d, %d) → (%d, %d) by %d: got (%d, %d), want (%d, %d)",
				tt.name, tt.x, tt.y, tt.tx, tt.ty, tt.step, x, y, tt.wantX, tt.wantY)
		}
	}
}

// TestMovement: a blob heads for its target at the speed its size allows,
// stops on it, and a target off the field is taken at its edge.
func TestMovement(t *testing.T) {
	for _, mass := range []int32{StartMass, 80, 320, 1280, MaxMass} {
		g := fieldWith(t, nil, placed{at{1000, 1000}, mass})
		target(g, 1, 3000, 1000)
		g.Step(nil)
		b := mustBlob(t, g, 1)
		if step := StepOf(RadiusOf(mass), 30); b.X != 8000+step || b.Y != 8000 {
			t.Errorf("mass %d: at (%d, %d) after a tick, want (%d, 8000)", mass, b.X, b.Y, 8000+step)
		}
	}
	g := fieldWith(t, nil, placed{at{1000, 1000}, StartMass})
	target(g, 1, 1010, 1000)
	for range 3 {
		g.Step(nil)
	}
	if b := mustBlob(t, g, 1); b.X != 8080 || b.Y != 8000 {
		t.Errorf("blob passed or missed its target: at (%d, %d), want (8080, 8000)", b.X, b.Y)
	}
	g.SetInput(1, Input{TX: -50, TY: 99999}.Wire())
	for range 600 {
		g.Step(nil)
	}
	if b := mustBlob(t, g, 1); b.X != 0 || b.Y != 8*g.Size() {
		t.Errorf("a target off the field: blob at (%d, %d), want the corner (0, %d)", b.X, b.Y, 8*g.Size())
	}
}

// TestEatPellets: a blob eats the pellets whose centre is inside its
// circle, grows by PelletMass each, and each is replaced PelletRespawn
// seconds later under a new id somewhere else.
func TestEatPellets(t *testing.T) {
	const mass = 25 // a radius of exactly 30 px
	pellets := []at{
		{1000, 1000}, // under the centre
		{1029, 1000}, // 29 px: inside
		{1030, 1000}, // 30 px: on the edge, outside
		{1000, 970},  // on the edge
		{1021, 1021}, // 29.70 px: inside
		{1022, 1021}, // 30.41 px: outside
		{2000, 2000}, // far
	}
	g := fieldWith(t, pellets, placed{at{1000, 1000}, mass})
	before := pelletIDs(g)
	ev := g.Step(nil)
	if len(ev) != 0 {
		t.Errorf("events: %v", ev)
	}
	b := mustBlob(t, g, 1)
	if b.Mass != mass+3*PelletMass || b.R != RadiusOf(mass+3) {
		t.Errorf("after eating 3 pellets: %+v", b)
	}
	left := pelletIDs(g)
	if want := []uint32{before[2], before[3], before[5], before[6]}; !slices.Equal(left, want) {
		t.Fatalf("pellets left %v, want %v", left, want)
	}
	// Away from the rest and the replacements' likely places, standing.
	bl := g.blob(1)
	bl.x, bl.y, bl.tx, bl.ty = 8*3900, 8*100, 8*3900, 8*100
	for g.Tick() < 1+PelletRespawn*30-1 { // eaten at tick 1
		g.Step(nil)
	}
	if n := len(pelletIDs(g)); n != 4 {
		t.Fatalf("tick %d: %d pellets, replaced too early", g.Tick(), n)
	}
	g.Step(nil)
	after := pelletIDs(g)
	if len(after) != len(pellets) {
		t.Fatalf("tick %d: %d pellets, want %d", g.Tick(), len(after), len(pellets))
	}
	for _, id := range after[4:] {
		if id <= before[len(before)-1] {
			t.Errorf("a replacement pellet reuses id %d (ids before: %v)", id, before)
		}
	}
	if b := mustBlob(t, g, 1); b.Mass != mass+3 {
		t.Errorf("the blob ate replacements it does not cover or ate again: %+v", b)
	}
}

// TestPelletEatenOnce: a pellet two blobs cover goes to the first in id
// order, and is replaced once.
func TestPelletEatenOnce(t *testing.T) {
	g := fieldWith(t, []at{{1000, 1000}}, placed{at{990, 1000}, StartMass}, placed{at{1010, 1000}, StartMass})
	g.Step(nil)
	if g.Score(1) != StartMass+PelletMass || g.Score(2) != StartMass || len(g.due) != 1 {
		t.Errorf("masses %d and %d, %d replacements due; want %d, %d, 1", g.Score(1), g.Score(2), len(g.due), StartMass+PelletMass, StartMass)
	}
}

func pelletIDs(g *Game) []uint32 {
	var ids []uint32
	for _, e := range g.World(nil) {
		if e.Kind == KindPellet {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

func TestCanEat(t *testing.T) {
	tests := []struct {
		a, b int32
		want bool
	}{
		{115, 100, true}, {114, 100, false}, {100, 100, false}, {230, 200, true}, {229, 200, false},
	}
	for _, tt := range tests {
		if got := canEat(tt.a, tt.b); got != tt.want {
			t.Errorf("canEat(%d, %d) = %v", tt.a, tt.b, got)
		}
	}
}

// TestEatBlobs: a blob eats another when it is at least EatRatio % of its
// radius and covers its centre; it gains the victim's mass, and the victim
// is dead, small again, until it respawns.
func TestEatBlobs(t *testing.T) {
	r100 := RadiusOf(100) / 8 // 60 px
	tests := []struct {
		name   string
		a, b   placed
		eater  PlayerID // 0: nobody eats
		victim PlayerID
	}{
		{"covers the centre", placed{at{1000, 1000}, 100}, placed{at{1000 + r100 - 1, 1000}, 50}, 1, 2},
		{"centre on the edge", placed{at{1000, 1000}, 100}, placed{at{1000 + r100, 1000}, 50}, 0, 0},
		{"too alike", placed{at{1000, 1000}, 60}, placed{at{1000, 1000}, 50}, 0, 0},
		{"the second is bigger", placed{at{1000, 1000}, 40}, placed{at{1010, 1010}, 200}, 2, 1},
		{"a starting blob eats a smaller one", placed{at{1000, 1000}, StartMass}, placed{at{1010, 1000}, 15}, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := fieldWith(t, nil, tt.a, tt.b)
			ma, mb := tt.a.mass, tt.b.mass
			ev := g.Step(nil)
			if tt.eater == 0 {
				if len(ev) != 0 || g.Score(1) != ma || g.Score(2) != mb {
					t.Fatalf("nobody should eat: events %v, masses %d %d", ev, g.Score(1), g.Score(2))
				}
				return
			}
			if want := []game.Event{{Kind: EventAte, A: tt.eater, B: tt.victim}}; !slices.Equal(ev, want) {
				t.Fatalf("events %v, want %v", ev, want)
			}
			e, v := mustBlob(t, g, tt.eater), mustBlob(t, g, tt.victim)
			if e.Mass != ma+mb || e.R != RadiusOf(ma+mb) || e.Flags != 0 {
				t.Errorf("eater: %+v, want mass %d", e, ma+mb)
			}
			if v.Flags != FlagDead || v.Mass != StartMass || v.R != startRadius || g.Score(tt.victim) != StartMass {
				t.Errorf("victim: %+v", v)
			}
		})
	}
}

// TestEatOrder: the heaviest eats first, the eaten eat nobody, and a blob
// eats everything it can in id order.
func TestEatOrder(t *testing.T) {
	g := fieldWith(t, nil,
		placed{at{1000, 1000}, 50},  // 1
		placed{at{1000, 1000}, 100}, // 2: could eat 1, but 3 eats it first
		placed{at{1000, 1000}, 400}, // 3
	)
	ev := g.Step(nil)
	want := []game.Event{{Kind: EventAte, A: 3, B: 1}, {Kind: EventAte, A: 3, B: 2}}
	if !slices.Equal(ev, want) {
		t.Fatalf("events %v, want %v", ev, want)
	}
	if g.Score(3) != 550 {
		t.Errorf("the eater's mass is %d, want 550", g.Score(3))
	}
}

// TestMassCap: a blob stops growing at MaxMass.
func TestMassCap(t *testing.T) {
	g := fieldWith(t, []at{{1000, 1000}}, placed{at{1000, 1000}, MaxMass - 100}, placed{at{1000, 1000}, 400})
	g.Step(nil)
	if b := mustBlob(t, g, 1); b.Mass != MaxMass || b.R != RadiusOf(MaxMass) {
		t.Errorf("capped blob: %+v", b)
	}
}

// TestRespawn: an eaten blob neither moves, eats, is eaten nor is seen by
// others until RespawnDelay seconds later, when it comes back with
// StartMass elsewhere, with an event, standing.
func TestRespawn(t *testing.T) {
	g := fieldWith(t, nil,
		placed{at{900, 1000}, 400},        // 1: eats 2, and covers where it lies (110 px < 122.9)
		placed{at{1010, 1000}, StartMass}, // 2
		placed{at{1025, 1015}, 10},        // 3: 21 px from 2, which could eat it alive
	)
	if ev := g.Step(nil); !slices.Equal(ev, []game.Event{{Kind: EventAte, A: 1, B: 2}}) {
		t.Fatalf("events %v", ev)
	}
	// A pellet 25 px from the dead blob's centre (and 30 px from 3's).
	g.putPellet(8*1030, 8*985, 0)
	g.refresh()
	target(g, 2, 3000, 3000)
	if idx := g.Interest(1, g.World(nil), nil); slices.Contains(idx, 1) {
		t.Errorf("others see the eaten blob: %v", idx)
	}
	if idx := g.Interest(2, g.World(nil), nil); !slices.Contains(idx, 1) {
		t.Errorf("the eaten blob does not see itself: %v", idx)
	}
	var ev []game.Event
	for g.Tick() < 1+RespawnDelay*30-1 {
		ev = g.Step(ev)
	}
	b := mustBlob(t, g, 2)
	if b.Flags != FlagDead || b.X != 8*1010 || b.Y != 8*1000 || len(ev) != 0 || g.Score(3) != 10 || len(pelletIDs(g)) != 1 {
		t.Fatalf("before its time: %+v, events %v, blob 3 mass %d, pellets %v", b, ev, g.Score(3), pelletIDs(g))
	}
	ev = g.Step(ev)
	if want := []game.Event{{Kind: EventRespawn, A: 2}}; !slices.Equal(ev, want) {
		t.Fatalf("tick %d: events %v, want %v", g.Tick(), ev, want)
	}
	b = mustBlob(t, g, 2)
	if b.Flags != 0 || b.Mass != StartMass || b.R != startRadius || (b.X == 8*1010 && b.Y == 8*1000) {
		t.Errorf("respawned: %+v", b)
	}
	g.Step(nil)
	if again := mustBlob(t, g, 2); again.X != b.X || again.Y != b.Y {
		t.Errorf("a respawned blob follows its old input: (%d, %d) → (%d, %d)", b.X, b.Y, again.X, again.Y)
	}
}

// TestSpawnIsFreest: a (re)spawning blob takes, of spawnTries random
// places, the one farthest from the edge of any live blob, the first of
// equals (all of them, on an empty field).
func TestSpawnIsFreest(t *testing.T) {
	for seed := range uint64(20) {
		g := New(Config{Seed: seed, Pellets: -1})
		for id := range PlayerID(8) {
			r := g.rng // the places Join will draw
			best, bx, by := int64(-1), int32(0), int32(0)
			for range spawnTries {
				x, y := g.randomPoint(startRadius)
				if d := g.clearance(x, y); d > best {
					best, bx, by = d, x, y
				}
			}
			g.rng = r
			if err := g.Join(id+1, "p"); err != nil {
				t.Fatal(err)
			}
			if b := mustBlob(t, g, id+1); b.X != bx || b.Y != by {
				t.Errorf("seed %d: %d joined at (%d, %d), the freest place is (%d, %d)", seed, id+1, b.X, b.Y, bx, by)
			}
		}
	}
}

// TestAway: an away blob is flagged, stands still whatever its input, can
// be eaten, and moves again when its player is back.
func TestAway(t *testing.T) {
	g := fieldWith(t, nil, placed{at{1000, 1000}, StartMass}, placed{at{1200, 1000}, 400})
	target(g, 1, 2000, 1000)
	g.SetAway(1, true)
	g.Step(nil)
	if b := mustBlob(t, g, 1); b.Flags != FlagAway || b.X != 8000 {
		t.Fatalf("away blob: %+v", b)
	}
	if w := g.World(nil); w[0].V[FieldFlags] != int32(FlagAway) {
		t.Errorf("the wire does not show away: %+v", w[0])
	}
	g.SetAway(1, false)
	g.Step(nil)
	if b := mustBlob(t, g, 1); b.Flags != 0 || b.X == 8000 {
		t.Fatalf("back: %+v", b)
	}
	g.SetAway(1, true)
	target(g, 2, 1000, 1000)
	var ev []game.Event
	for range 30 {
		ev = g.Step(ev)
	}
	if want := []game.Event{{Kind: EventAte, A: 2, B: 1}}; !slices.Equal(ev, want) {
		t.Fatalf("an away blob is not eaten: %v", ev)
	}
	if b := mustBlob(t, g, 1); b.Flags != FlagDead|FlagAway {
		t.Errorf("eaten while away: flags %d", b.Flags)
	}
	g.SetAway(99, true) // no such player: nothing happens
}

func TestJoinLeave(t *testing.T) {
	g := New(Config{Seed: 3})
	if err := g.Join(1, "ann"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id   PlayerID
		want error
	}{
		{1, ErrPlayerExists},
		{0, ErrBadPlayerID},
		{FirstPelletID, ErrBadPlayerID},
		{FirstPelletID - 1, nil},
		{2, nil},
	}
	for _, tt := range tests {
		if err := g.Join(tt.id, "x"); !errors.Is(err, tt.want) {
			t.Errorf("Join(%d) = %v, want %v", tt.id, err, tt.want)
		}
	}
	b := mustBlob(t, g, 1)
	if b.Mass != StartMass || b.R != startRadius || b.Flags != 0 || g.Score(1) != StartMass {
		t.Errorf("fresh blob: %+v", b)
	}
	g.Step(nil)
	if again := mustBlob(t, g, 1); again.X != b.X || again.Y != b.Y {
		t.Errorf("a blob without input moved: %+v → %+v", b, again)
	}
	g.Leave(2)
	g.Leave(77) // not there: nothing happens
	var ids []uint32
	for _, e := range g.World(nil) {
		if e.Kind == KindBlob {
			ids = append(ids, e.ID)
		}
	}
	if want := []uint32{1, FirstPelletID - 1}; !slices.Equal(ids, want) {
		t.Errorf("blobs after a leave: %v, want %v", ids, want)
	}
	if g.Score(2) != 0 {
		t.Errorf("score of a player who left: %d", g.Score(2))
	}
	if idx := g.Interest(2, g.World(nil), []int32{7}); !slices.Equal(idx, []int32{7}) {
		t.Errorf("interest of a player who left: %v", idx)
	}
	if err := g.Join(2, "back"); err != nil {
		t.Errorf("rejoin after leave: %v", err)
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		cfg                 Config
		size                int32
		pellets, respawnTks int
	}{
		{Config{}, DefaultSize, DefaultPellets, 60},
		{Config{TickRate: 60, Size: 2000, Pellets: 10}, 2000, 10, 120},
		{Config{TickRate: 1, Size: 1, Pellets: -5}, MinSize, 0, 20},
		{Config{TickRate: 500, Size: 99999, Pellets: 1 << 20}, MaxSize, MaxPellets, 120},
	}
	for _, tt := range tests {
		g := New(tt.cfg)
		if g.Size() != tt.size || len(pelletIDs(g)) != tt.pellets || int(g.respawnTicks) != tt.respawnTks {
			t.Errorf("%+v: size %d, %d pellets, respawn %d ticks; want %d, %d, %d",
				tt.cfg, g.Size(), len(pelletIDs(g)), g.respawnTicks, tt.size, tt.pellets, tt.respawnTks)
		}
		for _, e := range g.World(nil) {
			if x, y := e.V[FieldX], e.V[FieldY]; x < PelletRadius*8 || y < PelletRadius*8 || x > 8*g.Size()-PelletRadius*8 || y > 8*g.Size()-PelletRadius*8 {
				t.Fatalf("%+v: pellet %d at (%d, %d), off the field", tt.cfg, e.ID, x, y)
			}
		}
	}
}

func TestDefinition(t *testing.T) {
	d := Definition()
	if d.Name != Name || d.Bots["forager"] == nil {
		t.Fatalf("definition: %+v", d)
	}
	for _, mode := range []string{"", "ffa", "small"} {
		m, ok := d.Mode(mode)
		if !ok || m.MaxPlayers > m.Limit {
			t.Fatalf("mode %q: %+v %v", mode, m, ok)
		}
		g := d.New(game.Config{Mode: m.Name, Seed: 1, TickRate: 20, MaxPlayers: m.MaxPlayers})
		if err := g.Schema().Validate(); err != nil {
			t.Errorf("mode %q: %v", mode, err)
		}
		for id := range PlayerID(m.Limit) {
			if err := g.Join(id+1, "p"); err != nil {
				t.Fatalf("mode %q: %v", mode, err)
			}
		}
		g.Step(nil)
	}
	small := d.New(game.Config{Mode: "small"}).(*Game)
	if small.Size() != 2000 || small.Schema().Input[InputTX].Max != 2000 || small.Schema().World["w"] != int32(2000) {
		t.Errorf("small mode: size %d, schema %+v", small.Size(), small.Schema())
	}
}
