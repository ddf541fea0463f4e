package lobby

import (
	"cmp"
	"context"
	"errors"
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
	mode := cmp.Or(req.Mode, "ffa")
	if _, err := validMode(mode, "mode"); err != nil {
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
		return a.quickPlay(r.Context(), mode, name)
	})
	a.writeReservation(w, r, res, err)
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
func (a *API) quickPlay(ctx context.Context, mode, name string) (rooms.Reservation, *rooms.Room, error) {
	res, room, err := a.reserveAny(ctx, mode, name)
	if !errors.Is(err, errNoRoom) {
		return res, room, err
	}
	a.matchMu.Lock()
	defer a.matchMu.Unlock()
	for range quickPlayAttempts {
		res, room, err = a.reserveAny(ctx, mode, name)
		if !errors.Is(err, errNoRoom) {
			return res, room, err
		}
		room, cerr := a.m.Create(rooms.Config{Name: "Quick play: " + mode, Mode: mode})
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

// reserveAny tries this node's public rooms of mode with space, fullest
// first (oldest first among equals).
func (a *API) reserveAny(ctx context.Context, mode, name string) (rooms.Reservation, *rooms.Room, error) {
	type candidate struct {
		room *rooms.Room
		info *directory.Room
	}
	var open []candidate
	for _, r := range a.m.Rooms() {
		if info := r.Info(); !info.Private && info.State == "open" && info.Mode == mode && info.HasSpace() {
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
