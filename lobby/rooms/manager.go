package rooms

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/netcode"
)

// ErrTooManyRooms is returned when MaxRooms rooms are already open.
var ErrTooManyRooms = errors.New("rooms: too many rooms")

// ErrShuttingDown is returned for new rooms and joins once shutdown began.
var ErrShuttingDown = errors.New("rooms: server is shutting down")

// Manager creates, finds, lists and closes this node's rooms. It owns each
// room's goroutine: a room stops when the Manager's context ends or it is
// closed, and Wait returns when all have stopped.
type Manager struct {
	// static after construction
	ctx    context.Context
	opts   Options
	tokens *Tokens
	games  []game.Definition
	log    *slog.Logger

	wg sync.WaitGroup

	mu       sync.Mutex
	rooms    map[string]*managed      // guarded by mu
	creating map[string]chan struct{} // ids CreateID is claiming, closed when done; guarded by mu
	draining bool                     // guarded by mu
}

type managed struct {
	room   *Room
	cancel context.CancelCauseFunc
}

// errClosedByServer is the cause a room is cancelled with by Close, as
// opposed to the whole server shutting down.
var errClosedByServer = errors.New("room closed by the server")

// NewManager returns a manager of rooms that run games (the first is the
// default game); rooms live until ctx ends.
func NewManager(ctx context.Context, opts Options, games []game.Definition, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts = opts.withDefaults()
	m := &Manager{
		ctx: ctx, opts: opts, tokens: NewTokens(opts.TokenKey, nil), games: games, log: log,
		rooms: make(map[string]*managed), creating: make(map[string]chan struct{}),
	}
	return m
}

// MaxRooms is the most rooms this node runs at once (Options.MaxRooms).
func (m *Manager) MaxRooms() int { return m.opts.MaxRooms }

// Tokens returns the signer seat tokens are checked with.
func (m *Manager) Tokens() *Tokens { return m.tokens }

// Directory returns the directory the rooms are listed in.
func (m *Manager) Directory() directory.Directory { return m.opts.Directory }

// Games returns the games rooms can run, the default first.
func (m *Manager) Games() []game.Definition { return m.games }

// Create validates cfg, starts a room and returns it.
func (m *Manager) Create(cfg Config) (*Room, error) {
	cfg = cfg.withDefaults(m.games)
	if err := cfg.Validate(m.games); err != nil {
		return nil, err
	}
	id := uuid.NewString()
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.admit(); err != nil {
		return nil, err
	}
	r, err := m.newRoom(id, cfg)
	if err != nil {
		return nil, err
	}
	r.publishIfDirty()
	m.start(r)
	return r, nil
}

// ErrExists refuses CreateID: another room has the id, on another node
// of the cluster (directory.ErrExists from the directory's claim).
var ErrExists = directory.ErrExists

// MaxIDLen bounds a room id given to CreateID.
const MaxIDLen = 64

// CreateID starts a room under id, chosen by the caller (a uuid), so that
// a request retried after a timeout cannot make a second room: while a
// room with id runs on this node, or is being created, CreateID returns
// that room and created false, whatever cfg says. When the directory is a
// directory.Claimer the id is claimed through it before the room starts,
// and an id that another node runs is refused with ErrExists; ctx bounds
// the claim and the wait for a concurrent CreateID of the same id.
func (m *Manager) CreateID(ctx context.Context, id string, cfg Config) (r *Room, created bool, err error) {
	if err := validID(id); err != nil {
		return nil, false, err
	}
	cfg = cfg.withDefaults(m.games)
	if err := cfg.Validate(m.games); err != nil {
		return nil, false, err
	}
	m.mu.Lock()
	for {
		if mr, ok := m.rooms[id]; ok {
			m.mu.Unlock()
			return mr.room, false, nil
		}
		wait, busy := m.creating[id]
		if !busy {
			break
		}
		m.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
		m.mu.Lock()
	}
	if err := m.admit(); err != nil {
		m.mu.Unlock()
		return nil, false, err
	}
	done := make(chan struct{})
	m.creating[id] = done
	m.mu.Unlock()

	r, err = m.newRoom(id, cfg)
	if err == nil {
		err = m.claim(ctx, r)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.creating, id)
	close(done)
	if err != nil {
		return nil, false, err
	}
	if m.draining {
		// Drain came while the id was being claimed: the room never
		// starts, and its record goes at once.
		r.dirty = false
		r.publish(r.Info().Closed())
		return nil, false, ErrShuttingDown
	}
	m.start(r)
	return r, true, nil
}

// claim publishes a new room's first record: through the directory's
// Create when it claims ids, else as any room's.
func (m *Manager) claim(ctx context.Context, r *Room) error {
	c, ok := m.opts.Directory.(directory.Claimer)
	if !ok {
		r.publishIfDirty()
		return nil
	}
	r.dirty = false
	info := r.buildInfo()
	r.info.Store(info)
	return c.Create(ctx, info)
}

// validID checks an id given to CreateID: it appears in URLs and is a key
// in the cluster's directory, so letters, digits, - and _ only.
func validID(id string) error {
	if id == "" || len(id) > MaxIDLen {
		return &FieldError{Field: "id", Detail: fmt.Sprintf("must be 1 to %d characters", MaxIDLen)}
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return &FieldError{Field: "id", Detail: "letters, digits, - and _ only"}
		}
	}
	return nil
}

// admit refuses a new room while draining or at MaxRooms (rooms being
// claimed count). Call with mu held.
func (m *Manager) admit() error {
	switch {
	case m.draining:
		return ErrShuttingDown
	case len(m.rooms)+len(m.creating) >= m.opts.MaxRooms:
		return ErrTooManyRooms
	}
	return nil
}

// start runs r's goroutine. Call with mu held.
func (m *Manager) start(r *Room) {
	ctx, cancel := context.WithCancelCause(m.ctx)
	m.rooms[r.id] = &managed{room: r, cancel: cancel}
	m.wg.Go(func() {
		r.run(ctx)
		cancel(nil)
		m.forget(r.id)
	})
	cfg := r.cfg
	m.log.Info("room created", "room", r.id, "name", cfg.Name, "game", cfg.Game, "mode", cfg.Mode, "tick_rate", cfg.TickRate, "max_players", cfg.MaxPlayers)
}

// newRoom makes the room and its game. A game whose schema is invalid is a
// bug in the game: the room is not made.
func (m *Manager) newRoom(id string, cfg Config) (*Room, error) {
	if cfg.Seed == 0 {
		h := fnv.New64a()
		h.Write([]byte(id))
		cfg.Seed = h.Sum64()
	}
	g := findGame(m.games, cfg.Game).New(game.Config{Mode: cfg.Mode, Seed: cfg.Seed, TickRate: cfg.TickRate, MaxPlayers: cfg.MaxPlayers})
	codec, err := netcode.NewCodec(g.Schema())
	if err != nil {
		return nil, fmt.Errorf("rooms: game %s: %w", cfg.Game, err)
	}
	now := time.Now()
	period := time.Second / time.Duration(cfg.TickRate)
	// Rooms created together must not all tick at the same instant: each
	// takes its own phase within the period, from its seed.
	phase := time.Duration(cfg.Seed % uint64(period))
	r := &Room{
		id: id, cfg: cfg, opts: m.opts, tokens: m.tokens, log: m.log,
		period: period, created: now, clockZero: now.Add(-phase), tickAt: now.Add(-phase),
		ctrl: make(chan *request, 64), done: make(chan struct{}),
		game: g, codec: codec, dirty: true,
		publish: m.publish,
	}
	r.info.Store(r.buildInfo())
	return r, nil
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
