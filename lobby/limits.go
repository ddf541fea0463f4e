package lobby

import (
	"fmt"
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
	// MaxConnsPerIP caps open WebSockets from one client (see clientKey:
	// an IPv4 address, an IPv6 /64, or loopback); 0 means 64, negative
	// means no cap.
	MaxConnsPerIP int
	// RoomsPerClient caps the rooms one client has created that are still
	// open. Rooms made by quick play belong to nobody and do not count.
	// 0 means 8, negative means no cap.
	RoomsPerClient int
	// RoomCreateRate (rooms a minute) and RoomCreateBurst bound how fast
	// one client creates rooms, so closing rooms to make new ones cannot
	// churn the node. Defaults 10 a minute, burst 5; a negative rate
	// means no limit.
	RoomCreateRate  float64
	RoomCreateBurst int
	// PendingPerClient caps one client's reservations (joins and quick
	// plays) not yet claimed by their WebSocket, across every room: a
	// client cannot hold seats it does not use. Quick play checks it
	// before making a room, so it bounds the rooms quick play can be made
	// to create too. 0 means 4, negative means no cap.
	PendingPerClient int
	// StreamsPerClient caps one client's open event streams and
	// long-polls together. 0 means 32, negative means no cap.
	StreamsPerClient int
	// MaxStreams caps open event streams and long-polls on the server:
	// each holds a socket, so this keeps them below what the process may
	// open, with room left for health checks, joins and players. 0 means
	// 1000, negative means no cap (cmd/tickroom derives it from the
	// process's descriptor limit).
	MaxStreams int
}

// WithDefaults is l with each zero field set to its default, as the API
// applies them.
func (l Limits) WithDefaults() Limits {
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
	defInt(&l.RoomsPerClient, 8)
	def(&l.RoomCreateRate, 10)
	defInt(&l.RoomCreateBurst, 5)
	defInt(&l.PendingPerClient, 4)
	defInt(&l.StreamsPerClient, 32)
	defInt(&l.MaxStreams, 1000)
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

// ipConns counts open WebSockets per client.
type ipConns struct {
	max int
	mu  sync.Mutex
	n   map[clientKey]int // guarded by mu
}

func newIPConns(max int) *ipConns { return &ipConns{max: max, n: make(map[clientKey]int)} }

// acquire takes a slot for client, or explains why not.
func (c *ipConns) acquire(client clientKey) (release func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max > 0 && c.n[client] >= c.max {
		return nil, &QuotaError{Quota: "max-conns-per-ip", Field: "connection",
			Detail: fmt.Sprintf("too many connections from %s (limit %d)", client, c.max)}
	}
	c.n[client]++
	return func() {
		c.mu.Lock()
		if c.n[client]--; c.n[client] <= 0 {
			delete(c.n, client)
		}
		c.mu.Unlock()
	}, nil
}
