package netcode

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/vmihailenco/msgpack/v5"
)

// TestAppendIntMatchesEncoder checks the hand-written integers and array
// headers against msgpack.Encoder's smallest forms at every boundary.
func TestAppendIntMatchesEncoder(t *testing.T) {
	var ref bytes.Buffer
	enc := msgpack.NewEncoder(&ref)
	var ints []int64
	for _, v := range []int64{0, 31, 32, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64} {
		ints = append(ints, v-1, v, v+1, -v-1, -v, -v+1)
	}
	ints = append(ints, math.MinInt8, math.MinInt16, math.MinInt32, math.MinInt64, math.MaxInt32)
	for _, v := range ints {
		ref.Reset()
		_ = enc.EncodeInt(v)
		if got := appendInt(nil, v); !bytes.Equal(got, ref.Bytes()) {
			t.Errorf("appendInt(%d) = %x, encoder writes %x", v, got, ref.Bytes())
		}
		if v >= 0 {
			ref.Reset()
			_ = enc.EncodeUint(uint64(v))
			if got := appendUint(nil, uint64(v)); !bytes.Equal(got, ref.Bytes()) {
				t.Errorf("appendUint(%d) = %x, encoder writes %x", v, got, ref.Bytes())
			}
		}
	}
	for _, n := range []int{0, 15, 16, 65535, 65536} {
		ref.Reset()
		_ = enc.EncodeArrayLen(n)
		if got := appendArrayLen(nil, n); !bytes.Equal(got, ref.Bytes()) {
			t.Errorf("appendArrayLen(%d) = %x, encoder writes %x", n, got, ref.Bytes())
		}
	}
}

func TestInsertArrayHeader(t *testing.T) {
	for _, n := range []int{0, 3, 15, 16, 300} {
		values := slices.Repeat([]byte{7}, n)
		got := insertArrayHeader(append([]byte("head"), values...), 4, n)
		want := append(appendArrayLen([]byte("head"), n), values...)
		if !bytes.Equal(got, want) {
			t.Errorf("%d values: %x, want %x", n, got, want)
		}
	}
}

func TestZigzag(t *testing.T) {
	for _, d := range []int32{0, -1, 1, -64, 63, 64, -65, math.MaxInt32, math.MinInt32} {
		z := zigzag(d)
		if unzigzag(z) != d {
			t.Errorf("unzigzag(zigzag(%d)) = %d", d, unzigzag(z))
		}
		if oneByte := d >= -64 && d <= 63; oneByte != (len(appendUint(nil, uint64(z))) == 1) {
			t.Errorf("difference %d: zigzag %d takes %d bytes", d, z, len(appendUint(nil, uint64(z))))
		}
	}
}

// TestSnapshotBaselineNotBefore: a baseline at or after tick cannot be
// named on the wire, so the snapshot goes in full.
func TestSnapshotBaselineNotBefore(t *testing.T) {
	c := MustCodec(arenaSchema())
	cur := View{World: arenaTick9()}
	for _, baseTick := range []uint32{9, 10} {
		s := mustDecodeSnapshot(c.AppendSnapshot(nil, 9, baseTick, 4, 1, View{World: arenaTick7()}, cur))
		var b Baselines
		b.Reset(c)
		got, err := b.Apply(s)
		if want := seenBy(c.Schema(), cur, 1); s.BaseTick != 0 || err != nil || !sameEntities(got, want) {
			t.Errorf("baseTick %d at tick 9: sent against %d, %v, %v", baseTick, s.BaseTick, err, got)
		}
	}
}

// TestProjectileSentOnce: once a client has a projectile, later snapshots
// do not mention it until it is removed.
func TestProjectileSentOnce(t *testing.T) {
	c := MustCodec(arenaSchema())
	shot := shot(arena.FirstShotID, 800, 800, 7200, 0, 0, 1, 3)
	me := player(1, 10, 0, 0, 0, 0, 100, 0, 0)
	first := []game.Entity{me, shot}
	me.V[arena.FieldX] += 50
	later := []game.Entity{me, shot}
	s := mustDecodeSnapshot(c.AppendSnapshot(nil, 9, 3, 4, 1, View{World: first}, View{World: later}))
	if len(s.Changes) != 1 || s.Changes[0].ID != 1 || s.Changes[0].Mask != 2 {
		t.Errorf("changes %+v, want only the player's x", s.Changes)
	}
}

// TestPrivateFields: a private field reaches only the player whose avatar
// holds it; everyone else reads 0 and is not sent its changes at all.
func TestPrivateFields(t *testing.T) {
	c := MustCodec(arenaSchema())
	base := []game.Entity{player(1, 800, 800, 240, -120, 0, 100, 0, 0), player(2, 900, 800, 960, 0, 0, 100, 0, 0)}
	cur := slices.Clone(base)
	cur[0].V[arena.FieldVX], cur[0].V[arena.FieldVY] = 480, 0 // only player 1's velocity changed
	for _, viewer := range []uint32{1, 2, 3} {
		var b Baselines
		b.Reset(c)
		full := mustDecodeSnapshot(c.AppendSnapshot(nil, 1, 0, 0, viewer, View{}, View{World: base}))
		got, err := b.Apply(full)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range got {
			vx := e.V[arena.FieldVX]
			if own := e.ID == viewer; own != (vx != 0) {
				t.Errorf("viewer %d reads player %d's vx as %d", viewer, e.ID, vx)
			}
		}
		delta := mustDecodeSnapshot(c.AppendSnapshot(nil, 2, 1, 0, viewer, View{World: base}, View{World: cur}))
		if sent := len(delta.Changes) > 0; sent != (viewer == 1) {
			t.Errorf("viewer %d: changes %+v after player 1's velocity changed", viewer, delta.Changes)
		}
		got, err = b.Apply(delta)
		if want := seenBy(c.Schema(), View{World: cur}, viewer); err != nil || !sameEntities(got, want) {
			t.Errorf("viewer %d: %v %v, want %v", viewer, err, got, want)
		}
	}
}

// TestSnapshotTick reads a snapshot's tick without decoding it, and
// nothing else.
func TestSnapshotTick(t *testing.T) {
	c := MustCodec(arenaSchema())
	for _, tick := range []uint32{1, 127, 128, 70000, math.MaxUint32} {
		if got, ok := SnapshotTick(c.AppendSnapshot(nil, tick, 0, 0, 1, View{}, View{World: arenaTick7()})); !ok || got != tick {
			t.Errorf("tick %d: %d, %v", tick, got, ok)
		}
	}
	for _, frame := range [][]byte{AppendPong(nil, Pong{Tick: 3}), {0x96, 0x0b}, {0x96, 0x0b, 0xc0}, nil} {
		if tick, ok := SnapshotTick(frame); ok {
			t.Errorf("%x: tick %d", frame, tick)
		}
	}
}
