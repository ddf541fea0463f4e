package rooms

import (
	"context"

	"github.com/tickroom/tickroom/lobby/directory"
)

// Presence returns the room's connected and reconnecting players with their
// current round-trip times, read on the room goroutine (the published
// RoomInfo.Roster only refreshes when something else in the room changes).
// Reserved seats are not listed; RoomInfo.Reserved counts them.
func (r *Room) Presence(ctx context.Context) ([]directory.Player, error) {
	out := []directory.Player{}
	err := r.do(ctx, func() error {
		for _, s := range r.seats {
			if s.state != seatReserved {
				out = append(out, r.playerInfo(s))
			}
		}
		return nil
	})
	return out, err
}
