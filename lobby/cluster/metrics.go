package cluster

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tickroom/tickroom/lobby/directory/natsdir"
)

// metrics are the cluster's Prometheus metrics: the calls between nodes
// by operation and result, and the directory's counters. No label names a
// room or a node, so their number is fixed. A nil *metrics records
// nothing.
type metrics struct {
	calls   *prometheus.CounterVec   // op, result
	latency *prometheus.HistogramVec // op
	serves  *prometheus.CounterVec   // op, result
}

func newMetrics(reg prometheus.Registerer, dir *natsdir.Directory) *metrics {
	if reg == nil {
		return nil
	}
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickroom_cluster_calls_total",
			Help: "Calls this node made to other nodes, by op (create, reserve) and result: ok, refused (the node's own refusal), gone (no node listening), timeout, error.",
		}, []string{"op", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tickroom_cluster_call_seconds", Help: "Time a call to another node took, by op, whatever its result.",
			Buckets: prometheus.ExponentialBuckets(100e-6, 2, 16),
		}, []string{"op"}),
		serves: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickroom_cluster_served_total",
			Help: "Calls from other nodes this node served, by op and result: ok, refused, busy (too many in flight), abandoned (the caller stopped waiting first; not answered), again (a request sent again, answered as the first), error.",
		}, []string{"op", "result"}),
	}
	for _, op := range []string{opCreate, opReserve} {
		for _, r := range []string{"ok", "refused", "gone", "timeout", "error"} {
			m.calls.WithLabelValues(op, r)
		}
		for _, r := range []string{"ok", "refused", "busy", "abandoned", "again", "error"} {
			m.serves.WithLabelValues(op, r)
		}
		m.latency.WithLabelValues(op)
	}
	reg.MustRegister(m.calls, m.latency, m.serves, dirCollector{dir})
	return m
}

func (m *metrics) called(op, result string, start time.Time) {
	if m != nil {
		m.calls.WithLabelValues(op, result).Inc()
		m.latency.WithLabelValues(op).Observe(time.Since(start).Seconds())
	}
}

func (m *metrics) served(op, result string) {
	if m != nil {
		m.serves.WithLabelValues(op, result).Inc()
	}
}

// dirCollector exports natsdir.Stats, read once per scrape.
type dirCollector struct{ dir *natsdir.Directory }

type dirMetric struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(natsdir.Stats) float64
}

func counter(name, help string, v func(natsdir.Stats) float64) dirMetric {
	return dirMetric{prometheus.NewDesc(name, help, nil, nil), prometheus.CounterValue, v}
}

func gauge(name, help string, v func(natsdir.Stats) float64) dirMetric {
	return dirMetric{prometheus.NewDesc(name, help, nil, nil), prometheus.GaugeValue, v}
}

var dirMetrics = []dirMetric{
	counter("tickroom_directory_puts_total", "Room records the rooms of this node published (before coalescing).", func(s natsdir.Stats) float64 { return float64(s.Puts) }),
	counter("tickroom_directory_creates_total", "Room records this node created in the rooms bucket.", func(s natsdir.Stats) float64 { return float64(s.Creates) }),
	counter("tickroom_directory_updates_total", "Room records this node updated in the rooms bucket: its writes, at most one per room per second.", func(s natsdir.Stats) float64 { return float64(s.Updates) }),
	counter("tickroom_directory_deletes_total", "Room records this node deleted.", func(s natsdir.Stats) float64 { return float64(s.Deletes) }),
	counter("tickroom_directory_write_errors_total", "Room writes and deletes that failed (and are retried).", func(s natsdir.Stats) float64 { return float64(s.WriteErrors) }),
	counter("tickroom_directory_conflicts_total", "Room writes refused on a revision mismatch, then re-read.", func(s natsdir.Stats) float64 { return float64(s.Conflicts) }),
	counter("tickroom_directory_heartbeats_total", "Heartbeats (node record puts) that succeeded.", func(s natsdir.Stats) float64 { return float64(s.Heartbeats) }),
	counter("tickroom_directory_heartbeat_errors_total", "Heartbeats that failed.", func(s natsdir.Stats) float64 { return float64(s.HeartbeatErrors) }),
	counter("tickroom_directory_orphans_deleted_total", "Records of gone nodes' rooms this node swept.", func(s natsdir.Stats) float64 { return float64(s.OrphansDeleted) }),
	counter("tickroom_directory_watch_events_total", "Entries the directory's watchers delivered.", func(s natsdir.Stats) float64 { return float64(s.WatchEvents) }),
	counter("tickroom_directory_watch_restarts_total", "Times the watchers were replaced (after a reconnect, or found stalled).", func(s natsdir.Stats) float64 { return float64(s.WatchRestarts) }),
	counter("tickroom_directory_watch_errors_total", "Failed attempts to replace the watchers.", func(s natsdir.Stats) float64 { return float64(s.WatchErrors) }),
	counter("tickroom_directory_watch_lag_seconds_sum", "Sum of the times from sending a heartbeat to this node's watcher delivering it.", func(s natsdir.Stats) float64 { return s.WatchLagSum.Seconds() }),
	counter("tickroom_directory_watch_lag_seconds_count", "Heartbeats whose watch lag was measured.", func(s natsdir.Stats) float64 { return float64(s.WatchLagCount) }),
	gauge("tickroom_directory_watch_lag_max_seconds", "The longest watch lag measured.", func(s natsdir.Stats) float64 { return s.WatchLagMax.Seconds() }),
	gauge("tickroom_cluster_nodes", "Live nodes of the cluster, this one included.", func(s natsdir.Stats) float64 { return float64(s.Nodes) }),
	gauge("tickroom_directory_rooms", "Rooms listed: every live node's.", func(s natsdir.Stats) float64 { return float64(s.Rooms) }),
}

func (c dirCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range dirMetrics {
		ch <- m.desc
	}
}

func (c dirCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.dir.Stats()
	for _, m := range dirMetrics {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(s))
	}
}
