package netcode

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/tickroom/tickroom/game"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json and the fuzz seed files")

const vectorsFile = "testdata/vectors.json"

// vector is one golden vector: a message's bytes and its value in JSON.
// Inputs and snapshots name the welcome vector whose schema they follow;
// snapshots also carry the viewer and what it sees at baseTick and at
// tick, entities with their fields by name.
type vector struct {
	Name      string          `json:"name"`
	Direction string          `json:"direction"` // "client" (client → server) or "server"
	Schema    string          `json:"schema,omitempty"`
	Viewer    uint32          `json:"viewer,omitempty"`
	Hex       string          `json:"hex"`
	Value     json.RawMessage `json:"value"`
	Baseline  *[]jEntity      `json:"baseline,omitempty"`
	State     *[]jEntity      `json:"state,omitempty"`
}

// The JSON model of the messages, documented in docs/protocol.md.
type (
	jInput struct {
		Type  MsgType `json:"type"`
		Seq   uint32  `json:"seq"`
		Input jFields `json:"input"`
	}
	jPing struct {
		Type       MsgType `json:"type"`
		ClientTime float64 `json:"clientTime"`
	}
	jChat struct {
		Type MsgType `json:"type"`
		Text string  `json:"text"`
	}
	jLeave struct {
		Type MsgType `json:"type"`
	}
	jWelcome struct {
		Type           MsgType   `json:"type"`
		PlayerID       uint32    `json:"playerId"`
		RoomID         string    `json:"roomId"`
		TickRate       uint8     `json:"tickRate"`
		SendRate       uint8     `json:"sendRate"`
		Tick           uint32    `json:"tick"`
		ServerTime     float64   `json:"serverTime"`
		ReconnectToken string    `json:"reconnectToken"`
		LastEventSeq   uint32    `json:"lastEventSeq"`
		LastInputSeq   uint32    `json:"lastInputSeq"`
		Roster         []jRoster `json:"roster"`
		Game           string    `json:"game"`
		Mode           string    `json:"mode"`
		Schema         jSchema   `json:"schema"`
	}
	jRoster struct {
		ID    uint32 `json:"id"`
		Name  string `json:"name"`
		Score int32  `json:"score"`
	}
	// jSchema is the schema with every default filled in.
	jSchema struct {
		Game   string          `json:"game"`
		Kinds  []jKind         `json:"kinds"`
		Input  []jInputField   `json:"input"`
		Events []jEventDef     `json:"events"`
		World  json.RawMessage `json:"world"`
	}
	jKind struct {
		ID     uint8    `json:"id"`
		Name   string   `json:"name"`
		Fields []jField `json:"fields"`
	}
	jField struct {
		Name    string  `json:"name"`
		Type    string  `json:"type"`
		Delta   string  `json:"delta"`
		Scale   float64 `json:"scale"`
		Unit    string  `json:"unit"`
		Interp  bool    `json:"interp"`
		Private bool    `json:"private"`
	}
	jInputField struct {
		Name    string `json:"name"`
		Min     int32  `json:"min"`
		Max     int32  `json:"max"`
		Unit    string `json:"unit"`
		Buttons bool   `json:"buttons"`
	}
	jEventDef struct {
		Kind uint8  `json:"kind"`
		Name string `json:"name"`
		A    string `json:"a"`
		B    string `json:"b"`
		Text string `json:"text"`
	}
	jSnapshot struct {
		Type     MsgType   `json:"type"`
		Tick     uint32    `json:"tick"`
		BaseTick uint32    `json:"baseTick"`
		AckSeq   uint32    `json:"ackSeq"`
		Changes  []jChange `json:"changes"`
		Removed  []uint32  `json:"removed"`
	}
	// jChange is one listed entity: its kind's name when the kind bit is
	// set, and the fields set in Mask with their delta undone as far as it
	// can be without the baseline: a diff field's signed difference, an age
	// field's tick, a value field's value.
	jChange struct {
		ID     uint32  `json:"id"`
		Mask   uint16  `json:"mask"`
		Kind   string  `json:"kind,omitempty"`
		Fields jFields `json:"fields"`
	}
	jEntity struct {
		ID     uint32  `json:"id"`
		Kind   string  `json:"kind"`
		Fields jFields `json:"fields"`
	}
	jPong struct {
		Type       MsgType `json:"type"`
		ClientTime float64 `json:"clientTime"`
		Tick       uint32  `json:"tick"`
		ServerTime float64 `json:"serverTime"`
	}
	jEvents struct {
		Type   MsgType  `json:"type"`
		Events []jEvent `json:"events"`
	}
	jEvent struct {
		Seq  uint32 `json:"seq"`
		Kind uint8  `json:"kind"`
		A    uint32 `json:"a"`
		B    uint32 `json:"b"`
		Text string `json:"text"`
	}
	jError struct {
		Type    MsgType `json:"type"`
		Code    uint16  `json:"code"`
		Message string  `json:"message"`
	}
)

// jFields is a JSON object of named integers that keeps its order: the
// schema's, so a vector reads like the wire.
type jFields []namedInt

type namedInt struct {
	Name string
	V    int64
}

func (f jFields) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, kv := range f {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, kv.Name)
		b = append(b, ':')
		b = strconv.AppendInt(b, kv.V, 10)
	}
	return append(b, '}'), nil
}

func (f *jFields) UnmarshalJSON(data []byte) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("fields: want an object, got %v %v", t, err)
	}
	*f = jFields{}
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return err
		}
		var n json.Number
		if err := d.Decode(&n); err != nil {
			return err
		}
		v, err := n.Int64()
		if err != nil {
			return err
		}
		*f = append(*f, namedInt{k.(string), v})
	}
	_, err := d.Token()
	return err
}

func (f jFields) get(name string) (int64, bool) {
	for _, kv := range f {
		if kv.Name == name {
			return kv.V, true
		}
	}
	return 0, false
}

func clientJSON(s *game.Schema, m *ClientMessage) any {
	switch m.Type {
	case MsgInput:
		j := jInput{Type: m.Type, Seq: m.Input.Seq, Input: jFields{}}
		for i, f := range s.Input {
			j.Input = append(j.Input, namedInt{f.Name, int64(m.Input.V[i])})
		}
		return j
	case MsgPing:
		return jPing{m.Type, m.ClientTime}
	case MsgChat:
		return jChat{m.Type, m.Text}
	}
	return jLeave{m.Type}
}

// snapKinds tells a snapshot's JSON what kind each change's entity is:
// nil when unknown (the changes are then shown as wire values).
type snapKinds struct {
	schema *game.Schema
	base   []game.Entity
}

func (k *snapKinds) of(ch *EntityChange) *game.Kind {
	if ch.Mask&1 != 0 {
		return k.schema.KindByID(ch.Kind)
	}
	for _, e := range k.base {
		if e.ID == ch.ID {
			return k.schema.KindByID(e.Kind)
		}
	}
	return nil
}

func serverJSON(m *ServerMessage, kinds *snapKinds) any {
	switch m.Type {
	case MsgWelcome:
		return welcomeJSON(&m.Welcome)
	case MsgSnapshot:
		s := &m.Snapshot
		j := jSnapshot{m.Type, s.Tick, s.BaseTick, s.AckSeq, []jChange{}, append([]uint32{}, s.Removed...)}
		for i := range s.Changes {
			j.Changes = append(j.Changes, changeJSON(&s.Changes[i], kinds, s.Tick))
		}
		return j
	case MsgPong:
		return jPong{m.Type, m.Pong.ClientTime, m.Pong.Tick, m.Pong.ServerTime}
	case MsgEvents:
		j := jEvents{m.Type, []jEvent{}}
		for _, e := range m.Events {
			j.Events = append(j.Events, jEvent{e.Seq, uint8(e.Kind), e.A, e.B, e.Text})
		}
		return j
	}
	return jError{m.Type, uint16(m.Error.Code), m.Error.Message}
}

func welcomeJSON(w *Welcome) jWelcome {
	j := jWelcome{MsgWelcome, w.PlayerID, w.RoomID, w.TickRate, w.SendRate, w.Tick, w.ServerTime, w.ReconnectToken,
		w.LastEventSeq, w.LastInputSeq, []jRoster{}, w.Game, w.Mode, schemaJSON(w.Schema)}
	for _, r := range w.Roster {
		j.Roster = append(j.Roster, jRoster(r))
	}
	return j
}

func schemaJSON(s *game.Schema) jSchema {
	j := jSchema{Game: s.Game, Kinds: []jKind{}, Input: []jInputField{}, Events: []jEventDef{}}
	for _, k := range s.Kinds {
		jk := jKind{ID: k.ID, Name: k.Name, Fields: []jField{}}
		for _, f := range k.Fields {
			scale := f.Scale
			if scale == 0 {
				scale = 1
			}
			jk.Fields = append(jk.Fields, jField{f.Name, f.Type.String(), f.Delta.String(), scale, f.Unit, f.Interp, f.Private})
		}
		j.Kinds = append(j.Kinds, jk)
	}
	for _, f := range s.Input {
		j.Input = append(j.Input, jInputField(f))
	}
	for _, e := range s.Events {
		j.Events = append(j.Events, jEventDef{uint8(e.Kind), e.Name, e.A, e.B, e.Text})
	}
	var err error
	if s.World == nil {
		j.World = json.RawMessage("null")
	} else if j.World, err = json.Marshal(s.World); err != nil {
		panic(err) // a decoded world is plain values
	}
	return j
}

func schemaFromJSON(j *jSchema) (*game.Schema, error) {
	s := &game.Schema{Game: j.Game}
	for _, jk := range j.Kinds {
		k := game.Kind{ID: jk.ID, Name: jk.Name}
		for _, f := range jk.Fields {
			t, ok1 := game.ParseType(f.Type)
			d, ok2 := game.ParseDelta(f.Delta)
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("field %s: type %q or delta %q", f.Name, f.Type, f.Delta)
			}
			k.Fields = append(k.Fields, game.Field{Name: f.Name, Type: t, Delta: d, Scale: f.Scale, Unit: f.Unit, Interp: f.Interp, Private: f.Private})
		}
		s.Kinds = append(s.Kinds, k)
	}
	for _, f := range j.Input {
		s.Input = append(s.Input, game.InputField(f))
	}
	for _, e := range j.Events {
		s.Events = append(s.Events, game.EventDef{Kind: game.EventKind(e.Kind), Name: e.Name, A: e.A, B: e.B, Text: e.Text})
	}
	w, err := worldFromJSON(j.World)
	if err != nil {
		return nil, err
	}
	if w != nil {
		s.World = w.(map[string]any)
	}
	return s, nil
}

// worldFromJSON reads world data with integers kept exact: int64, or
// uint64 above it; other numbers are float64.
func worldFromJSON(raw json.RawMessage) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(string(v), 10, 64); err == nil {
			return u
		}
		f, _ := v.Float64()
		return f
	case []any:
		for i := range v {
			v[i] = numbers(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = numbers(v[k])
		}
	}
	return v
}

func changeJSON(ch *EntityChange, kinds *snapKinds, tick uint32) jChange {
	j := jChange{ID: ch.ID, Mask: ch.Mask, Fields: jFields{}}
	var k *game.Kind
	if kinds != nil {
		k = kinds.of(ch)
	}
	if ch.Mask&1 != 0 {
		j.Kind = strconv.Itoa(int(ch.Kind))
		if k != nil {
			j.Kind = k.Name
		}
	}
	for i := range game.MaxFields {
		if ch.Mask&(2<<i) == 0 {
			continue
		}
		name, v := strconv.Itoa(i), ch.V[i]
		if k != nil && i < len(k.Fields) {
			f := &k.Fields[i]
			name = f.Name
			switch f.Delta {
			case game.Diff:
				v = int64(unzigzag(uint32(v)))
			case game.Age:
				v = int64(tick - uint32(v))
			}
		}
		j.Fields = append(j.Fields, namedInt{name, v})
	}
	return j
}

func entityJSON(s *game.Schema, e *game.Entity) jEntity {
	k := s.KindByID(e.Kind)
	j := jEntity{ID: e.ID, Kind: k.Name, Fields: jFields{}}
	for i, f := range k.Fields {
		j.Fields = append(j.Fields, namedInt{f.Name, f.Type.Value(e.V[i])})
	}
	return j
}

func entitiesJSON(s *game.Schema, ents []game.Entity) *[]jEntity {
	j := []jEntity{}
	for i := range ents {
		j = append(j, entityJSON(s, &ents[i]))
	}
	return &j
}

func entitiesFromJSON(s *game.Schema, j *[]jEntity) ([]game.Entity, error) {
	ents := []game.Entity{}
	if j == nil {
		return ents, nil
	}
	for _, je := range *j {
		k := s.KindByName(je.Kind)
		if k == nil {
			return nil, fmt.Errorf("entity %d: no kind %q", je.ID, je.Kind)
		}
		e := game.Entity{ID: je.ID, Kind: k.ID}
		if len(je.Fields) != len(k.Fields) {
			return nil, fmt.Errorf("entity %d: %d fields, kind %s has %d", je.ID, len(je.Fields), k.Name, len(k.Fields))
		}
		for i, f := range k.Fields {
			v, ok := je.Fields.get(f.Name)
			if !ok {
				return nil, fmt.Errorf("entity %d: no field %s", je.ID, f.Name)
			}
			e.V[i] = int32(v) // a u32 keeps its bit pattern
		}
		ents = append(ents, e)
	}
	return ents, nil
}

// vectorSchemas returns the schema of every welcome vector, by name, read
// from the vectors' JSON.
func vectorSchemas(vs []vector) (map[string]*game.Schema, error) {
	out := map[string]*game.Schema{}
	for _, v := range vs {
		var head struct{ Type MsgType }
		if err := json.Unmarshal(v.Value, &head); err != nil {
			return nil, err
		}
		if head.Type != MsgWelcome {
			continue
		}
		var j jWelcome
		if err := json.Unmarshal(v.Value, &j); err != nil {
			return nil, err
		}
		s, err := schemaFromJSON(&j.Schema)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v.Name, err)
		}
		out[v.Name] = s
	}
	return out, nil
}

// codecFor returns the codec of the schema v follows; messages that need
// none are read with the arena's.
func codecFor(v *vector, schemas map[string]*game.Schema) (*Codec, error) {
	name := v.Schema
	if name == "" {
		name = "welcome"
	}
	s := schemas[name]
	if s == nil {
		return nil, fmt.Errorf("no welcome vector %q", name)
	}
	return NewCodec(s)
}

// encodeVector encodes a vector's value (and, for snapshots, its state
// against its baseline, for its viewer) with the Append functions.
func encodeVector(v *vector, schemas map[string]*game.Schema) ([]byte, error) {
	var head struct{ Type MsgType }
	if err := json.Unmarshal(v.Value, &head); err != nil {
		return nil, err
	}
	un := func(dst any) error { return json.Unmarshal(v.Value, dst) }
	c, err := codecFor(v, schemas)
	if err != nil {
		return nil, err
	}
	switch head.Type {
	case MsgInput:
		var j jInput
		err := un(&j)
		in := game.Input{Seq: j.Seq}
		if len(j.Input) != len(c.Schema().Input) {
			return nil, fmt.Errorf("%d input fields, the schema has %d", len(j.Input), len(c.Schema().Input))
		}
		for i, f := range c.Schema().Input {
			x, ok := j.Input.get(f.Name)
			if !ok {
				return nil, fmt.Errorf("no input field %s", f.Name)
			}
			in.V[i] = int32(x)
		}
		return c.AppendInput(nil, in), err
	case MsgPing:
		var j jPing
		err := un(&j)
		return AppendPing(nil, j.ClientTime), err
	case MsgChat:
		var j jChat
		err := un(&j)
		return AppendChat(nil, j.Text), err
	case MsgLeave:
		return AppendLeave(nil), nil
	case MsgWelcome:
		var j jWelcome
		if err := un(&j); err != nil {
			return nil, err
		}
		s, err := schemaFromJSON(&j.Schema)
		if err != nil {
			return nil, err
		}
		w := Welcome{j.PlayerID, j.RoomID, j.TickRate, j.SendRate, j.Tick, j.ServerTime, j.ReconnectToken,
			j.LastEventSeq, j.LastInputSeq, nil, j.Game, j.Mode, s}
		for _, r := range j.Roster {
			w.Roster = append(w.Roster, RosterEntry(r))
		}
		return AppendWelcome(nil, &w), nil
	case MsgSnapshot:
		var j jSnapshot
		if err := un(&j); err != nil {
			return nil, err
		}
		base, err := entitiesFromJSON(c.Schema(), v.Baseline)
		if err != nil {
			return nil, err
		}
		state, err := entitiesFromJSON(c.Schema(), v.State)
		if err != nil {
			return nil, err
		}
		return c.AppendSnapshot(nil, j.Tick, j.BaseTick, j.AckSeq, v.Viewer, View{World: base}, View{World: state}), nil
	case MsgPong:
		var j jPong
		err := un(&j)
		return AppendPong(nil, Pong{j.ClientTime, j.Tick, j.ServerTime}), err
	case MsgEvents:
		var j jEvents
		err := un(&j)
		ev := []game.Event{}
		for _, e := range j.Events {
			ev = append(ev, game.Event{Seq: e.Seq, Kind: game.EventKind(e.Kind), A: e.A, B: e.B, Text: e.Text})
		}
		return AppendEvents(nil, ev), err
	case MsgError:
		var j jError
		err := un(&j)
		return AppendError(nil, Error{ErrorCode(j.Code), j.Message}), err
	}
	return nil, fmt.Errorf("unknown type %d", head.Type)
}

// decodeVector decodes a vector's bytes and returns the value as JSON;
// for a snapshot it also checks that applying it to the baseline gives
// the state.
func decodeVector(v *vector, data []byte, schemas map[string]*game.Schema) ([]byte, error) {
	c, err := codecFor(v, schemas)
	if err != nil {
		return nil, err
	}
	if v.Direction == "client" {
		var m ClientMessage
		if err := c.DecodeClient(data, &m); err != nil {
			return nil, err
		}
		return json.Marshal(clientJSON(c.Schema(), &m))
	}
	var m ServerMessage
	if err := DecodeServer(data, &m); err != nil {
		return nil, err
	}
	var kinds *snapKinds
	if m.Type == MsgSnapshot {
		base, err := entitiesFromJSON(c.Schema(), v.Baseline)
		if err != nil {
			return nil, err
		}
		if err := checkVectorState(c, v, base, &m.Snapshot); err != nil {
			return nil, err
		}
		kinds = &snapKinds{c.Schema(), base}
	}
	return json.Marshal(serverJSON(&m, kinds))
}

// checkVectorState applies a snapshot vector to its baseline and compares
// the result with its state.
func checkVectorState(c *Codec, v *vector, base []game.Entity, s *Snapshot) error {
	var b Baselines
	b.Reset(c)
	if s.BaseTick != 0 {
		full := mustDecodeSnapshot(c.AppendSnapshot(nil, s.BaseTick, 0, 0, v.Viewer, View{}, View{World: base}))
		if _, err := b.Apply(full); err != nil {
			return err
		}
	}
	got, err := b.Apply(s)
	if err != nil {
		return err
	}
	want, err := entitiesFromJSON(c.Schema(), v.State)
	if err != nil {
		return err
	}
	if !sameEntities(got, want) {
		return fmt.Errorf("state after apply:\n got  %+v\n want %+v", got, want)
	}
	return nil
}

func mustDecodeSnapshot(data []byte) *Snapshot {
	var m ServerMessage
	if err := DecodeServer(data, &m); err != nil || m.Type != MsgSnapshot {
		panic(fmt.Sprintf("decode snapshot: %v", err))
	}
	return &m.Snapshot
}

// sameJSON compares two JSON documents as values: objects by key, numbers
// by value (integers exactly, so 2 = 2.0 and −0 = 0 but no two distinct
// 64-bit integers compare equal).
func sameJSON(a, b []byte) bool {
	var x, y any
	dx, dy := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	dx.UseNumber()
	dy.UseNumber()
	return dx.Decode(&x) == nil && dy.Decode(&y) == nil && sameValue(x, y)
}

func sameValue(x, y any) bool {
	switch x := x.(type) {
	case json.Number:
		y, ok := y.(json.Number)
		if !ok {
			return false
		}
		bx, okx := new(big.Float).SetPrec(200).SetString(string(x))
		by, oky := new(big.Float).SetPrec(200).SetString(string(y))
		return okx && oky && bx.Cmp(by) == 0
	case []any:
		y, ok := y.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := y.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(x, y)
}

func loadVectors(tb testing.TB) []vector {
	tb.Helper()
	data, err := os.ReadFile(vectorsFile)
	if err != nil {
		tb.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil {
		tb.Fatal(err)
	}
	return vs
}

// TestGolden checks every vector both ways: encoding its value gives its
// bytes, and decoding its bytes gives its value (and, for a snapshot,
// applying it to its baseline gives its state). The schemas come from the
// welcome vectors' JSON, as a client in another language would read them.
func TestGolden(t *testing.T) {
	if *update {
		writeVectors(t)
	}
	vs := loadVectors(t)
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	schemas, err := vectorSchemas(vs)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			if names[v.Name] {
				t.Fatalf("duplicate vector name %q", v.Name)
			}
			names[v.Name] = true
			want, err := hex.DecodeString(v.Hex)
			if err != nil {
				t.Fatal(err)
			}
			got, err := encodeVector(&v, schemas)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("encode:\n got  %x\n want %x", got, want)
			}
			value, err := decodeVector(&v, want, schemas)
			if err != nil {
				t.Fatal(err)
			}
			if !sameJSON(value, v.Value) {
				t.Errorf("decode:\n got  %s\n want %s", value, v.Value)
			}
		})
	}
}

// TestGoldenCoverage checks that the vectors still show everything the
// protocol can say, so a client that passes them has met all of it: every
// message type, every field type with every delta it may have, private
// fields read by their owner and by another player, kind changes,
// removals, ages, input fields with negative ranges, and every kind of
// world value.
func TestGoldenCoverage(t *testing.T) {
	vs := loadVectors(t)
	schemas, err := vectorSchemas(vs)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	note := func(what string) { seen[what] = true }
	for _, v := range vs {
		data, _ := hex.DecodeString(v.Hex)
		note(fmt.Sprintf("message %d", data[1]))
		if v.Direction == "client" && data[1] == byte(MsgInput) {
			c, _ := codecFor(&v, schemas)
			var m ClientMessage
			if c.DecodeClient(data, &m) == nil {
				for i, f := range c.Schema().Input {
					if f.Min < 0 && m.Input.V[i] < 0 {
						note("negative input")
					}
				}
			}
		}
		if w, ok := schemas[v.Name]; ok {
			for _, k := range w.Kinds {
				for _, f := range k.Fields {
					note(fmt.Sprintf("schema %s %s", f.Type, f.Delta))
					if f.Private {
						note("private field")
					}
				}
			}
			noteWorld(note, w.World)
		}
		if v.State == nil {
			continue
		}
		s := mustDecodeSnapshot(data)
		c, _ := codecFor(&v, schemas)
		base, _ := entitiesFromJSON(c.Schema(), v.Baseline)
		kinds := &snapKinds{c.Schema(), base}
		if len(s.Removed) > 0 {
			note("removal")
		}
		for i := range s.Changes {
			ch := &s.Changes[i]
			k := kinds.of(ch)
			if ch.Mask&1 != 0 && slicesContainsID(base, ch.ID) {
				note("kind change")
			}
			for j, f := range k.Fields {
				if ch.Mask&(2<<j) != 0 {
					note(fmt.Sprintf("sent %s %s", f.Type, f.Delta))
					if f.Private {
						note("private sent to " + map[bool]string{true: "owner", false: "other"}[ch.ID == v.Viewer])
					}
					if f.Delta == game.Age && ch.V[j] != 0 {
						note("age above 0")
					}
				}
			}
		}
		state, _ := entitiesFromJSON(c.Schema(), v.State)
		for _, e := range state {
			k := c.Schema().KindByID(e.Kind)
			for j, f := range k.Fields {
				if f.Private && e.ID != v.Viewer && e.V[j] == 0 {
					note("private read 0 by another player")
				}
			}
		}
	}
	var want []string
	for _, m := range []MsgType{MsgInput, MsgPing, MsgChat, MsgLeave, MsgWelcome, MsgSnapshot, MsgPong, MsgEvents, MsgError} {
		want = append(want, fmt.Sprintf("message %d", m))
	}
	for _, tp := range []game.Type{game.Int8, game.Uint8, game.Int16, game.Uint16, game.Int32, game.Uint32} {
		deltas := []game.Delta{game.Value, game.Diff}
		if tp == game.Uint32 {
			deltas = append(deltas, game.Age)
		}
		for _, d := range deltas {
			want = append(want, fmt.Sprintf("schema %s %s", tp, d), fmt.Sprintf("sent %s %s", tp, d))
		}
	}
	want = append(want, "negative input", "private field", "private sent to owner", "private read 0 by another player",
		"kind change", "removal", "age above 0",
		"world nil", "world bool", "world int", "world negative int", "world float", "world string", "world array", "world map")
	for _, w := range want {
		if !seen[w] {
			t.Errorf("no vector shows %s", w)
		}
	}
	if seen["private sent to other"] {
		t.Error("a private field was sent to a player other than its owner")
	}
}

func noteWorld(note func(string), v any) {
	switch v := v.(type) {
	case nil:
		note("world nil")
	case bool:
		note("world bool")
	case int64:
		note("world int")
		if v < 0 {
			note("world negative int")
		}
	case uint64:
		note("world int")
	case float64:
		note("world float")
	case string:
		note("world string")
	case []any:
		note("world array")
		for _, x := range v {
			noteWorld(note, x)
		}
	case map[string]any:
		note("world map")
		for _, x := range v {
			noteWorld(note, x)
		}
	}
}

func slicesContainsID(ents []game.Entity, id uint32) bool {
	for _, e := range ents {
		if e.ID == id {
			return true
		}
	}
	return false
}

// writeVectors regenerates the golden vectors from goldenCases, and the
// fuzz seed files from them.
func writeVectors(t *testing.T) {
	cases := goldenCases()
	schemas := map[string]*game.Schema{}
	for _, c := range cases {
		var m ServerMessage
		if !c.client && DecodeServer(c.data, &m) == nil && m.Type == MsgWelcome {
			schemas[c.name] = m.Welcome.Schema
		}
	}
	var vs []vector
	for _, c := range cases {
		v := vector{Name: c.name, Direction: "server", Schema: c.schema, Hex: hex.EncodeToString(c.data)}
		if c.client {
			v.Direction = "client"
		}
		if c.snap != nil {
			s := schemas[c.schema]
			v.Viewer = c.snap.viewer
			v.Baseline, v.State = entitiesJSON(s, c.snap.base), entitiesJSON(s, c.snap.cur)
		}
		var err error
		if v.Value, err = decodeVector(&v, c.data, schemas); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		vs = append(vs, v)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(vs); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vectorsFile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	writeFuzzSeeds(t, vs)
}

// writeFuzzSeeds rewrites the seed files of every fuzz target from the
// vectors; f.Add covers the rest.
func writeFuzzSeeds(t *testing.T, vs []vector) {
	for _, target := range []string{"FuzzDecodeClient", "FuzzDecodeServer", "FuzzBaselinesApply", "FuzzSnapshotRoundTrip"} {
		if err := os.RemoveAll(filepath.Join("testdata", "fuzz", target)); err != nil {
			t.Fatal(err)
		}
	}
	write := func(target, name string, args ...any) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		s := "go test fuzz v1\n"
		for _, a := range args {
			switch a := a.(type) {
			case []byte:
				s += fmt.Sprintf("[]byte(%q)\n", a)
			case bool:
				s += fmt.Sprintf("bool(%v)\n", a)
			case uint64:
				s += fmt.Sprintf("uint64(%d)\n", a)
			default:
				t.Fatalf("fuzz argument %T", a)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	frames := map[string][]byte{}
	for _, v := range vs {
		data, err := hex.DecodeString(v.Hex)
		if err != nil {
			t.Fatal(err)
		}
		frames[v.Name] = data
		switch v.Name {
		case "input", "input-zoo", "chat-unicode", "ping-fraction":
			write("FuzzDecodeClient", v.Name, data)
		case "welcome", "welcome-zoo", "snapshot-delta", "snapshot-zoo-delta", "events":
			write("FuzzDecodeServer", v.Name, data)
		}
	}
	write("FuzzDecodeClient", "input-wide-ints", wideInts)
	write("FuzzDecodeClient", "ping-nan", []byte{0x92, 0x02, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1})
	write("FuzzDecodeServer", "snapshot-truncated", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x9c, 0x01})
	write("FuzzBaselinesApply", "full-then-delta", false, frames["snapshot-full"], frames["snapshot-delta"])
	write("FuzzBaselinesApply", "unknown-baseline", false, frames["snapshot-delta"], frames["snapshot-full"])
	write("FuzzBaselinesApply", "zoo-full-then-delta", true, frames["snapshot-zoo-full"], frames["snapshot-zoo-delta"])
	write("FuzzSnapshotRoundTrip", "zoo-extremes", uint64(1), []byte{1, 2, 0, 3, 1, 2, 0xff, 0x80, 0, 0, 0, 1})
}
