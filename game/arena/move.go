package arena

import "math"

// Movement constants. The browser's prediction code uses the same values;
// see docs/game.md.
const (
	PlayerRadius = 14                 // half-size in px of a player's collision square
	Accel        = 2400.0             // px/s² while a move key is held
	Friction     = 8.0                // fraction of velocity lost per second
	Diag         = 0.7071067811865476 // 1/√2, scales each axis when moving diagonally
)

// Body is a player's movement state in px and px/s. After MovePlayer every
// field is a multiple of 1/8, so it survives the trip through an Entity.
type Body struct{ X, Y, VX, VY float64 }

// MovePlayer advances b by one tick of dt seconds following the Move* bits
// in move, and pushes it out of walls, checked in slice order. It must stay
// bit-exact with the JavaScript port: every product is wrapped in float64()
// so the compiler cannot fuse it into an FMA.
func MovePlayer(b *Body, move uint8, dt float64, walls []Wall) {
	ax, ay := moveAxes(move)
	b.VX = b.VX + float64(float64(ax*Accel)*dt)
	b.VY = b.VY + float64(float64(ay*Accel)*dt)
	b.VX = b.VX - float64(float64(b.VX*Friction)*dt)
	b.VY = b.VY - float64(float64(b.VY*Friction)*dt)
	b.VX = quantize(b.VX)
	b.VY = quantize(b.VY)

	b.X = b.X + float64(b.VX*dt)
	for _, w := range walls {
		if overlapsWall(b.X, b.Y, PlayerRadius, w) {
			b.X, b.VX = pushOut(b.X, b.VX, w.X, w.W)
		}
	}
	b.Y = b.Y + float64(b.VY*dt)
	for _, w := range walls {
		if overlapsWall(b.X, b.Y, PlayerRadius, w) {
			b.Y, b.VY = pushOut(b.Y, b.VY, w.Y, w.H)
		}
	}
	b.X = quantize(b.X)
	b.Y = quantize(b.Y)
}

// moveAxes turns Move* bits into an acceleration direction of length 0 or 1.
func moveAxes(move uint8) (ax, ay float64) {
	dx := bit(move, MoveRight) - bit(move, MoveLeft)
	dy := bit(move, MoveDown) - bit(move, MoveUp)
	if dx != 0 && dy != 0 {
		return dx * Diag, dy * Diag
	}
	return dx, dy
}

func bit(move, mask uint8) float64 {
	if move&mask != 0 {
		return 1
	}
	return 0
}

// pushOut moves a coordinate p travelling at v out of the wall span
// [lo, lo+size] on the side it came from, and stops it.
func pushOut(p, v float64, lo, size int32) (float64, float64) {
	if v > 0 {
		p = float64(lo) - PlayerRadius
	} else if v < 0 {
		p = float64(lo+size) + PlayerRadius
	}
	return p, 0
}

// overlapsWall reports whether the open square of half-size r around (x, y)
// overlaps the open rectangle of w.
func overlapsWall(x, y, r float64, w Wall) bool {
	return x-r < float64(w.X+w.W) && x+r > float64(w.X) &&
		y-r < float64(w.Y+w.H) && y+r > float64(w.Y)
}

// quantize rounds v to the nearest 1/8, halves toward +∞.
func quantize(v float64) float64 {
	return math.Floor(v*8+0.5) / 8
}

// fixed converts a quantized value to its 1/8 wire unit.
func fixed(v float64) int32 { return int32(v * 8) }
