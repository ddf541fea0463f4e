package netcode

import (
	"math/bits"

	"github.com/tickroom/tickroom/game"
)

// AppendSnapshot encodes cur as changes against base (the entities at
// baseTick; nil with baseTick 0 for a full snapshot). base and cur are
// sorted by ID. The message is
// [11, tick, baseTick, ackSeq, [flat entity changes], [removed ids]].
//
// An entity of cur is listed when it differs from its baseline (the entity
// with the same id in base, or an all-zero entity with only ID set) or is
// absent from base; an entity of base absent from cur is removed.
func AppendSnapshot(b []byte, tick, baseTick, ackSeq uint32, base, cur []game.Entity) []byte {
	changeLen, removedLen := snapshotLens(base, cur)
	e := startMsg(b, MsgSnapshot, 6)
	_ = e.EncodeUint(uint64(tick))
	_ = e.EncodeUint(uint64(baseTick))
	_ = e.EncodeUint(uint64(ackSeq))
	_ = e.EncodeArrayLen(changeLen)
	e.writeChanges(base, cur)
	_ = e.EncodeArrayLen(removedLen)
	e.writeRemoved(base, cur)
	return e.finish()
}

// snapshotLens returns the lengths of the flat changes array and of the
// removed array, so the array headers can be written first.
func snapshotLens(base, cur []game.Entity) (changeLen, removedLen int) {
	i := 0
	for c := range cur {
		for i < len(base) && base[i].ID < cur[c].ID {
			i++
			removedLen++
		}
		mask := uint16(0)
		isNew := i == len(base) || base[i].ID != cur[c].ID
		if isNew {
			mask = diffMask(&game.Entity{ID: cur[c].ID}, &cur[c])
		} else {
			mask = diffMask(&base[i], &cur[c])
			i++
		}
		if mask != 0 || isNew {
			changeLen += 2 + bits.OnesCount16(mask)
		}
	}
	return changeLen, removedLen + len(base) - i
}

// writeChanges writes the flat changes of cur against base.
func (e *encoder) writeChanges(base, cur []game.Entity) {
	i := 0
	prev := uint32(0)
	for c := range cur {
		for i < len(base) && base[i].ID < cur[c].ID {
			i++
		}
		from := &game.Entity{ID: cur[c].ID}
		isNew := i == len(base) || base[i].ID != cur[c].ID
		if !isNew {
			from = &base[i]
			i++
		}
		mask := diffMask(from, &cur[c])
		if mask == 0 && !isNew {
			continue
		}
		e.writeChange(cur[c].ID-prev, mask, wireDelta(from, &cur[c]))
		prev = cur[c].ID
	}
}

// writeRemoved writes the gap-coded ids of base that are absent from cur.
func (e *encoder) writeRemoved(base, cur []game.Entity) {
	c := 0
	prev := uint32(0)
	for i := range base {
		for c < len(cur) && cur[c].ID < base[i].ID {
			c++
		}
		if c < len(cur) && cur[c].ID == base[i].ID {
			continue
		}
		_ = e.EncodeUint(uint64(base[i].ID - prev))
		prev = base[i].ID
	}
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
	return m
}

// wireDelta returns to as it travels: X, Y, VX and VY as differences from
// from (int32, wrapping), the other fields as they are.
func wireDelta(from, to *game.Entity) game.Entity {
	d := *to
	d.X -= from.X
	d.Y -= from.Y
	d.VX -= from.VX
	d.VY -= from.VY
	return d
}

// applyDelta applies the fields of d selected by mask to e; d is as
// wireDelta returns it.
func applyDelta(e *game.Entity, mask uint16, d *game.Entity) {
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
}

// writeChange writes one entity change: idGap, mask, then the value of each
// field whose bit is set, in bit order.
func (e *encoder) writeChange(gap uint32, mask uint16, d game.Entity) {
	_ = e.EncodeUint(uint64(gap))
	_ = e.EncodeUint(uint64(mask))
	for m := mask; m != 0; m &= m - 1 {
		switch uint16(1) << bits.TrailingZeros16(m) {
		case FieldKind:
			_ = e.EncodeUint(uint64(d.Kind))
		case FieldX:
			_ = e.EncodeInt(int64(d.X))
		case FieldY:
			_ = e.EncodeInt(int64(d.Y))
		case FieldVX:
			_ = e.EncodeInt(int64(d.VX))
		case FieldVY:
			_ = e.EncodeInt(int64(d.VY))
		case FieldAngle:
			_ = e.EncodeUint(uint64(d.Angle))
		case FieldHP:
			_ = e.EncodeUint(uint64(d.HP))
		case FieldFlags:
			_ = e.EncodeUint(uint64(d.Flags))
		case FieldScore:
			_ = e.EncodeInt(int64(d.Score))
		case FieldOwner:
			_ = e.EncodeUint(uint64(d.Owner))
		}
	}
}

// appendSnapshotMsg re-encodes a decoded snapshot as it is.
func appendSnapshotMsg(b []byte, s *Snapshot) []byte {
	n := 0
	for i := range s.Changes {
		n += 2 + bits.OnesCount16(s.Changes[i].Mask)
	}
	e := startMsg(b, MsgSnapshot, 6)
	_ = e.EncodeUint(uint64(s.Tick))
	_ = e.EncodeUint(uint64(s.BaseTick))
	_ = e.EncodeUint(uint64(s.AckSeq))
	_ = e.EncodeArrayLen(n)
	prev := uint32(0)
	for i := range s.Changes {
		c := &s.Changes[i]
		e.writeChange(c.Entity.ID-prev, c.Mask, c.Entity)
		prev = c.Entity.ID
	}
	_ = e.EncodeArrayLen(len(s.Removed))
	prev = 0
	for _, id := range s.Removed {
		_ = e.EncodeUint(uint64(id - prev))
		prev = id
	}
	return e.finish()
}
