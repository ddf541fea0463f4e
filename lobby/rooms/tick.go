package rooms

import (
	"fmt"
	"slices"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/netcode"
)

// step runs one tick: take what the clients sent, advance the game, and hand
// every connected client its events and its snapshot.
func (r *Room) step(now time.Time) {
	r.expire(now)
	for _, s := range r.seats {
		r.drain(s, now)
	}
	r.removeLeavers()
	for _, s := range r.seats {
		r.applyInput(s)
	}
	r.evBuf = append(r.evBuf[:0], r.pending...)
	r.pending = r.pending[:0]
	r.evBuf = r.game.Step(r.evBuf)
	tick := r.game.Tick()
	r.tick.Store(tick)
	r.flushRecord(tick)
	r.broadcastEvents()
	if tick%uint32(r.cfg.TickRate/r.cfg.SendRate) == 0 {
		for _, s := range r.seats {
			if s.sess != nil {
				r.sendSnapshot(s, tick)
			}
		}
	}
	r.dropSlow(tick)
	if tick%uint32(r.cfg.TickRate) == 0 {
		r.opts.Metrics.InputBacklog(&r.backlog)
		r.backlog = [MaxInputBacklog + 1]uint64{}
	}
	r.publishIfDirty()
}

// drain takes everything the seat's session has queued. The inbox is
// bounded, so this is bounded work per tick.
func (r *Room) drain(s *seat, now time.Time) {
	if s.sess == nil {
		return
	}
	for {
		select {
		case m, ok := <-s.sess.Inbox():
			if !ok {
				r.ended(s, now)
				return
			}
			if !r.handle(s, &m) {
				return
			}
		default:
			return
		}
	}
}

// handle takes one client message; false means the client was refused
// for it and its seat is leaving.
func (r *Room) handle(s *seat, m *netcode.ClientMessage) bool {
	switch m.Type {
	case netcode.MsgInput:
		// Inputs are numbered across the seat's connections (the welcome
		// says where to go on from): one not after the last accepted is a
		// replay, one far ahead would make every later one look old.
		if d := m.Input.Seq - s.lastSeq; d == 0 || d > netcode.MaxInputSeqGap {
			r.refuse(s, fmt.Errorf("input seq %d out of order: want %d..%d, after the last accepted (%d)",
				m.Input.Seq, s.lastSeq+1, s.lastSeq+netcode.MaxInputSeqGap, s.lastSeq))
			return false
		}
		s.lastSeq = m.Input.Seq
		if s.inputs.push(m.Input) {
			r.opts.Metrics.InputDropped("backlog")
		}
	case netcode.MsgChat:
		r.pending = append(r.pending, game.Event{Kind: game.EventChat, A: s.id, Text: m.Text})
	case netcode.MsgLeave:
		s.leaving = true
	}
	return true
}

// refuse closes a client for bad input, after an Error message saying why,
// and frees its seat as for any kicked client: its token is spent with it.
// Called while the room ranges over its seats, so the seat is only marked
// to leave.
func (r *Room) refuse(s *seat, why error) {
	reason := netcode.CloseReason(why)
	s.sess.SendFrame(netcode.AppendError(nil, netcode.Error{Code: netcode.CodeBadMessage, Message: reason}))
	s.sess.Close(netcode.ClosePolicyViolation, reason)
	s.sess, s.leaving = nil, true
}

func (r *Room) removeLeavers() {
	for i := len(r.seats) - 1; i >= 0; i-- {
		if r.seats[i].leaving {
			r.remove(r.seats[i])
		}
	}
}

// applyInput feeds the game one input per tick: the oldest queued. With none
// queued the player keeps following the last one.
func (r *Room) applyInput(s *seat) {
	if !s.inGame {
		return
	}
	in, ok, queued, trimmed := s.inputs.take(r.cfg.TickRate)
	if s.sess != nil {
		r.backlog[queued]++
	}
	if trimmed {
		r.opts.Metrics.InputDropped("standing")
	}
	if !ok {
		return
	}
	r.game.SetInput(s.id, in)
	r.record(Op{Kind: OpInput, Player: s.id, Input: in})
	s.applied, s.ackSeq = in, in.Seq
}

// broadcastEvents numbers this tick's events, logs them for resumption and
// sends them to everyone in shared frames of at most MaxEventsBatch events
// each: a client rejects a larger events message as malformed.
func (r *Room) broadcastEvents() {
	if len(r.evBuf) == 0 {
		return
	}
	for i := range r.evBuf {
		r.evBuf[i].Seq = r.events.add(r.evBuf[i])
		r.countScore(&r.evBuf[i])
	}
	for batch := range slices.Chunk(r.evBuf, netcode.MaxEventsBatch) {
		frame := netcode.AppendEvents(nil, batch)
		for _, s := range r.seats {
			if s.sess != nil {
				s.sess.SendFrame(frame)
			}
		}
	}
}

func (r *Room) countScore(e *game.Event) {
	if e.Kind != game.EventKill {
		return
	}
	if s := r.seat(e.A); s != nil {
		s.score++
		r.dirty = true
	}
}

// sendSnapshot encodes what the seat's player sees against the last
// snapshot its connection actually wrote (or in full when that is unknown).
func (r *Room) sendSnapshot(s *seat, tick uint32) {
	v := r.view(s, tick)
	v.ents = r.game.View(s.id, v.ents[:0])
	v.tick = tick
	baseTick := s.sess.WrittenTick()
	var base []game.Entity
	if b := r.view(s, baseTick); baseTick != 0 && b.tick == baseTick && baseTick != tick {
		base = b.ents
	} else {
		baseTick = 0
	}
	frame := netcode.AppendSnapshot(s.buf, tick, baseTick, s.ackSeq, base, v.ents)
	s.buf = s.sess.SendSnapshot(tick, frame)
}

// view is the history slot for a sent tick. Slots go by send number, not
// tick, so a room sending every k-th tick still keeps historyLen sends.
func (r *Room) view(s *seat, tick uint32) *view {
	every := uint32(r.cfg.TickRate / r.cfg.SendRate)
	return &s.views[tick/every%historyLen]
}

// dropSlow closes clients that have not taken a snapshot for SlowAfter.
func (r *Room) dropSlow(tick uint32) {
	limit := uint32(r.opts.SlowAfter / r.period)
	for _, s := range r.seats {
		if s.sess == nil {
			continue
		}
		last := max(s.sess.WrittenTick(), s.attachTik)
		if tick-last > limit {
			const why = "too slow: not keeping up with snapshots"
			s.sess.SendFrame(netcode.AppendError(nil, netcode.Error{Code: netcode.CodeTooSlow, Message: why}))
			s.sess.Close(netcode.ClosePolicyViolation, why)
			r.detach(s, time.Now())
		}
	}
}
