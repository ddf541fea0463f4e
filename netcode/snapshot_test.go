package netcode

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tickroom/tickroom/game"
)

// world is a random scene that changes every tick.
type world struct {
	rng    *rand.Rand
	ents   []game.Entity
	nextID uint32
}

func (w *world) randomEntity(id uint32) game.Entity {
	r := w.rng
	e := game.Entity{ID: id, Kind: game.Kind(1 + r.IntN(2)), X: r.Int32N(16000), Y: r.Int32N(12000)}
	if r.IntN(2) == 0 {
		e.VX, e.VY = r.Int32N(8000)-4000, r.Int32N(8000)-4000
	}
	if e.Kind == game.KindPlayer {
		e.HP, e.Score = uint8(r.IntN(101)), r.Int32N(40)-10
	} else {
		e.Owner = uint32(r.IntN(8))
	}
	if r.IntN(10) == 0 {
		e = game.Entity{ID: id} // all zero but present
	}
	return e
}

// step moves, changes, removes and adds entities, and sometimes brings back
// a removed id.
func (w *world) step() {
	r := w.rng
	next := w.ents[:0:0]
	for _, e := range w.ents {
		switch r.IntN(20) {
		case 0: // left
			continue
		case 1: // extremes: deltas that wrap int32
			e.X, e.VY, e.Score, e.Owner = math.MaxInt32, math.MinInt32, math.MinInt32, math.MaxUint32
		case 2, 3:
			e.HP, e.Flags, e.Angle = uint8(r.IntN(256)), uint8(r.IntN(4)), uint16(r.IntN(65536))
		case 4:
			e.Kind = game.Kind(r.IntN(256))
		}
		if r.IntN(2) == 0 {
			e.X += e.VX / 20
			e.Y += e.VY / 20
			e.VX -= r.Int32N(50)
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
	slices.SortFunc(next, func(a, b game.Entity) int { return int(a.ID) - int(b.ID) })
	w.ents = next
}

// TestSnapshotRoundTrip encodes a random world every tick against the
// previous snapshot, an older one (the server skipped some) or none (full,
// as after a reconnect), sends only some ticks, and checks that the client's
// Baselines rebuild every state exactly.
func TestSnapshotRoundTrip(t *testing.T) {
	for seed := range uint64(20) {
		w := &world{rng: rand.New(rand.NewPCG(seed, 1))}
		history := map[uint32][]game.Entity{} // what the server sent, by tick
		var sent []uint32                     // ticks sent, oldest first
		var client Baselines
		var m ServerMessage
		var buf []byte
		for tick := uint32(1); tick <= 400; tick++ {
			w.step()
			if w.rng.IntN(6) == 0 {
				continue // the server skipped this tick for a slow reader
			}
			baseTick := pickBaseline(w.rng, sent)
			if w.rng.IntN(40) == 0 {
				client.Reset() // reconnect
				sent, baseTick = sent[:0], 0
			}
			buf = AppendSnapshot(buf[:0], tick, baseTick, tick*3, history[baseTick], w.ents)
			if err := DecodeServer(buf, &m); err != nil {
				t.Fatalf("seed %d tick %d: %v", seed, tick, err)
			}
			got, err := client.Apply(&m.Snapshot)
			if err != nil {
				t.Fatalf("seed %d tick %d base %d: %v", seed, tick, baseTick, err)
			}
			if !sameEntities(got, w.ents) {
				t.Fatalf("seed %d tick %d base %d:\n got  %v\n want %v", seed, tick, baseTick, got, w.ents)
			}
			history[tick] = slices.Clone(w.ents)
			sent = append(sent, tick)
		}
	}
}

// pickBaseline picks the newest sent tick, an older one the client still
// keeps, or 0.
func pickBaseline(r *rand.Rand, sent []uint32) uint32 {
	keep := sent[max(0, len(sent)-baselineDepth):]
	switch n := r.IntN(10); {
	case len(keep) == 0 || n == 0:
		return 0
	case n < 7:
		return keep[len(keep)-1]
	default:
		return keep[r.IntN(len(keep))]
	}
}

func TestBaselinesForget(t *testing.T) {
	var b Baselines
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
	b.Reset()
	if _, err := b.Apply(&Snapshot{Tick: 101, BaseTick: 100}); !errors.Is(err, ErrUnknownBaseline) {
		t.Errorf("after Reset: %v, want ErrUnknownBaseline", err)
	}
}

func TestBaselinesRejectInconsistent(t *testing.T) {
	full := mustDecodeSnapshot(AppendSnapshot(nil, 7, 0, 0, nil, sceneA()))
	tests := []struct {
		name string
		s    Snapshot
	}{
		{"removed id not in baseline", Snapshot{Tick: 8, BaseTick: 7, Removed: []uint32{3}}},
		{"removed id past baseline", Snapshot{Tick: 8, BaseTick: 7, Removed: []uint32{41}}},
		{"removed and changed", Snapshot{Tick: 8, BaseTick: 7, Removed: []uint32{2},
			Changes: []EntityChange{{Mask: FieldHP, Entity: game.Entity{ID: 2, HP: 1}}}}},
		{"removed new entity", Snapshot{Tick: 8, BaseTick: 7, Removed: []uint32{5},
			Changes: []EntityChange{{Entity: game.Entity{ID: 5}}}}},
		{"changes out of order", Snapshot{Tick: 8, BaseTick: 7,
			Changes: []EntityChange{{Entity: game.Entity{ID: 5}}, {Entity: game.Entity{ID: 5}}}}},
		{"baseTick after tick", Snapshot{Tick: 6, BaseTick: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Baselines
			if _, err := b.Apply(full); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Apply(&tt.s); !errors.Is(err, ErrMalformed) {
				t.Errorf("Apply = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestNewZeroEntityIsSent(t *testing.T) {
	cur := []game.Entity{{ID: 5}}
	s := mustDecodeSnapshot(AppendSnapshot(nil, 3, 0, 0, nil, cur))
	var b Baselines
	got, err := b.Apply(s)
	if err != nil || !sameEntities(got, cur) {
		t.Errorf("got %v, %v; want %v", got, err, cur)
	}
}
