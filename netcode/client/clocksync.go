package client

import (
	"sync"
	"time"

	"github.com/tickroom/tickroom/netcode"
)

// clockSamples is how many recent pongs the clock estimate chooses from.
const clockSamples = 8

// serverClock estimates the room's clock from the client's: each pong gives
// a sample offset = serverTime − (clientSend + rtt/2), true when the pong's
// two legs took equally long. The sample with the lowest round trip among
// the last few is the least disturbed by queueing, so its offset is used.
// Before the first pong, the welcome's serverTime seeds the estimate (late
// by the one-way delay, and by up to a tick: it is when the welcome's tick
// was due). Times are ms.
//
// Written by the client's reading goroutine, read by any: guarded by mu.
type serverClock struct {
	mu       sync.Mutex
	samples  [clockSamples]clockSample
	n        int     // samples taken; the ring holds the last clockSamples
	offset   float64 // server clock − client clock
	tick     uint32  // the anchor: a tick and its room-clock time
	tickTime float64
	tickMS   float64 // ms per tick
}

type clockSample struct{ rtt, offset float64 }

// welcome anchors ticks to the room clock and, before any pong, seeds the
// offset; now is the client's clock when the welcome arrived.
func (k *serverClock) welcome(w *netcode.Welcome, now float64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.tick, k.tickTime, k.tickMS = w.Tick, w.ServerTime, 1000/float64(w.TickRate)
	if k.n == 0 {
		k.offset = w.ServerTime - now
	}
}

// pong adds the sample of a pong that answered a ping sent at clientTime
// and arrived at now, and returns its round trip.
func (k *serverClock) pong(p *netcode.Pong, now float64) float64 {
	rtt := max(0, now-p.ClientTime)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.samples[k.n%clockSamples] = clockSample{rtt: rtt, offset: p.ServerTime - (p.ClientTime + rtt/2)}
	k.n++
	best := k.samples[0]
	for _, s := range k.samples[:min(k.n, clockSamples)] {
		if s.rtt < best.rtt {
			best = s
		}
	}
	k.offset = best.offset
	return rtt
}

// now returns the estimated room clock at client time now.
func (k *serverClock) now(now float64) float64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return now + k.offset
}

// at returns the room-clock time of tick, from the last anchor.
func (k *serverClock) at(tick uint32) float64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.tickTime + float64(int32(tick-k.tick))*k.tickMS
}

// ServerTime estimates the room's clock now, in ms: the clock of
// Welcome.ServerTime, Pong.ServerTime and TickTime. It is seeded by the
// welcome and refined by every pong (call Ping every second or two); see
// docs/protocol.md, "Time".
func (c *Client) ServerTime() float64 { return c.clock.now(c.clientMS()) }

// ClockOffset is the room's clock minus the client's, as estimated from the
// pong with the lowest round trip among the last eight: ServerTime is the
// client's clock plus this.
func (c *Client) ClockOffset() time.Duration {
	c.clock.mu.Lock()
	defer c.clock.mu.Unlock()
	return time.Duration(c.clock.offset * float64(time.Millisecond))
}

// TickTime returns when, in ms on the room's clock, the server produced
// tick: the welcome's serverTime plus 1000/tickRate ms per tick after the
// welcome's tick. A client draws other entities at ServerTime minus an
// interpolation delay (about 100 ms), between the two snapshots whose
// TickTimes surround it.
func (c *Client) TickTime(tick uint32) float64 { return c.clock.at(tick) }
