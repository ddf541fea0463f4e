package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/client"
)

// TestFloor joins the floor server with the SDK and reads its frames: the
// welcome carries the arena's schema, and the snapshots decode with it
// alone to the five players and the shot, player 1's velocity its own.
func TestFloor(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f := newFloor(ctx)
	hs := httptest.NewServer(f.handler())
	defer hs.Close()
	room, err := client.CreateRoom(ctx, hs.URL, rest.CreateRoom{TickRate: new(60)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.JoinRoom(ctx, hs.URL, room.ID, "bot", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if w := c.Welcome(); w.TickRate != 60 || w.PlayerID != 1 || w.Game != arena.Name || w.Schema.KindByName("projectile") == nil {
		t.Fatalf("welcome %+v", w)
	}
	if _, err := c.SendInput(ctx, arena.Input{Move: arena.MoveUp}.Wire()); err != nil {
		t.Fatal(err)
	}
	c.Ping(ctx)
	var snaps, pongs int
	for snaps < 3 || pongs < 1 {
		u, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch u.Type {
		case netcode.MsgSnapshot:
			snaps++
			if u.Bytes != frameBytes || len(u.Entities) != 6 {
				t.Fatalf("snapshot of %d bytes and %d entities", u.Bytes, len(u.Entities))
			}
			for i := range u.Entities {
				e := arena.EntityOf(&u.Entities[i])
				switch {
				case e.Kind == arena.KindProjectile && (e.Owner != 2 || e.VX == 0 || e.Born != u.Tick-10):
					t.Fatalf("shot %+v at tick %d", e, u.Tick)
				case e.Kind == arena.KindPlayer && e.HP != 100:
					t.Fatalf("player %+v", e)
				case e.Kind == arena.KindPlayer && (e.VX != 0) != (e.ID == 1):
					t.Fatalf("player 1 sees %+v: velocities are private", e)
				}
			}
		case netcode.MsgPong:
			pongs++
		}
	}
	if err := c.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	f.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `tickroom_tick_lateness_seconds_bucket{le="+Inf"}`) {
		t.Fatalf("metrics:\n%s", rec.Body)
	}
}

// A room with a send_rate below its tick_rate sends every
// tick_rate/send_rate-th tick.
func TestFloorSendRate(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f := newFloor(ctx)
	hs := httptest.NewServer(f.handler())
	defer hs.Close()
	room, err := client.CreateRoom(ctx, hs.URL, rest.CreateRoom{TickRate: new(60), SendRate: new(20)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.JoinRoom(ctx, hs.URL, room.ID, "bot", &client.Options{SkipEntities: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	var snaps int
	start := time.Now()
	for snaps < 10 {
		u, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if u.Type == netcode.MsgSnapshot {
			snaps++
		}
	}
	// 10 frames at 20 Hz take 450 ms or more; at 60 Hz they would take 150.
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("10 snapshots in %v: not sent at 20 Hz", d)
	}
}
