package lobby

import (
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/tickroom/tickroom/netcode"
	"golang.org/x/time/rate"
)

// Limits bounds what one client may send. Zero fields take the defaults noted.
type Limits struct {
	// InputRate and InputBurst bound inputs and pings per second per
	// connection. Defaults 90/s, burst 30: a 60 Hz client with pings fits.
	InputRate  float64
	InputBurst int
	// ChatRate and ChatBurst bound chat messages. Defaults 2/s, burst 5.
	ChatRate  float64
	ChatBurst int
	// FloodRate and FloodBurst bound the excess: a client whose dropped
	// messages outrun them is closed with 1008. Defaults 30/s, burst 120.
	FloodRate  float64
	FloodBurst int
	// MaxConnsPerIP caps open WebSockets from one address; 0 means 64,
	// negative means no cap.
	MaxConnsPerIP int
}

func (l Limits) withDefaults() Limits {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.InputRate, 90)
	defInt(&l.InputBurst, 30)
	def(&l.ChatRate, 2)
	defInt(&l.ChatBurst, 5)
	def(&l.FloodRate, 30)
	defInt(&l.FloodBurst, 120)
	defInt(&l.MaxConnsPerIP, 64)
	return l
}

// ErrFlooding closes a client that keeps sending far over its rate; it
// wraps netcode.ErrRateLimited, so the client is told with that error code.
var ErrFlooding = fmt.Errorf("%w: flooding: sending far more messages than allowed", netcode.ErrRateLimited)

// admission rate-limits one connection's messages; it runs on the
// session's read goroutine only. The chat and flood buckets are made on
// first need: most connections never chat or flood, and every connected
// player pays for what it holds.
type admission struct {
	limits               *Limits
	inputs, chats, flood *rate.Limiter
	metrics              *Metrics
}

func newAdmission(l *Limits, m *Metrics) *admission {
	return &admission{limits: l, inputs: rate.NewLimiter(rate.Limit(l.InputRate), l.InputBurst), metrics: m}
}

func (a *admission) admit(m netcode.ClientMessage) (bool, error) {
	lim := a.inputs
	switch m.Type {
	case netcode.MsgChat:
		if a.chats == nil {
			a.chats = rate.NewLimiter(rate.Limit(a.limits.ChatRate), a.limits.ChatBurst)
		}
		lim = a.chats
	case netcode.MsgLeave:
		return true, nil
	}
	if lim.Allow() {
		return true, nil
	}
	a.metrics.InputDropped("rate")
	if a.flood == nil {
		a.flood = rate.NewLimiter(rate.Limit(a.limits.FloodRate), a.limits.FloodBurst)
	}
	if !a.flood.Allow() {
		return false, ErrFlooding
	}
	return false, nil
}

// ipConns counts open WebSockets per remote address.
type ipConns struct {
	max int
	mu  sync.Mutex
	n   map[string]int // guarded by mu
}

func newIPConns(max int) *ipConns { return &ipConns{max: max, n: make(map[string]int)} }

// acquire takes a slot for r's address, or explains why not.
func (c *ipConns) acquire(r *http.Request) (release func(), err error) {
	ip, _, splitErr := net.SplitHostPort(r.RemoteAddr)
	if splitErr != nil {
		ip = r.RemoteAddr
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max > 0 && c.n[ip] >= c.max {
		return nil, &FieldError{Field: "connection", Status: http.StatusTooManyRequests,
			Detail: fmt.Sprintf("too many connections from %s (limit %d)", ip, c.max)}
	}
	c.n[ip]++
	return func() {
		c.mu.Lock()
		if c.n[ip]--; c.n[ip] <= 0 {
			delete(c.n, ip)
		}
		c.mu.Unlock()
	}, nil
}
