package arena

import (
	"github.com/tickroom/tickroom/game"
)

// Name is the arena's name in the lobby and on the wire.
const Name = "arena"

// Definition registers the arena with a server: free-for-all (8 seats by
// default) and duel (2), and its bots.
func Definition() game.Definition {
	return game.Definition{
		Name:        Name,
		Title:       "Arena",
		Description: "Top-down deathmatch: move with WASD, aim with the mouse, click to shoot.",
		Modes: []game.Mode{
			{Name: "ffa", Title: "Free for all", MaxPlayers: 8, Limit: 64},
			{Name: "duel", Title: "Duel", MaxPlayers: 2, Limit: 2},
		},
		New: func(cfg game.Config) game.Game {
			return New(Config{Seed: cfg.Seed, TickRate: cfg.TickRate})
		},
		Bots: map[string]game.NewBot{"fighter": NewFighter},
	}
}

// newSchema declares the arena's state. Positions are in 1/8 px and
// velocities in 1/8 px/s (diffs: they change a little each tick), angles in
// 1/65536 turn; a player's velocity is private (only its own prediction
// needs it; everyone else interpolates), and a projectile never changes
// after it appears: it flies from X, Y at VX, VY since tick Born (sent as
// its age), and At says where it is at any tick. The world carries the map
// and the rules the browser predicts and draws with, so no client copies
// them.
func newSchema(m *Map, rate int) *game.Schema {
	pos := func(name string) game.Field {
		return game.Field{Name: name, Type: game.Int32, Delta: game.Diff, Scale: 8, Unit: "px", Interp: true}
	}
	vel := func(name string, private bool) game.Field {
		return game.Field{Name: name, Type: game.Int32, Delta: game.Diff, Scale: 8, Unit: "px/s", Private: private}
	}
	angle := game.Field{Name: "angle", Type: game.Uint16, Delta: game.Value, Scale: 65536, Unit: "turn", Interp: true}
	walls := make([]int32, 0, 4*len(m.Walls))
	for _, w := range m.Walls {
		walls = append(walls, w.X, w.Y, w.W, w.H)
	}
	shot := pos("x")
	shot.Interp = false
	shotY := pos("y")
	shotY.Interp = false
	projAngle := angle
	projAngle.Interp = false
	return &game.Schema{
		Game: Name,
		Kinds: []game.Kind{
			{ID: KindPlayer, Name: "player", Fields: []game.Field{
				pos("x"), pos("y"), vel("vx", true), vel("vy", true), angle,
				{Name: "hp", Type: game.Uint8, Delta: game.Value},
				{Name: "flags", Type: game.Uint8, Delta: game.Value, Unit: "bits: 1 dead, 2 away"},
				{Name: "score", Type: game.Int32, Delta: game.Value, Unit: "kills"},
			}},
			{ID: KindProjectile, Name: "projectile", Fields: []game.Field{
				shot, shotY, vel("vx", false), vel("vy", false), projAngle,
				{Name: "owner", Type: game.Uint32, Delta: game.Value, Unit: "player id"},
				{Name: "born", Type: game.Uint32, Delta: game.Age, Unit: "tick"},
			}},
		},
		Input: []game.InputField{
			{Name: "move", Min: 0, Max: 15, Unit: "bits: 1 up, 2 down, 4 left, 8 right"},
			{Name: "aim", Min: 0, Max: 65535, Unit: "1/65536 turn, 0 along +x, 16384 along +y"},
			{Name: "buttons", Min: 0, Max: 1, Unit: "bits: 1 fire", Buttons: true},
		},
		Events: []game.EventDef{
			{Kind: EventKill, Name: "kill", A: "killer", B: "victim"},
			{Kind: EventHit, Name: "hit", A: "shooter", B: "victim"},
		},
		World: map[string]any{
			"w": m.W, "h": m.H, "walls": walls,
			"rules": map[string]any{
				"tickRate":     rate,
				"playerRadius": PlayerRadius,
				"accel":        Accel,
				"friction":     Friction,
				"diag":         Diag,
				"maxHP":        MaxHP,
				"shotSpeed":    ShotSpeed,
				"shotOffset":   ShotOffset,
				"shotRadius":   ShotRadius,
				"firstShotID":  FirstShotID,
				"viewHalfW":    ViewHalfW,
				"viewHalfH":    ViewHalfH,
				"fireTicks":    cooldownTicks(rate),
			},
		},
	}
}
