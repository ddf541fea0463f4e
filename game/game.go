// Package game owns the simulation: the rules of the arena, its map and the
// state of every entity in it. It is pure and deterministic — no goroutines,
// no I/O, no wall clock — so the same seed and the same input sequence always
// yield the same states, and a room can record inputs per tick and replay them.
//
// The room drives a game only through the Game interface, so a second game
// can be plugged in without touching the room.
package game

// PlayerID identifies a player within one room. It is also the entity id of
// that player's avatar, so snapshots need no separate mapping.
type PlayerID = uint32

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

// Input is one player's command for one tick.
type Input struct {
	Seq     uint32 // input sequence number, increasing per player
	Move    uint8  // Move* bits
	Aim     uint16 // aim angle in 1/65536 turn; 0 points along +x, 16384 along +y (screen down)
	Buttons uint8  // Button* bits
}

// Kind tells what an entity is.
type Kind uint8

const (
	KindPlayer     Kind = 1
	KindProjectile Kind = 2
)

// Entity flags.
const (
	FlagDead         uint8 = 1 << 0 // waiting to respawn; not drawn, not hittable
	FlagReconnecting uint8 = 1 << 1 // seat held while the player's connection is away
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

// EventKind tells what happened.
type EventKind uint8

const (
	EventJoin   EventKind = 1 // A joined, Text is the name
	EventLeave  EventKind = 2 // A left
	EventKill   EventKind = 3 // A killed B
	EventChat   EventKind = 4 // A said Text
	EventSystem EventKind = 5 // the server says Text
	EventHit    EventKind = 6 // A's projectile hit B
)

// Event is something that happened in a tick that clients must not miss.
// Seq is assigned by the room, not the game.
type Event struct {
	Seq  uint32
	Kind EventKind
	A, B uint32
	Text string
}

// Wall is an axis-aligned solid rectangle in whole pixels.
type Wall struct{ X, Y, W, H int32 }

// Map is the static part of the world, sent once in the welcome message.
type Map struct {
	W, H  int32 // world size in px
	Walls []Wall
}

// Game is what a room needs from a simulation. Implementations must be
// deterministic and must not retain the slices passed to them.
type Game interface {
	// Join adds a player's avatar. It fails when the player already exists.
	Join(id PlayerID, name string) error
	// Leave removes a player's avatar and anything that only it owned.
	Leave(id PlayerID)
	// SetInput sets the command the player's avatar follows in the next Step.
	SetInput(id PlayerID, in Input)
	// SetFlags sets externally owned flags such as FlagReconnecting.
	SetFlags(id PlayerID, flags uint8)
	// Step advances the world by one tick and appends what happened to ev.
	Step(ev []Event) []Event
	// View appends the entities player id can see (its area of interest,
	// always including its own avatar) to dst, sorted by ID.
	View(id PlayerID, dst []Entity) []Entity
	// Map returns the static world.
	Map() Map
	// Tick returns the number of Steps taken.
	Tick() uint32
}
