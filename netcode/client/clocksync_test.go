package client

import (
	"math"
	"testing"

	"github.com/tickroom/tickroom/netcode"
)

// TestServerClock feeds the estimate pongs over a link whose legs are
// 20 ms each plus random queueing on either leg, with the room's clock
// 5000 ms ahead of the client's, and checks the estimate lands within a few
// ms of the truth, while a naive serverTime + rtt/2 from the last pong
// would be off by up to the queueing.
func TestServerClock(t *testing.T) {
	const truth = 5000.0 // room clock − client clock
	var k serverClock
	k.welcome(&netcode.Welcome{Tick: 300, ServerTime: 10000, TickRate: 30}, 10000-truth+20)
	if got := k.now(0); math.Abs(got-truth) > 25 {
		t.Fatalf("after the welcome: offset %v, want about %v (late by the one-way delay)", got, truth)
	}
	// Queueing delays, ms, on the way out and back, one pair per ping.
	queue := [][2]float64{{80, 0}, {0, 120}, {3, 1}, {40, 40}, {0, 200}, {150, 10}, {2, 2}, {60, 0}, {0, 90}}
	now := 1000.0
	for i, q := range queue {
		send := now
		serverTime := send + 20 + q[0] + truth
		arrive := send + 20 + q[0] + 20 + q[1]
		rtt := k.pong(&netcode.Pong{ClientTime: send, ServerTime: serverTime}, arrive)
		if want := 40 + q[0] + q[1]; rtt != want {
			t.Fatalf("ping %d: rtt %v, want %v", i, rtt, want)
		}
		if i >= 2 { // the {3, 1} sample is in the window from then on
			if err := k.now(0) - truth; math.Abs(err) > 2 {
				t.Errorf("ping %d: offset off by %v ms", i, err)
			}
		}
		now += 1000
	}
	// The window of eight has moved past the first ping; the estimate still
	// rests on the least-queued samples.
	if err := k.now(0) - truth; math.Abs(err) > 1 {
		t.Errorf("final offset off by %v ms", err)
	}
	if got, want := k.at(330), 10000.0+1000; got != want {
		t.Errorf("tick 330 at %v ms, want %v", got, want)
	}
	if got, want := k.at(299), 10000.0-1000.0/30; math.Abs(got-want) > 1e-9 {
		t.Errorf("tick 299 at %v ms, want %v", got, want)
	}
}
