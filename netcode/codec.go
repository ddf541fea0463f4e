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
	id   uint8
	name string
	n    int // fields

	all    uint16 // every mask bit this kind may set, kind bit included
	delta  [game.MaxFields]game.Delta
	typ    [game.MaxFields]game.Type
	public uint16                 // the mask bits of fields any viewer may see, kind bit included
	ops    uint32                 // how appendFields writes field i: bits 2i..2i+1 hold opDiff, opAge, opSigned or opUnsigned
	names  [game.MaxFields]string // for errors
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
		kc.public = kc.all

		for j, f := range k.Fields {
			kc.delta[j], kc.typ[j], kc.names[j] = f.Delta, f.Type, f.Name
			kc.ops |= uint32(fieldOp(f)) << (2 * j)
			if f.Private {
				kc.public &^= 2 << j
			}
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

// The ways a field's wire value is written.
const (
	opUnsigned = iota // its value, as unsigned
	opSigned          // its value, signed
	opDiff            // the zigzag-coded difference from the baseline
	opAge             // the tick minus its value
)

func fieldOp(f game.Field) uint8 {
	switch {
	case f.Delta == game.Diff:
		return opDiff
	case f.Delta == game.Age:
		return opAge
	case f.Type.Signed():
		return opSigned
	}
	return opUnsigned
}
