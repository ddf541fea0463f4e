package rooms

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/netcode"
)

// TestTickLoop: a room ticks on an absolute schedule from its phase: tick k
// runs exactly at zero + k·period, never a nanosecond early, never late;
// each connected seat gets one snapshot per send interval, each a delta
// against the one before it (the conn wrote it at once), and a reserved seat
// gets nothing. Closing the manager ends every session with 1001.
func TestTickLoop(t *testing.T) {
	tests := []struct {
		name       string
		rate, send int
		phase      time.Duration
	}{
		{"30Hz", 30, 30, 7 * time.Millisecond},
		{"60Hz sending at 30", 60, 30, 11 * time.Millisecond},
		{"60Hz sending at 20", 60, 20, 0},
		{"20Hz in phase", 20, 20, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, Options{})
				r, clk := h.create(Config{TickRate: tt.rate, SendRate: tt.send, Seed: seedFor(tt.rate, tt.phase)})
				created := time.Now()
				if got, want := clk.at(1).Sub(created), time.Second/time.Duration(tt.rate)-tt.phase; got != want {
					t.Fatalf("first tick %v after creation, want %v", got, want)
				}
				conns := []*memConn{newMemConn(0), newMemConn(0)}
				ids := make([]uint32, len(conns))
				for i, c := range conns {
					ids[i] = h.join(r, "p", c)
				}
				if _, err := r.Reserve(h.ctx, "waiting", ""); err != nil {
					t.Fatal(err)
				}
				every := uint32(tt.rate / tt.send)
				n := uint32(2 * tt.rate)
				for k := uint32(1); k <= n; k++ {
					advanceTo(t, clk.at(k).Add(-time.Nanosecond))
					if tick, _ := r.Clock(); tick != k-1 {
						t.Fatalf("1ns before tick %d: tick %d", k, tick)
					}
					advanceTo(t, clk.at(k))
					tick, ms := r.Clock()
					if tick != k {
						t.Fatalf("at tick %d's time: tick %d", k, tick)
					}
					if want := float64((time.Duration(k) * clk.period).Nanoseconds()) / 1e6; ms != want {
						t.Fatalf("tick %d: clock %v ms, want %v", k, ms, want)
					}
					for i, c := range conns {
						if got, want := c.NumSnapshots(), int(k/every); got != want {
							t.Fatalf("conn %d after tick %d: %d snapshots, want %d", i, k, got, want)
						}
					}
				}
				var states [][][]game.Entity
				for i, c := range conns {
					for j, s := range c.Snapshots(t) {
						tick := uint32(j+1) * every
						if s.Tick != tick || s.BaseTick != tick-every || s.AckSeq != 0 {
							t.Fatalf("conn %d snapshot %d: tick %d base %d ack %d, want tick %d base %d ack 0",
								i, j, s.Tick, s.BaseTick, s.AckSeq, tick, tick-every)
						}
					}
					st := c.States(t)
					for j, ents := range st {
						for _, id := range ids {
							if _, ok := findEntity(ents, id); !ok {
								t.Fatalf("conn %d snapshot %d: player %d missing from %v", i, j, id, ents)
							}
						}
					}
					states = append(states, st)
				}
				// Both players stand still in a small map: they see the
				// same world, however the deltas were cut.
				if !slices.EqualFunc(states[0], states[1], slices.Equal) {
					t.Fatal("the two players decoded different worlds")
				}
				m := h.metrics.seen()
				if m.ticks != int(n) || m.lateMax != 0 || m.lateN != 0 {
					t.Fatalf("metrics: %d ticks (want %d), max late %v, %d late", m.ticks, n, m.lateMax, m.lateN)
				}
				if info := r.Info(); info.Players != 2 || info.Reserved != 1 || info.TickRate != tt.rate || info.SendRate != tt.send {
					t.Fatalf("info %+v", info)
				}

				h.stop()
				for _, c := range conns {
					c.CheckClosedWith(t, netcode.CloseGoingAway, netcode.CodeShutdown)
				}
				if _, err := h.mgr.Directory().Get(context.Background(), r.ID()); !errors.Is(err, directory.ErrNotFound) {
					t.Fatalf("directory after shutdown: %v", err)
				}
			})
		})
	}
}

// TestSnapshotBaselines: a delta always names the conn's WrittenTick as its
// baseline while that send is still in the seat's history (8 sends), and is
// full otherwise; a conn that never writes gets only full snapshots and is
// dropped, with 1008 and a too-slow error, at the first tick more than
// SlowAfter after the tick it attached at.
func TestSnapshotBaselines(t *testing.T) {
	const slowAfter = 500 * time.Millisecond
	tests := []struct {
		name        string
		rate, send  int
		lag         int    // memConn lag
		attachAfter uint32 // the conn under test attaches right after this tick
	}{
		{"written at once", 60, 30, 0, 0},
		{"written 3 sends late", 60, 30, 3, 5},
		{"written 6 sends late", 60, 30, 6, 0},
		{"written 7 sends late: out of history", 60, 30, 7, 0},
		{"never written at 60Hz", 60, 30, neverWrites, 0},
		{"never written at 30Hz", 30, 30, neverWrites, 7},
		{"never written at 20Hz", 20, 10, neverWrites, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, Options{SlowAfter: slowAfter})
				r, clk := h.create(Config{TickRate: tt.rate, SendRate: tt.send, Seed: seedFor(tt.rate, 2*time.Millisecond)})
				every := uint32(tt.rate / tt.send)
				ref := newMemConn(0)
				h.join(r, "ref", ref)
				if tt.attachAfter > 0 {
					advanceTo(t, clk.at(tt.attachAfter))
				}
				c := newMemConn(tt.lag)
				id := h.join(r, "test", c)

				dropAt := uint32(0) // the tick it is dropped at
				end := tt.attachAfter + uint32(2*tt.rate)
				if tt.lag == neverWrites {
					dropAt = clk.firstAfter(clk.at(tt.attachAfter).Add(slowAfter))
					end = dropAt + 3*every
					advanceTo(t, clk.at(dropAt).Add(-time.Nanosecond))
					if closed, _, _ := c.Closed(); closed || rosterState(r, id) != "playing" {
						t.Fatalf("1ns before tick %d: closed %v, roster %q", dropAt, closed, rosterState(r, id))
					}
					advanceTo(t, clk.at(dropAt))
					c.CheckClosedWith(t, netcode.ClosePolicyViolation, netcode.CodeTooSlow)
					if st := rosterState(r, id); st != "reconnecting" {
						t.Fatalf("dropped seat is %q, want reconnecting", st)
					}
				}
				advanceTo(t, clk.at(end))

				// Snapshots: one per send from the first send after the
				// attach, up to the drop (the drop tick's included).
				snaps := c.Snapshots(t)
				first := (tt.attachAfter/every + 1) * every
				last := end / every * every
				if dropAt != 0 {
					last = dropAt / every * every
				}
				if want := int((last-first)/every + 1); len(snaps) != want {
					t.Fatalf("%d snapshots, want %d (ticks %d to %d)", len(snaps), want, first, last)
				}
				for j, s := range snaps {
					tick := first + uint32(j)*every
					base := uint32(0)
					if back := uint32(tt.lag + 1); tt.lag >= 0 && j >= int(back) && back < historyLen {
						base = tick - back*every
					}
					if s.Tick != tick || s.BaseTick != base {
						t.Fatalf("snapshot %d: tick %d base %d, want tick %d base %d", j, s.Tick, s.BaseTick, tick, base)
					}
				}
				// Whatever its baselines, the conn decodes at each tick the
				// world the reference conn (deltas a send apart) decodes.
				refStates, refSnaps := ref.States(t), ref.Snapshots(t)
				for j, ents := range c.States(t) {
					i := slices.IndexFunc(refSnaps, func(s netcode.Snapshot) bool { return s.Tick == snaps[j].Tick })
					if i < 0 || !slices.Equal(ents, refStates[i]) {
						t.Fatalf("snapshot %d (tick %d) decodes to %v, the reference to %v", j, snaps[j].Tick, ents, refStates[max(i, 0)])
					}
				}
				if dropAt == 0 {
					if closed, _, _ := c.Closed(); closed {
						t.Fatal("conn that writes was closed")
					}
				}
				if closed, _, _ := ref.Closed(); closed {
					t.Fatal("reference conn was closed")
				}
			})
		})
	}
}

// TestInputFolding plays inputs into a seat tick by tick and checks, per
// tick, which input the game got (from the Recorder), the AckSeq of the
// seat's snapshot, and the queue left: it never holds more than
// MaxInputBacklog, folded inputs hand their buttons on, and an input that
// stood queued for a whole TickRate window is folded away.
func TestInputFolding(t *testing.T) {
	const rate = 30
	const ticks = 40
	tests := []struct {
		name    string
		arrive  []int          // inputs arriving before each tick
		fire    []uint32       // seqs that press fire
		applied []uint32       // seq the game got each tick (0: none)
		fired   []uint32       // ticks whose applied input fires
		left    []int          // queued after each tick
		dropped map[string]int // InputDropped by reason
		backlog [4]uint64      // the InputBacklog flush at tick 30
	}{
		{
			name:    "on time",
			arrive:  rep(ticks, 1),
			fire:    []uint32{10},
			applied: seqs(1, ticks),
			fired:   []uint32{10},
			left:    rep(ticks, 0),
			dropped: map[string]int{},
			backlog: [4]uint64{0, 30, 0, 0},
		},
		{
			// Five at once: the fourth and fifth each fold the oldest into
			// the next, so 1's shot rides on 3.
			name:    "flood",
			arrive:  []int{5},
			fire:    []uint32{1},
			applied: cat([]uint32{3, 4, 5}, zeros(ticks-3)),
			fired:   []uint32{1},
			left:    cat([]int{2, 1}, rep(ticks-2, 0)),
			dropped: map[string]int{"backlog": 2},
			backlog: [4]uint64{27, 1, 1, 1},
		},
		{
			// Twice the tick rate for 8 ticks: from tick 3 each tick's
			// second arrival folds the oldest, the queue stays at 3 before
			// each take.
			name:    "twice the tick rate",
			arrive:  rep(8, 2),
			fire:    []uint32{3, 5, 8},
			applied: cat([]uint32{1, 2, 4, 6, 8, 10, 12, 14, 15, 16}, zeros(ticks-10)),
			fired:   []uint32{3, 4, 5},
			left:    cat([]int{1, 2, 2, 2, 2, 2, 2, 2, 1}, rep(ticks-9, 0)),
			dropped: map[string]int{"backlog": 6},
			backlog: [4]uint64{20, 1, 2, 7},
		},
		{
			// One burst, then the tick rate: one input stands. After 30
			// ticks (the window) that each left it queued, 31 is folded
			// into 32, shot and all.
			name:    "standing input",
			arrive:  cat([]int{2}, rep(ticks-1, 1)),
			fire:    []uint32{31},
			applied: cat(seqs(1, 30), seqs(32, ticks+1)),
			fired:   []uint32{31},
			left:    cat(rep(30, 1), rep(ticks-30, 0)),
			dropped: map[string]int{"standing": 1},
			backlog: [4]uint64{0, 0, 30, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &memRecorder{}
				h := newHarness(t, Options{Recorder: rec})
				r, clk := h.create(Config{TickRate: rate, Seed: seedFor(rate, 13*time.Millisecond)})
				c := newMemConn(0)
				id := h.join(r, "p", c)
				var seq uint32
				var ack uint32
				for k := uint32(1); k <= ticks; k++ {
					if int(k) <= len(tt.arrive) {
						for range tt.arrive[k-1] {
							seq++
							in := arena.Input{Seq: seq, Move: uint8(seq % 4), Aim: uint16(seq * 100)}
							if slices.Contains(tt.fire, seq) {
								in.Buttons = arena.ButtonFire
							}
							c.Input(t, in.Wire())
						}
					}
					advanceTo(t, clk.at(k))

					recs := rec.records(r.ID())
					if len(recs) != int(k) || recs[k-1].Tick != k {
						t.Fatalf("tick %d: %d records", k, len(recs))
					}
					var got []game.Input
					for _, op := range recs[k-1].Ops {
						if op.Kind == OpInput {
							if op.Player != id {
								t.Fatalf("tick %d: input for player %d", k, op.Player)
							}
							got = append(got, op.Input)
						}
					}
					want := tt.applied[k-1]
					switch {
					case want == 0 && len(got) != 0:
						t.Fatalf("tick %d: game got %+v, want no input", k, got)
					case want != 0 && (len(got) != 1 || got[0].Seq != want):
						t.Fatalf("tick %d: game got %+v, want seq %d", k, got, want)
					case want != 0:
						in := arena.InputOf(got[0])
						if in.Move != uint8(want%4) || in.Aim != uint16(want*100) {
							t.Fatalf("tick %d: applied %+v: movement and aim are not seq %d's", k, in, want)
						}
						if fires := in.Buttons&arena.ButtonFire != 0; fires != slices.Contains(tt.fired, k) {
							t.Fatalf("tick %d: applied %+v fires %v", k, in, fires)
						}
						ack = want
					}
					snaps := c.Snapshots(t)
					if len(snaps) != int(k) || snaps[k-1].Tick != k || snaps[k-1].AckSeq != ack {
						s := snaps[len(snaps)-1]
						t.Fatalf("tick %d: %d snapshots, last tick %d ack %d, want ack %d", k, len(snaps), s.Tick, s.AckSeq, ack)
					}
					if n := queued(t, r, id); n != tt.left[k-1] || n > MaxInputBacklog {
						t.Fatalf("tick %d: %d inputs queued, want %d", k, n, tt.left[k-1])
					}
				}
				m := h.metrics.seen()
				if !maps.Equal(m.dropped, tt.dropped) {
					t.Fatalf("dropped %v, want %v", m.dropped, tt.dropped)
				}
				if len(m.backlogs) != 1 || m.backlogs[0] != tt.backlog {
					t.Fatalf("backlog flushes %v, want one: %v", m.backlogs, tt.backlog)
				}
			})
		})
	}
}

func rep[T any](n int, v T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func zeros(n int) []uint32 { return rep(n, uint32(0)) }

// seqs returns from, from+1, ..., to.
func seqs(from, to uint32) []uint32 {
	var out []uint32
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func cat[T any](a, b []T) []T { return append(slices.Clip(a), b...) }

// stallGame blocks in the Step that makes tick at until release is closed:
// on the bubble's clock that Step takes as long as the test waits.
type stallGame struct {
	game.Game
	at      uint32
	release chan struct{}
}

func (g *stallGame) Step(ev []game.Event) []game.Event {
	if g.Tick()+1 == g.at {
		<-g.release
	}
	return g.Game.Step(ev)
}

// TestLateTicks: when a Step overruns, the room keeps its absolute
// schedule: the ticks that fell due run at once, back to back, each
// reporting how late it began (late past half a period), and the schedule
// goes on from the same phase; only when it is more than five periods
// behind does it start a fresh schedule from the late tick instead of
// bursting.
func TestLateTicks(t *testing.T) {
	const rate = 30
	const stallAt = 5
	const P = time.Second / rate
	tests := []struct {
		name  string
		stall time.Duration // how long Step stallAt takes
		// for ticks stallAt+1..stallAt+7: when each runs (after tick
		// stallAt's scheduled time), and how late Metrics hears it was
		at, late [7]time.Duration
	}{
		{
			name:  "a quarter period over",
			stall: P + P/4,
			at:    [7]time.Duration{P + P/4, 2 * P, 3 * P, 4 * P, 5 * P, 6 * P, 7 * P},
			late:  [7]time.Duration{P / 4},
		},
		{
			name:  "two ticks behind",
			stall: 2*P + P/4,
			at:    [7]time.Duration{2*P + P/4, 2*P + P/4, 3 * P, 4 * P, 5 * P, 6 * P, 7 * P},
			late:  [7]time.Duration{P + P/4, P / 4},
		},
		{
			name:  "five periods behind: catches up",
			stall: 6 * P,
			at:    [7]time.Duration{6 * P, 6 * P, 6 * P, 6 * P, 6 * P, 6 * P, 7 * P},
			late:  [7]time.Duration{5 * P, 4 * P, 3 * P, 2 * P, P},
		},
		{
			name:  "more than five behind: a fresh schedule",
			stall: 6*P + time.Nanosecond,
			at: [7]time.Duration{6*P + time.Nanosecond, 7*P + time.Nanosecond, 8*P + time.Nanosecond,
				9*P + time.Nanosecond, 10*P + time.Nanosecond, 11*P + time.Nanosecond, 12*P + time.Nanosecond},
			late: [7]time.Duration{5*P + time.Nanosecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				h := newHarnessWrap(t, Options{}, func(_ Config, g *arena.Arena) game.Game {
					return &stallGame{Game: g, at: stallAt, release: release}
				})
				r, clk := h.create(Config{TickRate: rate, Seed: seedFor(rate, 0)})
				c := newMemConn(0)
				h.join(r, "p", c)
				advanceTo(t, clk.at(stallAt))
				if tick, _ := r.Clock(); tick != stallAt-1 {
					t.Fatalf("stalled in tick %d's Step, at tick %d", stallAt, tick)
				}
				advance(tt.stall)
				close(release)
				synctest.Wait()
				base := clk.at(stallAt)
				for i, off := range tt.at {
					k := uint32(stallAt + 1 + i)
					if i > 0 && off > tt.at[i-1] {
						advanceTo(t, base.Add(off-time.Nanosecond))
						if tick, _ := r.Clock(); tick != k-1 {
							t.Fatalf("1ns before tick %d is due (+%v): tick %d", k, off, tick)
						}
					}
					advanceTo(t, base.Add(off))
					if tick, _ := r.Clock(); tick < k || (i+1 < len(tt.at) && tt.at[i+1] > off && tick != k) {
						t.Fatalf("at +%v: tick %d, want %d", off, tick, k)
					}
				}
				m := h.metrics.seen()
				if len(m.perTick) != stallAt+len(tt.at) {
					t.Fatalf("%d ticks reported", len(m.perTick))
				}
				for i, ts := range m.perTick {
					k := i + 1
					var took, late time.Duration
					if k == stallAt {
						took = tt.stall
					}
					if k > stallAt {
						late = tt.late[k-stallAt-1]
					}
					if ts.took != took || ts.late != late || ts.isLate != (late > P/2) {
						t.Fatalf("tick %d reported took %v late %v (%v), want took %v late %v", k, ts.took, ts.late, ts.isLate, took, late)
					}
				}
				// Every tick still sent its snapshot.
				if n := c.NumSnapshots(); n != stallAt+len(tt.at) {
					t.Fatalf("%d snapshots", n)
				}
			})
		})
	}
}
