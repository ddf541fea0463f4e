package blobs_test

import (
	"slices"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/blobs"
)

// blobScene is a real field of forager bots, each thinking from exactly
// what its interest holds, as tickbot's would from their snapshots. It is
// the standard scene of the bandwidth benchmark and the source of the
// round-trip test's states.
type blobScene struct {
	g    *blobs.Game
	ids  []blobs.PlayerID
	bots []game.Bot
	seed uint64
	ev   []game.Event

	world []game.Entity
	idx   []int32
	view  []game.Entity
}

func newBlobScene(seed uint64, players, rate int) *blobScene {
	s := &blobScene{g: blobs.New(blobs.Config{Seed: seed, TickRate: rate}), seed: seed}
	for i := range players {
		s.join(blobs.PlayerID(i + 1))
	}
	return s
}

func (s *blobScene) join(id blobs.PlayerID) {
	if err := s.g.Join(id, "bot"); err != nil {
		panic(err)
	}
	s.ids = append(s.ids, id)
	s.bots = append(s.bots, blobs.NewForager(s.g.Schema(), 30, s.seed*1000+uint64(id)))
}

func (s *blobScene) leave(id blobs.PlayerID) {
	s.g.Leave(id)
	i := slices.Index(s.ids, id)
	s.ids = slices.Delete(s.ids, i, i+1)
	s.bots = slices.Delete(s.bots, i, i+1)
}

// step gives every bot its input and advances the field one tick.
func (s *blobScene) step() {
	s.world = s.g.World(s.world[:0])
	for i, id := range s.ids {
		s.view = viewOf(s.g, id, s.world, &s.idx, s.view[:0])
		s.g.SetInput(id, s.bots[i].Think(id, s.g.Tick(), s.view, s.ev))
	}
	s.ev = s.g.Step(s.ev[:0])
}

// viewOf appends to dst the entities of world that player id's interest
// holds.
func viewOf(g *blobs.Game, id blobs.PlayerID, world []game.Entity, idx *[]int32, dst []game.Entity) []game.Entity {
	*idx = g.Interest(id, world, (*idx)[:0])
	for _, i := range *idx {
		dst = append(dst, world[i])
	}
	return dst
}
