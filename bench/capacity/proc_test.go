package main

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseLateness(t *testing.T) {
	scrape := func(counts ...int) map[float64]float64 {
		text := "# TYPE tickroom_tick_lateness_seconds histogram\n"
		for i, le := range []string{"0.0005", "0.001", "0.002", "0.005", "+Inf"} {
			text += `tickroom_tick_lateness_seconds_bucket{le="` + le + `"} ` + strconv.Itoa(counts[i]) + "\n"
		}
		text += "tickroom_tick_lateness_seconds_count 1\n"
		return parseMetrics(strings.NewReader(text)).late
	}
	before := scrape(10, 10, 10, 10, 10)
	after := scrape(10, 910, 1000, 1010, 1010) // 900 under 1 ms, 90 in 1..2 ms, 10 in 2..5 ms
	got := latenessP99(before, after) * 1000
	if math.Abs(got-2) > 0.01 {
		t.Errorf("p99 = %.3f ms, want 2", got)
	}
	if !math.IsNaN(latenessP99(nil, nil)) {
		t.Error("p99 without a histogram is not NaN")
	}
}

func TestParseBacklog(t *testing.T) {
	scrape := func(counts ...int) map[string]float64 {
		text := "# TYPE tickroom_input_backlog_total counter\n"
		for i, n := range counts {
			text += `tickroom_input_backlog_total{queued="` + strconv.Itoa(i) + `"} ` + strconv.Itoa(n) + "\n"
		}
		return parseMetrics(strings.NewReader(text)).backlog
	}
	before := scrape(5, 100, 0, 0)
	after := scrape(105, 900, 80, 20) // 100 none, 800 on time, 100 waiting
	if got := waitingShare(before, after); math.Abs(got-0.1) > 1e-9 {
		t.Errorf("waiting share %v, want 0.1", got)
	}
	if !math.IsNaN(waitingShare(nil, nil)) {
		t.Error("share without the counter is not NaN")
	}
}

func TestProc(t *testing.T) {
	if procRSS(os.Getpid()) <= 0 || machineBusy() <= 0 {
		t.Skip("no /proc")
	}
	for deadline := time.Now().Add(2 * time.Second); procCPU(os.Getpid()) == 0 && time.Now().Before(deadline); {
	}
	if procCPU(os.Getpid()) <= 0 {
		t.Error("no CPU time for this process")
	}
}

func TestParseSummaries(t *testing.T) {
	summary := "tickbot: 8 bots for 3.0s\n  rtt        p50 0.20 ms, p99 0.90 ms\n" +
		"  input lag  p50 21.50 ms, p99 40.25 ms from sending an input to the first snapshot acknowledging it (90 inputs)\n"
	if p50, p99 := parseInputLag(summary); p50 != 21.5 || p99 != 40.25 {
		t.Errorf("input lag %v/%v, want 21.5/40.25", p50, p99)
	}
	if p50, p99 := parseInputLag("tickbot: no fighters\n"); p50 != 0 || p99 != 0 {
		t.Errorf("input lag %v/%v without the line", p50, p99)
	}
	heap := "heap profile: 1: 2 [3: 4] @ heap/1048576\n\n# runtime.MemStats\n# Alloc = 123\n# HeapInuse = 4202496\n# Stack = 1114112 / 1114112\n"
	if stack, live := parseMemStats(heap); stack != 1114112 || live != 4202496 {
		t.Errorf("stack %v heap %v", stack, live)
	}
}

func TestParseReleases(t *testing.T) {
	text := "# TYPE tickroom_memory_releases_total counter\ntickroom_memory_releases_total 2\ntickroom_rooms 3\n"
	if got := parseMetrics(strings.NewReader(text)).releases; got != 2 {
		t.Errorf("releases = %v, want 2", got)
	}
}
