package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/directory/natsdir"
	"github.com/tickroom/tickroom/lobby/rest"
)

// Client makes this node's calls to the other nodes and lists them. It
// implements lobby.Cluster.
type Client struct {
	nc      *nats.Conn
	dir     *natsdir.Directory
	timeout time.Duration
	metrics *metrics
}

var _ lobby.Cluster = (*Client)(nil)

// Self is this node's id.
func (c *Client) Self() string { return c.dir.NodeID() }

// Nodes lists the live nodes from the directory, by id.
func (c *Client) Nodes() []rest.Node {
	recs := c.dir.Nodes()
	out := make([]rest.Node, len(recs))
	for i, r := range recs {
		out[i] = rest.Node{ID: r.ID, URL: r.URL, Draining: r.Draining,
			Players: r.Load.Players, Rooms: r.Load.Rooms, Capacity: r.Load.Capacity,
			TickLatenessP99MS: float64(r.Load.TickLatenessP99.Microseconds()) / 1000,
			StartedAt:         r.StartedAt, HeartbeatAt: r.HeartbeatAt}
	}
	return out
}

// CreateRoom asks node to create a room under id (idempotent).
func (c *Client) CreateRoom(ctx context.Context, node, id string, req rest.CreateRoom) (*directory.Room, error) {
	var rep reply
	if err := c.call(ctx, node, opCreate, func(wait time.Duration) any {
		return createRequest{ID: id, Room: req, WaitMS: wait.Milliseconds()}
	}, &rep); err != nil {
		return nil, err
	}
	if rep.Room == nil || rep.Room.ID != id {
		return nil, c.malformed(node, opCreate)
	}
	return rep.Room, nil
}

// Reserve asks node for a seat in its room roomID.
func (c *Client) Reserve(ctx context.Context, node, roomID string, join rest.Join) (rest.Seat, error) {
	var rep reply
	call := uuid.NewString() // the same for the request sent again: one seat
	if err := c.call(ctx, node, opReserve, func(wait time.Duration) any {
		return reserveRequest{Call: call, Room: roomID, Join: join, WaitMS: wait.Milliseconds()}
	}, &rep); err != nil {
		return rest.Seat{}, err
	}
	if rep.Seat == nil || rep.Seat.RoomID != roomID || rep.Seat.Token == "" {
		return rest.Seat{}, c.malformed(node, opReserve)
	}
	return *rep.Seat, nil
}

// call sends op's request (made knowing how long the caller will wait) to
// node and decodes its reply; a refusal becomes a *lobby.PeerError. It
// waits at most the client's timeout, less if ctx ends sooner; no node
// listening fails at once with lobby.ErrPeerGone.
//
// Without an answer after a quarter of the timeout the request is sent
// again, once: a node that died just before (NATS had not yet seen its
// connection close, and took the request for it) has no responder by then,
// so the call fails in a fraction of the timeout rather than all of it,
// and a request or answer lost on the way gets a second chance. Both
// calls are safe to repeat: a create names its room's id, a reserve
// carries a call id the node answers once.
func (c *Client) call(ctx context.Context, node, op string, req func(time.Duration) any, rep *reply) error {
	start := time.Now()
	if !c.nc.IsConnected() {
		// Reconnecting: a request would wait out its timeout in the
		// client's buffer.
		c.metrics.called(op, "error", start)
		return fmt.Errorf("%w (calling node %s)", lobby.ErrNoCluster, node)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	var msg *nats.Msg
	var err error
	for attempt := range 2 {
		var data []byte
		if data, err = json.Marshal(req(time.Until(deadline))); err != nil {
			return err
		}
		actx, acancel := ctx, context.CancelFunc(func() {})
		if attempt == 0 {
			actx, acancel = context.WithTimeout(ctx, c.timeout/4)
		}
		msg, err = c.nc.RequestWithContext(actx, subject(node, op), data)
		acancel()
		if attempt > 0 || !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			break
		}
	}
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		c.metrics.called(op, "gone", start)
		return fmt.Errorf("%w: node %s (no subscriber on %s)", lobby.ErrPeerGone, node, subject(node, op))
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		c.metrics.called(op, "timeout", start)
		return fmt.Errorf("%w: node %s, after %v", lobby.ErrPeerTimeout, node, time.Since(start).Round(time.Millisecond))
	case err != nil:
		c.metrics.called(op, "error", start)
		return fmt.Errorf("cluster: %s on node %s: %w", op, node, err)
	}
	if err := json.Unmarshal(msg.Data, rep); err != nil {
		c.metrics.called(op, "error", start)
		return c.malformed(node, op)
	}
	if p := rep.Problem; p != nil {
		c.metrics.called(op, "refused", start)
		return &lobby.PeerError{Node: node, Problem: *p, RetryAfter: time.Duration(rep.RetryAfterMS) * time.Millisecond}
	}
	c.metrics.called(op, "ok", start)
	return nil
}

// malformed is a reply that is not what the call asked for: a node of
// another version, or a bug.
func (c *Client) malformed(node, op string) error {
	return &lobby.PeerError{Node: node, Problem: rest.Problem{Status: http.StatusBadGateway, Title: "Bad Gateway",
		Detail: fmt.Sprintf("node %s answered %s with something else than asked for", node, op)}}
}
