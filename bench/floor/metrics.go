package main

import (
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// latenessBounds are the upper bounds of the lateness buckets, in seconds.
var latenessBounds = [...]float64{0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1}

// lateness is a Prometheus-style histogram of how late ticks started,
// written by every room and read by /metrics.
type lateness struct {
	buckets [len(latenessBounds) + 1]atomic.Uint64 // the last is +Inf
	sumNs   atomic.Int64
}

func (l *lateness) observe(d time.Duration) {
	d = max(d, 0)
	l.sumNs.Add(int64(d))
	i := 0
	for i < len(latenessBounds) && d.Seconds() > latenessBounds[i] {
		i++
	}
	l.buckets[i].Add(1)
}

func (l *lateness) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintln(w, "# HELP tickroom_tick_lateness_seconds How late each tick started against its schedule.")
	fmt.Fprintln(w, "# TYPE tickroom_tick_lateness_seconds histogram")
	var cum uint64
	for i := range l.buckets {
		cum += l.buckets[i].Load()
		le := "+Inf"
		if i < len(latenessBounds) {
			le = strconv.FormatFloat(latenessBounds[i], 'g', -1, 64)
		}
		fmt.Fprintf(w, "tickroom_tick_lateness_seconds_bucket{le=%q} %d\n", le, cum)
	}
	fmt.Fprintf(w, "tickroom_tick_lateness_seconds_sum %g\n", time.Duration(l.sumNs.Load()).Seconds())
	fmt.Fprintf(w, "tickroom_tick_lateness_seconds_count %d\n", cum)
}
