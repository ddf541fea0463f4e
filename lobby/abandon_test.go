package lobby_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby/rooms"
)

// gatedGame lets a test stop its room's goroutine inside Step.
type gatedGame struct {
	game.Game
	gate *sync.RWMutex
}

func (g gatedGame) Step(ev []game.Event) []game.Event {
	g.gate.RLock()
	defer g.gate.RUnlock()
	return g.Game.Step(ev)
}

// inStacks counts goroutines whose stack holds fn.
func inStacks(fn string) int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return bytes.Count(buf[:n], []byte(fn))
		}
		buf = make([]byte, 2*len(buf))
	}
}

// TestAbandonedJoinHoldsNoSeat: a join whose client hangs up while its
// request waits for a busy room holds no seat when the room gets to it.
func TestAbandonedJoinHoldsNoSeat(t *testing.T) {
	var gate sync.RWMutex
	ts := startServerGames(t, rooms.Options{}, smallArenaAs("gated", func(g game.Game) game.Game { return gatedGame{g, &gate} }))
	room := createRoom(t, ts, `{"max_players":1}`)
	gate.Lock() // the room stops in its next tick
	var once sync.Once
	open := func() { once.Do(gate.Unlock) }
	t.Cleanup(open) // before the server stops: a failing test must not leave the room stuck
	checkFor(t, 5*time.Second, func() error {
		if inStacks("lobby_test.gatedGame.Step(") == 0 {
			return fmt.Errorf("the room never stopped in its tick")
		}
		return nil
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		send(ctx, "POST", ts.URL+"/api/rooms/"+room.ID+"/join", `{"name":"quitter"}`)
	}()
	const reserving = "rooms.(*Room).Reserve("
	checkFor(t, 5*time.Second, func() error {
		if inStacks(reserving) == 0 {
			return fmt.Errorf("the join never reached the room")
		}
		return nil
	})
	cancel()
	<-done
	checkFor(t, 5*time.Second, func() error {
		if n := inStacks(reserving); n != 0 {
			return fmt.Errorf("the join is still waiting for the room after its client left")
		}
		return nil
	})
	open()
	// Presence is answered after the abandoned request: by then the room
	// has seen it.
	if r := roomInfo(t, ts, room.ID); r.Reserved != 0 {
		t.Fatalf("room %+v: the abandoned join holds a seat", r.Room)
	}
	reserve(t, ts, room.ID, `{"name":"next"}`)
}
