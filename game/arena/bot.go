package arena

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/tickroom/tickroom/game"
)

// Fighter tuning, in px and seconds.
const (
	fightFar   = 320 // close in from farther than this
	fightNear  = 160 // back off when closer than this
	fireRange  = 800 // hold the trigger within this
	stuckMove  = 3   // moved less than this over stuckCheck: stuck
	stuckCheck = 0.4
	unstickFor = 0.6
	// A target that seems to move faster than this respawned or was not
	// seen for long: no lead.
	leadMaxSpeed = 2 * Accel / Friction
)

// fighter is the arena's bot: it hunts the nearest enemy it sees, circles
// it at fighting distance, aims where it will be when the shot arrives and
// shoots; with nobody in sight it roams toward the middle of the map, and
// it steps sideways when a wall stops it. Its clock is the room's tick.
// Other players' velocities are private to them, so it leads a target by
// how far it moved since the fighter last saw it.
type fighter struct {
	rng      *rand.Rand
	rate     float64 // ticks per second
	mapW     float64 // px
	mapH     float64
	seen     []sighting // the players of the last view, by id
	spare    []sighting // the next view's, reusing storage
	goal     [2]float64
	goalTill float64 // seconds
	strafe   float64 // +1 or -1: which way to circle the target
	lastX    float64
	lastY    float64
	checkAt  float64
	escape   uint8 // move bits while unsticking
	escTill  float64
}

// sighting is where a player was at a tick, in 1/8 px.
type sighting struct {
	id   uint32
	x, y int32
	tick uint32
}

// NewFighter makes a fighter bot for the arena whose schema is s: the
// game's own, or one decoded from a welcome (whose world numbers are
// int64, not the game's int32).
func NewFighter(s *game.Schema, tickRate int, seed uint64) game.Bot {
	f := &fighter{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), rate: float64(max(tickRate, 1)), mapW: mapW, mapH: mapH}
	if w, ok := number(s.World["w"]); ok && w > 0 {
		f.mapW = w
	}
	if h, ok := number(s.World["h"]); ok && h > 0 {
		f.mapH = h
	}
	return f
}

// number reads a world value as a number.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case int32:
		return float64(v), true
	case int64:
		return float64(v), true
	case int:
		return float64(v), true
	case uint64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// Think chooses the input for the entities in view (sorted by id) as seen
// by player me at tick.
func (f *fighter) Think(me game.PlayerID, tick uint32, view []game.Entity, _ []game.Event) game.Input {
	defer f.remember(tick, view)
	now := float64(tick) / f.rate
	i, ok := slices.BinarySearchFunc(view, me, func(e game.Entity, id uint32) int { return cmpID(e.ID, id) })
	if !ok || view[i].V[FieldFlags]&int32(FlagDead) != 0 {
		return game.Input{}
	}
	self := EntityOf(&view[i])
	x, y := float64(self.X)/8, float64(self.Y)/8
	var in Input
	if t := nearestEnemy(&self, view); t != nil {
		in = f.engage(x, y, t, tick)
	} else {
		in = f.roam(x, y, now)
	}
	in.Move = f.unstick(x, y, in.Move, now)
	return in.Wire()
}

// remember keeps where each player in view is at tick, for the next
// Think's leads.
func (f *fighter) remember(tick uint32, view []game.Entity) {
	f.spare = f.spare[:0]
	for i := range view {
		if view[i].Kind == KindPlayer {
			f.spare = append(f.spare, sighting{id: view[i].ID, x: view[i].V[FieldX], y: view[i].V[FieldY], tick: tick})
		}
	}
	f.seen, f.spare = f.spare, f.seen
}

// velocity estimates t's velocity in px/s at tick from where it was last
// seen: 0 when it was not seen, or seems to have jumped (a respawn).
func (f *fighter) velocity(t *Entity, tick uint32) (vx, vy float64) {
	i, ok := slices.BinarySearchFunc(f.seen, t.ID, func(s sighting, id uint32) int { return cmpID(s.id, id) })
	if !ok || f.seen[i].tick >= tick {
		return 0, 0
	}
	dt := float64(tick-f.seen[i].tick) / f.rate
	vx, vy = float64(t.X-f.seen[i].x)/8/dt, float64(t.Y-f.seen[i].y)/8/dt
	if math.Hypot(vx, vy) > leadMaxSpeed {
		return 0, 0
	}
	return vx, vy
}

// nearestEnemy returns the closest live player other than self, or nil.
func nearestEnemy(self *Entity, view []game.Entity) *Entity {
	var best *Entity
	bestD := int64(math.MaxInt64)
	for i := range view {
		if view[i].Kind != KindPlayer || view[i].ID == self.ID {
			continue
		}
		e := EntityOf(&view[i])
		if e.Flags&FlagDead != 0 {
			continue
		}
		dx, dy := int64(e.X-self.X), int64(e.Y-self.Y)
		if d := dx*dx + dy*dy; d < bestD {
			best, bestD = &e, d
		}
	}
	return best
}

// engage circles target t at fighting distance and shoots where it will
// be when the shot arrives.
func (f *fighter) engage(x, y float64, t *Entity, tick uint32) Input {
	dx, dy := float64(t.X)/8-x, float64(t.Y)/8-y
	dist := math.Hypot(dx, dy)
	vx, vy := f.velocity(t, tick)
	lead := dist / ShotSpeed
	in := Input{Aim: aimOf(dx+vx*lead, dy+vy*lead)}
	switch {
	case dist > fightFar:
		in.Move = moveToward(dx, dy)
	case dist < 1: // stacked on the same spawn: step off anywhere
		in.Move = compass[f.rng.IntN(len(compass))]
	case dist < fightNear:
		in.Move = moveToward(-dx, -dy)
	default:
		if f.strafe == 0 || f.rng.IntN(60) == 0 {
			f.strafe = float64(f.rng.IntN(2)*2 - 1)
		}
		in.Move = moveToward(-dy*f.strafe, dx*f.strafe)
	}
	if dist < fireRange {
		in.Buttons = ButtonFire
	}
	return in
}

// roam heads for a random point around the middle of the map, where the
// others are likely to be, picking a new one now and then.
func (f *fighter) roam(x, y, now float64) Input {
	if now > f.goalTill || math.Hypot(f.goal[0]-x, f.goal[1]-y) < 48 {
		f.goal = [2]float64{f.mapW * (0.2 + 0.6*f.rng.Float64()), f.mapH * (0.2 + 0.6*f.rng.Float64())}
		f.goalTill = now + float64(2+f.rng.IntN(3))
	}
	dx, dy := f.goal[0]-x, f.goal[1]-y
	return Input{Move: moveToward(dx, dy), Aim: aimOf(dx, dy)}
}

// unstick replaces move by a random one for a while when the bot has not
// moved while trying to (a wall between it and where it heads).
func (f *fighter) unstick(x, y float64, move uint8, now float64) uint8 {
	if now < f.escTill {
		return f.escape
	}
	if now < f.checkAt {
		return move
	}
	stuck := move != 0 && math.Hypot(x-f.lastX, y-f.lastY) < stuckMove
	f.lastX, f.lastY, f.checkAt = x, y, now+stuckCheck
	if !stuck {
		return move
	}
	f.escape = compass[f.rng.IntN(len(compass))]
	f.escTill = now + unstickFor
	return f.escape
}

// aimOf converts a direction in screen coordinates (y down) to 1/65536 turn.
func aimOf(dx, dy float64) uint16 {
	turns := math.Atan2(dy, dx) / (2 * math.Pi)
	return uint16(int64(math.Round(turns*65536)) & 0xffff)
}

// sin22 is sin(22.5°): a component smaller than this share of the length
// does not press its key, so moves snap to eight directions.
const sin22 = 0.3826834323650898

// moveToward returns the Move bits closest to the direction (dx, dy).
func moveToward(dx, dy float64) uint8 {
	l := math.Hypot(dx, dy)
	if l == 0 {
		return 0
	}
	var m uint8
	switch {
	case dx > sin22*l:
		m |= MoveRight
	case dx < -sin22*l:
		m |= MoveLeft
	}
	switch {
	case dy > sin22*l:
		m |= MoveDown
	case dy < -sin22*l:
		m |= MoveUp
	}
	return m
}

// compass lists the eight directions as Move bits.
var compass = [...]uint8{
	MoveUp, MoveUp | MoveRight, MoveRight, MoveDown | MoveRight,
	MoveDown, MoveDown | MoveLeft, MoveLeft, MoveUp | MoveLeft,
}
