package main

import (
	"bufio"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc's CPU times (100 on Linux).
const clockTicks = 100

// procCPU is the user+system CPU seconds of process pid
// (/proc/PID/stat fields 14 and 15).
func procCPU(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / clockTicks
}

// procRSS is the resident set of process pid in bytes (VmRSS).
func procRSS(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb * 1024
		}
	}
	return 0
}

// machineBusy is the CPU seconds all CPUs have spent not idle (/proc/stat).
func machineBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)[1:]
	var busy float64
	for i, v := range f {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 7 { // steal, guest (already in user), guest_nice
			break
		}
		n, _ := strconv.ParseFloat(v, 64)
		busy += n
	}
	return busy / clockTicks
}

const (
	latenessMetric = "tickroom_tick_lateness_seconds_bucket"
	backlogMetric  = "tickroom_input_backlog_total"
	releasesMetric = "tickroom_memory_releases_total"
)

// metrics is what the harness reads from a server's /metrics.
type metrics struct {
	late     map[float64]float64 // cumulative lateness buckets: upper bound in seconds → count; nil when not exported
	backlog  map[string]float64  // player-ticks by inputs queued ("0".."3"); nil when not exported
	releases float64             // times the server returned memory to the OS after a drop
}

// scrapeMetrics reads url/metrics; zero when it cannot.
func scrapeMetrics(url string) metrics {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url + "/metrics")
	if err != nil {
		return metrics{}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return metrics{}
	}
	return parseMetrics(resp.Body)
}

func parseMetrics(r io.Reader) metrics {
	var m metrics
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, latenessMetric+"{"):
			if bound, count, ok := labelled(line, "le"); ok {
				b, err := strconv.ParseFloat(bound, 64) // "+Inf" parses as +Inf
				if err != nil {
					continue
				}
				if m.late == nil {
					m.late = map[float64]float64{}
				}
				m.late[b] += count
			}
		case strings.HasPrefix(line, releasesMetric+" "):
			m.releases, _ = strconv.ParseFloat(strings.TrimPrefix(line, releasesMetric+" "), 64)
		case strings.HasPrefix(line, backlogMetric+"{"):
			if queued, count, ok := labelled(line, "queued"); ok {
				if m.backlog == nil {
					m.backlog = map[string]float64{}
				}
				m.backlog[queued] += count
			}
		}
	}
	return m
}

// labelled splits a sample line into one label's value and the sample.
func labelled(line, label string) (value string, sample float64, ok bool) {
	i := strings.Index(line, label+`="`)
	j := strings.LastIndexByte(line, ' ')
	if i < 0 || j < 0 {
		return "", 0, false
	}
	value, _, _ = strings.Cut(line[i+len(label)+2:], `"`)
	sample, err := strconv.ParseFloat(line[j+1:], 64)
	return value, sample, err == nil
}

// waitingShare is the share of player-ticks, between two scrapes, whose
// input had waited behind another (2 or more queued): each such input
// reached the game a tick or more after it arrived. NaN without data.
func waitingShare(before, after map[string]float64) float64 {
	var total, waiting float64
	for q, n := range after {
		d := n - before[q]
		total += d
		if q != "0" && q != "1" {
			waiting += d
		}
	}
	if total <= 0 {
		return math.NaN()
	}
	return waiting / total
}

// latenessP99 is the p99 in seconds of the ticks observed between two
// scrapes, interpolated within its bucket as Prometheus'
// histogram_quantile does; NaN without data.
func latenessP99(before, after map[float64]float64) float64 {
	if after == nil {
		return math.NaN()
	}
	var bounds []float64
	for b := range after {
		bounds = append(bounds, b)
	}
	slices.Sort(bounds)
	total := after[math.Inf(1)] - before[math.Inf(1)]
	if total <= 0 {
		return math.NaN()
	}
	rank := 0.99 * total
	prevBound, prevCount := 0.0, 0.0
	for _, b := range bounds {
		c := after[b] - before[b]
		if c >= rank {
			if math.IsInf(b, 1) {
				return prevBound
			}
			return prevBound + (b-prevBound)*(rank-prevCount)/max(c-prevCount, 1)
		}
		prevBound, prevCount = b, c
	}
	return prevBound
}
