package session

import (
	"fmt"

	"github.com/tickroom/tickroom/netcode"
)

// frameCheck follows the frame headers (RFC 6455, section 5.2) in the bytes
// a client sends, under coder/websocket, so that a broken frame closes the
// connection at once with the code that names the fault:
//
//   - a data frame, or a fragmented message, whose header declares more
//     than the read limit: 1009 as soon as the header is in, where the
//     library would wait for the payload (a client that never sends it held
//     its session until the keepalive dropped it);
//   - a frame without a mask: 1002, where the library answered 1000;
//   - reserved bits or opcodes, a fragmented or over-long control frame,
//     a continuation outside a message, a new message inside one: 1002,
//     which the library also answers, but with an error the session could
//     not tell from a lost connection.
//
// Only headers are parsed; payloads are skipped by count. It costs a few
// comparisons per header and allocates nothing until it refuses one.
// Hand-written because coder/websocket does not expose its header parser
// and a second WebSocket library would parse a stream it does not own.
type frameCheck struct {
	limit int64 // largest message payload, in bytes
	rsv1  bool  // an extension (permessage-deflate) may set RSV1

	hdr       [14]byte // the header being read: 2 bytes, up to 8 of length, 4 of mask key
	hn        int      // header bytes read so far
	skip      uint64   // payload bytes left of the current frame
	inMessage bool     // a data frame without FIN was read: continuations follow
	message   uint64   // payload bytes declared so far by the current message
}

// feed follows p, the next bytes off the socket. It returns how many of
// them come before a broken frame's header (len(p) when all is well) and
// what is wrong with it.
func (f *frameCheck) feed(p []byte) (int, *CloseError) {
	i := 0
	for i < len(p) {
		if f.skip > 0 {
			k := uint64(len(p) - i)
			k = min(k, f.skip)
			f.skip -= k
			i += int(k)
			continue
		}
		start := i - f.hn // where this header began: negative when in an earlier read
		n := min(f.need()-f.hn, len(p)-i)
		copy(f.hdr[f.hn:], p[i:i+n])
		f.hn += n
		i += n
		if f.hn >= 2 && f.hdr[1]&0x80 == 0 {
			return max(start, 0), f.refuse(netcode.CloseProtocolError, "unmasked client frame")
		}
		if f.hn < f.need() {
			continue
		}
		if ce := f.header(); ce != nil {
			return max(start, 0), ce
		}
		f.hn = 0
	}
	return len(p), nil
}

// need is the length of the header being read, as far as it is known.
func (f *frameCheck) need() int {
	if f.hn < 2 {
		return 2
	}
	n := 2 + 4 // every client frame is masked
	switch f.hdr[1] & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	return n
}

// header checks a complete header and sets up skipping its payload.
func (f *frameCheck) header() *CloseError {
	b0, b1 := f.hdr[0], f.hdr[1]
	fin, opcode := b0&0x80 != 0, b0&0x0f
	var length uint64
	switch l := b1 & 0x7f; l {
	case 126:
		length = uint64(f.hdr[2])<<8 | uint64(f.hdr[3])
	case 127:
		for _, b := range f.hdr[2:10] {
			length = length<<8 | uint64(b)
		}
	default:
		length = uint64(l)
	}
	switch {
	case b0&0x30 != 0 || (b0&0x40 != 0 && !f.rsv1):
		return f.refuse(netcode.CloseProtocolError, "reserved bits set")
	case opcode >= 8 && opcode <= 10: // close, ping, pong
		if !fin || length > 125 {
			return f.refuse(netcode.CloseProtocolError, fmt.Sprintf("control frame fragmented or over 125 bytes (%d)", length))
		}
	case opcode == 0: // continuation
		if !f.inMessage {
			return f.refuse(netcode.CloseProtocolError, "continuation frame outside a message")
		}
		f.message += min(length, 1<<62)
	case opcode == 1 || opcode == 2: // text, binary
		if f.inMessage {
			return f.refuse(netcode.CloseProtocolError, "new message before the last one ended")
		}
		f.message = min(length, 1<<62)
	default:
		return f.refuse(netcode.CloseProtocolError, fmt.Sprintf("reserved opcode %d", opcode))
	}
	if opcode < 8 {
		if f.message > uint64(f.limit) {
			return f.refuse(netcode.CloseMessageTooBig, fmt.Sprintf("message of %d bytes is over the %d-byte limit", f.message, f.limit))
		}
		f.inMessage = !fin
	}
	f.skip = length
	return nil
}

func (f *frameCheck) refuse(code netcode.CloseCode, reason string) *CloseError {
	return &CloseError{Code: code, Reason: reason}
}
