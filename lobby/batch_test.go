package lobby_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/client"
)

// burstArena yields n system events in the one Step after it is armed,
// as a crowd chatting in one tick would.
type burstArena struct {
	game.Game
	n     int
	armed *atomic.Bool
}

func (g burstArena) Step(ev []game.Event) []game.Event {
	ev = g.Game.Step(ev)
	if g.armed.CompareAndSwap(true, false) {
		for i := range g.n {
			ev = append(ev, game.Event{Kind: game.EventSystem, Text: "burst " + strconv.Itoa(i)})
		}
	}
	return ev
}

// TestEventBatchesReachSDK: a tick with as many events as one message may
// hold, or more, reaches a Go SDK client whole, in order; and a client that
// missed them resumes (Reconnect with last_event) and gets them all once.
func TestEventBatchesReachSDK(t *testing.T) {
	// One game per burst size, burst-N: its room's game says which.
	sizes := []int{netcode.MaxEventsBatch, netcode.MaxEventsBatch + 1, 500}
	armed := map[string]*atomic.Bool{}
	var games []game.Definition
	for _, n := range sizes {
		name := fmt.Sprintf("burst-%d", n)
		a := new(atomic.Bool)
		armed[name] = a
		games = append(games, smallArenaAs(name, func(g game.Game) game.Game { return burstArena{Game: g, n: n, armed: a} }))
	}
	ts := startServerGames(t, rooms.Options{}, games...)
	for _, n := range sizes {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			name := fmt.Sprintf("burst-%d", n)
			room, err := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{Name: name, Game: name}, nil)
			if err != nil {
				t.Fatal(err)
			}
			alice := join(t, ctx, ts.URL, room.ID, "alice")
			bob := join(t, ctx, ts.URL, room.ID, "bob")
			readEventsUntil(t, ctx, alice, game.EventJoin, bob.PlayerID(), "")
			readEventsUntil(t, ctx, bob, game.EventJoin, bob.PlayerID(), "")

			alice.CloseNow()
			r, _ := ts.mgr.Get(room.ID)
			checkFor(t, 5*time.Second, func() error {
				for _, p := range r.Info().Roster {
					if p.ID == alice.PlayerID() && p.State == "reconnecting" {
						return nil
					}
				}
				return errors.New("alice not reconnecting yet")
			})
			armed[name].Store(true)
			burst := readEventsUntil(t, ctx, bob, game.EventSystem, 0, fmt.Sprintf("burst %d", n-1))
			burst = burst[slices.IndexFunc(burst, func(e game.Event) bool { return e.Text == "burst 0" }):]
			if len(burst) != n {
				t.Fatalf("bob got %d events of the burst, want %d", len(burst), n)
			}
			for i, e := range burst {
				if e.Seq != burst[0].Seq+uint32(i) || e.Text != fmt.Sprintf("burst %d", i) {
					t.Fatalf("bob's event %d: %+v", i, e)
				}
			}

			if err := alice.Reconnect(ctx); err != nil {
				t.Fatal(err)
			}
			got := readEventsUntil(t, ctx, alice, game.EventSystem, 0, fmt.Sprintf("burst %d", n-1))
			if !slices.Equal(got, burst) {
				t.Fatalf("alice resumed with %d events (first %+v), want the %d of the burst", len(got), got[0], n)
			}
		})
	}
}
