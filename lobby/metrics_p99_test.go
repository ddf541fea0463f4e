package lobby_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tickroom/tickroom/lobby"
)

// TestTickLatenessP99: a node's tick lateness for placement is the 99th
// percentile of the ticks of its last window (a second or more), read
// from the histogram; calls within the window repeat its figure, and the
// next window counts only its own ticks.
func TestTickLatenessP99(t *testing.T) {
	m := lobby.NewMetrics(prometheus.NewRegistry())
	if p := m.TickLatenessP99(); p != 0 {
		t.Fatalf("no ticks: %v", p)
	}
	time.Sleep(time.Second) // the next window
	for range 990 {
		m.Tick(time.Millisecond, time.Millisecond, false)
	}
	for range 10 {
		m.Tick(time.Millisecond, 100*time.Millisecond, true)
	}
	p := m.TickLatenessP99()
	if p <= 800*time.Microsecond || p > 1600*time.Microsecond {
		t.Fatalf("990 ticks 1 ms late and 10 at 100 ms: p99 %v, want within the 1 ms bucket (0.8-1.6 ms]", p)
	}
	m.Tick(time.Millisecond, 300*time.Millisecond, true)
	if again := m.TickLatenessP99(); again != p {
		t.Fatalf("within the window: %v, then %v", p, again)
	}
	time.Sleep(time.Second)
	for range 100 {
		m.Tick(time.Millisecond, 30*time.Millisecond, true)
	}
	if p := m.TickLatenessP99(); p <= 25600*time.Microsecond || p > 51200*time.Microsecond {
		t.Fatalf("the next window, its ticks 30 ms late: p99 %v", p)
	}
}
