package rooms

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tickroom/tickroom/netcode"
)

// checkClosesAt checks that r is open 1ns before its tick end and closed,
// gone from the Manager, at it.
func checkClosesAt(t *testing.T, h *harness, r *Room, clk clock, end uint32) {
	t.Helper()
	advanceTo(t, clk.at(end).Add(-time.Nanosecond))
	select {
	case <-r.Done():
		t.Fatalf("closed before tick %d", end)
	default:
	}
	advanceTo(t, clk.at(end))
	select {
	case <-r.Done():
	default:
		t.Fatalf("open at tick %d", end)
	}
	if tick, _ := r.Clock(); tick != end || r.Err() != nil {
		t.Fatalf("ended at tick %d (want %d), err %v", tick, end, r.Err())
	}
	if _, err := h.mgr.Get(r.ID()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("manager: %v", err)
	}
}

// TestUnusedRoomCloses: a room no player ever connected to closes
// UnusedTimeout after it was last without seats, long before IdleTimeout;
// a reservation that nobody used does not make it a used room; a room
// that had a player waits out IdleTimeout.
func TestUnusedRoomCloses(t *testing.T) {
	const (
		rate   = 30
		idle   = time.Minute
		unused = 3 * time.Second
		ttl    = time.Second
	)
	tests := []struct {
		name string
		// setup runs at creation and returns the first tick the room is
		// empty at and the timeout it should close after.
		setup func(t *testing.T, h *harness, r *Room, clk clock) (uint32, time.Duration)
	}{
		{"never joined", func(*testing.T, *harness, *Room, clock) (uint32, time.Duration) { return 1, unused }},
		{"reservation never used", func(t *testing.T, h *harness, r *Room, clk clock) (uint32, time.Duration) {
			res, err := r.Reserve(h.ctx, "p", "")
			if err != nil {
				t.Fatal(err)
			}
			return clk.firstAfter(res.Expires), unused
		}},
		{"had a player", func(t *testing.T, h *harness, r *Room, clk clock) (uint32, time.Duration) {
			c := newMemConn(0)
			h.join(r, "p", c)
			advanceTo(t, clk.at(5))
			c.Send(t, netcode.ClientMessage{Type: netcode.MsgLeave})
			advanceTo(t, clk.at(6))
			if info := r.Info(); info.Players != 0 {
				t.Fatalf("info after leave %+v", info)
			}
			return 6, idle
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, Options{IdleTimeout: idle, UnusedTimeout: unused, ReservationTTL: ttl})
				r, clk := h.create(Config{TickRate: rate, Seed: seedFor(rate, 7*time.Millisecond)})
				empty, timeout := tt.setup(t, h, r, clk)
				checkClosesAt(t, h, r, clk, clk.firstAtOrAfter(clk.at(empty).Add(timeout)))
			})
		})
	}
}

// TestPendingShare: unclaimed reservations may hold PendingShare of the
// open seats, at least MinPending; past that a join is refused with the
// time until the soonest expires, and a player connecting or a reservation
// expiring makes room again.
func TestPendingShare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const ttl = 10 * time.Second
		h := newHarness(t, Options{ReservationTTL: ttl})
		r, clk := h.create(Config{TickRate: 30, MaxPlayers: 16, Seed: seedFor(30, 0)})
		start := time.Now()
		var first Reservation
		for i := range 8 {
			res, err := r.Reserve(h.ctx, "squatter", "")
			if err != nil {
				t.Fatalf("reservation %d of 8 (half of 16 open seats): %v", i+1, err)
			}
			if i == 0 {
				first = res
				advance(time.Second) // the others expire later
			}
		}
		_, err := r.Reserve(h.ctx, "ninth", "")
		var pe *PendingError
		if !errors.As(err, &pe) || !errors.Is(err, ErrTooManyPending) || pe.Limit != 8 {
			t.Fatalf("ninth pending reservation: %v, want a PendingError with limit 8", err)
		}
		if want := first.Expires.Sub(time.Now()); pe.RetryAfter != want {
			t.Fatalf("retry after %v, want %v (the first expiry)", pe.RetryAfter, want)
		}
		// One connects: 15 seats open, 7 pending, the limit is still 8.
		claims, _ := h.mgr.Tokens().Verify(first.Token)
		if err := r.Claim(h.ctx, claims); err != nil {
			t.Fatal(err)
		}
		if err := r.Attach(h.ctx, claims.PlayerID, newMemConn(0), 0); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Reserve(h.ctx, "after a connect", ""); err != nil {
			t.Fatalf("reserve after one connected: %v", err)
		}
		if _, err := r.Reserve(h.ctx, "over again", ""); !errors.As(err, &pe) {
			t.Fatalf("over the limit again: %v", err)
		}
		// Every reservation expires: the room takes joins again.
		advanceTo(t, clk.at(clk.firstAfter(start.Add(time.Second+ttl))))
		if _, err := r.Reserve(h.ctx, "later", ""); err != nil {
			t.Fatalf("reserve after the others expired: %v", err)
		}

		// A small room: MinPending lets every seat be reserved at once.
		small, _ := h.create(Config{Name: "duel", TickRate: 30, MaxPlayers: 4, Seed: seedFor(30, 0)})
		for i := range 4 {
			if _, err := small.Reserve(h.ctx, "p", ""); err != nil {
				t.Fatalf("small room, reservation %d: %v", i+1, err)
			}
		}
		if _, err := small.Reserve(h.ctx, "p", ""); !errors.Is(err, ErrFull) {
			t.Fatalf("fifth in a room of 4: %v, want ErrFull", err)
		}
	})
}

// TestPendingShareOff: a negative PendingShare lets reservations fill a room.
func TestPendingShareOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Options{PendingShare: -1})
		r, _ := h.create(Config{TickRate: 30, MaxPlayers: 16, Seed: seedFor(30, 0)})
		for i := range 16 {
			if _, err := r.Reserve(h.ctx, "p", ""); err != nil {
				t.Fatalf("reservation %d: %v", i+1, err)
			}
		}
	})
}
