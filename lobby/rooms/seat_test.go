package rooms

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/netcode"
)

// TestReservationExpiry: a reserved seat counts (Info, the directory, a
// full room refusing the next Reserve) up to the last tick at or before
// its deadline, and is freed by the first tick after it, whether or not its
// token was claimed.
func TestReservationExpiry(t *testing.T) {
	tests := []struct {
		name         string
		rate         int
		phase        time.Duration
		ttl          time.Duration
		reserveAfter uint32 // reserve right after this tick (0: at creation)
		claim        bool
	}{
		{"30Hz", 30, 5 * time.Millisecond, time.Second, 0, false},
		{"20Hz, deadline on a tick", 20, 0, time.Second, 0, false},
		{"60Hz, claimed, never attached", 60, 3 * time.Millisecond, 250 * time.Millisecond, 4, true},
		{"10Hz, reserved mid-run", 10, 40 * time.Millisecond, 2 * time.Second, 17, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, Options{ReservationTTL: tt.ttl})
				r, clk := h.create(Config{TickRate: tt.rate, MaxPlayers: 1, Seed: seedFor(tt.rate, tt.phase)})
				if tt.reserveAfter > 0 {
					advanceTo(t, clk.at(tt.reserveAfter))
				}
				now := time.Now()
				res, err := r.Reserve(h.ctx, "p", "")
				if err != nil {
					t.Fatal(err)
				}
				if !res.Expires.Equal(now.Add(tt.ttl)) {
					t.Fatalf("reservation expires at %v, want %v", res.Expires, now.Add(tt.ttl))
				}
				claims, err := h.mgr.Tokens().Verify(res.Token)
				if err != nil {
					t.Fatal(err)
				}
				if tt.claim {
					if err := r.Claim(h.ctx, claims); err != nil {
						t.Fatal(err)
					}
				}
				gone := clk.firstAfter(res.Expires)
				if gone <= tt.reserveAfter+1 {
					t.Fatalf("bad case: expiry tick %d", gone)
				}
				held := func(at time.Time) {
					t.Helper()
					advanceTo(t, at)
					info := r.Info()
					dir, err := h.mgr.Directory().Get(h.ctx, r.ID())
					if err != nil {
						t.Fatal(err)
					}
					if info.Reserved != 1 || info.Players != 0 || dir.Reserved != 1 || info.HasSpace() {
						t.Fatalf("at %v: info %+v, directory %+v: want the seat reserved", at.Sub(clk.zero), info, dir)
					}
					if p, err := r.Presence(h.ctx); err != nil || len(p) != 0 {
						t.Fatalf("presence %v, %v: reserved seats are not listed", p, err)
					}
					if _, err := r.Reserve(h.ctx, "q", ""); !errors.Is(err, ErrFull) {
						t.Fatalf("second reserve while held: %v, want ErrFull", err)
					}
				}
				held(clk.at(gone - 1))
				held(clk.at(gone).Add(-time.Nanosecond))

				advanceTo(t, clk.at(gone))
				info := r.Info()
				dir, err := h.mgr.Directory().Get(h.ctx, r.ID())
				if err != nil {
					t.Fatal(err)
				}
				if info.Reserved != 0 || dir.Reserved != 0 {
					t.Fatalf("at tick %d: info %+v, directory %+v: want the seat freed", gone, info, dir)
				}
				if tt.claim {
					err = r.Attach(h.ctx, claims.PlayerID, newMemConn(0), 0)
				} else {
					err = r.Claim(h.ctx, claims)
				}
				if !errors.Is(err, ErrNoSeat) {
					t.Fatalf("using the expired seat: %v, want ErrNoSeat", err)
				}
				res2, err := r.Reserve(h.ctx, "q", "")
				if err != nil || res2.PlayerID != claims.PlayerID+1 {
					t.Fatalf("reserve after expiry: %+v, %v", res2, err)
				}
			})
		})
	}
}

// TestReconnectGrace: a conn whose inbox closes leaves its seat
// reconnecting (roster, game flag) from the next tick; the seat is freed by
// the first tick more than ReconnectGrace after that one, and until then a
// reconnect token takes the same player back, with the events it missed.
func TestReconnectGrace(t *testing.T) {
	const grace = 2 * time.Second
	tests := []struct {
		name string
		rate int
		// reconnect at the last instant before the seat is freed, or
		// try at the instant it is
		reconnect, late bool
	}{
		{name: "grace runs out", rate: 30},
		{name: "reconnect at the last instant", rate: 30, reconnect: true},
		{name: "reconnect too late", rate: 30, reconnect: true, late: true},
		// At 20 Hz the grace ends exactly on a tick: that tick still
		// holds the seat.
		{name: "grace ends on a tick, runs out", rate: 20},
		{name: "grace ends on a tick, reconnect at the last instant", rate: 20, reconnect: true},
		{name: "grace ends on a tick, reconnect too late", rate: 20, reconnect: true, late: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, Options{ReconnectGrace: grace})
				r, clk := h.create(Config{TickRate: tt.rate, Seed: seedFor(tt.rate, 9*time.Millisecond)})
				a, b := newMemConn(0), newMemConn(0)
				ida := h.join(r, "a", a)
				idb := h.join(r, "b", b)
				welB := b.Welcome(t)
				if welB.PlayerID != idb || welB.LastEventSeq != 0 {
					t.Fatalf("welcome %+v", welB)
				}
				advanceTo(t, clk.at(3))
				bStates := b.States(t)
				w, ok := findEntity(bStates[len(bStates)-1], idb)
				if !ok {
					t.Fatal("b does not see itself")
				}
				before := arena.EntityOf(&w)
				seen := b.Events(t)
				if len(seen) != 2 || seen[0].Kind != game.EventJoin || seen[1].A != idb {
					t.Fatalf("events before the drop: %+v", seen)
				}
				lastSeen := seen[len(seen)-1].Seq

				b.Drop()
				const d = 4 // the tick that notices
				advanceTo(t, clk.at(d).Add(-time.Nanosecond))
				if st := rosterState(r, idb); st != "playing" {
					t.Fatalf("before tick %d: b is %q", d, st)
				}
				advanceTo(t, clk.at(d))
				if st := rosterState(r, idb); st != "reconnecting" || r.Info().Players != 2 {
					t.Fatalf("at tick %d: b is %q, %d players", d, st, r.Info().Players)
				}
				if e := lastView(t, a, idb); e.Flags&arena.FlagAway == 0 {
					t.Fatalf("a sees b with flags %b, want reconnecting", e.Flags)
				}
				if p, err := r.Presence(h.ctx); err != nil || len(p) != 2 || p[1].ID != idb || p[1].State != "reconnecting" {
					t.Fatalf("presence %+v, %v", p, err)
				}
				// What b misses: an announcement and a chat.
				if err := r.Announce(h.ctx, "brb"); err != nil {
					t.Fatal(err)
				}
				a.Send(t, netcode.ClientMessage{Type: netcode.MsgChat, Text: "hi"})

				gone := clk.firstAfter(clk.at(d).Add(grace))
				if onTick := clk.at(gone - 1).Equal(clk.at(d).Add(grace)); onTick != (tt.rate == 20) {
					t.Fatalf("bad case: grace ends on a tick: %v", onTick)
				}
				advanceTo(t, clk.at(gone).Add(-time.Nanosecond))
				if st := rosterState(r, idb); st != "reconnecting" {
					t.Fatalf("1ns before tick %d: b is %q", gone, st)
				}
				if !tt.reconnect {
					advanceTo(t, clk.at(gone))
					if st := rosterState(r, idb); st != "" || r.Info().Players != 1 {
						t.Fatalf("at tick %d: b is %q, %d players: want freed", gone, st, r.Info().Players)
					}
					evs := a.Events(t)
					if e := evs[len(evs)-1]; e.Kind != game.EventLeave || e.A != idb {
						t.Fatalf("a's last event %+v, want b leaving", e)
					}
					if _, ok := findEntity(lastState(t, a), idb); ok {
						t.Fatal("b's avatar still in a's world")
					}
					if _, err := h.reconnect(r, welB.ReconnectToken, newMemConn(0), lastSeen); !errors.Is(err, ErrNoSeat) {
						t.Fatalf("reconnect after the grace: %v, want ErrNoSeat", err)
					}
					return
				}
				if tt.late {
					advanceTo(t, clk.at(gone))
				}
				b2 := newMemConn(0)
				id, err := h.reconnect(r, welB.ReconnectToken, b2, lastSeen)
				if tt.late {
					if !errors.Is(err, ErrNoSeat) {
						t.Fatalf("reconnect at tick %d: %v, want ErrNoSeat", gone, err)
					}
					return
				}
				if err != nil || id != idb {
					t.Fatalf("reconnect: player %d, %v", id, err)
				}
				if st := rosterState(r, idb); st != "playing" {
					t.Fatalf("reconnected b is %q", st)
				}
				msgs := b2.Messages(t)
				last := a.Events(t)[len(a.Events(t))-1].Seq
				if len(msgs) != 2 || msgs[0].Type != netcode.MsgWelcome || msgs[1].Type != netcode.MsgEvents {
					t.Fatalf("reconnect sent %d frames", len(msgs))
				}
				if w := msgs[0].Welcome; w.PlayerID != idb || w.LastEventSeq != last || w.ReconnectToken == welB.ReconnectToken {
					t.Fatalf("welcome back: player %d, last event %d (want %d)", w.PlayerID, w.LastEventSeq, last)
				}
				missed := msgs[1].Events
				if len(missed) != 2 || missed[0].Seq != lastSeen+1 || missed[0].Kind != game.EventSystem || missed[0].Text != "brb" ||
					missed[1].Kind != game.EventChat || missed[1].A != ida || missed[1].Text != "hi" || missed[1].Seq != last {
					t.Fatalf("resent events %+v", missed)
				}
				if _, err := h.reconnect(r, welB.ReconnectToken, newMemConn(0), 0); !errors.Is(err, ErrTokenUsed) {
					t.Fatalf("old reconnect token again: %v, want ErrTokenUsed", err)
				}

				// Past the old deadline the same avatar plays on, where it
				// stood, no longer flagged.
				advanceTo(t, clk.at(gone+2*uint32(tt.rate)))
				if st := rosterState(r, idb); st != "playing" || r.Info().Players != 2 {
					t.Fatalf("after the old deadline: b is %q", st)
				}
				snaps := b2.Snapshots(t)
				if len(snaps) != 2*tt.rate+1 || snaps[0].Tick != gone || snaps[0].BaseTick != 0 {
					t.Fatalf("b's new conn: %d snapshots, first tick %d base %d", len(snaps), snaps[0].Tick, snaps[0].BaseTick)
				}
				after := lastView(t, b2, idb)
				if after.X != before.X || after.Y != before.Y || after.HP != before.HP || after.Flags != 0 {
					t.Fatalf("b's avatar %+v after reconnect, was %+v", after, before)
				}
				if e := lastView(t, a, idb); e.Flags != 0 {
					t.Fatalf("a sees b with flags %b after reconnect", e.Flags)
				}
			})
		})
	}
}

// TestReconnectReplacesLiveConnection: a reconnect token presented while
// the old connection still looks alive closes that one (1008) and seats
// the new one on the same player at once.
func TestReconnectReplacesLiveConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Options{})
		r, clk := h.create(Config{TickRate: 30, Seed: seedFor(30, time.Millisecond)})
		old := newMemConn(0)
		id := h.join(r, "p", old)
		advanceTo(t, clk.at(5))
		c := newMemConn(0)
		got, err := h.reconnect(r, old.Welcome(t).ReconnectToken, c, 0)
		if err != nil || got != id {
			t.Fatalf("reconnect: %d, %v", got, err)
		}
		if closed, code, reason := old.Closed(); !closed || code != netcode.ClosePolicyViolation || reason != "replaced by a new connection" {
			t.Fatalf("old conn: closed %v, %d %q", closed, code, reason)
		}
		if st := rosterState(r, id); st != "playing" {
			t.Fatalf("player is %q", st)
		}
		advanceTo(t, clk.at(6))
		if n := old.NumSnapshots(); n != 5 {
			t.Fatalf("old conn got %d snapshots, want 5", n)
		}
		if s := c.Snapshots(t); len(s) != 1 || s[0].Tick != 6 || s[0].BaseTick != 0 {
			t.Fatalf("new conn snapshots %+v", s)
		}
		if e := lastView(t, c, id); e.Flags != 0 {
			t.Fatalf("flags %b", e.Flags)
		}
	})
}

// lastState decodes c's snapshots and returns the newest full state.
func lastState(t testing.TB, c *memConn) []game.Entity {
	t.Helper()
	st := c.States(t)
	if len(st) == 0 {
		t.Fatal("no snapshots")
	}
	return st[len(st)-1]
}

// lastView returns arena entity id in c's newest state.
func lastView(t testing.TB, c *memConn, id uint32) arena.Entity {
	t.Helper()
	e, ok := findEntity(lastState(t, c), id)
	if !ok {
		t.Fatalf("entity %d not in view", id)
	}
	return arena.EntityOf(&e)
}
