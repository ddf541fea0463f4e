package blobs

import "github.com/tickroom/tickroom/game"

// Definition registers blobs with a server: free-for-all on the full field
// (16 seats by default, up to 64) and a small field for a few players,
// and the forager bot.
func Definition() game.Definition {
	return game.Definition{
		Name:        Name,
		Title:       "Blobs",
		Description: "Steer your blob with the mouse: eat pellets to grow, swallow smaller blobs, flee bigger ones.",
		Modes: []game.Mode{
			{Name: "ffa", Title: "Free for all", MaxPlayers: 16, Limit: 64},
			{Name: "small", Title: "Small field", MaxPlayers: 6, Limit: 12},
		},
		New: func(cfg game.Config) game.Game {
			c := Config{Seed: cfg.Seed, TickRate: cfg.TickRate}
			if cfg.Mode == "small" {
				c.Size, c.Pellets = 2000, 200
			}
			return New(c)
		},
		Bots: map[string]game.NewBot{"forager": NewForager},
	}
}

// newSchema declares the game's state. Positions and radii are in 1/8 px
// (u16: the field is at most 4000 px). A blob's position, radius and mass
// travel as differences: they change by a little at a time (a step, a
// pellet). A pellet never changes while it exists, so its fields are plain
// values: it costs bytes when it enters a view and nothing after. The
// world carries the field's size and every rule a client draws or predicts
// with.
func newSchema(size int32, pellets, rate int) *game.Schema {
	pos := func(name string, blob bool) game.Field {
		f := game.Field{Name: name, Type: game.Uint16, Delta: game.Value, Scale: 8, Unit: "px"}
		if blob {
			f.Delta, f.Interp = game.Diff, true
		}
		return f
	}
	return &game.Schema{
		Game: Name,
		Kinds: []game.Kind{
			{ID: KindBlob, Name: "blob", Fields: []game.Field{
				pos("x", true), pos("y", true),
				{Name: "radius", Type: game.Uint16, Delta: game.Diff, Scale: 8, Unit: "px", Interp: true},
				{Name: "mass", Type: game.Uint16, Delta: game.Diff, Unit: "pellets (the player's score)"},
				{Name: "flags", Type: game.Uint8, Delta: game.Value, Unit: "bits: 1 dead (eaten, waiting to respawn), 2 away"},
			}},
			{ID: KindPellet, Name: "pellet", Fields: []game.Field{
				pos("x", false), pos("y", false),
				{Name: "color", Type: game.Uint8, Delta: game.Value, Unit: "palette index 0..7"},
			}},
		},
		Input: []game.InputField{
			{Name: "tx", Min: 0, Max: size, Unit: "px: the x the blob heads for"},
			{Name: "ty", Min: 0, Max: size, Unit: "px: the y the blob heads for"},
		},
		Events: []game.EventDef{
			{Kind: EventAte, Name: "ate", A: "eater", B: "eaten"},
			{Kind: EventRespawn, Name: "respawn", A: "player"},
		},
		World: map[string]any{
			"w": size, "h": size,
			"rules": map[string]any{
				"tickRate":      rate,
				"pellets":       pellets,
				"pelletRadius":  PelletRadius,
				"pelletMass":    PelletMass,
				"pelletColors":  PelletColors,
				"pelletRespawn": PelletRespawn,
				"startMass":     StartMass,
				"maxMass":       MaxMass,
				"radiusK":       RadiusK,
				"maxSpeed":      MaxSpeed,
				"minSpeed":      MinSpeed,
				"eatRatio":      EatRatio,
				"respawnDelay":  RespawnDelay,
				"viewHalfW":     ViewHalfW,
				"viewHalfH":     ViewHalfH,
				"viewGrow":      ViewGrow,
				"firstPelletID": FirstPelletID,
			},
		},
	}
}
