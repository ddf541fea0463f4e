package blobs

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/tickroom/tickroom/game"
)

// Config configures a Game. The zero value is valid.
type Config struct {
	Seed     uint64 // places the pellets and the spawns; default 0
	TickRate int    // Steps per second, clamped to 10..60; 0 means 30
	// Size is the side of the square field in px, clamped to
	// MinSize..MaxSize; 0 means DefaultSize.
	Size int32
	// Pellets is how many pellets the field holds (an eaten one comes
	// back PelletRespawn seconds later), at most MaxPellets; 0 means
	// DefaultPellets and a negative number none.
	Pellets int
}

// Errors returned by Join.
var (
	ErrPlayerExists = errors.New("player already in the game")
	ErrBadPlayerID  = errors.New("player id out of range")
)

// Game is a field of blobs and pellets. It is not safe for concurrent use:
// the room's goroutine owns it.
type Game struct {
	// Static after New.
	size         int32 // px
	rate         int
	respawnTicks uint32
	pelletTicks  uint32
	schema       *game.Schema

	// The state, changed by Join, Leave, SetInput, SetAway and Step.
	tick  uint32
	rng   rng
	blobs []blob // sorted by id
	// pellets are sorted by id, as ids only grow. A pellet never changes,
	// so its wire form is all its state, and World copies them in one go.
	pellets    []game.Entity
	due        []uint32 // ticks at which eaten pellets are replaced, ascending
	nextPellet uint32

	// Derived from the state by refresh. The pellets change only in Step
	// (and New), which refreshes at its end, so the grid is current
	// whenever Step looks pellets up in it.
	wire   []game.Entity // blobs then pellets: sorted by id
	grid   grid          // the pellets by cell
	dirty  bool          // wire is stale (a join, leave or away)
	regrid bool          // the pellets changed since the grid was built

	order []int32  // scratch for eatBlobs
	eaten []uint64 // scratch for eatPellets: bit i is pellets[i]
}

var _ game.Game = (*Game)(nil)

// blob is one player's state; positions in 1/8 px.
type blob struct {
	id        PlayerID
	x, y      int32
	tx, ty    int32 // where it heads
	r         int32
	mass      int32
	flags     uint8
	respawnAt uint32 // when FlagDead: the tick it comes back
}

// New returns a field with its pellets placed.
func New(cfg Config) *Game {
	rate := cfg.TickRate
	if rate == 0 {
		rate = defaultRate
	}
	rate = min(max(rate, minRate), maxRate)
	size := cfg.Size
	if size == 0 {
		size = DefaultSize
	}
	size = min(max(size, MinSize), MaxSize)
	n := cfg.Pellets
	if n == 0 {
		n = DefaultPellets
	}
	n = min(max(n, 0), MaxPellets)
	g := &Game{
		size:         size,
		rate:         rate,
		respawnTicks: uint32(RespawnDelay * rate),
		pelletTicks:  uint32(PelletRespawn * rate),
		rng:          newRNG(cfg.Seed),
		nextPellet:   FirstPelletID,
		pellets:      make([]game.Entity, 0, n),
	}
	for range n {
		g.addPellet()
	}
	g.grid.init(size)
	g.schema = newSchema(size, n, rate)
	g.refresh()
	return g
}

// Schema returns the game's schema, with the field and its rules as the
// world.
func (g *Game) Schema() *game.Schema { return g.schema }

// Size returns the side of the field in px.
func (g *Game) Size() int32 { return g.size }

// Tick returns the number of Steps taken.
func (g *Game) Tick() uint32 { return g.tick }

// Join adds a player's blob, of StartMass, at the freest of a few random
// places.
func (g *Game) Join(id PlayerID, _ string) error {
	if id == 0 || id >= FirstPelletID {
		return fmt.Errorf("blobs: join %d: %w", id, ErrBadPlayerID)
	}
	i, found := g.find(id)
	if found {
		return fmt.Errorf("blobs: join %d: %w", id, ErrPlayerExists)
	}
	b := blob{id: id}
	g.spawn(&b)
	g.blobs = slices.Insert(g.blobs, i, b)
	g.dirty = true
	return nil
}

// Leave removes a player's blob.
func (g *Game) Leave(id PlayerID) {
	if i, found := g.find(id); found {
		g.blobs = slices.Delete(g.blobs, i, i+1)
		g.dirty = true
	}
}

// SetInput sets the point player id's blob heads for, clamped to the field.
func (g *Game) SetInput(id PlayerID, in game.Input) {
	if b := g.blob(id); b != nil {
		t := InputOf(in)
		b.tx, b.ty = 8*min(max(t.TX, 0), g.size), 8*min(max(t.TY, 0), g.size)
	}
}

// SetAway shows a blob whose player's connection is away with FlagAway.
// It stays where it is (it does not follow its last input) and can still
// be eaten.
func (g *Game) SetAway(id PlayerID, away bool) {
	if b := g.blob(id); b != nil {
		b.flags &^= FlagAway
		if away {
			b.flags |= FlagAway
		}
		g.dirty = true
	}
}

// Score is the mass of player id's blob.
func (g *Game) Score(id PlayerID) int32 {
	if b := g.blob(id); b != nil {
		return b.mass
	}
	return 0
}

// Blob returns player id's blob.
func (g *Game) Blob(id PlayerID) (Blob, bool) {
	if b := g.blob(id); b != nil {
		return b.public(), true
	}
	return Blob{}, false
}

// Step advances the field by one tick: blobs move, eat pellets, then eat
// each other; the eaten whose time has come respawn; eaten pellets whose
// time has come are replaced.
func (g *Game) Step(ev []game.Event) []game.Event {
	g.tick++
	for i := range g.blobs {
		b := &g.blobs[i]
		if b.flags&(FlagDead|FlagAway) == 0 {
			b.x, b.y = MoveToward(b.x, b.y, b.tx, b.ty, StepOf(b.r, g.rate))
		}
	}
	g.eatPellets()
	ev = g.eatBlobs(ev)
	ev = g.respawnDue(ev)
	g.replacePellets()
	g.refresh()
	return ev
}

// eatPellets lets each live blob, in id order, eat every pellet whose
// centre its circle covers; it grows after its meal.
func (g *Game) eatPellets() {
	words := (len(g.pellets) + 63) / 64
	g.eaten = slices.Grow(g.eaten[:0], words)[:words]
	clear(g.eaten)
	ate := false
	for i := range g.blobs {
		b := &g.blobs[i]
		if b.flags&FlagDead != 0 {
			continue
		}
		r2 := int64(b.r) * int64(b.r)
		meal := int32(0)
		c0, c1, r0, r1 := g.grid.rect(b.x-b.r, b.y-b.r, b.x+b.r, b.y+b.r)
		for row := r0; row <= r1; row++ {
			for _, k := range g.grid.row(row, c0, c1) {
				p, bit := &g.pellets[k], uint64(1)<<(k&63)
				dx, dy := int64(p.V[FieldX]-b.x), int64(p.V[FieldY]-b.y)
				if g.eaten[k>>6]&bit == 0 && dx*dx+dy*dy < r2 {
					g.eaten[k>>6] |= bit
					meal += PelletMass
					g.due = append(g.due, g.tick+g.pelletTicks)
				}
			}
		}
		if meal > 0 {
			b.grow(meal)
			ate = true
		}
	}
	if !ate {
		return
	}
	n := 0
	for i := range g.pellets {
		if g.eaten[i>>6]&(1<<(i&63)) == 0 {
			g.pellets[n] = g.pellets[i]
			n++
		}
	}
	g.pellets = g.pellets[:n]
	g.regrid = true
}

// eatBlobs lets the live blobs, heaviest first (ties: lower id first), each
// eat the live blobs it can (canEat) whose centre it covers, in id order.
func (g *Game) eatBlobs(ev []game.Event) []game.Event {
	g.order = g.order[:0]
	for i := range g.blobs {
		if g.blobs[i].flags&FlagDead == 0 {
			g.order = append(g.order, int32(i))
		}
	}
	slices.SortFunc(g.order, func(i, j int32) int {
		a, b := &g.blobs[i], &g.blobs[j]
		return cmp.Or(cmp.Compare(b.mass, a.mass), cmp.Compare(a.id, b.id))
	})
	for _, i := range g.order {
		a := &g.blobs[i]
		if a.flags&FlagDead != 0 {
			continue // eaten earlier this tick
		}
		for j := range g.blobs {
			v := &g.blobs[j]
			if int32(j) == i || v.flags&FlagDead != 0 || !canEat(a.r, v.r) {
				continue
			}
			dx, dy := int64(v.x-a.x), int64(v.y-a.y)
			if dx*dx+dy*dy >= int64(a.r)*int64(a.r) {
				continue
			}
			a.grow(v.mass)
			v.flags |= FlagDead
			v.mass, v.r = StartMass, startRadius
			v.respawnAt = g.tick + g.respawnTicks
			ev = append(ev, game.Event{Kind: EventAte, A: a.id, B: v.id})
		}
	}
	return ev
}

// grow adds mass to b, up to MaxMass, and sets its radius.
func (b *blob) grow(mass int32) {
	b.mass = min(b.mass+mass, MaxMass)
	b.r = RadiusOf(b.mass)
}

// respawnDue brings back, in id order, every eaten blob whose delay is over.
func (g *Game) respawnDue(ev []game.Event) []game.Event {
	for i := range g.blobs {
		b := &g.blobs[i]
		if b.flags&FlagDead != 0 && g.tick >= b.respawnAt {
			g.spawn(b)
			b.flags &^= FlagDead
			ev = append(ev, game.Event{Kind: EventRespawn, A: b.id})
		}
	}
	return ev
}

// spawn gives b StartMass at the freest of spawnTries random places (the
// one farthest from the edge of any live blob; ties go to the first), with
// itself as its target, so it stands until its player says otherwise.
func (g *Game) spawn(b *blob) {
	b.mass, b.r = StartMass, startRadius
	best := int64(-1)
	for range spawnTries {
		x, y := g.randomPoint(startRadius)
		if d := g.clearance(x, y); d > best {
			best, b.x, b.y = d, x, y
		}
	}
	b.tx, b.ty = b.x, b.y
}

// clearance is how far (x, y) is from the edge of the nearest live blob,
// 0 inside one; in 1/8 px, and large when there is none.
func (g *Game) clearance(x, y int32) int64 {
	d := int64(1) << 40
	for i := range g.blobs {
		o := &g.blobs[i]
		if o.flags&FlagDead != 0 {
			continue
		}
		dx, dy := int64(o.x-x), int64(o.y-y)
		d = min(d, max(isqrt(dx*dx+dy*dy)-int64(o.r), 0))
	}
	return d
}

// randomPoint returns a point at least margin (1/8 px) from the edges.
func (g *Game) randomPoint(margin int32) (int32, int32) {
	span := 8*g.size - 2*margin + 1
	x := margin + g.rng.intn(span)
	return x, margin + g.rng.intn(span)
}

// addPellet places a new pellet at a random place.
func (g *Game) addPellet() {
	x, y := g.randomPoint(PelletRadius * 8)
	g.putPellet(x, y, uint8(g.rng.intn(PelletColors)))
}

// putPellet adds a pellet at (x, y), in 1/8 px, with the next id.
func (g *Game) putPellet(x, y int32, color uint8) {
	p := Pellet{ID: g.nextPellet, X: x, Y: y, Color: color}
	g.nextPellet++
	g.pellets = append(g.pellets, p.Wire())
	g.regrid = true
}

// replacePellets adds a pellet for each eaten one whose delay is over.
func (g *Game) replacePellets() {
	n := 0
	for n < len(g.due) && g.due[n] <= g.tick {
		g.addPellet()
		n++
	}
	if n > 0 {
		g.due = append(g.due[:0], g.due[n:]...)
	}
}

// find returns where player id is, or would be inserted, in g.blobs.
func (g *Game) find(id PlayerID) (int, bool) {
	return slices.BinarySearchFunc(g.blobs, id, func(b blob, id PlayerID) int { return cmp.Compare(b.id, id) })
}

func (g *Game) blob(id PlayerID) *blob {
	if i, found := g.find(id); found {
		return &g.blobs[i]
	}
	return nil
}

func (b *blob) public() Blob {
	return Blob{ID: b.id, X: b.x, Y: b.y, R: b.r, Mass: b.mass, Flags: b.flags}
}

// refresh rebuilds the wire entities and the pellet grid from the state.
func (g *Game) refresh() {
	g.wire = g.wire[:0]
	for i := range g.blobs {
		b := g.blobs[i].public()
		g.wire = append(g.wire, b.Wire())
	}
	g.wire = append(g.wire, g.pellets...)
	if g.regrid {
		g.grid.build(g.pellets)
		g.regrid = false
	}
	g.dirty = false
}

func (g *Game) refreshIfDirty() {
	if g.dirty {
		g.refresh()
	}
}

// World appends every entity to dst, sorted by id: the blobs (player ids),
// then the pellets (from FirstPelletID).
func (g *Game) World(dst []game.Entity) []game.Entity {
	g.refreshIfDirty()
	return append(dst, g.wire...)
}

// Hash digests the whole state: every entity as sent, and what the wire
// does not carry (targets, respawn ticks, the pellets due, the next pellet
// id, the RNG).
func (g *Game) Hash() uint64 {
	g.refreshIfDirty()
	h := game.NewHash64().Uint64(uint64(g.tick)).Uint64(uint64(g.nextPellet)).
		Uint64(g.rng.state).Uint64(g.rng.inc).Entities(g.wire)
	for i := range g.blobs {
		b := &g.blobs[i]
		h = h.Uint64(uint64(b.id)).Int32(b.tx).Int32(b.ty).Uint64(uint64(b.respawnAt))
	}
	h = h.Uint64(uint64(len(g.due)))
	for _, t := range g.due {
		h = h.Uint64(uint64(t))
	}
	return uint64(h)
}
