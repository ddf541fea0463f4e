package lobby

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
)

// matchmake is quick play: a seat in the fullest public room of the mode
// that has space, or in a new room of that mode. It answers like join.
func (a *API) matchmake(w http.ResponseWriter, r *http.Request) {
	var req rest.QuickPlay
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	gameName, mode, err := a.gameMode(req.Game, req.Mode)
	if err != nil {
		writeError(w, err)
		return
	}
	name, err := validPlayerName(req.Name)
	if err != nil {
		writeError(w, err)
		return
	}
	if a.m.Draining() {
		writeError(w, rooms.ErrShuttingDown)
		return
	}
	// Quick play's rooms belong to nobody, but its reservations are the
	// caller's: the pending-per-client check comes before any room is
	// made, so quick play with ever new modes cannot flood the cluster.
	seat, err := a.quotas.reserve(a.clients.key(r), func() (rest.Seat, gone, error) {
		return a.quickPlay(r.Context(), gameName, mode, name, func(token string) string { return a.wsURL(r, token) })
	})
	a.writeSeat(w, seat, err)
}

// gameMode checks a quick play's game and mode against the games this
// server runs, and fills in the defaults: the first game, its first mode.
func (a *API) gameMode(gameName, mode string) (string, string, error) {
	games := a.m.Games()
	if gameName == "" && len(games) > 0 {
		gameName = games[0].Name
	}
	for _, d := range games {
		if d.Name != gameName {
			continue
		}
		m, ok := d.Mode(mode)
		if !ok {
			return "", "", &FieldError{Field: "mode", Detail: fmt.Sprintf("%s has no mode %q; GET /api/games lists its modes", d.Name, mode)}
		}
		return gameName, m.Name, nil
	}
	return "", "", &FieldError{Field: "game", Detail: fmt.Sprintf("no game %q on this server; GET /api/games lists them", gameName)}
}

// errNoRoom: no room of the mode has space.
var errNoRoom = errors.New("lobby: no room with space")

// quickPlayAttempts bounds creating a room and losing all its seats to
// concurrent quick plays before taking one.
const quickPlayAttempts = 4

// quickPlay reserves a seat for name, in a room of any node of the
// cluster. Seats are only ever taken by Room.Reserve, on the room's
// goroutine on the node that runs it, so no room overfills however many
// quick plays run at once, on however many nodes: one that loses a race
// gets rooms.ErrFull (or the owner's room-full problem) and tries the next
// room. Creating a room is serialized by matchMu, and rechecks the rooms
// first, so concurrent quick plays on one node fill one new room rather
// than each making their own (quick plays on two nodes at once may make
// one each). A new room is placed like any other.
func (a *API) quickPlay(ctx context.Context, gameName, mode, name string, wsURL func(string) string) (rest.Seat, gone, error) {
	join := rest.Join{Name: name}
	seat, g, err := a.reserveAny(ctx, gameName, mode, join, wsURL)
	if !errors.Is(err, errNoRoom) {
		return seat, g, err
	}
	a.matchMu.Lock()
	defer a.matchMu.Unlock()
	for range quickPlayAttempts {
		seat, g, err = a.reserveAny(ctx, gameName, mode, join, wsURL)
		if !errors.Is(err, errNoRoom) {
			return seat, g, err
		}
		room, _, cerr := a.place(ctx, rest.CreateRoom{Name: quickPlayName(gameName, mode), Game: gameName, Mode: mode})
		if cerr != nil {
			return seat, nil, cerr
		}
		seat, g, err = a.reserveAt(ctx, room.Node, room.ID, join, wsURL)
		if !skip(err) {
			return seat, g, err
		}
	}
	return seat, nil, err
}

// skip reports whether a room's refusal means "try another room": it is
// full, closed or gone, waits on too many joins, or its node is gone,
// slow or shutting down.
func skip(err error) bool {
	var pe *PeerError
	if errors.As(err, &pe) {
		switch pe.Problem.Type {
		case "/problems/room-full", "/problems/room-closed", "/problems/room-not-found", "/problems/unavailable":
			return true
		}
		return pe.Problem.Quota == "room-pending-share"
	}
	return errors.Is(err, rooms.ErrFull) || errors.Is(err, rooms.ErrClosed) || errors.Is(err, rooms.ErrTooManyPending) ||
		errors.Is(err, rooms.ErrNotFound) || errors.Is(err, ErrPeerGone) || errors.Is(err, ErrPeerTimeout) || errors.Is(err, ErrNoCluster)
}

// quickPlayName names a room quick play makes for a game and mode, cut to
// the limit on room names: a game's and a mode's names may be long enough
// together to pass it, and the player must not be refused for that.
func quickPlayName(gameName, mode string) string {
	name := []rune("Quick play: " + gameName + " " + mode)
	return string(name[:min(len(name), rooms.MaxNameRunes)])
}

// reserveAny tries the public rooms of the game and mode with space, of
// every node that takes joins, fullest first (oldest first among equals).
// Another node's rooms are as its last write said (at most a second old),
// so one may turn out full: the next is tried.
func (a *API) reserveAny(ctx context.Context, gameName, mode string, join rest.Join, wsURL func(string) string) (rest.Seat, gone, error) {
	list, err := a.m.List(ctx)
	if err != nil {
		return rest.Seat{}, nil, err
	}
	draining := map[string]bool{a.self(): a.m.Draining()}
	if a.opts.Cluster != nil {
		for _, n := range a.opts.Cluster.Nodes() {
			draining[n.ID] = draining[n.ID] || n.Draining
		}
	}
	var open []*directory.Room
	for _, info := range list {
		if !info.Private && info.State == directory.StateOpen && info.Game == gameName && info.Mode == mode && info.HasSpace() &&
			!draining[cmp.Or(info.Node, a.self())] {
			open = append(open, info)
		}
	}
	slices.SortFunc(open, func(a, b *directory.Room) int {
		return cmp.Or(cmp.Compare(b.Players+b.Reserved, a.Players+a.Reserved),
			a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	for _, info := range open {
		seat, g, err := a.reserveAt(ctx, info.Node, info.ID, join, wsURL)
		if !skip(err) {
			return seat, g, err
		}
	}
	return rest.Seat{}, nil, errNoRoom
}
