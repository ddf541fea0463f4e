package rooms

import (
	"testing"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
)

func TestEventLog(t *testing.T) {
	var l eventLog
	for i := 1; i <= eventLogLen+100; i++ {
		kind := arena.EventHit
		if i%10 == 0 {
			kind = game.EventChat
		}
		if seq := l.add(game.Event{Kind: kind, A: uint32(i)}); seq != uint32(i) {
			t.Fatalf("event %d got seq %d", i, seq)
		}
	}
	if len(l.ring) != eventLogLen || len(l.chats) != chatHistoryLen {
		t.Fatalf("log grew to %d events and %d chats", len(l.ring), len(l.chats))
	}
	tests := []struct {
		since      uint32
		first, num uint32
	}{
		{l.seq, 0, 0},                               // up to date
		{l.seq - 3, l.seq - 2, 3},                   // a few missed
		{0, l.seq - eventLogLen + 1, eventLogLen},   // too far behind: what is kept
		{100, l.seq - eventLogLen + 1, eventLogLen}, // older than the log
		{l.seq - eventLogLen, l.seq - eventLogLen + 1, eventLogLen},
	}
	for _, tt := range tests {
		got := l.since(tt.since)
		if uint32(len(got)) != tt.num {
			t.Fatalf("since(%d): %d events, want %d", tt.since, len(got), tt.num)
		}
		for i, e := range got {
			if e.Seq != tt.first+uint32(i) || e.A != e.Seq {
				t.Fatalf("since(%d)[%d] = seq %d (A %d), want %d", tt.since, i, e.Seq, e.A, tt.first+uint32(i))
			}
		}
	}
	h := l.chatHistory()
	if len(h) != chatHistoryLen || h[len(h)-1].Seq != l.seq-l.seq%10 || h[0].Seq >= h[1].Seq {
		t.Fatalf("chat history: %d messages, last seq %d", len(h), h[len(h)-1].Seq)
	}
}
