// Package game is tickroom's game SDK: what a game declares about itself
// (its [Schema]: entity kinds and their fields, input fields with their
// ranges, event kinds, static world data) and the small [Game] interface a
// room drives it through (join, leave, input, step, world and interest,
// score, state hash). The room, the snapshot encoder, input validation, the
// recorder and the bots work from the schema alone; only a game's own
// package names its fields. Games live in packages beneath this one
// (game/arena, game/blobs); docs/games.md shows how to write one.
//
// A game must be deterministic: the same seed, the same joins and leaves
// and the same inputs in the same ticks always give the same states. It
// has no goroutines, no I/O and no wall clock, and a room's goroutine owns
// it. The rules for determinism are in docs/games.md.
package game

import (
	"errors"
	"fmt"
)

// PlayerID identifies a player within one room. It is also the entity id
// of that player's avatar, when the game gives it one.
type PlayerID = uint32

// Limits of the schema, so every entity and input has a fixed size.
const (
	MaxFields      = 14 // fields per entity kind
	MaxInputFields = 8  // fields per input
	MaxKinds       = 32 // entity kinds per game
	MaxEventKinds  = 64 // game event kinds
)

// Entity is one thing in the world as the wire carries it: its id, its kind
// and the kind's fields in schema order. Every field is an integer of at
// most 32 bits; an unsigned 32-bit value is kept as its bit pattern, and
// the schema says how to read it. Ids are unique within a room's world at
// any tick.
type Entity struct {
	ID   uint32
	Kind uint8
	V    [MaxFields]int32
}

// Input is one player's command for one tick: a sequence number that
// increases per player (the room acknowledges the last one it applied) and
// the schema's input fields in order, each already checked against its
// range.
type Input struct {
	Seq uint32
	V   [MaxInputFields]int32
}

// EventKind tells what happened. Kinds below FirstGameEvent belong to the
// room; a game declares its own from FirstGameEvent up.
type EventKind uint8

// The room's own events, the same for every game.
const (
	EventJoin   EventKind = 1 // A joined, Text is the name
	EventLeave  EventKind = 2 // A left, Text is the name
	EventChat   EventKind = 4 // A said Text
	EventSystem EventKind = 5 // the server says Text

	FirstGameEvent EventKind = 16
)

// Event is something that happened in a tick that clients must not miss.
// What A, B and Text mean is the event kind's, as its schema says. Seq is
// assigned by the room, not the game.
type Event struct {
	Seq  uint32
	Kind EventKind
	A, B uint32
	Text string
}

// Game is what a room needs from a simulation. Implementations must be
// deterministic and must not retain the slices passed to them.
type Game interface {
	// Schema describes the game's entities, inputs, events and world. It
	// is fixed for the game's life and must not be modified.
	Schema() *Schema
	// Join adds a player. It fails when the player already exists.
	Join(id PlayerID, name string) error
	// Leave removes a player and anything that only it owned.
	Leave(id PlayerID)
	// SetInput sets the command the player follows from the next Step on,
	// until it is replaced.
	SetInput(id PlayerID, in Input)
	// SetAway tells the game whether a player's connection is away (the
	// seat is held for a reconnect). The game decides what that means,
	// such as a flag its clients draw, but an away player should stop
	// acting on its last input: the room sends no more until it is back.
	SetAway(id PlayerID, away bool)
	// Step advances the world by one tick and appends what happened to ev.
	Step(ev []Event) []Event
	// World appends every entity to dst, sorted by ID. The room calls it
	// once per snapshot and shares the result among all viewers.
	World(dst []Entity) []Entity
	// Interest appends to dst the indexes into world (the slice World just
	// returned) of the entities player id sees, ascending: its area of
	// interest, its own avatar included when it has one.
	Interest(id PlayerID, world []Entity, dst []int32) []int32
	// Score is the player's score, as the lobby's roster shows it.
	Score(id PlayerID) int32
	// Tick returns the number of Steps taken.
	Tick() uint32
	// Hash is a digest of the whole state: two games that went through
	// the same operations hash alike (replays and tests compare it).
	Hash() uint64
}

// Config is what a room tells a new game.
type Config struct {
	Mode       string // one of the Definition's modes
	Seed       uint64 // seeds every random choice
	TickRate   int    // Steps per second
	MaxPlayers int
}

// Definition registers a game with a server: its name, its modes and how to
// make one. The browser client finds the game's renderer by Name.
type Definition struct {
	Name        string // 1 to 32 of a-z, 0-9, '-' and '_'; the room's "game" field
	Title       string // for people
	Description string
	Modes       []Mode // the first is the default
	New         func(cfg Config) Game
	// Bots are the game's own bot behaviours by name, for tickbot. The
	// generic ones (idle, wander) work from the schema and need no entry.
	Bots map[string]NewBot
}

// Mode is one way to play a game, with its seat limits.
type Mode struct {
	Name       string // as a Definition's Name
	Title      string
	MaxPlayers int // the default number of seats
	Limit      int // the most seats a room of this mode may have
}

// Mode returns the mode named name ("" is the default), or false.
func (d *Definition) Mode(name string) (Mode, bool) {
	if name == "" && len(d.Modes) > 0 {
		return d.Modes[0], true
	}
	for _, m := range d.Modes {
		if m.Name == name {
			return m, true
		}
	}
	return Mode{}, false
}

// ErrDefinition is wrapped by Definition.Validate's errors.
var ErrDefinition = errors.New("game: invalid definition")

// Validate checks what a server needs of d before any room runs it: a
// name and modes the lobby's API can name, seat limits that hold, and a
// game whose schema is valid in its first mode. It makes that game to ask.
func (d *Definition) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %q: %s", ErrDefinition, d.Name, fmt.Sprintf(format, args...))
	}
	switch {
	case !validName(d.Name):
		return bad("the name must be 1 to 32 of a-z, 0-9, '-' and '_'")
	case len(d.Modes) == 0:
		return bad("no modes: a game has at least one")
	case d.New == nil:
		return bad("no New")
	}
	for i, m := range d.Modes {
		switch {
		case !validName(m.Name):
			return bad("mode %q: the name must be 1 to 32 of a-z, 0-9, '-' and '_'", m.Name)
		case m.MaxPlayers < 1 || m.Limit < m.MaxPlayers:
			return bad("mode %s: want 1 <= MaxPlayers (%d) <= Limit (%d)", m.Name, m.MaxPlayers, m.Limit)
		}
		for _, o := range d.Modes[:i] {
			if o.Name == m.Name {
				return bad("mode %s: repeated", m.Name)
			}
		}
	}
	first := d.Modes[0]
	g := d.New(Config{Mode: first.Name, Seed: 1, TickRate: 30, MaxPlayers: first.MaxPlayers})
	if g == nil {
		return bad("New returned nil")
	}
	if err := g.Schema().Validate(); err != nil {
		return bad("%v", err)
	}
	return nil
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// NewBot makes a bot brain for a room whose schema (from its welcome) is
// schema and whose tick rate is tickRate; seed makes its choices
// reproducible.
type NewBot func(schema *Schema, tickRate int, seed uint64) Bot

// Bot plays a game from a client's view, as tickbot runs it. Think is
// called for every snapshot with the player's id, the tick, the entities
// in view (sorted by id) and the events since the last call, and returns
// the input to send; it runs on one goroutine and may keep state.
type Bot interface {
	Think(me PlayerID, tick uint32, view []Entity, events []Event) Input
}
