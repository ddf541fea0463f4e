package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
)

// Backend answers the calls of other nodes: *lobby.API does, on the paths
// its own HTTP requests take. A refusal is a *lobby.PeerError, sent to the
// caller as it is.
type Backend interface {
	PeerCreate(ctx context.Context, id string, req rest.CreateRoom) (*directory.Room, error)
	PeerReserve(ctx context.Context, roomID string, join rest.Join) (rest.Seat, error)
}

var _ Backend = (*lobby.API)(nil)

// maxInFlight bounds the calls a node serves at once; more are refused at
// once (503), so a flood of calls cannot pile up goroutines.
const maxInFlight = 256

// Server answers this node's subjects. Each call runs on a goroutine of
// its own (a create may wait on NATS, a reserve on its room), which the
// server owns: close cancels and waits for them.
type Server struct {
	nc      *nats.Conn
	b       Backend
	timeout time.Duration
	metrics *metrics
	log     *slog.Logger
	subs    []*nats.Subscription
	slots   chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	calls   onceCalls

	mu     sync.Mutex
	closed bool // guarded by mu; no call starts once set
}

// serve subscribes to node's subjects, without a queue group: only this
// node answers them, and with no subscriber a request fails at once.
func serve(nc *nats.Conn, node string, b Backend, timeout time.Duration, m *metrics, log *slog.Logger) (*Server, error) {
	s := &Server{nc: nc, b: b, timeout: timeout, metrics: m, log: log, slots: make(chan struct{}, maxInFlight)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for _, op := range []string{opCreate, opReserve} {
		sub, err := nc.Subscribe(subject(node, op), func(msg *nats.Msg) { s.dispatch(op, msg) })
		if err != nil {
			s.close()
			return nil, err
		}
		s.subs = append(s.subs, sub)
	}
	// The subscriptions must be on the server before the node is listed
	// as taking rooms: a call to it must not find no responders.
	if err := nc.Flush(); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// dispatch runs on the subscription's goroutine: it hands the call to a
// goroutine of its own, or refuses it when too many are in flight.
func (s *Server) dispatch(op string, msg *nats.Msg) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return // the caller finds no responder when it asks again
	}
	select {
	case s.slots <- struct{}{}:
	default:
		s.metrics.served(op, "busy")
		data, _ := json.Marshal(reply{Problem: &rest.Problem{Type: "/problems/unavailable", Status: http.StatusServiceUnavailable,
			Title: "Service unavailable", Detail: "the node is serving as many calls from other nodes as it takes; retry"}})
		s.respond(msg, data)
		return
	}
	s.wg.Go(func() {
		defer func() { <-s.slots }()
		s.handle(op, msg)
	})
}

func (s *Server) handle(op string, msg *nats.Msg) {
	var rep reply
	var err error
	var ctx context.Context
	var once *onceCall // a reserve's call, answered once however often asked
	switch op {
	case opCreate:
		var req createRequest
		if err = json.Unmarshal(msg.Data, &req); err == nil {
			var cancel context.CancelFunc
			ctx, cancel = s.callCtx(req.WaitMS)
			defer cancel()
			rep.Room, err = s.b.PeerCreate(ctx, req.ID, req.Room)
		}
	case opReserve:
		var req reserveRequest
		if err = json.Unmarshal(msg.Data, &req); err == nil {
			var cancel context.CancelFunc
			ctx, cancel = s.callCtx(req.WaitMS)
			defer cancel()
			if req.Call != "" {
				var first bool
				if once, first = s.calls.begin(req.Call); !first {
					s.answerAgain(op, msg, once, ctx)
					return
				}
			}
			var seat rest.Seat
			if seat, err = s.b.PeerReserve(ctx, req.Room, req.Join); err == nil {
				rep.Seat = &seat
			}
		}
	}
	var pe *lobby.PeerError
	switch {
	case err != nil && ctx != nil && ctx.Err() != nil:
		// Cut short because the caller stopped waiting (or the node is
		// closing): nobody reads an answer, and the caller's own timeout
		// says what happened better than a refusal made of it would.
		s.metrics.served(op, "abandoned")
		s.calls.finish(once, nil)
		return
	case err == nil:
		s.metrics.served(op, "ok")
	case errors.As(err, &pe):
		s.metrics.served(op, "refused")
		rep = reply{Problem: &pe.Problem, RetryAfterMS: pe.RetryAfter.Milliseconds()}
	default:
		s.metrics.served(op, "error")
		s.log.Warn("cluster: a call from another node failed", "op", op, "err", err)
		rep = reply{Problem: &rest.Problem{Status: http.StatusInternalServerError, Title: "Internal Server Error", Detail: "internal error"}}
	}
	data, _ := json.Marshal(rep)
	s.calls.finish(once, data)
	s.respond(msg, data)
}

// answerAgain answers a request sent again with the first one's answer,
// once it has one.
func (s *Server) answerAgain(op string, msg *nats.Msg, c *onceCall, ctx context.Context) {
	select {
	case <-c.done:
	case <-ctx.Done():
		return
	}
	if c.answer == nil {
		return // the first was abandoned: so is this
	}
	s.metrics.served(op, "again")
	s.respond(msg, c.answer)
}

// callCtx bounds a call: the caller's wait (it reads no answer after it),
// the server's own timeout, and the server's life.
func (s *Server) callCtx(waitMS int64) (context.Context, context.CancelFunc) {
	wait := s.timeout
	if waitMS > 0 {
		wait = min(wait, time.Duration(waitMS)*time.Millisecond)
	}
	return context.WithTimeout(s.ctx, wait)
}

func (s *Server) respond(msg *nats.Msg, data []byte) {
	if err := msg.Respond(data); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		s.log.Warn("cluster: answering another node failed", "subject", msg.Subject, "err", err)
	}
}

// callMemory is how long a node remembers a reserve's answer for the
// request sent again: longer than any caller waits.
const callMemory = 30 * time.Second

// maxCalls bounds the answers remembered; beyond it the oldest go first.
const maxCalls = 10000

// onceCalls are the reserves a node has been asked for lately, by call id.
type onceCalls struct {
	mu    sync.Mutex
	calls map[string]*onceCall // guarded by mu
	order []*onceCall          // oldest first; guarded by mu
}

type onceCall struct {
	id     string
	at     time.Time
	done   chan struct{} // closed once answer is set
	answer []byte        // nil: not answered (abandoned)
}

// begin returns the call of id, and whether this request is its first.
func (o *onceCalls) begin(id string) (*onceCall, bool) {
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.calls == nil {
		o.calls = map[string]*onceCall{}
	}
	if c, ok := o.calls[id]; ok {
		return c, false
	}
	i := 0
	for ; i < len(o.order) && (now.Sub(o.order[i].at) > callMemory || len(o.order)-i >= maxCalls); i++ {
		delete(o.calls, o.order[i].id)
	}
	o.order = append(o.order[:0], o.order[i:]...)
	c := &onceCall{id: id, at: now, done: make(chan struct{})}
	o.calls[id] = c
	o.order = append(o.order, c)
	return c, true
}

// finish records c's answer (nil: none) for the requests sent again.
func (o *onceCalls) finish(c *onceCall, answer []byte) {
	if c == nil {
		return
	}
	c.answer = answer
	close(c.done)
}

// close stops taking calls (no responders from now on), ends the calls
// in flight and waits for them.
func (s *Server) close() {
	for _, sub := range s.subs {
		sub.Unsubscribe()
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}
