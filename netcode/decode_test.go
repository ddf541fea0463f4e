package netcode

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tickroom/tickroom/game"
)

func TestDecodeClientRejects(t *testing.T) {
	long := strings.Repeat("é", MaxChatRunes+1)
	tests := []struct {
		name string
		data []byte
		want string // part of the error text
	}{
		{"empty", nil, "truncated"},
		{"not an array", []byte{0x01}, "want an array"},
		{"empty array", []byte{0x90}, "0 elements"},
		{"nil array", []byte{0xc0}, "want an array"},
		{"text frame-ish", []byte(`{"type":1,"seq":2}`), "want an array"},
		{"text frame array", []byte(`[1,2,3,4,5]`), "want an array"},
		{"truncated input", AppendInput(nil, game.Input{Seq: 1})[:3], "truncated"},
		{"truncated uint16", []byte{0x95, 0x01, 0x01, 0x00, 0xcd, 0x40}, "aim: truncated"},
		{"trailing bytes", append(AppendLeave(nil), 0x00), "1 trailing bytes"},
		{"two messages", append(AppendLeave(nil), AppendLeave(nil)...), "trailing bytes"},
		{"unknown type", []byte{0x91, 0x05}, "unknown client message type 5"},
		{"server type", []byte{0x91, 0x0b}, "unknown client message type 11"},
		{"type not int", []byte{0x91, 0xa1, 0x31}, "type: want an integer"},
		{"negative type", []byte{0x91, 0xff}, "type: -1 out of range"},
		{"input short", []byte{0x94, 0x01, 0x01, 0x00, 0x00}, "4 elements, want 5"},
		{"input long", []byte{0x96, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00}, "6 elements, want 5"},
		{"leave with arg", []byte{0x92, 0x04, 0x00}, "2 elements, want 1"},
		{"ping no time", []byte{0x91, 0x02}, "1 elements, want 2"},
		{"move 16", []byte{0x95, 0x01, 0x01, 0x10, 0x00, 0x00}, "move: 16 out of range 0..15"},
		{"aim 65536", []byte{0x95, 0x01, 0x01, 0x00, 0xce, 0x00, 0x01, 0x00, 0x00, 0x00}, "aim: 65536 out of range"},
		{"buttons 256", []byte{0x95, 0x01, 0x01, 0x00, 0x00, 0xcd, 0x01, 0x00}, "buttons: 256 out of range"},
		{"negative seq", []byte{0x95, 0x01, 0xff, 0x00, 0x00, 0x00}, "seq: -1 out of range"},
		{"seq over uint32", []byte{0x95, 0x01, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0, 0x00, 0x00, 0x00}, "seq: 4294967296 out of range"},
		{"seq uint64 max", []byte{0x95, 0x01, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00}, "out of range"},
		{"seq nil", []byte{0x95, 0x01, 0xc0, 0x00, 0x00, 0x00}, "seq: want an integer"},
		{"seq float", []byte{0x95, 0x01, 0xca, 0x3f, 0x80, 0, 0, 0x00, 0x00, 0x00}, "seq: want an integer"},
		{"ping NaN", AppendPing(nil, math.NaN()), "not a finite number"},
		{"ping +Inf", AppendPing(nil, math.Inf(1)), "not a finite number"},
		{"ping -Inf float32", []byte{0x92, 0x02, 0xca, 0xff, 0x80, 0, 0}, "not a finite number"},
		{"ping string", []byte{0x92, 0x02, 0xa1, 0x31}, "want a number"},
		{"ping nil", []byte{0x92, 0x02, 0xc0}, "want a number"},
		{"ping bool", []byte{0x92, 0x02, 0xc3}, "want a number"},
		{"chat long", AppendChat(nil, long), "chat: text longer than 200 runes"},
		{"chat empty", AppendChat(nil, ""), "chat: text has nothing visible"},
		{"chat blank", AppendChat(nil, " \t\n "), "chat: text has nothing visible"},
		{"chat escapes and bidi only", AppendChat(nil, "\x1b[2J\u202e\u200b"), "chat: text has nothing visible"},
		{"chat controls only", AppendChat(nil, "\x00\x07"), "chat: text has nothing visible"},
		{"chat long after cleaning", AppendChat(nil, "\x1b[1m"+long), "chat: text longer than 200 runes"},
		{"chat invalid UTF-8", []byte{0x92, 0x03, 0xa2, 0xc3, 0x28}, "invalid UTF-8"},
		{"chat binary", []byte{0x92, 0x03, 0xc4, 0x02, 0x68, 0x69}, "want a string"},
		{"chat length past end", []byte{0x92, 0x03, 0xd9, 0x10, 0x68}, "text: truncated"},
		{"chat array count past end", []byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x03}, "elements, want 1..16"},
		{"frame too big", AppendChat(nil, strings.Repeat("a", MaxFrameBytes)), "larger than 4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m ClientMessage
			err := DecodeClient(tt.data, &m)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("DecodeClient(%x) = %v, want ErrMalformed", tt.data, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// wideInts is an input with every integer in a wider form than needed.
var wideInts = []byte{0x95, 0xd3, 0, 0, 0, 0, 0, 0, 0, 1, 0xcc, 9, 0xd0, 1, 0xce, 0, 0, 0x40, 0, 0xcd, 0, 1}

func TestDecodeClientAccepts(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want ClientMessage
	}{
		{"wide ints", wideInts, ClientMessage{Type: MsgInput, Input: game.Input{Seq: 9, Move: 1, Aim: 0x4000, Buttons: 1}}},
		{"ping int", []byte{0x92, 0x02, 0x2a}, ClientMessage{Type: MsgPing, ClientTime: 42}},
		{"ping negative int", []byte{0x92, 0x02, 0xd0, 0x80}, ClientMessage{Type: MsgPing, ClientTime: -128}},
		{"ping float32", []byte{0x92, 0x02, 0xca, 0x3f, 0xc0, 0, 0}, ClientMessage{Type: MsgPing, ClientTime: 1.5}},
		{"ping uint64", []byte{0x92, 0x02, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, ClientMessage{Type: MsgPing, ClientTime: math.MaxUint64}},
		{"chat trimmed", AppendChat(nil, "  hi there\n"), ClientMessage{Type: MsgChat, Text: "hi there"}},
		{"chat 200 runes", AppendChat(nil, strings.Repeat("✓", MaxChatRunes)), ClientMessage{Type: MsgChat, Text: strings.Repeat("✓", MaxChatRunes)}},
		{"chat 200 runes after cleaning", AppendChat(nil, "\x1b[1m"+strings.Repeat("✓", MaxChatRunes)+"\x1b[0m"), ClientMessage{Type: MsgChat, Text: strings.Repeat("✓", MaxChatRunes)}},
		{"chat cleaned", AppendChat(nil, "\x1b[31mred\x1b[0m\x00 \u202eevil"), ClientMessage{Type: MsgChat, Text: "red evil"}},
		{"leave", AppendLeave(nil), ClientMessage{Type: MsgLeave}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ClientMessage{Text: "stale", ClientTime: 9}
			if err := DecodeClient(tt.data, &m); err != nil {
				t.Fatal(err)
			}
			if m != tt.want {
				t.Errorf("got %+v, want %+v", m, tt.want)
			}
		})
	}
}

func TestDecodeServerRejects(t *testing.T) {
	delta := AppendSnapshot(nil, 9, 7, 4, sceneA(), sceneB())
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"client type", AppendLeave(nil), "unknown server message type 4"},
		{"truncated snapshot", delta[:len(delta)-1], "truncated"},
		{"trailing", append(AppendPong(nil, Pong{}), 0xc0), "trailing"},
		{"baseline at tick 0", []byte{0x96, 0x0b, 0x05, 0x05, 0x00, 0x90, 0x90}, "baseAge 5: baseline not after tick 0"},
		{"baseline before tick 0", []byte{0x96, 0x0b, 0x05, 0x06, 0x00, 0x90, 0x90}, "baseAge 6"},
		{"second id gap 0", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x94, 0x01, 0x00, 0x00, 0x00, 0x90}, "id gap 0 after id 1"},
		{"mask needs more values", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x93, 0x01, 0x03, 0x01, 0x90}, "needs more values"},
		{"mask bit 11", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x92, 0x01, 0xcd, 0x08, 0x00, 0x90}, "mask: 2048 out of range"},
		{"change cut short", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x93, 0x01, 0x00, 0x01, 0x90}, "cut short"},
		{"x over uint32", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x93, 0x01, 0x02, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0, 0x90}, "x: 4294967296 out of range"},
		{"x negative", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x93, 0x01, 0x02, 0xff, 0x90}, "x: -1 out of range"},
		{"id over uint32", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x90, 0x92, 0xce, 0xff, 0xff, 0xff, 0xff, 0x01}, "out of range"},
		{"removed gap 0", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x90, 0x92, 0x01, 0x00}, "id gap 0"},
		{"too many removed", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x90, 0xdd, 0x00, 0x00, 0x10, 0x01}, "4097 elements"},
		{"walls not multiple of 4", []byte{0x9c, 0x0a, 0x01, 0xa0, 0x14, 0x00, 0x00, 0xa0, 0x00, 0x93, 0x00, 0x00, 0x93, 0x01, 0x02, 0x03, 0x90, 0x14, 0x00}, "not a multiple of 4"},
		{"tickRate 0", []byte{0x9c, 0x0a, 0x01, 0xa0, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "tickRate: 0"},
		{"sendRate not dividing tickRate", []byte{0x9c, 0x0a, 0x01, 0xa0, 0x14, 0x00, 0x00, 0xa0, 0x00, 0x93, 0x00, 0x00, 0x90, 0x90, 0x07, 0x00}, "sendRate: 7"},
		{"lastInputSeq over uint32", []byte{0x9c, 0x0a, 0x01, 0xa0, 0x14, 0x00, 0x00, 0xa0, 0x00, 0x93, 0x00, 0x00, 0x90, 0x90, 0x14, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0}, "lastInputSeq: 4294967296 out of range"},
		{"old 10-element welcome", []byte{0x9a, 0x0a, 0x01, 0xa0, 0x14, 0x00, 0x00, 0xa0, 0x00, 0x93, 0x00, 0x00, 0x90, 0x90}, "want 12"},
		{"old 11-element welcome", []byte{0x9b, 0x0a, 0x01, 0xa0, 0x14, 0x00, 0x00, 0xa0, 0x00, 0x93, 0x00, 0x00, 0x90, 0x90, 0x14}, "want 12"},
		{"too many events", []byte{0x92, 0x0d, 0xdc, 0x01, 0x01}, "257 elements"},
		{"event short", []byte{0x92, 0x0d, 0x91, 0x94, 0x01, 0x01, 0x01, 0x01}, "4 elements, want 5..5"},
		{"event text nil", []byte{0x92, 0x0d, 0x91, 0x95, 0x01, 0x01, 0x01, 0x01, 0xc0}, "text: want a string"},
		{"error text too long", AppendError(nil, Error{Code: 1, Message: strings.Repeat("x", MaxTextBytes+1)}), "longer than 1024"},
		{"pong NaN", AppendPong(nil, Pong{ServerTime: math.NaN()}), "serverTime: NaN is not a finite number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m ServerMessage
			err := DecodeServer(tt.data, &m)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("DecodeServer(%x) = %v, want ErrMalformed", tt.data, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestDecodeServerReusesSlices(t *testing.T) {
	var m ServerMessage
	full := AppendSnapshot(nil, 7, 0, 3, nil, sceneA())
	if err := DecodeServer(full, &m); err != nil {
		t.Fatal(err)
	}
	changes := &m.Snapshot.Changes[0]
	if err := DecodeServer(AppendPong(nil, Pong{Tick: 1}), &m); err != nil {
		t.Fatal(err)
	}
	if m.Type != MsgPong || len(m.Snapshot.Changes) != 0 || m.Pong.Tick != 1 {
		t.Fatalf("after pong: %+v", m)
	}
	if err := DecodeServer(full, &m); err != nil {
		t.Fatal(err)
	}
	if &m.Snapshot.Changes[0] != changes {
		t.Error("snapshot changes were reallocated")
	}
}
