package lobby

import (
	"context"
	"net/http"
	"time"

	"github.com/tickroom/tickroom/lobby/rest"
)

// listRooms lists public rooms, filtered, sorted and a page at a time. With
// watch=1 it is a long-poll: it answers once the filtered list changed
// after since (at once when it already has), or at timeout without a change.
func (a *API) listRooms(w http.ResponseWriter, r *http.Request) {
	q, err := parseListQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, err)
		return
	}
	ctx := r.Context()
	if q.watch {
		release, err := a.streamSlot(r)
		if err != nil {
			a.refused(w, err)
			return
		}
		defer release()
		var cancel context.CancelFunc
		ctx, cancel = a.streamContext(r)
		defer cancel()
		// The answer may come timeout after any write deadline a server
		// sets; lift it for this response.
		http.NewResponseController(w).SetWriteDeadline(time.Now().Add(q.timeout + 10*time.Second))
		a.waitForChange(ctx, &q)
	}
	version := a.m.Directory().Feed().Version()
	rooms, err := a.m.List(context.WithoutCancel(ctx))
	if err != nil {
		writeError(w, err)
		return
	}
	out, next := q.page(rooms)
	writeJSON(w, http.StatusOK, rest.RoomList{Rooms: out, Version: version.String(), NextCursor: next})
}

// waitForChange returns when the feed has a change after q.since that can
// change the filtered list, at q.timeout, or when ctx ends. A since the feed
// cannot resume from (too old, or of another epoch: from before a restart)
// returns at once, so the client gets the whole list.
func (a *API) waitForChange(ctx context.Context, q *listQuery) {
	timer := time.NewTimer(q.timeout)
	defer timer.Stop()
	since := q.since
	for {
		changes, current, wake, complete := a.m.Directory().Feed().Since(since)
		if !complete {
			return
		}
		for _, c := range changes {
			if q.filter.static(c.Room) {
				return
			}
		}
		since = current
		select {
		case <-wake:
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		}
	}
}
