package session

import (
	"context"
	"sync"
	"time"

	"github.com/tickroom/tickroom/netcode"
)

// Keepalive detects dead peers (TCP alone can take minutes to notice) and
// measures each session's round trip. One goroutine (Run) serves every
// session: a ping waits for its pong on a goroutine that lives only for that
// round trip, so an idle connection parks no keepalive goroutine of its own.
type Keepalive struct {
	interval time.Duration // static

	mu       sync.Mutex
	sessions map[*Session]time.Time // when each was last pinged; guarded by mu
}

// DefaultKeepalive is the keepalive interval NewKeepalive takes for 0: a
// client that stops answering, because it is gone or has stopped reading,
// is closed within Bound, 12.5 s. Each connection then costs a ping and a
// pong every 5 s, and a parked session a wake-up for each pong (see
// docs/performance.md): shorter intervals close dead clients sooner but
// cost every idle connection more and drop clients whose machine stalls
// for a few seconds.
const DefaultKeepalive = 5 * time.Second

// NewKeepalive pings each session every interval (DefaultKeepalive when 0
// or negative); a session that does not answer within another interval is
// closed with 1008. WebSocket libraries answer pings only while their
// application reads, so this is also what closes a client that has stopped
// reading, long before TCP backpressure would show it: see Bound.
func NewKeepalive(interval time.Duration) *Keepalive {
	if interval <= 0 {
		interval = DefaultKeepalive
	}
	return &Keepalive{interval: interval, sessions: make(map[*Session]time.Time)}
}

// Bound is the longest a session stays open after its peer stops
// answering pings (its last pong, or its start): the next ping goes out
// at most an interval and a sixteenth later (Run's granularity), waits an
// interval for its pong, and then the close has an eighth of an interval
// to be written before the connection is cut, 2.1875 intervals in all.
// Bound adds a margin for scheduling and says 2.5.
func (k *Keepalive) Bound() time.Duration { return k.interval * 5 / 2 }

func (k *Keepalive) add(s *Session) {
	k.mu.Lock()
	k.sessions[s] = time.Now()
	k.mu.Unlock()
}

func (k *Keepalive) remove(s *Session) {
	k.mu.Lock()
	delete(k.sessions, s)
	k.mu.Unlock()
}

// Run pings until ctx ends, then waits for pings in flight. Sessions come
// due spread over the interval, so pings do not arrive in bursts.
func (k *Keepalive) Run(ctx context.Context) {
	var inflight sync.WaitGroup
	defer inflight.Wait()
	t := time.NewTicker(max(k.interval/16, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, s := range k.due(now) {
				inflight.Go(func() { k.ping(ctx, s) })
			}
		}
	}
}

func (k *Keepalive) due(now time.Time) []*Session {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []*Session
	for s, last := range k.sessions {
		if now.Sub(last) >= k.interval {
			k.sessions[s] = now.Add(k.interval) // not again until this ping is answered or fails
			out = append(out, s)
		}
	}
	return out
}

func (k *Keepalive) ping(ctx context.Context, s *Session) {
	start := time.Now()
	pctx, cancel := context.WithTimeout(ctx, k.interval)
	err := s.conn.Ping(pctx)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			s.abort(netcode.ClosePolicyViolation, netcode.CodeTooSlow, "keepalive: no pong", k.interval/8)
		}
		return
	}
	s.rtt.Store(int64(time.Since(start)))
	k.mu.Lock()
	if _, ok := k.sessions[s]; ok {
		k.sessions[s] = time.Now()
	}
	k.mu.Unlock()
}
