package main

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
)

func TestAimOf(t *testing.T) {
	for _, tc := range []struct {
		dx, dy float64
		want   uint16
	}{{1, 0, 0}, {0, 1, 16384}, {-1, 0, 32768}, {0, -1, 49152}, {1, 1, 8192}} {
		if got := aimOf(tc.dx, tc.dy); got != tc.want {
			t.Errorf("aimOf(%v, %v) = %d, want %d", tc.dx, tc.dy, got, tc.want)
		}
	}
	if got := aimStep(65500, 256); got != 0 {
		t.Errorf("aimStep wraps to %d, want 0", got)
	}
}

func TestMoveToward(t *testing.T) {
	for _, tc := range []struct {
		dx, dy float64
		want   uint8
	}{
		{10, 0, game.MoveRight}, {10, 1, game.MoveRight}, {10, 10, game.MoveRight | game.MoveDown},
		{-1, -10, game.MoveUp}, {0, 0, 0},
	} {
		if got := moveToward(tc.dx, tc.dy); got != tc.want {
			t.Errorf("moveToward(%v, %v) = %04b, want %04b", tc.dx, tc.dy, got, tc.want)
		}
	}
}

// A fighter heads for and shoots at the nearest live enemy, leading it.
func TestFight(t *testing.T) {
	p := pilot{rng: rand.New(rand.NewPCG(1, 2)), mapW: 2400, mapH: 1600}
	ents := []game.Entity{
		{ID: 1, Kind: game.KindPlayer, X: 8 * 100, Y: 8 * 100, HP: 100},
		{ID: 2, Kind: game.KindPlayer, X: 8 * 600, Y: 8 * 100, HP: 100},                         // 500 px right
		{ID: 3, Kind: game.KindPlayer, X: 8 * 100, Y: 8 * 150, Flags: game.FlagDead},            // dead
		{ID: game.FirstShotID, Kind: game.KindProjectile, X: 8 * 110, Y: 8 * 100, Owner: 2},     // not a player
		{ID: game.FirstShotID + 1, Kind: game.KindProjectile, X: 8 * 120, Y: 8 * 100, Owner: 1}, // not a player
	}
	in := p.fight(1, ents, time.Unix(0, 0))
	if in.Move != game.MoveRight || in.Buttons != game.ButtonFire || in.Aim != 0 {
		t.Errorf("fight = %+v, want right, fire, aim 0", in)
	}
	ents[1].VY = 8 * 300 // moving down at 300 px/s: lead it
	in = p.fight(1, ents, time.Unix(0, 0))
	if in.Aim == 0 || in.Aim > 16384 {
		t.Errorf("aim %d does not lead a target moving down", in.Aim)
	}
	ents[0].Flags = game.FlagDead
	if in := p.fight(1, ents, time.Unix(0, 0)); in != (game.Input{}) {
		t.Errorf("dead fighter input %+v", in)
	}
}

func TestPackInput(t *testing.T) {
	in := game.Input{Move: game.MoveLeft | game.MoveUp, Aim: 40000, Buttons: game.ButtonFire}
	if got := unpackInput(packInput(in)); got != in {
		t.Errorf("round trip %+v, want %+v", got, in)
	}
}
