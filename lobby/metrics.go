package lobby

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode/session"
)

// Metrics are the lobby's Prometheus metrics. Labels never carry room or
// player ids, so cardinality stays fixed however many rooms come and go.
// A nil *Metrics records nothing.
type Metrics struct {
	tickDuration prometheus.Histogram
	tickLateness prometheus.Histogram
	lateTicks    prometheus.Counter
	connections  *prometheus.CounterVec                        // by result
	closes       *prometheus.CounterVec                        // by close code
	inputDrops   *prometheus.CounterVec                        // by reason
	backlog      [rooms.MaxInputBacklog + 1]prometheus.Counter // by inputs queued
	panics       prometheus.Counter
	refusals     *prometheus.CounterVec // by quota
	releases     prometheus.Counter
	mgr          atomic.Pointer[rooms.Manager]
	poller       atomic.Pointer[session.Poller]

	// WebSocket payload bytes: ended sessions' totals plus live sessions,
	// summed at scrape time so the counter moves while sessions last.
	endedIn, endedOut atomic.Uint64
	live              sync.Map // *session.Session → struct{}

	lateMu   sync.Mutex
	lateAt   time.Time // when the current window began; guarded by lateMu
	lateFrom []uint64  // the lateness buckets' counts then; guarded by lateMu
	lateP99  time.Duration
}

// NewMetrics registers the lobby's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		tickDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tickroom_tick_duration_seconds", Help: "Time a room spends on one tick.",
			Buckets: prometheus.ExponentialBuckets(10e-6, 2, 14),
		}),
		tickLateness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tickroom_tick_lateness_seconds", Help: "How long after its scheduled start a tick began.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 14),
		}),
		lateTicks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tickroom_late_ticks_total", Help: "Ticks that began more than half a period late.",
		}),
		connections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickroom_connections_total", Help: "WebSocket connection attempts by result.",
		}, []string{"result"}),
		closes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickroom_session_closes_total", Help: "Ended sessions by WebSocket close code.",
		}, []string{"code"}),
		inputDrops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickroom_input_drops_total", Help: "Client messages dropped, by reason.",
		}, []string{"reason"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickroom_quota_refusals_total", Help: "Requests refused by a limit, by quota (the flag that sets it).",
		}, []string{"quota"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tickroom_room_panics_total", Help: "Rooms closed because their game panicked.",
		}),
		releases: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tickroom_memory_releases_total", Help: "Times memory was returned to the OS after many sessions ended (see -release-memory-drop).",
		}),
	}
	backlog := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tickroom_input_backlog_total",
		Help: "Connected players' ticks by how many inputs were queued when the tick took one: 0 (none came; the last input holds), 1 (on time), 2 or 3 (each input past the first waits a tick).",
	}, []string{"queued"})
	for i := range m.backlog {
		m.backlog[i] = backlog.WithLabelValues(strconv.Itoa(i))
	}
	reg.MustRegister(backlog)
	reg.MustRegister(m.tickDuration, m.tickLateness, m.lateTicks, m.connections, m.closes, m.inputDrops, m.panics, m.refusals, m.releases,
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tickroom_bytes_received_total", Help: "WebSocket payload bytes received."},
			func() float64 { return m.sumBytes(true) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tickroom_bytes_sent_total", Help: "WebSocket payload bytes sent."},
			func() float64 { return m.sumBytes(false) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tickroom_rooms", Help: "Open rooms on this node."},
			func() float64 { return m.count(func(*directory.Room) int { return 1 }) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tickroom_players", Help: "Seated players on this node, reconnecting included."},
			func() float64 { return m.count(func(i *directory.Room) int { return i.Players }) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tickroom_connections_parked", Help: "Connections whose client is quiet, holding no goroutine (see -idle-after)."},
			func() float64 {
				if p := m.poller.Load(); p != nil {
					return float64(p.Parked())
				}
				return 0
			}),
	)
	return m
}

func (m *Metrics) count(f func(*directory.Room) int) float64 {
	mgr := m.mgr.Load()
	if mgr == nil {
		return 0
	}
	n := 0
	for _, r := range mgr.Rooms() {
		n += f(r.Info())
	}
	return float64(n)
}

// TickLatenessP99 is the 99th percentile of how late ticks started over
// the last window of at least a second (read from the histogram's buckets,
// as histogram_quantile does; 0 without ticks): a node's load for
// placement. A call a second
// or more after the last window began closes it and starts the next; the
// calls in between get the last window's figure.
func (m *Metrics) TickLatenessP99() time.Duration {
	m.lateMu.Lock()
	defer m.lateMu.Unlock()
	now := time.Now()
	if now.Sub(m.lateAt) < time.Second {
		return m.lateP99
	}
	var pb dto.Metric
	if err := m.tickLateness.Write(&pb); err != nil {
		return m.lateP99
	}
	h := pb.GetHistogram()
	counts := make([]uint64, len(h.GetBucket())+1) // the buckets', then the total
	for i, b := range h.GetBucket() {
		counts[i] = b.GetCumulativeCount()
	}
	counts[len(counts)-1] = h.GetSampleCount()
	from := m.lateFrom
	if len(from) != len(counts) {
		from = make([]uint64, len(counts))
	}
	p99 := time.Duration(0)
	if n := counts[len(counts)-1] - from[len(from)-1]; n > 0 {
		want := float64(n) * 0.99
		// Beyond the last bound: say the last bound, the most it can tell.
		p99 = time.Duration(h.GetBucket()[len(h.GetBucket())-1].GetUpperBound() * float64(time.Second))
		var lower, below float64 // the bucket's lower bound, and the ticks under it
		for i, b := range h.GetBucket() {
			upper, upTo := b.GetUpperBound(), float64(counts[i]-from[i])
			if upTo >= want {
				// Spread evenly within the bucket, as histogram_quantile
				// reads one.
				p99 = time.Duration((lower + (upper-lower)*(want-below)/(upTo-below)) * float64(time.Second))
				break
			}
			lower, below = upper, upTo
		}
	}
	m.lateAt, m.lateFrom, m.lateP99 = now, counts, p99
	return p99
}

// Watch makes the room and player gauges count mgr's rooms.
func (m *Metrics) Watch(mgr *rooms.Manager) { m.mgr.Store(mgr) }

// Tick implements rooms.Metrics.
func (m *Metrics) Tick(took, late time.Duration, isLate bool) {
	m.tickDuration.Observe(took.Seconds())
	m.tickLateness.Observe(late.Seconds())
	if isLate {
		m.lateTicks.Inc()
	}
}

func (m *Metrics) connection(result string) {
	if m != nil {
		m.connections.WithLabelValues(result).Inc()
	}
}

func (m *Metrics) sumBytes(in bool) float64 {
	total := m.endedOut.Load()
	if in {
		total = m.endedIn.Load()
	}
	m.live.Range(func(k, _ any) bool {
		i, o := k.(*session.Session).Bytes()
		if in {
			o = i
		}
		total += o
		return true
	})
	return float64(total)
}

func (m *Metrics) sessionStarted(s *session.Session) {
	if m != nil {
		m.live.Store(s, struct{}{})
	}
}

func (m *Metrics) sessionEnded(s *session.Session) {
	if m == nil {
		return
	}
	m.live.Delete(s)
	in, out := s.Bytes()
	m.endedIn.Add(in)
	m.endedOut.Add(out)
	m.closes.WithLabelValues(strconv.Itoa(int(s.Err().Code))).Inc()
	m.inputDrops.WithLabelValues("inbox_full").Add(float64(s.Dropped()))
}

// InputDropped implements rooms.Metrics; the API counts its own drops
// through it too.
func (m *Metrics) InputDropped(reason string) {
	if m != nil {
		m.inputDrops.WithLabelValues(reason).Inc()
	}
}

// InputBacklog implements rooms.Metrics: a room's counts, kept by the room
// between flushes so that a tick costs no shared-counter update per
// player.
func (m *Metrics) InputBacklog(counts *[rooms.MaxInputBacklog + 1]uint64) {
	for i, n := range counts {
		if n > 0 {
			m.backlog[i].Add(float64(n))
		}
	}
}

// Panicked implements rooms.Metrics.
func (m *Metrics) Panicked() { m.panics.Inc() }

func (m *Metrics) memoryReleased() {
	if m != nil {
		m.releases.Inc()
	}
}

// Refused counts a refusal by the quota named (the flag that sets it).
func (m *Metrics) Refused(quota string) {
	if m != nil {
		m.refusals.WithLabelValues(quota).Inc()
	}
}
