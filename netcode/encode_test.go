package netcode

import (
	"bytes"
	"testing"

	"github.com/tickroom/tickroom/game"
)

// benchScene returns a 32-entity scene and the same scene a tick later with
// every other entity moved.
func benchScene() (base, cur []game.Entity) {
	for i := range 32 {
		e := game.Entity{ID: uint32(i + 1), Kind: game.KindPlayer, X: int32(i * 400), Y: int32(i * 300),
			VX: 960, Angle: uint16(i * 2000), HP: 100, Score: int32(i)}
		base = append(base, e)
		if i%2 == 0 {
			e.X += 48
			e.Y -= 12
			e.Angle += 300
		}
		cur = append(cur, e)
	}
	return base, cur
}

func TestAppendDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	base, cur := benchScene()
	w := &Welcome{RoomID: "r", TickRate: 20, ReconnectToken: "t", Map: game.Map{W: 10, H: 10, Walls: []game.Wall{{X: 1}}},
		Roster: []RosterEntry{{ID: 1, Name: "ada"}}}
	ev := []game.Event{{Seq: 1, Kind: game.EventChat, A: 1, Text: "hi"}}
	buf := make([]byte, 0, 4096)
	encoders := map[string]func(){
		"snapshot": func() { buf = AppendSnapshot(buf[:0], 9, 8, 1, base, cur) },
		"full":     func() { buf = AppendSnapshot(buf[:0], 9, 0, 1, nil, cur) },
		"input":    func() { buf = AppendInput(buf[:0], game.Input{Seq: 1e6, Aim: 300}) },
		"ping":     func() { buf = AppendPing(buf[:0], 1.5) },
		"chat":     func() { buf = AppendChat(buf[:0], "hello") },
		"leave":    func() { buf = AppendLeave(buf[:0]) },
		"welcome":  func() { buf = AppendWelcome(buf[:0], w) },
		"pong":     func() { buf = AppendPong(buf[:0], Pong{ClientTime: 1, Tick: 2, ServerTime: 3.5}) },
		"events":   func() { buf = AppendEvents(buf[:0], ev) },
		"error":    func() { buf = AppendError(buf[:0], Error{Code: 1, Message: "bad"}) },
	}
	for name, f := range encoders {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, n)
		}
	}
	input := AppendInput(nil, game.Input{Seq: 1e6, Move: 3, Aim: 300, Buttons: 1})
	var m ClientMessage
	if n := testing.AllocsPerRun(100, func() { _ = DecodeClient(input, &m) }); n != 0 {
		t.Errorf("DecodeClient(input): %v allocs per run, want 0", n)
	}
}

func TestAppendKeepsPrefix(t *testing.T) {
	prefix := []byte("prefix")
	got := AppendPong(append([]byte(nil), prefix...), Pong{Tick: 3})
	want := append(append([]byte(nil), prefix...), AppendPong(nil, Pong{Tick: 3})...)
	if !bytes.Equal(got, want) {
		t.Errorf("got %x, want %x", got, want)
	}
}

func BenchmarkAppendSnapshot(b *testing.B) {
	base, cur := benchScene()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendSnapshot(buf[:0], 9, 8, 1, base, cur)
	}
	b.ReportMetric(float64(len(buf)), "bytes/msg")
	full := AppendSnapshot(nil, 9, 0, 1, nil, cur)
	b.ReportMetric(float64(len(full)), "fullbytes/msg")
}

func BenchmarkDecodeClientInput(b *testing.B) {
	data := AppendInput(nil, game.Input{Seq: 1e6, Move: 3, Aim: 300, Buttons: 1})
	var m ClientMessage
	b.ReportAllocs()
	for b.Loop() {
		if err := DecodeClient(data, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeApplySnapshot(b *testing.B) {
	base, cur := benchScene()
	full := AppendSnapshot(nil, 8, 0, 1, nil, base)
	delta := AppendSnapshot(nil, 9, 8, 1, base, cur)
	var bl Baselines
	var m ServerMessage
	b.ReportAllocs()
	for b.Loop() {
		bl.Reset()
		for _, data := range [][]byte{full, delta} {
			if err := DecodeServer(data, &m); err != nil {
				b.Fatal(err)
			}
			if _, err := bl.Apply(&m.Snapshot); err != nil {
				b.Fatal(err)
			}
		}
	}
}
