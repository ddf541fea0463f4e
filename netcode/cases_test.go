package netcode

import (
	"github.com/tickroom/tickroom/game"
)

// goldenCase is the source of one golden vector.
type goldenCase struct {
	name             string
	client, snapshot bool
	data             []byte
	base, state      []game.Entity // snapshots
}

// sceneA is a small world: two players and a projectile.
func sceneA() []game.Entity {
	return []game.Entity{
		{ID: 1, Kind: game.KindPlayer, X: 800, Y: 640, Angle: 16384, HP: 100, Score: 3},
		{ID: 2, Kind: game.KindPlayer, X: 2400, Y: 1600, VX: -960, HP: 75, Score: -1},
		{ID: 40, Kind: game.KindProjectile, X: 1000, Y: 700, VX: 4000, Owner: 1, Born: 5},
	}
}

// sceneB is sceneA a few ticks later: player 1 moved left and up and was
// hit, player 2 stopped and died, projectile 40 is gone, projectile 41 was
// fired.
func sceneB() []game.Entity {
	return []game.Entity{
		{ID: 1, Kind: game.KindPlayer, X: 760, Y: 600, VX: -240, VY: -240, Angle: 16384, HP: 80, Score: 3},
		{ID: 2, Kind: game.KindPlayer, X: 2400, Y: 1600, HP: 0, Flags: game.FlagDead, Score: -1},
		{ID: 41, Kind: game.KindProjectile, X: 2380, Y: 1600, VX: -4000, Angle: 32768, Owner: 2, Born: 9},
	}
}

func goldenCases() []goldenCase {
	cl := func(name string, data []byte) goldenCase { return goldenCase{name: name, client: true, data: data} }
	sv := func(name string, data []byte) goldenCase { return goldenCase{name: name, data: data} }
	snap := func(name string, tick, baseTick, ack uint32, base, state []game.Entity) goldenCase {
		return goldenCase{name: name, snapshot: true, base: base, state: state,
			data: AppendSnapshot(nil, tick, baseTick, ack, base, state)}
	}
	welcome := &Welcome{
		PlayerID: 2, RoomID: "r-7f3a", TickRate: 20, Tick: 1200, ServerTime: 60000.5,
		ReconnectToken: "tok-1b2c", LastEventSeq: 17,
		Map:      game.Map{W: 1600, H: 1200, Walls: []game.Wall{{X: 0, Y: 0, W: 1600, H: 16}, {X: 400, Y: 300, W: 32, H: 600}}},
		Roster:   []RosterEntry{{ID: 1, Name: "ada", Score: 3}, {ID: 2, Name: "bob", Score: -1}},
		SendRate: 10, LastInputSeq: 300,
	}
	empty := &Welcome{PlayerID: 1, RoomID: "r", TickRate: 30, ServerTime: 0, ReconnectToken: "t", SendRate: 30}
	return []goldenCase{
		cl("input", AppendInput(nil, game.Input{Seq: 1, Move: game.MoveUp | game.MoveRight, Aim: 16384, Buttons: game.ButtonFire})),
		cl("input-large", AppendInput(nil, game.Input{Seq: 70000, Move: 0, Aim: 65535, Buttons: 0})),
		cl("ping-fraction", AppendPing(nil, 1234.5)),
		cl("ping-integer", AppendPing(nil, 1700000000000)),
		cl("chat", AppendChat(nil, "hello")),
		cl("chat-unicode", AppendChat(nil, "héllo ✓")),
		cl("leave", AppendLeave(nil)),
		sv("welcome", AppendWelcome(nil, welcome)),
		sv("welcome-empty", AppendWelcome(nil, empty)),
		snap("snapshot-full", 7, 0, 3, nil, sceneA()),
		snap("snapshot-delta", 9, 7, 4, sceneA(), sceneB()),
		snap("snapshot-unchanged", 10, 9, 4, sceneB(), sceneB()),
		snap("snapshot-removals", 11, 9, 5, sceneB(), sceneB()[:1]),
		snap("snapshot-empty-world", 1, 0, 0, nil, nil),
		sv("pong", AppendPong(nil, Pong{ClientTime: 1234.5, Tick: 1201, ServerTime: 60050})),
		sv("events", AppendEvents(nil, []game.Event{
			{Seq: 18, Kind: game.EventJoin, A: 3, Text: "cy"},
			{Seq: 19, Kind: game.EventChat, A: 1, Text: "gg"},
			{Seq: 20, Kind: game.EventKill, A: 1, B: 2},
		})),
		sv("events-empty", AppendEvents(nil, nil)),
		sv("error", AppendError(nil, Error{Code: CodeBadMessage, Message: "input: move out of range"})),
	}
}
