package netcode

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sync"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// ErrMalformed is wrapped by every decode error; the error's text names the
// message, the field and the problem.
var ErrMalformed = errors.New("netcode: malformed message")

// reader is a pooled msgpack.Decoder over an in-memory frame that accepts
// only what the protocol allows: no nil in place of a value, integers in
// range, finite numbers, valid UTF-8, lengths checked against the limits and
// against the bytes left before anything is allocated.
type reader struct {
	dec     *msgpack.Decoder
	r       bytes.Reader
	msg     string // the message being decoded, for errors
	scratch []byte
}

var readers = sync.Pool{New: func() any {
	return &reader{dec: msgpack.NewDecoder(nil)}
}}

func getReader(data []byte) *reader {
	d := readers.Get().(*reader)
	d.r.Reset(data)
	d.dec.Reset(&d.r) // a *bytes.Reader is read directly, without buffering
	d.msg = "frame"
	return d
}

func (d *reader) release() {
	d.r.Reset(nil)
	d.dec.Reset(nil)
	if cap(d.scratch) > MaxFrameBytes {
		d.scratch = nil
	}
	readers.Put(d)
}

// errorf returns an error wrapping ErrMalformed, prefixed with the message.
func (d *reader) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformed, d.msg, fmt.Sprintf(format, args...))
}

// header reads the message array's length and its type.
func (d *reader) header() (n int, t MsgType, err error) {
	if n, err = d.arrayLen("array", 1, 16); err != nil {
		return 0, 0, err
	}
	v, err := d.uint("type", math.MaxUint8)
	return n, MsgType(v), err
}

// arity checks the message array's length.
func (d *reader) arity(n, want int) error {
	if n != want {
		return d.errorf("%d elements, want %d", n, want)
	}
	return nil
}

// end reports trailing bytes after the message.
func (d *reader) end() error {
	if n := d.r.Len(); n > 0 {
		return d.errorf("%d trailing bytes", n)
	}
	return nil
}

// peek returns the next value's msgpack code.
func (d *reader) peek(field string) (byte, error) {
	if d.r.Len() == 0 {
		return 0, d.errorf("%s: truncated", field)
	}
	c, _ := d.dec.PeekCode()
	return c, nil
}

// wrap turns a decoder error, which can only be a short read here, into a
// malformed-message error.
func (d *reader) wrap(field string, err error) error {
	if err != nil {
		return d.errorf("%s: truncated", field)
	}
	return nil
}

func isInt(c byte) bool {
	return msgpcode.IsFixedNum(c) || isSignedInt(c) ||
		c == msgpcode.Uint8 || c == msgpcode.Uint16 || c == msgpcode.Uint32 || c == msgpcode.Uint64
}

func isSignedInt(c byte) bool {
	return c >= msgpcode.NegFixedNumLow ||
		c == msgpcode.Int8 || c == msgpcode.Int16 || c == msgpcode.Int32 || c == msgpcode.Int64
}

// uint reads an integer in 0..max, in any msgpack integer form.
func (d *reader) uint(field string, max uint64) (uint64, error) {
	c, err := d.peek(field)
	if err != nil {
		return 0, err
	}
	if !isInt(c) {
		return 0, d.errorf("%s: want an integer, got code 0x%02x", field, c)
	}
	if isSignedInt(c) {
		v, err := d.dec.DecodeInt64()
		if err != nil {
			return 0, d.wrap(field, err)
		}
		if v < 0 {
			return 0, d.errorf("%s: %d out of range 0..%d", field, v, max)
		}
		return d.uintMax(field, uint64(v), max)
	}
	v, err := d.dec.DecodeUint64()
	if err != nil {
		return 0, d.wrap(field, err)
	}
	return d.uintMax(field, v, max)
}

func (d *reader) uintMax(field string, v, max uint64) (uint64, error) {
	if v > max {
		return 0, d.errorf("%s: %d out of range 0..%d", field, v, max)
	}
	return v, nil
}

// int32 reads an integer in the int32 range, in any msgpack integer form.
func (d *reader) int32(field string) (int32, error) {
	c, err := d.peek(field)
	if err != nil {
		return 0, err
	}
	if !isInt(c) {
		return 0, d.errorf("%s: want an integer, got code 0x%02x", field, c)
	}
	if c == msgpcode.Uint64 || c == msgpcode.Uint32 {
		v, err := d.uint(field, math.MaxInt32)
		return int32(v), err
	}
	v, err := d.dec.DecodeInt64()
	if err != nil {
		return 0, d.wrap(field, err)
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, d.errorf("%s: %d out of int32 range", field, v)
	}
	return int32(v), nil
}

// float reads any finite msgpack number: JavaScript encoders write
// integer-valued doubles as integers.
func (d *reader) float(field string) (float64, error) {
	c, err := d.peek(field)
	if err != nil {
		return 0, err
	}
	var v float64
	switch {
	case c == msgpcode.Float || c == msgpcode.Double || (isInt(c) && c != msgpcode.Uint64):
		v, err = d.dec.DecodeFloat64()
	case c == msgpcode.Uint64:
		var u uint64
		u, err = d.dec.DecodeUint64()
		v = float64(u)
	default:
		return 0, d.errorf("%s: want a number, got code 0x%02x", field, c)
	}
	if err != nil {
		return 0, d.wrap(field, err)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, d.errorf("%s: %v is not a finite number", field, v)
	}
	return v, nil
}

// arrayLen reads an array header with min..max elements.
func (d *reader) arrayLen(field string, min, max int) (int, error) {
	c, err := d.peek(field)
	if err != nil {
		return 0, err
	}
	if !msgpcode.IsFixedArray(c) && c != msgpcode.Array16 && c != msgpcode.Array32 {
		return 0, d.errorf("%s: want an array, got code 0x%02x", field, c)
	}
	n, err := d.dec.DecodeArrayLen()
	if err != nil {
		return 0, d.wrap(field, err)
	}
	if n < min || n > max {
		return 0, d.errorf("%s: %d elements, want %d..%d", field, n, min, max)
	}
	if n > d.r.Len() { // every element takes at least one byte
		return 0, d.errorf("%s: %d elements in %d bytes: truncated", field, n, d.r.Len())
	}
	return n, nil
}

// strBytes reads a UTF-8 string of at most max bytes into scratch space that
// is valid until the next read.
func (d *reader) strBytes(field string, max int) ([]byte, error) {
	c, err := d.peek(field)
	if err != nil {
		return nil, err
	}
	if !msgpcode.IsString(c) {
		return nil, d.errorf("%s: want a string, got code 0x%02x", field, c)
	}
	n, err := d.dec.DecodeBytesLen()
	if err != nil {
		return nil, d.wrap(field, err)
	}
	if n > max {
		return nil, d.errorf("%s: %d bytes, longer than %d", field, n, max)
	}
	if n > d.r.Len() {
		return nil, d.errorf("%s: truncated", field)
	}
	if cap(d.scratch) < n {
		d.scratch = make([]byte, n)
	}
	b := d.scratch[:n]
	_ = d.dec.ReadFull(b) // cannot fail: n bytes are left
	if !utf8.Valid(b) {
		return nil, d.errorf("%s: invalid UTF-8", field)
	}
	return b, nil
}

// str reads a UTF-8 string of at most max bytes.
func (d *reader) str(field string, max int) (string, error) {
	b, err := d.strBytes(field, max)
	return string(b), err
}

// intIn reads an integer in lo..hi, in any msgpack integer form.
func (d *reader) intIn(field string, lo, hi int64) (int64, error) {
	c, err := d.peek(field)
	if err != nil {
		return 0, err
	}
	if !isInt(c) {
		return 0, d.errorf("%s: want an integer, got code 0x%02x", field, c)
	}
	var v int64
	if isSignedInt(c) {
		v, err = d.dec.DecodeInt64()
	} else {
		var u uint64
		if u, err = d.dec.DecodeUint64(); err == nil && u > math.MaxInt64 {
			return 0, d.errorf("%s: %d out of range %d..%d", field, u, lo, hi)
		}
		v = int64(u)
	}
	if err != nil {
		return 0, d.wrap(field, err)
	}
	if v < lo || v > hi {
		return 0, d.errorf("%s: %d out of range %d..%d", field, v, lo, hi)
	}
	return v, nil
}
