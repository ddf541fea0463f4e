package netcode

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tickroom/tickroom/game"
)

// world is a random world of a schema's entities that changes every tick.
type world struct {
	s      *game.Schema
	rng    *rand.Rand
	ents   []game.Entity
	nextID uint32
}

// value returns a value of type t: often an extreme, often small.
func (w *world) value(t game.Type) int32 {
	lo, hi := t.Range()
	switch w.rng.IntN(6) {
	case 0:
		return int32(lo)
	case 1:
		return int32(hi) // a u32's bit pattern
	case 2:
		return 0
	}
	return int32(lo + w.rng.Int64N(hi-lo+1))
}

func (w *world) randomEntity(id uint32) game.Entity {
	k := &w.s.Kinds[w.rng.IntN(len(w.s.Kinds))]
	e := game.Entity{ID: id, Kind: k.ID}
	if w.rng.IntN(10) != 0 { // else all zero but present
		for i, f := range k.Fields {
			e.V[i] = w.value(f.Type)
		}
	}
	return e
}

// step moves, changes, removes and adds entities, changes some kinds, and
// sometimes brings back a removed id.
func (w *world) step() {
	r := w.rng
	next := w.ents[:0:0]
	for _, e := range w.ents {
		k := w.s.KindByID(e.Kind)
		switch r.IntN(20) {
		case 0: // left
			continue
		case 1: // another kind under the same id
			e = w.randomEntity(e.ID)
		case 2, 3: // some fields jump anywhere, to extremes included
			for i, f := range k.Fields {
				if r.IntN(3) == 0 {
					e.V[i] = w.value(f.Type)
				}
			}
		}
		for i, f := range k.Fields { // small moves, kept in range
			if e.Kind == k.ID && r.IntN(2) == 0 {
				lo, hi := f.Type.Range()
				if v := f.Type.Value(e.V[i]) + int64(r.IntN(9)-4); v >= lo && v <= hi {
					e.V[i] = int32(v)
				}
			}
		}
		next = append(next, e)
	}
	for range r.IntN(4) {
		w.nextID += 1 + uint32(r.IntN(300))
		next = append(next, w.randomEntity(w.nextID))
	}
	if r.IntN(5) == 0 && w.nextID > 0 { // an old id comes back
		id := uint32(r.IntN(int(w.nextID)))
		if !slices.ContainsFunc(next, func(e game.Entity) bool { return e.ID == id }) {
			next = append(next, w.randomEntity(id))
		}
	}
	slices.SortFunc(next, func(a, b game.Entity) int { return int(int64(a.ID) - int64(b.ID)) })
	w.ents = next
}

// view picks at random what the viewer sees of the world: usually most of
// it, sometimes all of it without seen bits.
func (w *world) view() View {
	v := View{World: slices.Clone(w.ents)}
	if w.rng.IntN(5) == 0 {
		return v
	}
	var idx []int32
	for i := range v.World {
		if w.rng.IntN(8) != 0 {
			idx = append(idx, int32(i))
		}
	}
	v.Seen = SetSeen(nil, len(v.World), idx)
	return v
}

// TestSnapshotRoundTrip encodes a random world of every field type and
// delta each tick, as one player sees it, against the previous snapshot,
// an older one (the server skipped some) or none (full, as after a
// reconnect), sends only some ticks, and checks that the client's
// Baselines rebuild exactly what the player sees: its own avatar's private
// fields, zero for everyone else's.
func TestSnapshotRoundTrip(t *testing.T) {
	for _, s := range []*game.Schema{zooSchema(), arenaSchema()} {
		c := MustCodec(s)
		for seed := range uint64(20) {
			w := &world{s: s, rng: rand.New(rand.NewPCG(seed, 1))}
			viewer := uint32(1 + seed%3)
			w.ents = []game.Entity{w.randomEntity(viewer)}
			w.nextID = 3
			history := map[uint32]View{} // what the server sent, by tick
			var sent []uint32            // ticks sent, oldest first
			var client Baselines
			client.Reset(c)
			var m ServerMessage
			var buf []byte
			for tick := uint32(1); tick <= 400; tick++ {
				w.step()
				if w.rng.IntN(6) == 0 {
					continue // the server skipped this tick for a slow reader
				}
				baseTick := pickBaseline(w.rng, sent)
				if w.rng.IntN(40) == 0 {
					client.Reset(c) // reconnect
					sent, baseTick = sent[:0], 0
				}
				cur := w.view()
				buf = c.AppendSnapshot(buf[:0], tick, baseTick, tick*3, viewer, history[baseTick], cur)
				if err := DecodeServer(buf, &m); err != nil {
					t.Fatalf("%s seed %d tick %d: %v", s.Game, seed, tick, err)
				}
				got, err := client.Apply(&m.Snapshot)
				if err != nil {
					t.Fatalf("%s seed %d tick %d base %d: %v", s.Game, seed, tick, baseTick, err)
				}
				if want := seenBy(s, cur, viewer); !sameEntities(got, want) {
					t.Fatalf("%s seed %d tick %d base %d:\n got  %v\n want %v", s.Game, seed, tick, baseTick, got, want)
				}
				history[tick] = cur
				sent = append(sent, tick)
			}
		}
	}
}

func TestBaselinesForget(t *testing.T) {
	c := MustCodec(arenaSchema())
	var b Baselines
	b.Reset(c)
	for tick := uint32(1); tick <= baselineDepth+1; tick++ {
		if _, err := b.Apply(&Snapshot{Tick: tick}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Apply(&Snapshot{Tick: 100, BaseTick: 1}); !errors.Is(err, ErrUnknownBaseline) {
		t.Errorf("tick 1 after %d snapshots: %v, want ErrUnknownBaseline", baselineDepth+1, err)
	}
	if _, err := b.Apply(&Snapshot{Tick: 100, BaseTick: 2}); err != nil {
		t.Errorf("tick 2, the oldest kept: %v", err)
	}
	b.Reset(c)
	if _, err := b.Apply(&Snapshot{Tick: 101, BaseTick: 100}); !errors.Is(err, ErrUnknownBaseline) {
		t.Errorf("after Reset: %v, want ErrUnknownBaseline", err)
	}
}

func TestBaselinesBeforeReset(t *testing.T) {
	var b Baselines
	if _, err := b.Apply(&Snapshot{Tick: 1}); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "before a welcome") {
		t.Errorf("Apply before Reset: %v", err)
	}
}

// TestBaselinesRejectInconsistent: changes that do not fit their baseline
// or their schema are refused, naming the entity and the field.
func TestBaselinesRejectInconsistent(t *testing.T) {
	c := MustCodec(zooSchema())
	full := mustDecodeSnapshot(c.AppendSnapshot(nil, 7, 0, 0, 1, View{}, View{World: zooTick100()}))
	// ch is a change with the values v of the fields mask selects, in order.
	ch := func(id uint32, mask uint16, kind uint8, v ...int64) EntityChange {
		e := EntityChange{ID: id, Mask: mask, Kind: kind}
		for i := range game.MaxFields {
			if mask&(2<<i) != 0 {
				e.V[i], v = v[0], v[1:]
			}
		}
		return e
	}
	bit := func(i int) uint16 { return 2 << i }
	tests := []struct {
		name string
		s    Snapshot
		want string
	}{
		{"removed id not in baseline", Snapshot{Tick: 8, BaseTick: 7, Removed: []uint32{3}}, "removed id 3 not in baseline"},
		{"removed id past baseline", Snapshot{Tick: 8, BaseTick: 7, Removed: []uint32{301}}, "removed id 301 not in baseline"},
		{"removed and changed", Snapshot{Tick: 8, BaseTick: 7, Removed: []uint32{2},
			Changes: []EntityChange{ch(2, bit(5), 0, 1)}}, "removed id 2"},
		{"removed new entity", Snapshot{Tick: 8, BaseTick: 7, Removed: []uint32{5},
			Changes: []EntityChange{ch(5, 1, zooMark)}}, "removed id 5"},
		{"changes out of order", Snapshot{Tick: 8, BaseTick: 7,
			Changes: []EntityChange{ch(5, 1, zooMark), ch(5, 1, zooMark)}}, "not ascending"},
		{"baseTick after tick", Snapshot{Tick: 6, BaseTick: 7}, "baseTick 7 not before tick 6"},
		{"new entity without a kind", Snapshot{Tick: 8, BaseTick: 7, Changes: []EntityChange{ch(5, 0, 0)}}, "entity 5: kind 0 not in the schema"},
		{"kind not in the schema", Snapshot{Tick: 8, BaseTick: 7, Changes: []EntityChange{ch(1, 1, 9)}}, "entity 1: kind 9 not in the schema"},
		{"field the kind lacks", Snapshot{Tick: 8, BaseTick: 7, Changes: []EntityChange{ch(300, bit(0), 0, 1)}}, "entity 300 (mark): mask 0x2 names fields the kind does not have"},
		{"field 8 of a buoy", Snapshot{Tick: 8, BaseTick: 7, Changes: []EntityChange{ch(7, bit(7), 0, 1)}}, "entity 7 (buoy): mask 0x100"},
		{"diff leaves u8", Snapshot{Tick: 8, BaseTick: 7, Changes: []EntityChange{ch(7, bit(3), 0, 2)}}, "entity 7: ping: 256 outside u8"},
		{"diff leaves i8", Snapshot{Tick: 8, BaseTick: 7, Changes: []EntityChange{ch(7, bit(2), 0, 1)}}, "entity 7: tilt: -129 outside i8"},
		{"diff leaves u16", Snapshot{Tick: 8, BaseTick: 7, Changes: []EntityChange{ch(1, bit(3), 0, zz(65536))}}, "entity 1: fuel: 70536 outside u16"},
		{"diff not a zigzag u32", Snapshot{Tick: 8, BaseTick: 7, Changes: []EntityChange{ch(1, bit(0), 0, -1)}}, "entity 1: x: difference -1 is not a zigzag u32"},
		{"value over i8", Snapshot{Tick: 8, BaseTick: 7, Changes: []EntityChange{ch(1, bit(4), 0, 128)}}, "entity 1: trim: 128 outside i8"},
		{"value under u8", Snapshot{Tick: 8, BaseTick: 7, Changes: []EntityChange{ch(1, bit(5), 0, -1)}}, "entity 1: team: -1 outside u8"},
		{"value under u32", Snapshot{Tick: 8, BaseTick: 7, Changes: []EntityChange{ch(1, bit(6), 0, -1)}}, "entity 1: cash: -1 outside u32"},
		{"value over i16", Snapshot{Tick: 8, BaseTick: 7, Changes: []EntityChange{ch(7, bit(5), 0, 32768)}}, "entity 7: depth: 32768 outside i16"},
		{"value over i32", Snapshot{Tick: 8, BaseTick: 7, Changes: []EntityChange{ch(7, bit(0), 0, 1<<31)}}, "entity 7: x: 2147483648 outside i32"},
		{"negative age", Snapshot{Tick: 8, BaseTick: 7, Changes: []EntityChange{ch(1, bit(7), 0, -1)}}, "entity 1: born: age -1 out of range"},
		{"new kind's field out of range", Snapshot{Tick: 8, BaseTick: 7, Changes: []EntityChange{ch(300, 1|bit(3), zooBuoy, zz(-1))}}, "entity 300: ping: -1 outside u8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Baselines
			b.Reset(c)
			if _, err := b.Apply(full); err != nil {
				t.Fatal(err)
			}
			_, err := b.Apply(&tt.s)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Apply = %v, want ErrMalformed with %q", err, tt.want)
			}
		})
	}
}

// zz is the wire form of a difference d.
func zz(d int32) int64 { return int64(zigzag(d)) }

// TestApplyReadsDeltas applies one change of each delta by hand: a diff
// adds with 32-bit wrapping (a u32 wraps past 2³²−1), an age is counted
// back from the snapshot's tick, and a kind bit starts the entity again
// from zero as its new kind.
func TestApplyReadsDeltas(t *testing.T) {
	c := MustCodec(zooSchema())
	var b Baselines
	b.Reset(c)
	if _, err := b.Apply(mustDecodeSnapshot(c.AppendSnapshot(nil, 7, 0, 0, 1, View{}, View{World: zooTick100()}))); err != nil {
		t.Fatal(err)
	}
	got, err := b.Apply(&Snapshot{Tick: 10, BaseTick: 7, Changes: []EntityChange{
		{ID: 1, Mask: 2<<0 | 2<<7, V: [game.MaxFields]int64{0: zz(-5), 7: 4}},          // x −5; born: age 4 at tick 10
		{ID: 7, Mask: 2<<2 | 2<<4, V: [game.MaxFields]int64{2: zz(255), 4: zz(2)}},     // tilt −128+255; serial 2³²−1 + 2
		{ID: 9, Mask: 1 | 2<<1, Kind: zooShip, V: [game.MaxFields]int64{1: zz(-1000)}}, // now a ship, y against 0
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := seenBy(c.Schema(), View{World: zooTick100()}, 1)
	want[0].V[0], want[0].V[7] = 1595, 6
	want[2].V[2], want[2].V[4] = 127, 1
	want[3] = game.Entity{ID: 9, Kind: zooShip, V: [game.MaxFields]int32{1: -1000}}
	if !sameEntities(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestNewZeroEntityIsSent(t *testing.T) {
	c := MustCodec(zooSchema())
	cur := []game.Entity{buoy(5, 0, 0, 0, 0, 0, 0, 0), mark(6)}
	s := mustDecodeSnapshot(c.AppendSnapshot(nil, 3, 0, 0, 0, View{}, View{World: cur}))
	var b Baselines
	b.Reset(c)
	got, err := b.Apply(s)
	if err != nil || !sameEntities(got, cur) || len(s.Changes) != 2 || s.Changes[0].Mask != 1 {
		t.Errorf("got %v, %v from %+v; want %v", got, err, s.Changes, cur)
	}
}
