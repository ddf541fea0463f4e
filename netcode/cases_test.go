package netcode

import (
	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/game/blobs"
)

// goldenCase is the source of one golden vector.
type goldenCase struct {
	name   string
	client bool
	data   []byte
	schema string    // the welcome case whose schema applies: inputs and snapshots
	snap   *snapCase // snapshots
}

// snapCase is what a snapshot vector shows besides its bytes: the viewer
// and what it sees at baseTick and at tick.
type snapCase struct {
	viewer    uint32
	base, cur []game.Entity
}

// arenaSchema is the arena's schema at 30 Hz on the default map.
func arenaSchema() *game.Schema { return arena.New(arena.Config{}).Schema() }

// zooSchema is a small made-up game that uses everything a schema can say:
// three kinds (one without fields), every field type with every delta it
// may have, fractional and integer scales, private fields, input fields
// with negative ranges, game events, and a world holding every kind of
// value.
func zooSchema() *game.Schema {
	return &game.Schema{
		Game: "zoo",
		Kinds: []game.Kind{
			{ID: zooShip, Name: "ship", Fields: []game.Field{
				{Name: "x", Type: game.Int32, Delta: game.Diff, Scale: 16, Unit: "m", Interp: true},
				{Name: "y", Type: game.Int32, Delta: game.Diff, Scale: 16, Unit: "m", Interp: true},
				{Name: "hd", Type: game.Int16, Delta: game.Diff, Scale: 2.5, Unit: "deg", Interp: true},
				{Name: "fuel", Type: game.Uint16, Delta: game.Diff, Private: true},
				{Name: "trim", Type: game.Int8, Delta: game.Value, Private: true},
				{Name: "team", Type: game.Uint8, Delta: game.Value},
				{Name: "cash", Type: game.Uint32, Delta: game.Value, Private: true},
				{Name: "born", Type: game.Uint32, Delta: game.Age, Unit: "tick"},
			}},
			{ID: zooBuoy, Name: "buoy", Fields: []game.Field{
				{Name: "x", Type: game.Int32, Delta: game.Value},
				{Name: "y", Type: game.Int32, Delta: game.Value},
				{Name: "tilt", Type: game.Int8, Delta: game.Diff},
				{Name: "ping", Type: game.Uint8, Delta: game.Diff},
				{Name: "serial", Type: game.Uint32, Delta: game.Diff},
				{Name: "depth", Type: game.Int16, Delta: game.Value},
				{Name: "hue", Type: game.Uint16, Delta: game.Value},
			}},
			{ID: zooMark, Name: "mark"},
		},
		Input: []game.InputField{
			{Name: "throttle", Min: -100, Max: 100, Unit: "%"},
			{Name: "rudder", Min: -32768, Max: 32767},
			{Name: "trigger", Min: 0, Max: 3},
			{Name: "warp", Min: -2147483648, Max: 2147483647},
		},
		Events: []game.EventDef{
			{Kind: game.FirstGameEvent, Name: "dock", A: "ship", B: "buoy"},
			{Kind: 40, Name: "hail", A: "ship", Text: "words"},
		},
		World: map[string]any{
			"name":  "Zoo ✓",
			"g":     9.81,
			"laps":  3,
			"cells": 2.0, // an integer-valued float travels as an integer
			"seed":  -7,
			"low":   -40000,
			"big":   uint64(1) << 32,
			"open":  true,
			"shut":  false,
			"none":  nil,
			"lanes": []any{[]int32{0, 1}, []any{-3, 2.5, "x"}},
			"tags":  []string{"a", "b"},
			"rules": map[string]any{"air": 0.25, "walls": []int{}},
			"empty": map[string]any{},
		},
	}
}

const (
	zooShip uint8 = 1
	zooBuoy uint8 = 7
	zooMark uint8 = 200
)

// player, shot, ship, buoy and mark make entities in their schema's field
// order.
func player(id uint32, x, y, vx, vy int32, angle uint16, hp, flags uint8, score int32) game.Entity {
	e := arena.Entity{ID: id, Kind: arena.KindPlayer, X: x, Y: y, VX: vx, VY: vy, Angle: angle, HP: hp, Flags: flags, Score: score}
	return e.Wire()
}

func shot(id uint32, x, y, vx, vy int32, angle uint16, owner, born uint32) game.Entity {
	e := arena.Entity{ID: id, Kind: arena.KindProjectile, X: x, Y: y, VX: vx, VY: vy, Angle: angle, Owner: owner, Born: born}
	return e.Wire()
}

func ship(id uint32, x, y int32, hd int16, fuel uint16, trim int8, team uint8, cash, born uint32) game.Entity {
	return game.Entity{ID: id, Kind: zooShip, V: [game.MaxFields]int32{x, y, int32(hd), int32(fuel), int32(trim), int32(team), int32(cash), int32(born)}}
}

func buoy(id uint32, x, y int32, tilt int8, ping uint8, serial uint32, depth int16, hue uint16) game.Entity {
	return game.Entity{ID: id, Kind: zooBuoy, V: [game.MaxFields]int32{x, y, int32(tilt), int32(ping), int32(serial), int32(depth), int32(hue)}}
}

func mark(id uint32) game.Entity { return game.Entity{ID: id, Kind: zooMark} }

// arenaTick7 is a small arena world: two players near each other, a third
// far away, and two projectiles in flight (39 fired at tick 6, 40 at 5).
// Players 1 and 2 see everything but player 3.
func arenaTick7() []game.Entity {
	return []game.Entity{
		player(1, 800, 640, 240, -120, 16384, 100, 0, 3),
		player(2, 2400, 1600, -960, 0, 0, 75, 0, -1),
		player(3, 15000, 11000, 0, 0, 49152, 100, 0, 0),
		shot(39, 1200, 900, 0, 7200, 16384, 2, 6),
		shot(40, 1000, 700, 7200, 0, 0, 1, 5),
	}
}

// arenaTick9 is arenaTick7 two ticks later: player 1 moved up and left and
// was hit by projectile 40 (gone), player 2 stopped and died after firing
// projectile 41 at tick 8, player 3 is away and came into player 1's view;
// projectile 39 flies on unchanged.
func arenaTick9() []game.Entity {
	return []game.Entity{
		player(1, 760, 600, -240, -240, 16384, 80, 0, 3),
		player(2, 2400, 1600, 0, 0, 0, 0, arena.FlagDead, -1),
		player(3, 3000, 1700, 0, 0, 49152, 100, arena.FlagAway, 0),
		shot(39, 1200, 900, 0, 7200, 16384, 2, 6),
		shot(41, 2380, 1600, -7200, 0, 32768, 2, 8),
	}
}

// zooTick100 has two ships (one each for players 1 and 2), two buoys (one
// at the extremes of its types, one all zero) and a mark.
func zooTick100() []game.Entity {
	return []game.Entity{
		ship(1, 1600, -800, -450, 5000, -3, 2, 3000000000, 90),
		ship(2, -16000, 32000, 900, 65535, 127, 255, 4294967295, 100),
		buoy(7, -2147483648, 2147483647, -128, 255, 4294967295, -32768, 65535),
		buoy(9, 0, 0, 0, 0, 0, 0, 0),
		mark(300),
	}
}

// zooTick103: the ships moved and spent, buoy 7's fields swung from one
// extreme to the other (its serial wrapped past 2³²−1 to 1), buoy 9 became
// a mark, mark 300 is gone and ship 4 was born.
func zooTick103() []game.Entity {
	return []game.Entity{
		ship(1, 1650, -860, -447, 4990, 4, 2, 2999999000, 90),
		ship(2, -16100, 32000, 896, 0, -128, 255, 4294967295, 100),
		ship(4, 0, 16, 0, 1000, 0, 1, 0, 103),
		buoy(7, 2147483647, -2147483648, 127, 0, 1, 32767, 0),
		mark(9),
	}
}

// seeing returns a view of world holding the entities with the given ids.
func seeing(world []game.Entity, ids ...uint32) View {
	var idx []int32
	for i, e := range world {
		for _, id := range ids {
			if e.ID == id {
				idx = append(idx, int32(i))
			}
		}
	}
	return View{World: world, Seen: SetSeen(nil, len(world), idx)}
}

// visible is what viewer's client holds of v: the entities in view, with
// private fields zeroed except in viewer's own avatar. It reads the schema
// itself rather than trusting the codec's masking.
func seenBy(s *game.Schema, v View, viewer uint32) []game.Entity {
	out := []game.Entity{}
	for i, e := range v.World {
		if v.Seen != nil && (i>>6 >= len(v.Seen) || v.Seen[i>>6]&(1<<(i&63)) == 0) {
			continue
		}
		if k := s.KindByID(e.Kind); e.ID != viewer {
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

func goldenCases() []goldenCase {
	as, zs := arenaSchema(), zooSchema()
	ac, zc := MustCodec(as), MustCodec(zs)
	cl := func(name, schema string, data []byte) goldenCase {
		return goldenCase{name: name, client: true, schema: schema, data: data}
	}
	sv := func(name string, data []byte) goldenCase { return goldenCase{name: name, data: data} }
	snap := func(name, schema string, c *Codec, tick, baseTick, ack, viewer uint32, base, cur View) goldenCase {
		return goldenCase{name: name, schema: schema, data: c.AppendSnapshot(nil, tick, baseTick, ack, viewer, base, cur),
			snap: &snapCase{viewer: viewer, base: seenBy(c.Schema(), base, viewer), cur: seenBy(c.Schema(), cur, viewer)}}
	}
	in := func(seq uint32, v ...int32) game.Input {
		i := game.Input{Seq: seq}
		copy(i.V[:], v)
		return i
	}
	welcome := &Welcome{
		PlayerID: 2, RoomID: "r-7f3a", TickRate: 30, SendRate: 15, Tick: 1200, ServerTime: 40000.5,
		ReconnectToken: "tok-1b2c", LastEventSeq: 17, LastInputSeq: 0,
		Roster: []RosterEntry{{ID: 1, Name: "ada", Score: 3}, {ID: 2, Name: "bob", Score: -1}},
		Game:   "arena", Mode: "ffa", Schema: as,
	}
	zooWelcome := &Welcome{PlayerID: 1, RoomID: "r", TickRate: 20, SendRate: 20, ReconnectToken: "t",
		LastInputSeq: 41, Game: "zoo", Schema: zs}

	a7, a9 := arenaTick7(), arenaTick9()
	// Tick 10: projectile 41's id now holds a player, as if reused.
	a10 := arenaTick9()
	a10[4] = player(41, 2380, 1600, 0, 0, 0, 100, 0, 0)
	// Tick 11: player 2 left and projectile 41 flew out of view.
	a11 := []game.Entity{a9[0], a9[2], a9[3], a9[4]}
	z100, z103 := zooTick100(), zooTick103()
	bs, b1, b2 := blobsTicks()
	bc := MustCodec(bs)
	blobsWelcome := &Welcome{PlayerID: 1, RoomID: "r-b10b", TickRate: 30, SendRate: 30, Tick: 1, ReconnectToken: "t",
		Roster: []RosterEntry{{ID: 1, Name: "ada", Score: 10}, {ID: 2, Name: "bob", Score: 10}},
		Game:   "blobs", Mode: "ffa", Schema: bs}
	return []goldenCase{
		cl("input", "welcome", ac.AppendInput(nil, in(1, int32(arena.MoveUp|arena.MoveRight), 16384, int32(arena.ButtonFire)))),
		cl("input-large", "welcome", ac.AppendInput(nil, in(70000, 0, 65535, 0))),
		cl("input-zoo", "welcome-zoo", zc.AppendInput(nil, in(42, -100, -32768, 3, -2147483648))),
		cl("input-zoo-max", "welcome-zoo", zc.AppendInput(nil, in(4294967295, 100, 32767, 0, 2147483647))),
		cl("ping-fraction", "", AppendPing(nil, 1234.5)),
		cl("ping-integer", "", AppendPing(nil, 1700000000000)),
		cl("chat", "", AppendChat(nil, "hello")),
		cl("chat-unicode", "", AppendChat(nil, "héllo ✓")),
		cl("leave", "", AppendLeave(nil)),
		sv("welcome", AppendWelcome(nil, welcome)),
		sv("welcome-zoo", AppendWelcome(nil, zooWelcome)),
		snap("snapshot-full", "welcome", ac, 7, 0, 3, 1, View{}, seeing(a7, 1, 2, 39, 40)),
		snap("snapshot-full-other", "welcome", ac, 7, 0, 5, 2, View{}, seeing(a7, 1, 2, 39, 40)),
		snap("snapshot-delta", "welcome", ac, 9, 7, 4, 1, seeing(a7, 1, 2, 39, 40), seeing(a9, 1, 2, 3, 39, 41)),
		snap("snapshot-delta-other", "welcome", ac, 9, 7, 6, 2, seeing(a7, 1, 2, 39, 40), seeing(a9, 1, 2, 39, 41)),
		snap("snapshot-unchanged", "welcome", ac, 10, 9, 4, 1, seeing(a9, 1, 2, 3, 39, 41), seeing(a9, 1, 2, 3, 39, 41)),
		snap("snapshot-kind-change", "welcome", ac, 10, 9, 5, 1, seeing(a9, 1, 2, 3, 39, 41), seeing(a10, 1, 2, 3, 39, 41)),
		snap("snapshot-removals", "welcome", ac, 11, 9, 5, 1, seeing(a9, 1, 2, 3, 39, 41), seeing(a11, 1, 3, 39)),
		snap("snapshot-empty-world", "welcome", ac, 1, 0, 0, 1, View{}, View{}),
		snap("snapshot-zoo-full", "welcome-zoo", zc, 100, 0, 41, 1, View{}, View{World: z100}),
		snap("snapshot-zoo-delta", "welcome-zoo", zc, 103, 100, 44, 1, View{World: z100}, View{World: z103}),
		snap("snapshot-zoo-delta-other", "welcome-zoo", zc, 103, 100, 9, 2, View{World: z100}, View{World: z103}),
		sv("welcome-blobs", AppendWelcome(nil, blobsWelcome)),
		cl("input-blobs", "welcome-blobs", bc.AppendInput(nil, in(7, 620, 1000))),
		snap("snapshot-blobs-full", "welcome-blobs", bc, b1.tick, 0, 3, 1, View{}, b1.view),
		snap("snapshot-blobs-delta", "welcome-blobs", bc, b2.tick, b1.tick, 7, 1, b1.view, b2.view),
		sv("pong", AppendPong(nil, Pong{ClientTime: 1234.5, Tick: 1201, ServerTime: 40050})),
		sv("events", AppendEvents(nil, []game.Event{
			{Seq: 18, Kind: game.EventJoin, A: 3, Text: "cy"},
			{Seq: 19, Kind: game.EventChat, A: 1, Text: "gg"},
			{Seq: 20, Kind: arena.EventKill, A: 1, B: 2},
			{Seq: 21, Kind: arena.EventHit, A: 2, B: 1},
			{Seq: 22, Kind: game.EventLeave, A: 3, Text: "cy"},
			{Seq: 23, Kind: game.EventSystem, Text: "restart in 5 min"},
		})),
		sv("events-empty", AppendEvents(nil, nil)),
		sv("error", AppendError(nil, Error{Code: CodeBadMessage, Message: "input: aim: 70000 out of range 0..65535"})),
	}
}

// blobsTick is a tick of a real blobs game and what player 1 saw of it.
type blobsTick struct {
	tick uint32
	view View
}

// blobsTicks plays blobs (seed 1, a 1000 px field of 60 pellets, so a view
// holds a few dozen entities) with two players heading for one point, and
// returns the schema and player 1's views of the first two ticks in a row
// between which a pellet in its view was eaten: blobs that moved and grew,
// a pellet gone, pellets that stayed.
func blobsTicks() (*game.Schema, blobsTick, blobsTick) {
	g := blobs.New(blobs.Config{Seed: 1, TickRate: 30, Size: 1000, Pellets: 60})
	for id := game.PlayerID(1); id <= 2; id++ {
		if err := g.Join(id, ""); err != nil {
			panic(err)
		}
		g.SetInput(id, game.Input{Seq: 1, V: [game.MaxInputFields]int32{500, 500}})
	}
	at := func() blobsTick {
		w := g.World(nil)
		return blobsTick{tick: g.Tick(), view: View{World: w, Seen: SetSeen(nil, len(w), g.Interest(1, w, nil))}}
	}
	ids := func(t blobsTick) map[uint32]bool {
		m := map[uint32]bool{}
		for i, e := range t.view.World {
			if t.view.Seen[i/64]&(1<<(i%64)) != 0 {
				m[e.ID] = true
			}
		}
		return m
	}
	prev := at()
	for range 300 {
		g.Step(nil)
		next := at()
		seen := ids(next)
		for id := range ids(prev) {
			if !seen[id] {
				return g.Schema(), prev, next
			}
		}
		prev = next
	}
	panic("no pellet eaten in view in 300 ticks")
}
