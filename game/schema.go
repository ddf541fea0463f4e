package game

import (
	"errors"
	"fmt"
	"math"
)

// Schema is what a game declares about its state so that tickroom can
// sync it without knowing it: the welcome carries it to every client,
// which then decodes the game's snapshots, validates nothing itself and
// draws from field names. docs/protocol.md gives its wire form.
type Schema struct {
	Game   string       // the Definition's name
	Kinds  []Kind       // entity kinds
	Input  []InputField // the fields of an input, in order
	Events []EventDef   // the game's event kinds (from FirstGameEvent)
	// World is static data the client needs and that never changes
	// during a room's life: a map, rules a client predicts with. It is
	// sent as MessagePack: use maps with string keys, slices, strings,
	// bools and numbers only.
	World map[string]any
}

// Kind is one kind of entity and its fields, in wire order.
type Kind struct {
	ID     uint8 // 1..255, unique within the schema
	Name   string
	Fields []Field // at most MaxFields
}

// Field is one integer field of an entity kind.
type Field struct {
	Name string
	Type Type
	// Delta says what a snapshot sends when the field changed against the
	// client's baseline: the new value, the difference, or the age.
	Delta Delta
	// Scale and Unit document the quantization: the value divided by
	// Scale is in Unit (x with Scale 8 and Unit "px" is in 1/8 px).
	// Scale 0 means 1.
	Scale float64
	Unit  string
	// Interp marks a field clients interpolate between snapshots
	// (positions, angles); others they take as they come.
	Interp bool
	// Private fields are sent only to the player whose avatar the entity
	// is (the entity's id is the player's id); everyone else reads 0.
	// Such as a player's own velocity, which only its prediction needs.
	Private bool
}

// Type is a field's integer type.
type Type uint8

const (
	Int8 Type = iota + 1
	Uint8
	Int16
	Uint16
	Int32
	Uint32
)

var typeNames = [...]string{Int8: "i8", Uint8: "u8", Int16: "i16", Uint16: "u16", Int32: "i32", Uint32: "u32"}

func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// ParseType is the inverse of Type.String.
func ParseType(s string) (Type, bool) {
	for t, n := range typeNames {
		if n != "" && n == s {
			return Type(t), true
		}
	}
	return 0, false
}

// Range is the values t holds, as int64.
func (t Type) Range() (lo, hi int64) {
	switch t {
	case Int8:
		return math.MinInt8, math.MaxInt8
	case Uint8:
		return 0, math.MaxUint8
	case Int16:
		return math.MinInt16, math.MaxInt16
	case Uint16:
		return 0, math.MaxUint16
	case Int32:
		return math.MinInt32, math.MaxInt32
	case Uint32:
		return 0, math.MaxUint32
	}
	return 0, 0
}

// Signed reports whether t holds negative values.
func (t Type) Signed() bool { return t == Int8 || t == Int16 || t == Int32 }

// Value reads v, a field of type t as Entity.V holds it, as a number.
func (t Type) Value(v int32) int64 {
	if t == Uint32 {
		return int64(uint32(v))
	}
	return int64(v)
}

// Delta is how a changed field travels in a snapshot.
type Delta uint8

const (
	// Value sends the new value: for fields that jump (hp, flags, owner).
	Value Delta = iota + 1
	// Diff sends the difference from the baseline, zigzag-coded: small
	// for fields that move a little each tick (positions, velocities).
	Diff
	// Age sends the tick minus the value: for a field holding a tick (a
	// projectile's birth), so the wire carries a small, growing age.
	Age
)

var deltaNames = [...]string{Value: "value", Diff: "diff", Age: "age"}

func (d Delta) String() string {
	if int(d) < len(deltaNames) && deltaNames[d] != "" {
		return deltaNames[d]
	}
	return fmt.Sprintf("delta(%d)", uint8(d))
}

// ParseDelta is the inverse of Delta.String.
func ParseDelta(s string) (Delta, bool) {
	for d, n := range deltaNames {
		if n != "" && n == s {
			return Delta(d), true
		}
	}
	return 0, false
}

// InputField is one field of an input, with the values it may take: the
// server closes a connection that sends anything else (1008, naming the
// field).
type InputField struct {
	Name     string
	Min, Max int32
	Unit     string // documentation: "1/65536 turn", "bits: 1 up, 2 down ..."
	// Buttons marks a field of bits that are presses (fire, jump): when
	// the room folds two queued inputs into one, it ORs this field, so a
	// press is never lost; other fields take the newer input's value.
	Buttons bool
}

// EventDef is one of the game's event kinds and what its arguments mean
// ("" where unused).
type EventDef struct {
	Kind EventKind // FirstGameEvent or more
	Name string
	A, B string
	Text string
}

// KindByID returns the kind with id, or nil.
func (s *Schema) KindByID(id uint8) *Kind {
	for i := range s.Kinds {
		if s.Kinds[i].ID == id {
			return &s.Kinds[i]
		}
	}
	return nil
}

// KindByName returns the kind named name, or nil.
func (s *Schema) KindByName(name string) *Kind {
	for i := range s.Kinds {
		if s.Kinds[i].Name == name {
			return &s.Kinds[i]
		}
	}
	return nil
}

// Field returns the index of the field named name, or -1.
func (k *Kind) Field(name string) int {
	for i := range k.Fields {
		if k.Fields[i].Name == name {
			return i
		}
	}
	return -1
}

// InputIndex returns the index of the input field named name, or -1.
func (s *Schema) InputIndex(name string) int {
	for i := range s.Input {
		if s.Input[i].Name == name {
			return i
		}
	}
	return -1
}

// EventByKind returns the game event of kind k, or nil.
func (s *Schema) EventByKind(k EventKind) *EventDef {
	for i := range s.Events {
		if s.Events[i].Kind == k {
			return &s.Events[i]
		}
	}
	return nil
}

// ErrSchema is wrapped by every error Validate returns.
var ErrSchema = errors.New("game: invalid schema")

// Validate reports the first thing wrong with s: limits, duplicate ids or
// names, unknown types, empty ranges.
func (s *Schema) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrSchema, s.Game, fmt.Sprintf(format, args...))
	}
	switch {
	case s.Game == "":
		return bad("no game name")
	case len(s.Kinds) == 0 || len(s.Kinds) > MaxKinds:
		return bad("%d entity kinds, want 1..%d", len(s.Kinds), MaxKinds)
	case len(s.Input) > MaxInputFields:
		return bad("%d input fields, more than %d", len(s.Input), MaxInputFields)
	case len(s.Events) > MaxEventKinds:
		return bad("%d event kinds, more than %d", len(s.Events), MaxEventKinds)
	}
	for i := range s.Kinds {
		if err := s.validKind(i); err != nil {
			return bad("%v", err)
		}
	}
	names := map[string]bool{}
	for _, f := range s.Input {
		switch {
		case f.Name == "" || names[f.Name]:
			return bad("input field %q: empty or repeated name", f.Name)
		case f.Min > f.Max:
			return bad("input field %s: min %d above max %d", f.Name, f.Min, f.Max)
		}
		names[f.Name] = true
	}
	kinds := map[EventKind]bool{}
	for _, e := range s.Events {
		if e.Kind < FirstGameEvent || kinds[e.Kind] || e.Name == "" {
			return bad("event %q kind %d: below %d, repeated, or unnamed", e.Name, e.Kind, FirstGameEvent)
		}
		kinds[e.Kind] = true
	}
	return nil
}

func (s *Schema) validKind(i int) error {
	k := &s.Kinds[i]
	if k.ID == 0 || k.Name == "" || len(k.Fields) > MaxFields {
		return fmt.Errorf("kind %q (%d): id 0, no name, or more than %d fields", k.Name, k.ID, MaxFields)
	}
	for j := range i {
		if s.Kinds[j].ID == k.ID || s.Kinds[j].Name == k.Name {
			return fmt.Errorf("kind %q (%d): id or name repeated", k.Name, k.ID)
		}
	}
	names := map[string]bool{}
	for _, f := range k.Fields {
		switch {
		case f.Name == "" || names[f.Name]:
			return fmt.Errorf("kind %s: field %q: empty or repeated name", k.Name, f.Name)
		case f.Type < Int8 || f.Type > Uint32:
			return fmt.Errorf("kind %s: field %s: unknown type %d", k.Name, f.Name, f.Type)
		case f.Delta < Value || f.Delta > Age:
			return fmt.Errorf("kind %s: field %s: unknown delta %d", k.Name, f.Name, f.Delta)
		case f.Delta == Age && f.Type != Uint32:
			return fmt.Errorf("kind %s: field %s: an age field holds a tick, so it is u32", k.Name, f.Name)
		case f.Scale < 0:
			return fmt.Errorf("kind %s: field %s: negative scale", k.Name, f.Name)
		}
		names[f.Name] = true
	}
	return nil
}

// CheckEntity reports a value of e that its kind's field types cannot hold,
// or a kind the schema does not declare: what the client would refuse. For
// a game's tests; the room does not check every tick.
func (s *Schema) CheckEntity(e *Entity) error {
	k := s.KindByID(e.Kind)
	if k == nil {
		return fmt.Errorf("entity %d: kind %d not in the schema", e.ID, e.Kind)
	}
	for i, f := range k.Fields {
		lo, hi := f.Type.Range()
		if v := f.Type.Value(e.V[i]); v < lo || v > hi {
			return fmt.Errorf("entity %d (%s): %s = %d, outside %s", e.ID, k.Name, f.Name, v, f.Type)
		}
	}
	for i := len(k.Fields); i < MaxFields; i++ {
		if e.V[i] != 0 {
			return fmt.Errorf("entity %d (%s): value %d beyond its %d fields", e.ID, k.Name, i, len(k.Fields))
		}
	}
	return nil
}
