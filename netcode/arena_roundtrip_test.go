package netcode

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
)

// viewer is one player's connection in TestArenaSnapshotRoundTrip: what the
// server sent it, by tick, and the client's Baselines.
type viewer struct {
	id      uint32
	client  Baselines
	sent    []uint32        // ticks sent since the last reconnect, oldest first
	history map[uint32]View // what each sent snapshot held
	last    []game.Entity   // the last view sent, for counting enter and leave
}

// churn counts what crossed an area of interest in a run.
type churn struct{ enter, leave, playersEntered, shotsEntered, reconnects, skips int }

// TestArenaSnapshotRoundTrip runs real arenas and checks, for every player
// and every tick it is sent, that decoding the delta stream with Baselines
// gives exactly what the arena's typed View shows the player (other
// players' private velocities zero) — with snapshots skipped (a slow reader),
// deltas against older snapshots, reconnects (full snapshots), entities
// entering and leaving interest, and players joining and leaving the room.
// It also checks that every projectile the client holds is, by Entity.At,
// inside the area of interest it was sent for.
func TestArenaSnapshotRoundTrip(t *testing.T) {
	var total churn
	for seed := range uint64(6) {
		total.add(runArenaRoundTrip(t, seed))
	}
	t.Logf("over all seeds: %+v", total)
	if total.enter == 0 || total.leave == 0 || total.playersEntered == 0 || total.shotsEntered == 0 ||
		total.reconnects == 0 || total.skips == 0 {
		t.Errorf("the scenes did not exercise everything: %+v", total)
	}
}

func (c *churn) add(o churn) {
	c.enter += o.enter
	c.leave += o.leave
	c.playersEntered += o.playersEntered
	c.shotsEntered += o.shotsEntered
	c.reconnects += o.reconnects
	c.skips += o.skips
}

func runArenaRoundTrip(t *testing.T, seed uint64) churn {
	const players, ticks = 12, 400
	s := newArenaScene(seed, players, benchRate)
	rng := rand.New(rand.NewPCG(seed, 3))
	codec := MustCodec(s.arena.Schema())
	var viewers []*viewer
	for _, b := range s.bots {
		viewers = append(viewers, &viewer{id: b.id, history: map[uint32]View{}})
		viewers[len(viewers)-1].client.Reset(codec)
	}
	var c churn
	var m ServerMessage
	var buf []byte
	for tick := uint32(1); tick <= ticks; tick++ {
		switch tick {
		case 150: // a newcomer; its first snapshot is full
			s.join(players + 1)
			viewers = append(viewers, &viewer{id: players + 1, history: map[uint32]View{}})
			viewers[len(viewers)-1].client.Reset(codec)
		case 250: // someone leaves the room: removed from every view
			s.arena.Leave(2)
			s.bots = slices.DeleteFunc(s.bots, func(b bot) bool { return b.id == 2 })
			viewers = slices.DeleteFunc(viewers, func(v *viewer) bool { return v.id == 2 })
		}
		s.step()
		world := s.arena.World(nil)
		var idx []int32
		for _, v := range viewers {
			if rng.IntN(6) == 0 {
				c.skips++ // the server coalesced this snapshot away
				continue
			}
			idx = s.arena.Interest(v.id, world, idx[:0])
			cur := View{World: world, Seen: SetSeen(nil, len(world), idx)}
			view := wireView(s.arena.View(v.id, nil))
			baseTick := pickBaseline(rng, v.sent)
			if rng.IntN(60) == 0 {
				v.client.Reset(codec) // reconnect: a new connection starts in full
				v.sent, baseTick = v.sent[:0], 0
				c.reconnects++
			}
			buf = codec.AppendSnapshot(buf[:0], tick, baseTick, tick, v.id, v.history[baseTick], cur)
			if err := DecodeServer(buf, &m); err != nil {
				t.Fatalf("seed %d tick %d player %d: %v", seed, tick, v.id, err)
			}
			got, err := v.client.Apply(&m.Snapshot)
			if err != nil {
				t.Fatalf("seed %d tick %d player %d base %d: %v", seed, tick, v.id, baseTick, err)
			}
			if !sameEntities(got, view) {
				t.Fatalf("seed %d tick %d player %d base %d:\n got  %v\n want %v", seed, tick, v.id, baseTick, got, view)
			}
			checkInView(t, got, v.id, tick)
			v.count(&c, view)
			v.keep(tick, cur)
		}
	}
	return c
}

// count adds the entities that entered and left v's view since the last
// snapshot sent (after the first).
func (v *viewer) count(c *churn, view []game.Entity) {
	if v.last == nil {
		v.last = view
		return
	}
	in := func(ents []game.Entity, id uint32) bool {
		_, ok := slices.BinarySearchFunc(ents, id, func(e game.Entity, id uint32) int { return int(int64(e.ID) - int64(id)) })
		return ok
	}
	for _, e := range view {
		if !in(v.last, e.ID) {
			c.enter++
			if e.Kind == arena.KindProjectile {
				c.shotsEntered++
			} else {
				c.playersEntered++
			}
		}
	}
	for _, e := range v.last {
		if !in(view, e.ID) {
			c.leave++
		}
	}
	v.last = view
}

// keep records a sent snapshot, forgetting those too old to be a baseline.
func (v *viewer) keep(tick uint32, view View) {
	v.history[tick] = view
	v.sent = append(v.sent, tick)
	if len(v.sent) > 2*baselineDepth {
		for _, old := range v.sent[:len(v.sent)-baselineDepth] {
			delete(v.history, old)
		}
		v.sent = slices.Delete(v.sent, 0, len(v.sent)-baselineDepth)
	}
}

// checkInView checks that every entity of a decoded view is, where At puts
// it at tick, within the area of interest around the viewer's avatar.
func checkInView(t *testing.T, ents []game.Entity, id, tick uint32) {
	t.Helper()
	var self arena.Entity
	for i := range ents {
		if ents[i].ID == id {
			self = arena.EntityOf(&ents[i])
		}
	}
	const rx, ry = (arena.ViewHalfW + arena.PlayerRadius) * 8, (arena.ViewHalfH + arena.PlayerRadius) * 8
	for i := range ents {
		e := arena.EntityOf(&ents[i])
		x, y := e.At(tick, benchRate)
		if abs(x-self.X) > rx || abs(y-self.Y) > ry {
			t.Fatalf("tick %d: player %d at (%d, %d) was sent %+v, which is at (%d, %d)", tick, id, self.X, self.Y, e, x, y)
		}
	}
}

func abs(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// wireView is a typed arena view as the wire carries it.
func wireView(view []arena.Entity) []game.Entity {
	out := make([]game.Entity, len(view))
	for i := range view {
		out[i] = view[i].Wire()
	}
	return out
}

// pickBaseline picks the newest sent tick, an older one the client still
// keeps, or 0.
func pickBaseline(r *rand.Rand, sent []uint32) uint32 {
	keep := sent[max(0, len(sent)-baselineDepth):]
	switch n := r.IntN(10); {
	case len(keep) == 0 || n == 0:
		return 0
	case n < 7:
		return keep[len(keep)-1]
	default:
		return keep[r.IntN(len(keep))]
	}
}

func sameEntities(a, b []game.Entity) bool {
	return slices.Equal(a, b)
}
