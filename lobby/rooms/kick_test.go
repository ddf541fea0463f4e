package rooms

import (
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tickroom/tickroom/game"
)

// TestKickedSeatIsFreed: a connection closed for what its client sent
// (Kicked) does not leave its seat reconnecting: the player leaves the
// game, the seat is free for another player and the reconnect token is
// spent — at the next tick, or at once when a join or a reconnect asks
// first. A lost connection (Drop) keeps its seat.
func TestKickedSeatIsFreed(t *testing.T) {
	for _, tt := range []struct {
		name string
		// ask before the next tick: reserve the seat, or reconnect
		reserve, reconnect bool
	}{
		{name: "at the next tick"},
		{name: "at once for a join", reserve: true},
		{name: "at once for its reconnect token", reconnect: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, Options{ReconnectGrace: time.Minute})
				r, clk := h.create(Config{TickRate: 30, MaxPlayers: 3, Seed: seedFor(30, 2*time.Millisecond)})
				a, b, c := newMemConn(0), newMemConn(0), newMemConn(0)
				h.join(r, "a", a)
				idb, idc := h.join(r, "b", b), h.join(r, "c", c)
				advanceTo(t, clk.at(2))
				tokB := b.Welcome(t).ReconnectToken
				c.Drop() // lost: keeps its seat
				b.Kick() // refused: loses it
				switch {
				case tt.reserve:
					if _, err := r.Reserve(h.ctx, "d", ""); err != nil {
						t.Fatalf("join right after the kick: %v, want b's seat", err)
					}
				case tt.reconnect:
					if _, err := h.reconnect(r, tokB, newMemConn(0), 0); !errors.Is(err, ErrNoSeat) {
						t.Fatalf("kicked player's reconnect: %v, want ErrNoSeat", err)
					}
				}
				advanceTo(t, clk.at(3))
				if st := rosterState(r, idb); st != "" {
					t.Fatalf("kicked b is %q, want gone", st)
				}
				if st := rosterState(r, idc); st != "reconnecting" {
					t.Fatalf("dropped c is %q, want reconnecting", st)
				}
				if _, ok := findEntity(lastState(t, a), idb); ok {
					t.Fatal("kicked b's avatar still in a's world")
				}
				if !slices.ContainsFunc(a.Events(t), func(e game.Event) bool { return e.Kind == game.EventLeave && e.A == idb }) {
					t.Fatal("a was not told b left")
				}
				if _, err := h.reconnect(r, tokB, newMemConn(0), 0); !errors.Is(err, ErrNoSeat) {
					t.Fatalf("kicked player's reconnect: %v, want ErrNoSeat", err)
				}
				if closed, _, _ := b.Closed(); closed {
					t.Fatal("the room closed the kicked conn again")
				}
			})
		})
	}
}

// TestDroppedPlayerStops: a player whose connection drops stops at once —
// no movement, no shots, inputs still queued thrown away — for the grace
// period, as the recorded operations say; its aim stays.
func TestDroppedPlayerStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &memRecorder{}
		h := newHarness(t, Options{Recorder: rec, ReconnectGrace: 10 * time.Second})
		r, clk := h.create(Config{TickRate: 30, Seed: seedFor(30, 4*time.Millisecond)})
		a, b := newMemConn(0), newMemConn(0)
		h.join(r, "a", a)
		idb := h.join(r, "b", b)
		hold := game.Input{Move: game.MoveDown, Aim: 30000, Buttons: game.ButtonFire}
		var seq uint32
		for k := uint32(1); k <= 5; k++ {
			seq++
			hold.Seq = seq
			b.Input(t, hold)
			advanceTo(t, clk.at(k))
		}
		for range 3 { // queued when the line drops
			seq++
			hold.Seq = seq
			b.Input(t, hold)
		}
		b.Drop()
		const d = 6 // the tick that notices
		advanceTo(t, clk.at(d))
		if st := rosterState(r, idb); st != "reconnecting" {
			t.Fatalf("b is %q", st)
		}
		advanceTo(t, clk.at(d+60))

		var last game.Input
		for _, rc := range rec.records(r.ID()) {
			for _, op := range rc.Ops {
				if op.Kind != OpInput || op.Player != idb {
					continue
				}
				if rc.Tick > d {
					t.Fatalf("input %+v applied for dropped b at tick %d", op.Input, rc.Tick)
				}
				last = op.Input
			}
		}
		if want := (game.Input{Seq: 5, Aim: hold.Aim}); last != want {
			t.Fatalf("b's last recorded input %+v, want %+v", last, want)
		}
		world := lastState(t, a)
		for _, e := range world {
			if e.Kind == game.KindProjectile && e.Owner == idb && e.Born >= d {
				t.Fatalf("dropped b fired at tick %d", e.Born)
			}
		}
		before := lastView(t, a, idb)
		advanceTo(t, clk.at(d+61))
		after := lastView(t, a, idb)
		if after.X != before.X || after.Y != before.Y || after.VX != 0 || after.VY != 0 || after.Angle != before.Angle {
			t.Fatalf("dropped b still moving: %+v then %+v", before, after)
		}
	})
}
