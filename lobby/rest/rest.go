// Package rest holds the shapes of the lobby's REST API as they travel in
// JSON: requests, answers and RFC 9457 problems. The server (package lobby)
// decodes and writes them, and the Go SDK (netcode/client) sends and reads
// the very same types, so neither can drift from the other. Rooms are
// listed as the directory's own records (directory.Room).
package rest

import (
	"fmt"
	"time"

	"github.com/tickroom/tickroom/lobby/directory"
)

// CreateRoom is the body of POST /api/rooms. Absent fields take the
// server's defaults; a number that is given must be in range (an explicit
// 0 is not "the default"), hence the pointers: MaxPlayers: new(4).
type CreateRoom struct {
	Name       string            `json:"name,omitempty"`
	Game       string            `json:"game,omitempty"` // GET /api/games lists them; default the first
	Mode       string            `json:"mode,omitempty"` // one of the game's modes; default its first
	MaxPlayers *int              `json:"max_players,omitempty"`
	TickRate   *int              `json:"tick_rate,omitempty"`
	SendRate   *int              `json:"send_rate,omitempty"` // snapshots per second; divides TickRate
	Private    bool              `json:"private,omitempty"`
	JoinCode   string            `json:"join_code,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
}

// Join is the body of POST /api/rooms/{id}/join.
type Join struct {
	Name     string `json:"name"`
	JoinCode string `json:"join_code,omitempty"` // private rooms only
}

// QuickPlay is the body of POST /api/matchmake.
type QuickPlay struct {
	Game string `json:"game,omitempty"`
	Mode string `json:"mode,omitempty"`
	Name string `json:"name"`
}

// GameList answers GET /api/games: the games this server runs, the
// default first.
type GameList struct {
	Games []Game `json:"games"`
}

// Game is one game a server runs.
type Game struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Modes       []Mode `json:"modes"` // the first is the default
}

// Mode is one of a game's modes and its seat limits.
type Mode struct {
	Name       string `json:"name"`
	Title      string `json:"title"`
	MaxPlayers int    `json:"max_players"` // seats by default
	Limit      int    `json:"limit"`       // the most max_players may be
}

// Seat answers a join or a quick play: a reserved seat, the single-use
// token that takes it and the URL to connect to with it.
type Seat struct {
	RoomID    string    `json:"room_id"`
	PlayerID  uint32    `json:"player_id"`
	Token     string    `json:"token"`
	WSURL     string    `json:"ws_url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// RoomList answers GET /api/rooms.
type RoomList struct {
	Rooms []*directory.Room `json:"rooms"`
	// Version is the room feed's version the list is at least as new as:
	// pass it as since= to a long-poll or to the event stream. It is
	// opaque: compare it only for equality, never parse it.
	Version    string `json:"version"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// RoomDetail answers GET /api/rooms/{id}: the room with its players.
type RoomDetail struct {
	*directory.Room
	Players []directory.Player `json:"players"`
}

// NodeList answers GET /api/nodes: the live nodes of the cluster, this
// one included; on a single node, itself.
type NodeList struct {
	Nodes []Node `json:"nodes"`
	Self  string `json:"self"` // the id of the node that answered
}

// Node is one node of a cluster and its load, as of its last heartbeat.
type Node struct {
	ID string `json:"id"`
	// URL is where clients reach the node: the ws_url of a seat in one
	// of its rooms is on it.
	URL      string `json:"url"`
	Draining bool   `json:"draining"` // takes no new rooms or joins: it is shutting down
	Players  int    `json:"players"`  // seated players in its rooms
	Rooms    int    `json:"rooms"`    // rooms it runs
	Capacity int    `json:"capacity"` // the most rooms it runs (-max-rooms)
	// TickLatenessP99MS is the 99th percentile of how late its rooms'
	// ticks started over the last second or so, in ms.
	TickLatenessP99MS float64   `json:"tick_lateness_p99_ms"`
	StartedAt         time.Time `json:"started_at"`
	// HeartbeatAt is when the node's last heartbeat was stored (the NATS
	// server's clock); absent on a single node.
	HeartbeatAt time.Time `json:"heartbeat_at,omitzero"`
}

// Announce is the body of POST /api/rooms/{id}/announce (admin only).
type Announce struct {
	Text string `json:"text"`
}

// Announced answers an announce: the text as the players got it.
type Announced struct {
	RoomID string `json:"room_id"`
	Text   string `json:"text"`
}

// Problem is an RFC 9457 problem details body: every error the API
// answers. As a Go error it says what the server said.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"` // the request field, parameter or header at fault
	// Quota names the limit that refused the request (429 or 503), as the
	// server flag that sets it: rooms-per-client, max-rooms, ...
	Quota string `json:"quota,omitempty"`
}

func (p *Problem) Error() string {
	s := fmt.Sprintf("lobby answered %d %s", p.Status, p.Title)
	if p.Field != "" {
		s += " (" + p.Field + ")"
	}
	if p.Quota != "" {
		s += " (quota " + p.Quota + ")"
	}
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}
