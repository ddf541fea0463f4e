package lobby

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"golang.org/x/time/rate"
)

// QuotaError refuses a request that would pass a limit: one of a client's
// (answered 429) or one of the whole node's (NodeWide, answered 503). The
// problem names the quota, and says when to retry if that is known.
type QuotaError struct {
	// Quota names the limit as the tickroom flag that sets it, such as
	// "rooms-per-client".
	Quota  string
	Detail string
	// RetryAfter is how long until the request could succeed; 0 when
	// that is unknown (it depends on other clients).
	RetryAfter time.Duration
	NodeWide   bool
	// Field names what was counted when it is part of the request, such
	// as "connection".
	Field string
}

func (e *QuotaError) Error() string { return "lobby: " + e.Quota + ": " + e.Detail }

// quotaOf turns the runtime's refusals into the quota they enforce.
func quotaOf(err error) (*QuotaError, bool) {
	var qe *QuotaError
	var pe *rooms.PendingError
	switch {
	case errors.As(err, &qe):
		return qe, true
	case errors.As(err, &pe):
		return &QuotaError{Quota: "room-pending-share", RetryAfter: pe.RetryAfter,
			Detail: fmt.Sprintf("%d joins to this room are waiting for their connection, as many as it holds seats for (limit %d of its %d open seats); retry when one connects or expires", pe.Limit, pe.Limit, pe.Open)}, true
	case errors.Is(err, rooms.ErrTooManyRooms):
		return &QuotaError{Quota: "max-rooms", NodeWide: true,
			Detail: "this server has as many rooms open as it allows; join an open room (quick play) or retry later"}, true
	}
	return nil, false
}

// refused answers err, counting refusals by quota.
func (a *API) refused(w http.ResponseWriter, err error) {
	if qe, ok := quotaOf(err); ok {
		a.opts.Metrics.Refused(qe.Quota)
	}
	writeError(w, err)
}

// retryAfter is d as whole seconds for a Retry-After header, rounded up.
func retryAfter(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// quotas keeps the per-client counts behind the room and reservation
// limits: the rooms each client has open, its budget for creating more,
// and its reservations not yet claimed by a WebSocket. Counts are kept by
// looking at the rooms and reservations themselves (a room that has
// closed, a reservation past its expiry no longer count), so nothing has
// to report back to the API and no goroutine watches them.
type quotas struct {
	limits *Limits // static

	mu      sync.Mutex
	clients map[clientKey]*clientQuota // guarded by mu
	pending map[seatRef]clientKey      // unclaimed reservations; guarded by mu
	ops     uint                       // since the last sweep; guarded by mu
}

// seatRef names a seat.
type seatRef struct {
	room   string
	player uint32
}

type clientQuota struct {
	rooms    []gone        // rooms it created that may still be open
	create   *rate.Limiter // room creation budget; nil until first used
	creating int           // rooms being created now
	seats    []pendingSeat // its unclaimed reservations
	inFlight int           // reservations being made now
}

// gone reports whether a room or a seat no longer counts: the room has
// closed; for a seat also, on another node, its player has connected.
// It is called with the quotas' lock held and must not block.
type gone func() bool

type pendingSeat struct {
	ref     seatRef
	gone    gone
	expires time.Time
}

func newQuotas(l *Limits) *quotas {
	return &quotas{limits: l, clients: make(map[clientKey]*clientQuota), pending: make(map[seatRef]clientKey)}
}

// client returns key's counts, pruned of what no longer counts. Call with
// mu held.
func (q *quotas) client(key clientKey, now time.Time) *clientQuota {
	if q.ops++; q.ops >= 1024 {
		q.sweep(now)
	}
	c := q.clients[key]
	if c == nil {
		c = &clientQuota{}
		q.clients[key] = c
	}
	c.prune(q, now)
	return c
}

func (c *clientQuota) prune(q *quotas, now time.Time) {
	c.rooms = deleteFunc(c.rooms, func(g gone) bool { return g() })
	c.seats = deleteFunc(c.seats, func(s pendingSeat) bool {
		gone := !now.Before(s.expires) || s.gone()
		if gone {
			delete(q.pending, s.ref)
		}
		return gone
	})
}

// idle reports whether c holds nothing a fresh entry would not.
func (c *clientQuota) idle(l *Limits, now time.Time) bool {
	return len(c.rooms) == 0 && len(c.seats) == 0 && c.inFlight == 0 && c.creating == 0 &&
		(c.create == nil || c.create.TokensAt(now) >= float64(l.RoomCreateBurst))
}

// sweep forgets clients that hold nothing, so a stream of one-time
// clients does not grow the map for good. Call with mu held.
func (q *quotas) sweep(now time.Time) {
	q.ops = 0
	for key, c := range q.clients {
		c.prune(q, now)
		if c.idle(q.limits, now) {
			delete(q.clients, key)
		}
	}
}

func closed(r *rooms.Room) bool {
	select {
	case <-r.Done():
		return true
	default:
		return false
	}
}

// closedRoom is r's gone: it has closed.
func closedRoom(r *rooms.Room) gone { return func() bool { return closed(r) } }

// deleteFunc is slices.DeleteFunc that also clears the dropped tail, so
// closed rooms are not kept alive by the slice's spare capacity.
func deleteFunc[S ~[]E, E any](s S, del func(E) bool) S {
	out := s[:0]
	for _, v := range s {
		if !del(v) {
			out = append(out, v)
		}
	}
	clear(s[len(out):])
	return out
}

// createRoom runs create for key if key may open another room: fewer than
// RoomsPerClient of its rooms open, and its creation budget not spent.
// create may take a while (on another node of a cluster), so it runs
// outside the lock, counted meanwhile against both limits: two requests of
// one client cannot both take its last room or its last creation, and
// only a room made spends the budget.
func (q *quotas) createRoom(key clientKey, create func() (*directory.Room, gone, error)) (*directory.Room, error) {
	now := time.Now()
	q.mu.Lock()
	c := q.client(key, now)
	l := q.limits
	if l.RoomsPerClient > 0 && len(c.rooms)+c.creating >= l.RoomsPerClient {
		open := len(c.rooms) + c.creating
		q.mu.Unlock()
		return nil, &QuotaError{Quota: "rooms-per-client",
			Detail: fmt.Sprintf("you have %d rooms open, the most one client may (limit %d); rooms nobody joins close on their own", open, l.RoomsPerClient)}
	}
	if l.RoomCreateRate > 0 {
		if c.create == nil {
			c.create = rate.NewLimiter(rate.Limit(l.RoomCreateRate/60), l.RoomCreateBurst)
		}
		if tokens := c.create.TokensAt(now) - float64(c.creating); tokens < 1 {
			q.mu.Unlock()
			wait := time.Duration((1 - tokens) / (l.RoomCreateRate / 60) * float64(time.Second))
			return nil, &QuotaError{Quota: "room-create-rate", RetryAfter: wait,
				Detail: fmt.Sprintf("you are creating rooms faster than one client may (limit %g a minute, %d at once); retry in %d s", l.RoomCreateRate, l.RoomCreateBurst, retryAfter(wait))}
		}
	}
	c.creating++
	q.mu.Unlock()

	room, g, err := create()

	q.mu.Lock()
	defer q.mu.Unlock()
	c = q.client(key, time.Now())
	c.creating--
	if err != nil {
		return nil, err
	}
	if c.create != nil {
		// Spent even when it runs the budget below zero: the room is made.
		c.create.ReserveN(time.Now(), 1)
	}
	c.rooms = append(c.rooms, g)
	return room, nil
}

// reserve runs reserve for key if key may hold another unclaimed
// reservation: fewer than PendingPerClient, across every room. reserve may
// block (on a room's goroutine), so it runs outside the lock, counted in
// flight meanwhile.
func (q *quotas) reserve(key clientKey, reserve func() (rest.Seat, gone, error)) (rest.Seat, error) {
	now := time.Now()
	q.mu.Lock()
	c := q.client(key, now)
	if limit := q.limits.PendingPerClient; limit > 0 && len(c.seats)+c.inFlight >= limit {
		var wait time.Duration
		if len(c.seats) > 0 {
			soonest := c.seats[0].expires
			for _, s := range c.seats[1:] {
				if s.expires.Before(soonest) {
					soonest = s.expires
				}
			}
			wait = soonest.Sub(now)
		}
		held := len(c.seats) + c.inFlight // read under mu: other joins of this client change them
		q.mu.Unlock()
		return rest.Seat{}, &QuotaError{Quota: "pending-per-client", RetryAfter: wait,
			Detail: fmt.Sprintf("you hold %d seats not yet connected to, the most one client may (limit %d); connect to them or wait for them to expire", held, limit)}
	}
	c.inFlight++
	q.mu.Unlock()

	seat, g, err := reserve()

	q.mu.Lock()
	defer q.mu.Unlock()
	c = q.client(key, time.Now())
	c.inFlight--
	if err == nil {
		ref := seatRef{seat.RoomID, seat.PlayerID}
		c.seats = append(c.seats, pendingSeat{ref: ref, gone: g, expires: seat.ExpiresAt})
		q.pending[ref] = key
	}
	return seat, err
}

// claimed stops counting a reservation: its WebSocket has come.
func (q *quotas) claimed(roomID string, playerID uint32) {
	ref := seatRef{roomID, playerID}
	q.mu.Lock()
	defer q.mu.Unlock()
	key, ok := q.pending[ref]
	if !ok {
		return
	}
	delete(q.pending, ref)
	if c := q.clients[key]; c != nil {
		c.seats = deleteFunc(c.seats, func(s pendingSeat) bool { return s.ref == ref })
	}
}
