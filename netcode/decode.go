package netcode

import (
	"math"
	"math/bits"
	"unicode/utf8"

	"github.com/tickroom/tickroom/game"
)

// DecodeClient decodes one client → server frame into m. It rejects frames
// over MaxFrameBytes, unknown types, wrong array lengths, values out of
// range, NaN and infinities, invalid or over-long chat text and trailing
// bytes; every error wraps ErrMalformed. Chat text is cleaned (CleanText:
// no control characters, escape sequences or bidi controls, trimmed) and
// refused when nothing visible is left. On error m is left in an
// unspecified state.
func DecodeClient(data []byte, m *ClientMessage) error {
	d := getReader(data)
	defer d.release()
	if len(data) > MaxFrameBytes {
		return d.errorf("%d bytes, larger than %d", len(data), MaxFrameBytes)
	}
	n, t, err := d.header()
	if err != nil {
		return err
	}
	*m = ClientMessage{Type: t}
	switch t {
	case MsgInput:
		err = d.input(n, &m.Input)
	case MsgPing:
		err = d.ping(n, m)
	case MsgChat:
		err = d.chat(n, m)
	case MsgLeave:
		d.msg = "leave"
		err = d.arity(n, 1)
	default:
		return d.errorf("unknown client message type %d", t)
	}
	if err != nil {
		return err
	}
	return d.end()
}

func (d *reader) input(n int, in *game.Input) error {
	d.msg = "input"
	if err := d.arity(n, 5); err != nil {
		return err
	}
	seq, err := d.uint("seq", math.MaxUint32)
	if err != nil {
		return err
	}
	move, err := d.uint("move", 15)
	if err != nil {
		return err
	}
	aim, err := d.uint("aim", math.MaxUint16)
	if err != nil {
		return err
	}
	buttons, err := d.uint("buttons", math.MaxUint8)
	*in = game.Input{Seq: uint32(seq), Move: uint8(move), Aim: uint16(aim), Buttons: uint8(buttons)}
	return err
}

func (d *reader) ping(n int, m *ClientMessage) (err error) {
	d.msg = "ping"
	if err := d.arity(n, 2); err != nil {
		return err
	}
	m.ClientTime, err = d.float("clientTime")
	return err
}

func (d *reader) chat(n int, m *ClientMessage) error {
	d.msg = "chat"
	if err := d.arity(n, 2); err != nil {
		return err
	}
	b, err := d.strBytes("text", MaxFrameBytes)
	if err != nil {
		return err
	}
	text, err := CleanText(string(b))
	if err != nil {
		return d.errorf("text %v", err)
	}
	if utf8.RuneCountInString(text) > MaxChatRunes {
		return d.errorf("text longer than %d runes", MaxChatRunes)
	}
	m.Text = text
	return nil
}

// DecodeServer decodes one server → client frame into m, reusing m's slices
// (snapshot changes and removals, events, walls, roster) where it can: copy
// what you keep before the next call. Every error wraps ErrMalformed. On
// error m is left in an unspecified state.
func DecodeServer(data []byte, m *ServerMessage) error {
	d := getReader(data)
	defer d.release()
	n, t, err := d.header()
	if err != nil {
		return err
	}
	m.reset(t)
	switch t {
	case MsgWelcome:
		err = d.welcome(n, &m.Welcome)
	case MsgSnapshot:
		err = d.snapshot(n, &m.Snapshot)
	case MsgPong:
		err = d.pong(n, &m.Pong)
	case MsgEvents:
		m.Events, err = d.events(n, m.Events)
	case MsgError:
		err = d.error(n, &m.Error)
	default:
		return d.errorf("unknown server message type %d", t)
	}
	if err != nil {
		return err
	}
	return d.end()
}

// reset clears m for a message of type t, keeping its slices' storage.
func (m *ServerMessage) reset(t MsgType) {
	walls, roster := m.Welcome.Map.Walls[:0], m.Welcome.Roster[:0]
	changes, removed, events := m.Snapshot.Changes[:0], m.Snapshot.Removed[:0], m.Events[:0]
	*m = ServerMessage{Type: t, Events: events}
	m.Welcome.Map.Walls, m.Welcome.Roster = walls, roster
	m.Snapshot.Changes, m.Snapshot.Removed = changes, removed
}

func (d *reader) welcome(n int, w *Welcome) (err error) {
	d.msg = "welcome"
	if err := d.arity(n, 12); err != nil {
		return err
	}
	if w.PlayerID, err = d.uint32("playerID"); err != nil {
		return err
	}
	if w.RoomID, err = d.str("roomID", MaxTextBytes); err != nil {
		return err
	}
	rate, err := d.uint("tickRate", math.MaxUint8)
	if err != nil {
		return err
	}
	if rate == 0 {
		return d.errorf("tickRate: 0")
	}
	w.TickRate = uint8(rate)
	if w.Tick, err = d.uint32("tick"); err != nil {
		return err
	}
	if w.ServerTime, err = d.float("serverTime"); err != nil {
		return err
	}
	if w.ReconnectToken, err = d.str("reconnectToken", MaxTextBytes); err != nil {
		return err
	}
	if w.LastEventSeq, err = d.uint32("lastEventSeq"); err != nil {
		return err
	}
	if err := d.gameMap(&w.Map); err != nil {
		return err
	}
	if w.Roster, err = d.roster(w.Roster); err != nil {
		return err
	}
	send, err := d.uint("sendRate", uint64(w.TickRate))
	if err != nil {
		return err
	}
	if send == 0 || w.TickRate%uint8(send) != 0 {
		return d.errorf("sendRate: %d does not divide tickRate %d", send, w.TickRate)
	}
	w.SendRate = uint8(send)
	w.LastInputSeq, err = d.uint32("lastInputSeq")
	return err
}

func (d *reader) uint32(field string) (uint32, error) {
	v, err := d.uint(field, math.MaxUint32)
	return uint32(v), err
}

// gameMap reads [mapW, mapH, [x,y,w,h, ...]].
func (d *reader) gameMap(m *game.Map) (err error) {
	if _, err := d.arrayLen("map", 3, 3); err != nil {
		return err
	}
	if m.W, err = d.int32("mapW"); err != nil {
		return err
	}
	if m.H, err = d.int32("mapH"); err != nil {
		return err
	}
	n, err := d.arrayLen("walls", 0, 4*MaxWalls)
	if err != nil {
		return err
	}
	if n%4 != 0 {
		return d.errorf("walls: %d values, not a multiple of 4", n)
	}
	for range n / 4 {
		var v [4]int32
		for j := range v {
			if v[j], err = d.int32("wall"); err != nil {
				return err
			}
		}
		m.Walls = append(m.Walls, game.Wall{X: v[0], Y: v[1], W: v[2], H: v[3]})
	}
	return nil
}

// roster reads [[id, name, score], ...] and appends it to dst.
func (d *reader) roster(dst []RosterEntry) ([]RosterEntry, error) {
	n, err := d.arrayLen("roster", 0, MaxRoster)
	if err != nil {
		return dst, err
	}
	for range n {
		if _, err := d.arrayLen("roster entry", 3, 3); err != nil {
			return dst, err
		}
		var r RosterEntry
		if r.ID, err = d.uint32("roster id"); err != nil {
			return dst, err
		}
		if r.Name, err = d.str("roster name", MaxTextBytes); err != nil {
			return dst, err
		}
		if r.Score, err = d.int32("roster score"); err != nil {
			return dst, err
		}
		dst = append(dst, r)
	}
	return dst, nil
}

func (d *reader) pong(n int, p *Pong) (err error) {
	d.msg = "pong"
	if err := d.arity(n, 4); err != nil {
		return err
	}
	if p.ClientTime, err = d.float("clientTime"); err != nil {
		return err
	}
	if p.Tick, err = d.uint32("tick"); err != nil {
		return err
	}
	p.ServerTime, err = d.float("serverTime")
	return err
}

// events reads [[seq, kind, a, b, text], ...] and appends it to dst.
func (d *reader) events(n int, dst []game.Event) ([]game.Event, error) {
	d.msg = "events"
	if err := d.arity(n, 2); err != nil {
		return dst, err
	}
	n, err := d.arrayLen("events", 0, MaxEventsBatch)
	if err != nil {
		return dst, err
	}
	for range n {
		if _, err := d.arrayLen("event", 5, 5); err != nil {
			return dst, err
		}
		var ev game.Event
		if ev.Seq, err = d.uint32("seq"); err != nil {
			return dst, err
		}
		kind, err := d.uint("kind", math.MaxUint8)
		if err != nil {
			return dst, err
		}
		ev.Kind = game.EventKind(kind)
		if ev.A, err = d.uint32("a"); err != nil {
			return dst, err
		}
		if ev.B, err = d.uint32("b"); err != nil {
			return dst, err
		}
		if ev.Text, err = d.str("text", MaxTextBytes); err != nil {
			return dst, err
		}
		dst = append(dst, ev)
	}
	return dst, nil
}

func (d *reader) error(n int, e *Error) error {
	d.msg = "error"
	if err := d.arity(n, 3); err != nil {
		return err
	}
	code, err := d.uint("code", math.MaxUint16)
	if err != nil {
		return err
	}
	e.Code = ErrorCode(code)
	e.Message, err = d.str("message", MaxTextBytes)
	return err
}

// maxChangeValues is the longest flat changes array: id gap, mask and
// eleven fields per entity.
const maxChangeValues = MaxEntities * (2 + 11)

func (d *reader) snapshot(n int, s *Snapshot) (err error) {
	d.msg = "snapshot"
	if err := d.arity(n, 6); err != nil {
		return err
	}
	if s.Tick, err = d.uint32("tick"); err != nil {
		return err
	}
	age, err := d.uint32("baseAge")
	if err != nil {
		return err
	}
	if age != 0 && age >= s.Tick {
		return d.errorf("baseAge %d: baseline not after tick 0 (tick %d)", age, s.Tick)
	}
	s.BaseTick = 0
	if age != 0 {
		s.BaseTick = s.Tick - age
	}
	if s.AckSeq, err = d.uint32("ackSeq"); err != nil {
		return err
	}
	if s.Changes, err = d.changes(s.Changes, s.Tick); err != nil {
		return err
	}
	s.Removed, err = d.ids(s.Removed)
	return err
}

// changes reads the flat entity changes of the snapshot at tick and appends
// them to dst.
func (d *reader) changes(dst []EntityChange, tick uint32) ([]EntityChange, error) {
	n, err := d.arrayLen("changes", 0, maxChangeValues)
	if err != nil {
		return dst, err
	}
	id := uint64(0)
	for left := n; left > 0; {
		if len(dst) == MaxEntities {
			return dst, d.errorf("changes: more than %d entities", MaxEntities)
		}
		if left < 2 {
			return dst, d.errorf("changes: entity %d cut short", len(dst))
		}
		if id, err = d.nextID("changes id gap", id, len(dst) == 0); err != nil {
			return dst, err
		}
		mask, err := d.uint("mask", uint64(fieldAll))
		if err != nil {
			return dst, err
		}
		left -= 2 + bits.OnesCount16(uint16(mask))
		if left < 0 {
			return dst, d.errorf("changes: entity %d: mask 0x%x needs more values than left", id, mask)
		}
		c := EntityChange{Mask: uint16(mask), Entity: game.Entity{ID: uint32(id)}}
		if err := d.fields(&c, tick); err != nil {
			return dst, err
		}
		dst = append(dst, c)
	}
	return dst, nil
}

// nextID reads an id gap (field names the list) and returns the id it leads
// to: ids ascend strictly, and only the first gap may be 0.
func (d *reader) nextID(field string, prev uint64, first bool) (uint64, error) {
	gap, err := d.uint(field, math.MaxUint32)
	if err != nil {
		return 0, err
	}
	if gap == 0 && !first {
		return 0, d.errorf("%s: id gap 0 after id %d", field, prev)
	}
	if prev+gap > math.MaxUint32 {
		return 0, d.errorf("%s: id %d out of range", field, prev+gap)
	}
	return prev + gap, nil
}

// fields reads the values of the fields set in c.Mask, in bit order, of a
// change in the snapshot at tick: differences are unzigzagged and the age
// of Born made a tick again.
func (d *reader) fields(c *EntityChange, tick uint32) error {
	e := &c.Entity
	for m := c.Mask; m != 0; m &= m - 1 {
		var err error
		var v uint64
		switch uint16(1) << bits.TrailingZeros16(m) {
		case FieldKind:
			v, err = d.uint("kind", math.MaxUint8)
			e.Kind = game.Kind(v)
		case FieldX:
			e.X, err = d.diff("x")
		case FieldY:
			e.Y, err = d.diff("y")
		case FieldVX:
			e.VX, err = d.diff("vx")
		case FieldVY:
			e.VY, err = d.diff("vy")
		case FieldAngle:
			v, err = d.uint("angle", math.MaxUint16)
			e.Angle = uint16(v)
		case FieldHP:
			v, err = d.uint("hp", math.MaxUint8)
			e.HP = uint8(v)
		case FieldFlags:
			v, err = d.uint("flags", math.MaxUint8)
			e.Flags = uint8(v)
		case FieldScore:
			e.Score, err = d.int32("score")
		case FieldOwner:
			e.Owner, err = d.uint32("owner")
		case FieldBorn:
			v, err = d.uint("born age", math.MaxUint32)
			e.Born = tick - uint32(v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// diff reads a zigzag-coded int32 difference.
func (d *reader) diff(field string) (int32, error) {
	v, err := d.uint(field, math.MaxUint32)
	return unzigzag(uint32(v)), err
}

// ids reads the gap-coded ascending removed ids and appends them to dst.
func (d *reader) ids(dst []uint32) ([]uint32, error) {
	n, err := d.arrayLen("removed", 0, MaxEntities)
	if err != nil {
		return dst, err
	}
	id := uint64(0)
	for i := range n {
		if id, err = d.nextID("removed id gap", id, i == 0); err != nil {
			return dst, err
		}
		dst = append(dst, uint32(id))
	}
	return dst, nil
}

// SnapshotTick reads the tick of a snapshot frame without decoding the
// rest, for clients that only count snapshots; ok is false for any other
// frame.
func SnapshotTick(frame []byte) (tick uint32, ok bool) {
	if len(frame) < 3 || frame[0] != 0x96 || frame[1] != byte(MsgSnapshot) {
		return 0, false
	}
	d := getReader(frame[2:])
	defer d.release()
	tick, err := d.uint32("tick")
	return tick, err == nil
}
