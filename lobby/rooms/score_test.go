package rooms

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
)

// tallyGame is an arena whose scores are the game's own: player id has
// id × (tick/10) points.
type tallyGame struct{ game.Game }

func (g *tallyGame) Score(id game.PlayerID) int32 { return int32(id) * int32(g.Tick()/10) }

// TestScoresFromGame: the scores the lobby shows are Game.Score's: the
// published roster refreshes them once every tick rate's worth of ticks
// (when one changed), presence and a joining player's welcome read them
// as they are.
func TestScoresFromGame(t *testing.T) {
	const rate = 20
	synctest.Test(t, func(t *testing.T) {
		h := newHarnessWrap(t, Options{}, func(_ Config, g *arena.Arena) game.Game { return &tallyGame{g} })
		r, clk := h.create(Config{TickRate: rate, Seed: seedFor(rate, 5*time.Millisecond)})
		a, b := newMemConn(0), newMemConn(0)
		ida, idb := h.join(r, "a", a), h.join(r, "b", b)
		roster := func() map[uint32]int32 {
			out := map[uint32]int32{}
			for _, p := range r.Info().Roster {
				out[p.ID] = p.Score
			}
			return out
		}
		for _, tc := range []struct {
			tick uint32
			want int32 // a's published score (b's is twice it)
		}{
			{rate - 1, 0},   // scores changed at tick 10, not yet published
			{rate, 2},       // the refresh
			{2*rate - 1, 2}, // 3 now, still 2 in the roster
			{2 * rate, 4},
		} {
			advanceTo(t, clk.at(tc.tick))
			if got := roster(); got[ida] != tc.want || got[idb] != 2*tc.want {
				t.Fatalf("tick %d: roster scores %v, want %d and %d", tc.tick, got, tc.want, 2*tc.want)
			}
			p, err := r.Presence(h.ctx)
			if err != nil {
				t.Fatal(err)
			}
			now := int32(tc.tick / 10)
			if len(p) != 2 || p[0].Score != now*int32(ida) || p[1].Score != now*int32(idb) {
				t.Fatalf("tick %d: presence %+v, want scores %d and %d", tc.tick, p, now*int32(ida), now*int32(idb))
			}
		}
		c := newMemConn(0)
		idc := h.join(r, "c", c)
		now := int32(2 * rate / 10)
		w := c.Welcome(t)
		if len(w.Roster) != 3 || w.Roster[0].Score != now*int32(ida) || w.Roster[1].Score != now*int32(idb) || w.Roster[2].Score != now*int32(idc) {
			t.Fatalf("welcome roster %+v, want scores %d, %d, %d", w.Roster, now*int32(ida), now*int32(idb), now*int32(idc))
		}
	})
}
