package netcode

import (
	"sync"

	"github.com/tickroom/tickroom/game"
	"github.com/vmihailenco/msgpack/v5"
)

// appendBuf is an io.Writer and io.ByteWriter that appends to a slice, so a
// msgpack.Encoder can write straight into the caller's buffer.
type appendBuf struct{ b []byte }

func (w *appendBuf) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *appendBuf) WriteByte(c byte) error {
	w.b = append(w.b, c)
	return nil
}

// encoder is a pooled msgpack.Encoder bound to its append buffer. Its
// writer never fails, so the encoder's errors are ignored throughout.
type encoder struct {
	*msgpack.Encoder
	buf  appendBuf
	keys []string // a world map's sorted keys while it is written, nested maps' after them
}

var encoders = sync.Pool{New: func() any {
	e := &encoder{Encoder: msgpack.NewEncoder(nil)}
	e.ResetWriter(&e.buf)
	// Integer-valued times are written as ints, as JavaScript encoders do.
	e.UseCompactFloats(true)
	return e
}}

// startMsg takes an encoder from the pool, pointed at b, and writes the
// header of a message array of n elements (the type included).
func startMsg(b []byte, t MsgType, n int) *encoder {
	e := encoders.Get().(*encoder)
	e.buf.b = b
	_ = e.EncodeArrayLen(n)
	_ = e.EncodeUint(uint64(t))
	return e
}

// finish returns the encoder to the pool and the grown buffer to the caller.
func (e *encoder) finish() []byte {
	b := e.buf.b
	e.buf.b = nil
	encoders.Put(e)
	return b
}

// AppendInput appends an input message [1, seq, field...] to b: in.Seq and
// one value for each of the schema's input fields, in order. It does not
// check the ranges; the server does.
func (c *Codec) AppendInput(b []byte, in game.Input) []byte {
	e := startMsg(b, MsgInput, 2+len(c.input))
	_ = e.EncodeUint(uint64(in.Seq))
	for i := range c.input {
		_ = e.EncodeInt(int64(in.V[i]))
	}
	return e.finish()
}

// AppendPing appends a ping message [2, clientTime] to b.
func AppendPing(b []byte, clientTime float64) []byte {
	e := startMsg(b, MsgPing, 2)
	_ = e.EncodeFloat64(clientTime)
	return e.finish()
}

// AppendChat appends a chat message [3, text] to b. It does not check the
// text; the server rejects empty, over-long or invalid text.
func AppendChat(b []byte, text string) []byte {
	e := startMsg(b, MsgChat, 2)
	_ = e.EncodeString(text)
	return e.finish()
}

// AppendLeave appends a leave message [4] to b.
func AppendLeave(b []byte) []byte {
	return startMsg(b, MsgLeave, 1).finish()
}

// AppendWelcome appends a welcome message to b: [10, playerID, roomID,
// tickRate, sendRate, tick, serverTime, reconnectToken, lastEventSeq,
// lastInputSeq, [[id, name, score], ...], game, mode, schema]. The schema's
// world must be one NewCodec accepted.
func AppendWelcome(b []byte, w *Welcome) []byte {
	e := startMsg(b, MsgWelcome, 14)
	_ = e.EncodeUint(uint64(w.PlayerID))
	_ = e.EncodeString(w.RoomID)
	_ = e.EncodeUint(uint64(w.TickRate))
	send := w.SendRate
	if send == 0 {
		send = w.TickRate // a snapshot every tick
	}
	_ = e.EncodeUint(uint64(send))
	_ = e.EncodeUint(uint64(w.Tick))
	_ = e.EncodeFloat64(w.ServerTime)
	_ = e.EncodeString(w.ReconnectToken)
	_ = e.EncodeUint(uint64(w.LastEventSeq))
	_ = e.EncodeUint(uint64(w.LastInputSeq))
	_ = e.EncodeArrayLen(len(w.Roster))
	for _, r := range w.Roster {
		_ = e.EncodeArrayLen(3)
		_ = e.EncodeUint(uint64(r.ID))
		_ = e.EncodeString(r.Name)
		_ = e.EncodeInt(int64(r.Score))
	}
	_ = e.EncodeString(w.Game)
	_ = e.EncodeString(w.Mode)
	e.writeSchema(w.Schema)
	return e.finish()
}

// AppendPong appends a pong message [12, clientTime, tick, serverTime] to b.
func AppendPong(b []byte, p Pong) []byte {
	e := startMsg(b, MsgPong, 4)
	_ = e.EncodeFloat64(p.ClientTime)
	_ = e.EncodeUint(uint64(p.Tick))
	_ = e.EncodeFloat64(p.ServerTime)
	return e.finish()
}

// AppendEvents appends an events message [13, [[seq, kind, a, b, text], ...]]
// to b. Callers send at most MaxEventsBatch events per message.
func AppendEvents(b []byte, ev []game.Event) []byte {
	e := startMsg(b, MsgEvents, 2)
	_ = e.EncodeArrayLen(len(ev))
	for i := range ev {
		v := &ev[i]
		_ = e.EncodeArrayLen(5)
		_ = e.EncodeUint(uint64(v.Seq))
		_ = e.EncodeUint(uint64(v.Kind))
		_ = e.EncodeUint(uint64(v.A))
		_ = e.EncodeUint(uint64(v.B))
		_ = e.EncodeString(v.Text)
	}
	return e.finish()
}

// AppendError appends an error message [14, code, message] to b.
func AppendError(b []byte, er Error) []byte {
	e := startMsg(b, MsgError, 3)
	_ = e.EncodeUint(uint64(er.Code))
	_ = e.EncodeString(er.Message)
	return e.finish()
}
