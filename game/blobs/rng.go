package blobs

// rng is a PCG-XSH-RR 32-bit generator: small, fast and identical on every
// platform, so a seed always places the same pellets and spawns. (The
// arena has its own copy; a game shares nothing with another.)
type rng struct{ state, inc uint64 }

const pcgMul = 6364136223846793005

func newRNG(seed uint64) rng {
	r := rng{inc: seed<<1 | 1}
	r.next()
	r.state += seed
	r.next()
	return r
}

// next returns the next 32 random bits.
func (r *rng) next() uint32 {
	old := r.state
	r.state = old*pcgMul + r.inc
	xorshifted := uint32(((old >> 18) ^ old) >> 27)
	rot := uint32(old >> 59)
	return xorshifted>>rot | xorshifted<<((-rot)&31)
}

// intn returns a number in [0, n) for n > 0. The modulo bias is below
// 1/100000 for the n this game uses (at most 32000).
func (r *rng) intn(n int32) int32 {
	return int32(r.next() % uint32(n))
}
