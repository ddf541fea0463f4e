package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/client"
)

// bot is one headless player. Its connecting goroutine becomes its reader;
// its room's sender writes its inputs, pings and chat.
type bot struct {
	// static after construction
	n    int
	name string
	kind behavior
	room *room

	// set once by the reader when connected; read by the sender and the
	// status loop
	client      atomic.Pointer[client.Client]
	connectedAt atomic.Int64  // ns since the swarm started; 0 until connected
	endedAt     atomic.Int64  // ns since the swarm started; 0 while connected
	sendRate    atomic.Uint32 // snapshots per second, from the welcome

	// up is the bot's connected time, so far, of the connections that
	// ended: a bot that rejoins has several. Under upMu with the current
	// connection's start and end, so a summary sees them agree.
	upMu    sync.Mutex
	up      int64 // ns
	upSince int64 // ns since the swarm started; the current connection's start, 0 when none

	// written by the reader, read by anyone
	intent    intent // a thinking bot's chosen input
	snapshots atomic.Uint64
	bytesIn   atomic.Uint64
	moved     atomic.Bool // a thinking bot has seen its avatar change
	gaps      hist        // time between two snapshots
	events    eventCounts // the game's events this bot caused (A is its player)

	// sent[seq%sentRing] is packSent(seq, when) of the inputs sent lately:
	// written by the sender, read by the reader to measure input lag.
	sent [sentRing]atomic.Uint64

	// owned by the reader
	brain   game.Bot     // a thinking bot's, made at connect
	self    game.Entity  // its avatar in the last snapshot
	schema  *game.Schema // from the welcome
	lastAck uint32       // the newest input sequence a snapshot acknowledged
	pending []game.Event // events since the brain last thought

	// owned by the room's sender
	rng      *rand.Rand
	walker   walker
	nextPing time.Time
	lastIn   game.Input
	lastSent time.Time
}

func newBot(n int, kind behavior, r *room, seed uint64) *bot {
	return &bot{
		n: n, kind: kind, room: r, name: fmt.Sprintf("bot-%d", n),
		rng: rand.New(rand.NewPCG(seed, uint64(n)*2)),
	}
}

// since is the time from the swarm's start to now, in ns.
func (s *swarm) since(now time.Time) int64 { return int64(now.Sub(s.start)) }

// live reports whether the bot is connected.
func (b *bot) live() bool { return b.connectedAt.Load() != 0 && b.endedAt.Load() == 0 }

// run waits for the bot's turn in the ramp, connects and reads until the
// connection ends.
func (b *bot) run(ctx context.Context, s *swarm, at time.Time) {
	if !sleepUntil(ctx, at) {
		return
	}
	select {
	case <-ctx.Done():
		return
	case <-b.room.ready:
	}
	c, err := b.joinRoom(ctx, s)
	if err != nil {
		b.connectFailed(ctx, s, err)
		return
	}
	b.read(s, c)
	if s.cfg.Rejoin {
		b.rejoin(ctx, s)
	}
}

// joinRoom connects the bot to its room.
func (b *bot) joinRoom(ctx context.Context, s *swarm) (*client.Client, error) {
	if b.room.err != nil {
		return nil, fmt.Errorf("creating its room: %w", b.room.err)
	}
	return b.connect(ctx, s, &s.stats.join, func(ctx context.Context, opts *client.Options) (*client.Client, error) {
		return joinRetrying(ctx, s.cfg.Server, b.room.id, b.name, opts)
	})
}

func (b *bot) connectFailed(ctx context.Context, s *swarm, err error) {
	if ctx.Err() == nil {
		s.stats.connectErrors.Add(1)
		s.stats.note("connect: " + err.Error())
	}
}

// rejoin quick-plays again each time the bot's connection ends, until the
// run does: the lobby finds it a room of its game with space, on whatever
// node runs it, or makes one. A failed attempt is counted and tried again
// after a growing pause.
func (b *bot) rejoin(ctx context.Context, s *swarm) {
	wait := 100 * time.Millisecond
	lost := time.Now()
	for ctx.Err() == nil && !s.stopping.Load() {
		c, err := b.connect(ctx, s, nil, func(ctx context.Context, opts *client.Options) (*client.Client, error) {
			seat, err := quickPlayRetrying(ctx, s.cfg.Server, s.cfg.Game, b.name, opts)
			if err != nil {
				return nil, err
			}
			return client.Dial(ctx, seat.WSURL, opts)
		})
		if err != nil {
			b.connectFailed(ctx, s, fmt.Errorf("rejoining: %w", err))
			if !sleepUntil(ctx, time.Now().Add(wait)) {
				return
			}
			wait = min(2*wait, 2*time.Second)
			continue
		}
		s.stats.rejoins.Add(1)
		s.stats.rejoin.Add(time.Since(lost))
		wait = 100 * time.Millisecond
		b.read(s, c)
		lost = time.Now()
	}
}

// connect joins through join and readies the bot to play: its brain, its
// counters, its client for the sender.
// took, when not nil, records how long the join took.
func (b *bot) connect(ctx context.Context, s *swarm, took *hist, join func(context.Context, *client.Options) (*client.Client, error)) (*client.Client, error) {
	select {
	case s.connecting <- struct{}{}:
		defer func() { <-s.connecting }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	opts := s.skipOpts
	if b.kind.thinks() {
		opts = s.fullOpts
	}
	began := time.Now()
	c, err := join(ctx, opts)
	if err != nil {
		return nil, err
	}
	// From the join's first request to its welcome: a reservation (through
	// any node of a cluster) and the WebSocket to the room's node.
	if took != nil {
		took.Add(time.Since(began))
	}
	w := c.Welcome()
	if w.Game != s.cfg.Game {
		// Its bots would send another game's inputs (and be refused for
		// them): a room given with -room must run -game.
		c.Leave(ctx)
		return nil, fmt.Errorf("room %s runs %s, not %s: run tickbot with -game %s", w.RoomID, w.Game, s.cfg.Game, w.Game)
	}
	b.schema = c.Schema()
	if b.kind.thinks() {
		b.brain = b.kind.brain(b.schema, int(w.TickRate), s.cfg.Seed^uint64(b.n)<<1|1)
	}
	b.sendRate.Store(uint32(w.SendRate))
	// A new seat numbers its inputs afresh.
	b.self, b.lastAck, b.pending = game.Entity{}, 0, b.pending[:0]
	for i := range b.sent {
		b.sent[i].Store(0)
	}
	now := s.since(time.Now())
	b.upMu.Lock()
	b.upSince = now
	b.upMu.Unlock()
	b.client.Store(c)
	b.endedAt.Store(0)
	b.connectedAt.Store(now)
	s.stats.connected.Add(1)
	return c, nil
}

// upTime is how long the bot has been connected up to end (ns since the
// swarm started), over all its connections.
func (b *bot) upTime(end int64) int64 {
	b.upMu.Lock()
	defer b.upMu.Unlock()
	up := b.up
	if b.upSince != 0 && end > b.upSince {
		up += end - b.upSince
	}
	return up
}

// read owns the client's reading side until the connection ends.
func (b *bot) read(s *swarm, c *client.Client) {
	me := c.PlayerID()
	var last time.Time
	for {
		u, err := c.Read(context.Background())
		now := time.Now()
		if err != nil {
			b.ended(s, now, err)
			return
		}
		b.bytesIn.Add(uint64(u.Bytes))
		switch u.Type {
		case netcode.MsgSnapshot:
			b.snapshots.Add(1)
			if !last.IsZero() {
				b.gaps.Add(now.Sub(last))
			}
			last = now
			if b.brain != nil {
				b.acked(s, u.AckSeq, now)
				b.intent.set(b.brain.Think(me, u.Tick, u.Entities, b.pending))
				b.pending = b.pending[:0]
				b.watchSelf(me, u.Entities)
			}
		case netcode.MsgEvents:
			b.events.count(b.schema, me, u.Events)
			if b.brain != nil {
				b.pending = append(b.pending, u.Events...)
			}
		case netcode.MsgPong:
			s.stats.rtt.Add(u.RTT)
		case netcode.MsgError:
			s.stats.serverErrors.Add(1)
			s.stats.note(fmt.Sprintf("server error %d: %s", u.Error.Code, u.Error.Message))
		}
	}
}

// watchSelf notes when the bot's own avatar changes between snapshots:
// the bot is playing.
func (b *bot) watchSelf(me uint32, view []game.Entity) {
	i, ok := slices.BinarySearchFunc(view, me, func(e game.Entity, id uint32) int { return cmp.Compare(e.ID, id) })
	if !ok {
		return
	}
	if b.self.ID == me && b.self != view[i] && !b.moved.Load() {
		b.moved.Store(true)
	}
	b.self = view[i]
}

// ended records the end of the connection; unless the swarm is stopping
// it counts as a disconnect.
func (b *bot) ended(s *swarm, now time.Time, err error) {
	at := max(s.since(now), 1)
	b.upMu.Lock()
	b.up += max(at-b.upSince, 0)
	b.upSince = 0
	b.upMu.Unlock()
	b.endedAt.Store(at)
	s.stats.connected.Add(-1)
	if s.stopping.Load() {
		return
	}
	s.stats.disconnects.Add(1)
	reason := err.Error()
	var ce websocket.CloseError
	switch {
	case errors.As(err, &ce):
		reason = fmt.Sprintf("closed %d %s", int(ce.Code), ce.Reason)
	case errors.Is(err, net.ErrClosed):
		reason = "connection closed"
	}
	s.stats.note("disconnect: " + reason)
}

// act is the bot's turn in its room's sender: ping when due, then send the
// behaviour's input (and chat).
func (b *bot) act(s *swarm, now time.Time) {
	c := b.client.Load()
	if c == nil || b.endedAt.Load() != 0 {
		return
	}
	ctx := context.Background() // no Done: writes do not allocate
	if b.nextPing.IsZero() {
		b.nextPing = now.Add(durN(b.rng, s.cfg.PingEvery))
	}
	if !now.Before(b.nextPing) {
		b.nextPing = now.Add(s.cfg.PingEvery)
		c.Ping(ctx)
	}
	var in game.Input
	switch {
	case b.kind.name == idle:
		return
	case b.kind.thinks():
		in = b.intent.get()
		if s.cfg.OnChange {
			in = coarse(in, c.Schema().Input)
		}
	default:
		in = b.walker.walk(b.rng, c.Schema().Input, now)
	}
	if b.kind.name == chatty {
		b.chat(c, now)
	}
	if s.cfg.OnChange && in == b.lastIn && now.Sub(b.lastSent) < s.cfg.Keepalive {
		return
	}
	sentAt := s.since(time.Now())
	if seq, err := c.SendInput(ctx, in); err == nil {
		s.stats.inputs.Add(1)
		b.sent[seq%sentRing].Store(packSent(seq, sentAt))
	}
	b.lastIn, b.lastSent = in, now
}

// sentRing is how many sent inputs a bot remembers for measuring input lag:
// two seconds at 30 inputs a second.
const sentRing = 64

// packSent packs the low 24 bits of an input's sequence number with when
// it was sent (µs since the swarm started, 40 bits: 12 days) in one word.
func packSent(seq uint32, sinceStart int64) uint64 {
	return uint64(seq&0xffffff)<<40 | uint64(sinceStart/1000)&(1<<40-1)
}

// acked measures the input lag of the inputs a snapshot acknowledges for
// the first time: for each, the time from sending it to this snapshot's
// arrival (the room applied it, then sent the first snapshot showing it).
// Inputs the room passed over, or that left the ring, are not counted.
func (b *bot) acked(s *swarm, ack uint32, now time.Time) {
	prev := b.lastAck
	if ack == prev || ack-prev > 1<<31 { // nothing new, or an older ack
		return
	}
	b.lastAck = ack
	nowUs := s.since(now) / 1000
	from := prev + 1
	if ack-prev > sentRing {
		from = ack - sentRing + 1
	}
	for seq := from; seq != ack+1; seq++ {
		v := b.sent[seq%sentRing].Load()
		if v>>40 != uint64(seq&0xffffff) {
			continue
		}
		s.stats.inputLag.Add(time.Duration(nowUs-int64(v&(1<<40-1))) * time.Microsecond)
	}
}

func (b *bot) chat(c *client.Client, now time.Time) {
	w := &b.walker
	if w.nextChat.IsZero() {
		w.nextChat = now.Add(durN(b.rng, 5*time.Second))
	}
	if now.Before(w.nextChat) {
		return
	}
	w.nextChat = now.Add(4*time.Second + durN(b.rng, 4*time.Second))
	c.Chat(context.Background(), chatLines[b.rng.IntN(len(chatLines))])
}

// eventCounts counts a bot's game events by the schema's name for them.
type eventCounts struct {
	mu sync.Mutex
	n  map[string]uint64
}

// count adds the game events of events that player me caused (A).
func (c *eventCounts) count(s *game.Schema, me uint32, events []game.Event) {
	for _, e := range events {
		if e.A != me || e.Kind < game.FirstGameEvent {
			continue
		}
		name := fmt.Sprint(e.Kind)
		if def := s.EventByKind(e.Kind); def != nil {
			name = def.Name
		}
		c.mu.Lock()
		if c.n == nil {
			c.n = map[string]uint64{}
		}
		c.n[name]++
		c.mu.Unlock()
	}
}

// addTo adds the counts to sum.
func (c *eventCounts) addTo(sum map[string]uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.n {
		sum[k] += v
	}
}

// quickPlayRetrying is joinRetrying for quick play.
func quickPlayRetrying(ctx context.Context, server, gameName, name string, opts *client.Options) (*rest.Seat, error) {
	wait := 50 * time.Millisecond
	for {
		seat, err := client.QuickPlay(ctx, server, gameName, "", name, opts)
		var p *rest.Problem
		if err == nil || !errors.As(err, &p) || p.Status != http.StatusTooManyRequests {
			return seat, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// joinRetrying joins, waiting and trying again while the lobby answers 429:
// a swarm from one machine is one client to the lobby, whose per-client
// quotas (seats reserved but not yet connected, -pending-per-client) a
// burst of joins can meet; those clear as the bots connect.
func joinRetrying(ctx context.Context, server, roomID, name string, opts *client.Options) (*client.Client, error) {
	wait := 50 * time.Millisecond
	for {
		c, err := client.JoinRoom(ctx, server, roomID, name, opts)
		var p *rest.Problem
		if err == nil || !errors.As(err, &p) || p.Status != http.StatusTooManyRequests {
			return c, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}
