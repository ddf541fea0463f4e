package rooms

import "time"

// Metrics receives what rooms measure. The lobby's Prometheus metrics
// implement it; the runtime itself knows nothing of how they are exported.
// Calls come from room goroutines and must not block.
type Metrics interface {
	// Tick reports one tick: how long it took and how late it began
	// (isLate: more than half a period).
	Tick(took, late time.Duration, isLate bool)
	// InputDropped counts a client message dropped or folded, by reason.
	InputDropped(reason string)
	// InputBacklog adds connected seat-ticks by how many inputs were
	// queued when the tick took one; a room calls it about once a second.
	InputBacklog(counts *[MaxInputBacklog + 1]uint64)
	// Panicked counts a room closed because its game panicked.
	Panicked()
}

// noMetrics records nothing.
type noMetrics struct{}

func (noMetrics) Tick(time.Duration, time.Duration, bool)   {}
func (noMetrics) InputDropped(string)                       {}
func (noMetrics) InputBacklog(*[MaxInputBacklog + 1]uint64) {}
func (noMetrics) Panicked()                                 {}
