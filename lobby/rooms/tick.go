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
		r.sendSnapshots(tick)
	}
	r.dropSlow(tick)
	if tick%uint32(r.cfg.TickRate) == 0 {
		r.opts.Metrics.InputBacklog(&r.backlog)
		r.backlog = [MaxInputBacklog + 1]uint64{}
		r.refreshScores()
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
	s.ackSeq = in.Seq
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

// refreshScores marks the room's record for publishing when a player's
// score in the game changed, at most once a tick-rate's worth of ticks:
// scores need not reach the lobby faster than that.
func (r *Room) refreshScores() {
	for _, s := range r.seats {
		if s.inGame && r.game.Score(s.id) != s.score {
			r.dirty = true
			return
		}
	}
}

// sendSnapshots takes the world once and sends each connected player what
// it sees of it.
func (r *Room) sendSnapshots(tick uint32) {
	f := r.frame(tick)
	f.tick = tick
	f.world = r.game.World(f.world[:0])
	for _, s := range r.seats {
		if s.sess != nil {
			r.sendSnapshot(s, tick, f)
		}
	}
}

// sendSnapshot encodes what the seat's player sees of f against the last
// snapshot its connection actually wrote (or in full when that is unknown).
func (r *Room) sendSnapshot(s *seat, tick uint32, f *frame) {
	r.idx = r.game.Interest(s.id, f.world, r.idx[:0])
	cur := &s.seen[r.slot(tick)]
	cur.tick, cur.bits = tick, netcode.SetSeen(cur.bits, len(f.world), r.idx)
	baseTick := s.sess.WrittenTick()
	var base netcode.View
	if bf, bs := r.frame(baseTick), &s.seen[r.slot(baseTick)]; baseTick != 0 && baseTick != tick && bf.tick == baseTick && bs.tick == baseTick {
		base = netcode.View{World: bf.world, Seen: bs.bits}
	} else {
		baseTick = 0
	}
	frame := r.codec.AppendSnapshot(s.buf, tick, baseTick, s.ackSeq, s.id, base, netcode.View{World: f.world, Seen: cur.bits})
	s.buf = s.sess.SendSnapshot(tick, frame)
}

// slot is the history slot of a sent tick. Slots go by send number, not
// tick, so a room sending every k-th tick still keeps historyLen sends.
func (r *Room) slot(tick uint32) int {
	every := uint32(r.cfg.TickRate / r.cfg.SendRate)
	return int(tick / every % historyLen)
}

// frame is the history slot holding the world sent at tick (if it still
// holds that tick: check its tick).
func (r *Room) frame(tick uint32) *frame { return &r.frames[r.slot(tick)] }

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
