package rooms

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/netcode"
)

// TestIdleClose: a room without seats closes at the first tick at least
// IdleTimeout after the first tick it found itself empty: Done closes, Err
// is nil, its directory record and its Manager entry are gone. A persistent
// room never closes.
func TestIdleClose(t *testing.T) {
	const idle = 2 * time.Second
	tests := []struct {
		name       string
		rate       int
		phase      time.Duration
		persistent bool
		// setup runs at creation and returns the first tick the room is
		// empty at.
		setup func(t *testing.T, h *harness, r *Room, clk clock) uint32
	}{
		{name: "empty room", rate: 30, phase: 4 * time.Millisecond, setup: emptyFrom(1)},
		{name: "empty room, timeout a whole number of ticks", rate: 20, setup: emptyFrom(1)},
		{name: "persistent room", rate: 30, phase: 4 * time.Millisecond, persistent: true, setup: emptyFrom(1)},
		{name: "after its last player leaves", rate: 30, phase: 21 * time.Millisecond,
			setup: func(t *testing.T, h *harness, r *Room, clk clock) uint32 {
				c := newMemConn(0)
				h.join(r, "p", c)
				advanceTo(t, clk.at(5))
				c.Send(t, netcode.ClientMessage{Type: netcode.MsgLeave})
				advanceTo(t, clk.at(6))
				if closed, code, reason := c.Closed(); !closed || code != netcode.CloseNormal || reason != "left the room" {
					t.Fatalf("leaver's conn: closed %v, %d %q", closed, code, reason)
				}
				if info := r.Info(); info.Players != 0 {
					t.Fatalf("info after leave %+v", info)
				}
				return 6
			}},
		{name: "after a reservation expires", rate: 60, phase: 10 * time.Millisecond,
			setup: func(t *testing.T, h *harness, r *Room, clk clock) uint32 {
				res, err := r.Reserve(h.ctx, "p", "")
				if err != nil {
					t.Fatal(err)
				}
				return clk.firstAfter(res.Expires)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, Options{IdleTimeout: idle, ReservationTTL: 700 * time.Millisecond})
				r, clk := h.create(Config{TickRate: tt.rate, Persistent: tt.persistent, Seed: seedFor(tt.rate, tt.phase)})
				empty := tt.setup(t, h, r, clk)
				end := clk.firstAtOrAfter(clk.at(empty).Add(idle))
				if tt.persistent {
					advanceTo(t, clk.at(end+3*uint32(tt.rate)*uint32(idle/time.Second)))
					select {
					case <-r.Done():
						t.Fatal("persistent room closed")
					default:
					}
					if _, err := h.mgr.Get(r.ID()); err != nil {
						t.Fatal(err)
					}
					return
				}
				advanceTo(t, clk.at(end).Add(-time.Nanosecond))
				select {
				case <-r.Done():
					t.Fatalf("closed before tick %d", end)
				default:
				}
				if _, err := h.mgr.Directory().Get(h.ctx, r.ID()); err != nil {
					t.Fatalf("1ns before closing: %v", err)
				}
				advanceTo(t, clk.at(end))
				select {
				case <-r.Done():
				default:
					t.Fatalf("open at tick %d, %v after tick %d", end, clk.at(end).Sub(clk.at(empty)), empty)
				}
				if tick, _ := r.Clock(); tick != end || r.Err() != nil {
					t.Fatalf("ended at tick %d (want %d), err %v", tick, end, r.Err())
				}
				if _, err := h.mgr.Directory().Get(h.ctx, r.ID()); !errors.Is(err, directory.ErrNotFound) {
					t.Fatalf("directory: %v", err)
				}
				if _, err := h.mgr.Get(r.ID()); !errors.Is(err, ErrNotFound) {
					t.Fatalf("manager: %v", err)
				}
				if _, err := r.Reserve(h.ctx, "late", ""); !errors.Is(err, ErrClosed) {
					t.Fatalf("reserve in a closed room: %v", err)
				}
				if m := h.metrics.seen(); m.ticks != int(end) {
					t.Fatalf("%d ticks, want %d", m.ticks, end)
				}
			})
		})
	}
}

func emptyFrom(tick uint32) func(*testing.T, *harness, *Room, clock) uint32 {
	return func(*testing.T, *harness, *Room, clock) uint32 { return tick }
}

// panicGame panics in the Step that would make tick stepAt, or in Join of
// a player named "boom".
type panicGame struct {
	game.Game
	stepAt uint32
}

func (g *panicGame) Step(ev []game.Event) []game.Event {
	if g.Tick()+1 == g.stepAt {
		panic("boom in Step")
	}
	return g.Game.Step(ev)
}

func (g *panicGame) Join(id game.PlayerID, name string) error {
	if name == "boom" {
		panic("boom in Join")
	}
	return g.Game.Join(id, name)
}

// TestGamePanic: a game that panics closes its room alone: the room's conns
// get an internal error and 1011, Err says why, Panicked is counted, and
// the room next door and the Manager carry on.
func TestGamePanic(t *testing.T) {
	const rate = 30
	const stepAt = 10
	tests := []struct {
		name    string
		inJoin  bool   // the panic comes from Attach's Join, after tick 5
		endTick uint32 // the room's last tick
	}{
		{name: "in Step", endTick: stepAt - 1},
		{name: "in Join", inJoin: true, endTick: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarnessWrap(t, Options{}, func(cfg Config, g *arena.Arena) game.Game {
					if cfg.Name == "doomed" {
						at := uint32(0)
						if !tt.inJoin {
							at = stepAt
						}
						return &panicGame{Game: g, stepAt: at}
					}
					return g
				})
				bad, clk := h.create(Config{Name: "doomed", TickRate: rate, Seed: seedFor(rate, 3*time.Millisecond)})
				good, goodClk := h.create(Config{Name: "fine", TickRate: rate, Seed: seedFor(rate, 17*time.Millisecond)})
				victims := []*memConn{newMemConn(0), newMemConn(0)}
				for _, c := range victims {
					h.join(bad, "p", c)
				}
				bystander := newMemConn(0)
				h.join(good, "q", bystander)

				if tt.inJoin {
					advanceTo(t, clk.at(5))
					res, err := bad.Reserve(h.ctx, "boom", "")
					if err != nil {
						t.Fatal(err)
					}
					claims, _ := h.mgr.Tokens().Verify(res.Token)
					if err := bad.Claim(h.ctx, claims); err != nil {
						t.Fatal(err)
					}
					if err := bad.Attach(h.ctx, claims.PlayerID, newMemConn(0), 0); !errors.Is(err, ErrClosed) {
						t.Fatalf("attach into a panicking Join: %v, want ErrClosed", err)
					}
					synctest.Wait()
				} else {
					advanceTo(t, clk.at(stepAt).Add(-time.Nanosecond))
					select {
					case <-bad.Done():
						t.Fatal("closed before the panic")
					default:
					}
					advanceTo(t, clk.at(stepAt))
				}
				select {
				case <-bad.Done():
				default:
					t.Fatal("room still open after its game panicked")
				}
				if err := bad.Err(); err == nil || !strings.Contains(err.Error(), "game panicked: boom") {
					t.Fatalf("Err() = %v", err)
				}
				if tick, _ := bad.Clock(); tick != tt.endTick {
					t.Fatalf("panicked room at tick %d, want %d", tick, tt.endTick)
				}
				for i, c := range victims {
					c.CheckClosedWith(t, netcode.CloseInternalError, netcode.CodeInternal)
					if n := c.NumSnapshots(); n != int(tt.endTick) {
						t.Fatalf("conn %d: %d snapshots, want %d", i, n, tt.endTick)
					}
				}
				if m := h.metrics.seen(); m.panicked != 1 {
					t.Fatalf("Panicked counted %d times", m.panicked)
				}
				if _, err := h.mgr.Get(bad.ID()); !errors.Is(err, ErrNotFound) {
					t.Fatalf("manager still has the room: %v", err)
				}
				if _, err := h.mgr.Directory().Get(h.ctx, bad.ID()); !errors.Is(err, directory.ErrNotFound) {
					t.Fatalf("directory still has the room: %v", err)
				}

				// The neighbour ticks on, on schedule.
				advanceTo(t, goodClk.at(3*rate))
				if tick, _ := good.Clock(); tick != 3*rate {
					t.Fatalf("other room at tick %d, want %d", tick, 3*rate)
				}
				if closed, _, _ := bystander.Closed(); closed || bystander.NumSnapshots() != 3*rate {
					t.Fatalf("bystander: closed %v, %d snapshots", closed, bystander.NumSnapshots())
				}
				r3, clk3 := h.create(Config{Name: "after", TickRate: rate, Seed: seedFor(rate, 0)})
				c3 := newMemConn(0)
				h.join(r3, "r", c3)
				advanceTo(t, clk3.at(2))
				if c3.NumSnapshots() != 2 {
					t.Fatalf("new room: %d snapshots", c3.NumSnapshots())
				}
				if m := h.metrics.seen(); m.panicked != 1 {
					t.Fatalf("Panicked counted %d times", m.panicked)
				}
			})
		})
	}
}
