package rooms

import (
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
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
// period: the room applies no more of its inputs and tells the game it is
// away (Game.SetAway, recorded as OpAway), and the arena zeroes its move
// and fire there; its aim stays.
func TestDroppedPlayerStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &memRecorder{}
		h := newHarness(t, Options{Recorder: rec, ReconnectGrace: 10 * time.Second})
		r, clk := h.create(Config{TickRate: 30, Seed: seedFor(30, 4*time.Millisecond)})
		a, b := newMemConn(0), newMemConn(0)
		h.join(r, "a", a)
		idb := h.join(r, "b", b)
		// Right along the map's long side, which takes two seconds to
		// cross, firing up and to the right (not at a): shots fly half a
		// second, longer than the cooldown.
		hold := arena.Input{Move: arena.MoveRight, Aim: 60000, Buttons: arena.ButtonFire}
		var seq uint32
		for k := uint32(1); k <= 5; k++ {
			seq++
			hold.Seq = seq
			b.Input(t, hold.Wire())
			advanceTo(t, clk.at(k))
		}
		for range 3 { // queued when the line drops
			seq++
			hold.Seq = seq
			b.Input(t, hold.Wire())
		}
		b.Drop()
		const d = 6 // the tick that notices
		advanceTo(t, clk.at(d))
		if st := rosterState(r, idb); st != "reconnecting" {
			t.Fatalf("b is %q", st)
		}
		advanceTo(t, clk.at(d+30))

		var last game.Input
		awayAt := uint32(0)
		for _, rc := range rec.records(r.ID()) {
			for _, op := range rc.Ops {
				if op.Player != idb {
					continue
				}
				switch {
				case op.Kind == OpAway && op.Away:
					if awayAt != 0 {
						t.Fatalf("b went away twice: at ticks %d and %d", awayAt, rc.Tick)
					}
					awayAt = rc.Tick
				case op.Kind == OpAway:
					if rc.Tick > 1 {
						t.Fatalf("b came back at tick %d", rc.Tick)
					}
				case op.Kind == OpInput:
					if rc.Tick > d || awayAt != 0 {
						t.Fatalf("input %+v applied for dropped b at tick %d", op.Input, rc.Tick)
					}
					last = op.Input
				}
			}
		}
		if want := (arena.Input{Seq: 5, Move: hold.Move, Aim: hold.Aim, Buttons: hold.Buttons}).Wire(); last != want {
			t.Fatalf("b's last recorded input %+v, want %+v", last, want)
		}
		if awayAt != d {
			t.Fatalf("b recorded away before tick %d's step, want tick %d", awayAt, d)
		}
		shots := 0
		for _, world := range a.States(t) {
			for i := range world {
				if e := arena.EntityOf(&world[i]); e.Kind == arena.KindProjectile && e.Owner == idb {
					shots++
					if e.Born >= d {
						t.Fatalf("dropped b fired at tick %d", e.Born)
					}
				}
			}
		}
		if shots == 0 {
			t.Fatal("b never fired: the test proves nothing")
		}
		// Velocities are private to b's own view: the game shows them.
		// A second after the drop b has glided to a stop, where friction
		// leaves the quantization's rest of at most one wire unit, which
		// no longer moves it (docs/game.md).
		before := h.avatar(r, "room", idb)
		advanceTo(t, clk.at(d+31))
		after := h.avatar(r, "room", idb)
		if after.X != before.X || after.Y != before.Y || abs(after.VX) > 1 || abs(after.VY) > 1 || after.Angle != before.Angle ||
			after.Angle != hold.Aim || after.Flags&arena.FlagAway == 0 {
			t.Fatalf("dropped b still moving, or not shown away: %+v then %+v", before, after)
		}
		if seen := lastView(t, a, idb); seen.X != after.X || seen.Y != after.Y || seen.Flags != after.Flags {
			t.Fatalf("a sees b at %+v, the game has it at %+v", seen, after)
		}
	})
}

func abs(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}
