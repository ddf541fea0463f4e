package lobby_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode/client"
)

// memRecorder keeps copies of every tick record.
type memRecorder struct {
	mu   sync.Mutex
	recs []rooms.TickRecord
}

func (m *memRecorder) Record(_ string, rec *rooms.TickRecord) {
	m.mu.Lock()
	m.recs = append(m.recs, rooms.TickRecord{Tick: rec.Tick, Ops: slices.Clone(rec.Ops)})
	m.mu.Unlock()
}

// TestRecordedTicksReplayExactly: the inputs a room records per tick, in
// order, rebuild its game state exactly in a fresh game.
func TestRecordedTicksReplayExactly(t *testing.T) {
	rec := &memRecorder{}
	var (
		cfgSeen rooms.Config
		live    *game.Arena
	)
	newGame := func(cfg rooms.Config) game.Game {
		cfgSeen = cfg
		live = smallArena(cfg).(*game.Arena)
		return live
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	ts := startServerFull(t, rooms.Options{Recorder: rec}, lobby.APIOptions{}, nil, newGame)
	room, _ := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{TickRate: new(60)}, nil)
	a := join(t, ctx, ts.URL, room.ID, "a")
	b := join(t, ctx, ts.URL, room.ID, "b")
	moves := []uint8{game.MoveRight, game.MoveDown | game.MoveLeft, game.MoveUp, 0}
	for i := range 90 {
		a.SendInput(ctx, game.Input{Move: moves[i/10%4], Aim: uint16(i * 700), Buttons: game.ButtonFire})
		b.SendInput(ctx, game.Input{Move: moves[(i/7+1)%4], Aim: 32768, Buttons: uint8(i % 2)})
		readSnapshot(t, ctx, a)
	}
	if err := ts.mgr.Close(room.ID); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	replayed := smallArena(cfgSeen).(*game.Arena)
	rooms.Replay(replayed, rec.recs)
	if replayed.Tick() != live.Tick() {
		t.Fatalf("replayed %d ticks, room ran %d", replayed.Tick(), live.Tick())
	}
	got, want := replayed.Entities(nil), live.Entities(nil)
	if !slices.Equal(got, want) {
		t.Fatalf("replay diverged at tick %d:\n got %v\nwant %v", live.Tick(), got, want)
	}
	if len(want) < 3 {
		t.Fatalf("scene too quiet to prove anything: %v", want)
	}
}
