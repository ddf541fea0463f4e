package rooms

import (
	"math"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/netcode"
)

// TestRecordReplay: the TickRecords a room hands its Recorder, replayed
// into a fresh game from the same Config, rebuild the live game exactly
// (every entity, the tick) and produce exactly the hits and kills the
// players were sent. The match has everything a recording must carry:
// joins, inputs folded and standing, a drop and a reconnect (away and
// back), a leave, a player joining late.
func TestRecordReplay(t *testing.T) {
	tests := []struct {
		name       string
		rate, send int
		ticks      uint32
	}{
		{"60Hz sending at 30", 60, 30, 240},
		{"30Hz", 30, 30, 150},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &memRecorder{}
				h := newHarness(t, Options{Recorder: rec, ReconnectGrace: 2 * time.Second})
				r, clk := h.create(Config{Name: "match", TickRate: tt.rate, SendRate: tt.send, Seed: seedFor(tt.rate, 6*time.Millisecond)})
				a, b, c := newMemConn(0), newMemConn(0), newMemConn(0)
				ida, idb := h.join(r, "a", a), h.join(r, "b", b)
				h.join(r, "c", c)
				tokB := b.Welcome(t).ReconnectToken
				every := uint32(tt.rate / tt.send)
				advanceTo(t, clk.at(every))
				// a and b shoot at each other; a strafes, b stands.
				world := lastState(t, a)
				wa, _ := findEntity(world, ida)
				wb, _ := findEntity(world, idb)
				pa, pb := arena.EntityOf(&wa), arena.EntityOf(&wb)
				aimAt := func(from, to arena.Entity) uint16 {
					turns := math.Atan2(float64(to.Y-from.Y), float64(to.X-from.X)) / (2 * math.Pi)
					return uint16(int32(math.Round(turns * 65536)))
				}
				aimA, aimB := aimAt(pa, pb), aimAt(pb, pa)
				moves := []uint8{arena.MoveUp, arena.MoveDown | arena.MoveLeft, 0, arena.MoveDown}
				var seqA, seqB uint32
				var d *memConn // late joiner
				for k := every + 1; k <= tt.ticks; k++ {
					seqA++
					a.Input(t, arenaIn(seqA, moves[k/10%4], aimA+uint16(k%7)*50, arena.ButtonFire))
					if k%5 == 0 { // a burst: two at once
						seqA++
						a.Input(t, arenaIn(seqA, moves[(k/10+1)%4], aimA, 0))
					}
					if b != nil {
						seqB++
						b.Input(t, arenaIn(seqB, 0, aimB, uint8(k%2)))
					}
					switch k {
					case tt.ticks / 5:
						c.Send(t, netcode.ClientMessage{Type: netcode.MsgChat, Text: "gg"})
						c.Send(t, netcode.ClientMessage{Type: netcode.MsgLeave})
					case tt.ticks / 4:
						b.Drop()
						b = nil
					case tt.ticks / 2:
						b = newMemConn(0)
						if _, err := h.reconnect(r, tokB, b, 0); err != nil {
							t.Fatal(err)
						}
					case tt.ticks * 3 / 5:
						d = newMemConn(0)
						h.join(r, "d", d)
					}
					advanceTo(t, clk.at(k))
				}
				if err := h.mgr.Close(r.ID()); err != nil {
					t.Fatal(err)
				}
				a.CheckClosedWith(t, netcode.CloseNormal, netcode.CodeRoomClosed)

				live, cfg := h.game("match")
				recs := rec.records(r.ID())
				for i, rc := range recs {
					if rc.Tick != uint32(i+1) {
						t.Fatalf("record %d is for tick %d", i, rc.Tick)
					}
				}
				kinds := map[OpKind]int{}
				for _, rc := range recs {
					for _, op := range rc.Ops {
						kinds[op.Kind]++
					}
				}
				// joins a, b, c, d; c leaves; away (false) at every attach
				// and (true) at b's drop.
				if kinds[OpJoin] != 4 || kinds[OpLeave] != 1 || kinds[OpAway] != 6 || kinds[OpInput] < int(tt.ticks) {
					t.Fatalf("recorded ops by kind: %v", kinds)
				}
				if m := h.metrics.seen(); m.dropped["backlog"] == 0 || m.dropped["standing"] == 0 {
					t.Fatalf("no inputs folded (%v): the recording proves little", m.dropped)
				}
				replayed := newTestGame(cfg)
				evs := Replay(replayed, recs)
				if replayed.Tick() != live.Tick() || live.Tick() != tt.ticks {
					t.Fatalf("replayed %d ticks, the room ran %d, want %d", replayed.Tick(), live.Tick(), tt.ticks)
				}
				got, want := replayed.Entities(nil), live.Entities(nil)
				if !slices.Equal(got, want) {
					t.Fatalf("replay diverged at tick %d:\n got %v\nwant %v", live.Tick(), got, want)
				}
				if replayed.Hash() != live.Hash() {
					t.Fatalf("replay hashes %x, the room's game %x: the state differs beyond the entities", replayed.Hash(), live.Hash())
				}
				shots := 0
				for _, e := range want {
					if e.Kind == arena.KindProjectile {
						shots++
					}
				}
				if shots == 0 {
					t.Fatalf("no shots in flight: the scene proves little: %v", want)
				}
				// The game's own events (hits, kills), as a saw them.
				var sent []game.Event
				for _, e := range a.Events(t) {
					if e.Kind == arena.EventHit || e.Kind == arena.EventKill {
						e.Seq = 0
						sent = append(sent, e)
					}
				}
				if len(sent) == 0 || !slices.Equal(evs, sent) {
					t.Fatalf("replay produced events %v, a was sent %v", evs, sent)
				}
			})
		})
	}
}
