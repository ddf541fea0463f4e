package netcode

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tickroom/tickroom/game"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json and the fuzz seed files")

const vectorsFile = "testdata/vectors.json"

// vector is one golden vector: a message's bytes and its value in JSON.
// Snapshot vectors also carry the state at baseTick and at tick.
type vector struct {
	Name      string          `json:"name"`
	Direction string          `json:"direction"` // "client" (client → server) or "server"
	Hex       string          `json:"hex"`
	Value     json.RawMessage `json:"value"`
	Baseline  *[]jEntity      `json:"baseline,omitempty"` // snapshots: the entities at baseTick
	State     *[]jEntity      `json:"state,omitempty"`    // snapshots: the entities at tick
}

// The JSON model of the messages, documented in docs/protocol.md.
type (
	jInput struct {
		Type    MsgType `json:"type"`
		Seq     uint32  `json:"seq"`
		Move    uint8   `json:"move"`
		Aim     uint16  `json:"aim"`
		Buttons uint8   `json:"buttons"`
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
		Tick           uint32    `json:"tick"`
		ServerTime     float64   `json:"serverTime"`
		ReconnectToken string    `json:"reconnectToken"`
		LastEventSeq   uint32    `json:"lastEventSeq"`
		Map            jMap      `json:"map"`
		Roster         []jRoster `json:"roster"`
		SendRate       uint8     `json:"sendRate"`
		LastInputSeq   uint32    `json:"lastInputSeq"`
	}
	jMap struct {
		W     int32   `json:"w"`
		H     int32   `json:"h"`
		Walls []jWall `json:"walls"`
	}
	jWall struct {
		X int32 `json:"x"`
		Y int32 `json:"y"`
		W int32 `json:"w"`
		H int32 `json:"h"`
	}
	jRoster struct {
		ID    uint32 `json:"id"`
		Name  string `json:"name"`
		Score int32  `json:"score"`
	}
	jSnapshot struct {
		Type     MsgType   `json:"type"`
		Tick     uint32    `json:"tick"`
		BaseTick uint32    `json:"baseTick"`
		AckSeq   uint32    `json:"ackSeq"`
		Changes  []jChange `json:"changes"`
		Removed  []uint32  `json:"removed"`
	}
	// jChange holds the fields set in Mask only; x, y, vx, vy are differences.
	jChange struct {
		ID    uint32  `json:"id"`
		Mask  uint16  `json:"mask"`
		Kind  *uint8  `json:"kind,omitempty"`
		X     *int32  `json:"x,omitempty"`
		Y     *int32  `json:"y,omitempty"`
		VX    *int32  `json:"vx,omitempty"`
		VY    *int32  `json:"vy,omitempty"`
		Angle *uint16 `json:"angle,omitempty"`
		HP    *uint8  `json:"hp,omitempty"`
		Flags *uint8  `json:"flags,omitempty"`
		Score *int32  `json:"score,omitempty"`
		Owner *uint32 `json:"owner,omitempty"`
		Born  *uint32 `json:"born,omitempty"`
	}
	jEntity struct {
		ID    uint32 `json:"id"`
		Kind  uint8  `json:"kind"`
		X     int32  `json:"x"`
		Y     int32  `json:"y"`
		VX    int32  `json:"vx"`
		VY    int32  `json:"vy"`
		Angle uint16 `json:"angle"`
		HP    uint8  `json:"hp"`
		Flags uint8  `json:"flags"`
		Score int32  `json:"score"`
		Owner uint32 `json:"owner"`
		Born  uint32 `json:"born"`
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

func clientJSON(m *ClientMessage) any {
	switch m.Type {
	case MsgInput:
		in := m.Input
		return jInput{m.Type, in.Seq, in.Move, in.Aim, in.Buttons}
	case MsgPing:
		return jPing{m.Type, m.ClientTime}
	case MsgChat:
		return jChat{m.Type, m.Text}
	}
	return jLeave{m.Type}
}

func serverJSON(m *ServerMessage) any {
	switch m.Type {
	case MsgWelcome:
		return welcomeJSON(&m.Welcome)
	case MsgSnapshot:
		s := &m.Snapshot
		j := jSnapshot{m.Type, s.Tick, s.BaseTick, s.AckSeq, []jChange{}, append([]uint32{}, s.Removed...)}
		for _, c := range s.Changes {
			j.Changes = append(j.Changes, changeJSON(c))
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
	j := jWelcome{MsgWelcome, w.PlayerID, w.RoomID, w.TickRate, w.Tick, w.ServerTime, w.ReconnectToken,
		w.LastEventSeq, jMap{w.Map.W, w.Map.H, []jWall{}}, []jRoster{}, w.SendRate, w.LastInputSeq}
	for _, wl := range w.Map.Walls {
		j.Map.Walls = append(j.Map.Walls, jWall(wl))
	}
	for _, r := range w.Roster {
		j.Roster = append(j.Roster, jRoster(r))
	}
	return j
}

func changeJSON(c EntityChange) jChange {
	e := c.Entity
	j := jChange{ID: e.ID, Mask: c.Mask}
	set := func(bit uint16, f func()) {
		if c.Mask&bit != 0 {
			f()
		}
	}
	set(FieldKind, func() { k := uint8(e.Kind); j.Kind = &k })
	set(FieldX, func() { j.X = &e.X })
	set(FieldY, func() { j.Y = &e.Y })
	set(FieldVX, func() { j.VX = &e.VX })
	set(FieldVY, func() { j.VY = &e.VY })
	set(FieldAngle, func() { j.Angle = &e.Angle })
	set(FieldHP, func() { j.HP = &e.HP })
	set(FieldFlags, func() { j.Flags = &e.Flags })
	set(FieldScore, func() { j.Score = &e.Score })
	set(FieldOwner, func() { j.Owner = &e.Owner })
	set(FieldBorn, func() { j.Born = &e.Born })
	return j
}

func entitiesJSON(ents []game.Entity) *[]jEntity {
	j := []jEntity{}
	for _, e := range ents {
		j = append(j, jEntity{e.ID, uint8(e.Kind), e.X, e.Y, e.VX, e.VY, e.Angle, e.HP, e.Flags, e.Score, e.Owner, e.Born})
	}
	return &j
}

func entitiesFromJSON(j *[]jEntity) []game.Entity {
	var ents []game.Entity
	if j != nil {
		for _, e := range *j {
			ents = append(ents, game.Entity{ID: e.ID, Kind: game.Kind(e.Kind), X: e.X, Y: e.Y, VX: e.VX, VY: e.VY,
				Angle: e.Angle, HP: e.HP, Flags: e.Flags, Score: e.Score, Owner: e.Owner, Born: e.Born})
		}
	}
	return ents
}

// encodeVector encodes a vector's value (and, for snapshots, its baseline
// and state) with the Append functions.
func encodeVector(v *vector) ([]byte, error) {
	var head struct{ Type MsgType }
	if err := json.Unmarshal(v.Value, &head); err != nil {
		return nil, err
	}
	un := func(dst any) error { return json.Unmarshal(v.Value, dst) }
	switch head.Type {
	case MsgInput:
		var j jInput
		err := un(&j)
		return AppendInput(nil, game.Input{Seq: j.Seq, Move: j.Move, Aim: j.Aim, Buttons: j.Buttons}), err
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
		err := un(&j)
		w := Welcome{j.PlayerID, j.RoomID, j.TickRate, j.Tick, j.ServerTime, j.ReconnectToken, j.LastEventSeq,
			game.Map{W: j.Map.W, H: j.Map.H}, nil, j.SendRate, j.LastInputSeq}
		for _, wl := range j.Map.Walls {
			w.Map.Walls = append(w.Map.Walls, game.Wall(wl))
		}
		for _, r := range j.Roster {
			w.Roster = append(w.Roster, RosterEntry(r))
		}
		return AppendWelcome(nil, &w), err
	case MsgSnapshot:
		var j jSnapshot
		err := un(&j)
		return AppendSnapshot(nil, j.Tick, j.BaseTick, j.AckSeq, entitiesFromJSON(v.Baseline), entitiesFromJSON(v.State)), err
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

// decodeVector decodes a vector's bytes and returns the value as JSON.
func decodeVector(v *vector, data []byte) ([]byte, error) {
	if v.Direction == "client" {
		var m ClientMessage
		if err := DecodeClient(data, &m); err != nil {
			return nil, err
		}
		return json.Marshal(clientJSON(&m))
	}
	var m ServerMessage
	if err := DecodeServer(data, &m); err != nil {
		return nil, err
	}
	if m.Type == MsgSnapshot {
		if err := checkVectorState(v, &m.Snapshot); err != nil {
			return nil, err
		}
	}
	return json.Marshal(serverJSON(&m))
}

// checkVectorState applies a snapshot vector to its baseline and compares
// the result with its state.
func checkVectorState(v *vector, s *Snapshot) error {
	var b Baselines
	if s.BaseTick != 0 {
		full := mustDecodeSnapshot(AppendSnapshot(nil, s.BaseTick, 0, 0, nil, entitiesFromJSON(v.Baseline)))
		if _, err := b.Apply(full); err != nil {
			return err
		}
	}
	got, err := b.Apply(s)
	if err != nil {
		return err
	}
	if want := entitiesFromJSON(v.State); !sameEntities(got, want) {
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

func sameEntities(a, b []game.Entity) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func sameJSON(a, b []byte) bool {
	var x, y any
	dx, dy := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	dx.UseNumber()
	dy.UseNumber()
	return dx.Decode(&x) == nil && dy.Decode(&y) == nil && reflect.DeepEqual(x, y)
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

func TestGolden(t *testing.T) {
	if *update {
		writeVectors(t)
	}
	vs := loadVectors(t)
	if len(vs) == 0 {
		t.Fatal("no vectors")
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
			got, err := encodeVector(&v)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("encode:\n got  %x\n want %x", got, want)
			}
			value, err := decodeVector(&v, want)
			if err != nil {
				t.Fatal(err)
			}
			if !sameJSON(value, v.Value) {
				t.Errorf("decode:\n got  %s\n want %s", value, v.Value)
			}
		})
	}
}

// writeVectors regenerates the golden vectors from goldenCases, and the
// fuzz seed files from them.
func writeVectors(t *testing.T) {
	var vs []vector
	for _, c := range goldenCases() {
		v := vector{Name: c.name, Direction: "server", Hex: hex.EncodeToString(c.data)}
		if c.client {
			v.Direction = "client"
		}
		if c.snapshot {
			v.Baseline, v.State = entitiesJSON(c.base), entitiesJSON(c.state)
		}
		var err error
		if v.Value, err = decodeVector(&v, c.data); err != nil {
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

// writeFuzzSeeds writes a few seed files per fuzz target; f.Add covers the
// rest.
func writeFuzzSeeds(t *testing.T, vs []vector) {
	write := func(target, name string, args ...[]byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		s := "go test fuzz v1\n"
		for _, a := range args {
			s += fmt.Sprintf("[]byte(%q)\n", a)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range vs {
		data, _ := hex.DecodeString(v.Hex)
		switch v.Name {
		case "input", "chat-unicode", "ping-fraction":
			write("FuzzDecodeClient", v.Name, data)
		case "welcome", "snapshot-delta", "events":
			write("FuzzDecodeServer", v.Name, data)
		}
	}
	write("FuzzDecodeClient", "input-wide-ints", wideInts)
	write("FuzzDecodeClient", "ping-nan", []byte{0x92, 0x02, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1})
	write("FuzzDecodeServer", "snapshot-truncated", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x9c, 0x01})
	full := AppendSnapshot(nil, 7, 0, 3, nil, sceneA())
	delta := AppendSnapshot(nil, 9, 7, 4, sceneA(), sceneB())
	write("FuzzBaselinesApply", "full-then-delta", full, delta)
	write("FuzzBaselinesApply", "unknown-baseline", delta, full)
}
