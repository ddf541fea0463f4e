package blobs_test

import (
	"math/bits"
	"runtime"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/netcode"
)

// Blobs' standard scene: 32 foragers on the default field (4000 px, 600
// pellets) at 30 Hz for 10 s of game time, each sent what its interest
// holds.
const (
	benchPlayers = 32
	benchRate    = 30
	benchTicks   = 10 * benchRate
)

// recordedScene holds the world at every tick of a scene run and what each
// player saw of it, as a room keeps them.
type recordedScene struct {
	codec *netcode.Codec
	ticks []sceneTick
}

type sceneTick struct {
	world []game.Entity
	seen  [][]uint64 // [player]
}

func (r *recordedScene) view(t, p int) netcode.View {
	return netcode.View{World: r.ticks[t].world, Seen: r.ticks[t].seen[p]}
}

// base is player p's view at the tick before t (nothing before the first).
func (r *recordedScene) base(t, p int) netcode.View {
	if t == 0 {
		return netcode.View{}
	}
	return r.view(t-1, p)
}

func recordScene(seed uint64) *recordedScene {
	s := newBlobScene(seed, benchPlayers, benchRate)
	r := &recordedScene{codec: netcode.MustCodec(s.g.Schema())}
	var idx []int32
	for range benchTicks {
		s.step()
		st := sceneTick{world: s.g.World(nil)}
		for p := range benchPlayers {
			idx = s.g.Interest(uint32(p+1), st.world, idx[:0])
			st.seen = append(st.seen, netcode.SetSeen(nil, len(st.world), idx))
		}
		r.ticks = append(r.ticks, st)
	}
	return r
}

// BenchmarkSnapshotBandwidth runs blobs' standard scene and reports what
// each player receives per second: every tick encoded in full (no
// baseline), and as a delta against the previous tick (the first tick in
// full), with the ackSeq a client sending one input per tick would see; and
// what an average view held. ns and allocations are per delta snapshot
// encoded, the scene's worlds and interest recorded beforehand. As
// netcode's benchmark of the arena's scene does:
//
//	go test ./game/blobs -run '^$' -bench BenchmarkSnapshotBandwidth -benchtime 1x
func BenchmarkSnapshotBandwidth(b *testing.B) {
	rec := recordScene(1)
	c := rec.codec
	var fullBytes, deltaBytes, inView int
	var buf []byte
	for t := range rec.ticks {
		for p := range benchPlayers {
			tick, me := uint32(t+1), uint32(p+1)
			buf = c.AppendSnapshot(buf[:0], tick, 0, tick, me, netcode.View{}, rec.view(t, p))
			fullBytes += len(buf)
			buf = c.AppendSnapshot(buf[:0], tick, tick-1, tick, me, rec.base(t, p), rec.view(t, p))
			deltaBytes += len(buf)
			for _, w := range rec.view(t, p).Seen {
				inView += bits.OnesCount64(w)
			}
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
	b.ReportMetric(float64(inView)/(benchTicks*benchPlayers), "entities/view")
	b.ReportMetric(float64(elapsed.Nanoseconds())/snaps, "ns/snapshot")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/snaps, "allocs/snapshot")
}
