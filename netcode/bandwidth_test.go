package netcode

import (
	"runtime"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
)

// The standard scene of issue 6: 32 players in one room at 30 Hz for 10 s
// of game time, every player moving (turning about every half second) and
// shooting, each sent what its area of interest holds.
const (
	benchPlayers = 32
	benchRate    = 30
	benchTicks   = 10 * benchRate
)

// recordedScene holds the world at every tick of a scene run and what each
// player saw of it, as a room keeps them.
type recordedScene struct {
	codec *Codec
	ticks []sceneTick
}

type sceneTick struct {
	world []game.Entity
	seen  [][]uint64 // [player]
}

func (r *recordedScene) view(t, p int) View {
	return View{World: r.ticks[t].world, Seen: r.ticks[t].seen[p]}
}

func recordScene(seed uint64) *recordedScene {
	s := newArenaScene(seed, benchPlayers, benchRate)
	r := &recordedScene{codec: MustCodec(s.arena.Schema())}
	var idx []int32
	for range benchTicks {
		s.step()
		st := sceneTick{world: s.arena.World(nil)}
		for p := range benchPlayers {
			idx = s.arena.Interest(uint32(p+1), st.world, idx[:0])
			st.seen = append(st.seen, SetSeen(nil, len(st.world), idx))
		}
		r.ticks = append(r.ticks, st)
	}
	return r
}

// BenchmarkSnapshotBandwidth runs the standard scene and reports what each
// player receives per second: every tick encoded in full (no baseline), and
// as a delta against the previous tick (the first tick in full), with the
// ackSeq a client sending one input per tick would see. ns and allocations
// are per delta snapshot encoded, the scene's worlds and interest recorded
// beforehand.
//
//	go test ./netcode -run '^$' -bench BenchmarkSnapshotBandwidth -benchtime 1x
func BenchmarkSnapshotBandwidth(b *testing.B) {
	rec := recordScene(1)
	c := rec.codec
	var fullBytes, deltaBytes int
	var buf []byte
	for t := range rec.ticks {
		for p := range benchPlayers {
			tick, me := uint32(t+1), uint32(p+1)
			buf = c.AppendSnapshot(buf[:0], tick, 0, tick, me, View{}, rec.view(t, p))
			fullBytes += len(buf)
			buf = c.AppendSnapshot(buf[:0], tick, tick-1, tick, me, rec.base(t, p), rec.view(t, p))
			deltaBytes += len(buf)
		}
	}
	perPlayerSecond := func(n int) float64 {
		return float64(n) / benchPlayers / (benchTicks / benchRate)
	}

	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	b.ResetTimer()
	for range b.N {
		for t := range rec.ticks {
			for p := range benchPlayers {
				tick := uint32(t + 1)
				buf = c.AppendSnapshot(buf[:0], tick, tick-1, tick, uint32(p+1), rec.base(t, p), rec.view(t, p))
			}
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	snaps := float64(b.N * benchTicks * benchPlayers)
	b.ReportMetric(perPlayerSecond(fullBytes), "full-B/player/s")
	b.ReportMetric(perPlayerSecond(deltaBytes), "delta-B/player/s")
	b.ReportMetric(float64(fullBytes)/float64(deltaBytes), "full/delta")
	b.ReportMetric(float64(elapsed.Nanoseconds())/snaps, "ns/snapshot")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/snaps, "allocs/snapshot")
}

// base is player p's view at the tick before t (nothing before the first).
func (r *recordedScene) base(t, p int) View {
	if t == 0 {
		return View{}
	}
	return r.view(t-1, p)
}
