package blobs_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/blobs"
	"github.com/tickroom/tickroom/netcode"
)

// keepBaselines is how many sent snapshots a test viewer may pick a
// baseline from: fewer than a netcode.Baselines keeps, as a room's
// history is.
const keepBaselines = 32

// viewer is one player's connection in TestSnapshotRoundTrip: what the
// server sent it, by tick, and the client's Baselines.
type viewer struct {
	id      uint32
	client  netcode.Baselines
	sent    []uint32                // ticks sent since the last reconnect, oldest first
	history map[uint32]netcode.View // what each sent snapshot held
	last    []game.Entity           // the last view sent, for counting what entered and left
}

// churn counts what crossed the views in a run.
type churn struct {
	pelletsEntered, pelletsLeft, blobsEntered, blobsLeft, flagChanges, reconnects, skips int
}

func (c *churn) add(o churn) {
	c.pelletsEntered += o.pelletsEntered
	c.pelletsLeft += o.pelletsLeft
	c.blobsEntered += o.blobsEntered
	c.blobsLeft += o.blobsLeft
	c.flagChanges += o.flagChanges
	c.reconnects += o.reconnects
	c.skips += o.skips
}

// TestSnapshotRoundTrip runs fields of foragers and checks, for every
// player and every tick it is sent, that decoding its delta stream with
// netcode.Baselines gives exactly what its interest holds of the world —
// with snapshots skipped (a slow reader), deltas against older snapshots,
// reconnects (full snapshots), pellets eaten and replaced, entities
// entering and leaving views as blobs roam and grow, blobs eaten and
// respawning, players going away and back, joining and leaving.
func TestSnapshotRoundTrip(t *testing.T) {
	var total churn
	for seed := range uint64(4) {
		total.add(runRoundTrip(t, seed))
	}
	t.Logf("over all seeds: %+v", total)
	if total.pelletsEntered == 0 || total.pelletsLeft == 0 || total.blobsEntered == 0 || total.blobsLeft == 0 ||
		total.flagChanges == 0 || total.reconnects == 0 || total.skips == 0 {
		t.Errorf("the scenes did not exercise everything: %+v", total)
	}
}

func runRoundTrip(t *testing.T, seed uint64) churn {
	const players, ticks = 16, 400
	s := newBlobScene(seed, players, benchRate)
	rng := rand.New(rand.NewPCG(seed, 3))
	codec := netcode.MustCodec(s.g.Schema())
	var viewers []*viewer
	addViewer := func(id uint32) {
		v := &viewer{id: id, history: map[uint32]netcode.View{}}
		v.client.Reset(codec)
		viewers = append(viewers, v)
	}
	for _, id := range s.ids {
		addViewer(id)
	}
	var c churn
	var m netcode.ServerMessage
	var buf []byte
	var idx []int32
	for tick := uint32(1); tick <= ticks; tick++ {
		switch tick {
		case 100:
			s.g.SetAway(3, true)
		case 150: // a newcomer; its first snapshot is full
			s.join(players + 1)
			addViewer(players + 1)
		case 200:
			s.g.SetAway(3, false)
		case 250: // someone leaves: removed from every view
			s.leave(2)
			viewers = slices.DeleteFunc(viewers, func(v *viewer) bool { return v.id == 2 })
		}
		s.step()
		world := s.g.World(nil)
		for _, v := range viewers {
			if rng.IntN(6) == 0 {
				c.skips++ // the server coalesced this snapshot away
				continue
			}
			idx = s.g.Interest(v.id, world, idx[:0])
			cur := netcode.View{World: world, Seen: netcode.SetSeen(nil, len(world), idx)}
			want := make([]game.Entity, 0, len(idx))
			for _, i := range idx {
				want = append(want, world[i])
			}
			baseTick := pickBaseline(rng, v.sent)
			if rng.IntN(60) == 0 {
				v.client.Reset(codec) // reconnect: a new connection starts in full
				v.sent, baseTick = v.sent[:0], 0
				c.reconnects++
			}
			buf = codec.AppendSnapshot(buf[:0], tick, baseTick, tick, v.id, v.history[baseTick], cur)
			if err := netcode.DecodeServer(buf, &m); err != nil {
				t.Fatalf("seed %d tick %d player %d: %v", seed, tick, v.id, err)
			}
			got, err := v.client.Apply(&m.Snapshot)
			if err != nil {
				t.Fatalf("seed %d tick %d player %d base %d: %v", seed, tick, v.id, baseTick, err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d tick %d player %d base %d:\n got  %v\n want %v", seed, tick, v.id, baseTick, got, want)
			}
			v.count(&c, want)
			v.keep(tick, cur)
		}
	}
	return c
}

// count adds what entered and left v's view since the last snapshot sent
// to it, and the blobs whose flags changed.
func (v *viewer) count(c *churn, view []game.Entity) {
	if v.last == nil {
		v.last = view
		return
	}
	find := func(ents []game.Entity, id uint32) (int, bool) {
		return slices.BinarySearchFunc(ents, id, func(e game.Entity, id uint32) int { return int(int64(e.ID) - int64(id)) })
	}
	for _, e := range view {
		i, ok := find(v.last, e.ID)
		switch {
		case ok && e.Kind == blobs.KindBlob && v.last[i].V[blobs.FieldFlags] != e.V[blobs.FieldFlags]:
			c.flagChanges++
		case ok:
		case e.Kind == blobs.KindPellet:
			c.pelletsEntered++
		default:
			c.blobsEntered++
		}
	}
	for _, e := range v.last {
		if _, ok := find(view, e.ID); !ok {
			if e.Kind == blobs.KindPellet {
				c.pelletsLeft++
			} else {
				c.blobsLeft++
			}
		}
	}
	v.last = view
}

// keep records a sent snapshot, forgetting those too old to be a baseline.
func (v *viewer) keep(tick uint32, view netcode.View) {
	v.history[tick] = view
	v.sent = append(v.sent, tick)
	if len(v.sent) > 2*keepBaselines {
		for _, old := range v.sent[:len(v.sent)-keepBaselines] {
			delete(v.history, old)
		}
		v.sent = slices.Delete(v.sent, 0, len(v.sent)-keepBaselines)
	}
}

// pickBaseline picks the newest sent tick, an older one the client still
// keeps, or 0.
func pickBaseline(r *rand.Rand, sent []uint32) uint32 {
	keep := sent[max(0, len(sent)-keepBaselines):]
	switch n := r.IntN(10); {
	case len(keep) == 0 || n == 0:
		return 0
	case n < 7:
		return keep[len(keep)-1]
	default:
		return keep[r.IntN(len(keep))]
	}
}

// TestSchemaOnTheWire: the schema of every mode makes a codec, travels in a
// welcome, and the forager built from the decoded one (whose world holds
// int64s and []any, not the game's Go types) reads the field's size from
// it.
func TestSchemaOnTheWire(t *testing.T) {
	d := blobs.Definition()
	for _, mode := range d.Modes {
		g := d.New(game.Config{Mode: mode.Name, Seed: 1, TickRate: 30, MaxPlayers: mode.MaxPlayers})
		s := g.Schema()
		if _, err := netcode.NewCodec(s); err != nil {
			t.Fatalf("mode %s: %v", mode.Name, err)
		}
		frame := netcode.AppendWelcome(nil, &netcode.Welcome{PlayerID: 1, RoomID: "r", TickRate: 30, Game: d.Name, Mode: mode.Name, Schema: s})
		var m netcode.ServerMessage
		if err := netcode.DecodeServer(frame, &m); err != nil {
			t.Fatalf("mode %s: %v", mode.Name, err)
		}
		got := m.Welcome.Schema
		if !reflect.DeepEqual(got.Kinds, s.Kinds) || !reflect.DeepEqual(got.Input, s.Input) || !reflect.DeepEqual(got.Events, s.Events) {
			t.Fatalf("mode %s: the schema changed on the way:\n got  %+v\n want %+v", mode.Name, got, s)
		}
		size := g.(*blobs.Game).Size()
		if w, ok := got.World["w"].(int64); !ok || w != int64(size) {
			t.Fatalf("mode %s: decoded world w = %T %v", mode.Name, got.World["w"], got.World["w"])
		}
		// A forager that sees only itself roams to a point in the middle
		// 80% of the field it read from the world; had it fallen back to the
		// default field, most of its goals would land elsewhere.
		me := blobs.Blob{ID: 1, X: 8 * size / 2, Y: 8 * size / 2, R: blobs.RadiusOf(blobs.StartMass), Mass: blobs.StartMass}
		for seed := range uint64(40) {
			in := blobs.InputOf(blobs.NewForager(got, 30, seed).Think(1, 1, []game.Entity{me.Wire()}, nil))
			lo, hi := size/10, size-size/10
			if in.TX < lo || in.TX > hi || in.TY < lo || in.TY > hi {
				t.Fatalf("mode %s seed %d: roams to (%d, %d), outside %d..%d", mode.Name, seed, in.TX, in.TY, lo, hi)
			}
		}
	}
}
