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

// recordedScene holds every player's view at every tick of a scene run.
type recordedScene struct {
	views [][][]game.Entity // [tick-1][player]
}

func recordScene(seed uint64) *recordedScene {
	s := newArenaScene(seed, benchPlayers, benchRate)
	r := &recordedScene{}
	for range benchTicks {
		s.step()
		row := make([][]game.Entity, benchPlayers)
		for p := range row {
			row[p] = s.arena.View(uint32(p+1), nil)
		}
		r.views = append(r.views, row)
	}
	return r
}

// BenchmarkSnapshotBandwidth runs the standard scene and reports what each
// player receives per second: every tick encoded in full (no baseline), and
// as a delta against the previous tick (the first tick in full), with the
// ackSeq a client sending one input per tick would see. ns and allocations
// are per delta snapshot encoded, the scene's views recorded beforehand.
//
//	go test ./netcode -run '^$' -bench BenchmarkSnapshotBandwidth -benchtime 1x
func BenchmarkSnapshotBandwidth(b *testing.B) {
	rec := recordScene(1)
	var fullBytes, deltaBytes int
	var buf []byte
	for t, row := range rec.views {
		for p, view := range row {
			buf = AppendSnapshot(buf[:0], uint32(t+1), 0, uint32(t+1), nil, view)
			fullBytes += len(buf)
			var base []game.Entity
			baseTick := uint32(0)
			if t > 0 {
				base, baseTick = rec.views[t-1][p], uint32(t)
			}
			buf = AppendSnapshot(buf[:0], uint32(t+1), baseTick, uint32(t+1), base, view)
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
		for t, row := range rec.views {
			for p, view := range row {
				var base []game.Entity
				baseTick := uint32(0)
				if t > 0 {
					base, baseTick = rec.views[t-1][p], uint32(t)
				}
				buf = AppendSnapshot(buf[:0], uint32(t+1), baseTick, uint32(t+1), base, view)
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
