package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/netcode/client"
)

// swarm is one run of tickbot: its rooms and bots.
type swarm struct {
	// static after newSwarm
	cfg      config
	start    time.Time
	rooms    []*room
	bots     []*bot
	fullOpts *client.Options // fighters decode snapshots
	skipOpts *client.Options // the others only count them

	connecting chan struct{} // semaphore of -joins-in-flight
	stopping   atomic.Bool   // set before the bots leave: ends are not disconnects
	readers    sync.WaitGroup
	senders    sync.WaitGroup
	stats      stats
}

// room is a room the swarm plays in, and the goroutine that creates it and
// then sends its bots' inputs.
type room struct {
	n     int
	bots  []*bot
	ready chan struct{} // closed once id or err is set
	id    string
	err   error
}

func newSwarm(cfg config) *swarm {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = cfg.JoinsInFlight
	hc := &http.Client{Transport: tr}
	return &swarm{
		cfg:        cfg,
		fullOpts:   &client.Options{HTTPClient: hc},
		skipOpts:   &client.Options{HTTPClient: hc, SkipEntities: true},
		connecting: make(chan struct{}, cfg.JoinsInFlight),
	}
}

// setup plans the rooms and their bots. It creates the first room at once,
// so a wrong -server or room setting fails the run before it starts; the
// others are created when their first bot's turn in the ramp comes, so
// rooms do not all tick in step.
func (s *swarm) setup(ctx context.Context) error {
	rooms := s.cfg.Rooms
	if s.cfg.Room != "" {
		rooms = 1
	}
	for i := range rooms {
		r := &room{n: i, ready: make(chan struct{})}
		for range s.cfg.BotsPerRoom {
			n := len(s.bots)
			b := newBot(n, behaviorOf(s.cfg.Behavior, s.cfg.def(), n), r, s.cfg.Seed)
			r.bots = append(r.bots, b)
			s.bots = append(s.bots, b)
		}
		s.rooms = append(s.rooms, r)
	}
	if s.cfg.Room != "" {
		s.rooms[0].id = s.cfg.Room
		close(s.rooms[0].ready)
		return nil
	}
	if err := s.rooms[0].create(ctx, s); err != nil {
		return fmt.Errorf("creating a room: %w", err)
	}
	return nil
}

// create creates the room through the lobby API, once.
func (r *room) create(ctx context.Context, s *swarm) error {
	select {
	case <-r.ready:
		return r.err
	default:
	}
	spec := rest.CreateRoom{Name: fmt.Sprintf("tickbot %d", r.n+1), Game: s.cfg.Game, MaxPlayers: new(s.cfg.BotsPerRoom), TickRate: new(s.cfg.TickRate)}
	if s.cfg.SendRate != 0 {
		spec.SendRate = new(s.cfg.SendRate)
	}
	info, err := client.CreateRoom(ctx, s.cfg.Server, spec, s.fullOpts)
	if err != nil {
		r.err = err
	} else {
		r.id = info.ID
	}
	close(r.ready)
	return r.err
}

// launch starts every bot at its turn in the ramp, and every room's
// goroutine at its first bot's turn.
func (s *swarm) launch(ctx context.Context, sendCtx context.Context) {
	s.start = time.Now()
	n := len(s.bots)
	turn := func(i int) time.Time { return s.start.Add(time.Duration(int64(s.cfg.Ramp) * int64(i) / int64(n))) }
	for i, b := range s.bots {
		s.readers.Go(func() { b.run(ctx, s, turn(i)) })
	}
	period := time.Second / time.Duration(s.cfg.InputHz)
	for _, r := range s.rooms {
		s.senders.Go(func() { r.run(sendCtx, s, turn(r.bots[0].n), period) })
	}
}

// run creates the room when its first bot's turn comes, then is the
// room's sender: every input period, from a random phase, each connected
// bot gets its turn.
// One goroutine and one ticker per room, not per bot.
func (r *room) run(ctx context.Context, s *swarm, at time.Time, period time.Duration) {
	if !sleepUntil(ctx, at) {
		return
	}
	if r.create(ctx, s) != nil {
		return
	}
	// Start sending at a random point of the input period: real clients'
	// clocks are not in step with the server's, and inputs that arrive
	// exactly when the room ticks would share its wake-ups and flatter it.
	rng := rand.New(rand.NewPCG(s.cfg.Seed, uint64(r.n)|1<<63))
	if !sleepUntil(ctx, time.Now().Add(durN(rng, period))) {
		return
	}
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			for _, b := range r.bots {
				b.act(s, now)
			}
		}
	}
}

// stop ends the run: the senders stop, then every connected bot leaves
// (gives up its seat) and the readers return. Bots still connecting are
// abandoned through ctx, which the caller cancels before calling stop.
func (s *swarm) stop(timeout time.Duration) {
	s.stopping.Store(true)
	s.senders.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, b := range s.bots {
		if c := b.client.Load(); c != nil && b.endedAt.Load() == 0 {
			wg.Go(func() { c.Leave(ctx) })
		}
	}
	wg.Wait()
	done := make(chan struct{})
	go func() { s.readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		for _, b := range s.bots {
			if c := b.client.Load(); c != nil {
				c.CloseNow()
			}
		}
		<-done
	}
}

// sleepUntil waits for at; false when ctx ended first.
func sleepUntil(ctx context.Context, at time.Time) bool {
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
