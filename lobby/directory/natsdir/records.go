package natsdir

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/tickroom/tickroom/lobby/directory"
)

// NodeRecord is what a node puts in the nodes bucket, under its id, every
// heartbeat. The record disappears from the bucket a NodeTTL after the last
// put: a record that is there is a node that was alive a moment ago.
type NodeRecord struct {
	ID string `json:"id"`
	// Incarnation is a random id the node draws at every start; a room
	// record belongs to one incarnation, so a restarted node does not
	// revive the rooms of its previous life.
	Incarnation string    `json:"incarnation"`
	URL         string    `json:"url"`      // public base URL of the node's lobby
	Load        Load      `json:"load"`     // at the time of the heartbeat
	Draining    bool      `json:"draining"` // takes no new rooms or joins
	StartedAt   time.Time `json:"started_at"`
	// HeartbeatAt is when the NATS server stored the record (its clock,
	// not the node's); not part of the stored JSON.
	HeartbeatAt time.Time `json:"-"`
}

// Load is how busy a node is, for placement.
type Load struct {
	Players  int `json:"players"`  // seated players in all its rooms
	Rooms    int `json:"rooms"`    // rooms it runs
	Capacity int `json:"capacity"` // the most rooms it takes (-max-rooms); 0 if unknown
	// TickLatenessP99 is the 99th percentile of how late its ticks start,
	// in nanoseconds in the JSON.
	TickLatenessP99 time.Duration `json:"tick_lateness_p99_ns"`
}

// roomRecord is what the rooms bucket holds under a room's id: the room as
// the directory lists it, its roster (not in directory.Room's own JSON)
// and the incarnation of its owner, whose id is Room.Node.
type roomRecord struct {
	*directory.Room
	Roster      []directory.Player `json:"roster,omitempty"`
	Incarnation string             `json:"incarnation"`
}

func encodeRoom(room *directory.Room, incarnation string) ([]byte, error) {
	return json.Marshal(roomRecord{Room: room, Roster: room.Roster, Incarnation: incarnation})
}

// decodeRoom reads a room record stored under key; a record that is not
// one (or is stored under another id) is an error.
func decodeRoom(key string, data []byte) (*directory.Room, string, error) {
	var rec roomRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, "", err
	}
	if rec.Room == nil || rec.ID != key || rec.Node == "" || rec.Incarnation == "" {
		return nil, "", errBadRecord
	}
	rec.Room.Roster = rec.Roster
	return rec.Room, rec.Incarnation, nil
}

func decodeNode(key string, data []byte) (NodeRecord, error) {
	var rec NodeRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, err
	}
	if rec.ID != key || rec.Incarnation == "" {
		return rec, errBadRecord
	}
	return rec, nil
}

// validKey reports whether k is what NATS accepts as a key-value key (a
// subject without wildcards: - / _ = . and ASCII letters and digits, no
// empty token); node and room ids are used as keys as they are.
func validKey(k string) bool {
	if k == "" || k[0] == '.' || k[len(k)-1] == '.' || strings.Contains(k, "..") {
		return false
	}
	for _, c := range []byte(k) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '/', c == '_', c == '=', c == '.':
		default:
			return false
		}
	}
	return true
}
