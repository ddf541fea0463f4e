package arena

import (
	"math"
	"testing"
)

const dt30 = 1.0 / 30

// run moves b for n ticks at 30 Hz holding move.
func run(b *Body, move uint8, n int, walls []Wall) {
	for range n {
		MovePlayer(b, move, dt30, walls)
	}
}

func TestMovePlayerFirstTick(t *testing.T) {
	tests := []struct {
		name string
		move uint8
		want Body
	}{
		{"idle", 0, Body{X: 100, Y: 100}},
		{"right", MoveRight, Body{X: 102, Y: 100, VX: 58.625}},
		{"left", MoveLeft, Body{X: 98, Y: 100, VX: -58.625}},
		{"down", MoveDown, Body{X: 100, Y: 102, VY: 58.625}},
		{"up", MoveUp, Body{X: 100, Y: 98, VY: -58.625}},
		{"up and down cancel", MoveUp | MoveDown, Body{X: 100, Y: 100}},
		{"all four cancel", MoveUp | MoveDown | MoveLeft | MoveRight, Body{X: 100, Y: 100}},
		// 80*Diag = 56.57; minus friction 41.48, quantized 41.5; 41.5/30 = 1.38 -> 1.375.
		{"down right", MoveDown | MoveRight, Body{X: 101.375, Y: 101.375, VX: 41.5, VY: 41.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Body{X: 100, Y: 100}
			MovePlayer(&b, tt.move, dt30, nil)
			if b != tt.want {
				t.Errorf("got %+v, want %+v", b, tt.want)
			}
		})
	}
}

// TestMovePlayerTerminalSpeed checks the speed friction settles at:
// v = (v + Accel·dt)(1 − Friction·dt) gives Accel(1 − Friction·dt)/Friction,
// 220 px/s at 30 Hz and 260 px/s at 60 Hz (300 px/s as dt → 0).
func TestMovePlayerTerminalSpeed(t *testing.T) {
	for _, rate := range []int{10, 30, 60} {
		dt := 1 / float64(rate)
		want := Accel * (1 - Friction*dt) / Friction
		// Quantization settles it where one tick changes it by under 1/16.
		tol := 1 / (16 * Friction * dt)
		t.Run("straight", func(t *testing.T) {
			b := Body{}
			for range 10 * rate {
				MovePlayer(&b, MoveRight, dt, nil)
			}
			if math.Abs(b.VX-want) > tol || b.VY != 0 {
				t.Errorf("%d Hz: v = (%v, %v), want (%v, 0)", rate, b.VX, b.VY, want)
			}
		})
		t.Run("diagonal", func(t *testing.T) {
			b := Body{}
			for range 10 * rate {
				MovePlayer(&b, MoveUp|MoveLeft, dt, nil)
			}
			if b.VX != b.VY || math.Abs(math.Hypot(b.VX, b.VY)-want) > 2*tol {
				t.Errorf("%d Hz: v = (%v, %v), want speed %v on the diagonal", rate, b.VX, b.VY, want)
			}
		})
	}
}

// TestMovePlayerStops checks friction brings a released player to rest. At
// 30 Hz quantization leaves a velocity of ±1/8 px/s that moves it no more.
func TestMovePlayerStops(t *testing.T) {
	for _, move := range []uint8{MoveRight, MoveLeft, MoveUp | MoveRight} {
		b := Body{X: 1000, Y: 1000}
		run(&b, move, 60, nil)
		run(&b, 0, 60, nil)
		rest := b
		run(&b, 0, 300, nil)
		if b.X != rest.X || b.Y != rest.Y || math.Abs(b.VX) > 0.125 || math.Abs(b.VY) > 0.125 {
			t.Errorf("move %04b: still moving: %+v then %+v", move, rest, b)
		}
	}
}

func TestMovePlayerWalls(t *testing.T) {
	box := Wall{X: 500, Y: 500, W: 100, H: 100}
	tests := []struct {
		name  string
		start Body
		move  uint8
		ticks int
		want  func(Body) bool
	}{
		{"from left", Body{X: 400, Y: 550}, MoveRight, 60, func(b Body) bool { return b.X == 500-PlayerRadius && b.VX == 0 }},
		{"from right", Body{X: 700, Y: 550}, MoveLeft, 60, func(b Body) bool { return b.X == 600+PlayerRadius && b.VX == 0 }},
		{"from above", Body{X: 550, Y: 400}, MoveDown, 60, func(b Body) bool { return b.Y == 500-PlayerRadius && b.VY == 0 }},
		{"from below", Body{X: 550, Y: 700}, MoveUp, 60, func(b Body) bool { return b.Y == 600+PlayerRadius && b.VY == 0 }},
		{"slide along top", Body{X: 520, Y: 470}, MoveDown | MoveRight, 20, func(b Body) bool {
			return b.Y == 500-PlayerRadius && b.VY == 0 && b.X > 560 && b.VX > 100
		}},
		{"graze a corner", Body{X: 400, Y: 500 - PlayerRadius}, MoveRight, 90, func(b Body) bool {
			return b.Y == 500-PlayerRadius && b.X > 700
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.start
			for range tt.ticks {
				MovePlayer(&b, tt.move, dt30, []Wall{box})
				if overlapsWall(b.X, b.Y, PlayerRadius, box) {
					t.Fatalf("inside the wall: %+v", b)
				}
			}
			if !tt.want(b) {
				t.Errorf("ended at %+v", b)
			}
		})
	}
}

// TestMovePlayerQuantized checks every field stays a multiple of 1/8 so an
// Entity holds the state exactly.
func TestMovePlayerQuantized(t *testing.T) {
	walls := DefaultMap().Walls
	r := newRNG(7)
	b := Body{X: 128, Y: 128}
	for range 2000 {
		MovePlayer(&b, uint8(r.next()&15), dt30, walls)
		for _, v := range []float64{b.X, b.Y, b.VX, b.VY} {
			if v*8 != math.Trunc(v*8) || float64(int32(v*8))/8 != v {
				t.Fatalf("not a multiple of 1/8: %+v", b)
			}
		}
	}
}
