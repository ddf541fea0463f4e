package netcode

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/tickroom/tickroom/game"
	"github.com/vmihailenco/msgpack/v5"
)

// kv is a MessagePack map in the order given (key, value, key, value …)
// and raw is bytes that go as they are, for hand-made frames.
type (
	kv  []any
	raw []byte
)

// mp encodes vs one after the other, integers in their smallest forms.
func mp(vs ...any) []byte {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	var put func(v any)
	put = func(v any) {
		switch v := v.(type) {
		case kv:
			_ = enc.EncodeMapLen(len(v) / 2)
			for i := 0; i+1 < len(v); i += 2 {
				put(v[i])
				put(v[i+1])
			}
		case []any:
			_ = enc.EncodeArrayLen(len(v))
			for _, x := range v {
				put(x)
			}
		case raw:
			buf.Write(v)
		case int:
			_ = enc.EncodeInt(int64(v))
		default:
			if err := enc.Encode(v); err != nil {
				panic(err)
			}
		}
	}
	for _, v := range vs {
		put(v)
	}
	return buf.Bytes()
}

// welcomeWith is a welcome frame around a hand-made schema.
func welcomeWith(schema any) []byte {
	return mp(raw{0x9e}, 10, 1, "r", 20, 10, 0, 0, "t", 0, 0, []any{}, "g", "", schema)
}

// okSchema is the smallest valid schema, as a kv to edit.
func okSchema(kinds ...any) kv {
	if kinds == nil {
		kinds = []any{kv{"id", 1, "name", "k", "fields", []any{kv{"name", "x", "type", "i32", "delta", "diff"}}}}
	}
	return kv{"game", "g", "kinds", kinds}
}

// rates is a welcome with the given tickRate and sendRate.
func rates(tick, send int) []byte {
	return mp(raw{0x9e}, 10, 1, "r", tick, send, 0, 0, "t", 0, 0, []any{}, "g", "", okSchema())
}

// unchanged is the changes of n entities listed with an empty mask.
func unchanged(n int) []any {
	out := make([]any, 0, 2*n)
	for range n {
		out = append(out, 1, 0)
	}
	return out
}

func repeat(n int, v any) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestDecodeClientRejects(t *testing.T) {
	long := strings.Repeat("é", MaxChatRunes+1)
	ac, zc := MustCodec(arenaSchema()), MustCodec(zooSchema())
	tests := []struct {
		name string
		zoo  bool
		data []byte
		want string // part of the error text
	}{
		{"empty", false, nil, "truncated"},
		{"not an array", false, []byte{0x01}, "want an array"},
		{"empty array", false, []byte{0x90}, "0 elements"},
		{"nil array", false, []byte{0xc0}, "want an array"},
		{"text frame-ish", false, []byte(`{"type":1,"seq":2}`), "want an array"},
		{"text frame array", false, []byte(`[1,2,3,4,5]`), "want an array"},
		{"truncated input", false, ac.AppendInput(nil, game.Input{Seq: 1})[:3], "truncated"},
		{"truncated uint16", false, []byte{0x95, 0x01, 0x01, 0x00, 0xcd, 0x40}, "input: aim: truncated"},
		{"trailing bytes", false, append(AppendLeave(nil), 0x00), "1 trailing bytes"},
		{"two messages", false, append(AppendLeave(nil), AppendLeave(nil)...), "trailing bytes"},
		{"unknown type", false, []byte{0x91, 0x05}, "unknown client message type 5"},
		{"server type", false, []byte{0x91, 0x0b}, "unknown client message type 11"},
		{"type not int", false, []byte{0x91, 0xa1, 0x31}, "type: want an integer"},
		{"negative type", false, []byte{0x91, 0xff}, "type: -1 out of range"},
		{"input short", false, []byte{0x94, 0x01, 0x01, 0x00, 0x00}, "input: 4 elements, want 5"},
		{"input long", false, []byte{0x96, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00}, "input: 6 elements, want 5"},
		{"arena input to zoo", true, ac.AppendInput(nil, game.Input{Seq: 1}), "input: 5 elements, want 6"},
		{"leave with arg", false, []byte{0x92, 0x04, 0x00}, "2 elements, want 1"},
		{"ping no time", false, []byte{0x91, 0x02}, "1 elements, want 2"},
		{"move 16", false, []byte{0x95, 0x01, 0x01, 0x10, 0x00, 0x00}, "input: move: 16 out of range 0..15"},
		{"aim 65536", false, []byte{0x95, 0x01, 0x01, 0x00, 0xce, 0x00, 0x01, 0x00, 0x00, 0x00}, "input: aim: 65536 out of range 0..65535"},
		{"aim 70000", false, []byte{0x95, 0x01, 0x01, 0x00, 0xce, 0x00, 0x01, 0x11, 0x70, 0x00}, "netcode: malformed message: input: aim: 70000 out of range 0..65535"},
		{"aim -1", false, []byte{0x95, 0x01, 0x01, 0x00, 0xff, 0x00}, "input: aim: -1 out of range 0..65535"},
		{"aim nil", false, []byte{0x95, 0x01, 0x01, 0x00, 0xc0, 0x00}, "input: aim: want an integer, got code 0xc0"},
		{"aim float", false, []byte{0x95, 0x01, 0x01, 0x00, 0xca, 0x3f, 0x80, 0, 0, 0x00}, "input: aim: want an integer"},
		{"aim string", false, []byte{0x95, 0x01, 0x01, 0x00, 0xa1, 0x31, 0x00}, "input: aim: want an integer"},
		{"aim uint64 max", false, []byte{0x95, 0x01, 0x01, 0x00, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}, "input: aim: 18446744073709551615 out of range 0..65535"},
		{"buttons 2", false, []byte{0x95, 0x01, 0x01, 0x00, 0x00, 0x02}, "input: buttons: 2 out of range 0..1"},
		{"buttons 256", false, []byte{0x95, 0x01, 0x01, 0x00, 0x00, 0xcd, 0x01, 0x00}, "input: buttons: 256 out of range 0..1"},
		{"throttle -101", true, []byte{0x96, 0x01, 0x01, 0xd0, 0x9b, 0x00, 0x00, 0x00}, "input: throttle: -101 out of range -100..100"},
		{"throttle 101", true, []byte{0x96, 0x01, 0x01, 0x65, 0x00, 0x00, 0x00}, "input: throttle: 101 out of range -100..100"},
		{"rudder -32769", true, []byte{0x96, 0x01, 0x01, 0x00, 0xd2, 0xff, 0xff, 0x7f, 0xff, 0x00, 0x00}, "input: rudder: -32769 out of range -32768..32767"},
		{"trigger 4", true, []byte{0x96, 0x01, 0x01, 0x00, 0x00, 0x04, 0x00}, "input: trigger: 4 out of range 0..3"},
		{"warp 2^31", true, []byte{0x96, 0x01, 0x01, 0x00, 0x00, 0x00, 0xce, 0x80, 0, 0, 0}, "input: warp: 2147483648 out of range -2147483648..2147483647"},
		{"warp -2^31-1", true, []byte{0x96, 0x01, 0x01, 0x00, 0x00, 0x00, 0xd3, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff}, "input: warp: -2147483649 out of range"},
		{"warp truncated", true, []byte{0x96, 0x01, 0x01, 0x00, 0x00, 0x00, 0xd2, 0x80}, "input: warp: truncated"},
		{"negative seq", false, []byte{0x95, 0x01, 0xff, 0x00, 0x00, 0x00}, "input: seq: -1 out of range"},
		{"seq over uint32", false, []byte{0x95, 0x01, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0, 0x00, 0x00, 0x00}, "seq: 4294967296 out of range"},
		{"seq uint64 max", false, []byte{0x95, 0x01, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00}, "out of range"},
		{"seq nil", false, []byte{0x95, 0x01, 0xc0, 0x00, 0x00, 0x00}, "seq: want an integer"},
		{"seq float", false, []byte{0x95, 0x01, 0xca, 0x3f, 0x80, 0, 0, 0x00, 0x00, 0x00}, "seq: want an integer"},
		{"ping NaN", false, AppendPing(nil, math.NaN()), "not a finite number"},
		{"ping +Inf", false, AppendPing(nil, math.Inf(1)), "not a finite number"},
		{"ping -Inf float32", false, []byte{0x92, 0x02, 0xca, 0xff, 0x80, 0, 0}, "not a finite number"},
		{"ping string", false, []byte{0x92, 0x02, 0xa1, 0x31}, "want a number"},
		{"ping nil", false, []byte{0x92, 0x02, 0xc0}, "want a number"},
		{"ping bool", false, []byte{0x92, 0x02, 0xc3}, "want a number"},
		{"chat long", false, AppendChat(nil, long), "chat: text longer than 200 runes"},
		{"chat empty", false, AppendChat(nil, ""), "text has nothing visible"},
		{"chat blank", false, AppendChat(nil, " \t\n "), "text has nothing visible"},
		{"chat invalid UTF-8", false, []byte{0x92, 0x03, 0xa2, 0xc3, 0x28}, "invalid UTF-8"},
		{"chat binary", false, []byte{0x92, 0x03, 0xc4, 0x02, 0x68, 0x69}, "want a string"},
		{"chat length past end", false, []byte{0x92, 0x03, 0xd9, 0x10, 0x68}, "text: truncated"},
		{"chat array count past end", false, []byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x03}, "elements, want 1..16"},
		{"frame too big", false, AppendChat(nil, strings.Repeat("a", MaxFrameBytes)), "larger than 4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ac
			if tt.zoo {
				c = zc
			}
			var m ClientMessage
			err := c.DecodeClient(tt.data, &m)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("DecodeClient(%x) = %v, want ErrMalformed", tt.data, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// wideInts is an arena input with every integer in a wider form than
// needed.
var wideInts = []byte{0x95, 0xd3, 0, 0, 0, 0, 0, 0, 0, 1, 0xcc, 9, 0xd0, 1, 0xce, 0, 0, 0x40, 0, 0xcd, 0, 1}

func TestDecodeClientAccepts(t *testing.T) {
	ac, zc := MustCodec(arenaSchema()), MustCodec(zooSchema())
	in := func(seq uint32, v ...int32) game.Input {
		i := game.Input{Seq: seq}
		copy(i.V[:], v)
		return i
	}
	tests := []struct {
		name string
		zoo  bool
		data []byte
		want ClientMessage
	}{
		{"wide ints", false, wideInts, ClientMessage{Type: MsgInput, Input: in(9, 1, 0x4000, 1)}},
		{"zoo extremes", true, zc.AppendInput(nil, in(3, -100, -32768, 3, math.MinInt32)), ClientMessage{Type: MsgInput, Input: in(3, -100, -32768, 3, math.MinInt32)}},
		{"zoo wide negatives", true, []byte{0x96, 0x01, 0x03, 0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x9c, 0xd1, 0x80, 0x00, 0xcf, 0, 0, 0, 0, 0, 0, 0, 3, 0xd2, 0x7f, 0xff, 0xff, 0xff},
			ClientMessage{Type: MsgInput, Input: in(3, -100, -32768, 3, math.MaxInt32)}},
		{"ping int", false, []byte{0x92, 0x02, 0x2a}, ClientMessage{Type: MsgPing, ClientTime: 42}},
		{"ping negative int", false, []byte{0x92, 0x02, 0xd0, 0x80}, ClientMessage{Type: MsgPing, ClientTime: -128}},
		{"ping float32", false, []byte{0x92, 0x02, 0xca, 0x3f, 0xc0, 0, 0}, ClientMessage{Type: MsgPing, ClientTime: 1.5}},
		{"ping uint64", false, []byte{0x92, 0x02, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, ClientMessage{Type: MsgPing, ClientTime: math.MaxUint64}},
		{"chat trimmed", false, AppendChat(nil, "  hi there\n"), ClientMessage{Type: MsgChat, Text: "hi there"}},
		{"chat 200 runes", false, AppendChat(nil, strings.Repeat("✓", MaxChatRunes)), ClientMessage{Type: MsgChat, Text: strings.Repeat("✓", MaxChatRunes)}},
		{"leave", false, AppendLeave(nil), ClientMessage{Type: MsgLeave}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ac
			if tt.zoo {
				c = zc
			}
			m := ClientMessage{Text: "stale", ClientTime: 9, Input: in(7, 7, 7, 7, 7, 7)}
			if err := c.DecodeClient(tt.data, &m); err != nil {
				t.Fatal(err)
			}
			if m != tt.want {
				t.Errorf("got %+v, want %+v", m, tt.want)
			}
		})
	}
}

func TestDecodeServerRejects(t *testing.T) {
	c := MustCodec(arenaSchema())
	delta := c.AppendSnapshot(nil, 9, 7, 4, 1, View{World: arenaTick7()}, View{World: arenaTick9()})
	field := func(f kv) []byte {
		return welcomeWith(okSchema(kv{"id", 1, "name", "k", "fields", []any{f}}))
	}
	nested := any(1)
	for range MaxWorldDepth + 1 {
		nested = []any{nested}
	}
	bigRoster := repeat(MaxRoster, []any{1, strings.Repeat("n", MaxTextBytes), 0})
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
		{"mask bit 15", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x92, 0x01, 0xcd, 0x80, 0x00, 0x90}, "mask: 32768 out of range 0..32767"},
		{"change cut short", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x93, 0x01, 0x00, 0x01, 0x90}, "cut short"},
		{"kind 0", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x93, 0x01, 0x01, 0x00, 0x90}, "entity 1: kind 0"},
		{"kind 256", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x93, 0x01, 0x01, 0xcd, 0x01, 0x00, 0x90}, "kind: 256 out of range 0..255"},
		{"field over uint32", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x93, 0x01, 0x02, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0, 0x90}, "field: 4294967296 out of range -2147483648..4294967295"},
		{"field under int32", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x93, 0x01, 0x02, 0xd3, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x90}, "field: -2147483649 out of range"},
		{"field nil", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x93, 0x01, 0x02, 0xc0, 0x90}, "field: want an integer"},
		{"id over uint32", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x90, 0x92, 0xce, 0xff, 0xff, 0xff, 0xff, 0x01}, "out of range"},
		{"removed gap 0", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x90, 0x92, 0x01, 0x00}, "id gap 0"},
		{"too many removed", []byte{0x96, 0x0b, 0x05, 0x00, 0x00, 0x90, 0xdd, 0x00, 0x00, 0x10, 0x01}, "4097 elements"},
		{"too many changes", mp(raw{0x96, 0x0b, 0x05, 0x00, 0x00}, unchanged(MaxEntities+1), []any{}), "more than 4096 entities"},
		{"tickRate 0", rates(0, 0), "tickRate: 0"},
		{"tickRate 256", rates(256, 1), "tickRate: 256 out of range 0..255"},
		{"sendRate 0", rates(20, 0), "sendRate: 0 does not divide tickRate 20"},
		{"sendRate not dividing tickRate", rates(20, 7), "sendRate: 7 does not divide tickRate 20"},
		{"sendRate above tickRate", rates(20, 40), "sendRate: 40 out of range 0..20"},
		{"v1 welcome", mp(raw{0x9b}, 10, 1, "r", 20, 0, 0, "t", 0, []any{0, 0, []any{}}, []any{}, 20), "welcome: 11 elements, want 14"},
		{"schema not a map", welcomeWith([]any{}), "schema: want a map"},
		{"schema nil", welcomeWith(nil), "schema: want a map"},
		{"no game", welcomeWith(kv{"kinds", okSchema()[3]}), "no game name"},
		{"no kinds", welcomeWith(kv{"game", "g"}), "0 entity kinds, want 1..32"},
		{"key twice", welcomeWith(kv{"game", "g", "game", "h"}), `schema: key "game" twice`},
		{"key not a string", welcomeWith(kv{1, "g"}), "schema key: want a string"},
		{"too many kinds", welcomeWith(okSchema(repeat(game.MaxKinds+1, kv{})...)), "kinds: 33 elements, want 0..32"},
		{"kind id 0", welcomeWith(okSchema(kv{"name", "k"})), "id 0"},
		{"kind id 256", welcomeWith(okSchema(kv{"id", 256})), "kind id: 256 out of range 0..255"},
		{"kinds repeat", welcomeWith(okSchema(kv{"id", 1, "name", "k"}, kv{"id", 1, "name", "j"})), "repeated"},
		{"too many fields", welcomeWith(okSchema(kv{"id", 1, "name", "k", "fields", repeat(game.MaxFields+1, kv{})})), "fields: 15 elements, want 0..14"},
		{"field without name", field(kv{"type", "i32", "delta", "diff"}), `field "": empty or repeated name`},
		{"field without type", field(kv{"name", "x", "delta", "diff"}), "field x: unknown type 0"},
		{"unknown type", field(kv{"name", "x", "type", "f32", "delta", "diff"}), `field x: unknown type "f32"`},
		{"unknown delta", field(kv{"name", "x", "type", "i32", "delta", "xor"}), `field x: unknown delta "xor"`},
		{"age not u32", field(kv{"name", "x", "type", "i32", "delta", "age"}), "an age field holds a tick, so it is u32"},
		{"scale NaN", field(kv{"name", "x", "type", "i32", "delta", "diff", "scale", math.NaN()}), "field scale: NaN is not a finite number"},
		{"scale negative", field(kv{"name", "x", "type", "i32", "delta", "diff", "scale", -8}), "negative scale"},
		{"scale string", field(kv{"name", "x", "type", "i32", "delta", "diff", "scale", "8"}), "field scale: want a number"},
		{"interp not a bool", field(kv{"name", "x", "type", "i32", "delta", "diff", "interp", 1}), "field interp: want a boolean"},
		{"private nil", field(kv{"name", "x", "type", "i32", "delta", "diff", "private", nil}), "field private: want a boolean"},
		{"field name too long", field(kv{"name", strings.Repeat("x", MaxTextBytes+1)}), "field name: 1025 bytes, longer than 1024"},
		{"too many input fields", welcomeWith(append(okSchema(), "input", repeat(game.MaxInputFields+1, kv{}))), "input: 9 elements, want 0..8"},
		{"input min above max", welcomeWith(append(okSchema(), "input", []any{kv{"name", "a", "min", 1, "max", -1}})), "input field a: min 1 above max -1"},
		{"input min beyond int32", welcomeWith(append(okSchema(), "input", []any{kv{"name", "a", "min", int64(math.MinInt32) - 1}})), "input min: -2147483649 out of range"},
		{"input repeated", welcomeWith(append(okSchema(), "input", []any{kv{"name", "a"}, kv{"name", "a"}})), "empty or repeated name"},
		{"event kind of the room", welcomeWith(append(okSchema(), "events", []any{kv{"kind", 4, "name", "x"}})), "below 16"},
		{"event unnamed", welcomeWith(append(okSchema(), "events", []any{kv{"kind", 16}})), "unnamed"},
		{"too many events", welcomeWith(append(okSchema(), "events", repeat(game.MaxEventKinds+1, kv{}))), "events: 65 elements, want 0..64"},
		{"world not a map", welcomeWith(append(okSchema(), "world", []any{})), "schema world: want a map"},
		{"world too deep", welcomeWith(append(okSchema(), "world", kv{"a", nested})), "world: nested deeper than 16"},
		{"world too many values", welcomeWith(append(okSchema(), "world", kv{"a", repeat(MaxWorldValues, nil)})), "world: more than 65536 values"},
		{"world NaN", welcomeWith(append(okSchema(), "world", kv{"a", math.NaN()})), "world value: NaN is not a finite number"},
		{"world infinity float32", welcomeWith(append(okSchema(), "world", kv{"a", raw{0xca, 0x7f, 0x80, 0, 0}})), "not a finite number"},
		{"world bin", welcomeWith(append(okSchema(), "world", kv{"a", []byte{1}})), "world value: code 0xc4 is not a value the world may hold"},
		{"world ext", welcomeWith(append(okSchema(), "world", kv{"a", raw{0xd4, 0x01, 0x00}})), "code 0xd4 is not a value"},
		{"world key not a string", welcomeWith(append(okSchema(), "world", kv{"a", kv{1, 2}})), "world map key: want a string"},
		{"world key twice", welcomeWith(append(okSchema(), "world", kv{"a", 1, "a", 2})), `world map: key "a" twice`},
		{"world string too long", welcomeWith(append(okSchema(), "world", kv{"a", strings.Repeat("x", MaxTextBytes+1)})), "world value: 1025 bytes, longer than 1024"},
		{"world invalid UTF-8", welcomeWith(append(okSchema(), "world", kv{"a", raw{0xa1, 0xff}})), "invalid UTF-8"},
		{"world map count past end", welcomeWith(append(okSchema(), "world", raw{0xdf, 0x7f, 0xff, 0xff, 0xff})), "entries in"},
		{"world array count past end", welcomeWith(append(okSchema(), "world", kv{"a", raw{0xdd, 0x00, 0x01, 0x00, 0x00}})), "world array: 65536 elements in"},
		{"unknown key too deep", welcomeWith(append(okSchema(), "later", nested)), "nested deeper than 16"},
		{"welcome over MaxWelcomeBytes", mp(raw{0x9e}, 10, 1, "r", 20, 10, 0, 0, "t", 0, 0, bigRoster, "g", "", okSchema()), "welcome: 263762 bytes, larger than 262144"},
		{"too many events", []byte{0x92, 0x0d, 0xdc, 0x01, 0x01}, "257 elements"},
		{"event short", []byte{0x92, 0x0d, 0x91, 0x94, 0x01, 0x01, 0x01, 0x01}, "4 elements, want 5..5"},
		{"event text nil", []byte{0x92, 0x0d, 0x91, 0x95, 0x01, 0x01, 0x01, 0x01, 0xc0}, "text: want a string"},
		{"event kind 256", []byte{0x92, 0x0d, 0x91, 0x95, 0x01, 0xcd, 0x01, 0x00, 0x01, 0x01, 0xa0}, "kind: 256 out of range"},
		{"error text too long", AppendError(nil, Error{Code: 1, Message: strings.Repeat("x", MaxTextBytes+1)}), "longer than 1024"},
		{"pong NaN", AppendPong(nil, Pong{ServerTime: math.NaN()}), "serverTime: NaN is not a finite number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m ServerMessage
			err := DecodeServer(tt.data, &m)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("DecodeServer(%.200x) = %v, want ErrMalformed", tt.data, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestSchemaDecodeTolerates: a client reads a schema whatever the order of
// its keys, fills in the defaults of keys left out, and skips keys it
// does not know at every level, so a later server may add some.
func TestSchemaDecodeTolerates(t *testing.T) {
	later := kv{"v", []any{1, "two", 3.5, nil, true}}
	plain := welcomeWith(kv{
		"game", "g",
		"kinds", []any{kv{"id", 3, "name", "k", "fields", []any{
			kv{"name", "x", "type", "i16", "delta", "diff"},
			kv{"name", "t", "type", "u32", "delta", "age", "scale", 1, "unit", "", "interp", false, "private", false},
		}}},
		"input", []any{kv{"name", "a", "min", -5, "max", 5}},
		"events", []any{kv{"kind", 16, "name", "e"}},
		"world", kv{},
	})
	extended := welcomeWith(kv{
		"world", kv{},
		"later", later,
		"events", []any{kv{"name", "e", "later", later, "kind", 16}},
		"input", []any{kv{"max", 5, "later", later, "min", -5, "name", "a"}},
		"kinds", []any{kv{"fields", []any{
			kv{"delta", "diff", "later", later, "type", "i16", "name", "x"},
			kv{"name", "t", "type", "u32", "delta", "age"},
		}, "later", later, "name", "k", "id", 3}},
		"game", "g",
	})
	var a, b ServerMessage
	if err := DecodeServer(plain, &a); err != nil {
		t.Fatal(err)
	}
	if err := DecodeServer(extended, &b); err != nil {
		t.Fatal(err)
	}
	want := &game.Schema{Game: "g",
		Kinds: []game.Kind{{ID: 3, Name: "k", Fields: []game.Field{
			{Name: "x", Type: game.Int16, Delta: game.Diff}, {Name: "t", Type: game.Uint32, Delta: game.Age, Scale: 1}}}},
		Input:  []game.InputField{{Name: "a", Min: -5, Max: 5}},
		Events: []game.EventDef{{Kind: 16, Name: "e"}},
		World:  nil, // an empty world is none: the server writes none as {}
	}
	if !reflect.DeepEqual(a.Welcome.Schema, want) {
		t.Errorf("plain: %+v\nwant %+v", a.Welcome.Schema, want)
	}
	want.Kinds[0].Fields[1].Scale = 0 // left out: the default
	if !reflect.DeepEqual(b.Welcome.Schema, want) {
		t.Errorf("extended: %+v\nwant %+v", b.Welcome.Schema, want)
	}
	// Only game and kinds are required; a schema without world has none.
	var m ServerMessage
	if err := DecodeServer(welcomeWith(okSchema()), &m); err != nil || m.Welcome.Schema.World != nil ||
		m.Welcome.Schema.Input != nil || m.Welcome.Schema.Events != nil {
		t.Errorf("minimal schema: %v %+v", err, m.Welcome.Schema)
	}
}

func TestDecodeServerReusesSlices(t *testing.T) {
	c := MustCodec(arenaSchema())
	var m ServerMessage
	full := c.AppendSnapshot(nil, 7, 0, 3, 1, View{}, View{World: arenaTick7()})
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
