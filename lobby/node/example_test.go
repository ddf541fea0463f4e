package node_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby/node"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/client"
)

// Tag, a whole game: one player is "it", and touching another makes that
// one "it". Every second not "it" scores a point. State is integers, time
// is the tick, players stay sorted by id: the game is deterministic.
const (
	size, radius, speed = 800, 16, 4 // px, px, px per tick
	cooldown            = 30         // ticks before a new "it" may tag
	eventTagged         = game.FirstGameEvent
)

func tagDefinition() game.Definition {
	return game.Definition{
		Name: "tag", Title: "Tag",
		Modes: []game.Mode{{Name: "ffa", Title: "Everyone", MaxPlayers: 8, Limit: 16}},
		New:   func(cfg game.Config) game.Game { return &tag{rate: int32(cfg.TickRate)} },
		Bots:  map[string]game.NewBot{"chase": func(*game.Schema, int, uint64) game.Bot { return chaser{} }},
	}
}

// tagSchema is what clients see: each player's position (sent as
// differences, interpolated), whether it is "it", and its score.
var tagSchema = &game.Schema{
	Game: "tag",
	Kinds: []game.Kind{{ID: 1, Name: "player", Fields: []game.Field{
		{Name: "x", Type: game.Int16, Delta: game.Diff, Unit: "px", Interp: true},
		{Name: "y", Type: game.Int16, Delta: game.Diff, Unit: "px", Interp: true},
		{Name: "it", Type: game.Uint8, Delta: game.Value},
		{Name: "score", Type: game.Int16, Delta: game.Value, Unit: "s"},
	}}},
	Input:  []game.InputField{{Name: "dx", Min: -1, Max: 1}, {Name: "dy", Min: -1, Max: 1}},
	Events: []game.EventDef{{Kind: eventTagged, Name: "tagged", A: "tagger", B: "tagged"}},
	World:  map[string]any{"size": size, "radius": radius},
}

type tag struct {
	rate    int32 // ticks per second
	tick    uint32
	it      game.PlayerID // 0 while nobody plays
	safe    uint32        // "it" may not tag before this tick
	players []player      // sorted by id
}

type player struct {
	id           game.PlayerID
	x, y, dx, dy int32
	free         int32 // ticks not "it"
}

func (t *tag) Schema() *game.Schema { return tagSchema }
func (t *tag) Tick() uint32         { return t.tick }

func (t *tag) find(id game.PlayerID) (int, bool) {
	return slices.BinarySearchFunc(t.players, id, func(p player, id game.PlayerID) int { return int(p.id) - int(id) })
}

func (t *tag) Join(id game.PlayerID, name string) error {
	i, found := t.find(id)
	if found {
		return fmt.Errorf("tag: player %d is already playing", id)
	}
	t.players = slices.Insert(t.players, i, player{id: id, x: int32(id*97%(size-2*radius)) + radius, y: size / 2})
	if t.it == 0 {
		t.it = id
	}
	return nil
}

func (t *tag) Leave(id game.PlayerID) {
	if i, ok := t.find(id); ok {
		t.players = slices.Delete(t.players, i, i+1)
	}
	if t.it == id {
		t.it = 0
		if len(t.players) > 0 {
			t.it = t.players[0].id
		}
	}
}

func (t *tag) SetInput(id game.PlayerID, in game.Input) {
	if i, ok := t.find(id); ok {
		t.players[i].dx, t.players[i].dy = in.V[0], in.V[1]
	}
}

// SetAway stops a player whose connection dropped; its seat is held.
func (t *tag) SetAway(id game.PlayerID, away bool) { t.SetInput(id, game.Input{}) }

func (t *tag) Step(ev []game.Event) []game.Event {
	t.tick++
	it := -1
	for i := range t.players {
		p := &t.players[i]
		p.x = min(max(p.x+p.dx*speed, radius), size-radius)
		p.y = min(max(p.y+p.dy*speed, radius), size-radius)
		if p.id == t.it {
			it = i
		} else {
			p.free++
		}
	}
	if it < 0 || t.tick < t.safe {
		return ev
	}
	for _, p := range t.players {
		dx, dy := p.x-t.players[it].x, p.y-t.players[it].y
		if p.id != t.it && dx*dx+dy*dy < 4*radius*radius {
			ev = append(ev, game.Event{Kind: eventTagged, A: t.it, B: p.id})
			t.it, t.safe = p.id, t.tick+cooldown
			break
		}
	}
	return ev
}

func (t *tag) World(dst []game.Entity) []game.Entity {
	for _, p := range t.players {
		e := game.Entity{ID: p.id, Kind: 1, V: [game.MaxFields]int32{p.x, p.y, 0, t.Score(p.id)}}
		if p.id == t.it {
			e.V[2] = 1
		}
		dst = append(dst, e)
	}
	return dst
}

// Interest: the field is small, so everyone sees everyone.
func (t *tag) Interest(id game.PlayerID, world []game.Entity, dst []int32) []int32 {
	for i := range world {
		dst = append(dst, int32(i))
	}
	return dst
}

func (t *tag) Score(id game.PlayerID) int32 {
	i, ok := t.find(id)
	if !ok {
		return 0
	}
	return t.players[i].free / max(t.rate, 1)
}

func (t *tag) Hash() uint64 {
	h := game.NewHash64().Uint64(uint64(t.tick)).Uint64(uint64(t.it)).Uint64(uint64(t.safe))
	for _, p := range t.players {
		h = h.Uint64(uint64(p.id)).Int32(p.x).Int32(p.y).Int32(p.dx).Int32(p.dy).Int32(p.free)
	}
	return uint64(h)
}

// chaser is tag's bot: "it" runs at the nearest player, the others stand.
type chaser struct{}

func (chaser) Think(me game.PlayerID, tick uint32, view []game.Entity, events []game.Event) game.Input {
	var in game.Input
	i := slices.IndexFunc(view, func(e game.Entity) bool { return e.ID == me })
	if i < 0 || view[i].V[2] == 0 {
		return in
	}
	best := int32(-1)
	for _, e := range view {
		dx, dy := e.V[0]-view[i].V[0], e.V[1]-view[i].V[1]
		if d := dx*dx + dy*dy; e.ID != me && (best < 0 || d < best) {
			best, in.V[0], in.V[1] = d, sign(dx), sign(dy)
		}
	}
	return in
}

func sign(v int32) int32 { return int32(min(max(v, -1), 1)) }

// A program of one's own serves tag with everything tickroom's own has:
// lobby, rooms, browser client, metrics, health and graceful shutdown.
// Here it listens on a port of the system's choosing; two players quick
// play tag, and the first, "it", chases the second with the game's bot.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		noEnv := func(string) string { return "" }
		served <- node.Run(ctx, []string{"-default-room", ""}, noEnv, io.Discard,
			node.Options{Games: []game.Definition{tagDefinition()}, Listener: ln})
	}()
	server := "http://" + ln.Addr().String()

	join := func(name string) *client.Client {
		seat, err := client.QuickPlay(ctx, server, "tag", "", name, nil)
		if err != nil {
			panic(err)
		}
		c, err := client.Dial(ctx, seat.WSURL, nil)
		if err != nil {
			panic(err)
		}
		return c
	}
	ada, bob := join("ada"), join("bob")
	fmt.Println(ada.Welcome().Game, "room: ada is player", ada.PlayerID(), "and bob", bob.PlayerID())

	bot := tagDefinition().Bots["chase"](ada.Schema(), int(ada.Welcome().TickRate), 1)
	for {
		u, err := ada.Read(ctx)
		if err != nil {
			panic(err)
		}
		if i := slices.IndexFunc(u.Events, func(e game.Event) bool { return e.Kind == eventTagged }); i >= 0 {
			fmt.Printf("player %d tagged player %d\n", u.Events[i].A, u.Events[i].B)
			break
		}
		if u.Type == netcode.MsgSnapshot {
			ada.SendInput(ctx, bot.Think(ada.PlayerID(), u.Tick, u.Entities, u.Events))
		}
	}
	ada.Close()
	bob.Close()
	stop()
	fmt.Println("shut down:", <-served)
	// Output:
	// tag room: ada is player 1 and bob 2
	// player 1 tagged player 2
	// shut down: <nil>
}
