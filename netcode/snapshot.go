package netcode

import (
	"math/bits"

	"github.com/tickroom/tickroom/game"
)

// AppendSnapshot encodes cur as changes against base (the entities at
// baseTick; nil with baseTick 0 for a full snapshot). base and cur are
// sorted by ID. The message is
// [11, tick, tick−baseTick (0: full), ackSeq, [flat entity changes], [removed ids]].
// A baseTick that is not before tick cannot be a baseline: the snapshot is
// then encoded in full.
//
// An entity of cur is listed when it differs from its baseline (the entity
// with the same id in base, or an all-zero entity with only ID set) or is
// absent from base; an entity of base absent from cur is removed.
//
// AppendSnapshot writes the MessagePack by hand, in one pass, and allocates
// only to grow b.
func AppendSnapshot(b []byte, tick, baseTick, ackSeq uint32, base, cur []game.Entity) []byte {
	if baseTick == 0 || baseTick >= tick {
		baseTick, base = 0, nil
	}
	b = appendSnapshotHead(b, tick, baseTick, ackSeq)
	b = appendChanges(b, tick, base, cur)
	return appendRemoved(b, base, cur)
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

// appendChanges appends the flat changes array of cur against base.
func appendChanges(b []byte, tick uint32, base, cur []game.Entity) []byte {
	start, n := len(b), 0
	prev := uint32(0)
	i := 0
	for c := range cur {
		to := &cur[c]
		for i < len(base) && base[i].ID < to.ID {
			i++
		}
		from := &zeroEntity
		if i < len(base) && base[i].ID == to.ID {
			from = &base[i]
			i++
			if *from == *to {
				continue
			}
		}
		mask := diffMask(from, to)
		b = appendUint(b, uint64(to.ID-prev))
		b = appendFields(b, tick, mask, from, to)
		n += 2 + bits.OnesCount16(mask)
		prev = to.ID
	}
	return insertArrayHeader(b, start, n)
}

// zeroEntity is the baseline of an entity absent from the base state; its
// ID does not matter, as diffMask and appendFields ignore IDs.
var zeroEntity game.Entity

// appendRemoved appends the gap-coded ids of base that are absent from cur.
func appendRemoved(b []byte, base, cur []game.Entity) []byte {
	start, n := len(b), 0
	c := 0
	prev := uint32(0)
	for i := range base {
		for c < len(cur) && cur[c].ID < base[i].ID {
			c++
		}
		if c < len(cur) && cur[c].ID == base[i].ID {
			continue
		}
		b = appendUint(b, uint64(base[i].ID-prev))
		prev = base[i].ID
		n++
	}
	return insertArrayHeader(b, start, n)
}

// diffMask returns the Field* bits of the fields that differ between from
// and to.
func diffMask(from, to *game.Entity) uint16 {
	var m uint16
	if from.Kind != to.Kind {
		m |= FieldKind
	}
	if from.X != to.X {
		m |= FieldX
	}
	if from.Y != to.Y {
		m |= FieldY
	}
	if from.VX != to.VX {
		m |= FieldVX
	}
	if from.VY != to.VY {
		m |= FieldVY
	}
	if from.Angle != to.Angle {
		m |= FieldAngle
	}
	if from.HP != to.HP {
		m |= FieldHP
	}
	if from.Flags != to.Flags {
		m |= FieldFlags
	}
	if from.Score != to.Score {
		m |= FieldScore
	}
	if from.Owner != to.Owner {
		m |= FieldOwner
	}
	if from.Born != to.Born {
		m |= FieldBorn
	}
	return m
}

// appendFields appends mask and then, in bit order, the wire value of each
// field it selects: to's value, or for X, Y, VX and VY the zigzag-coded
// difference from from, and for Born the age tick−Born.
func appendFields(b []byte, tick uint32, mask uint16, from, to *game.Entity) []byte {
	b = appendUint(b, uint64(mask))
	if mask&FieldKind != 0 {
		b = appendUint(b, uint64(to.Kind))
	}
	if mask&FieldX != 0 {
		b = appendUint(b, uint64(zigzag(to.X-from.X)))
	}
	if mask&FieldY != 0 {
		b = appendUint(b, uint64(zigzag(to.Y-from.Y)))
	}
	if mask&FieldVX != 0 {
		b = appendUint(b, uint64(zigzag(to.VX-from.VX)))
	}
	if mask&FieldVY != 0 {
		b = appendUint(b, uint64(zigzag(to.VY-from.VY)))
	}
	if mask&FieldAngle != 0 {
		b = appendUint(b, uint64(to.Angle))
	}
	if mask&FieldHP != 0 {
		b = appendUint(b, uint64(to.HP))
	}
	if mask&FieldFlags != 0 {
		b = appendUint(b, uint64(to.Flags))
	}
	if mask&FieldScore != 0 {
		b = appendInt(b, int64(to.Score))
	}
	if mask&FieldOwner != 0 {
		b = appendUint(b, uint64(to.Owner))
	}
	if mask&FieldBorn != 0 {
		b = appendUint(b, uint64(tick-to.Born))
	}
	return b
}

// applyChange applies a decoded change (X, Y, VX, VY as differences, other
// fields as values) to e.
func applyChange(e *game.Entity, c *EntityChange) {
	d, mask := &c.Entity, c.Mask
	if mask&FieldKind != 0 {
		e.Kind = d.Kind
	}
	if mask&FieldX != 0 {
		e.X += d.X
	}
	if mask&FieldY != 0 {
		e.Y += d.Y
	}
	if mask&FieldVX != 0 {
		e.VX += d.VX
	}
	if mask&FieldVY != 0 {
		e.VY += d.VY
	}
	if mask&FieldAngle != 0 {
		e.Angle = d.Angle
	}
	if mask&FieldHP != 0 {
		e.HP = d.HP
	}
	if mask&FieldFlags != 0 {
		e.Flags = d.Flags
	}
	if mask&FieldScore != 0 {
		e.Score = d.Score
	}
	if mask&FieldOwner != 0 {
		e.Owner = d.Owner
	}
	if mask&FieldBorn != 0 {
		e.Born = d.Born
	}
}

// appendSnapshotMsg re-encodes a decoded snapshot as it is.
func appendSnapshotMsg(b []byte, s *Snapshot) []byte {
	b = appendSnapshotHead(b, s.Tick, s.BaseTick, s.AckSeq)
	start, n := len(b), 0
	prev := uint32(0)
	for i := range s.Changes {
		c := &s.Changes[i]
		// The change holds differences: encode it against a zero baseline.
		b = appendUint(b, uint64(c.Entity.ID-prev))
		b = appendFields(b, s.Tick, c.Mask, &zeroEntity, &c.Entity)
		n += 2 + bits.OnesCount16(c.Mask)
		prev = c.Entity.ID
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
