package rooms

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
)

// The runtime tests run in a synctest bubble: the room's timers run on the
// bubble's fake clock, which moves only when every goroutine in it is
// blocked. advance moves it by d and returns once the room goroutines have
// done everything due by then and are blocked again, so the tests can
// assert exact tick counts at exact instants.
func advance(d time.Duration) {
	<-time.After(d)
	synctest.Wait()
}

// advanceTo advances the fake clock to at.
func advanceTo(t testing.TB, at time.Time) {
	t.Helper()
	d := time.Until(at)
	if d < 0 {
		t.Fatalf("advance to %v: already %v past it", at, -d)
	}
	advance(d)
}

// testMap is a small walled arena in which every player sees every other.
func testMap() (*arena.Map, []arena.Point) {
	m := &arena.Map{W: 640, H: 480, Walls: []arena.Wall{
		{X: 0, Y: 0, W: 640, H: 12}, {X: 0, Y: 468, W: 640, H: 12},
		{X: 0, Y: 0, W: 12, H: 480}, {X: 628, Y: 0, W: 12, H: 480},
	}}
	spawns := []arena.Point{{X: 160, Y: 240}, {X: 480, Y: 240}, {X: 320, Y: 120}, {X: 320, Y: 360}}
	return m, spawns
}

// newTestGame builds the arena a test room runs: the small map, seeded and
// ticking as the room's Config says.
func newTestGame(cfg Config) *arena.Arena {
	m, spawns := testMap()
	return arena.New(arena.Config{Seed: cfg.Seed, TickRate: cfg.TickRate, Map: m, Spawns: spawns})
}

// arenaIn is an arena input on the wire, numbered seq.
func arenaIn(seq uint32, move uint8, aim uint16, buttons uint8) game.Input {
	return arena.Input{Seq: seq, Move: move, Aim: aim, Buttons: buttons}.Wire()
}

// seedFor returns a seed that gives a room at rate a phase of exactly
// phase (newRoom takes the phase as Seed modulo the period).
func seedFor(rate int, phase time.Duration) uint64 {
	period := time.Second / time.Duration(rate)
	return uint64(1000*period + phase)
}

// harness runs a Manager in the bubble; stop (also a Cleanup) cancels it
// and waits for every room goroutine.
type harness struct {
	t       *testing.T
	ctx     context.Context
	cancel  context.CancelFunc
	mgr     *Manager
	metrics *testMetrics

	mu       sync.Mutex
	creating Config                  // the Config create is making a room of, for newGame
	games    map[string]*arena.Arena // by room name, as newGame built them
	cfgs     map[string]Config
	wrap     func(cfg Config, g *arena.Arena) game.Game // optional
}

func newHarness(t *testing.T, opts Options) *harness {
	return newHarnessWrap(t, opts, nil)
}

func newHarnessWrap(t *testing.T, opts Options, wrap func(Config, *arena.Arena) game.Game) *harness {
	return newHarnessGames(t, opts, wrap, nil)
}

// newHarnessGames runs the test arena (as newHarnessWrap) and then the
// games more.
func newHarnessGames(t *testing.T, opts Options, wrap func(Config, *arena.Arena) game.Game, more []game.Definition) *harness {
	h := &harness{t: t, metrics: &testMetrics{}, games: map[string]*arena.Arena{}, cfgs: map[string]Config{}, wrap: wrap}
	if opts.Metrics == nil {
		opts.Metrics = h.metrics
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	def := arena.Definition()
	def.New = h.newGame
	h.mgr = NewManager(h.ctx, opts, append([]game.Definition{def}, more...), nil)
	t.Cleanup(h.stop)
	return h
}

// newGame is the test arena's game.Definition.New: it builds the arena of
// the room create is making, as the room's Config and gc say.
func (h *harness) newGame(gc game.Config) game.Game {
	h.mu.Lock()
	cfg := h.creating
	h.mu.Unlock()
	cfg.Mode, cfg.Seed, cfg.TickRate, cfg.MaxPlayers = gc.Mode, gc.Seed, gc.TickRate, gc.MaxPlayers
	g := newTestGame(cfg)
	h.mu.Lock()
	h.games[cfg.Name], h.cfgs[cfg.Name] = g, cfg
	h.mu.Unlock()
	if h.wrap != nil {
		return h.wrap(cfg, g)
	}
	return g
}

// stop ends every room and waits for their goroutines.
func (h *harness) stop() {
	h.cancel()
	h.mgr.Wait()
}

// clock is a room's tick schedule: tick k runs at zero + k·period.
type clock struct {
	zero   time.Time
	period time.Duration
}

func (c clock) at(k uint32) time.Time { return c.zero.Add(time.Duration(k) * c.period) }

// firstAfter returns the first tick that runs strictly after t.
func (c clock) firstAfter(t time.Time) uint32 {
	k := uint32(t.Sub(c.zero) / c.period)
	for !c.at(k).After(t) {
		k++
	}
	return k
}

// firstAtOrAfter returns the first tick that runs at t or later.
func (c clock) firstAtOrAfter(t time.Time) uint32 {
	k := c.firstAfter(t)
	if k > 0 && c.at(k-1).Equal(t) {
		return k - 1
	}
	return k
}

// create starts a room with cfg (Seed must be set) and returns it with its
// schedule: created now, its tick 0 is phase before now.
func (h *harness) create(cfg Config) (*Room, clock) {
	h.t.Helper()
	if cfg.Seed == 0 {
		h.t.Fatal("set Seed: the tests need to know the room's phase")
	}
	if cfg.Name == "" {
		cfg.Name = "room"
	}
	h.mu.Lock()
	h.creating = cfg
	h.mu.Unlock()
	r, err := h.mgr.Create(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	period := time.Second / time.Duration(r.cfg.TickRate)
	phase := time.Duration(cfg.Seed % uint64(period))
	return r, clock{zero: time.Now().Add(-phase), period: period}
}

// game returns the arena built for the room named name.
func (h *harness) game(name string) (*arena.Arena, Config) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.games[name], h.cfgs[name]
}

// avatar returns player id's avatar in the arena of the room named name,
// read on the room's goroutine: every field, private ones included.
func (h *harness) avatar(r *Room, name string, id uint32) arena.Entity {
	h.t.Helper()
	g, _ := h.game(name)
	var e arena.Entity
	var ok bool
	if err := r.do(h.ctx, func() error {
		e, ok = g.Player(id)
		return nil
	}); err != nil || !ok {
		h.t.Fatalf("player %d in room %s: %v, found %v", id, name, err, ok)
	}
	return e
}

// join reserves a seat, claims it with its token and attaches c; it
// returns the seat's player id and the welcome.
func (h *harness) join(r *Room, name string, c *memConn) uint32 {
	h.t.Helper()
	res, err := r.Reserve(h.ctx, name, r.cfg.JoinCode)
	if err != nil {
		h.t.Fatalf("reserve %s: %v", name, err)
	}
	claims, err := h.mgr.Tokens().Verify(res.Token)
	if err != nil {
		h.t.Fatalf("join token: %v", err)
	}
	if err := r.Claim(h.ctx, claims); err != nil {
		h.t.Fatalf("claim: %v", err)
	}
	if err := r.Attach(h.ctx, claims.PlayerID, c, 0); err != nil {
		h.t.Fatalf("attach: %v", err)
	}
	return claims.PlayerID
}

// reconnect takes the seat again with tok, attaching c.
func (h *harness) reconnect(r *Room, tok string, c *memConn, lastEvent uint32) (uint32, error) {
	claims, err := h.mgr.Tokens().Verify(tok)
	if err != nil {
		return 0, err
	}
	if claims.Kind != TokenReconnect {
		h.t.Fatalf("token kind %q, want reconnect", claims.Kind)
	}
	if err := r.Claim(h.ctx, claims); err != nil {
		return 0, err
	}
	return claims.PlayerID, r.Attach(h.ctx, claims.PlayerID, c, lastEvent)
}

// queued returns how many inputs seat id has queued, read on the room
// goroutine.
func queued(t testing.TB, r *Room, id uint32) int {
	t.Helper()
	n := -1
	if err := r.do(context.Background(), func() error {
		if s := r.seat(id); s != nil {
			n = len(s.inputs.q)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// rosterState returns the state Info's roster gives player id ("" when
// absent).
func rosterState(r *Room, id uint32) string {
	for _, p := range r.Info().Roster {
		if p.ID == id {
			return p.State
		}
	}
	return ""
}

// testMetrics records what rooms report.
type testMetrics struct {
	mu sync.Mutex
	m  metricsSeen
}

// metricsSeen is what a testMetrics has recorded.
type metricsSeen struct {
	ticks    int
	perTick  []tickSeen // every Tick call, in order
	lateMax  time.Duration
	lateN    int
	dropped  map[string]int
	backlogs [][MaxInputBacklog + 1]uint64 // one per InputBacklog call
	panicked int
}

// tickSeen is one Metrics.Tick call.
type tickSeen struct {
	took, late time.Duration
	isLate     bool
}

func (m *testMetrics) Tick(took, late time.Duration, isLate bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m.ticks++
	m.m.perTick = append(m.m.perTick, tickSeen{took, late, isLate})
	m.m.lateMax = max(m.m.lateMax, late)
	if isLate {
		m.m.lateN++
	}
}

func (m *testMetrics) InputDropped(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m.dropped == nil {
		m.m.dropped = map[string]int{}
	}
	m.m.dropped[reason]++
}

func (m *testMetrics) InputBacklog(counts *[MaxInputBacklog + 1]uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m.backlogs = append(m.m.backlogs, *counts)
}

func (m *testMetrics) Panicked() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m.panicked++
}

func (m *testMetrics) seen() metricsSeen {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.m
	c.perTick = slices.Clone(m.m.perTick)
	c.backlogs = slices.Clone(m.m.backlogs)
	c.dropped = maps.Clone(m.m.dropped)
	if c.dropped == nil {
		c.dropped = map[string]int{}
	}
	return c
}

// memRecorder keeps a copy of every tick record, by room.
type memRecorder struct {
	mu   sync.Mutex
	recs map[string][]TickRecord
}

func (m *memRecorder) Record(roomID string, rec *TickRecord) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recs == nil {
		m.recs = map[string][]TickRecord{}
	}
	m.recs[roomID] = append(m.recs[roomID], TickRecord{Tick: rec.Tick, Ops: slices.Clone(rec.Ops)})
}

func (m *memRecorder) records(roomID string) []TickRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.recs[roomID])
}
