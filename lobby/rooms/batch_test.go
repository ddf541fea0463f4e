package rooms

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/netcode"
)

// burstGame is an arena whose Step producing tick at also yields n system
// events: a crowd's chat, all landing in one tick.
type burstGame struct {
	game.Game
	at uint32
	n  int
}

func (g *burstGame) Step(ev []game.Event) []game.Event {
	ev = g.Game.Step(ev)
	if g.Game.Tick() == g.at {
		for i := range g.n {
			ev = append(ev, game.Event{Kind: game.EventSystem, Text: fmt.Sprintf("burst %d", i)})
		}
	}
	return ev
}

// TestEventBatchLimit: no events message holds more than MaxEventsBatch
// events, neither a tick's nor a resume's; more are split into several
// messages, in order, and every event arrives once.
func TestEventBatchLimit(t *testing.T) {
	const rate, burstAt = 30, 5
	tests := []struct {
		n int
		// sizes of the events messages a connected player gets for the
		// burst tick, and a resuming one for what it missed
		tick, resume []int
	}{
		{n: netcode.MaxEventsBatch, tick: []int{256}, resume: []int{256}},
		{n: netcode.MaxEventsBatch + 1, tick: []int{256, 1}, resume: []int{256, 1}},
		// The room keeps the last eventLogLen (512) events to resume from.
		{n: 600, tick: []int{256, 256, 88}, resume: []int{256, 256}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarnessWrap(t, Options{}, func(_ Config, g *arena.Arena) game.Game {
					return &burstGame{Game: g, at: burstAt, n: tt.n}
				})
				r, clk := h.create(Config{TickRate: rate, Seed: seedFor(rate, time.Millisecond)})
				a, b := newMemConn(0), newMemConn(0)
				h.join(r, "a", a)
				h.join(r, "b", b)
				advanceTo(t, clk.at(burstAt-1))
				seen := b.Events(t)
				lastSeen := seen[len(seen)-1].Seq
				welB := b.Welcome(t)
				b.Drop()
				before := len(a.Messages(t))
				advanceTo(t, clk.at(burstAt))

				var sizes []int
				var got []game.Event
				for _, m := range a.Messages(t)[before:] {
					if m.Type == netcode.MsgEvents {
						sizes = append(sizes, len(m.Events))
						got = append(got, m.Events...)
					}
				}
				checkBatches(t, "tick", sizes, tt.tick, got, lastSeen+1)

				b2 := newMemConn(0)
				if _, err := h.reconnect(r, welB.ReconnectToken, b2, lastSeen); err != nil {
					t.Fatal(err)
				}
				sizes, got = nil, nil
				for _, m := range b2.Messages(t)[1:] {
					if m.Type != netcode.MsgEvents {
						t.Fatalf("resume sent message type %d", m.Type)
					}
					sizes = append(sizes, len(m.Events))
					got = append(got, m.Events...)
				}
				last := lastSeen + uint32(tt.n)
				checkBatches(t, "resume", sizes, tt.resume, got, last-uint32(min(tt.n, eventLogLen))+1)
			})
		})
	}
}

// checkBatches fails t unless the events messages had the sizes want and
// their events are numbered from first on, one apart.
func checkBatches(t *testing.T, what string, sizes, want []int, got []game.Event, first uint32) {
	t.Helper()
	if fmt.Sprint(sizes) != fmt.Sprint(want) {
		t.Fatalf("%s: events messages of %v events, want %v", what, sizes, want)
	}
	for i, e := range got {
		if e.Seq != first+uint32(i) {
			t.Fatalf("%s: event %d has seq %d, want %d", what, i, e.Seq, first+uint32(i))
		}
	}
}
