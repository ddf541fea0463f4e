package lobby

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestMemoryReleaser: memory is returned once, Settle after the last of a
// large drop, never for a small one, at most once per Interval, and not
// after the context ends.
func TestMemoryReleaser(t *testing.T) {
	opts := MemoryRelease{MinSessions: 100, Settle: time.Second, Interval: time.Minute, Again: -1}
	start := func(t *testing.T, ctx context.Context) (*memoryReleaser, *atomic.Int32) {
		var freed atomic.Int32
		r := newMemoryReleaser(ctx, opts, nil)
		r.free = func() { freed.Add(1) }
		return r, &freed
	}
	ramp := func(r *memoryReleaser, from, to int) {
		step := 1
		if to < from {
			step = -1
		}
		for n := from; n != to; n += step {
			r.sessions(n + step)
		}
	}
	t.Run("large drop", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r, freed := start(t, t.Context())
			ramp(r, 0, 1000)
			ramp(r, 1000, 600) // 40%: not yet
			time.Sleep(time.Hour)
			if n := freed.Load(); n != 0 {
				t.Fatalf("%d releases after 40%% left", n)
			}
			ramp(r, 600, 450)
			time.Sleep(900 * time.Millisecond)
			ramp(r, 450, 0) // still leaving: wait for the end
			time.Sleep(999 * time.Millisecond)
			if n := freed.Load(); n != 0 {
				t.Fatalf("%d releases while sessions still ended", n)
			}
			time.Sleep(time.Millisecond)
			synctest.Wait()
			if n := freed.Load(); n != 1 {
				t.Fatalf("%d releases a second after the drop, want 1", n)
			}
			// Back up and down again at once: the next waits out Interval.
			ramp(r, 0, 1000)
			ramp(r, 1000, 0)
			time.Sleep(58 * time.Second)
			if n := freed.Load(); n != 1 {
				t.Fatalf("%d releases within Interval, want 1", n)
			}
			time.Sleep(2 * time.Second)
			synctest.Wait()
			if n := freed.Load(); n != 2 {
				t.Fatalf("%d releases after Interval, want 2", n)
			}
			time.Sleep(time.Hour)
			if n := freed.Load(); n != 2 {
				t.Fatalf("%d releases an hour later with no new drop, want 2", n)
			}
		})
	})
	t.Run("again when the emptied rooms have closed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var freed atomic.Int32
			r := newMemoryReleaser(t.Context(), MemoryRelease{MinSessions: 100, Again: 90 * time.Second}, nil)
			r.free = func() { freed.Add(1) }
			ramp(r, 0, 1000)
			ramp(r, 1000, 0)
			time.Sleep(time.Second)
			synctest.Wait()
			if n := freed.Load(); n != 1 {
				t.Fatalf("%d releases a second after the drop, want 1", n)
			}
			time.Sleep(90 * time.Second)
			synctest.Wait()
			if n := freed.Load(); n != 2 {
				t.Fatalf("%d releases Again after the first, want 2", n)
			}
			time.Sleep(time.Hour)
			if n := freed.Load(); n != 2 {
				t.Fatalf("%d releases an hour later, want 2", n)
			}
		})
	})
	t.Run("small server", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r, freed := start(t, t.Context())
			ramp(r, 0, 99)
			ramp(r, 99, 0)
			time.Sleep(time.Hour)
			if n := freed.Load(); n != 0 {
				t.Fatalf("%d releases for 99 sessions, fewer than MinSessions", n)
			}
		})
	})
	t.Run("context ends", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			r, freed := start(t, ctx)
			ramp(r, 0, 1000)
			ramp(r, 1000, 0)
			cancel()
			time.Sleep(time.Hour)
			if n := freed.Load(); n != 0 {
				t.Fatalf("%d releases after the context ended", n)
			}
		})
	})
	t.Run("off", func(t *testing.T) {
		if r := newMemoryReleaser(t.Context(), MemoryRelease{Drop: -1}, nil); r != nil {
			t.Fatal("a negative Drop still releases")
		}
		var off *memoryReleaser
		off.sessions(5) // a nil releaser does nothing
	})
}
