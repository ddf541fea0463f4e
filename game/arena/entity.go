// Package arena is tickroom's flagship game: a top-down deathmatch arena
// shooter. Players move (WASD), aim and shoot; a projectile hit costs 20 HP
// and a kill scores a point; the dead respawn after two seconds at the
// spawn point farthest from everyone.
//
// It is a game.Game like any other: its schema (Schema) declares a player
// and a projectile kind, a three-field input and kill and hit events, and
// nothing outside this package names those fields. It is pure and
// deterministic — no goroutines, no I/O, no wall clock — so the same seed
// and the same inputs always yield the same states, and the browser's
// prediction (web/games/arena.js) reproduces its movement bit for bit.
// docs/game.md gives the rules.
package arena

import "github.com/tickroom/tickroom/game"

// PlayerID identifies a player within one room. It is also the entity id of
// that player's avatar, so snapshots need no separate mapping.
type PlayerID = game.PlayerID

// Movement bits in Input.Move. Opposite bits cancel each other.
const (
	MoveUp    uint8 = 1 << 0
	MoveDown  uint8 = 1 << 1
	MoveLeft  uint8 = 1 << 2
	MoveRight uint8 = 1 << 3
)

// Button bits in Input.Buttons.
const (
	ButtonFire uint8 = 1 << 0
)

// Input is one player's command for one tick, as the arena reads the
// schema's input fields.
type Input struct {
	Seq     uint32 // input sequence number, increasing per player
	Move    uint8  // Move* bits
	Aim     uint16 // aim angle in 1/65536 turn; 0 points along +x, 16384 along +y (screen down)
	Buttons uint8  // Button* bits
}

// Kind tells what an entity is: the schema's kind ids.
type Kind = uint8

const (
	KindPlayer     Kind = 1
	KindProjectile Kind = 2
)

// Entity flags.
const (
	FlagDead uint8 = 1 << 0 // waiting to respawn; not drawn, not hittable
	FlagAway uint8 = 1 << 1 // seat held while the player's connection is away
)

// Entity is the quantized, wire-ready state of one thing in the world. All
// fields are integers so a snapshot reproduces the simulation state exactly.
//
// Positions are in 1/8 px, velocities in 1/8 px per second, angles in
// 1/65536 turn.
//
// A projectile's fields never change while it flies: X, Y is where it was
// at tick Born (the tick it was fired) and VX, VY its constant velocity, so
// it costs nothing to send after it first appears. At gives its position at
// any tick.
type Entity struct {
	ID     uint32
	Kind   Kind
	X, Y   int32
	VX, VY int32
	Angle  uint16
	HP     uint8  // players only; 0..100
	Flags  uint8  // Flag* bits
	Score  int32  // players only
	Owner  uint32 // projectiles: the shooter's PlayerID
	Born   uint32 // projectiles: the tick fired, at which it was at X, Y
}

// At returns where e is at tick, in 1/8 px, for a game running at tickRate:
// a player is at X, Y; a projectile has flown from X, Y for tick−Born ticks
// at VX, VY, each coordinate rounded to the nearest 1/8 px, halves up:
//
//	x = X + floor((2·VX·(tick−Born) + tickRate) / (2·tickRate))
//
// This is exactly where the simulation has it.
func (e *Entity) At(tick uint32, tickRate int) (x, y int32) {
	if e.Kind != KindProjectile {
		return e.X, e.Y
	}
	k := int64(int32(tick - e.Born))
	return e.X + flown(e.VX, k, tickRate), e.Y + flown(e.VY, k, tickRate)
}

// flown returns how far, in 1/8 px, velocity v (1/8 px/s) carries a
// projectile in k ticks at rate ticks per second, rounded half up.
func flown(v int32, k int64, rate int) int32 {
	n, d := 2*int64(v)*k+int64(rate), 2*int64(rate)
	q := n / d
	if n%d != 0 && n < 0 {
		q-- // floor, not truncation
	}
	return int32(q)
}

// The arena's events: the game's own kinds, after the room's.
const (
	EventKill = game.FirstGameEvent + 0 // A killed B
	EventHit  = game.FirstGameEvent + 1 // A's projectile hit B
)

// Wall is an axis-aligned solid rectangle in whole pixels.
type Wall struct{ X, Y, W, H int32 }

// Map is the static part of the world, sent once in the welcome message.
type Map struct {
	W, H  int32 // world size in px
	Walls []Wall
}

// Field indexes of the arena's kinds in game.Entity.V, in schema order.
const (
	FieldX     = 0 // both kinds
	FieldY     = 1
	FieldVX    = 2
	FieldVY    = 3
	FieldAngle = 4
	FieldHP    = 5 // players
	FieldFlags = 6
	FieldScore = 7
	FieldOwner = 5 // projectiles
	FieldBorn  = 6
)

// Wire returns e as the room sends it.
func (e *Entity) Wire() game.Entity {
	w := game.Entity{ID: e.ID, Kind: e.Kind}
	w.V[FieldX], w.V[FieldY], w.V[FieldVX], w.V[FieldVY] = e.X, e.Y, e.VX, e.VY
	w.V[FieldAngle] = int32(e.Angle)
	if e.Kind == KindProjectile {
		w.V[FieldOwner], w.V[FieldBorn] = int32(e.Owner), int32(e.Born)
	} else {
		w.V[FieldHP], w.V[FieldFlags], w.V[FieldScore] = int32(e.HP), int32(e.Flags), e.Score
	}
	return w
}

// EntityOf reads an arena entity from its wire form, as a client decoded it.
func EntityOf(w *game.Entity) Entity {
	e := Entity{ID: w.ID, Kind: w.Kind, X: w.V[FieldX], Y: w.V[FieldY], VX: w.V[FieldVX], VY: w.V[FieldVY], Angle: uint16(w.V[FieldAngle])}
	if w.Kind == KindProjectile {
		e.Owner, e.Born = uint32(w.V[FieldOwner]), uint32(w.V[FieldBorn])
	} else {
		e.HP, e.Flags, e.Score = uint8(w.V[FieldHP]), uint8(w.V[FieldFlags]), w.V[FieldScore]
	}
	return e
}

// Wire returns the input as its schema fields: move, aim, buttons.
func (in Input) Wire() game.Input {
	w := game.Input{Seq: in.Seq}
	w.V[0], w.V[1], w.V[2] = int32(in.Move), int32(in.Aim), int32(in.Buttons)
	return w
}

// InputOf reads an arena input from its schema fields.
func InputOf(w game.Input) Input {
	return Input{Seq: w.Seq, Move: uint8(w.V[0]), Aim: uint16(w.V[1]), Buttons: uint8(w.V[2])}
}
