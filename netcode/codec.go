package netcode

import (
	"fmt"

	"github.com/tickroom/tickroom/game"
)

// Codec encodes and decodes one game's messages from its schema: snapshots
// (entity fields by kind), inputs (fields and their ranges) and the
// welcome's schema. Make one per schema with NewCodec; it is immutable and
// safe for concurrent use, so a room's sessions and its goroutine share it.
type Codec struct {
	schema *game.Schema
	kinds  [256]*kindCodec // by kind id; nil for undeclared kinds
	input  []game.InputField
}

// kindCodec is one entity kind's fields as the encoder walks them.
type kindCodec struct {
	id      uint8
	name    string
	n       int    // fields
	all     uint16 // every mask bit this kind may set, kind bit included
	delta   [game.MaxFields]game.Delta
	typ     [game.MaxFields]game.Type
	private [game.MaxFields]bool
	anyPriv bool
	names   [game.MaxFields]string // for errors
}

// NewCodec checks s and builds its codec. The world must be made of
// values the wire can carry (see AppendWelcome), and the whole schema must
// be one a client accepts: strings of at most MaxTextBytes (world keys
// included), a world of at most MaxWorldValues values, and at most half of
// MaxWelcomeBytes in all, leaving the rest of the welcome its room.
func NewCodec(s *game.Schema) (*Codec, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := checkWorld(s.World); err != nil {
		return nil, fmt.Errorf("%w: %s: world: %v", game.ErrSchema, s.Game, err)
	}
	if err := checkTravels(s); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", game.ErrSchema, s.Game, err)
	}
	c := &Codec{schema: s, input: s.Input}
	for i := range s.Kinds {
		k := &s.Kinds[i]
		kc := &kindCodec{id: k.ID, name: k.Name, n: len(k.Fields), all: 1<<(len(k.Fields)+1) - 1}
		for j, f := range k.Fields {
			kc.delta[j], kc.typ[j], kc.private[j], kc.names[j] = f.Delta, f.Type, f.Private, f.Name
			kc.anyPriv = kc.anyPriv || f.Private
		}
		c.kinds[k.ID] = kc
	}
	return c, nil
}

// MustCodec is NewCodec for schemas known to be valid, such as a game's
// own in its tests; it panics on error.
func MustCodec(s *game.Schema) *Codec {
	c, err := NewCodec(s)
	if err != nil {
		panic(err)
	}
	return c
}

// Schema returns the schema the codec was built from.
func (c *Codec) Schema() *game.Schema { return c.schema }

// masked returns e as viewer sees it: with the kind's private fields
// zeroed unless e is viewer's own avatar. It reports whether it changed
// anything, in which case the copy is in buf.
func (kc *kindCodec) masked(e *game.Entity, viewer uint32, buf *game.Entity) *game.Entity {
	if !kc.anyPriv || e.ID == viewer {
		return e
	}
	*buf = *e
	for i := range kc.n {
		if kc.private[i] {
			buf.V[i] = 0
		}
	}
	return buf
}
