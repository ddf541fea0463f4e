package session

import (
	"context"
	"errors"
	"sync"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/netcode"
)

func (s *Session) readLoop(ctx context.Context) error {
	var buf *[]byte // from readBufs once a frame comes
	defer func() {
		if buf != nil {
			readBufs.Put(buf)
		}
	}()
	for {
		if s.pc != nil {
			s.pc.markBoundary()
			if s.pc.quiet() {
				return errIdle
			}
		}
		typ, r, err := s.conn.Reader(ctx)
		if err != nil {
			return err
		}
		if buf == nil {
			buf = readBufs.Get().(*[]byte)
		}
		*buf, err = netcode.AppendMessage((*buf)[:0], r)
		if err != nil {
			return err
		}
		s.bytesIn.Add(uint64(len(*buf)))
		if typ != websocket.MessageBinary {
			return &refusal{CloseError{netcode.CloseUnsupportedData, "text frames are not accepted; send binary MessagePack"}, netcode.CodeBadMessage}
		}
		if s.pc != nil {
			s.pc.dataFrame()
		}
		if err := s.handle(*buf); err != nil {
			return err
		}
	}
}

func (s *Session) handle(frame []byte) error {
	var m netcode.ClientMessage
	if err := s.opts.Codec.DecodeClient(frame, &m); err != nil {
		return &refusal{CloseError{netcode.ClosePolicyViolation, netcode.CloseReason(err)}, netcode.CodeBadMessage}
	}
	if s.opts.Admit != nil {
		ok, err := s.opts.Admit(m)
		if err != nil {
			ec := netcode.CodeBadMessage
			if errors.Is(err, netcode.ErrRateLimited) {
				ec = netcode.CodeRateLimited
			}
			return &refusal{CloseError{netcode.ClosePolicyViolation, netcode.CloseReason(err)}, ec}
		}
		if !ok {
			return nil
		}
	}
	if m.Type == netcode.MsgPing {
		return s.pong(m.ClientTime)
	}
	select {
	case s.inbox <- m:
	default:
		s.dropped.Add(1)
	}
	return nil
}

func (s *Session) pong(clientTime float64) error {
	var p netcode.Pong
	p.ClientTime = clientTime
	if s.opts.Clock != nil {
		p.Tick, p.ServerTime = s.opts.Clock()
	}
	s.SendFrame(netcode.AppendPong(nil, p))
	return nil
}

// readBufs holds frame buffers between a session's reads: a parked
// session keeps none, and a woken one takes one without allocating.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64); return &b }}
