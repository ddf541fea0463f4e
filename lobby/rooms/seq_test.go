package rooms

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/netcode"
)

// TestInputSeqAcrossResume: input numbering goes on across a reconnect:
// the welcome says the last seq accepted for the seat, the next one is
// after it, and snapshots acknowledge in the same numbering. An input
// whose seq is not after the last accepted, or more than MaxInputSeqGap
// ahead, closes the client 1008 naming the seq, after an Error message,
// and frees its seat.
func TestInputSeqAcrossResume(t *testing.T) {
	const last = 5 // inputs sent before the drop
	tests := []struct {
		name string
		seq  uint32
		ok   bool
	}{
		{"next", last + 1, true},
		{"as far ahead as allowed", last + netcode.MaxInputSeqGap, true},
		{"replayed", last, false},
		{"restarted from 1", 1, false},
		{"one too far ahead", last + netcode.MaxInputSeqGap + 1, false},
		{"5000 ahead", last + 5000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, Options{ReconnectGrace: time.Minute})
				r, clk := h.create(Config{TickRate: 30, MaxPlayers: 2, Seed: seedFor(30, 3*time.Millisecond)})
				a := newMemConn(0)
				id := h.join(r, "a", a)
				w := a.Welcome(t)
				if w.LastInputSeq != 0 {
					t.Fatalf("first welcome: last input seq %d, want 0", w.LastInputSeq)
				}
				for k := uint32(1); k <= last; k++ {
					a.Input(t, arenaIn(k, arena.MoveUp, 0, 0))
					advanceTo(t, clk.at(k))
				}
				a.Drop()
				advanceTo(t, clk.at(last+1))
				a2 := newMemConn(0)
				if _, err := h.reconnect(r, w.ReconnectToken, a2, 0); err != nil {
					t.Fatal(err)
				}
				w2 := a2.Welcome(t)
				if w2.LastInputSeq != last {
					t.Fatalf("welcome after the resume: last input seq %d, want %d", w2.LastInputSeq, last)
				}
				advanceTo(t, clk.at(last+2))
				if s := a2.Snapshots(t); s[len(s)-1].AckSeq != last {
					t.Fatalf("first snapshot after the resume acknowledges %d, want %d", s[len(s)-1].AckSeq, last)
				}

				a2.Input(t, arenaIn(tt.seq, arena.MoveDown, 0, 0))
				advanceTo(t, clk.at(last+3))
				closed, code, reason := a2.Closed()
				if tt.ok {
					if closed {
						t.Fatalf("seq %d refused: %d %q", tt.seq, code, reason)
					}
					if s := a2.Snapshots(t); s[len(s)-1].AckSeq != tt.seq {
						t.Fatalf("snapshot acknowledges %d, want %d", s[len(s)-1].AckSeq, tt.seq)
					}
					return
				}
				a2.CheckClosedWith(t, netcode.ClosePolicyViolation, netcode.CodeBadMessage)
				if want := fmt.Sprintf("input seq %d ", tt.seq); !strings.HasPrefix(reason, want) {
					t.Fatalf("closed with %q, want it to name the seq (%q)", reason, want)
				}
				if msgs := a2.Messages(t); msgs[len(msgs)-1].Error.Message != reason {
					t.Fatalf("Error message %q, close reason %q", msgs[len(msgs)-1].Error.Message, reason)
				}
				if st := rosterState(r, id); st != "" {
					t.Fatalf("refused player is %q, want its seat freed", st)
				}
				if _, err := h.reconnect(r, w2.ReconnectToken, newMemConn(0), 0); !errors.Is(err, ErrNoSeat) {
					t.Fatalf("refused player's reconnect: %v, want ErrNoSeat", err)
				}
			})
		})
	}
}
