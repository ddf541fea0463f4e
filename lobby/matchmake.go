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
	// made, so quick play with ever new modes cannot flood the node.
	res, err := a.quotas.reserve(a.clients.key(r), func() (rooms.Reservation, *rooms.Room, error) {
		return a.quickPlay(r.Context(), gameName, mode, name)
	})
	a.writeReservation(w, r, res, err)
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

// quickPlay reserves a seat for name. Seats are only ever taken by
// Room.Reserve, on the room's goroutine, so no room overfills however many
// quick plays run at once: one that loses a race gets rooms.ErrFull and tries
// the next room. Creating a room is serialized by matchMu, and rechecks the
// rooms first, so concurrent quick plays fill one new room rather than
// each making their own.
func (a *API) quickPlay(ctx context.Context, gameName, mode, name string) (rooms.Reservation, *rooms.Room, error) {
	res, room, err := a.reserveAny(ctx, gameName, mode, name)
	if !errors.Is(err, errNoRoom) {
		return res, room, err
	}
	a.matchMu.Lock()
	defer a.matchMu.Unlock()
	for range quickPlayAttempts {
		res, room, err = a.reserveAny(ctx, gameName, mode, name)
		if !errors.Is(err, errNoRoom) {
			return res, room, err
		}
		room, cerr := a.m.Create(rooms.Config{Name: quickPlayName(gameName, mode), Game: gameName, Mode: mode})
		if cerr != nil {
			return res, nil, cerr
		}
		res, err = room.Reserve(ctx, name, "")
		if !skip(err) {
			return res, room, err
		}
	}
	return res, nil, err
}

// skip reports whether a room's refusal means "try another room".
func skip(err error) bool {
	return errors.Is(err, rooms.ErrFull) || errors.Is(err, rooms.ErrClosed) || errors.Is(err, rooms.ErrTooManyPending)
}

// quickPlayName names a room quick play makes for a game and mode, cut to
// the limit on room names: a game's and a mode's names may be long enough
// together to pass it, and the player must not be refused for that.
func quickPlayName(gameName, mode string) string {
	name := []rune("Quick play: " + gameName + " " + mode)
	return string(name[:min(len(name), rooms.MaxNameRunes)])
}

// reserveAny tries this node's public rooms of mode with space, fullest
// first (oldest first among equals).
func (a *API) reserveAny(ctx context.Context, gameName, mode, name string) (rooms.Reservation, *rooms.Room, error) {
	type candidate struct {
		room *rooms.Room
		info *directory.Room
	}
	var open []candidate
	for _, r := range a.m.Rooms() {
		if info := r.Info(); !info.Private && info.State == "open" && info.Game == gameName && info.Mode == mode && info.HasSpace() {
			open = append(open, candidate{r, info})
		}
	}
	slices.SortFunc(open, func(x, y candidate) int {
		a, b := x.info, y.info
		return cmp.Or(cmp.Compare(b.Players+b.Reserved, a.Players+a.Reserved),
			a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	for _, c := range open {
		res, err := c.room.Reserve(ctx, name, "")
		if !skip(err) {
			return res, c.room, err
		}
	}
	return rooms.Reservation{}, nil, errNoRoom
}
