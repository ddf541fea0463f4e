package rooms

import (
	"slices"
	"testing"

	"github.com/tickroom/tickroom/game/arena"
)

// TestInputQueue plays arrivals tick by tick: arrive[t] inputs come in
// (seq counting up from 1, each firing when seq is a multiple of 5), then
// the tick takes one.
func TestInputQueue(t *testing.T) {
	const window = 4
	tests := []struct {
		name    string
		arrive  []int
		applied []uint32 // seq applied each tick (0: none queued)
		trimmed []int    // ticks at which a standing input was merged away
	}{
		{
			name:    "on time",
			arrive:  []int{1, 1, 1, 1, 1, 1, 1},
			applied: []uint32{1, 2, 3, 4, 5, 6, 7},
		},
		{
			// Two in one tick, none in the next: the queue drains, so
			// the second waits one tick but nothing is trimmed.
			name:    "jitter",
			arrive:  []int{2, 0, 2, 0, 2, 0, 2, 0, 2, 0},
			applied: []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
		},
		{
			// One burst, then the tick rate: one input stands. After
			// window ticks that each left it, seq 5 (which fires) is
			// merged into 6, and inputs stop waiting.
			name:    "standing input",
			arrive:  []int{2, 1, 1, 1, 1, 1, 1, 1},
			applied: []uint32{1, 2, 3, 4, 6, 7, 8, 9},
			trimmed: []int{4},
		},
		{
			name:    "silence",
			arrive:  []int{1, 0, 0, 1},
			applied: []uint32{1, 0, 0, 2},
		},
		{
			// A burst past the cap: the oldest queued merge as each new
			// one arrives; then the standing backlog drains by trims.
			name:    "flood",
			arrive:  []int{5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
			applied: []uint32{3, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15, 16, 17},
			trimmed: []int{4, 8},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iq := inputQueue{buttons: buttonFields(arena.New(arena.Config{}).Schema())}
			var seq uint32
			var applied []uint32
			var trimmed []int
			fired := map[uint32]bool{} // seq → its buttons reached the game
			for tick, n := range tt.arrive {
				for range n {
					seq++
					iq.push(arena.Input{Seq: seq, Buttons: fireIf(seq%5 == 0)}.Wire())
				}
				in, ok, queued, trim := iq.take(window)
				if queued != len(iq.q)+b2i(ok)+b2i(trim) {
					t.Fatalf("tick %d: queued %d, %d left", tick, queued, len(iq.q))
				}
				if trim {
					trimmed = append(trimmed, tick)
				}
				if !ok {
					applied = append(applied, 0)
					continue
				}
				applied = append(applied, in.Seq)
				if arena.InputOf(in).Buttons&arena.ButtonFire != 0 {
					fired[in.Seq] = true
				}
			}
			if !slices.Equal(applied, tt.applied) {
				t.Errorf("applied %v, want %v", applied, tt.applied)
			}
			if !slices.Equal(trimmed, tt.trimmed) {
				t.Errorf("trimmed at ticks %v, want %v", trimmed, tt.trimmed)
			}
			// No shot is lost: every firing input's buttons reached the
			// game, on itself or on the input it was merged into.
			shots := 0
			for s := uint32(5); s <= seq-uint32(len(iq.q)); s += 5 {
				shots++
			}
			if len(fired) != shots {
				t.Errorf("%d shots reached the game, want %d", len(fired), shots)
			}
		})
	}
}

func fireIf(b bool) uint8 {
	if b {
		return arena.ButtonFire
	}
	return 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
