package netcode

import (
	"io"
	"unicode/utf8"
)

// CloseCode is a WebSocket close status as this protocol uses it. The
// server-side session and the Go client translate it to their WebSocket
// library's type; docs/protocol.md lists when each is sent.
type CloseCode uint16

const (
	CloseNormal          CloseCode = 1000 // the room ended, the player left, or the peer closed
	CloseGoingAway       CloseCode = 1001 // the server is shutting down
	CloseProtocolError   CloseCode = 1002 // the WebSocket framing itself was wrong
	CloseUnsupportedData CloseCode = 1003 // a text frame: only binary MessagePack is read
	CloseAbnormal        CloseCode = 1006 // no close frame: the connection was cut
	ClosePolicyViolation CloseCode = 1008 // a malformed or refused message, flooding, too slow, no pong
	CloseMessageTooBig   CloseCode = 1009 // a frame over MaxFrameBytes
	CloseInternalError   CloseCode = 1011 // the room failed
)

// maxCloseReason is the most a close frame's reason may hold: 125 bytes of
// payload less the two of the code.
const maxCloseReason = 123

// CloseReason fits err's text into a close frame's reason, cut at a rune
// boundary so the reason stays valid UTF-8 (RFC 6455 requires it).
func CloseReason(err error) string {
	return TruncateUTF8(err.Error(), maxCloseReason)
}

// TruncateUTF8 returns the longest prefix of s of at most n bytes that does
// not split a rune.
func TruncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// AppendMessage appends everything r yields, up to io.EOF, to b: one
// WebSocket message read into a buffer that is reused between messages.
func AppendMessage(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}
