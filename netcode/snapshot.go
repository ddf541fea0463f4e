package netcode

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unsafe"

	"github.com/tickroom/tickroom/game"
)

// View is what one player sees at one tick: the entities of World (sorted
// by id) whose bits are set in Seen. A room computes World once per tick
// and each player's Seen from the game's interest, so a player's baseline
// costs one bit per entity of the world, not a copy of what it saw.
type View struct {
	World []game.Entity
	// Seen has bit i%64 of word i/64 set when World[i] is in view; nil
	// means all of World.
	Seen []uint64
}

// SetSeen returns seen (reused) with exactly the bits of indexes set,
// sized for a world of n entities.
func SetSeen(seen []uint64, n int, indexes []int32) []uint64 {
	words := (n + 63) / 64
	if cap(seen) < words {
		seen = make([]uint64, words)
	}
	seen = seen[:words]
	clear(seen)
	for _, i := range indexes {
		seen[i>>6] |= 1 << (uint(i) & 63)
	}
	return seen
}

// cursor walks a View's entities in id order: the set bits of Seen, a
// word at a time (every index of World when Seen is nil).
type cursor struct {
	v    *View
	bits uint64 // the bits of word w not yet walked
	at   int    // w*64: the index of word w's bit 0
	w    int    // the word bits came from
}

func newCursor(v *View) cursor { return cursor{v: v, w: -1} }

// next returns the index of the next entity in view, or -1. The common
// case, another bit in the current word, is inlined.
func (c *cursor) next() int {
	if c.bits == 0 {
		return c.refill()
	}
	i := c.at + bits.TrailingZeros64(c.bits)
	c.bits &= c.bits - 1
	return i
}

// refill moves to the next word with a bit set and returns its first
// index, or -1 at the end. Without Seen every word is all ones.
func (c *cursor) refill() int {
	v := c.v
	n := len(v.World)
	words := (n + 63) >> 6
	if v.Seen != nil {
		words = min(words, len(v.Seen))
	}
	for c.w++; c.w < words; c.w++ {
		b := ^uint64(0)
		if v.Seen != nil {
			b = v.Seen[c.w]
		}
		if c.w == (n-1)>>6 && n&63 != 0 {
			b &= 1<<(uint(n)&63) - 1 // no bits beyond the world
		}
		if b != 0 {
			c.bits, c.at = b&(b-1), c.w<<6
			return c.at + bits.TrailingZeros64(b)
		}
	}
	c.w = words
	return -1
}

// AppendSnapshot encodes the view cur at tick, as player viewer sees it,
// as changes against base, the view viewer had at baseTick (ignored when
// baseTick is 0 or not before tick: the snapshot is then full). The message
// is [11, tick, tick−baseTick (0: full), ackSeq, [flat entity changes],
// [removed ids]].
//
// An entity is listed when it is new, became another kind, or differs from
// its baseline in any field; one in base and not in cur is removed. Fields
// the schema marks private read 0 except in the viewer's own avatar. An
// entity of a kind the schema does not declare is a bug in the game: it
// panics (a room recovers, closes and logs it).
//
// AppendSnapshot writes the MessagePack by hand, in one pass over each
// view, and allocates only to grow b.
func (c *Codec) AppendSnapshot(b []byte, tick, baseTick, ackSeq, viewer uint32, base, cur View) []byte {
	if baseTick == 0 || baseTick >= tick {
		baseTick, base = 0, View{}
	}
	b = appendSnapshotHead(b, tick, baseTick, ackSeq)
	var gone removals
	b = c.appendChanges(b, tick, viewer, &base, &cur, &gone)
	if gone.n <= len(gone.ids) {
		return gone.append(b) // found in the same walk
	}
	return appendRemoved(b, &base, &cur)
}

// removals collects the ids of base missing from cur during the changes'
// walk, so that the usual snapshot needs no second walk; past len(ids) of
// them, appendRemoved walks again.
type removals struct {
	ids [32]uint32
	n   int
}

func (r *removals) add(id uint32) {
	if r.n < len(r.ids) {
		r.ids[r.n] = id
	}
	r.n++
}

// append appends the gap-coded removed ids.
func (r *removals) append(b []byte) []byte {
	b = appendArrayLen(b, r.n)
	prev := uint32(0)
	for _, id := range r.ids[:r.n] {
		b = appendSmall(b, uint64(id-prev))
		prev = id
	}
	return b
}

// appendSnapshotHead appends [11, tick, baseAge, ackSeq, without the two
// arrays that follow.
func appendSnapshotHead(b []byte, tick, baseTick, ackSeq uint32) []byte {
	age := uint32(0)
	if baseTick != 0 {
		age = tick - baseTick
	}
	b = append(b, 0x96, byte(MsgSnapshot))
	b = appendUint(b, uint64(tick))
	b = appendUint(b, uint64(age))
	return appendUint(b, uint64(ackSeq))
}

// zeroEntity is the baseline of a new entity.
var zeroEntity game.Entity

// appendChanges appends the flat changes array of cur against base, and
// notes in gone the entities of base missing from cur (to be removed).
func (c *Codec) appendChanges(b []byte, tick, viewer uint32, base, cur *View, gone *removals) []byte {
	start, n := len(b), 0
	prev := uint32(0)
	// The cursors' common step (another bit of the current word) is
	// written out in this loop rather than called: it runs for every
	// entity of every view, and cursor.next is just over the inliner's
	// budget.
	bc, cc := newCursor(base), newCursor(cur)
	bi, ci := bc.refill(), cc.refill()
	for ci >= 0 {
		to := &cur.World[ci]
		if x := cc.bits; x != 0 {
			ci, cc.bits = cc.at+bits.TrailingZeros64(x), x&(x-1)
		} else {
			ci = cc.refill()
		}
		for bi >= 0 && base.World[bi].ID < to.ID {
			gone.add(base.World[bi].ID)
			bi = bc.next()
		}
		kc := c.kinds[to.Kind]
		if kc == nil {
			c.badKind(to)
		}
		// Another player's private fields read 0 on both sides: they never
		// differ, so they are simply left out of the mask.
		visible := kc.all
		if to.ID != viewer {
			visible = kc.public
		}
		from, mask := &zeroEntity, uint16(1) // new: the kind, then fields against zero
		if bi >= 0 && base.World[bi].ID == to.ID {
			if old := &base.World[bi]; old.Kind == to.Kind {
				from, mask = old, 0
			}
			if x := bc.bits; x != 0 {
				bi, bc.bits = bc.at+bits.TrailingZeros64(x), x&(x-1)
			} else {
				bi = bc.refill()
			}
		}
		mask |= kc.diffMask(from, to) & visible
		if mask == 0 {
			continue // unchanged, or only private fields changed
		}
		b = appendSmall(b, uint64(to.ID-prev))
		b = kc.appendFields(b, tick, mask, from, to)
		n += 2 + bits.OnesCount16(mask)
		prev = to.ID
	}
	for ; bi >= 0; bi = bc.next() {
		gone.add(base.World[bi].ID)
	}
	return insertArrayHeader(b, start, n)
}

// badKind panics for an entity whose kind the schema does not declare: a
// bug in the game (a room recovers, closes and logs it).
func (c *Codec) badKind(e *game.Entity) {
	panic(fmt.Sprintf("netcode: entity %d has kind %d, which schema %q does not declare", e.ID, e.Kind, c.schema.Game))
}

// appendRemoved appends the gap-coded ids in base that are not in cur.
func appendRemoved(b []byte, base, cur *View) []byte {
	start, n := len(b), 0
	prev := uint32(0)
	bc, cc := newCursor(base), newCursor(cur)
	ci := cc.next()
	for bi := bc.next(); bi >= 0; bi = bc.next() {
		id := base.World[bi].ID
		for ci >= 0 && cur.World[ci].ID < id {
			ci = cc.next()
		}
		if ci >= 0 && cur.World[ci].ID == id {
			continue
		}
		b = appendUint(b, uint64(id-prev))
		prev = id
		n++
	}
	return insertArrayHeader(b, start, n)
}

// diffMask returns the field bits (i+1 for field i) that differ, of the
// fields the kind has: the encoder's innermost step, run for every entity
// in every view. It compares the fields two at a time, as 64-bit words,
// without branches but one: an entity that did not change costs a handful
// of instructions.
func (kc *kindCodec) diffMask(from, to *game.Entity) uint16 {
	f := (*[game.MaxFields / 2]uint64)(unsafe.Pointer(&from.V))
	t := (*[game.MaxFields / 2]uint64)(unsafe.Pointer(&to.V))
	x0, x1, x2, x3 := f[0]^t[0], f[1]^t[1], f[2]^t[2], f[3]^t[3]
	x4, x5, x6 := f[4]^t[4], f[5]^t[5], f[6]^t[6]
	if x0|x1|x2|x3|x4|x5|x6 == 0 {
		return 0
	}
	// nz(v) is 1 when the 32-bit v is not 0.
	nz := func(v uint64) uint64 { return (v + 0xffffffff) >> 32 }
	const lo = 0xffffffff
	low := nz(x0&lo) | nz(x1&lo)<<2 | nz(x2&lo)<<4 | nz(x3&lo)<<6
	high := nz(x0>>32) | nz(x1>>32)<<2 | nz(x2>>32)<<4 | nz(x3>>32)<<6
	if x4|x5|x6 != 0 { // kinds of more than eight fields
		low |= nz(x4&lo)<<8 | nz(x5&lo)<<10 | nz(x6&lo)<<12
		high |= nz(x4>>32)<<8 | nz(x5>>32)<<10 | nz(x6>>32)<<12
	}
	// A word's low half is its first field on a little-endian machine.
	if bigEndian {
		low, high = high, low
	}
	return uint16(low<<1|high<<2) & kc.all
}

// bigEndian reports the machine's byte order, which decides the halves of
// diffMask's words.
var bigEndian = binary.NativeEndian.Uint16([]byte{0, 1}) == 1

// appendFields appends mask, the kind if its bit is set, then the wire
// value of each field it selects, in field order.
func (kc *kindCodec) appendFields(b []byte, tick uint32, mask uint16, from, to *game.Entity) []byte {
	b = appendSmall(b, uint64(mask))
	if mask&1 != 0 {
		b = appendSmall(b, uint64(kc.id))
	}
	for m := mask >> 1; m != 0; m &= m - 1 {
		i := bits.TrailingZeros16(m)
		// i < kc.n ≤ MaxFields: the mask only holds the kind's fields.
		v := *(*int32)(unsafe.Add(unsafe.Pointer(&to.V), 4*i))
		var u uint64
		switch kc.ops >> (2 * i) & 3 {
		case opDiff:
			u = uint64(zigzag(v - *(*int32)(unsafe.Add(unsafe.Pointer(&from.V), 4*i))))
		case opUnsigned:
			u = uint64(uint32(v))
		case opAge:
			u = uint64(tick - uint32(v))
		default: // opSigned
			if v < 0 {
				b = appendInt(b, int64(v))
				continue
			}
			u = uint64(v)
		}
		b = appendSmall(b, u)
	}
	return b
}

// appendSmall is appendUint with the common case, a positive fixint (every
// small difference, id gap and mask), inlined.
func appendSmall(b []byte, u uint64) []byte {
	if u <= 0x7f {
		return append(b, byte(u))
	}
	return appendUint(b, u)
}

// appendSnapshotMsg re-encodes a decoded snapshot as it is.
func appendSnapshotMsg(b []byte, s *Snapshot) []byte {
	b = appendSnapshotHead(b, s.Tick, s.BaseTick, s.AckSeq)
	start, n := len(b), 0
	prev := uint32(0)
	for i := range s.Changes {
		ch := &s.Changes[i]
		b = appendUint(b, uint64(ch.ID-prev))
		b = appendUint(b, uint64(ch.Mask))
		if ch.Mask&1 != 0 {
			b = appendUint(b, uint64(ch.Kind))
		}
		for m := ch.Mask >> 1; m != 0; m &= m - 1 {
			b = appendInt(b, ch.V[bits.TrailingZeros16(m)])
		}
		n += 2 + bits.OnesCount16(ch.Mask)
		prev = ch.ID
	}
	b = insertArrayHeader(b, start, n)
	start = len(b)
	prev = 0
	for _, id := range s.Removed {
		b = appendUint(b, uint64(id-prev))
		prev = id
	}
	return insertArrayHeader(b, start, len(s.Removed))
}

// zigzag maps a signed difference to an unsigned number that is small when
// the difference is small, whatever its sign: 0, −1, 1, −2, 2 … become
// 0, 1, 2, 3, 4 …, so ±63 fits a positive fixint.
func zigzag(v int32) uint32 { return uint32(v<<1) ^ uint32(v>>31) }

// unzigzag undoes zigzag.
func unzigzag(u uint32) int32 { return int32(u>>1) ^ -int32(u&1) }
