package session

import (
	"context"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/netcode"
)

// flush owns the connection's writes while it runs and exits when nothing
// is queued. Writes use a context without Done so they do not allocate; a
// stuck write is cut by the stall timer instead.
func (s *Session) flush() {
	for {
		s.mu.Lock()
		frames := s.frames
		snap, tick, closeWith := s.snap, s.snapTick, s.closeWith
		if len(frames) == 0 && snap == nil && closeWith == nil {
			s.writing = false
			s.mu.Unlock()
			return
		}
		s.frames, s.snap = s.spareFrames[:0], nil
		s.mu.Unlock()

		ok := s.writeFrames(frames) && s.writeSnapshot(snap, tick)
		s.mu.Lock()
		clear(frames)
		s.spareFrames = frames[:0]
		s.mu.Unlock()
		if ok && closeWith != nil {
			s.closeConn(closeWith.Code, closeWith.Reason)
		}
		if !ok || closeWith != nil {
			s.mu.Lock()
			s.stopped, s.writing = true, false
			s.mu.Unlock()
			close(s.flushed)
			return
		}
	}
}

func (s *Session) writeFrames(frames [][]byte) bool {
	for _, f := range frames {
		if !s.write(f) {
			return false
		}
	}
	return true
}

func (s *Session) writeSnapshot(snap []byte, tick uint32) bool {
	if snap == nil {
		return true
	}
	if !s.write(snap) {
		return false
	}
	s.writtenTick.Store(tick)
	s.mu.Lock()
	s.spare = snap
	s.mu.Unlock()
	return true
}

func (s *Session) write(frame []byte) bool {
	s.stall.Reset(s.opts.WriteTimeout)
	err := s.conn.Write(context.Background(), websocket.MessageBinary, frame)
	s.stall.Stop()
	if err != nil {
		s.conn.CloseNow()
		return false
	}
	s.bytesOut.Add(uint64(len(frame)))
	return true
}

func (s *Session) closeConn(code netcode.CloseCode, reason string) {
	if s.pc != nil {
		s.pc.stopIdling()
	}
	s.stall.Reset(s.opts.WriteTimeout)
	s.conn.Close(websocket.StatusCode(code), reason)
	s.stall.Stop()
}
