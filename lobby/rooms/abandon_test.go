package rooms

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/lobby/directory"
)

// blockingGame stops its room's goroutine inside Step while gate holds
// its one token (a channel, not a mutex: synctest counts a goroutine
// blocked on a channel as durably blocked).
type blockingGame struct {
	game.Game
	gate chan struct{}
}

func (g *blockingGame) Step(ev []game.Event) []game.Event {
	g.gate <- struct{}{}
	<-g.gate
	return g.Game.Step(ev)
}

// TestReserveAbandoned: a join whose caller gives up while its request
// waits for the busy room goroutine holds no seat once the room gets to it.
func TestReserveAbandoned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{}, 1)
		h := newHarnessWrap(t, Options{}, func(_ Config, g *arena.Arena) game.Game { return &blockingGame{g, gate} })
		r, clk := h.create(Config{TickRate: 30, MaxPlayers: 1, Seed: seedFor(30, 0)})
		advanceTo(t, clk.at(2))
		gate <- struct{}{} // the room blocks in its next Step
		advance(clk.period)

		ctx, cancel := context.WithCancel(h.ctx)
		got := make(chan error, 1)
		go func() {
			_, err := r.Reserve(ctx, "quitter", "")
			got <- err
		}()
		synctest.Wait() // queued behind the stuck tick
		cancel()
		if err := <-got; !errors.Is(err, context.Canceled) {
			t.Fatalf("abandoned reserve: %v, want context.Canceled", err)
		}
		<-gate
		advance(clk.period)
		if info := r.Info(); info.Reserved != 0 {
			t.Fatalf("info %+v: the abandoned join holds a seat", info)
		}
		if _, err := r.Reserve(h.ctx, "next", ""); err != nil {
			t.Fatalf("the room's only seat: %v", err)
		}
	})
}

// cancelOnReserve is a directory that cancels a caller's context as soon
// as a room publishes a reserved seat: while the room is still answering
// its Reserve.
type cancelOnReserve struct {
	directory.Directory
	cancel context.CancelFunc
}

func (d *cancelOnReserve) Put(ctx context.Context, r *directory.Room) error {
	if r.Reserved > 0 {
		d.cancel()
	}
	return d.Directory.Put(ctx, r)
}

// TestReserveUndoneWhenCallerGivesUp: a caller that gives up after the room
// has started reserving its seat gets no seat, and the room frees it.
func TestReserveUndoneWhenCallerGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		dir := &cancelOnReserve{Directory: directory.NewMemory(), cancel: cancel}
		h := newHarness(t, Options{Directory: dir})
		r, clk := h.create(Config{TickRate: 30, MaxPlayers: 1, Seed: seedFor(30, 0)})
		advanceTo(t, clk.at(1))
		if _, err := r.Reserve(ctx, "quitter", ""); !errors.Is(err, context.Canceled) {
			t.Fatalf("reserve whose caller gave up meanwhile: %v, want context.Canceled", err)
		}
		dir.cancel = func() {}
		if info := r.Info(); info.Reserved != 0 {
			t.Fatalf("info %+v: a seat is held for a caller that gave up", info)
		}
		if _, err := r.Reserve(h.ctx, "next", ""); err != nil {
			t.Fatalf("the room's only seat: %v", err)
		}
	})
}
