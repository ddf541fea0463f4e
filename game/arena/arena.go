package arena

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/tickroom/tickroom/game"
)

// Config configures an Arena. The zero value is valid.
type Config struct {
	Seed     uint64 // seeds the arena's RNG; default 0
	TickRate int    // Steps per second, clamped to 10..60; 0 means 30
	// Map and Spawns replace DefaultMap and DefaultSpawns when set (both
	// or neither). The map is copied.
	Map    *Map
	Spawns []Point
}

// Rules of the arena.
const (
	MaxHP        = 100
	ShotDamage   = 20
	ShotSpeed    = 900.0 // px/s
	ShotRadius   = 4     // half-size in px of a projectile's collision square
	ShotOffset   = PlayerRadius + 6
	FireInterval = 0.25 // seconds between shots, rounded up to whole ticks
	ShotLifetime = 1    // seconds
	RespawnDelay = 2    // seconds
	FirstShotID  = 1 << 20
	defaultRate  = 30
	minRate      = 10
	maxRate      = 60
)

// Errors returned by Join.
var (
	ErrPlayerExists = errors.New("player already in the arena")
	ErrPlayerIDUsed = errors.New("player id was used before in this arena")
	ErrBadPlayerID  = errors.New("player id out of range")
)

// Arena is a deathmatch arena shooter. It is not safe for concurrent use:
// the room's goroutine owns it.
type Arena struct {
	// Static after New.
	m        Map
	spawns   []Point // the map's spawns in a seeded order
	rate     int     // ticks per second
	dt       float64
	cooldown uint32 // ticks between shots
	lifetime uint32 // ticks a projectile flies
	respawn  uint32 // ticks a dead player waits
	subSteps int    // projectile collision checks per tick

	schema *game.Schema

	// Simulation state, changed by Join, Leave, SetInput, SetAway and Step.
	tick       uint32
	players    []player     // sorted by id
	shots      []projectile // sorted by id, as ids only grow
	nextShotID uint32
	left       map[PlayerID]bool // ids that left; never reused

	// Derived from the state by refresh.
	ents  []Entity      // players then projectiles, sorted by ID
	wire  []game.Entity // ents as the schema has them
	pos   []Point       // where each of ents is now, in 1/8 px
	grid  grid
	dirty bool // ents and grid are stale
}

var _ game.Game = (*Arena)(nil)

// player is one avatar's state.
type player struct {
	id        PlayerID
	body      Body
	in        Input
	angle     uint16
	hp        uint8
	flags     uint8
	score     int32
	nextFire  uint32 // first tick it may fire again
	respawnAt uint32 // tick a dead player comes back
}

// New returns an arena on the default map.
func New(cfg Config) *Arena {
	rate := cfg.TickRate
	if rate == 0 {
		rate = defaultRate
	}
	rate = min(max(rate, minRate), maxRate)
	m, spawns := DefaultMap(), DefaultSpawns()
	if cfg.Map != nil && len(cfg.Spawns) > 0 {
		m = Map{W: cfg.Map.W, H: cfg.Map.H, Walls: append([]Wall(nil), cfg.Map.Walls...)}
		spawns = append([]Point(nil), cfg.Spawns...)
	}
	a := &Arena{
		m:          m,
		spawns:     shuffled(spawns, cfg.Seed),
		rate:       rate,
		dt:         1 / float64(rate),
		cooldown:   cooldownTicks(rate),
		lifetime:   uint32(ShotLifetime * rate),
		respawn:    uint32(RespawnDelay * rate),
		subSteps:   subSteps(rate),
		nextShotID: FirstShotID,
		left:       make(map[PlayerID]bool),
	}
	a.grid.init(m.W, m.H)
	a.schema = newSchema(&a.m, rate)
	return a
}

// cooldownTicks is FireInterval in whole ticks, rounded up.
func cooldownTicks(rate int) uint32 { return uint32((rate + 3) / 4) }

// Schema returns the arena's schema, with its map and rules as the world.
func (a *Arena) Schema() *game.Schema { return a.schema }

// shuffled returns the spawns in an order drawn from seed, so which spawn
// wins a tie differs between matches.
func shuffled(spawns []Point, seed uint64) []Point {
	r := newRNG(seed)
	for i := len(spawns) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		spawns[i], spawns[j] = spawns[j], spawns[i]
	}
	return spawns
}

// Join adds a player's avatar at the free spawn point.
func (a *Arena) Join(id PlayerID, name string) error {
	switch {
	case id == 0 || id >= FirstShotID:
		return fmt.Errorf("game: join %d: %w", id, ErrBadPlayerID)
	case a.left[id]:
		return fmt.Errorf("game: join %d: %w", id, ErrPlayerIDUsed)
	}
	i, found := a.find(id)
	if found {
		return fmt.Errorf("game: join %d: %w", id, ErrPlayerExists)
	}
	p := player{id: id, hp: MaxHP}
	p.place(a.freeSpawn())
	a.players = slices.Insert(a.players, i, p)
	a.dirty = true
	return nil
}

// Leave removes a player's avatar and its projectiles. Its id is not reused.
func (a *Arena) Leave(id PlayerID) {
	i, found := a.find(id)
	if !found {
		return
	}
	a.players = slices.Delete(a.players, i, i+1)
	a.shots = slices.DeleteFunc(a.shots, func(s projectile) bool { return s.owner == id })
	a.left[id] = true
	a.dirty = true
}

// SetInput sets the command player id follows from the next Step on, until
// it is replaced.
func (a *Arena) SetInput(id PlayerID, in game.Input) {
	if p := a.player(id); p != nil {
		p.in = InputOf(in)
	}
}

// SetAway shows a player whose connection is away with FlagAway: it stays
// in the world, and can be hit, while its seat is held, standing still and
// holding its fire (it keeps its aim) until its player is back.
func (a *Arena) SetAway(id PlayerID, away bool) {
	if p := a.player(id); p != nil {
		p.flags &^= FlagAway
		if away {
			p.flags |= FlagAway
			p.in.Move, p.in.Buttons = 0, 0
		}
		a.dirty = true
	}
}

// Step advances the world by one tick: players move and fire, projectiles
// fly and hit, the dead whose time has come respawn.
func (a *Arena) Step(ev []game.Event) []game.Event {
	a.tick++
	for i := range a.players {
		a.stepPlayer(&a.players[i])
	}
	ev = a.stepShots(ev)
	a.respawnDue()
	a.refresh()
	return ev
}

// stepPlayer applies a live player's input: aim, movement and fire.
func (a *Arena) stepPlayer(p *player) {
	p.angle = p.in.Aim
	if p.flags&FlagDead != 0 {
		return
	}
	MovePlayer(&p.body, p.in.Move, a.dt, a.m.Walls)
	if p.in.Buttons&ButtonFire != 0 && a.tick >= p.nextFire {
		p.nextFire = a.tick + a.cooldown
		a.fire(p)
	}
}

// Map returns the static world.
func (a *Arena) Map() Map { return a.m }

// Tick returns the number of Steps taken.
func (a *Arena) Tick() uint32 { return a.tick }

// Entities appends every entity to dst, sorted by ID.
func (a *Arena) Entities(dst []Entity) []Entity {
	a.refreshIfDirty()
	return append(dst, a.ents...)
}

// Player returns the entity of player id's avatar.
func (a *Arena) Player(id PlayerID) (Entity, bool) {
	p := a.player(id)
	if p == nil {
		return Entity{}, false
	}
	return p.entity(), true
}

// find returns where player id is, or would be inserted, in a.players.
func (a *Arena) find(id PlayerID) (int, bool) {
	return slices.BinarySearchFunc(a.players, id, func(p player, id PlayerID) int {
		return cmpID(p.id, id)
	})
}

func (a *Arena) player(id PlayerID) *player {
	if i, found := a.find(id); found {
		return &a.players[i]
	}
	return nil
}

func (p *player) entity() Entity {
	return Entity{
		ID: p.id, Kind: KindPlayer,
		X: fixed(p.body.X), Y: fixed(p.body.Y),
		VX: fixed(p.body.VX), VY: fixed(p.body.VY),
		Angle: p.angle, HP: p.hp, Flags: p.flags, Score: p.score,
	}
}

// refresh rebuilds the entity list, the positions and the interest grid
// from the state.
func (a *Arena) refresh() {
	a.ents, a.pos, a.wire = a.ents[:0], a.pos[:0], a.wire[:0]
	for i := range a.players {
		e := a.players[i].entity()
		a.ents = append(a.ents, e)
		a.pos = append(a.pos, Point{e.X, e.Y})
	}
	for i := range a.shots {
		s := &a.shots[i]
		a.ents = append(a.ents, s.entity())
		a.pos = append(a.pos, Point{fixed(s.x), fixed(s.y)})
	}
	for i := range a.ents {
		a.wire = append(a.wire, a.ents[i].Wire())
	}
	a.grid.build(a.pos)
	a.dirty = false
}

func (a *Arena) refreshIfDirty() {
	if a.dirty {
		a.refresh()
	}
}

func cmpID(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Score is a player's kills.
func (a *Arena) Score(id PlayerID) int32 {
	if p := a.player(id); p != nil {
		return p.score
	}
	return 0
}

// Hash digests the whole state: every entity as sent, and what the wire
// does not carry (inputs, cooldowns, respawn times, the next shot id, who
// left).
func (a *Arena) Hash() uint64 {
	a.refreshIfDirty()
	h := game.NewHash64().Uint64(uint64(a.tick)).Uint64(uint64(a.nextShotID)).Entities(a.wire)
	for i := range a.players {
		p := &a.players[i]
		h = h.Uint64(uint64(p.id)).Uint64(uint64(p.in.Move)<<32 | uint64(p.in.Aim)<<8 | uint64(p.in.Buttons))
		h = h.Uint64(uint64(p.nextFire)<<32 | uint64(p.respawnAt))
	}
	for i := range a.shots {
		h = h.Uint64(uint64(a.shots[i].expires))
	}
	for _, id := range slices.Sorted(maps.Keys(a.left)) {
		h = h.Uint64(uint64(id))
	}
	return uint64(h)
}
