package lobby_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/blobs"
	"github.com/tickroom/tickroom/lobby/lobbytest"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/client"
)

// roomRecorder keeps copies of every room's tick records.
type roomRecorder struct {
	mu   sync.Mutex
	recs map[string][]rooms.TickRecord
}

func (m *roomRecorder) Record(roomID string, rec *rooms.TickRecord) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recs == nil {
		m.recs = map[string][]rooms.TickRecord{}
	}
	m.recs[roomID] = append(m.recs[roomID], rooms.TickRecord{Tick: rec.Tick, Ops: slices.Clone(rec.Ops)})
}

func (m *roomRecorder) records(roomID string) []rooms.TickRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.recs[roomID]
}

// seen is one snapshot as a client decoded it: the full state in view.
type seen struct {
	player uint32
	tick   uint32
	ents   []game.Entity
}

// TestMatchDecodesFromWelcomeSchema is issue #13's acceptance: a client
// that knows no game decodes any game's match exactly from the schema its
// welcome carries. For the arena and for blobs, players driven by the
// game's own bots through the Go SDK play a match over real sockets —
// joining, one late, one losing its connection and resuming, one leaving —
// while the room records every operation on its game. Replaying the record
// into a fresh game gives the server's world at every tick; every snapshot
// each client received, decoded by the SDK with nothing but its welcome's
// schema, must be exactly that player's interest in that world, with
// private fields zero except in its own avatar.
func TestMatchDecodesFromWelcomeSchema(t *testing.T) {
	for _, tc := range []struct {
		def  game.Definition
		mode string
		bot  string
	}{
		{lobbytest.SmallArena(), "ffa", "fighter"},
		{blobs.Definition(), "small", "forager"},
	} {
		t.Run(tc.def.Name, func(t *testing.T) {
			t.Parallel()
			var (
				mu   sync.Mutex
				cfgs []game.Config // as the room's game was made
				live []game.Game
			)
			def := tc.def
			newGame := def.New
			def.New = func(cfg game.Config) game.Game {
				g := newGame(cfg)
				mu.Lock()
				defer mu.Unlock()
				cfgs, live = append(cfgs, cfg), append(live, g)
				return g
			}
			rec := &roomRecorder{}
			ts := startServerGames(t, rooms.Options{Recorder: rec, ReconnectGrace: time.Minute}, def)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			room, err := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{Game: def.Name, Mode: tc.mode, TickRate: new(30)}, nil)
			if err != nil {
				t.Fatal(err)
			}

			var got []seen
			var gotMu sync.Mutex
			keep := func(s []seen) {
				gotMu.Lock()
				got = append(got, s...)
				gotMu.Unlock()
			}
			newBot := def.Bots[tc.bot]
			late := make(chan struct{})
			var wg sync.WaitGroup
			player := func(name string) *client.Client {
				c, err := client.JoinRoom(ctx, ts.URL, room.ID, name, nil)
				if err != nil {
					t.Errorf("join %s: %v", name, err)
					return nil
				}
				t.Cleanup(func() { c.CloseNow() })
				return c
			}
			wg.Go(func() { // a: plays the whole match
				defer close(late)
				c := player("a")
				if c == nil {
					return
				}
				s := playBot(t, ctx, c, newBot, 20)
				late <- struct{}{}
				keep(append(s, playBot(t, ctx, c, newBot, 70)...))
			})
			wg.Go(func() { // b: loses its connection and resumes
				c := player("b")
				if c == nil {
					return
				}
				s := playBot(t, ctx, c, newBot, 30)
				c.CloseNow()
				if err := c.Reconnect(ctx); err != nil {
					t.Errorf("b's reconnect: %v", err)
					return
				}
				keep(append(s, playBot(t, ctx, c, newBot, 40)...))
			})
			wg.Go(func() { // c: joins late and leaves
				if _, ok := <-late; !ok {
					return
				}
				c := player("c")
				if c == nil {
					return
				}
				keep(playBot(t, ctx, c, newBot, 40))
				if err := c.Leave(ctx); err != nil {
					t.Errorf("c's leave: %v", err)
				}
			})
			wg.Wait()
			if t.Failed() {
				return
			}
			if err := ts.mgr.Close(room.ID); err != nil {
				t.Fatal(err)
			}

			recs := rec.records(room.ID)
			mu.Lock()
			if len(cfgs) != 1 {
				t.Fatalf("%d games made, want the room's one", len(cfgs))
			}
			replayed, final := newGame(cfgs[0]), live[0]
			mu.Unlock()
			schema := replayed.Schema()

			byTick := map[uint32][]seen{}
			for _, s := range got {
				byTick[s.tick] = append(byTick[s.tick], s)
			}
			checked, kinds := 0, map[uint8]int{}
			for i, r := range recs {
				if r.Tick != uint32(i+1) {
					t.Fatalf("record %d is of tick %d", i, r.Tick)
				}
				rooms.Replay(replayed, recs[i:i+1])
				if replayed.Tick() != r.Tick {
					t.Fatalf("replay at tick %d after record %d", replayed.Tick(), r.Tick)
				}
				snaps := byTick[r.Tick]
				if len(snaps) == 0 {
					continue
				}
				world := replayed.World(nil)
				for _, s := range snaps {
					want := interestOf(replayed, schema, s.player, world)
					if !slices.Equal(s.ents, want) {
						t.Fatalf("tick %d, player %d decoded\n %v\nthe server's view is\n %v", s.tick, s.player, s.ents, want)
					}
					for _, e := range s.ents {
						kinds[e.Kind]++
					}
					checked++
				}
			}
			if checked != len(got) {
				t.Fatalf("%d of %d snapshots were of a recorded tick", checked, len(got))
			}
			if replayed.Hash() != final.Hash() {
				t.Fatalf("the replay ends at hash %x, the room's game at %x", replayed.Hash(), final.Hash())
			}
			for _, k := range schema.Kinds {
				if kinds[k.ID] == 0 {
					t.Errorf("no %s seen in %d snapshots: the match proves little", k.Name, checked)
				}
			}
			t.Logf("%d snapshots of %d ticks checked; entities seen by kind: %v", checked, len(recs), kinds)
		})
	}
}

// playBot reads n snapshots with c, each decoded by the SDK from the
// schema of c's welcome, and answers each with the input of a bot made by
// newBot from that schema. It returns the snapshots.
func playBot(t *testing.T, ctx context.Context, c *client.Client, newBot game.NewBot, n int) []seen {
	w := c.Welcome()
	brain := newBot(c.Schema(), int(w.TickRate), uint64(c.PlayerID()))
	var out []seen
	var events []game.Event
	for len(out) < n {
		u, err := c.Read(ctx)
		if err != nil {
			t.Errorf("player %d: read: %v", c.PlayerID(), err)
			return out
		}
		events = append(events, u.Events...)
		if u.Type != netcode.MsgSnapshot {
			continue
		}
		out = append(out, seen{player: c.PlayerID(), tick: u.Tick, ents: slices.Clone(u.Entities)})
		in := brain.Think(c.PlayerID(), u.Tick, u.Entities, events)
		events = events[:0]
		if _, err := c.SendInput(ctx, in); err != nil {
			t.Errorf("player %d: send: %v", c.PlayerID(), err)
			return out
		}
	}
	return out
}

// interestOf is what player id is sent of world: the entities of its
// interest, with every private field zero but in its own avatar.
func interestOf(g game.Game, s *game.Schema, id uint32, world []game.Entity) []game.Entity {
	var out []game.Entity
	for _, i := range g.Interest(id, world, nil) {
		e := world[i]
		if e.ID != id {
			k := s.KindByID(e.Kind)
			if k == nil {
				panic(fmt.Sprintf("entity %d of kind %d not in the schema", e.ID, e.Kind))
			}
			for j, f := range k.Fields {
				if f.Private {
					e.V[j] = 0
				}
			}
		}
		out = append(out, e)
	}
	return out
}
