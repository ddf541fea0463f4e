package rooms

import "github.com/tickroom/tickroom/game"

// OpKind tells what a recorded operation did to the game.
type OpKind uint8

const (
	OpJoin  OpKind = 1 // Player joined as Name
	OpLeave OpKind = 2 // Player left
	OpInput OpKind = 3 // Player's input for this tick
	OpAway  OpKind = 4 // Player's connection went away (Away) or came back
)

// Op is one call a room made on its game, in order.
type Op struct {
	Kind   OpKind
	Player uint32
	Name   string     // OpJoin
	Input  game.Input // OpInput
	Away   bool       // OpAway
}

// TickRecord is everything a room did to its game before one Step, in the
// order it did it. Replaying the records of a room into a fresh game built
// with the same Config reproduces every state exactly: this is the
// seam for replays and spectators.
type TickRecord struct {
	Tick uint32 // the tick this Step produced
	Ops  []Op
}

// Recorder receives a room's tick records. Record runs on the room's
// goroutine once per tick, so it must be fast (hand the record to a
// buffered writer); it must not retain rec or its Ops.
type Recorder interface {
	Record(roomID string, rec *TickRecord)
}

// record notes an operation on the game for the recorder, if any.
func (r *Room) record(op Op) {
	if r.opts.Recorder != nil {
		r.rec.Ops = append(r.rec.Ops, op)
	}
}

// flushRecord hands this tick's record to the recorder.
func (r *Room) flushRecord(tick uint32) {
	if r.opts.Recorder == nil {
		return
	}
	r.rec.Tick = tick
	r.opts.Recorder.Record(r.id, &r.rec)
	r.rec.Ops = r.rec.Ops[:0]
}

// Replay applies recorded ticks to g (a fresh game from the same
// Config) and returns the events its Steps produced.
func Replay(g game.Game, recs []TickRecord) []game.Event {
	var ev []game.Event
	for _, rec := range recs {
		for _, op := range rec.Ops {
			switch op.Kind {
			case OpJoin:
				g.Join(op.Player, op.Name)
			case OpLeave:
				g.Leave(op.Player)
			case OpInput:
				g.SetInput(op.Player, op.Input)
			case OpAway:
				g.SetAway(op.Player, op.Away)
			}
		}
		ev = g.Step(ev)
	}
	return ev
}
