package rooms

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby/directory"
)

// ErrTooManyRooms is returned when MaxRooms rooms are already open.
var ErrTooManyRooms = errors.New("rooms: too many rooms")

// ErrShuttingDown is returned for new rooms and joins once shutdown began.
var ErrShuttingDown = errors.New("rooms: server is shutting down")

// NewGame builds the game a room runs.
type NewGame func(cfg Config) game.Game

// Manager creates, finds, lists and closes this node's rooms. It owns each
// room's goroutine: a room stops when the Manager's context ends or it is
// closed, and Wait returns when all have stopped.
type Manager struct {
	// static after construction
	ctx     context.Context
	opts    Options
	tokens  *Tokens
	newGame NewGame
	log     *slog.Logger

	wg sync.WaitGroup

	mu       sync.Mutex
	rooms    map[string]*managed // guarded by mu
	draining bool                // guarded by mu
}

type managed struct {
	room   *Room
	cancel context.CancelCauseFunc
}

// errClosedByServer is the cause a room is cancelled with by Close, as
// opposed to the whole server shutting down.
var errClosedByServer = errors.New("room closed by the server")

// NewManager returns a manager whose rooms live until ctx ends. A nil
// newGame runs the arena.
func NewManager(ctx context.Context, opts Options, newGame NewGame, log *slog.Logger) *Manager {
	if newGame == nil {
		newGame = func(cfg Config) game.Game {
			return game.New(game.Config{Seed: cfg.Seed, TickRate: cfg.TickRate})
		}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts = opts.withDefaults()
	m := &Manager{
		ctx: ctx, opts: opts, tokens: NewTokens(opts.TokenKey, nil), newGame: newGame, log: log,
		rooms: make(map[string]*managed),
	}
	return m
}

// Tokens returns the signer seat tokens are checked with.
func (m *Manager) Tokens() *Tokens { return m.tokens }

// Directory returns the directory the rooms are listed in.
func (m *Manager) Directory() directory.Directory { return m.opts.Directory }

// Create validates cfg, starts a room and returns it.
func (m *Manager) Create(cfg Config) (*Room, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	id := uuid.NewString()
	if cfg.Seed == 0 {
		h := fnv.New64a()
		h.Write([]byte(id))
		cfg.Seed = h.Sum64()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.draining:
		return nil, ErrShuttingDown
	case len(m.rooms) >= m.opts.MaxRooms:
		return nil, ErrTooManyRooms
	}
	r := m.newRoom(id, cfg)
	ctx, cancel := context.WithCancelCause(m.ctx)
	m.rooms[id] = &managed{room: r, cancel: cancel}
	m.wg.Go(func() {
		r.run(ctx)
		cancel(nil)
		m.forget(id)
	})
	m.log.Info("room created", "room", id, "name", cfg.Name, "tick_rate", cfg.TickRate, "max_players", cfg.MaxPlayers)
	return r, nil
}

func (m *Manager) newRoom(id string, cfg Config) *Room {
	now := time.Now()
	period := time.Second / time.Duration(cfg.TickRate)
	// Rooms created together must not all tick at the same instant: each
	// takes its own phase within the period, from its seed.
	phase := time.Duration(cfg.Seed % uint64(period))
	r := &Room{
		id: id, cfg: cfg, opts: m.opts, tokens: m.tokens, log: m.log,
		period: period, created: now, clockZero: now.Add(-phase), tickAt: now.Add(-phase),
		ctrl: make(chan *request, 64), done: make(chan struct{}),
		game: m.newGame(cfg), dirty: true,
		publish: m.publish,
	}
	r.publishIfDirty()
	return r
}

// publish writes a room's new record to the directory. The room's own
// context may have ended (it is closing), so the manager's is used.
func (m *Manager) publish(info *directory.Room) {
	if info.State == directory.StateClosed {
		m.opts.Directory.Delete(context.WithoutCancel(m.ctx), info.ID)
	} else {
		m.opts.Directory.Put(context.WithoutCancel(m.ctx), info)
	}
}

func (m *Manager) forget(id string) {
	m.mu.Lock()
	delete(m.rooms, id)
	m.mu.Unlock()
}

// Get finds a room on this node.
func (m *Manager) Get(id string) (*Room, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if mr, ok := m.rooms[id]; ok {
		return mr.room, nil
	}
	return nil, ErrNotFound
}

// List returns the directory's rooms, oldest first.
func (m *Manager) List(ctx context.Context) ([]*directory.Room, error) {
	return m.opts.Directory.List(ctx)
}

// Close ends a room: its players get an error message and close 1000.
func (m *Manager) Close(id string) error {
	m.mu.Lock()
	mr, ok := m.rooms[id]
	m.mu.Unlock()
	if !ok {
		return ErrNotFound
	}
	mr.cancel(errClosedByServer)
	<-mr.room.Done()
	return nil
}

// Drain refuses new rooms and joins from now on.
func (m *Manager) Drain() {
	m.mu.Lock()
	m.draining = true
	m.mu.Unlock()
}

// Draining reports whether Drain was called.
func (m *Manager) Draining() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.draining
}

// Wait blocks until every room goroutine has returned (after ctx ended).
func (m *Manager) Wait() { m.wg.Wait() }

// Rooms returns the rooms on this node.
func (m *Manager) Rooms() []*Room {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Room, 0, len(m.rooms))
	for _, mr := range m.rooms {
		out = append(out, mr.room)
	}
	return out
}

// Announce sends a system message to every player in the room.
func (r *Room) Announce(ctx context.Context, text string) error {
	return r.do(ctx, func() error {
		r.pending = append(r.pending, game.Event{Kind: game.EventSystem, Text: text})
		return nil
	})
}
