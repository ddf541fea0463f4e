package rooms

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/netcode"
)

type seatState uint8

const (
	seatReserved     seatState = iota // token issued, no connection yet
	seatPlaying                       // connected
	seatReconnecting                  // connection lost, seat held for the grace period
)

func (s seatState) String() string {
	return [...]string{"reserved", "playing", "reconnecting"}[s]
}

// historyLen is how many past sends can be a delta's baseline (a quarter
// second at 30 Hz): a reader that keeps up has its baseline one send
// behind; one further behind than this gets a full snapshot, which costs
// bandwidth once rather than memory all the time. The room keeps the world
// of each of these sends once (frame); a seat keeps only which of its
// entities it saw (seen), one bit each, so a seat's state does not grow
// with what it sees.
const historyLen = 8

// frame is the world as the room sent it at one tick, shared by every
// seat's baseline for that tick. Owned by run.
type frame struct {
	tick  uint32
	world []game.Entity // sorted by id
}

// seen is which entities of the frame of tick a seat saw.
type seen struct {
	tick uint32
	bits []uint64
}

// seat is one player's place in a room. Owned by the room's run goroutine.
type seat struct {
	id       uint32
	name     string
	nonce    uint64 // the one token nonce this seat accepts next
	state    seatState
	deadline time.Time // reservation or reconnect grace end
	inGame   bool      // the game has this player's avatar
	leaving  bool      // said leave; removed after this tick's drain
	score    int32     // the game's score as last published

	sess      Conn
	attachTik uint32 // tick the session attached at
	inputs    inputQueue
	lastSeq   uint32 // the last input seq accepted, over all the seat's connections
	ackSeq    uint32
	buf       []byte // spare snapshot buffer
	seen      [historyLen]seen
}

// playerInfo is the seat as presence shows it, with the game's score.
func (r *Room) playerInfo(s *seat) directory.Player {
	if s.inGame {
		s.score = r.game.Score(s.id)
	}
	p := directory.Player{ID: s.id, Name: s.name, Score: s.score, State: s.state.String()}
	if s.sess != nil {
		if rtt := s.sess.RTT(); rtt > 0 {
			ms := float64(rtt.Microseconds()) / 1000
			p.PingMS = &ms
		}
	}
	return p
}

func (r *Room) seat(id uint32) *seat {
	i, ok := slices.BinarySearchFunc(r.seats, id, func(s *seat, id uint32) int { return int(s.id) - int(id) })
	if !ok {
		return nil
	}
	return r.seats[i]
}

// Reservation is a seat held for a player who has not connected yet.
type Reservation struct {
	RoomID   string
	PlayerID uint32
	Token    string
	Expires  time.Time
}

// ErrTooManyPending refuses a reservation while unclaimed ones hold as many
// seats as the room gives them (Options.PendingShare); it comes as a
// *PendingError.
var ErrTooManyPending = errors.New("rooms: too many joins waiting for their connection")

// PendingError refuses a reservation for ErrTooManyPending.
type PendingError struct {
	Limit      int           // unclaimed reservations the room allows now
	Open       int           // seats without a connected or reconnecting player
	RetryAfter time.Duration // until the soonest of them expires
}

func (e *PendingError) Error() string {
	return fmt.Sprintf("rooms: %d joins are waiting for their connection, as many as this room holds seats for; retry in %s",
		e.Limit, e.RetryAfter.Round(time.Second))
}

func (e *PendingError) Unwrap() error { return ErrTooManyPending }

// Reserve holds a seat for name. A reserved seat counts toward capacity
// until it is used or expires. If ctx ends before the room answers, no seat
// is held.
func (r *Room) Reserve(ctx context.Context, name, joinCode string) (Reservation, error) {
	var res Reservation
	err := r.do(ctx, func() error {
		if r.cfg.Private && joinCode != r.cfg.JoinCode {
			return ErrWrongJoinCode
		}
		r.reapKicked()
		if len(r.seats) >= r.cfg.MaxPlayers {
			return ErrFull
		}
		if err := r.checkPending(time.Now()); err != nil {
			return err
		}
		r.nextID++
		s := &seat{id: r.nextID, name: name, nonce: randomNonce(), deadline: time.Now().Add(r.opts.ReservationTTL)}
		s.inputs.buttons = buttonFields(r.codec.Schema())
		r.seats = append(r.seats, s)
		r.dirty = true
		res = Reservation{RoomID: r.id, PlayerID: s.id, Expires: s.deadline,
			Token: r.tokens.Sign(Claims{TokenJoin, r.id, s.id, s.nonce, s.deadline.Unix() + 1})}
		return nil
	})
	if err == nil && ctx.Err() != nil {
		// The caller gave up while the room was reserving: nobody will
		// ever use this seat, so do not let it wait out its reservation.
		r.unreserve(res.PlayerID)
		return Reservation{}, ctx.Err()
	}
	return res, err
}

// unreserve frees a seat that is still only reserved.
func (r *Room) unreserve(playerID uint32) {
	r.do(context.Background(), func() error {
		if s := r.seat(playerID); s != nil && s.state == seatReserved && s.sess == nil {
			r.remove(s)
		}
		return nil
	})
}

// checkPending refuses one more unclaimed reservation once they hold
// PendingShare of the open seats (at least MinPending).
func (r *Room) checkPending(now time.Time) error {
	if r.opts.PendingShare < 0 {
		return nil
	}
	pending, open := 0, r.cfg.MaxPlayers
	var soonest time.Time
	for _, s := range r.seats {
		if s.state != seatReserved {
			open--
			continue
		}
		pending++
		if soonest.IsZero() || s.deadline.Before(soonest) {
			soonest = s.deadline
		}
	}
	limit := max(MinPending, int(math.Ceil(float64(open)*r.opts.PendingShare)))
	if pending < limit {
		return nil
	}
	return &PendingError{Limit: limit, Open: open, RetryAfter: max(soonest.Sub(now), 0)}
}

// Claim consumes a verified token for its seat: after it, the token is
// spent. Call Attach with the session next, or Release if the upgrade failed.
func (r *Room) Claim(ctx context.Context, c Claims) error {
	return r.do(ctx, func() error {
		r.reapKicked()
		s, err := r.check(c)
		if err != nil {
			return err
		}
		if s.sess != nil {
			// The client reconnected before we noticed its old connection die.
			s.sess.Close(netcode.ClosePolicyViolation, "replaced by a new connection")
			r.detach(s, time.Now())
		}
		s.nonce = 0
		return nil
	})
}

// CheckClaim reports whether Claim would accept c, without spending it.
func (r *Room) CheckClaim(ctx context.Context, c Claims) error {
	return r.do(ctx, func() error {
		_, err := r.check(c)
		return err
	})
}

func (r *Room) check(c Claims) (*seat, error) {
	s := r.seat(c.PlayerID)
	switch {
	case c.RoomID != r.id:
		return nil, fmt.Errorf("%w: token is for another room", ErrTokenInvalid)
	case s == nil:
		return nil, ErrNoSeat
	case s.nonce != c.Nonce:
		return nil, ErrTokenUsed
	}
	return s, nil
}

// Attach seats a session on a claimed seat: the player joins the game (or
// resumes after a drop) and the session gets its welcome, then a snapshot
// every tick. lastEvent > 0 resends the events after it that the client
// missed.
func (r *Room) Attach(ctx context.Context, playerID uint32, sess Conn, lastEvent uint32) error {
	return r.do(ctx, func() error {
		s := r.seat(playerID)
		if s == nil || s.nonce != 0 || s.sess != nil {
			return ErrNoSeat
		}
		if !s.inGame {
			if err := r.game.Join(s.id, s.name); err != nil {
				return err
			}
			r.record(Op{Kind: OpJoin, Player: s.id, Name: s.name})
			s.inGame = true
			r.pending = append(r.pending, game.Event{Kind: game.EventJoin, A: s.id, Text: s.name})
		}
		r.game.SetAway(s.id, false)
		r.record(Op{Kind: OpAway, Player: s.id})
		s.state, s.sess, s.attachTik = seatPlaying, sess, r.tick.Load()
		r.joined = true
		s.inputs.reset()
		for i := range s.seen {
			s.seen[i].tick = 0
		}
		r.dirty = true
		r.welcome(s, lastEvent)
		return nil
	})
}

func (r *Room) welcome(s *seat, lastEvent uint32) {
	s.nonce = randomNonce()
	// The time anchor is the tick and when it was due on the room's clock,
	// not the clock now: clients place every later tick from it, and the
	// time since it was due (up to a tick) would misplace them all.
	tick, ms := r.tick.Load(), float64(r.tickAt.Sub(r.clockZero).Nanoseconds())/1e6
	w := netcode.Welcome{
		PlayerID: s.id, RoomID: r.id, TickRate: uint8(r.cfg.TickRate), Tick: tick, ServerTime: ms,
		ReconnectToken: r.tokens.Sign(Claims{TokenReconnect, r.id, s.id, s.nonce, time.Now().Add(time.Hour).Unix()}),
		LastEventSeq:   r.events.last(),
		SendRate:       uint8(r.cfg.SendRate),
		LastInputSeq:   s.lastSeq,
		Game:           r.cfg.Game,
		Mode:           r.cfg.Mode,
		Schema:         r.codec.Schema(),
	}
	for _, o := range r.seats {
		if o.inGame {
			w.Roster = append(w.Roster, netcode.RosterEntry{ID: o.id, Name: o.name, Score: r.game.Score(o.id)})
		}
	}
	s.sess.SendFrame(netcode.AppendWelcome(nil, &w))
	var missed []game.Event
	if lastEvent > 0 {
		missed = r.events.since(lastEvent)
	} else {
		missed = r.events.chatHistory()
	}
	for batch := range slices.Chunk(missed, netcode.MaxEventsBatch) {
		s.sess.SendFrame(netcode.AppendEvents(nil, batch))
	}
}

// Release returns a claimed seat whose upgrade failed to the state it had.
func (r *Room) Release(playerID uint32) {
	r.do(context.Background(), func() error {
		if s := r.seat(playerID); s != nil && s.sess == nil {
			s.nonce = randomNonce() // the spent token stays spent
		}
		return nil
	})
}

// detach handles a session that ended: the seat is held for reconnection.
// The inputs still queued are dropped, and the game is told the player is
// away, so that it stops acting on its last input for the whole grace
// period (the arena stops its movement and fire; see game.Game.SetAway).
func (r *Room) detach(s *seat, now time.Time) {
	s.sess = nil
	s.inputs.reset()
	if s.state == seatPlaying {
		s.state = seatReconnecting
		s.deadline = now.Add(r.opts.ReconnectGrace)
		r.game.SetAway(s.id, true)
		r.record(Op{Kind: OpAway, Player: s.id, Away: true})
		r.dirty = true
	}
}

// ended handles a session whose inbox has closed. A session the server
// closed for what its client sent (Kicked: malformed input, broken framing,
// flooding) loses its seat at once, with its reconnect token; any other
// (lost connection, too slow, keepalive) keeps it for ReconnectGrace. Called
// while the room ranges over its seats, so the seat is only marked to leave.
func (r *Room) ended(s *seat, now time.Time) {
	if s.sess.Kicked() {
		s.sess, s.leaving = nil, true
		return
	}
	r.detach(s, now)
}

// reapKicked frees the seats of kicked sessions now rather than at the next
// tick, so that a client that has seen its close finds its token spent and
// its seat taken by the next join. Not while the room ranges over its seats.
func (r *Room) reapKicked() {
	for i := len(r.seats) - 1; i >= 0; i-- {
		if s := r.seats[i]; s.sess != nil && s.sess.Kicked() {
			s.sess = nil
			r.remove(s)
		}
	}
}

// remove frees a seat for good.
func (r *Room) remove(s *seat) {
	if s.sess != nil {
		s.sess.Close(netcode.CloseNormal, "left the room")
	}
	if s.inGame {
		r.game.Leave(s.id)
		r.record(Op{Kind: OpLeave, Player: s.id})
		r.pending = append(r.pending, game.Event{Kind: game.EventLeave, A: s.id, Text: s.name})
	}
	r.seats = slices.DeleteFunc(r.seats, func(o *seat) bool { return o == s })
	r.dirty = true
}

// expire frees reservations and reconnect grace periods that ran out.
func (r *Room) expire(now time.Time) {
	for i := len(r.seats) - 1; i >= 0; i-- {
		s := r.seats[i]
		if s.state != seatPlaying && s.sess == nil && now.After(s.deadline) {
			r.remove(s)
		}
	}
}
