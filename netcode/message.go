package netcode

import (
	"errors"

	"github.com/tickroom/tickroom/game"
)

// Subprotocol is negotiated on the WebSocket upgrade. A client that does not
// offer it is refused.
const Subprotocol = "tickroom.v1"

// MsgType is the first element of every message array.
type MsgType uint8

// Client → server.
const (
	MsgInput MsgType = 1 // [1, seq, move, aim, buttons]
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
	MaxChatRunes   = 200  // longest chat message, in runes
	MaxNameRunes   = 24   // longest player name, in runes
	MaxFrameBytes  = 4096 // largest client frame the server reads
	MaxEntities    = 4096 // most entities in one snapshot
	MaxEventsBatch = 256  // most events in one events message
	MaxWalls       = 1024 // most walls in a welcome's map
	MaxRoster      = 256  // most roster entries in a welcome
	MaxTextBytes   = 1024 // longest string in a server message, in bytes
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

// Welcome is the first message on every connection.
type Welcome struct {
	PlayerID       uint32
	RoomID         string
	TickRate       uint8
	Tick           uint32  // the room's newest tick
	ServerTime     float64 // ms on the room's clock when Tick was due: the anchor for placing ticks
	ReconnectToken string
	LastEventSeq   uint32 // the newest event this connection has already accounted for
	Map            game.Map
	Roster         []RosterEntry
	SendRate       uint8 // snapshots per second; divides TickRate (a snapshot every TickRate/SendRate ticks)
	// LastInputSeq is the seq of the last input the server accepted for
	// this seat, over all its connections (0 before any): the next input
	// is numbered after it.
	LastInputSeq uint32
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
// against the snapshot at BaseTick (0: against the empty world).
// Use a Baselines to turn it into full state.
type Snapshot struct {
	Tick     uint32
	BaseTick uint32 // 0 for a full snapshot; the wire carries Tick−BaseTick
	AckSeq   uint32 // the last input sequence applied for this player
	Changes  []EntityChange
	Removed  []uint32 // ids present at BaseTick and gone now, ascending
}

// Field bits of EntityChange.Mask, in wire order.
const (
	FieldKind  uint16 = 1 << 0
	FieldX     uint16 = 1 << 1 // difference from baseline
	FieldY     uint16 = 1 << 2 // difference from baseline
	FieldVX    uint16 = 1 << 3 // difference from baseline
	FieldVY    uint16 = 1 << 4 // difference from baseline
	FieldAngle uint16 = 1 << 5
	FieldHP    uint16 = 1 << 6
	FieldFlags uint16 = 1 << 7
	FieldScore uint16 = 1 << 8
	FieldOwner uint16 = 1 << 9
	FieldBorn  uint16 = 1 << 10 // sent as the age tick−Born
	fieldAll   uint16 = 1<<11 - 1
)

// EntityChange is one entity's changed fields against its baseline (the
// entity with the same id at BaseTick, or an all-zero entity when absent).
// X, Y, VX, VY hold differences (zigzag-coded on the wire); the other
// fields hold new values (Born as an absolute tick, though the wire carries
// its age).
type EntityChange struct {
	Mask   uint16
	Entity game.Entity
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
