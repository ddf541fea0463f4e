package netcode

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
)

// TestWelcomeCarriesSchema: a welcome decodes to the schema it was made
// from (the world as generic values), and encoding the decoded welcome
// again gives the same bytes, so the wire form is canonical.
func TestWelcomeCarriesSchema(t *testing.T) {
	s := arena.New(arena.Config{Seed: 1}).Schema()
	w := &Welcome{PlayerID: 3, RoomID: "r", TickRate: 30, SendRate: 15, Tick: 99, ServerTime: 3300,
		ReconnectToken: "tok", LastEventSeq: 4, LastInputSeq: 17, Roster: []RosterEntry{{ID: 1, Name: "ada", Score: 2}},
		Game: "arena", Mode: "ffa", Schema: s}
	frame := AppendWelcome(nil, w)
	var m ServerMessage
	if err := DecodeServer(frame, &m); err != nil {
		t.Fatal(err)
	}
	got := m.Welcome
	if !reflect.DeepEqual(got.Schema.Kinds, s.Kinds) || !reflect.DeepEqual(got.Schema.Input, s.Input) ||
		!reflect.DeepEqual(got.Schema.Events, s.Events) || got.Schema.Game != s.Game {
		t.Errorf("schema changed on the way:\n got  %+v\n want %+v", got.Schema, s)
	}
	if walls, ok := got.Schema.World["walls"].([]any); !ok || len(walls) != 4*len(arena.DefaultMap().Walls) {
		t.Errorf("world walls: %T %v", got.Schema.World["walls"], got.Schema.World["walls"])
	}
	got.Schema.World = normalizeWorld(got.Schema.World).(map[string]any)
	if again := AppendWelcome(nil, &got); !bytes.Equal(again, frame) {
		t.Errorf("re-encoded welcome differs:\n %x\n %x", again, frame)
	}
	if _, err := NewCodec(got.Schema); err != nil {
		t.Errorf("decoded schema makes no codec: %v", err)
	}
}

// normalizeWorld turns decoded generic values back into ones writeValue
// takes (it does; this only checks it is the identity on them).
func normalizeWorld(v any) any { return v }

func TestNewCodecRefusesBadSchemas(t *testing.T) {
	ok := func() *game.Schema {
		return &game.Schema{Game: "g", Kinds: []game.Kind{{ID: 1, Name: "k", Fields: []game.Field{{Name: "x", Type: game.Int32, Delta: game.Diff}}}}}
	}
	tests := []struct {
		name string
		edit func(s *game.Schema)
		want string
	}{
		{"no game", func(s *game.Schema) { s.Game = "" }, "no game name"},
		{"no kinds", func(s *game.Schema) { s.Kinds = nil }, "entity kinds"},
		{"kind 0", func(s *game.Schema) { s.Kinds[0].ID = 0 }, "id 0"},
		{"repeated kind", func(s *game.Schema) { s.Kinds = append(s.Kinds, s.Kinds[0]) }, "repeated"},
		{"too many fields", func(s *game.Schema) { s.Kinds[0].Fields = make([]game.Field, game.MaxFields+1) }, "more than"},
		{"unknown type", func(s *game.Schema) { s.Kinds[0].Fields[0].Type = 9 }, "unknown type"},
		{"age not u32", func(s *game.Schema) { s.Kinds[0].Fields[0].Delta = game.Age }, "u32"},
		{"empty range", func(s *game.Schema) { s.Input = []game.InputField{{Name: "a", Min: 2, Max: 1}} }, "above max"},
		{"event kind of the room", func(s *game.Schema) { s.Events = []game.EventDef{{Kind: 4, Name: "x"}} }, "below"},
		{"world func", func(s *game.Schema) { s.World = map[string]any{"f": func() {}} }, "cannot travel"},
		{"world NaN", func(s *game.Schema) { s.World = map[string]any{"n": []float64{0, nan()}} }, "finite"},
	}
	for _, tc := range tests {
		s := ok()
		tc.edit(s)
		_, err := NewCodec(s)
		if !errors.Is(err, game.ErrSchema) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrSchema mentioning %q", tc.name, err, tc.want)
		}
	}
	if _, err := NewCodec(ok()); err != nil {
		t.Errorf("valid schema: %v", err)
	}
}

func nan() float64 {
	var z float64
	return z / z
}

// TestNewCodecAcceptsWhatClientsRead: NewCodec accepts a schema exactly
// when a client can decode the welcome that carries it, so a room never
// starts with a game its clients cannot read. Strings, world keys
// included, are at most MaxTextBytes; a world holds at most
// MaxWorldValues values nested at most MaxWorldDepth deep; and the schema
// leaves the rest of the welcome room under MaxWelcomeBytes.
func TestNewCodecAcceptsWhatClientsRead(t *testing.T) {
	long := strings.Repeat("x", MaxTextBytes+1)
	nest := func(n int, inner any) any {
		v := inner
		for range n {
			v = []any{v}
		}
		return v
	}
	bigKinds := func(s *game.Schema) {
		s.Kinds = nil
		for i := range game.MaxKinds {
			k := game.Kind{ID: uint8(i + 1), Name: fmt.Sprint("k", i)}
			for j := range game.MaxFields {
				k.Fields = append(k.Fields, game.Field{Name: fmt.Sprint("f", j), Type: game.Int32, Delta: game.Diff, Unit: long[:MaxTextBytes]})
			}
			s.Kinds = append(s.Kinds, k)
		}
	}
	tests := []struct {
		name string
		edit func(s *game.Schema)
		ok   bool
	}{
		{"the arena's", func(s *game.Schema) { *s = *arenaSchema() }, true},
		{"the zoo's", func(s *game.Schema) { *s = *zooSchema() }, true},
		{"strings of MaxTextBytes", func(s *game.Schema) {
			s.Kinds[0].Fields[0].Unit = long[:MaxTextBytes]
			s.World = map[string]any{long[:MaxTextBytes]: long[:MaxTextBytes]}
		}, true},
		{"game name too long", func(s *game.Schema) { s.Game = long }, false},
		{"kind name too long", func(s *game.Schema) { s.Kinds[0].Name = long }, false},
		{"field unit too long", func(s *game.Schema) { s.Kinds[0].Fields[0].Unit = long }, false},
		{"input unit too long", func(s *game.Schema) { s.Input = []game.InputField{{Name: "a", Unit: long}} }, false},
		{"event text too long", func(s *game.Schema) { s.Events = []game.EventDef{{Kind: 16, Name: "e", Text: long}} }, false},
		{"world string too long", func(s *game.Schema) { s.World = map[string]any{"a": []string{long}} }, false},
		{"world key too long", func(s *game.Schema) { s.World = map[string]any{"a": map[string]any{long: 1}} }, false},
		{"world of MaxWorldValues values", func(s *game.Schema) { s.World = map[string]any{"tiles": make([]int32, MaxWorldValues-2)} }, true},
		{"a 256×256 tile map", func(s *game.Schema) { s.World = map[string]any{"tiles": make([]int32, 256*256)} }, false},
		{"world nested MaxWorldDepth deep", func(s *game.Schema) { s.World = map[string]any{"a": nest(MaxWorldDepth-1, map[string]any{})} }, true},
		{"world nested deeper", func(s *game.Schema) { s.World = map[string]any{"a": nest(MaxWorldDepth, map[string]any{})} }, false},
		{"empty []int32 at MaxWorldDepth", func(s *game.Schema) { s.World = map[string]any{"a": nest(MaxWorldDepth-1, []int32{})} }, true},
		{"[]int32 at MaxWorldDepth", func(s *game.Schema) { s.World = map[string]any{"a": nest(MaxWorldDepth-1, []int32{1})} }, false},
		{"[]string at MaxWorldDepth", func(s *game.Schema) { s.World = map[string]any{"a": nest(MaxWorldDepth-1, []string{"s"})} }, false},
		{"[]string one level up", func(s *game.Schema) { s.World = map[string]any{"a": nest(MaxWorldDepth-2, []string{"s"})} }, true},
		{"kinds too big for a welcome", bigKinds, false},
	}
	for _, tc := range tests {
		s := &game.Schema{Game: "g", Kinds: []game.Kind{{ID: 1, Name: "k", Fields: []game.Field{{Name: "x", Type: game.Int32, Delta: game.Diff}}}}}
		tc.edit(s)
		_, err := NewCodec(s)
		var m ServerMessage
		derr := DecodeServer(AppendWelcome(nil, &Welcome{TickRate: 30, Schema: s}), &m)
		if (err == nil) != tc.ok || (derr == nil) != tc.ok {
			t.Errorf("%s: NewCodec: %v; a client decoding its welcome: %v; want both to %s", tc.name, err, derr,
				map[bool]string{true: "accept", false: "refuse"}[tc.ok])
		}
		if err != nil && !errors.Is(err, game.ErrSchema) {
			t.Errorf("%s: %v does not wrap game.ErrSchema", tc.name, err)
		}
	}
}
