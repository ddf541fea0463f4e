package netcode

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/blobs"
)

// addSeeds adds the golden vectors of one direction, each also truncated
// and with a trailing byte, and a few oversized frames.
func addSeeds(f *testing.F, direction string) {
	for _, v := range loadVectors(f) {
		if v.Direction != direction {
			continue
		}
		data, err := hex.DecodeString(v.Hex)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
		f.Add(data[:len(data)-1])
		f.Add(append(slices.Clone(data), 0xc0))
	}
	f.Add([]byte{})
	f.Add([]byte{0xdd, 0xff, 0xff, 0xff, 0xff})                   // array32 of 4G elements
	f.Add([]byte{0x92, 0x03, 0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61}) // str32 of 2G bytes
	f.Add(AppendChat(nil, strings.Repeat("a", MaxFrameBytes+1)))
	f.Add([]byte{0x96, 0x0b, 0x02, 0x01, 0x00, 0xdd, 0x00, 0x01, 0x00, 0x00, 0x90})             // 65536 changes announced
	f.Add(welcomeWith(append(okSchema(), "world", kv{"a", raw{0xdf, 0x7f, 0xff, 0xff, 0xff}}))) // a world map of 2G entries
	f.Add(welcomeWith(append(okSchema(), "world", kv{"a", repeat(64, kv{"b", []any{kv{}}})})))  // small nested containers
}

// fuzzCodecs are the codecs FuzzDecodeClient reads every frame with: both
// built-in games' and the zoo's.
func fuzzCodecs() []*Codec {
	return []*Codec{MustCodec(arenaSchema()), MustCodec(blobs.New(blobs.Config{}).Schema()), MustCodec(zooSchema())}
}

// FuzzDecodeClient decodes every frame with the codec of the arena, of
// blobs and of the zoo. Whatever decodes re-encodes to a frame that decodes to the same
// message and encodes again to the same bytes; an input's fields are
// within their ranges, and the same input with any one field out of range
// is refused with an error that names the field.
func FuzzDecodeClient(f *testing.F) {
	addSeeds(f, "client")
	codecs := fuzzCodecs()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range codecs {
			var m ClientMessage
			if err := c.DecodeClient(data, &m); err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error does not wrap ErrMalformed: %v", err)
				}
				continue
			}
			again := encodeClient(c, &m)
			var m2 ClientMessage
			if err := c.DecodeClient(again, &m2); err != nil {
				t.Fatalf("%s: re-encoded %+v as %x: %v", c.Schema().Game, m, again, err)
			}
			if m2 != m {
				t.Fatalf("%s: round trip: %+v became %+v", c.Schema().Game, m, m2)
			}
			if !bytes.Equal(encodeClient(c, &m2), again) {
				t.Fatalf("%s: encoding of %+v is not stable", c.Schema().Game, m)
			}
			if m.Type == MsgInput {
				checkInputFields(t, c, m.Input)
			}
		}
	})
}

// checkInputFields checks that in, which decoded, is within its fields'
// ranges, and that each field set one past its range is refused by name.
func checkInputFields(t *testing.T, c *Codec, in game.Input) {
	t.Helper()
	fields := c.Schema().Input
	for i, f := range fields {
		if in.V[i] < f.Min || in.V[i] > f.Max {
			t.Fatalf("input: %s = %d decoded, outside %d..%d", f.Name, in.V[i], f.Min, f.Max)
		}
	}
	for i, f := range fields {
		for _, bad := range []int64{int64(f.Min) - 1, int64(f.Max) + 1} {
			b := appendArrayLen(nil, 2+len(fields))
			b = appendUint(b, uint64(MsgInput))
			b = appendUint(b, uint64(in.Seq))
			for j := range fields {
				v := int64(in.V[j])
				if j == i {
					v = bad
				}
				b = appendInt(b, v)
			}
			var m ClientMessage
			err := c.DecodeClient(b, &m)
			want := fmt.Sprintf("input: %s: %d out of range %d..%d", f.Name, bad, f.Min, f.Max)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), want) {
				t.Fatalf("%s out of range (%x): %v, want %q", f.Name, b, err, want)
			}
		}
	}
}

func encodeClient(c *Codec, m *ClientMessage) []byte {
	switch m.Type {
	case MsgInput:
		return c.AppendInput(nil, m.Input)
	case MsgPing:
		return AppendPing(nil, m.ClientTime)
	case MsgChat:
		return AppendChat(nil, m.Text)
	}
	return AppendLeave(nil)
}

// maxDecodeAlloc is the most DecodeServer may allocate for a frame of n
// bytes: a fixed multiple of the frame, so no length or count in a frame
// makes it allocate more than its bytes could fill. The worst frames known
// are in TestDecodeServerAllocatesInProportion.
func maxDecodeAlloc(n int) uint64 { return 256*uint64(n) + 64<<10 }

// TestDecodeServerAllocatesInProportion decodes the frames that make
// DecodeServer allocate the most per byte: a snapshot of MaxEntities
// unchanged entities (2 bytes each on the wire, an EntityChange of 120
// bytes decoded: about 230 bytes allocated per byte of frame), worlds of
// tiny maps and arrays (up to about 140 per byte, so a welcome of
// MaxWelcomeBytes can cost a client some 36 MB), and frames announcing
// far more than they hold. Each stays within maxDecodeAlloc.
func TestDecodeServerAllocatesInProportion(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	world := func(v any) []byte { return welcomeWith(append(okSchema(), "world", kv{"a", v})) }
	frames := map[string][]byte{
		"4096 unchanged entities": mp(raw{0x96, 0x0b, 0x05, 0x00, 0x00}, unchanged(MaxEntities), []any{}),
		"4096 removals":           mp(raw{0x96, 0x0b, 0x05, 0x00, 0x00}, []any{}, repeat(MaxEntities, 1)),
		"256 events":              mp(raw{0x92, 0x0d}, repeat(MaxEventsBatch, []any{1, 1, 0, 0, ""})),
		"256 roster entries":      mp(raw{0x9e}, 10, 1, "r", 20, 10, 0, 0, "t", 0, 0, repeat(MaxRoster, []any{1, "", 0}), "g", "", okSchema()),
		"world of empty maps":     world(repeat(60000, kv{})),
		"world of maps of maps":   world(repeat(20000, kv{"", kv{}})),
		"world of empty arrays":   world(repeat(60000, []any{})),
		"world of nils":           world(repeat(MaxWorldValues-2, nil)),
		"world map announced":     world(raw{0xdf, 0x7f, 0xff, 0xff, 0xff}),
		"changes announced":       []byte{0x96, 0x0b, 0x02, 0x01, 0x00, 0xdd, 0x7f, 0xff, 0xff, 0xff, 0x90},
	}
	for name, data := range frames {
		var m ServerMessage
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		err := DecodeServer(data, &m)
		runtime.ReadMemStats(&ms1)
		a := ms1.TotalAlloc - ms0.TotalAlloc
		t.Logf("%s: %d bytes, %v: %d allocated, %.0f per byte", name, len(data), err, a, float64(a)/float64(len(data)))
		if a > maxDecodeAlloc(len(data)) {
			t.Errorf("%s: %d bytes allocated for a frame of %d", name, a, len(data))
		}
	}
}

// FuzzDecodeServer decodes any frame without a schema. It never allocates
// more than maxDecodeAlloc; a welcome it accepts holds no more than the
// limits allow (MaxWelcomeBytes, MaxWorldDepth, MaxWorldValues) and a
// schema NewCodec accepts; and whatever decodes re-encodes to a frame that
// decodes to the same message and encodes again to the same bytes.
//
// Each run reads runtime.MemStats twice, which stops the world, so
// minimizing a new input can take most of a short -fuzztime (the
// execution count stands still meanwhile); -fuzzminimizetime 3s keeps
// it fuzzing.
func FuzzDecodeServer(f *testing.F) {
	addSeeds(f, "server")
	f.Fuzz(func(t *testing.T, data []byte) {
		var m ServerMessage
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		err := DecodeServer(data, &m)
		runtime.ReadMemStats(&ms1)
		if a := ms1.TotalAlloc - ms0.TotalAlloc; a > maxDecodeAlloc(len(data)) {
			t.Fatalf("a frame of %d bytes made DecodeServer allocate %d bytes", len(data), a)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if m.Type == MsgWelcome {
			checkWelcomeLimits(t, len(data), &m.Welcome)
		}
		again := encodeServer(&m)
		if m.Type == MsgWelcome && len(again) > MaxWelcomeBytes {
			return // floats re-encoded as float64 can grow a welcome past the limit
		}
		var m2 ServerMessage
		if err := DecodeServer(again, &m2); err != nil {
			t.Fatalf("re-encoded as %x: %v", again, err)
		}
		if !sameServer(&m, &m2) {
			t.Fatalf("round trip:\n %+v\n became %+v", m, m2)
		}
		if !bytes.Equal(encodeServer(&m2), again) {
			t.Fatal("encoding is not stable")
		}
	})
}

// checkWelcomeLimits checks that a decoded welcome is within the limits.
func checkWelcomeLimits(t *testing.T, size int, w *Welcome) {
	t.Helper()
	if size > MaxWelcomeBytes {
		t.Fatalf("a welcome of %d bytes decoded", size)
	}
	if _, err := NewCodec(w.Schema); err != nil {
		t.Fatalf("a decoded schema makes no codec: %v", err)
	}
	values, depth := worldSize(w.Schema.World, 0)
	if w.Schema.World != nil && (values > MaxWorldValues || depth > MaxWorldDepth) {
		t.Fatalf("a world of %d values nested %d deep decoded", values, depth)
	}
}

// worldSize counts the values in v and how deep they nest.
func worldSize(v any, depth int) (values, deepest int) {
	values, deepest = 1, depth
	var kids []any
	switch v := v.(type) {
	case []any:
		kids = v
	case map[string]any:
		for _, x := range v {
			kids = append(kids, x)
		}
	}
	for _, x := range kids {
		n, d := worldSize(x, depth+1)
		values += n
		deepest = max(deepest, d)
	}
	return values, deepest
}

func encodeServer(m *ServerMessage) []byte {
	switch m.Type {
	case MsgWelcome:
		return AppendWelcome(nil, &m.Welcome)
	case MsgSnapshot:
		return appendSnapshotMsg(nil, &m.Snapshot)
	case MsgPong:
		return AppendPong(nil, m.Pong)
	case MsgEvents:
		return AppendEvents(nil, m.Events)
	}
	return AppendError(nil, m.Error)
}

// sameServer compares two decoded server messages: snapshots as they
// travel, the rest by their JSON model (world numbers by value: an
// integer-valued float travels as an integer).
func sameServer(a, b *ServerMessage) bool {
	if a.Type == MsgSnapshot {
		return b.Type == MsgSnapshot && reflect.DeepEqual(serverJSON(a, nil), serverJSON(b, nil))
	}
	ja, err1 := json.Marshal(serverJSON(a, nil))
	jb, err2 := json.Marshal(serverJSON(b, nil))
	return err1 == nil && err2 == nil && sameJSON(ja, jb)
}

// FuzzBaselinesApply applies two snapshot frames in a row with the
// arena's schema or the zoo's. Apply never panics and refuses with an
// error wrapping ErrMalformed (or ErrUnknownBaseline) whatever does not
// fit; whatever it accepts is sorted, within limits, of declared kinds and
// within each field's type, and reproducible: encoding it against the same
// baseline and applying that gives the same state.
func FuzzBaselinesApply(f *testing.F) {
	ac, zc := MustCodec(arenaSchema()), MustCodec(zooSchema())
	afull := ac.AppendSnapshot(nil, 7, 0, 3, 1, View{}, View{World: arenaTick7()})
	adelta := ac.AppendSnapshot(nil, 9, 7, 4, 1, View{World: arenaTick7()}, View{World: arenaTick9()})
	zfull := zc.AppendSnapshot(nil, 100, 0, 3, 1, View{}, View{World: zooTick100()})
	zdelta := zc.AppendSnapshot(nil, 103, 100, 4, 2, View{World: zooTick100()}, View{World: zooTick103()})
	f.Add(false, afull, adelta)
	f.Add(false, adelta, afull)
	f.Add(false, afull, ac.AppendSnapshot(nil, 8, 7, 4, 1, View{World: arenaTick7()}, View{}))
	f.Add(false, afull, adelta[:len(adelta)-2])
	f.Add(true, zfull, zdelta)
	f.Add(true, afull, adelta)
	f.Add(false, zfull, zdelta)
	f.Add(true, zc.AppendSnapshot(nil, 1, 0, 0, 0, View{}, View{World: []game.Entity{mark(0), mark(math.MaxUint32)}}),
		zc.AppendSnapshot(nil, 2, 1, 0, 0, View{World: []game.Entity{mark(0), mark(math.MaxUint32)}}, View{}))
	open := map[bool]*Codec{false: openCodec(ac.Schema()), true: openCodec(zc.Schema())}
	codecs := map[bool]*Codec{false: ac, true: zc}
	f.Fuzz(func(t *testing.T, zoo bool, first, second []byte) {
		c := codecs[zoo]
		var b Baselines
		b.Reset(c)
		var prev []game.Entity
		var prevTick uint32
		for _, data := range [][]byte{first, second} {
			var m ServerMessage
			if DecodeServer(data, &m) != nil || m.Type != MsgSnapshot {
				continue
			}
			s := &m.Snapshot
			got, err := b.Apply(s)
			if err != nil {
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownBaseline) {
					t.Fatalf("unexpected error: %v", err)
				}
				continue
			}
			checkState(t, c.Schema(), got)
			var base []game.Entity
			if s.BaseTick != 0 {
				if s.BaseTick != prevTick {
					t.Fatalf("applied against tick %d, only %d was kept", s.BaseTick, prevTick)
				}
				base = prev
			}
			if got2, err := reapply(open[zoo], s, base, got); err != nil || !sameEntities(got, got2) {
				t.Fatalf("re-encoded state differs: %v\n %v\n %v", err, got, got2)
			}
			prev, prevTick = slices.Clone(got), s.Tick
		}
	})
}

// openCodec is the codec of s with no private fields, which encodes any
// state as it is.
func openCodec(s *game.Schema) *Codec {
	o := *s
	o.Kinds = slices.Clone(s.Kinds)
	for i := range o.Kinds {
		o.Kinds[i].Fields = slices.Clone(o.Kinds[i].Fields)
		for j := range o.Kinds[i].Fields {
			o.Kinds[i].Fields[j].Private = false
		}
	}
	return MustCodec(&o)
}

// reapply encodes state against base at s's ticks and applies it to base.
func reapply(c *Codec, s *Snapshot, base, state []game.Entity) ([]game.Entity, error) {
	var b Baselines
	b.Reset(c)
	if s.BaseTick != 0 {
		if _, err := b.Apply(mustDecodeSnapshot(c.AppendSnapshot(nil, s.BaseTick, 0, 0, 0, View{}, View{World: base}))); err != nil {
			return nil, err
		}
	}
	return b.Apply(mustDecodeSnapshot(c.AppendSnapshot(nil, s.Tick, s.BaseTick, s.AckSeq, 0, View{World: base}, View{World: state})))
}

func checkState(t *testing.T, s *game.Schema, ents []game.Entity) {
	t.Helper()
	if len(ents) > MaxEntities {
		t.Fatalf("%d entities", len(ents))
	}
	for i := range ents {
		if i > 0 && ents[i].ID <= ents[i-1].ID {
			t.Fatalf("ids not ascending at %d: %d after %d", i, ents[i].ID, ents[i-1].ID)
		}
		if err := s.CheckEntity(&ents[i]); err != nil {
			t.Fatalf("accepted an entity the schema does not allow: %v", err)
		}
	}
}

// FuzzSnapshotRoundTrip makes a random valid schema from seed and two
// worlds of its entities from data (values often at their types'
// extremes, kinds changing, entities coming and going), and checks that
// the welcome carries the schema exactly, and that a full snapshot of the
// first world and a delta to the second, as a random viewer sees them,
// decode to exactly what that viewer sees and re-encode to the same bytes.
func FuzzSnapshotRoundTrip(f *testing.F) {
	f.Add(uint64(0), []byte{})
	f.Add(uint64(1), []byte{1, 2, 0, 3, 1, 2, 0xff, 0x80, 0, 0, 0, 1})
	f.Add(uint64(7), bytes.Repeat([]byte{1}, 64))
	f.Add(uint64(42), bytes.Repeat([]byte{0xff, 0, 4, 1}, 40))
	f.Fuzz(func(t *testing.T, seed uint64, data []byte) {
		src := &fuzzSource{b: data, r: rand.New(rand.NewPCG(seed, 11))}
		s := randomSchema(src.r)
		c, err := NewCodec(s)
		if err != nil {
			t.Fatalf("random schema refused: %v\n%+v", err, s)
		}
		checkSchemaTravels(t, s)

		base := src.world(s, nil)
		cur := src.world(s, base)
		viewer := src.viewer(base, cur)
		t1 := 1 + src.u32()%(math.MaxUint32-1)
		t2 := t1 + 1 + src.u32()%(math.MaxUint32-t1)
		bv, cv := src.seen(base), src.seen(cur)
		var b Baselines
		b.Reset(c)
		for _, step := range []struct {
			tick, baseTick uint32
			from, to       View
		}{{t1, 0, View{}, bv}, {t2, t1, bv, cv}} {
			frame := c.AppendSnapshot(nil, step.tick, step.baseTick, 0, viewer, step.from, step.to)
			snap := mustDecodeSnapshot(frame)
			if again := appendSnapshotMsg(nil, snap); !bytes.Equal(again, frame) {
				t.Fatalf("tick %d: decoded and re-encoded:\n %x\n %x", step.tick, again, frame)
			}
			got, err := b.Apply(snap)
			if err != nil {
				t.Fatalf("tick %d: %v", step.tick, err)
			}
			if want := seenBy(s, step.to, viewer); !sameEntities(got, want) {
				t.Fatalf("tick %d (base %d) viewer %d:\n got  %v\n want %v", step.tick, step.baseTick, viewer, got, want)
			}
		}
	})
}

// checkSchemaTravels checks that a welcome carries s exactly: kinds,
// input and events as they were (a scale of 1 is left out, so it reads
// as 0, which means 1), the world as the same values.
func checkSchemaTravels(t *testing.T, s *game.Schema) {
	t.Helper()
	frame := AppendWelcome(nil, &Welcome{TickRate: 1, Schema: s})
	var m ServerMessage
	if err := DecodeServer(frame, &m); err != nil {
		t.Fatalf("welcome of a valid schema: %v", err)
	}
	got, want := *m.Welcome.Schema, *s
	got.World, want.World = nil, nil
	want.Kinds = slices.Clone(want.Kinds)
	for i := range want.Kinds {
		want.Kinds[i].Fields = slices.Clone(want.Kinds[i].Fields)
		for j := range want.Kinds[i].Fields {
			if want.Kinds[i].Fields[j].Scale == 1 {
				want.Kinds[i].Fields[j].Scale = 0
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("schema changed on the way:\n got  %+v\n want %+v", got, want)
	}
	if len(s.World) == 0 {
		// No world travels as an empty one, and decodes as none.
		if m.Welcome.Schema.World != nil {
			t.Fatalf("no world became %v on the way", m.Welcome.Schema.World)
		}
	} else {
		a, err1 := json.Marshal(m.Welcome.Schema.World)
		b, err2 := json.Marshal(s.World)
		if err1 != nil || err2 != nil || !sameJSON(a, b) {
			t.Fatalf("world changed on the way: %v %v\n %s\n %s", err1, err2, a, b)
		}
	}
	if again := AppendWelcome(nil, &m.Welcome); !bytes.Equal(again, frame) {
		t.Fatalf("welcome not canonical:\n %x\n %x", again, frame)
	}
}

// fuzzSource draws from the fuzzer's bytes, then from a seeded generator
// once they run out, so every input is deterministic.
type fuzzSource struct {
	b []byte
	r *rand.Rand
}

func (s *fuzzSource) byte() byte {
	if len(s.b) == 0 {
		return byte(s.r.Uint32())
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c
}

func (s *fuzzSource) u32() uint32 {
	return uint32(s.byte())<<24 | uint32(s.byte())<<16 | uint32(s.byte())<<8 | uint32(s.byte())
}

// value returns a value of type t, as Entity.V holds it: an extreme, zero,
// a small one, or any.
func (s *fuzzSource) value(t game.Type) int32 {
	lo, hi := t.Range()
	var v int64
	switch s.byte() % 5 {
	case 0:
		v = lo
	case 1:
		v = hi
	case 2:
		v = 0
	case 3:
		v = min(max(int64(int8(s.byte())), lo), hi)
	default:
		v = lo + int64(s.u32())%(hi-lo+1)
	}
	return int32(v) // a u32 keeps its bit pattern
}

func (s *fuzzSource) entity(sc *game.Schema, id uint32) game.Entity {
	k := &sc.Kinds[int(s.byte())%len(sc.Kinds)]
	e := game.Entity{ID: id, Kind: k.ID}
	for i, f := range k.Fields {
		e.V[i] = s.value(f.Type)
	}
	return e
}

// world makes a world of sc's entities; from a previous one, it keeps,
// changes, re-kinds or drops each of its entities and adds new ones.
func (s *fuzzSource) world(sc *game.Schema, prev []game.Entity) []game.Entity {
	var out []game.Entity
	for _, e := range prev {
		switch s.byte() % 6 {
		case 0: // gone
			continue
		case 1: // another kind under the same id
			e = s.entity(sc, e.ID)
		case 2, 3: // some fields change
			k := sc.KindByID(e.Kind)
			for i, f := range k.Fields {
				if s.byte()%2 == 0 {
					e.V[i] = s.value(f.Type)
				}
			}
		}
		out = append(out, e)
	}
	id := uint64(0)
	for range int(s.byte() % 8) {
		switch s.byte() % 4 {
		case 0:
			id += uint64(s.u32())
		default:
			id += uint64(s.byte())
		}
		if id > math.MaxUint32 {
			break
		}
		if !slices.ContainsFunc(out, func(e game.Entity) bool { return uint64(e.ID) == id }) {
			out = append(out, s.entity(sc, uint32(id)))
		}
		id++
	}
	slices.SortFunc(out, func(a, b game.Entity) int { return int(int64(a.ID) - int64(b.ID)) })
	return out
}

// viewer picks one of the worlds' ids (so private fields show) or any.
func (s *fuzzSource) viewer(a, b []game.Entity) uint32 {
	all := append(slices.Clone(a), b...)
	if n := s.byte(); len(all) > 0 && n%4 != 0 {
		return all[int(n)%len(all)].ID
	}
	return s.u32()
}

// seen returns a view of world with some entities, or all, in view.
func (s *fuzzSource) seen(world []game.Entity) View {
	if s.byte()%4 == 0 {
		return View{World: world}
	}
	var idx []int32
	for i := range world {
		if s.byte()%4 != 0 {
			idx = append(idx, int32(i))
		}
	}
	return View{World: world, Seen: SetSeen(nil, len(world), idx)}
}

// randomSchema returns a valid schema: 1 to 5 kinds of up to MaxFields
// fields of any type and delta, private or not, inputs with any ranges,
// game events and a small world.
func randomSchema(r *rand.Rand) *game.Schema {
	s := &game.Schema{Game: fmt.Sprintf("g%d", r.IntN(100))}
	ids := r.Perm(255)
	for i := range 1 + r.IntN(5) {
		k := game.Kind{ID: uint8(ids[i] + 1), Name: fmt.Sprintf("kind%d", i)}
		for j := range r.IntN(game.MaxFields + 1) {
			f := game.Field{Name: fmt.Sprintf("f%d", j), Type: game.Type(1 + r.IntN(6)), Delta: game.Delta(1 + r.IntN(2))}
			if f.Type == game.Uint32 && r.IntN(3) == 0 {
				f.Delta = game.Age
			}
			f.Scale = []float64{0, 1, 8, 0.125, 65536, 1e-3}[r.IntN(6)]
			f.Unit = []string{"", "px", "1/65536 turn", "✓"}[r.IntN(4)]
			f.Interp, f.Private = r.IntN(2) == 0, r.IntN(3) == 0
			k.Fields = append(k.Fields, f)
		}
		s.Kinds = append(s.Kinds, k)
	}
	for i := range r.IntN(game.MaxInputFields + 1) {
		a, b := int32(r.Uint32()), int32(r.Uint32())
		if r.IntN(3) == 0 {
			a, b = int32(r.IntN(3)-1), int32(r.IntN(3)-1)
		}
		s.Input = append(s.Input, game.InputField{Name: fmt.Sprintf("in%d", i), Min: min(a, b), Max: max(a, b)})
	}
	for i := range r.IntN(4) {
		s.Events = append(s.Events, game.EventDef{Kind: game.FirstGameEvent + game.EventKind(i*7), Name: fmt.Sprintf("ev%d", i), A: "a"})
	}
	if r.IntN(4) != 0 {
		s.World = randomValue(r, 0).(map[string]any)
	}
	return s
}

// randomValue returns world data: a map at depth 0, then anything.
func randomValue(r *rand.Rand, depth int) any {
	n := r.IntN(10)
	if depth == 0 {
		n = 9
	}
	if depth >= 4 && n >= 7 {
		n = r.IntN(7)
	}
	switch n {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return int64(r.Uint64())
	case 3:
		return r.Uint64()
	case 4:
		return r.NormFloat64() * 1e3
	case 5:
		return fmt.Sprintf("s%d ✓", r.IntN(1000))
	case 6:
		return float64(r.IntN(100)) // integer-valued: travels as an integer
	case 7, 8:
		a := make([]any, r.IntN(4))
		for i := range a {
			a[i] = randomValue(r, depth+1)
		}
		return a
	}
	m := map[string]any{}
	for range r.IntN(5) {
		m[fmt.Sprintf("k%d", r.IntN(20))] = randomValue(r, depth+1)
	}
	return m
}
