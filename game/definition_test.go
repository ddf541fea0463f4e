package game_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/games"
)

// stub is a game whose only working part is its schema.
type stub struct {
	game.Game
	schema *game.Schema
}

func (s stub) Schema() *game.Schema { return s.schema }

func TestDefinitionValidate(t *testing.T) {
	for _, d := range games.Builtin() {
		if err := d.Validate(); err != nil {
			t.Errorf("built-in %s: %v", d.Name, err)
		}
	}
	schema := func() *game.Schema {
		return &game.Schema{Game: "g", Kinds: []game.Kind{{ID: 1, Name: "k", Fields: []game.Field{{Name: "x", Type: game.Int16, Delta: game.Diff}}}}}
	}
	valid := func() game.Definition {
		return game.Definition{Name: "g", Modes: []game.Mode{{Name: "ffa", MaxPlayers: 8, Limit: 16}},
			New: func(game.Config) game.Game { return stub{schema: schema()} }}
	}
	for _, tc := range []struct {
		name   string
		change func(d *game.Definition)
		want   string // "" for valid
	}{
		{"valid", func(*game.Definition) {}, ""},
		{"no name", func(d *game.Definition) { d.Name = "" }, "the name must be"},
		{"upper case", func(d *game.Definition) { d.Name = "Tag" }, "the name must be"},
		{"a space", func(d *game.Definition) { d.Name = "my game" }, "the name must be"},
		{"no modes", func(d *game.Definition) { d.Modes = nil }, "no modes"},
		{"no New", func(d *game.Definition) { d.New = nil }, "no New"},
		{"bad mode name", func(d *game.Definition) { d.Modes[0].Name = "" }, `mode ""`},
		{"no seats", func(d *game.Definition) { d.Modes[0].MaxPlayers = 0 }, "MaxPlayers (0)"},
		{"limit below seats", func(d *game.Definition) { d.Modes[0].Limit = 4 }, "Limit (4)"},
		{"repeated mode", func(d *game.Definition) { d.Modes = append(d.Modes, d.Modes[0]) }, "repeated"},
		{"New returns nil", func(d *game.Definition) { d.New = func(game.Config) game.Game { return nil } }, "New returned nil"},
		{"bad schema", func(d *game.Definition) {
			d.New = func(game.Config) game.Game { s := schema(); s.Kinds[0].ID = 0; return stub{schema: s} }
		}, "id 0"},
	} {
		d := valid()
		tc.change(&d)
		err := d.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if err != nil && !errors.Is(err, game.ErrDefinition) {
			t.Errorf("%s: %v does not match ErrDefinition", tc.name, err)
		}
	}
}
