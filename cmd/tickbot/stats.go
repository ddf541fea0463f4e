package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// stats are the swarm-wide counters; per-bot ones live on the bot.
type stats struct {
	connected     atomic.Int64
	connectErrors atomic.Uint64
	disconnects   atomic.Uint64
	rejoins       atomic.Uint64
	serverErrors  atomic.Uint64
	inputs        atomic.Uint64
	rtt           hist
	join          hist // a join's first request → its welcome
	rejoin        hist // with -rejoin: a connection's end → the next one's welcome
	inputLag      hist // input sent → first snapshot that acknowledges it (fighters)

	mu    sync.Mutex
	notes map[string]int // distinct problems and how often; guarded by mu
}

// note records a problem for the summary, counting repeats.
func (st *stats) note(msg string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.notes == nil {
		st.notes = map[string]int{}
	}
	if len(st.notes) < 20 || st.notes[msg] > 0 {
		st.notes[msg]++
	}
}

// summary is the result of a run; its JSON form is tickbot's -json output.
type summary struct {
	Bots                  int     `json:"bots"`
	Connected             int64   `json:"connected"`
	ConnectErrors         uint64  `json:"connect_errors"`
	Disconnects           uint64  `json:"disconnects"`
	Rejoins               uint64  `json:"rejoins"`
	SnapshotsPerBotPerSec float64 `json:"snapshots_per_bot_per_sec"`
	ExpectedSnapshotRate  float64 `json:"expected_snapshot_rate"`
	DeliveredRatio        float64 `json:"delivered_ratio"`
	Snapshots             uint64  `json:"snapshots"`
	BotSeconds            float64 `json:"bot_seconds"`
	BytesPerBotPerSec     float64 `json:"bytes_per_bot_per_sec"`
	RTTP50ms              float64 `json:"rtt_p50_ms"`
	RTTP99ms              float64 `json:"rtt_p99_ms"`
	JoinP50ms             float64 `json:"join_p50_ms"`
	JoinP99ms             float64 `json:"join_p99_ms"`
	RejoinP50ms           float64 `json:"rejoin_p50_ms"`
	RejoinP99ms           float64 `json:"rejoin_p99_ms"`
	GapP99ms              float64 `json:"snapshot_gap_p99_ms"`
	DurationS             float64 `json:"duration_s"`

	// Only in the human summary.
	inputs   uint64
	events   map[string]uint64 // game events the bots caused, by name
	gapP50ms float64
	lagP50ms float64 // input lag: see stats.inputLag
	lagP99ms float64
	lagN     uint64
	cpu      float64 // tickbot's own CPU, fraction of one core
	notes    map[string]int
}

// summarize measures the run up to end: only the time each bot was
// connected before end counts.
func (s *swarm) summarize(end time.Time, cpu float64) summary {
	sum := summary{Bots: len(s.bots), Connected: s.stats.connected.Load(), cpu: cpu, events: map[string]uint64{}}
	endNs := s.since(end)
	var expected float64
	var gaps, rtt, lag, join, rejoin counts
	for _, b := range s.bots {
		if b.connectedAt.Load() == 0 {
			continue
		}
		secs := float64(b.upTime(endNs)) / 1e9
		sum.BotSeconds += secs
		rate := float64(b.sendRate.Load())
		if s.cfg.ExpectHz > 0 {
			rate = s.cfg.ExpectHz
		}
		expected += rate * secs
		sum.Snapshots += b.snapshots.Load()
		sum.BytesPerBotPerSec += float64(b.bytesIn.Load())
		b.events.addTo(sum.events)
		b.gaps.addTo(&gaps)
	}
	s.stats.rtt.addTo(&rtt)
	s.stats.inputLag.addTo(&lag)
	s.stats.join.addTo(&join)
	sum.JoinP50ms, sum.JoinP99ms = round(join.quantile(0.5), 3), round(join.quantile(0.99), 3)
	s.stats.rejoin.addTo(&rejoin)
	sum.RejoinP50ms, sum.RejoinP99ms = round(rejoin.quantile(0.5), 3), round(rejoin.quantile(0.99), 3)
	sum.lagP50ms, sum.lagP99ms, sum.lagN = round(lag.quantile(0.5), 3), round(lag.quantile(0.99), 3), lag.total()
	sum.ConnectErrors = s.stats.connectErrors.Load()
	sum.Disconnects = s.stats.disconnects.Load()
	sum.Rejoins = s.stats.rejoins.Load()
	sum.inputs = s.stats.inputs.Load()
	sum.DurationS = round(end.Sub(s.start).Seconds(), 3)
	if sum.BotSeconds > 0 {
		sum.SnapshotsPerBotPerSec = round(float64(sum.Snapshots)/sum.BotSeconds, 3)
		sum.ExpectedSnapshotRate = round(expected/sum.BotSeconds, 3)
		sum.DeliveredRatio = round(float64(sum.Snapshots)/expected, 4)
		sum.BytesPerBotPerSec = round(sum.BytesPerBotPerSec/sum.BotSeconds, 1)
	}
	sum.BotSeconds = round(sum.BotSeconds, 3)
	sum.RTTP50ms, sum.RTTP99ms = round(rtt.quantile(0.5), 3), round(rtt.quantile(0.99), 3)
	sum.GapP99ms, sum.gapP50ms = round(gaps.quantile(0.99), 3), round(gaps.quantile(0.5), 3)
	s.stats.mu.Lock()
	sum.notes = s.stats.notes
	s.stats.mu.Unlock()
	return sum
}

func round(v float64, digits int) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func (sum *summary) writeJSON(w io.Writer) error {
	return json.NewEncoder(w).Encode(sum)
}

func (sum *summary) writeHuman(w io.Writer) {
	fmt.Fprintf(w, "tickbot: %d bots for %.1fs: %d connected at the end, %d connect errors, %d disconnects, %d rejoins\n",
		sum.Bots, sum.DurationS, sum.Connected, sum.ConnectErrors, sum.Disconnects, sum.Rejoins)
	fmt.Fprintf(w, "  snapshots  %.2f per bot per second of %.2f expected: delivered %.2f%% (%d in %.0f bot-seconds)\n",
		sum.SnapshotsPerBotPerSec, sum.ExpectedSnapshotRate, 100*sum.DeliveredRatio, sum.Snapshots, sum.BotSeconds)
	fmt.Fprintf(w, "  gaps       p50 %.1f ms, p99 %.1f ms between snapshots\n", sum.gapP50ms, sum.GapP99ms)
	fmt.Fprintf(w, "  traffic    %.0f B per bot per second received; %d inputs sent\n", sum.BytesPerBotPerSec, sum.inputs)
	fmt.Fprintf(w, "  rtt        p50 %.2f ms, p99 %.2f ms\n", sum.RTTP50ms, sum.RTTP99ms)
	fmt.Fprintf(w, "  joins      p50 %.2f ms, p99 %.2f ms from the first request to the welcome\n", sum.JoinP50ms, sum.JoinP99ms)
	if sum.Rejoins > 0 {
		fmt.Fprintf(w, "  rejoins    p50 %.2f ms, p99 %.2f ms from losing a connection to the welcome of the next\n", sum.RejoinP50ms, sum.RejoinP99ms)
	}
	if sum.lagN > 0 {
		fmt.Fprintf(w, "  input lag  p50 %.2f ms, p99 %.2f ms from sending an input to the first snapshot acknowledging it (%d inputs)\n",
			sum.lagP50ms, sum.lagP99ms, sum.lagN)
	}
	if len(sum.events) > 0 {
		var parts []string
		for _, name := range slices.Sorted(maps.Keys(sum.events)) {
			parts = append(parts, fmt.Sprintf("%d %s", sum.events[name], name))
		}
		fmt.Fprintf(w, "  game       %s (events the bots caused)\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "  tickbot    %.0f%% of one core\n", 100*sum.cpu)
	for msg, n := range sum.notes {
		fmt.Fprintf(w, "  problem    %dx %s\n", n, msg)
	}
}

// status prints a one-line live status to w every second until ctx ends.
// On a terminal the line is redrawn in place.
func (s *swarm) status(ctx context.Context, w io.Writer, tty bool) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	prevAt, prevCPU := time.Now(), cpuTime()
	var prevSnaps uint64
	var prevRTT counts
	for {
		select {
		case <-ctx.Done():
			if tty {
				fmt.Fprintln(w)
			}
			return
		case now := <-t.C:
			var snaps uint64
			for _, b := range s.bots {
				snaps += b.snapshots.Load()
			}
			var rtt counts
			s.stats.rtt.addTo(&rtt)
			win := rtt.sub(&prevRTT)
			cpu := cpuTime()
			secs := now.Sub(prevAt).Seconds()
			line := fmt.Sprintf("bots %d/%d connected | %.0f snapshots/s | rtt p50 %.2f ms p99 %.2f ms | errors %d | tickbot cpu %.0f%%",
				s.stats.connected.Load(), len(s.bots), float64(snaps-prevSnaps)/secs,
				win.quantile(0.5), win.quantile(0.99),
				s.stats.connectErrors.Load()+s.stats.disconnects.Load()+s.stats.serverErrors.Load(),
				100*(cpu-prevCPU).Seconds()/secs)
			if tty {
				fmt.Fprintf(w, "\r\033[K%s", line)
			} else {
				fmt.Fprintln(w, line)
			}
			prevAt, prevCPU, prevSnaps, prevRTT = now, cpu, snaps, rtt
		}
	}
}
