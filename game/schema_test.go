package game

import (
	"errors"
	"strings"
	"testing"
)

func TestTypesAndDeltasRoundTrip(t *testing.T) {
	for ty := Int8; ty <= Uint32; ty++ {
		if got, ok := ParseType(ty.String()); !ok || got != ty {
			t.Errorf("ParseType(%q) = %v, %v", ty.String(), got, ok)
		}
		lo, hi := ty.Range()
		if ty.Signed() != (lo < 0) || hi <= lo {
			t.Errorf("%v: range %d..%d, signed %v", ty, lo, hi, ty.Signed())
		}
	}
	for d := Value; d <= Age; d++ {
		if got, ok := ParseDelta(d.String()); !ok || got != d {
			t.Errorf("ParseDelta(%q) = %v, %v", d.String(), got, ok)
		}
	}
	if _, ok := ParseType("f32"); ok {
		t.Error("f32 parsed as a type: fields are integers")
	}
	if v := Uint32.Value(-1); v != 1<<32-1 {
		t.Errorf("Uint32.Value(-1) = %d, want the bit pattern's value", v)
	}
}

func TestCheckEntity(t *testing.T) {
	s := &Schema{Game: "g", Kinds: []Kind{{ID: 1, Name: "k", Fields: []Field{
		{Name: "hp", Type: Uint8, Delta: Value}, {Name: "dx", Type: Int8, Delta: Diff}, {Name: "born", Type: Uint32, Delta: Age},
	}}}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		e    Entity
		want string // "" for valid
	}{
		{Entity{ID: 1, Kind: 1, V: [MaxFields]int32{255, -128, -1}}, ""},
		{Entity{ID: 1, Kind: 1, V: [MaxFields]int32{256}}, "hp = 256"},
		{Entity{ID: 1, Kind: 1, V: [MaxFields]int32{0, -129}}, "dx = -129"},
		{Entity{ID: 1, Kind: 2}, "kind 2 not in the schema"},
		{Entity{ID: 1, Kind: 1, V: [MaxFields]int32{3: 7}}, "beyond its 3 fields"},
	}
	for _, tc := range tests {
		err := s.CheckEntity(&tc.e)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.e, err, tc.want)
		}
	}
}

// TestValidate: a schema that clients could not decode, or that breaks a
// limit, is refused with what is wrong.
func TestValidate(t *testing.T) {
	field := func(name string) Field { return Field{Name: name, Type: Int16, Delta: Diff} }
	valid := func() *Schema {
		return &Schema{Game: "g", Kinds: []Kind{{ID: 1, Name: "k", Fields: []Field{field("x")}}},
			Input: []InputField{{Name: "dir", Min: -1, Max: 1}}, Events: []EventDef{{Kind: FirstGameEvent, Name: "hit"}}}
	}
	tests := []struct {
		name   string
		change func(s *Schema)
		want   string // "" for valid
	}{
		{"valid", func(*Schema) {}, ""},
		{"no game", func(s *Schema) { s.Game = "" }, "no game name"},
		{"no kinds", func(s *Schema) { s.Kinds = nil }, "0 entity kinds"},
		{"kind id 0", func(s *Schema) { s.Kinds[0].ID = 0 }, "id 0"},
		{"repeated kind", func(s *Schema) { s.Kinds = append(s.Kinds, Kind{ID: 2, Name: "k"}) }, "repeated"},
		{"too many fields", func(s *Schema) { s.Kinds[0].Fields = make([]Field, MaxFields+1) }, "more than 14 fields"},
		{"repeated field", func(s *Schema) { s.Kinds[0].Fields = append(s.Kinds[0].Fields, field("x")) }, `field "x": empty or repeated`},
		{"unknown type", func(s *Schema) { s.Kinds[0].Fields[0].Type = Uint32 + 1 }, "unknown type"},
		{"age not u32", func(s *Schema) { s.Kinds[0].Fields[0].Delta = Age }, "so it is u32"},
		{"negative scale", func(s *Schema) { s.Kinds[0].Fields[0].Scale = -1 }, "negative scale"},
		{"input min above max", func(s *Schema) { s.Input[0].Min = 2 }, "min 2 above max 1"},
		{"repeated input", func(s *Schema) { s.Input = append(s.Input, s.Input[0]) }, `input field "dir"`},
		{"room's event kind", func(s *Schema) { s.Events[0].Kind = EventChat }, "below 16"},
	}
	for _, tc := range tests {
		s := valid()
		tc.change(s)
		err := s.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if err != nil && !errors.Is(err, ErrSchema) {
			t.Errorf("%s: %v does not match ErrSchema", tc.name, err)
		}
	}
}

// TestHash64KnownAnswers pins FNV-1a 64 so a state hash means the same on
// every platform and in every release: these are the published FNV-1a
// values of "" and "a" (a byte at a time, as String hashes its bytes after
// the length).
func TestHash64KnownAnswers(t *testing.T) {
	if h := NewHash64(); uint64(h) != 0xcbf29ce484222325 {
		t.Errorf("offset basis %x", uint64(h))
	}
	h := NewHash64()
	h = (h ^ Hash64('a')) * fnvPrime
	if uint64(h) != 0xaf63dc4c8601ec8c {
		t.Errorf("FNV-1a(\"a\") = %x", uint64(h))
	}
	if NewHash64().String("ab").String("c") == NewHash64().String("a").String("bc") {
		t.Error("strings are not delimited")
	}
}
