package game

// Hash64 builds a Game's state hash: FNV-1a over the values written to it,
// the same in every process and on every platform (unlike hash/maphash,
// whose seed is per process), so two runs of a game compare by hash.
type Hash64 uint64

// NewHash64 returns an empty hash.
func NewHash64() Hash64 { return 14695981039346656037 }

const fnvPrime = 1099511628211

// Uint64 mixes v in, low byte first.
func (h Hash64) Uint64(v uint64) Hash64 {
	for range 8 {
		h = (h ^ Hash64(v&0xff)) * fnvPrime
		v >>= 8
	}
	return h
}

// Int32 mixes v in.
func (h Hash64) Int32(v int32) Hash64 { return h.Uint64(uint64(uint32(v))) }

// String mixes s in, with its length so that "ab","c" and "a","bc" differ.
func (h Hash64) String(s string) Hash64 {
	h = h.Uint64(uint64(len(s)))
	for i := range len(s) {
		h = (h ^ Hash64(s[i])) * fnvPrime
	}
	return h
}

// Entities mixes in every entity: id, kind and all of its values.
func (h Hash64) Entities(ents []Entity) Hash64 {
	h = h.Uint64(uint64(len(ents)))
	for i := range ents {
		e := &ents[i]
		h = h.Uint64(uint64(e.ID)<<8 | uint64(e.Kind))
		for _, v := range e.V {
			h = h.Int32(v)
		}
	}
	return h
}
