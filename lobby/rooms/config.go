package rooms

import (
	"fmt"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby/directory"
)

// Config describes a room. Zero fields take the defaults noted.
type Config struct {
	Name       string // default "room"
	Game       string // a registered game's name; default the first registered
	Mode       string // one of the game's modes; default its first
	MaxPlayers int    // 1..the mode's limit (at most 64); default the mode's
	TickRate   int    // 10..60 Hz, default 30
	// SendRate is how many snapshots a second players get: TickRate
	// divided by a whole number (simulate at 60, send at 30 or 20).
	// Default TickRate. Events are never held back.
	SendRate int
	Seed     uint64 // game seed; default derived from the room id
	// Persistent rooms never close when idle (the default room).
	Persistent bool
	// Private rooms are never listed; joining needs JoinCode.
	Private  bool
	JoinCode string
	Labels   map[string]string
}

// Limits on room configuration.
const (
	MinTickRate   = 10
	MaxTickRate   = 60
	MaxMaxPlayers = 64
	MaxNameRunes  = 48
	// MinPending is how many unclaimed reservations a room always allows,
	// whatever Options.PendingShare says: a small room fills at once.
	MinPending = 4
)

// FieldError names the field of a Config that is wrong.
type FieldError struct {
	Field  string // as the lobby API names it: max_players, tick_rate, ...
	Detail string
}

func (e *FieldError) Error() string { return fmt.Sprintf("rooms: %s: %s", e.Field, e.Detail) }

// withDefaults fills in the defaults, those of the game and mode from
// games when they are known (Validate reports them when not).
func (c Config) withDefaults(games []game.Definition) Config {
	if c.Name == "" {
		c.Name = "room"
	}
	if c.Game == "" && len(games) > 0 {
		c.Game = games[0].Name
	}
	if d := findGame(games, c.Game); d != nil {
		if m, ok := d.Mode(c.Mode); ok {
			c.Mode = m.Name
			if c.MaxPlayers == 0 {
				c.MaxPlayers = m.MaxPlayers
			}
		}
	}
	if c.MaxPlayers == 0 {
		c.MaxPlayers = 8
	}
	if c.TickRate == 0 {
		c.TickRate = 30
	}
	if c.SendRate == 0 {
		c.SendRate = c.TickRate
	}
	return c
}

// Validate reports the first field out of range as a *FieldError: an
// unknown game or mode, or a number outside its range (the mode's seat
// limit included).
func (c Config) Validate(games []game.Definition) error {
	d := findGame(games, c.Game)
	if d == nil {
		return &FieldError{Field: "game", Detail: fmt.Sprintf("no game %q on this server; GET /api/games lists them", c.Game)}
	}
	m, ok := d.Mode(c.Mode)
	if !ok {
		return &FieldError{Field: "mode", Detail: fmt.Sprintf("%s has no mode %q; GET /api/games lists its modes", d.Name, c.Mode)}
	}
	limit := MaxMaxPlayers
	if m.Limit > 0 {
		limit = min(limit, m.Limit)
	}
	switch {
	case c.MaxPlayers > limit && limit < MaxMaxPlayers:
		return &FieldError{Field: "max_players", Detail: fmt.Sprintf("%s %s takes at most %d players", d.Name, m.Name, limit)}
	case len([]rune(c.Name)) > MaxNameRunes:
		return &FieldError{Field: "name", Detail: fmt.Sprintf("longer than %d characters", MaxNameRunes)}
	case c.MaxPlayers < 1 || c.MaxPlayers > MaxMaxPlayers:
		return &FieldError{Field: "max_players", Detail: fmt.Sprintf("must be between 1 and %d", MaxMaxPlayers)}
	case c.TickRate < MinTickRate || c.TickRate > MaxTickRate:
		return &FieldError{Field: "tick_rate", Detail: fmt.Sprintf("must be between %d and %d", MinTickRate, MaxTickRate)}
	case c.SendRate < 1 || c.SendRate > c.TickRate || c.TickRate%c.SendRate != 0:
		return &FieldError{Field: "send_rate", Detail: fmt.Sprintf("must divide tick_rate (%d) evenly", c.TickRate)}
	}
	return nil
}

// Options configures a Manager and its rooms. Zero fields take the defaults
// noted.
type Options struct {
	// IdleTimeout closes a non-persistent room that has had no seats for
	// this long. Default 60s.
	IdleTimeout time.Duration
	// UnusedTimeout closes a non-persistent room that no player has ever
	// connected to once it has had no seats for this long (never longer
	// than IdleTimeout), so rooms made and abandoned, or made in bulk to
	// use up MaxRooms, do not wait out IdleTimeout. Default 10s.
	UnusedTimeout time.Duration
	// ReservationTTL is how long a reserved seat waits for its WebSocket.
	// Default 15s.
	ReservationTTL time.Duration
	// PendingShare is the share of a room's open seats (those without a
	// connected or reconnecting player) that unclaimed reservations may
	// hold at once, but never fewer than MinPending seats: joins beyond it
	// get a *PendingError until one is claimed or expires. Reservations
	// alone then never fill a room: the rest of its seats go only to
	// players who connect. Default 0.5; negative means no limit.
	PendingShare float64
	// ReconnectGrace keeps a dropped player's seat and state. Default 20s.
	ReconnectGrace time.Duration
	// SlowAfter drops a client that has not taken a snapshot for this long.
	// Default 3s.
	SlowAfter time.Duration
	// MaxRooms caps rooms on this node. Default 1000.
	MaxRooms int
	// TokenKey signs seat tokens; empty means a random key per process.
	TokenKey []byte
	// Directory lists rooms; default an in-memory one.
	Directory directory.Directory
	// Metrics records tick timings and drops; nil records nothing.
	Metrics Metrics
	// Recorder, when set, receives every room's operations on its game,
	// tick by tick, for replays.
	Recorder Recorder
}

func (o Options) withDefaults() Options {
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 60 * time.Second
	}
	if o.UnusedTimeout == 0 {
		o.UnusedTimeout = 10 * time.Second
	}
	if o.PendingShare == 0 {
		o.PendingShare = 0.5
	}
	if o.ReservationTTL == 0 {
		o.ReservationTTL = 15 * time.Second
	}
	if o.ReconnectGrace == 0 {
		o.ReconnectGrace = 20 * time.Second
	}
	if o.SlowAfter == 0 {
		o.SlowAfter = 3 * time.Second
	}
	if o.MaxRooms == 0 {
		o.MaxRooms = 1000
	}
	if o.Directory == nil {
		o.Directory = directory.NewMemory()
	}
	if o.Metrics == nil {
		o.Metrics = noMetrics{}
	}
	return o
}

// findGame returns the definition named name, or nil.
func findGame(games []game.Definition, name string) *game.Definition {
	for i := range games {
		if games[i].Name == name {
			return &games[i]
		}
	}
	return nil
}
