package rooms

import (
	"math/bits"

	"github.com/tickroom/tickroom/game"
)

// MaxInputBacklog bounds queued inputs per seat: a client whose clock runs
// fast must not build up input lag.
const MaxInputBacklog = 3

// inputQueue holds a seat's inputs until the ticks that apply them: one a
// tick, oldest first. A short queue absorbs jitter (two inputs arriving in
// one tick, none in the next), but a queue that never empties is only
// latency: every input waits a tick behind the one before it. Clients
// send at the tick rate, so once two inputs land in one tick the extra one
// can stand for good. take removes it after a whole window of ticks in
// which the queue never drained.
//
// Whenever two inputs become one (the queue is full, or a standing input
// is removed), the older one's buttons (the schema's input fields marked
// Buttons) carry into the newer: a shot is never lost, only one tick of
// the older input's movement and aim.
type inputQueue struct {
	q        []game.Input
	buttons  uint8 // bit i: input field i is buttons; set when the seat is made
	standing int   // consecutive ticks that ended with an input still queued
}

// buttonFields is the inputQueue.buttons of a schema.
func buttonFields(s *game.Schema) uint8 {
	var b uint8
	for i, f := range s.Input {
		if f.Buttons {
			b |= 1 << i
		}
	}
	return b
}

// push queues in, merging the two oldest when full; it reports whether it
// did.
func (iq *inputQueue) push(in game.Input) (merged bool) {
	if len(iq.q) >= MaxInputBacklog {
		iq.q = mergeOldest(iq.q, iq.buttons)
		merged = true
	}
	iq.q = append(iq.q, in)
	return merged
}

// take returns the input for this tick (ok false when none is queued),
// how many were queued before it, and whether a standing input was merged
// away: after window ticks that each left one waiting.
func (iq *inputQueue) take(window int) (in game.Input, ok bool, queued int, trimmed bool) {
	queued = len(iq.q)
	if queued == 0 {
		iq.standing = 0
		return in, false, 0, false
	}
	if iq.standing >= window && queued >= 2 {
		iq.q = mergeOldest(iq.q, iq.buttons)
		iq.standing, trimmed = 0, true
	}
	in = iq.q[0]
	iq.q = append(iq.q[:0], iq.q[1:]...)
	if len(iq.q) > 0 {
		iq.standing++
	} else {
		iq.standing = 0
	}
	return in, true, queued, trimmed
}

func (iq *inputQueue) reset() {
	iq.q = iq.q[:0]
	iq.standing = 0
}

// mergeOldest folds q[0] into q[1], keeping the older input's buttons.
func mergeOldest(q []game.Input, buttons uint8) []game.Input {
	for b := buttons; b != 0; b &= b - 1 {
		i := bits.TrailingZeros8(b)
		q[1].V[i] |= q[0].V[i]
	}
	return append(q[:0], q[1:]...)
}
