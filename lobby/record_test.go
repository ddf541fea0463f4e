package lobby_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/lobby/lobbytest"
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
		mu      sync.Mutex
		cfgSeen game.Config
		live    *arena.Arena
	)
	def := lobbytest.SmallArena()
	newArena := def.New
	def.New = func(cfg game.Config) game.Game {
		mu.Lock()
		defer mu.Unlock()
		cfgSeen = cfg
		live = newArena(cfg).(*arena.Arena)
		return live
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	ts := startServerGames(t, rooms.Options{Recorder: rec}, def)
	room, _ := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{TickRate: new(60)}, nil)
	a := join(t, ctx, ts.URL, room.ID, "a")
	b := join(t, ctx, ts.URL, room.ID, "b")
	moves := []uint8{arena.MoveRight, arena.MoveDown | arena.MoveLeft, arena.MoveUp, 0}
	for i := range 90 {
		a.SendInput(ctx, arena.Input{Move: moves[i/10%4], Aim: uint16(i * 700), Buttons: arena.ButtonFire}.Wire())
		b.SendInput(ctx, arena.Input{Move: moves[(i/7+1)%4], Aim: 32768, Buttons: uint8(i % 2)}.Wire())
		readSnapshot(t, ctx, a)
	}
	if err := ts.mgr.Close(room.ID); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	replayed := newArena(cfgSeen).(*arena.Arena)
	rooms.Replay(replayed, rec.recs)
	if replayed.Tick() != live.Tick() {
		t.Fatalf("replayed %d ticks, room ran %d", replayed.Tick(), live.Tick())
	}
	got, want := replayed.Entities(nil), live.Entities(nil)
	if !slices.Equal(got, want) {
		t.Fatalf("replay diverged at tick %d:\n got %v\nwant %v", live.Tick(), got, want)
	}
	if replayed.Hash() != live.Hash() {
		t.Fatalf("replay hashes %x, the room's game %x", replayed.Hash(), live.Hash())
	}
	if len(want) < 3 {
		t.Fatalf("scene too quiet to prove anything: %v", want)
	}
}
