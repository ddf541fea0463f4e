package lobby

import (
	"context"
	"runtime/debug"
	"sync"
	"time"
)

// MemoryRelease returns memory to the operating system after many
// WebSocket sessions end at once. Zero fields take the defaults noted.
//
// Why it is needed: an idle server allocates almost nothing, so after a
// mass disconnect no garbage collection runs for up to two minutes (the
// runtime forces one only then), and until one runs the heap goal stays
// at its peak and the background scavenger keeps the freed pages: RSS
// stays at the peak. A soft memory limit (debug.SetMemoryLimit) would not
// help, as the heap is then far under any sensible limit. So after a large
// drop the lobby calls debug.FreeOSMemory once: a GC and a scavenge of
// everything free, on a goroutine of its own, at most once per Interval.
// The rooms those players left still hold their seats for reconnection,
// and close only when their idle timeout has passed; so once Again after
// that first release it returns what the closed rooms held, too.
type MemoryRelease struct {
	// Drop is the share of the peak of live sessions that must have
	// ended, since the peak, for memory to be returned: 0.5 is when half
	// are gone. Default 0.5; negative turns the release off (the runtime
	// then returns memory by itself, slowly).
	Drop float64
	// MinSessions is how many sessions must have ended since the peak,
	// so that a small server does not collect for a handful. Default 1000.
	MinSessions int
	// Settle is how long sessions must have stopped ending before memory
	// is returned, so a mass disconnect is released once, at its end.
	// Default 1s.
	Settle time.Duration
	// Interval is the least time between two releases after drops: each
	// costs a full GC. Default 1 minute.
	Interval time.Duration
	// Again is when, after a release for a drop, memory is returned once
	// more: by then the rooms the drop emptied have closed. Default 90s
	// (the default reconnect grace, 20s, plus the idle timeout, 60s, plus
	// 10s); negative: no second release.
	Again time.Duration
}

func (o MemoryRelease) withDefaults() MemoryRelease {
	if o.Drop == 0 {
		o.Drop = 0.5
	}
	if o.MinSessions == 0 {
		o.MinSessions = 1000
	}
	if o.Settle <= 0 {
		o.Settle = time.Second
	}
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.Again == 0 {
		o.Again = 90 * time.Second
	}
	return o
}

// memoryReleaser watches the number of live sessions and returns memory
// to the OS after a large drop. A nil *memoryReleaser does nothing.
type memoryReleaser struct {
	// static after construction
	opts    MemoryRelease
	ctx     context.Context // no release once it ends
	free    func()          // debug.FreeOSMemory
	metrics *Metrics

	mu    sync.Mutex
	live  int         // sessions now; guarded by mu
	peak  int         // most live sessions since the last release; guarded by mu
	last  time.Time   // the last release for a drop; guarded by mu
	timer *time.Timer // the pending release for a drop; guarded by mu
	again *time.Timer // the pending second release; guarded by mu
}

// newMemoryReleaser returns nil when opts turn the release off. Releases
// stop when ctx ends.
func newMemoryReleaser(ctx context.Context, opts MemoryRelease, m *Metrics) *memoryReleaser {
	opts = opts.withDefaults()
	if opts.Drop < 0 {
		return nil
	}
	r := &memoryReleaser{opts: opts, ctx: ctx, free: debug.FreeOSMemory, metrics: m}
	context.AfterFunc(ctx, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, t := range []*time.Timer{r.timer, r.again} {
			if t != nil {
				t.Stop()
			}
		}
	})
	return r
}

// sessions is told the number of live sessions after each change.
func (r *memoryReleaser) sessions(n int) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.live = n
	r.peak = max(r.peak, n)
	if !r.dropped() {
		return
	}
	delay := max(r.opts.Settle, time.Until(r.last.Add(r.opts.Interval)))
	if r.timer == nil {
		r.timer = time.AfterFunc(delay, r.release)
	} else {
		r.timer.Reset(delay)
	}
}

// dropped reports whether enough sessions have ended since the peak.
// r.mu is held.
func (r *memoryReleaser) dropped() bool {
	gone := r.peak - r.live
	return gone >= r.opts.MinSessions && float64(gone) >= r.opts.Drop*float64(r.peak)
}

func (r *memoryReleaser) release() {
	r.mu.Lock()
	if r.ctx.Err() != nil || !r.dropped() {
		r.mu.Unlock()
		return
	}
	// From here on, drops count from the sessions left.
	r.peak, r.last = r.live, time.Now()
	if r.opts.Again > 0 {
		if r.again == nil {
			r.again = time.AfterFunc(r.opts.Again, r.releaseAgain)
		} else {
			r.again.Reset(r.opts.Again)
		}
	}
	r.mu.Unlock()
	r.free()
	r.metrics.memoryReleased()
}

// releaseAgain returns what the rooms emptied by a drop held, once they
// have closed.
func (r *memoryReleaser) releaseAgain() {
	if r.ctx.Err() != nil {
		return
	}
	r.free()
	r.metrics.memoryReleased()
}
