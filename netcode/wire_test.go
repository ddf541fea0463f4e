package netcode

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"github.com/tickroom/tickroom/game"
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
	cur := sceneB()
	for _, baseTick := range []uint32{9, 10} {
		s := mustDecodeSnapshot(AppendSnapshot(nil, 9, baseTick, 4, sceneA(), cur))
		var b Baselines
		got, err := b.Apply(s)
		if s.BaseTick != 0 || err != nil || !sameEntities(got, cur) {
			t.Errorf("baseTick %d at tick 9: sent against %d, %v, %v", baseTick, s.BaseTick, err, got)
		}
	}
}

// TestProjectileSentOnce: once a client has a projectile, later snapshots
// do not mention it until it is removed.
func TestProjectileSentOnce(t *testing.T) {
	shot := game.Entity{ID: game.FirstShotID, Kind: game.KindProjectile, X: 800, Y: 800, VX: 7200, Owner: 1, Born: 3}
	me := game.Entity{ID: 1, Kind: game.KindPlayer, X: 10, HP: 100}
	first := []game.Entity{me, shot}
	me.X += 50
	later := []game.Entity{me, shot}
	s := mustDecodeSnapshot(AppendSnapshot(nil, 9, 3, 4, first, later))
	if len(s.Changes) != 1 || s.Changes[0].Entity.ID != 1 {
		t.Errorf("changes %+v, want only the player", s.Changes)
	}
}
