package game

import (
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
