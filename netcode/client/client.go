package client

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/netcode"
)

// Client is one player's connection to a room. Read from one goroutine;
// the Send methods may be called from another.
type Client struct {
	// static after Dial
	opts  *Options
	wsURL string
	start time.Time

	conn  atomic.Pointer[websocket.Conn]
	codec atomic.Pointer[netcode.Codec] // the room's game, from the welcome's schema
	seq   atomic.Uint32
	rtt   atomic.Int64
	// clock estimates the room's clock (clocksync.go); set by the reading
	// goroutine, read by any.
	clock serverClock

	wmu  sync.Mutex
	wbuf []byte // the frame being sent; guarded by wmu

	// owned by the reading goroutine
	welcome   netcode.Welcome
	base      netcode.Baselines
	msg       netcode.ServerMessage
	lastEvent uint32
	update    Update
	rbuf      []byte // the frame being read
}

// Update is one decoded message from the server, valid until the next Read.
type Update struct {
	Type     netcode.MsgType
	Bytes    int           // frame size
	Tick     uint32        // snapshots: the server tick
	AckSeq   uint32        // snapshots: the last input sequence applied
	Entities []game.Entity // snapshots: the full state in view, by id; fields as Schema() names them
	Events   []game.Event  // events not seen before, in order
	Pong     netcode.Pong
	RTT      time.Duration // pongs: the measured round trip
	Error    netcode.Error
}

// JoinRoom reserves a seat in roomID and connects to it: the one call a bot needs.
func JoinRoom(ctx context.Context, server, roomID, name string, opts *Options) (*Client, error) {
	seat, err := Reserve(ctx, server, roomID, name, opts)
	if err != nil {
		return nil, err
	}
	return Dial(ctx, seat.WSURL, opts)
}

// Dial connects with a seat's ws_url and waits for the welcome.
func Dial(ctx context.Context, wsURL string, opts *Options) (*Client, error) {
	c := &Client{opts: opts, wsURL: wsURL, start: time.Now()}
	if err := c.connect(ctx, wsURL); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Client) connect(ctx context.Context, wsURL string) error {
	dopts := &websocket.DialOptions{HTTPClient: c.opts.httpClient(), Subprotocols: []string{netcode.Subprotocol}}
	if c.opts != nil {
		dopts.HTTPHeader = c.opts.Header
	}
	conn, resp, err := websocket.Dial(ctx, wsURL, dopts)
	if err != nil {
		if resp != nil && resp.StatusCode >= 300 {
			return problemOf(resp)
		}
		return fmt.Errorf("client: dial: %w", err)
	}
	conn.SetReadLimit(1 << 20)
	c.conn.Store(conn)
	u, err := c.Read(ctx)
	if err != nil {
		conn.CloseNow()
		return err
	}
	if u.Type != netcode.MsgWelcome {
		conn.CloseNow()
		return fmt.Errorf("%w: first message is type %d, not a welcome", netcode.ErrMalformed, u.Type)
	}
	return nil
}

// Welcome returns the latest welcome (it changes after Reconnect).
func (c *Client) Welcome() *netcode.Welcome { return &c.welcome }

// Schema is the room's game as the welcome described it: its entity kinds
// and fields (to read Update.Entities by name), inputs, events and world.
func (c *Client) Schema() *game.Schema { return c.codec.Load().Schema() }

// Codec is the room's game on the wire, for encoding inputs yourself.
func (c *Client) Codec() *netcode.Codec { return c.codec.Load() }

// PlayerID is this client's player (and avatar entity) id.
func (c *Client) PlayerID() uint32 { return c.welcome.PlayerID }

// RTT is the last round trip measured by Ping.
func (c *Client) RTT() time.Duration { return time.Duration(c.rtt.Load()) }

// Read waits for the next message and decodes it; snapshots come back as
// full state. An error message from the server is returned as an Update;
// the connection closing is an error (see websocket.CloseStatus).
func (c *Client) Read(ctx context.Context) (*Update, error) {
	data, err := c.readFrame(ctx)
	if err != nil {
		return nil, err
	}
	u := &c.update
	if tick, ok := netcode.SnapshotTick(data); ok && c.opts.skipEntities() {
		*u = Update{Type: netcode.MsgSnapshot, Bytes: len(data), Tick: tick, Events: u.Events[:0]}
		return u, nil
	}
	if err := netcode.DecodeServer(data, &c.msg); err != nil {
		return nil, err
	}
	*u = Update{Type: c.msg.Type, Bytes: len(data), Events: u.Events[:0], Entities: u.Entities}
	switch c.msg.Type {
	case netcode.MsgWelcome:
		codec, err := netcode.NewCodec(c.msg.Welcome.Schema)
		if err != nil {
			return nil, fmt.Errorf("%w: welcome: %v", netcode.ErrMalformed, err)
		}
		c.welcome = c.msg.Welcome
		c.welcome.Roster = append([]netcode.RosterEntry(nil), c.msg.Welcome.Roster...)
		c.codec.Store(codec)
		c.base.Reset(codec)
		c.clock.welcome(&c.welcome, c.clientMS())
		// Numbering goes on from the last input the server accepted for
		// the seat, which may be before the last one sent.
		c.seq.Store(c.welcome.LastInputSeq)
	case netcode.MsgSnapshot:
		ents, err := c.base.Apply(&c.msg.Snapshot)
		if err != nil {
			return nil, err
		}
		u.Tick, u.AckSeq, u.Entities = c.msg.Snapshot.Tick, c.msg.Snapshot.AckSeq, ents
	case netcode.MsgEvents:
		for _, e := range c.msg.Events {
			if e.Seq > c.lastEvent {
				u.Events = append(u.Events, e)
				c.lastEvent = max(c.lastEvent, e.Seq)
			}
		}
	case netcode.MsgPong:
		u.Pong = c.msg.Pong
		u.RTT = time.Duration((c.clientMS() - u.Pong.ClientTime) * float64(time.Millisecond))
		c.rtt.Store(int64(u.RTT))
		c.clock.pong(&u.Pong, c.clientMS())
	case netcode.MsgError:
		u.Error = c.msg.Error
	}
	return u, nil
}

// readFrame reads one whole frame into the client's reused buffer.
func (c *Client) readFrame(ctx context.Context) ([]byte, error) {
	_, r, err := c.conn.Load().Reader(ctx)
	if err == nil {
		c.rbuf, err = netcode.AppendMessage(c.rbuf[:0], r)
	}
	if err != nil {
		return nil, fmt.Errorf("client: read: %w", err)
	}
	return c.rbuf, nil
}

func (c *Client) clientMS() float64 { return float64(time.Since(c.start).Nanoseconds()) / 1e6 }

// send encodes a frame with appendMsg into the client's reused buffer and
// writes it. With a context whose Done is nil it allocates nothing.
func (c *Client) send(ctx context.Context, appendMsg func([]byte) []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = appendMsg(c.wbuf[:0])
	if err := c.conn.Load().Write(ctx, websocket.MessageBinary, c.wbuf); err != nil {
		return fmt.Errorf("client: write: %w", err)
	}
	return nil
}

// SendInput sends one tick's input: in.V holds the schema's input fields
// in order (Schema().Input). A zero in.Seq gets the next sequence number:
// one after the last sent, or after the welcome's LastInputSeq once a
// welcome (a reconnect's included) has come. The number used is returned.
// An explicit in.Seq must be after the last one the server accepted and at
// most netcode.MaxInputSeqGap ahead, or the server closes the connection
// (1008) and frees the seat.
func (c *Client) SendInput(ctx context.Context, in game.Input) (uint32, error) {
	if in.Seq == 0 {
		in.Seq = c.seq.Add(1)
	} else {
		c.seq.Store(in.Seq)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = c.codec.Load().AppendInput(c.wbuf[:0], in)
	if err := c.conn.Load().Write(ctx, websocket.MessageBinary, c.wbuf); err != nil {
		return in.Seq, fmt.Errorf("client: write: %w", err)
	}
	return in.Seq, nil
}

// Ping asks for a pong; Read measures the round trip when it arrives.
func (c *Client) Ping(ctx context.Context) error {
	now := c.clientMS()
	return c.send(ctx, func(b []byte) []byte { return netcode.AppendPing(b, now) })
}

// Chat says text to the room.
func (c *Client) Chat(ctx context.Context, text string) error {
	return c.send(ctx, func(b []byte) []byte { return netcode.AppendChat(b, text) })
}

// Leave gives up the seat and closes the connection.
func (c *Client) Leave(ctx context.Context) error {
	if err := c.send(ctx, netcode.AppendLeave); err != nil {
		return err
	}
	return c.Close()
}

// Close closes the connection normally; the seat is held for reconnection.
func (c *Client) Close() error {
	return c.conn.Load().Close(websocket.StatusNormalClosure, "")
}

// CloseNow cuts the connection without a close handshake, as a network
// failure would.
func (c *Client) CloseNow() error { return c.conn.Load().CloseNow() }

// Reconnect takes the same seat again with the reconnect token from the
// last welcome; events missed meanwhile arrive after the new welcome, once,
// and input numbering goes on after the new welcome's LastInputSeq.
// Do not call it while another goroutine is in Read.
func (c *Client) Reconnect(ctx context.Context) error {
	if old := c.conn.Load(); old != nil {
		old.CloseNow()
	}
	u, err := url.Parse(c.wsURL)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	q := url.Values{"token": {c.welcome.ReconnectToken}, "last_event": {strconv.FormatUint(uint64(c.lastEvent), 10)}}
	u.RawQuery = q.Encode()
	return c.connect(ctx, u.String())
}

// CloseStatus returns the close code the server ended the connection
// with, as err from Read or a Send reports it; 0 when err is not a close.
func CloseStatus(err error) netcode.CloseCode {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return netcode.CloseCode(ce.Code)
	}
	return 0
}
