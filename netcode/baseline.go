package netcode

import (
	"errors"
	"fmt"
	"math"
	"math/bits"

	"github.com/tickroom/tickroom/game"
)

// baselineDepth is how many recent snapshot states a Baselines keeps.
const baselineDepth = 64

// ErrUnknownBaseline is returned by Baselines.Apply for a delta against a
// tick it no longer (or never) had. The client cannot recover the state and
// should reconnect, which starts again from a full snapshot.
var ErrUnknownBaseline = errors.New("netcode: unknown baseline tick")

// Baselines is the client-side decoder state: the game's codec (from the
// welcome's schema) and the full entity state of the last 64 snapshots by
// tick, so a delta against any recent baseTick can be applied (the server
// may skip snapshots for a slow reader; it always names the baseline it
// used). Call Reset with the welcome's codec before the first Apply.
//
// A Baselines is owned by the connection's reading goroutine.
type Baselines struct {
	codec  *Codec
	states [baselineDepth]baseline
	next   int           // the slot the next Apply replaces
	spare  []game.Entity // storage the next Apply builds into
}

type baseline struct {
	tick  uint32
	valid bool
	ents  []game.Entity
}

// Reset forgets every state, as after a welcome, keeping the storage, and
// decodes from now on with codec.
func (b *Baselines) Reset(codec *Codec) {
	b.codec = codec
	for i := range b.states {
		b.states[i].valid = false
	}
}

// Apply applies s to the state at s.BaseTick (the empty world when it is 0)
// and returns the full state at s.Tick, sorted by ID. The returned slice is
// owned by b: do not modify it; it is valid until the next Apply. It returns
// ErrUnknownBaseline when s.BaseTick is not kept, and an error wrapping
// ErrMalformed when s does not fit its baseline.
func (b *Baselines) Apply(s *Snapshot) ([]game.Entity, error) {
	if b.codec == nil {
		return nil, fmt.Errorf("%w: snapshot %d before a welcome", ErrMalformed, s.Tick)
	}
	var base []game.Entity
	if s.BaseTick != 0 {
		if s.BaseTick >= s.Tick {
			return nil, fmt.Errorf("%w: snapshot: baseTick %d not before tick %d", ErrMalformed, s.BaseTick, s.Tick)
		}
		st := b.find(s.BaseTick)
		if st == nil {
			return nil, fmt.Errorf("%w %d (snapshot %d)", ErrUnknownBaseline, s.BaseTick, s.Tick)
		}
		base = st.ents
	}
	out, err := b.codec.merge(b.spare[:0], base, s)
	if err != nil {
		b.spare = out
		return nil, err
	}
	return b.store(s.Tick, out), nil
}

// find returns the state kept for tick, or nil.
func (b *Baselines) find(tick uint32) *baseline {
	for i := range b.states {
		if st := &b.states[i]; st.valid && st.tick == tick {
			return st
		}
	}
	return nil
}

// store keeps ents as the state at tick, replacing the state kept for the
// same tick or else the oldest one, whose storage becomes the spare.
func (b *Baselines) store(tick uint32, ents []game.Entity) []game.Entity {
	st := b.find(tick)
	if st == nil {
		st = &b.states[b.next]
		b.next = (b.next + 1) % baselineDepth
	}
	b.spare = st.ents
	*st = baseline{tick: tick, valid: true, ents: ents}
	return ents
}

// merge appends to out the state that results from applying s's changes and
// removals to base.
func (c *Codec) merge(out, base []game.Entity, s *Snapshot) ([]game.Entity, error) {
	i, k := 0, 0
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: snapshot %d: %s", ErrMalformed, s.Tick, fmt.Sprintf(format, args...))
	}
	for x := range s.Changes {
		ch := &s.Changes[x]
		if x > 0 && ch.ID <= s.Changes[x-1].ID {
			return out, bad("change ids not ascending at id %d", ch.ID)
		}
		// Keep or remove the baseline entities before this one.
		for ; i < len(base) && base[i].ID < ch.ID; i++ {
			if k < len(s.Removed) && s.Removed[k] == base[i].ID {
				k++
				continue
			}
			if k < len(s.Removed) && s.Removed[k] < base[i].ID {
				return out, bad("removed id %d not in baseline", s.Removed[k])
			}
			out = append(out, base[i])
		}
		e := game.Entity{ID: ch.ID}
		if i < len(base) && base[i].ID == ch.ID {
			e = base[i]
			i++
			if k < len(s.Removed) && s.Removed[k] <= e.ID {
				return out, bad("removed id %d not in baseline or also changed", s.Removed[k])
			}
		}
		if err := c.apply(&e, ch, s.Tick); err != nil {
			return out, bad("%v", err)
		}
		out = append(out, e)
	}
	for ; i < len(base); i++ {
		if k < len(s.Removed) && s.Removed[k] == base[i].ID {
			k++
			continue
		}
		if k < len(s.Removed) && s.Removed[k] < base[i].ID {
			return out, bad("removed id %d not in baseline", s.Removed[k])
		}
		out = append(out, base[i])
	}
	if k < len(s.Removed) {
		return out, bad("removed id %d not in baseline", s.Removed[k])
	}
	if len(out) > MaxEntities {
		return out, bad("%d entities, more than %d", len(out), MaxEntities)
	}
	return out, nil
}

// apply applies a decoded change to e (its baseline, or a zero entity with
// only the id set): with the kind bit the entity starts again from zero as
// that kind; each field's wire value is read by its delta and checked
// against its type.
func (c *Codec) apply(e *game.Entity, ch *EntityChange, tick uint32) error {
	if ch.Mask&1 != 0 {
		*e = game.Entity{ID: ch.ID, Kind: ch.Kind}
	}
	kc := c.kinds[e.Kind]
	if kc == nil {
		return fmt.Errorf("entity %d: kind %d not in the schema", ch.ID, e.Kind)
	}
	if ch.Mask&^kc.all != 0 {
		return fmt.Errorf("entity %d (%s): mask 0x%x names fields the kind does not have", ch.ID, kc.name, ch.Mask)
	}
	for m := ch.Mask >> 1; m != 0; m &= m - 1 {
		i := bits.TrailingZeros16(m)
		w := ch.V[i]
		var v int64
		switch kc.delta[i] {
		case game.Diff:
			if w < 0 || w > math.MaxUint32 {
				return fmt.Errorf("entity %d: %s: difference %d is not a zigzag u32", ch.ID, kc.names[i], w)
			}
			v = kc.typ[i].Value(e.V[i] + unzigzag(uint32(w)))
		case game.Age:
			if w < 0 || w > math.MaxUint32 {
				return fmt.Errorf("entity %d: %s: age %d out of range", ch.ID, kc.names[i], w)
			}
			v = int64(tick - uint32(w))
		default:
			v = w
		}
		if lo, hi := kc.typ[i].Range(); v < lo || v > hi {
			return fmt.Errorf("entity %d: %s: %d outside %s", ch.ID, kc.names[i], v, kc.typ[i])
		}
		e.V[i] = int32(v)
	}
	return nil
}
