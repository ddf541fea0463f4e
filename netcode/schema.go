package netcode

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tickroom/tickroom/game"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// The schema travels in the welcome as a MessagePack map, so any client
// can decode the game's snapshots and name their fields without knowing
// the game:
//
//	{"game": "arena",
//	 "kinds": [{"id": 1, "name": "player", "fields": [
//	     {"name": "x", "type": "i32", "delta": "diff", "scale": 8, "unit": "px", "interp": true}, ...]}, ...],
//	 "input": [{"name": "move", "min": 0, "max": 15, "unit": "..."}, ...],
//	 "events": [{"kind": 16, "name": "kill", "a": "killer", "b": "victim"}, ...],
//	 "world": {...}}
//
// Keys whose value is the default (false, "", scale 1) are left out.
// Decoders ignore keys they do not know, so a later server may add some.

// writeSchema writes s as the welcome carries it.
func (e *encoder) writeSchema(s *game.Schema) {
	_ = e.EncodeMapLen(5)
	e.key("game", s.Game)
	_ = e.EncodeString("kinds")
	_ = e.EncodeArrayLen(len(s.Kinds))
	for i := range s.Kinds {
		e.writeKind(&s.Kinds[i])
	}
	_ = e.EncodeString("input")
	_ = e.EncodeArrayLen(len(s.Input))
	for _, f := range s.Input {
		_ = e.EncodeMapLen(3 + boolInt(f.Unit != "") + boolInt(f.Buttons))
		e.key("name", f.Name)
		_ = e.EncodeString("min")
		_ = e.EncodeInt(int64(f.Min))
		_ = e.EncodeString("max")
		_ = e.EncodeInt(int64(f.Max))
		e.optKey("unit", f.Unit)
		if f.Buttons {
			_ = e.EncodeString("buttons")
			_ = e.EncodeBool(true)
		}
	}
	_ = e.EncodeString("events")
	_ = e.EncodeArrayLen(len(s.Events))
	for _, ev := range s.Events {
		_ = e.EncodeMapLen(2 + boolInt(ev.A != "") + boolInt(ev.B != "") + boolInt(ev.Text != ""))
		_ = e.EncodeString("kind")
		_ = e.EncodeUint(uint64(ev.Kind))
		e.key("name", ev.Name)
		e.optKey("a", ev.A)
		e.optKey("b", ev.B)
		e.optKey("text", ev.Text)
	}
	_ = e.EncodeString("world")
	_ = e.writeValue(s.World, 0)
}

func (e *encoder) writeKind(k *game.Kind) {
	_ = e.EncodeMapLen(3)
	_ = e.EncodeString("id")
	_ = e.EncodeUint(uint64(k.ID))
	e.key("name", k.Name)
	_ = e.EncodeString("fields")
	_ = e.EncodeArrayLen(len(k.Fields))
	for _, f := range k.Fields {
		scaled := f.Scale != 0 && f.Scale != 1
		_ = e.EncodeMapLen(3 + boolInt(scaled) + boolInt(f.Unit != "") + boolInt(f.Interp) + boolInt(f.Private))
		e.key("name", f.Name)
		e.key("type", f.Type.String())
		e.key("delta", f.Delta.String())
		if scaled {
			_ = e.EncodeString("scale")
			_ = e.EncodeFloat64(f.Scale)
		}
		e.optKey("unit", f.Unit)
		if f.Interp {
			_ = e.EncodeString("interp")
			_ = e.EncodeBool(true)
		}
		if f.Private {
			_ = e.EncodeString("private")
			_ = e.EncodeBool(true)
		}
	}
}

func (e *encoder) key(k, v string) {
	_ = e.EncodeString(k)
	_ = e.EncodeString(v)
}

func (e *encoder) optKey(k, v string) {
	if v != "" {
		e.key(k, v)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// writeValue writes world data: nil, booleans, integers, finite floats,
// strings, slices of those, and maps with string keys (sorted, so the
// same world always encodes to the same bytes).
func (e *encoder) writeValue(v any, depth int) error {
	if depth > MaxWorldDepth {
		return fmt.Errorf("nested deeper than %d", MaxWorldDepth)
	}
	switch v := v.(type) {
	case nil:
		return e.EncodeNil()
	case bool:
		return e.EncodeBool(v)
	case int:
		return e.EncodeInt(int64(v))
	case int8:
		return e.EncodeInt(int64(v))
	case int16:
		return e.EncodeInt(int64(v))
	case int32:
		return e.EncodeInt(int64(v))
	case int64:
		return e.EncodeInt(v)
	case uint:
		return e.EncodeUint(uint64(v))
	case uint8:
		return e.EncodeUint(uint64(v))
	case uint16:
		return e.EncodeUint(uint64(v))
	case uint32:
		return e.EncodeUint(uint64(v))
	case uint64:
		return e.EncodeUint(v)
	case float32:
		return e.writeFloat(float64(v))
	case float64:
		return e.writeFloat(v)
	case string:
		return e.writeString(v)
	case []any:
		return writeSlice(e, v, depth)
	case []map[string]any:
		return writeSlice(e, v, depth)
	// Slices of scalars are written element by element, not through
	// writeValue: boxing each element would allocate.
	case []int32:
		return writeScalars(e, v, depth, func(x int32) error { return e.EncodeInt(int64(x)) })
	case []int:
		return writeScalars(e, v, depth, func(x int) error { return e.EncodeInt(int64(x)) })
	case []float64:
		return writeScalars(e, v, depth, e.writeFloat)
	case []string:
		return writeScalars(e, v, depth, e.writeString)
	case map[string]any:
		return e.writeMap(v, depth)
	}
	return fmt.Errorf("%T cannot travel: use maps with string keys, slices, strings, bools and numbers", v)
}

// writeMap writes a map with its keys sorted. It sorts them in e.keys,
// which the pool keeps, so a welcome allocates nothing: a nested map
// appends its keys after its parent's and truncates them again.
func (e *encoder) writeMap(v map[string]any, depth int) error {
	start := len(e.keys)
	for k := range v {
		e.keys = append(e.keys, k)
	}
	slices.Sort(e.keys[start:])
	defer func() {
		clear(e.keys[start:])
		e.keys = e.keys[:start]
	}()
	_ = e.EncodeMapLen(len(v))
	for i := start; i < start+len(v); i++ {
		k := e.keys[i] // not a slice of e.keys held across the call: nested maps may grow it
		_ = e.EncodeString(k)
		if err := e.writeValue(v[k], depth+1); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

func (e *encoder) writeString(v string) error {
	if len(v) > MaxTextBytes {
		return fmt.Errorf("a string of %d bytes, more than %d", len(v), MaxTextBytes)
	}
	return e.EncodeString(v)
}

func (e *encoder) writeFloat(v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%v is not a finite number", v)
	}
	return e.EncodeFloat64(v)
}

func writeSlice[T any](e *encoder, v []T, depth int) error {
	_ = e.EncodeArrayLen(len(v))
	for i := range v {
		if err := e.writeValue(v[i], depth+1); err != nil {
			return fmt.Errorf("[%d]: %w", i, err)
		}
	}
	return nil
}

// writeScalars writes a slice of scalars with write, its elements one
// level deeper than the slice as writeValue counts them.
func writeScalars[T any](e *encoder, v []T, depth int, write func(T) error) error {
	if len(v) > 0 && depth+1 > MaxWorldDepth {
		return fmt.Errorf("[0]: nested deeper than %d", MaxWorldDepth)
	}
	_ = e.EncodeArrayLen(len(v))
	for i, x := range v {
		if err := write(x); err != nil {
			return fmt.Errorf("[%d]: %w", i, err)
		}
	}
	return nil
}

// checkWorld reports world data that cannot travel.
func checkWorld(world map[string]any) error {
	e := startMsg(nil, 0, 0)
	defer e.finish()
	if world == nil {
		return nil
	}
	return e.writeValue(world, 0)
}

// maxSchemaBytes is the largest schema a welcome carries: half of
// MaxWelcomeBytes, so the roster and the rest always fit beside it.
const maxSchemaBytes = MaxWelcomeBytes / 2

// checkTravels reports a schema the welcome would carry to clients that
// then refuse it. It encodes the schema and decodes it as a client does,
// so the decoder's limits (strings of at most MaxTextBytes, world keys
// included, at most MaxWorldValues world values) hold for the server too
// and cannot drift apart from it.
func checkTravels(s *game.Schema) error {
	e := startMsg(nil, 0, 0)
	e.writeSchema(s)
	b := e.finish()[2:] // the schema without the message header
	if len(b) > maxSchemaBytes {
		return fmt.Errorf("%d bytes on the wire, more than %d", len(b), maxSchemaBytes)
	}
	d := getReader(b)
	defer d.release()
	d.msg = "schema"
	if _, err := d.schema(); err != nil {
		return fmt.Errorf("clients would refuse it: %s", strings.TrimPrefix(err.Error(), ErrMalformed.Error()+": schema: "))
	}
	return nil
}

// schema reads the welcome's schema map and checks it as game.Schema.Validate does.
func (d *reader) schema() (*game.Schema, error) {
	s := &game.Schema{}
	budget := MaxWorldValues
	err := d.mapEach("schema", func(k string) error {
		var err error
		switch k {
		case "game":
			s.Game, err = d.str("schema game", MaxTextBytes)
		case "kinds":
			err = d.each("kinds", game.MaxKinds, func() error {
				var kind game.Kind
				err := d.kind(&kind)
				s.Kinds = append(s.Kinds, kind)
				return err
			})
		case "input":
			err = d.each("input", game.MaxInputFields, func() error {
				var f game.InputField
				err := d.inputField(&f)
				s.Input = append(s.Input, f)
				return err
			})
		case "events":
			err = d.each("events", game.MaxEventKinds, func() error {
				var ev game.EventDef
				err := d.eventDef(&ev)
				s.Events = append(s.Events, ev)
				return err
			})
		case "world":
			var w any
			if w, err = d.value(0, &budget); err == nil && w != nil {
				m, ok := w.(map[string]any)
				if !ok {
					return d.errorf("schema world: want a map")
				}
				// No world and an empty one are the same world: nil
				// stands for both (a server writes nil as {}), so a
				// schema decodes alike however it was written.
				if len(m) > 0 {
					s.World = m
				}
			}
		default:
			_, err = d.value(0, &budget)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, d.errorf("%v", err)
	}
	return s, nil
}

func (d *reader) kind(k *game.Kind) error {
	return d.mapEach("kind", func(key string) error {
		switch key {
		case "id":
			v, err := d.uint("kind id", math.MaxUint8)
			k.ID = uint8(v)
			return err
		case "name":
			var err error
			k.Name, err = d.str("kind name", MaxTextBytes)
			return err
		case "fields":
			return d.each("fields", game.MaxFields, func() error {
				var f game.Field
				err := d.field(&f)
				k.Fields = append(k.Fields, f)
				return err
			})
		}
		return d.skip()
	})
}

func (d *reader) field(f *game.Field) error {
	return d.mapEach("field", func(key string) error {
		var err error
		switch key {
		case "name":
			f.Name, err = d.str("field name", MaxTextBytes)
		case "type":
			var t string
			if t, err = d.str("field type", 8); err == nil {
				var ok bool
				if f.Type, ok = game.ParseType(t); !ok {
					err = d.errorf("field %s: unknown type %q", f.Name, t)
				}
			}
		case "delta":
			var t string
			if t, err = d.str("field delta", 8); err == nil {
				var ok bool
				if f.Delta, ok = game.ParseDelta(t); !ok {
					err = d.errorf("field %s: unknown delta %q", f.Name, t)
				}
			}
		case "scale":
			f.Scale, err = d.float("field scale")
		case "unit":
			f.Unit, err = d.str("field unit", MaxTextBytes)
		case "interp":
			f.Interp, err = d.bool("field interp")
		case "private":
			f.Private, err = d.bool("field private")
		default:
			err = d.skip()
		}
		return err
	})
}

func (d *reader) inputField(f *game.InputField) error {
	return d.mapEach("input field", func(key string) error {
		var err error
		var v int64
		switch key {
		case "name":
			f.Name, err = d.str("input name", MaxTextBytes)
		case "min":
			v, err = d.intIn("input min", math.MinInt32, math.MaxInt32)
			f.Min = int32(v)
		case "max":
			v, err = d.intIn("input max", math.MinInt32, math.MaxInt32)
			f.Max = int32(v)
		case "unit":
			f.Unit, err = d.str("input unit", MaxTextBytes)
		case "buttons":
			f.Buttons, err = d.bool("input buttons")
		default:
			err = d.skip()
		}
		return err
	})
}

func (d *reader) eventDef(ev *game.EventDef) error {
	return d.mapEach("event kind", func(key string) error {
		var err error
		switch key {
		case "kind":
			var v uint64
			v, err = d.uint("event kind", math.MaxUint8)
			ev.Kind = game.EventKind(v)
		case "name":
			ev.Name, err = d.str("event name", MaxTextBytes)
		case "a":
			ev.A, err = d.str("event a", MaxTextBytes)
		case "b":
			ev.B, err = d.str("event b", MaxTextBytes)
		case "text":
			ev.Text, err = d.str("event text", MaxTextBytes)
		default:
			err = d.skip()
		}
		return err
	})
}

// each reads an array of at most max elements, calling elem for each.
func (d *reader) each(field string, max int, elem func() error) error {
	n, err := d.arrayLen(field, 0, max)
	if err != nil {
		return err
	}
	for range n {
		if err := elem(); err != nil {
			return err
		}
	}
	return nil
}

// mapEach reads a map with string keys, calling val for each key with the
// reader at its value; val must consume the value (d.skip() for keys it
// does not know). A key may appear once.
func (d *reader) mapEach(field string, val func(key string) error) error {
	n, err := d.mapLen(field)
	if err != nil {
		return err
	}
	seen := make(map[string]bool, n)
	for range n {
		k, err := d.str(field+" key", MaxTextBytes)
		if err != nil {
			return err
		}
		if seen[k] {
			return d.errorf("%s: key %q twice", field, k)
		}
		seen[k] = true
		if err := val(k); err != nil {
			return err
		}
	}
	return nil
}

// skip reads and drops one value.
func (d *reader) skip() error {
	budget := MaxWorldValues
	_, err := d.value(0, &budget)
	return err
}

// mapLen reads a map header; every entry takes at least two bytes.
func (d *reader) mapLen(field string) (int, error) {
	c, err := d.peek(field)
	if err != nil {
		return 0, err
	}
	if !msgpcode.IsFixedMap(c) && c != msgpcode.Map16 && c != msgpcode.Map32 {
		return 0, d.errorf("%s: want a map, got code 0x%02x", field, c)
	}
	n, err := d.dec.DecodeMapLen()
	if err != nil {
		return 0, d.wrap(field, err)
	}
	if n < 0 || 2*n > d.r.Len() {
		return 0, d.errorf("%s: %d entries in %d bytes: truncated", field, n, d.r.Len())
	}
	return n, nil
}

func (d *reader) bool(field string) (bool, error) {
	c, err := d.peek(field)
	if err != nil {
		return false, err
	}
	if c != msgpcode.True && c != msgpcode.False {
		return false, d.errorf("%s: want a boolean, got code 0x%02x", field, c)
	}
	v, err := d.dec.DecodeBool()
	return v, d.wrap(field, err)
}

// value reads world data: nil, a boolean, an integer (int64, or uint64
// above MaxInt64), a finite float64, a string, an array ([]any) or a map
// with string keys (map[string]any), nested at most MaxWorldDepth deep and
// at most *budget values in all.
func (d *reader) value(depth int, budget *int) (any, error) {
	if depth > MaxWorldDepth {
		return nil, d.errorf("world: nested deeper than %d", MaxWorldDepth)
	}
	if *budget--; *budget < 0 {
		return nil, d.errorf("world: more than %d values", MaxWorldValues)
	}
	c, err := d.peek("world value")
	if err != nil {
		return nil, err
	}
	switch {
	case c == msgpcode.Nil:
		return nil, d.wrap("world value", d.dec.DecodeNil())
	case c == msgpcode.True || c == msgpcode.False:
		return d.bool("world value")
	case c == msgpcode.Uint64:
		u, err := d.dec.DecodeUint64()
		if u <= math.MaxInt64 {
			return int64(u), d.wrap("world value", err)
		}
		return u, d.wrap("world value", err)
	case isInt(c):
		return d.intIn("world value", math.MinInt64, math.MaxInt64)
	case c == msgpcode.Float || c == msgpcode.Double:
		return d.float("world value")
	case msgpcode.IsString(c):
		return d.str("world value", MaxTextBytes)
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := d.arrayLen("world array", 0, MaxWorldValues)
		if err != nil {
			return nil, err
		}
		out := make([]any, 0, n)
		for range n {
			v, err := d.value(depth+1, budget)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		out := map[string]any{}
		err := d.mapEach("world map", func(k string) error {
			v, err := d.value(depth+1, budget)
			out[k] = v
			return err
		})
		return out, err
	}
	return nil, d.errorf("world value: code 0x%02x is not a value the world may hold", c)
}
