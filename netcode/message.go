package netcode

import (
	"errors"

	"github.com/tickroom/tickroom/game"
)

// Subprotocol is negotiated on the WebSocket upgrade. A client that does not
// offer it is refused.
const Subprotocol = "tickroom.v2"

// MsgType is the first element of every message array.
type MsgType uint8

// Client → server.
const (
	MsgInput MsgType = 1 // [1, seq, field...]: the schema's input fields in order
	MsgPing  MsgType = 2 // [2, clientTime]
	MsgChat  MsgType = 3 // [3, text]
	MsgLeave MsgType = 4 // [4]
)

// Server → client.
const (
	MsgWelcome  MsgType = 10
	MsgSnapshot MsgType = 11
	MsgPong     MsgType = 12
	MsgEvents   MsgType = 13
	MsgError    MsgType = 14
)

// Limits a decoder enforces before it trusts a length.
const (
	MaxChatRunes    = 200       // longest chat message, in runes
	MaxNameRunes    = 24        // longest player name, in runes
	MaxFrameBytes   = 4096      // largest client frame the server reads
	MaxEntities     = 4096      // most entities in one snapshot
	MaxEventsBatch  = 256       // most events in one events message
	MaxRoster       = 256       // most roster entries in a welcome
	MaxTextBytes    = 1024      // longest string in a server message, in bytes
	MaxWorldValues  = 1 << 16   // most values (numbers, strings, ...) in a schema's world
	MaxWorldDepth   = 16        // deepest nesting of arrays and maps in a world
	MaxWelcomeBytes = 256 << 10 // largest welcome, schema and world included
	// MaxInputSeqGap is how far an input's seq may run ahead of the last
	// one the server accepted for the seat: seq must be in last+1 ..
	// last+MaxInputSeqGap (uint32 arithmetic).
	MaxInputSeqGap = 1024
)

// ClientMessage is any decoded client → server message. Only the fields
// that belong to Type are set.
type ClientMessage struct {
	Type       MsgType
	Input      game.Input // MsgInput
	ClientTime float64    // MsgPing: client clock in ms, echoed in the pong
	Text       string     // MsgChat
}

// RosterEntry describes a player already in the room when one joins.
type RosterEntry struct {
	ID    uint32
	Name  string
	Score int32
}

// Welcome is the first message on every connection. It carries the game's
// schema, so a client decodes any game without knowing it beforehand.
type Welcome struct {
	PlayerID       uint32
	RoomID         string
	TickRate       uint8
	SendRate       uint8   // snapshots per second; divides TickRate
	Tick           uint32  // the room's newest tick
	ServerTime     float64 // ms on the room's clock when Tick was due: the anchor for placing ticks
	ReconnectToken string
	LastEventSeq   uint32 // the newest event this connection has already accounted for
	// LastInputSeq is the seq of the last input the server accepted for
	// this seat, over all its connections (0 before any): the next input
	// is numbered after it.
	LastInputSeq uint32
	Roster       []RosterEntry
	Game         string // the game's name, as the lobby lists it
	Mode         string
	Schema       *game.Schema
}

// Pong answers a ping.
type Pong struct {
	ClientTime float64 // echoed from the ping
	Tick       uint32  // the room's newest tick when the pong was written
	ServerTime float64 // ms on the room's clock when the pong was written
}

// ErrorCode says what went wrong in an error message.
type ErrorCode uint16

// Error codes: wire values, not Go errors.
const (
	CodeBadMessage  ErrorCode = 1 // the client sent something undecodable or invalid
	CodeRateLimited ErrorCode = 2 // the client sent too much; some input was dropped
	CodeRoomClosed  ErrorCode = 3 // the room has ended
	CodeTooSlow     ErrorCode = 4 // the client did not keep up with snapshots
	CodeInternal    ErrorCode = 5 // the server failed; the room is gone
	CodeShutdown    ErrorCode = 6 // the server is going away
)

// ErrRateLimited is wrapped by the error that closes a client for sending
// far more than its rate allows (flooding); the client is told with an
// Error message of CodeRateLimited.
var ErrRateLimited = errors.New("netcode: rate limited")

// Error tells the client something went wrong, usually just before a close.
type Error struct {
	Code    ErrorCode
	Message string
}

// Snapshot is a snapshot message as it travels: entities encoded as changes
// against the snapshot at BaseTick (0: against the empty world). Use a
// Baselines to turn it into full state.
type Snapshot struct {
	Tick     uint32
	BaseTick uint32 // 0 for a full snapshot; the wire carries Tick−BaseTick
	AckSeq   uint32 // the last input sequence applied for this player
	Changes  []EntityChange
	Removed  []uint32 // ids present at BaseTick and gone now, ascending
}

// EntityChange is one entity's changed fields against its baseline, as
// they travel: bit 0 of Mask is the kind, bit i+1 the kind's field i.
// With the kind bit set the entity is new (or became another kind) and
// its fields are against an all-zero entity; otherwise against the entity
// with the same id at BaseTick. V holds the wire values of the set fields
// at their field's index, still to be interpreted by the field's delta
// (a zigzag-coded difference, a value, or an age): Baselines.Apply does
// that with the schema.
type EntityChange struct {
	ID   uint32
	Mask uint16
	Kind uint8 // when Mask&1
	V    [game.MaxFields]int64
}

// ServerMessage is any decoded server → client message. Only the fields
// that belong to Type are set.
type ServerMessage struct {
	Type     MsgType
	Welcome  Welcome
	Snapshot Snapshot
	Pong     Pong
	Events   []game.Event
	Error    Error
}
