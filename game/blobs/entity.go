// Package blobs is tickroom's second game, an agar-style field: every
// player is a blob that drifts toward the point its player aims at, slower
// the bigger it is; it grows by eating the pellets scattered over the
// field and by swallowing blobs sufficiently smaller than itself, and an
// eaten blob comes back elsewhere, small again, two seconds later.
//
// It exercises the sync differently from the arena: hundreds of pellets
// that never change while they exist but enter and leave every view as
// blobs roam, and are eaten and replaced under new ids; blobs whose view
// grows with their size; an input that is a point, not keys. It is a
// game.Game like any other and nothing outside this package names its
// fields. All of its state is integers (positions in 1/8 px), so a seed
// and a sequence of operations always give the same states, on every
// platform, and a client can reproduce the movement exactly.
// docs/blobs.md gives the rules and the schema.
package blobs

import "github.com/tickroom/tickroom/game"

// PlayerID identifies a player within one room; it is also its blob's
// entity id.
type PlayerID = game.PlayerID

// Name is the game's name in the lobby and on the wire.
const Name = "blobs"

// The schema's entity kinds.
const (
	KindBlob   uint8 = 1
	KindPellet uint8 = 2
)

// Field indexes of the kinds in game.Entity.V, in schema order.
const (
	FieldX      = 0 // both kinds: centre, 1/8 px
	FieldY      = 1
	FieldRadius = 2 // blobs: 1/8 px
	FieldMass   = 3 // blobs
	FieldFlags  = 4 // blobs: Flag* bits
	FieldColor  = 2 // pellets: palette index
)

// Blob flags.
const (
	FlagDead uint8 = 1 << 0 // eaten, waiting to respawn: neither moves, eats nor is eaten
	FlagAway uint8 = 1 << 1 // the seat is held while the player's connection is away
)

// Input field indexes in game.Input.V.
const (
	InputTX = 0 // the point the blob heads for, in whole px
	InputTY = 1
)

// The game's events, after the room's own kinds.
const (
	EventAte     = game.FirstGameEvent + 0 // blob A ate blob B
	EventRespawn = game.FirstGameEvent + 1 // blob A came back after being eaten
)

// Blob is a blob entity as its fields read.
type Blob struct {
	ID    PlayerID
	X, Y  int32 // centre, 1/8 px
	R     int32 // radius, 1/8 px
	Mass  int32
	Flags uint8
}

// Wire returns b as the room sends it.
func (b *Blob) Wire() game.Entity {
	e := game.Entity{ID: b.ID, Kind: KindBlob}
	e.V[FieldX], e.V[FieldY], e.V[FieldRadius], e.V[FieldMass] = b.X, b.Y, b.R, b.Mass
	e.V[FieldFlags] = int32(b.Flags)
	return e
}

// BlobOf reads a blob from its wire form.
func BlobOf(e *game.Entity) Blob {
	return Blob{ID: e.ID, X: e.V[FieldX], Y: e.V[FieldY], R: e.V[FieldRadius], Mass: e.V[FieldMass], Flags: uint8(e.V[FieldFlags])}
}

// Pellet is a pellet entity as its fields read. Its fields never change
// while it exists.
type Pellet struct {
	ID    uint32
	X, Y  int32 // centre, 1/8 px
	Color uint8 // 0..PelletColors-1, for drawing only
}

// Wire returns p as the room sends it.
func (p *Pellet) Wire() game.Entity {
	e := game.Entity{ID: p.ID, Kind: KindPellet}
	e.V[FieldX], e.V[FieldY], e.V[FieldColor] = p.X, p.Y, int32(p.Color)
	return e
}

// PelletOf reads a pellet from its wire form.
func PelletOf(e *game.Entity) Pellet {
	return Pellet{ID: e.ID, X: e.V[FieldX], Y: e.V[FieldY], Color: uint8(e.V[FieldColor])}
}

// Input is a player's command: the point its blob heads for.
type Input struct {
	Seq    uint32
	TX, TY int32 // whole px, 0..the field's size
}

// Wire returns the input as its schema fields: tx, ty.
func (in Input) Wire() game.Input {
	w := game.Input{Seq: in.Seq}
	w.V[InputTX], w.V[InputTY] = in.TX, in.TY
	return w
}

// InputOf reads an input from its schema fields.
func InputOf(w game.Input) Input {
	return Input{Seq: w.Seq, TX: w.V[InputTX], TY: w.V[InputTY]}
}
