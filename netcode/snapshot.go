package netcode

import (
	"fmt"
	"math/bits"

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

// cursor walks a View's entities in id order.
type cursor struct {
	v *View
	i int // the next index to look at
}

// next returns the index of the next entity in view, or -1.
func (c *cursor) next() int {
	n := len(c.v.World)
	if c.v.Seen == nil {
		if c.i >= n {
			return -1
		}
		c.i++
		return c.i - 1
	}
	for c.i < n && c.i>>6 < len(c.v.Seen) {
		w := c.v.Seen[c.i>>6] >> (uint(c.i) & 63)
		if w == 0 {
			c.i = (c.i | 63) + 1
			continue
		}
		c.i += bits.TrailingZeros64(w)
		if c.i >= n {
			return -1
		}
		c.i++
		return c.i - 1
	}
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
	b = c.appendChanges(b, tick, viewer, &base, &cur)
	return appendRemoved(b, &base, &cur)
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

// appendChanges appends the flat changes array of cur against base.
func (c *Codec) appendChanges(b []byte, tick, viewer uint32, base, cur *View) []byte {
	start, n := len(b), 0
	prev := uint32(0)
	bc, cc := cursor{v: base}, cursor{v: cur}
	bi := bc.next()
	var toBuf, fromBuf game.Entity
	for ci := cc.next(); ci >= 0; ci = cc.next() {
		to := &cur.World[ci]
		for bi >= 0 && base.World[bi].ID < to.ID {
			bi = bc.next()
		}
		kc := c.kind(to)
		toV := kc.masked(to, viewer, &toBuf)
		from, mask := &zeroEntity, uint16(1) // new: the kind, then fields against zero
		if bi >= 0 && base.World[bi].ID == to.ID {
			if old := &base.World[bi]; old.Kind == to.Kind {
				from = kc.masked(old, viewer, &fromBuf)
				if from.V == toV.V {
					continue
				}
				mask = 0
			}
			bi = bc.next()
		}
		mask |= kc.diffMask(from, toV)
		b = appendUint(b, uint64(to.ID-prev))
		b = kc.appendFields(b, tick, mask, from, toV)
		n += 2 + bits.OnesCount16(mask)
		prev = to.ID
	}
	return insertArrayHeader(b, start, n)
}

func (c *Codec) kind(e *game.Entity) *kindCodec {
	kc := c.kinds[e.Kind]
	if kc == nil {
		panic(fmt.Sprintf("netcode: entity %d has kind %d, which schema %q does not declare", e.ID, e.Kind, c.schema.Game))
	}
	return kc
}

// appendRemoved appends the gap-coded ids in base that are not in cur.
func appendRemoved(b []byte, base, cur *View) []byte {
	start, n := len(b), 0
	prev := uint32(0)
	bc, cc := cursor{v: base}, cursor{v: cur}
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

// diffMask returns the field bits (i+1 for field i) that differ.
func (kc *kindCodec) diffMask(from, to *game.Entity) uint16 {
	var m uint16
	for i := range kc.n {
		if from.V[i] != to.V[i] {
			m |= 2 << i
		}
	}
	return m
}

// appendFields appends mask, the kind if its bit is set, then the wire
// value of each field it selects, in field order.
func (kc *kindCodec) appendFields(b []byte, tick uint32, mask uint16, from, to *game.Entity) []byte {
	b = appendUint(b, uint64(mask))
	if mask&1 != 0 {
		b = appendUint(b, uint64(kc.id))
	}
	for m := mask >> 1; m != 0; m &= m - 1 {
		i := bits.TrailingZeros16(m)
		v := to.V[i]
		switch kc.delta[i] {
		case game.Diff:
			b = appendUint(b, uint64(zigzag(v-from.V[i])))
		case game.Age:
			b = appendUint(b, uint64(tick-uint32(v)))
		default:
			if kc.typ[i].Signed() {
				b = appendInt(b, int64(v))
			} else {
				b = appendUint(b, uint64(uint32(v)))
			}
		}
	}
	return b
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
