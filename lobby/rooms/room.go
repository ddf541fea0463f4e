package rooms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/netcode"
)

// Room errors; match them with errors.Is.
var (
	ErrNotFound = errors.New("rooms: no such room on this node")
	ErrFull     = errors.New("rooms: room is full")
	ErrClosed   = errors.New("rooms: room is closed")
	ErrNoSeat   = errors.New("rooms: no such seat")
	// ErrWrongJoinCode refuses a join to a private room.
	ErrWrongJoinCode = errors.New("rooms: wrong join code")
)

// Room is one match: a goroutine (run) that owns the game and every seat and
// ticks at a fixed rate. Everything else talks to it through ctrl (requests
// answered between ticks) and through each seat's Session.
type Room struct {
	// static after construction
	id      string
	cfg     Config
	opts    Options
	tokens  *Tokens
	log     *slog.Logger
	period  time.Duration
	created time.Time
	ctrl    chan *request
	done    chan struct{}
	publish func(*directory.Room) // called by run whenever info changes

	// published by run, read by anyone
	info      atomic.Pointer[directory.Room]
	tick      atomic.Uint32
	clockZero time.Time // tick 0 on the room's clock; set before run starts

	// owned by run
	tickAt   time.Time // when the current tick was due on the room's schedule
	game     game.Game
	codec    *netcode.Codec // the game's schema on the wire; shared with the seats' sessions
	frames   [historyLen]frame
	idx      []int32 // scratch for Interest
	seats    []*seat // ascending by id
	nextID   uint32
	events   eventLog
	pending  []game.Event // room events for the next tick
	dirty    bool         // info needs publishing
	idleFrom time.Time
	joined   bool // a player has connected at least once
	evBuf    []game.Event
	rec      TickRecord                  // this tick's operations, for the Recorder
	err      error                       // why the room ended
	backlog  [MaxInputBacklog + 1]uint64 // connected seat-ticks by inputs queued, since the last flush to Metrics
}

type request struct {
	fn    func() error
	reply chan error
	// state is who got to the request first: the room (reqTaken, it runs
	// fn and replies) or its caller giving up (reqAbandoned, fn never runs).
	state atomic.Uint32
}

const (
	reqQueued uint32 = iota
	reqTaken
	reqAbandoned
)

// ID returns the room id.
func (r *Room) ID() string { return r.id }

// Codec returns the codec of the room's game: what its players' sessions
// decode inputs with.
func (r *Room) Codec() *netcode.Codec { return r.codec }

// Info returns the room's latest published description.
func (r *Room) Info() *directory.Room { return r.info.Load() }

// Done is closed when the room has ended.
func (r *Room) Done() <-chan struct{} { return r.done }

// Err reports why the room ended, once Done is closed (nil: closed normally).
func (r *Room) Err() error {
	select {
	case <-r.done:
		return r.err
	default:
		return nil
	}
}

// do runs fn on the room goroutine and waits for its answer. A request
// whose caller gives up (ctx ends) before the room gets to it is never run:
// a join whose client has gone must not hold a seat for nobody. Once the
// room has started fn, do waits for its answer (the room is running it
// now), so the caller learns what fn did and can undo it.
func (r *Room) do(ctx context.Context, fn func() error) error {
	req := &request{fn: fn, reply: make(chan error, 1)}
	select {
	case r.ctrl <- req:
	case <-r.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.reply:
		return err
	case <-r.done:
		return ErrClosed
	case <-ctx.Done():
		if req.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return ctx.Err()
		}
		select {
		case err := <-req.reply:
			return err
		case <-r.done:
			return ErrClosed
		}
	}
}

// Clock is the room's newest tick and its clock now in ms, for answering
// pings from any goroutine. The clock has moved on since the tick was due.
func (r *Room) Clock() (tick uint32, ms float64) {
	return r.tick.Load(), float64(time.Since(r.clockZero).Nanoseconds()) / 1e6
}

// run owns the room until ctx ends, the room idles out, or the game panics.
func (r *Room) run(ctx context.Context) {
	defer close(r.done)
	defer r.shutdown()
	defer r.recoverPanic()
	timer := time.NewTimer(r.period)
	defer timer.Stop()
	next := r.clockZero.Add(r.period)
	for {
		timer.Reset(time.Until(next))
		if !r.wait(ctx, timer) {
			return
		}
		start := time.Now()
		late := start.Sub(next)
		r.step(start)
		r.account(start, late)
		if r.idleExpired(start) {
			r.err = nil
			return
		}
		next = next.Add(r.period)
		if late > 5*r.period {
			// Far behind (machine suspended, overload): restart the schedule
			// instead of bursting ticks; the lateness is already counted.
			next = start.Add(r.period)
		}
		// The tick just made is placed on the schedule the next ones
		// follow: when it was due, or when it ran if that restarted it.
		r.tickAt = next.Add(-r.period)
	}
}

// wait serves requests until the timer fires; false when ctx ended.
func (r *Room) wait(ctx context.Context, timer *time.Timer) bool {
	for {
		select {
		case <-ctx.Done():
			if errors.Is(context.Cause(ctx), errClosedByServer) {
				r.closeAll(netcode.CloseNormal, netcode.CodeRoomClosed, errClosedByServer.Error())
			} else {
				r.closeAll(netcode.CloseGoingAway, netcode.CodeShutdown, "server shutting down")
			}
			return false
		case req := <-r.ctrl:
			if req.state.CompareAndSwap(reqQueued, reqTaken) {
				req.reply <- r.serve(req.fn)
			}
		case <-timer.C:
			return true
		}
	}
}

func (r *Room) serve(fn func() error) error {
	err := fn()
	r.publishIfDirty()
	return err
}

func (r *Room) account(start time.Time, late time.Duration) {
	isLate := late > r.period/2
	r.opts.Metrics.Tick(time.Since(start), max(late, 0), isLate)
}

func (r *Room) recoverPanic() {
	v := recover()
	if v == nil {
		return
	}
	r.err = fmt.Errorf("rooms: room %s: game panicked: %v", r.id, v)
	r.opts.Metrics.Panicked()
	r.log.Error("room panicked; closing it", "room", r.id, "panic", v, "stack", string(debug.Stack()))
	r.closeAll(netcode.CloseInternalError, netcode.CodeInternal, "room failed; it has been closed")
}

// closeAll ends every session with an error message and a close code.
func (r *Room) closeAll(code netcode.CloseCode, ec netcode.ErrorCode, reason string) {
	frame := netcode.AppendError(nil, netcode.Error{Code: ec, Message: reason})
	for _, s := range r.seats {
		if s.sess != nil {
			s.sess.SendFrame(frame)
			s.sess.Close(code, reason)
		}
	}
}

func (r *Room) shutdown() {
	info := *r.Info()
	info.State = "closed"
	info.Players, info.Reserved, info.Roster = 0, 0, nil
	r.info.Store(&info)
	r.publish(&info)
	r.log.Info("room closed", "room", r.id, "err", r.err)
}

// idleExpired reports whether the room has been without seats long enough
// to close: IdleTimeout, or the shorter UnusedTimeout for a room no player
// has ever connected to (made and abandoned, or made to use up MaxRooms).
func (r *Room) idleExpired(now time.Time) bool {
	if len(r.seats) > 0 || r.cfg.Persistent {
		r.idleFrom = time.Time{}
		return false
	}
	if r.idleFrom.IsZero() {
		r.idleFrom = now
	}
	timeout := r.opts.IdleTimeout
	if !r.joined {
		timeout = min(timeout, r.opts.UnusedTimeout)
	}
	return now.Sub(r.idleFrom) >= timeout
}

func (r *Room) publishIfDirty() {
	if !r.dirty {
		return
	}
	r.dirty = false
	info := r.buildInfo()
	r.info.Store(info)
	r.publish(info)
}

// buildInfo is the room's record as of now.
func (r *Room) buildInfo() *directory.Room {
	info := &directory.Room{
		ID: r.id, Name: r.cfg.Name, Game: r.cfg.Game, Mode: r.cfg.Mode, MaxPlayers: r.cfg.MaxPlayers,
		TickRate: r.cfg.TickRate, SendRate: r.cfg.SendRate, Private: r.cfg.Private, Default: r.cfg.Persistent,
		Labels: r.cfg.Labels, State: "open", CreatedAt: r.created,
	}
	for _, s := range r.seats {
		if s.state == seatReserved {
			info.Reserved++
			continue
		}
		info.Players++
		info.Roster = append(info.Roster, r.playerInfo(s))
	}
	return info
}
