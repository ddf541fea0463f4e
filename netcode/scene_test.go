package netcode

import (
	"math/rand/v2"

	"github.com/tickroom/tickroom/game/arena"
)

// arenaScene is a real arena full of bots: each runs in one of eight
// directions, turning about every half second, and holds fire while aiming
// somewhere new at every turn. It is the standard scene of the bandwidth
// benchmark and the source of the round-trip tests' states.
type arenaScene struct {
	arena *arena.Arena
	rng   *rand.Rand
	rate  int
	bots  []bot
}

type bot struct {
	id   uint32
	turn uint32 // tick of the next change of direction
	in   arena.Input
}

// eightWays are the move bits of the eight directions.
var eightWays = [...]uint8{
	arena.MoveUp, arena.MoveUp | arena.MoveRight, arena.MoveRight, arena.MoveRight | arena.MoveDown,
	arena.MoveDown, arena.MoveDown | arena.MoveLeft, arena.MoveLeft, arena.MoveLeft | arena.MoveUp,
}

func newArenaScene(seed uint64, players, rate int) *arenaScene {
	s := &arenaScene{
		arena: arena.New(arena.Config{Seed: seed, TickRate: rate}),
		rng:   rand.New(rand.NewPCG(seed, 7)),
		rate:  rate,
	}
	for i := range players {
		s.join(uint32(i + 1))
	}
	return s
}

func (s *arenaScene) join(id uint32) {
	if err := s.arena.Join(id, "bot"); err != nil {
		panic(err)
	}
	s.bots = append(s.bots, bot{id: id})
}

// step gives every bot its input and advances the arena one tick.
func (s *arenaScene) step() {
	tick := s.arena.Tick()
	for i := range s.bots {
		b := &s.bots[i]
		if tick >= b.turn {
			// A turn every rate/4 .. 3·rate/4 ticks: half a second on average.
			b.turn = tick + uint32(s.rate/4+s.rng.IntN(s.rate/2+1))
			b.in.Move = eightWays[s.rng.IntN(len(eightWays))]
			b.in.Aim = uint16(s.rng.Uint32())
		}
		b.in.Seq++
		b.in.Buttons = arena.ButtonFire
		s.arena.SetInput(b.id, b.in.Wire())
	}
	s.arena.Step(nil)
}
