package netcode

import (
	"math"
	"math/bits"
	"unicode/utf8"

	"github.com/tickroom/tickroom/game"
)

// DecodeClient decodes one client → server frame into m, checking an
// input against the schema: one value per input field, each within the
// field's range. It rejects frames over MaxFrameBytes, unknown types, wrong
// array lengths, values out of range, NaN and infinities, invalid or
// over-long chat text and trailing bytes; every error wraps ErrMalformed
// and names the message and the field. Chat text is cleaned (CleanText:
// no control characters, escape sequences or bidi controls, trimmed) and
// refused when nothing visible is left. On error m is left in an
// unspecified state.
func (c *Codec) DecodeClient(data []byte, m *ClientMessage) error {
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
		err = d.input(n, c.input, &m.Input)
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

// input reads [1, seq, values...] with a value for each of fields.
func (d *reader) input(n int, fields []game.InputField, in *game.Input) error {
	d.msg = "input"
	if err := d.arity(n, 2+len(fields)); err != nil {
		return err
	}
	seq, err := d.uint("seq", math.MaxUint32)
	if err != nil {
		return err
	}
	*in = game.Input{Seq: uint32(seq)}
	for i := range fields {
		f := &fields[i]
		v, err := d.intIn(f.Name, int64(f.Min), int64(f.Max))
		if err != nil {
			return err
		}
		in.V[i] = int32(v)
	}
	return nil
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
// (snapshot changes and removals, events, roster) where it can: copy what
// you keep before the next call. It needs no schema: a welcome carries
// one, and a snapshot's changes stay wire values until Baselines.Apply
// reads them with it. A welcome over MaxWelcomeBytes is refused before it
// is read. Every error wraps ErrMalformed. On error m is left in an
// unspecified state.
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
		if len(data) > MaxWelcomeBytes {
			d.msg = "welcome"
			return d.errorf("%d bytes, larger than %d", len(data), MaxWelcomeBytes)
		}
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
	roster := m.Welcome.Roster[:0]
	changes, removed, events := m.Snapshot.Changes[:0], m.Snapshot.Removed[:0], m.Events[:0]
	*m = ServerMessage{Type: t, Events: events}
	m.Welcome.Roster = roster
	m.Snapshot.Changes, m.Snapshot.Removed = changes, removed
}

// welcome reads [10, playerID, roomID, tickRate, sendRate, tick,
// serverTime, reconnectToken, lastEventSeq, lastInputSeq, roster, game, mode,
// schema].
func (d *reader) welcome(n int, w *Welcome) (err error) {
	d.msg = "welcome"
	if err := d.arity(n, 14); err != nil {
		return err
	}
	if w.PlayerID, err = d.uint32("playerID"); err != nil {
		return err
	}
	if w.RoomID, err = d.str("roomID", MaxTextBytes); err != nil {
		return err
	}
	if err := d.rates(w); err != nil {
		return err
	}
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
	if w.LastInputSeq, err = d.uint32("lastInputSeq"); err != nil {
		return err
	}
	if w.Roster, err = d.roster(w.Roster); err != nil {
		return err
	}
	if w.Game, err = d.str("game", MaxTextBytes); err != nil {
		return err
	}
	if w.Mode, err = d.str("mode", MaxTextBytes); err != nil {
		return err
	}
	w.Schema, err = d.schema()
	return err
}

// rates reads tickRate and sendRate, which must divide it.
func (d *reader) rates(w *Welcome) error {
	rate, err := d.uint("tickRate", math.MaxUint8)
	if err != nil {
		return err
	}
	if rate == 0 {
		return d.errorf("tickRate: 0")
	}
	send, err := d.uint("sendRate", rate)
	if err != nil {
		return err
	}
	if send == 0 || rate%send != 0 {
		return d.errorf("sendRate: %d does not divide tickRate %d", send, rate)
	}
	w.TickRate, w.SendRate = uint8(rate), uint8(send)
	return nil
}

func (d *reader) uint32(field string) (uint32, error) {
	v, err := d.uint(field, math.MaxUint32)
	return uint32(v), err
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

// maxChangeValues is the longest flat changes array: id gap, mask, kind
// and every field of every entity.
const maxChangeValues = MaxEntities * (3 + game.MaxFields)

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
// them to dst, as wire values: what they mean depends on each entity's
// kind, which Baselines.Apply knows.
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
		mask, err := d.uint("mask", 1<<(game.MaxFields+1)-1)
		if err != nil {
			return dst, err
		}
		left -= 2 + bits.OnesCount16(uint16(mask))
		if left < 0 {
			return dst, d.errorf("changes: entity %d: mask 0x%x needs more values than left", id, mask)
		}
		dst = append(dst, EntityChange{ID: uint32(id), Mask: uint16(mask)})
		if err := d.fields(&dst[len(dst)-1]); err != nil {
			return dst, err
		}
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

// fields reads the kind, when its bit is set, and the wire value of each
// field set in c.Mask, in bit order.
func (d *reader) fields(c *EntityChange) error {
	if c.Mask&1 != 0 {
		k, err := d.uint("kind", math.MaxUint8)
		if err != nil {
			return err
		}
		if k == 0 {
			return d.errorf("entity %d: kind 0", c.ID)
		}
		c.Kind = uint8(k)
	}
	for m := c.Mask >> 1; m != 0; m &= m - 1 {
		i := bits.TrailingZeros16(m)
		v, err := d.intIn("field", math.MinInt32, math.MaxUint32)
		if err != nil {
			return err
		}
		c.V[i] = v
	}
	return nil
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
