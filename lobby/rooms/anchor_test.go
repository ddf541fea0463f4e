package rooms

import (
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
)

// TestWelcomeTimeAnchor: the welcome's tick and serverTime are when that
// tick was due on the room's clock, so the protocol's
// time(T) = serverTime + (T − tick)·1000/tickRate (the Go SDK's TickTime)
// is exactly when each snapshot's tick ran, whatever the phase of the join
// within a tick, and after an overload restarted the room's schedule.
func TestWelcomeTimeAnchor(t *testing.T) {
	const stallAt = 10
	tests := []struct {
		name  string
		rate  int
		join  func(clk clock) time.Time // when to join; zero: at creation
		stall time.Duration             // Step of tick stallAt overruns by this
	}{
		{name: "30Hz, at creation", rate: 30},
		{name: "20Hz, a third into a tick", rate: 20, join: func(c clock) time.Time { return c.at(7).Add(c.period / 3) }},
		{name: "30Hz, just before a tick", rate: 30, join: func(c clock) time.Time { return c.at(12).Add(c.period - time.Nanosecond) }},
		{name: "60Hz, after a restarted schedule", rate: 60, stall: 7*time.Second/60 + 3*time.Millisecond,
			join: func(c clock) time.Time { return c.at(40).Add(c.period / 2) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				if tt.stall == 0 {
					close(release)
				}
				h := newHarnessWrap(t, Options{}, func(_ Config, g *arena.Arena) game.Game {
					return &stallGame{Game: g, at: stallAt, release: release}
				})
				r, clk := h.create(Config{TickRate: tt.rate, Seed: seedFor(tt.rate, 7*time.Millisecond+time.Duration(tt.rate)*time.Microsecond)})
				if tt.stall > 0 {
					advanceTo(t, clk.at(stallAt))
					advance(tt.stall)
					close(release)
					synctest.Wait()
				}
				if tt.join != nil {
					advanceTo(t, tt.join(clk))
				}
				c := newMemConn(0)
				h.join(r, "p", c)
				w := c.Welcome(t)
				advance(time.Second)
				times := c.SnapshotTimes()
				if len(times) < tt.rate {
					t.Fatalf("%d snapshots in a second", len(times))
				}
				for _, s := range c.Snapshots(t) {
					got := w.ServerTime + float64(int32(s.Tick-w.Tick))*1000/float64(w.TickRate)
					want := float64(times[s.Tick].Sub(clk.zero).Nanoseconds()) / 1e6
					// The schedule's period is whole nanoseconds (1/3 ns short
					// at 30 Hz), the formula's exact: under 1 ns a tick apart.
					if d := math.Abs(got - want); d > float64(s.Tick-w.Tick+1)*1e-6 {
						t.Fatalf("welcome (tick %d, %.6f ms): tick %d placed at %.6f ms, it ran at %.6f ms",
							w.Tick, w.ServerTime, s.Tick, got, want)
					}
				}
			})
		})
	}
}
