package netcode

import (
	"errors"
	"fmt"

	"github.com/tickroom/tickroom/game"
)

// baselineDepth is how many recent snapshot states a Baselines keeps.
const baselineDepth = 64

// ErrUnknownBaseline is returned by Baselines.Apply for a delta against a
// tick it no longer (or never) had. The client cannot recover the state and
// should reconnect, which starts again from a full snapshot.
var ErrUnknownBaseline = errors.New("netcode: unknown baseline tick")

// Baselines is the client-side decoder state: the full entity state of the
// last 64 snapshots by tick, so a delta against any recent baseTick can be
// applied (the server may skip snapshots for a slow reader; it always names
// the baseline it used). The zero value is ready to use.
//
// A Baselines is owned by the connection's reading goroutine.
type Baselines struct {
	states [baselineDepth]baseline
	next   int           // the slot the next Apply replaces
	spare  []game.Entity // storage the next Apply builds into
}

type baseline struct {
	tick  uint32
	valid bool
	ents  []game.Entity
}

// Reset forgets every state, as after a reconnect, keeping the storage.
func (b *Baselines) Reset() {
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
	out, err := merge(b.spare[:0], base, s)
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
func merge(out, base []game.Entity, s *Snapshot) ([]game.Entity, error) {
	i, k := 0, 0
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: snapshot %d: %s", ErrMalformed, s.Tick, fmt.Sprintf(format, args...))
	}
	for c := range s.Changes {
		ch := &s.Changes[c]
		if c > 0 && ch.Entity.ID <= s.Changes[c-1].Entity.ID {
			return out, bad("change ids not ascending at id %d", ch.Entity.ID)
		}
		// Keep or remove the baseline entities before this one.
		for ; i < len(base) && base[i].ID < ch.Entity.ID; i++ {
			if k < len(s.Removed) && s.Removed[k] == base[i].ID {
				k++
				continue
			}
			if k < len(s.Removed) && s.Removed[k] < base[i].ID {
				return out, bad("removed id %d not in baseline", s.Removed[k])
			}
			out = append(out, base[i])
		}
		e := game.Entity{ID: ch.Entity.ID}
		if i < len(base) && base[i].ID == ch.Entity.ID {
			e = base[i]
			i++
			if k < len(s.Removed) && s.Removed[k] <= e.ID {
				return out, bad("removed id %d not in baseline or also changed", s.Removed[k])
			}
		}
		applyChange(&e, ch)
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
