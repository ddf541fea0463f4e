package netcode

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tickroom/tickroom/game"
)

// addSeeds adds the golden vectors of one direction, each also truncated
// and with a trailing byte, and a few oversized frames.
func addSeeds(f *testing.F, direction string) {
	for _, v := range loadVectors(f) {
		if v.Direction != direction {
			continue
		}
		data, err := hex.DecodeString(v.Hex)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
		f.Add(data[:len(data)-1])
		f.Add(append(slices.Clone(data), 0xc0))
	}
	f.Add([]byte{})
	f.Add([]byte{0xdd, 0xff, 0xff, 0xff, 0xff})                   // array32 of 4G elements
	f.Add([]byte{0x92, 0x03, 0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61}) // str32 of 2G bytes
	f.Add(AppendChat(nil, strings.Repeat("a", MaxFrameBytes+1)))
	f.Add([]byte{0x96, 0x0b, 0x02, 0x01, 0x00, 0xdd, 0x00, 0x01, 0x00, 0x00, 0x90}) // 65536 changes announced
}

func FuzzDecodeClient(f *testing.F) {
	addSeeds(f, "client")
	f.Fuzz(func(t *testing.T, data []byte) {
		var m ClientMessage
		if err := DecodeClient(data, &m); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		again := encodeClient(&m)
		var m2 ClientMessage
		if err := DecodeClient(again, &m2); err != nil {
			t.Fatalf("re-encoded %+v as %x: %v", m, again, err)
		}
		if m2 != m {
			t.Fatalf("round trip: %+v became %+v", m, m2)
		}
		if !bytes.Equal(encodeClient(&m2), again) {
			t.Fatalf("encoding of %+v is not stable", m)
		}
	})
}

func encodeClient(m *ClientMessage) []byte {
	switch m.Type {
	case MsgInput:
		return AppendInput(nil, m.Input)
	case MsgPing:
		return AppendPing(nil, m.ClientTime)
	case MsgChat:
		return AppendChat(nil, m.Text)
	}
	return AppendLeave(nil)
}

func FuzzDecodeServer(f *testing.F) {
	addSeeds(f, "server")
	f.Fuzz(func(t *testing.T, data []byte) {
		var m ServerMessage
		if err := DecodeServer(data, &m); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		again := encodeServer(&m)
		var m2 ServerMessage
		if err := DecodeServer(again, &m2); err != nil {
			t.Fatalf("re-encoded as %x: %v", again, err)
		}
		if !reflect.DeepEqual(serverJSON(&m), serverJSON(&m2)) {
			t.Fatalf("round trip:\n %+v\n became %+v", serverJSON(&m), serverJSON(&m2))
		}
		if !bytes.Equal(encodeServer(&m2), again) {
			t.Fatal("encoding is not stable")
		}
	})
}

func encodeServer(m *ServerMessage) []byte {
	switch m.Type {
	case MsgWelcome:
		return AppendWelcome(nil, &m.Welcome)
	case MsgSnapshot:
		return appendSnapshotMsg(nil, &m.Snapshot)
	case MsgPong:
		return AppendPong(nil, m.Pong)
	case MsgEvents:
		return AppendEvents(nil, m.Events)
	}
	return AppendError(nil, m.Error)
}

// FuzzBaselinesApply applies two snapshot frames in a row. Whatever state
// Apply accepts must be sorted, within limits, and reproducible: encoding it
// against the same baseline with AppendSnapshot and applying that gives the
// same state.
func FuzzBaselinesApply(f *testing.F) {
	full := AppendSnapshot(nil, 7, 0, 3, nil, sceneA())
	delta := AppendSnapshot(nil, 9, 7, 4, sceneA(), sceneB())
	f.Add(full, delta)
	f.Add(delta, full)
	f.Add(full, AppendSnapshot(nil, 8, 7, 4, sceneA(), nil))
	f.Add(full, delta[:len(delta)-2])
	f.Add(AppendSnapshot(nil, 1, 0, 0, nil, []game.Entity{{ID: 0}, {ID: 4294967295}}), AppendSnapshot(nil, 2, 1, 0, nil, nil))
	f.Fuzz(func(t *testing.T, first, second []byte) {
		var b Baselines
		var prev []game.Entity
		var prevTick uint32
		for _, data := range [][]byte{first, second} {
			var m ServerMessage
			if DecodeServer(data, &m) != nil || m.Type != MsgSnapshot {
				continue
			}
			s := &m.Snapshot
			got, err := b.Apply(s)
			if err != nil {
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownBaseline) {
					t.Fatalf("unexpected error: %v", err)
				}
				continue
			}
			checkState(t, got)
			var base []game.Entity
			if s.BaseTick != 0 {
				if s.BaseTick != prevTick {
					t.Fatalf("applied against tick %d, only %d was kept", s.BaseTick, prevTick)
				}
				base = prev
			}
			again := mustDecodeSnapshot(AppendSnapshot(nil, s.Tick, s.BaseTick, s.AckSeq, base, got))
			var b2 Baselines
			if s.BaseTick != 0 {
				if _, err := b2.Apply(mustDecodeSnapshot(AppendSnapshot(nil, s.BaseTick, 0, 0, nil, base))); err != nil {
					t.Fatal(err)
				}
			}
			got2, err := b2.Apply(again)
			if err != nil || !sameEntities(got, got2) {
				t.Fatalf("re-encoded state differs: %v\n %v\n %v", err, got, got2)
			}
			prev, prevTick = slices.Clone(got), s.Tick
		}
	})
}

func checkState(t *testing.T, ents []game.Entity) {
	t.Helper()
	if len(ents) > MaxEntities {
		t.Fatalf("%d entities", len(ents))
	}
	for i := 1; i < len(ents); i++ {
		if ents[i].ID <= ents[i-1].ID {
			t.Fatalf("ids not ascending at %d: %d after %d", i, ents[i].ID, ents[i-1].ID)
		}
	}
}
