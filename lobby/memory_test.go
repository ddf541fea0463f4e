package lobby

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// releases counts a memoryReleaser's calls to free, in a synctest bubble.
type releases struct{ n atomic.Int32 }

func newTestReleaser(ctx context.Context, opts MemoryRelease) (*memoryReleaser, *releases) {
	var got releases
	r := newMemoryReleaser(ctx, opts, nil)
	r.free = func() { got.n.Add(1) }
	return r, &got
}

// after lets d pass on the bubble's clock, then wants n releases so far.
func (got *releases) after(t *testing.T, d time.Duration, n int32, when string) {
	t.Helper()
	time.Sleep(d)
	synctest.Wait()
	if have := got.n.Load(); have != n {
		t.Fatalf("%d releases %s, want %d", have, when, n)
	}
}

// ramp moves the count of live sessions one by one, as sessions come and go.
func ramp(r *memoryReleaser, from, to int) {
	step := 1
	if to < from {
		step = -1
	}
	for n := from; n != to; n += step {
		r.sessions(n + step)
	}
}

// TestMemoryReleaser: memory is returned once, Settle after the last of a
// large drop, never for a small one, at most once per Interval, once more
// Again later, and not after the context ends.
func TestMemoryReleaser(t *testing.T) {
	opts := MemoryRelease{MinSessions: 100, Settle: time.Second, Interval: time.Minute, Again: -1}
	t.Run("large drop", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r, got := newTestReleaser(t.Context(), opts)
			ramp(r, 0, 1000)
			ramp(r, 1000, 600)
			got.after(t, time.Hour, 0, "after 40% left")
			ramp(r, 600, 450)
			time.Sleep(900 * time.Millisecond)
			ramp(r, 450, 0) // still leaving: wait for the end
			got.after(t, 999*time.Millisecond, 0, "while sessions still ended")
			got.after(t, time.Millisecond, 1, "a second after the drop")
			// Back up and down again at once: the next waits out Interval.
			ramp(r, 0, 1000)
			ramp(r, 1000, 0)
			got.after(t, 58*time.Second, 1, "within Interval")
			got.after(t, 2*time.Second, 2, "after Interval")
			got.after(t, time.Hour, 2, "an hour later with no new drop")
		})
	})
	t.Run("again when the emptied rooms have closed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r, got := newTestReleaser(t.Context(), MemoryRelease{MinSessions: 100, Again: 90 * time.Second})
			ramp(r, 0, 1000)
			ramp(r, 1000, 0)
			got.after(t, time.Second, 1, "a second after the drop")
			got.after(t, 90*time.Second, 2, "Again after the first")
			got.after(t, time.Hour, 2, "an hour later")
		})
	})
	t.Run("small server", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r, got := newTestReleaser(t.Context(), opts)
			ramp(r, 0, 99)
			ramp(r, 99, 0)
			got.after(t, time.Hour, 0, "for 99 sessions, fewer than MinSessions")
		})
	})
	t.Run("context ends", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			r, got := newTestReleaser(ctx, MemoryRelease{MinSessions: 100})
			ramp(r, 0, 1000)
			ramp(r, 1000, 0)
			cancel()
			got.after(t, time.Hour, 0, "after the context ended")
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
