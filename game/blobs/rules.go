package blobs

import "math"

// Rules of the game. Lengths are in px unless the name says 8 (1/8 px),
// durations in seconds, mass in pellets (a pellet weighs PelletMass).
const (
	DefaultSize    = 4000 // side of the square field
	MinSize        = 500
	MaxSize        = 4000 // positions are u16 in 1/8 px: at most 32767
	DefaultPellets = 600
	MaxPellets     = 2000 // well under what one snapshot may carry (netcode.MaxEntities)

	PelletRadius  = 5
	PelletMass    = 1
	PelletColors  = 8
	PelletRespawn = 5 // an eaten pellet is replaced, elsewhere, this long after

	StartMass = 20
	MaxMass   = 5000 // a blob stops growing here
	// RadiusK gives a blob's radius from its mass: R8 = ⌊√(RadiusK·mass)⌋
	// in 1/8 px, so 6·√mass px: 26.75 px at StartMass, 424 px at MaxMass.
	RadiusK = 2304

	// A blob's speed is MaxSpeed·3·R0/(R+2·R0) px/s, R0 the radius at
	// StartMass (full speed when it starts, half at four times R0), but
	// never below MinSpeed. It moves ⌊speed·8/TickRate⌋ 1/8 px per tick.
	MaxSpeed = 220
	MinSpeed = 40

	// EatRatio: blob A eats blob B when 100·R(A) ≥ EatRatio·R(B) and A's
	// circle covers B's centre (distance < R(A)).
	EatRatio     = 115
	RespawnDelay = 2

	// The view is the rectangle of half-extents ViewHalfW + ViewGrow·R by
	// ViewHalfH + ViewGrow·R around the blob: bigger blobs see more.
	ViewHalfW = 640
	ViewHalfH = 360
	ViewGrow  = 3

	// FirstPelletID is the first pellet's id; pellet ids count up from it
	// and are never reused in a game. Player ids are below it.
	FirstPelletID = 1 << 20

	defaultRate = 30
	minRate     = 10
	maxRate     = 60
	spawnTries  = 8 // random places a (re)spawning blob picks the freest of
)

// RadiusOf returns the radius in 1/8 px of a blob of mass m.
func RadiusOf(m int32) int32 { return int32(isqrt(RadiusK * int64(m))) }

// startRadius is RadiusOf(StartMass), which a test checks: ⌊√46080⌋.
const startRadius = 214

// StepOf returns how far, in 1/8 px, a blob of radius r (1/8 px) moves in
// one tick at rate ticks per second.
func StepOf(r int32, rate int) int32 {
	speed := max(int64(MinSpeed*8), int64(MaxSpeed*8)*3*int64(startRadius)/(int64(r)+2*int64(startRadius)))
	return int32(speed / int64(rate))
}

// MoveToward moves the point (x, y) toward (tx, ty) by step, all in 1/8 px:
// onto the target when it is at most step away, else by (dx·step/d,
// dy·step/d), d = ⌊√(dx²+dy²)⌋ and each quotient truncated toward zero.
// Integer arithmetic only, so every client computes the same.
func MoveToward(x, y, tx, ty, step int32) (int32, int32) {
	dx, dy, s := int64(tx-x), int64(ty-y), int64(step)
	d2 := dx*dx + dy*dy
	if d2 <= s*s {
		return tx, ty
	}
	d := isqrt(d2) // ≥ s, so neither axis overshoots
	return x + int32(dx*s/d), y + int32(dy*s/d)
}

// isqrt returns ⌊√n⌋ for n ≥ 0, exactly: the float estimate is corrected
// with integer tests, so the result does not depend on rounding.
func isqrt(n int64) int64 {
	if n <= 0 {
		return 0
	}
	r := int64(math.Sqrt(float64(n)))
	for r*r > n {
		r--
	}
	for (r+1)*(r+1) <= n {
		r++
	}
	return r
}

// canEat reports whether a blob of radius a is big enough to eat one of
// radius b.
func canEat(a, b int32) bool { return 100*int64(a) >= EatRatio*int64(b) }

// viewHalf returns the half-extents of the view of a blob of radius r,
// all in 1/8 px.
func viewHalf(r int32) (hw, hh int32) {
	return ViewHalfW*8 + ViewGrow*r, ViewHalfH*8 + ViewGrow*r
}
