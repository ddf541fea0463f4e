package arena

import (
	"math"
	"testing"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/netcode"
)

func TestAimOf(t *testing.T) {
	for _, tc := range []struct {
		dx, dy float64
		want   uint16
	}{{1, 0, 0}, {0, 1, 16384}, {-1, 0, 32768}, {0, -1, 49152}, {1, 1, 8192}, {1, -1e-9, 0}} {
		if got := aimOf(tc.dx, tc.dy); got != tc.want {
			t.Errorf("aimOf(%v, %v) = %d, want %d", tc.dx, tc.dy, got, tc.want)
		}
	}
}

func TestMoveToward(t *testing.T) {
	for _, tc := range []struct {
		dx, dy float64
		want   uint8
	}{
		{10, 0, MoveRight}, {10, 1, MoveRight}, {10, 10, MoveRight | MoveDown},
		{-1, -10, MoveUp}, {-10, 3, MoveLeft}, {0, 0, 0},
	} {
		if got := moveToward(tc.dx, tc.dy); got != tc.want {
			t.Errorf("moveToward(%v, %v) = %04b, want %04b", tc.dx, tc.dy, got, tc.want)
		}
	}
}

// A fighter leads a moving target, aiming where it will be when the shot
// arrives, by how far it moved since the last snapshot (its velocity is
// private to its own player); it aims straight at one that stands, or
// jumped (a respawn).
func TestFighterLeads(t *testing.T) {
	s := New(Config{}).Schema()
	me := (&Entity{ID: 1, Kind: KindPlayer, X: 8 * 100, Y: 8 * 100, HP: 100}).Wire()
	at := func(x, y int32) []game.Entity {
		return []game.Entity{me, (&Entity{ID: 2, Kind: KindPlayer, X: 8 * x, Y: 8 * y, HP: 100}).Wire()}
	}
	for _, tc := range []struct {
		name     string
		from, to [2]int32 // the target's px at ticks 10 and 11 (30 Hz)
		vy       float64  // px/s the fighter should see it move down at
	}{
		{name: "moving down at 300 px/s", from: [2]int32{600, 100}, to: [2]int32{600, 110}, vy: 300},
		{name: "moving up at 300 px/s", from: [2]int32{600, 100}, to: [2]int32{600, 90}, vy: -300},
		{name: "standing", from: [2]int32{600, 100}, to: [2]int32{600, 100}},
		{name: "jumped 300 px: a respawn", from: [2]int32{600, 400}, to: [2]int32{600, 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFighter(s, 30, 1)
			f.Think(1, 10, at(tc.from[0], tc.from[1]), nil)
			in := InputOf(f.Think(1, 11, at(tc.to[0], tc.to[1]), nil))
			dx, dy := float64(tc.to[0]-100), float64(tc.to[1]-100)
			lead := math.Hypot(dx, dy) / ShotSpeed
			want := aimOf(dx, dy+tc.vy*lead)
			if in.Aim != want || in.Buttons != ButtonFire {
				t.Fatalf("input %+v, want fire at aim %d (straight at it: %d)", in, want, aimOf(dx, dy))
			}
		})
	}
}

// A fighter roams its room's map, whether its schema is the game's own
// (world numbers as the game made them) or decoded from a welcome.
func TestFighterReadsMap(t *testing.T) {
	m := &Map{W: 800, H: 600}
	own := New(Config{Map: m, Spawns: []Point{{400, 300}}}).Schema()
	frame := netcode.AppendWelcome(nil, &netcode.Welcome{PlayerID: 1, RoomID: "r", TickRate: 30, ReconnectToken: "-", Game: Name, Mode: "ffa", Schema: own})
	var msg netcode.ServerMessage
	if err := netcode.DecodeServer(frame, &msg); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*game.Schema{"own": own, "decoded": msg.Welcome.Schema, "default map": New(Config{}).Schema()} {
		f := NewFighter(s, 30, 1).(*fighter)
		w, h := 800.0, 600.0
		if name == "default map" {
			w, h = mapW, mapH
		}
		if f.mapW != w || f.mapH != h {
			t.Errorf("%s schema: fighter's map %v×%v, want %v×%v", name, f.mapW, f.mapH, w, h)
		}
		// With nobody in sight it roams the middle of the map.
		self := (&Entity{ID: 1, Kind: KindPlayer, X: 8 * 400, Y: 8 * 300, HP: 100}).Wire()
		f.Think(1, 1, []game.Entity{self}, nil)
		if f.goal[0] < 0.2*w || f.goal[0] > 0.8*w || f.goal[1] < 0.2*h || f.goal[1] > 0.8*h {
			t.Errorf("%s schema: roams to %v, outside the middle of %v×%v", name, f.goal, w, h)
		}
	}
}
