package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tickroom/tickroom/game"
)

// behavior is what a bot does.
type behavior uint8

const (
	idle    behavior = iota // connects, reads and pings; sends no input
	wander                  // moves in a random direction, changing now and then
	fighter                 // hunts the nearest enemy it sees, aims and shoots
	chatty                  // wanders and says something every few seconds
)

func (b behavior) String() string { return [...]string{"idle", "wander", "fighter", "chatty"}[b] }

// mixedPlan is the behaviour of each of eight consecutive bots with
// -behavior mixed: half fight, the others wander, chat or idle.
var mixedPlan = [...]behavior{fighter, wander, fighter, chatty, fighter, wander, fighter, idle}

// behaviorOf returns the behaviour of bot n for the -behavior flag.
func behaviorOf(flag string, n int) behavior {
	switch flag {
	case "idle":
		return idle
	case "wander":
		return wander
	case "chatty":
		return chatty
	case "mixed":
		return mixedPlan[n%len(mixedPlan)]
	}
	return fighter
}

// Fighter tuning, in px.
const (
	fightFar   = 320 // closer in from farther than this
	fightNear  = 160 // back off when closer than this
	fireRange  = 800 // hold the trigger within this
	stuckMove  = 3   // moved less than this over stuckCheck: stuck
	stuckCheck = 400 * time.Millisecond
	unstickFor = 600 * time.Millisecond
)

// pilot steers a fighter from the snapshots it reads. Owned by the bot's
// reading goroutine.
type pilot struct {
	rng      *rand.Rand
	mapW     float64 // px
	mapH     float64
	aimStep  uint16 // aim is rounded to a multiple of this
	goal     [2]float64
	goalTill time.Time
	strafe   float64 // +1 or -1: which way to circle the target
	lastX    float64
	lastY    float64
	checkAt  time.Time
	escape   uint8 // move bits while unsticking
	escTill  time.Time
	moving   bool // the avatar had a velocity in the last snapshot
}

// fight chooses the input for the state in ents (sorted by id) as seen by
// player me.
func (p *pilot) fight(me uint32, ents []game.Entity, now time.Time) game.Input {
	i, ok := slices.BinarySearchFunc(ents, me, func(e game.Entity, id uint32) int { return int(int64(e.ID) - int64(id)) })
	if !ok || ents[i].Flags&game.FlagDead != 0 {
		return game.Input{}
	}
	self := &ents[i]
	p.moving = self.VX != 0 || self.VY != 0
	x, y := float64(self.X)/8, float64(self.Y)/8
	var in game.Input
	if t := nearestEnemy(self, ents); t != nil {
		in = p.engage(x, y, t, now)
	} else {
		in = p.roam(x, y, now)
	}
	in.Move = p.unstick(x, y, in.Move, now)
	return in
}

// nearestEnemy returns the closest live player other than self, or nil.
func nearestEnemy(self *game.Entity, ents []game.Entity) *game.Entity {
	var best *game.Entity
	bestD := int64(math.MaxInt64)
	for i := range ents {
		e := &ents[i]
		if e.Kind != game.KindPlayer || e.ID == self.ID || e.Flags&game.FlagDead != 0 {
			continue
		}
		dx, dy := int64(e.X-self.X), int64(e.Y-self.Y)
		if d := dx*dx + dy*dy; d < bestD {
			best, bestD = e, d
		}
	}
	return best
}

// engage circles target t at fighting distance and shoots where it will be
// when the shot arrives.
func (p *pilot) engage(x, y float64, t *game.Entity, now time.Time) game.Input {
	tx, ty := float64(t.X)/8, float64(t.Y)/8
	dx, dy := tx-x, ty-y
	dist := math.Hypot(dx, dy)
	lead := dist / game.ShotSpeed
	in := game.Input{Aim: p.aim(dx+float64(t.VX)/8*lead, dy+float64(t.VY)/8*lead)}
	switch {
	case dist > fightFar:
		in.Move = moveToward(dx, dy)
	case dist < 1: // stacked on the same spawn: step off anywhere
		in.Move = compass[p.rng.IntN(len(compass))]
	case dist < fightNear:
		in.Move = moveToward(-dx, -dy)
	default:
		if p.strafe == 0 || p.rng.IntN(60) == 0 {
			p.strafe = float64(p.rng.IntN(2)*2 - 1)
		}
		in.Move = moveToward(-dy*p.strafe, dx*p.strafe)
	}
	if dist < fireRange {
		in.Buttons = game.ButtonFire
	}
	return in
}

// roam heads for a random point around the middle of the map, where the
// others are likely to be, picking a new one now and then.
func (p *pilot) roam(x, y float64, now time.Time) game.Input {
	if now.After(p.goalTill) || math.Hypot(p.goal[0]-x, p.goal[1]-y) < 48 {
		p.goal = [2]float64{p.mapW * (0.2 + 0.6*p.rng.Float64()), p.mapH * (0.2 + 0.6*p.rng.Float64())}
		p.goalTill = now.Add(time.Duration(2+p.rng.IntN(3)) * time.Second)
	}
	dx, dy := p.goal[0]-x, p.goal[1]-y
	return game.Input{Move: moveToward(dx, dy), Aim: p.aim(dx, dy)}
}

// unstick replaces move by a random sideways one for a while when the bot
// has not moved while trying to (a wall between it and where it heads).
func (p *pilot) unstick(x, y float64, move uint8, now time.Time) uint8 {
	if now.Before(p.escTill) {
		return p.escape
	}
	if now.Before(p.checkAt) {
		return move
	}
	stuck := move != 0 && math.Hypot(x-p.lastX, y-p.lastY) < stuckMove
	p.lastX, p.lastY, p.checkAt = x, y, now.Add(stuckCheck)
	if !stuck {
		return move
	}
	p.escape = compass[p.rng.IntN(len(compass))]
	p.escTill = now.Add(unstickFor)
	return p.escape
}

// aim converts a direction in screen coordinates (y down) to 1/65536 turn,
// rounded to the pilot's aim step.
func (p *pilot) aim(dx, dy float64) uint16 {
	return aimStep(aimOf(dx, dy), p.aimStep)
}

func aimOf(dx, dy float64) uint16 {
	turns := math.Atan2(dy, dx) / (2 * math.Pi)
	return uint16(int64(math.Round(turns*65536)) & 0xffff)
}

func aimStep(a, step uint16) uint16 {
	if step <= 1 {
		return a
	}
	return uint16((uint32(a) + uint32(step)/2) / uint32(step) * uint32(step))
}

// diag is sin(22.5°): a component smaller than this share of the length
// does not press its key, so moves snap to eight directions.
const diag = 0.3826834323650898

// moveToward returns the Move bits closest to the direction (dx, dy).
func moveToward(dx, dy float64) uint8 {
	l := math.Hypot(dx, dy)
	if l == 0 {
		return 0
	}
	var m uint8
	switch {
	case dx > diag*l:
		m |= game.MoveRight
	case dx < -diag*l:
		m |= game.MoveLeft
	}
	switch {
	case dy > diag*l:
		m |= game.MoveDown
	case dy < -diag*l:
		m |= game.MoveUp
	}
	return m
}

// compass lists the eight directions as Move bits.
var compass = [...]uint8{
	game.MoveUp, game.MoveUp | game.MoveRight, game.MoveRight, game.MoveDown | game.MoveRight,
	game.MoveDown, game.MoveDown | game.MoveLeft, game.MoveLeft, game.MoveUp | game.MoveLeft,
}

// walker is the state of a wandering bot. Owned by its room's sender.
type walker struct {
	in       game.Input
	turnAt   time.Time
	nextChat time.Time
}

// walk returns the wanderer's input, turning to a new random direction
// every 0.7–2.5 s.
func (w *walker) walk(rng *rand.Rand, now time.Time) game.Input {
	if now.After(w.turnAt) {
		d := rng.IntN(len(compass))
		w.in = game.Input{Move: compass[d], Aim: uint16(d * 8192)}
		w.turnAt = now.Add(700*time.Millisecond + durN(rng, 1800*time.Millisecond))
	}
	return w.in
}

// chatLines are what chatty bots say.
var chatLines = [...]string{"gg", "hi all", "nice shot", "over here!", "brb", "lag?", "glhf", "one more round"}

// packInput and unpackInput carry a fighter's chosen input from its reader
// to its room's sender in one atomic word.
func packInput(in game.Input) uint32 {
	return uint32(in.Move) | uint32(in.Aim)<<8 | uint32(in.Buttons)<<24
}

func unpackInput(v uint32) game.Input {
	return game.Input{Move: uint8(v), Aim: uint16(v >> 8), Buttons: uint8(v >> 24)}
}

// durN returns a random duration in [0, d).
func durN(rng *rand.Rand, d time.Duration) time.Duration {
	return time.Duration(rng.Int64N(int64(max(d, 1))))
}
