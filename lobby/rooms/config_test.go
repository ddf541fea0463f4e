package rooms

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/game/blobs"
)

// TestCreateGameAndMode: a room runs the game and mode its Config names,
// with the mode's seats by default; an unknown game or mode, or more seats
// than the mode allows, is a *FieldError naming the field, and no room is
// made.
func TestCreateGameAndMode(t *testing.T) {
	defs := []game.Definition{arena.Definition(), blobs.Definition()}
	tests := []struct {
		name  string
		cfg   Config
		field string // the FieldError's; "" for a room
		// the room's game, mode and seats
		game, mode string
		seats      int
	}{
		{name: "defaults", game: "arena", mode: "ffa", seats: 8},
		{name: "arena duel", cfg: Config{Mode: "duel"}, game: "arena", mode: "duel", seats: 2},
		{name: "blobs", cfg: Config{Game: "blobs"}, game: "blobs", mode: "ffa", seats: 16},
		{name: "blobs small, 12 seats", cfg: Config{Game: "blobs", Mode: "small", MaxPlayers: 12}, game: "blobs", mode: "small", seats: 12},
		{name: "unknown game", cfg: Config{Game: "chess"}, field: "game"},
		{name: "unknown mode", cfg: Config{Mode: "ctf"}, field: "mode"},
		{name: "blobs has no duel", cfg: Config{Game: "blobs", Mode: "duel"}, field: "mode"},
		{name: "duel of three", cfg: Config{Mode: "duel", MaxPlayers: 3}, field: "max_players"},
		{name: "blobs small of 13", cfg: Config{Game: "blobs", Mode: "small", MaxPlayers: 13}, field: "max_players"},
		{name: "ffa of 65", cfg: Config{MaxPlayers: 65}, field: "max_players"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				m := NewManager(ctx, Options{}, defs, nil)
				defer m.Wait()
				defer cancel()
				r, err := m.Create(tt.cfg)
				if tt.field != "" {
					var fe *FieldError
					if !errors.As(err, &fe) || fe.Field != tt.field {
						t.Fatalf("Create(%+v): %v, want a FieldError naming %s", tt.cfg, err, tt.field)
					}
					if r != nil || len(m.Rooms()) != 0 {
						t.Fatalf("a room was made: %v", m.Rooms())
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				info := r.Info()
				if info.Game != tt.game || info.Mode != tt.mode || info.MaxPlayers != tt.seats {
					t.Fatalf("room runs %s %s with %d seats, want %s %s with %d", info.Game, info.Mode, info.MaxPlayers, tt.game, tt.mode, tt.seats)
				}
				if s := r.Codec().Schema(); s.Game != tt.game {
					t.Fatalf("room encodes with %s's schema, want %s's", s.Game, tt.game)
				}
			})
		})
	}
}

// badSchemaGame is an arena that declares a schema the codec refuses.
type badSchemaGame struct {
	*arena.Arena
	schema *game.Schema
}

func (g *badSchemaGame) Schema() *game.Schema { return g.schema }

// TestCreateRefusesInvalidSchema: a game whose schema is invalid (a bug in
// the game) gets no room: Create fails with game.ErrSchema, and nothing is
// listed; a good game next to it still runs.
func TestCreateRefusesInvalidSchema(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(s *game.Schema)
	}{
		{"repeated kind id", func(s *game.Schema) { s.Kinds[1].ID = s.Kinds[0].ID }},
		{"field of no type", func(s *game.Schema) { s.Kinds[0].Fields[0].Type = 0 }},
		{"input range upside down", func(s *game.Schema) { s.Input[0].Min, s.Input[0].Max = 5, 1 }},
		{"room's event kind", func(s *game.Schema) { s.Events[0].Kind = game.EventChat }},
		{"world the wire cannot carry", func(s *game.Schema) { s.World = map[string]any{"f": func() {}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				bad := arena.Definition()
				bad.Name = "broken"
				bad.New = func(cfg game.Config) game.Game {
					a := arena.New(arena.Config{Seed: cfg.Seed, TickRate: cfg.TickRate})
					s := *a.Schema()
					s.Kinds = append([]game.Kind(nil), s.Kinds...)
					s.Kinds[0].Fields = append([]game.Field(nil), s.Kinds[0].Fields...)
					s.Input = append([]game.InputField(nil), s.Input...)
					s.Events = append([]game.EventDef(nil), s.Events...)
					tt.spoil(&s)
					return &badSchemaGame{Arena: a, schema: &s}
				}
				ctx, cancel := context.WithCancel(context.Background())
				m := NewManager(ctx, Options{}, []game.Definition{arena.Definition(), bad}, nil)
				defer m.Wait()
				defer cancel()
				r, err := m.Create(Config{Game: "broken"})
				if !errors.Is(err, game.ErrSchema) || r != nil {
					t.Fatalf("Create with a broken schema: %v, want game.ErrSchema", err)
				}
				if rooms, err := m.List(ctx); err != nil || len(rooms) != 0 || len(m.Rooms()) != 0 {
					t.Fatalf("listed %v (%v), manager has %d rooms: want none", rooms, err, len(m.Rooms()))
				}
				if _, err := m.Create(Config{}); err != nil {
					t.Fatalf("the good game next to it: %v", err)
				}
			})
		})
	}
}
