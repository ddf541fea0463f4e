package netcode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/game"
)

// ClientOptions configures a Client. The zero value is usable.
type ClientOptions struct {
	// HTTPClient makes the REST calls and the WebSocket handshake.
	// Default http.DefaultClient.
	HTTPClient *http.Client
	// JoinCode opens private rooms.
	JoinCode string
	// Header is sent with the WebSocket handshake (for example Origin).
	Header http.Header
	// SkipEntities makes Read report snapshots without decoding their
	// entities: the Update has Type, Bytes and Tick but no Entities or
	// AckSeq. For clients that never look at the world, such as idle
	// load-test bots. Default false (snapshots are decoded in full).
	SkipEntities bool
}

func (o *ClientOptions) skipEntities() bool { return o != nil && o.SkipEntities }

func (o *ClientOptions) httpClient() *http.Client {
	if o != nil && o.HTTPClient != nil {
		return o.HTTPClient
	}
	return http.DefaultClient
}

// APIError is a lobby REST error: its RFC 9457 problem body.
type APIError struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Field  string `json:"field"`
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("netcode: lobby answered %d %s", e.Status, e.Title)
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// RoomSpec is what CreateRoom asks for; zero fields take the server's defaults.
type RoomSpec struct {
	Name       string `json:"name,omitempty"`
	MaxPlayers int    `json:"max_players,omitempty"`
	TickRate   int    `json:"tick_rate,omitempty"`
	SendRate   int    `json:"send_rate,omitempty"` // snapshots per second; divides TickRate
}

// Room is a room as the lobby describes it.
type Room struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	MaxPlayers int    `json:"max_players"`
	TickRate   int    `json:"tick_rate"`
	SendRate   int    `json:"send_rate"`
	Players    int    `json:"players"`
	Default    bool   `json:"default"`
}

// Seat is a reserved seat: the token and the URL that take it.
type Seat struct {
	RoomID   string `json:"room_id"`
	PlayerID uint32 `json:"player_id"`
	Token    string `json:"token"`
	WSURL    string `json:"ws_url"`
}

// CreateRoom creates a room through the lobby API at server (http://host:port).
func CreateRoom(ctx context.Context, server string, spec RoomSpec, opts *ClientOptions) (*Room, error) {
	var room Room
	err := callAPI(ctx, opts, http.MethodPost, strings.TrimRight(server, "/")+"/api/rooms", spec, &room)
	return &room, err
}

// ListRooms lists the public rooms.
func ListRooms(ctx context.Context, server string, opts *ClientOptions) ([]Room, error) {
	var out struct{ Rooms []Room }
	err := callAPI(ctx, opts, http.MethodGet, strings.TrimRight(server, "/")+"/api/rooms", nil, &out)
	return out.Rooms, err
}

// Reserve reserves a seat in a room for name.
func Reserve(ctx context.Context, server, roomID, name string, opts *ClientOptions) (*Seat, error) {
	body := map[string]string{"name": name}
	if opts != nil && opts.JoinCode != "" {
		body["join_code"] = opts.JoinCode
	}
	var seat Seat
	u := strings.TrimRight(server, "/") + "/api/rooms/" + url.PathEscape(roomID) + "/join"
	err := callAPI(ctx, opts, http.MethodPost, u, body, &seat)
	return &seat, err
}

func callAPI(ctx context.Context, opts *ClientOptions, method, u string, in, out any) error {
	var body bytes.Buffer
	if in != nil {
		json.NewEncoder(&body).Encode(in)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, &body)
	if err != nil {
		return fmt.Errorf("netcode: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := opts.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("netcode: %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	if resp.StatusCode >= 300 {
		apiErr := &APIError{Status: resp.StatusCode, Title: resp.Status}
		dec.Decode(apiErr)
		return apiErr
	}
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("netcode: %s %s: decoding answer: %w", method, u, err)
	}
	return nil
}

// Client is one player's connection to a room. Read from one goroutine;
// the Send methods may be called from another.
type Client struct {
	// static after Dial
	opts  *ClientOptions
	wsURL string
	start time.Time

	conn atomic.Pointer[websocket.Conn]
	seq  atomic.Uint32
	rtt  atomic.Int64
	// clock estimates the room's clock (clocksync.go); set by the reading
	// goroutine, read by any.
	clock serverClock

	wmu  sync.Mutex
	wbuf []byte // the frame being sent; guarded by wmu

	// owned by the reading goroutine
	welcome   Welcome
	base      Baselines
	msg       ServerMessage
	lastEvent uint32
	update    Update
	rbuf      []byte // the frame being read
}

// Update is one decoded message from the server, valid until the next Read.
type Update struct {
	Type     MsgType
	Bytes    int           // frame size
	Tick     uint32        // snapshots: the server tick
	AckSeq   uint32        // snapshots: the last input sequence applied
	Entities []game.Entity // snapshots: the full state in view, by id
	Events   []game.Event  // events not seen before, in order
	Pong     Pong
	RTT      time.Duration // pongs: the measured round trip
	Error    Error
}

// JoinRoom reserves a seat in roomID and connects to it: the one call a bot needs.
func JoinRoom(ctx context.Context, server, roomID, name string, opts *ClientOptions) (*Client, error) {
	seat, err := Reserve(ctx, server, roomID, name, opts)
	if err != nil {
		return nil, err
	}
	return Dial(ctx, seat.WSURL, opts)
}

// Dial connects with a seat's ws_url and waits for the welcome.
func Dial(ctx context.Context, wsURL string, opts *ClientOptions) (*Client, error) {
	c := &Client{opts: opts, wsURL: wsURL, start: time.Now()}
	if err := c.connect(ctx, wsURL); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Client) connect(ctx context.Context, wsURL string) error {
	dopts := &websocket.DialOptions{HTTPClient: c.opts.httpClient(), Subprotocols: []string{Subprotocol}}
	if c.opts != nil {
		dopts.HTTPHeader = c.opts.Header
	}
	conn, resp, err := websocket.Dial(ctx, wsURL, dopts)
	if err != nil {
		if resp != nil && resp.StatusCode >= 300 {
			apiErr := &APIError{Status: resp.StatusCode, Title: resp.Status}
			json.NewDecoder(resp.Body).Decode(apiErr)
			return apiErr
		}
		return fmt.Errorf("netcode: dial: %w", err)
	}
	conn.SetReadLimit(1 << 20)
	c.conn.Store(conn)
	u, err := c.Read(ctx)
	if err != nil {
		conn.CloseNow()
		return err
	}
	if u.Type != MsgWelcome {
		conn.CloseNow()
		return fmt.Errorf("%w: first message is type %d, not a welcome", ErrMalformed, u.Type)
	}
	return nil
}

// Welcome returns the latest welcome (it changes after Reconnect).
func (c *Client) Welcome() *Welcome { return &c.welcome }

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
	if tick, ok := snapshotTick(data); ok && c.opts.skipEntities() {
		*u = Update{Type: MsgSnapshot, Bytes: len(data), Tick: tick, Events: u.Events[:0]}
		return u, nil
	}
	if err := DecodeServer(data, &c.msg); err != nil {
		return nil, err
	}
	*u = Update{Type: c.msg.Type, Bytes: len(data), Events: u.Events[:0], Entities: u.Entities}
	switch c.msg.Type {
	case MsgWelcome:
		c.welcome = c.msg.Welcome
		c.welcome.Roster = append([]RosterEntry(nil), c.msg.Welcome.Roster...)
		c.base.Reset()
		c.clock.welcome(&c.welcome, c.clientMS())
	case MsgSnapshot:
		ents, err := c.base.Apply(&c.msg.Snapshot)
		if err != nil {
			return nil, err
		}
		u.Tick, u.AckSeq, u.Entities = c.msg.Snapshot.Tick, c.msg.Snapshot.AckSeq, ents
	case MsgEvents:
		for _, e := range c.msg.Events {
			if e.Seq > c.lastEvent {
				u.Events = append(u.Events, e)
				c.lastEvent = max(c.lastEvent, e.Seq)
			}
		}
	case MsgPong:
		u.Pong = c.msg.Pong
		u.RTT = time.Duration((c.clientMS() - u.Pong.ClientTime) * float64(time.Millisecond))
		c.rtt.Store(int64(u.RTT))
		c.clock.pong(&u.Pong, c.clientMS())
	case MsgError:
		u.Error = c.msg.Error
	}
	return u, nil
}

// readFrame reads one whole frame into the client's reused buffer.
func (c *Client) readFrame(ctx context.Context) ([]byte, error) {
	_, r, err := c.conn.Load().Reader(ctx)
	if err == nil {
		c.rbuf, err = readAll(c.rbuf[:0], r)
	}
	if err != nil {
		return nil, fmt.Errorf("netcode: read: %w", err)
	}
	return c.rbuf, nil
}

// snapshotTick reads the tick of a snapshot frame without decoding the rest.
func snapshotTick(data []byte) (uint32, bool) {
	if len(data) < 3 || data[0] != 0x96 || data[1] != byte(MsgSnapshot) {
		return 0, false
	}
	d := getReader(data[2:])
	defer d.release()
	tick, err := d.uint32("tick")
	return tick, err == nil
}

func (c *Client) clientMS() float64 { return float64(time.Since(c.start).Nanoseconds()) / 1e6 }

// send encodes a frame with appendMsg into the client's reused buffer and
// writes it. With a context whose Done is nil it allocates nothing.
func (c *Client) send(ctx context.Context, appendMsg func([]byte) []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = appendMsg(c.wbuf[:0])
	if err := c.conn.Load().Write(ctx, websocket.MessageBinary, c.wbuf); err != nil {
		return fmt.Errorf("netcode: write: %w", err)
	}
	return nil
}

// SendInput sends one tick's input. A zero in.Seq gets the next sequence
// number; the number used is returned.
func (c *Client) SendInput(ctx context.Context, in game.Input) (uint32, error) {
	if in.Seq == 0 {
		in.Seq = c.seq.Add(1)
	} else {
		c.seq.Store(in.Seq)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = AppendInput(c.wbuf[:0], in)
	if err := c.conn.Load().Write(ctx, websocket.MessageBinary, c.wbuf); err != nil {
		return in.Seq, fmt.Errorf("netcode: write: %w", err)
	}
	return in.Seq, nil
}

// Ping asks for a pong; Read measures the round trip when it arrives.
func (c *Client) Ping(ctx context.Context) error {
	now := c.clientMS()
	return c.send(ctx, func(b []byte) []byte { return AppendPing(b, now) })
}

// Chat says text to the room.
func (c *Client) Chat(ctx context.Context, text string) error {
	return c.send(ctx, func(b []byte) []byte { return AppendChat(b, text) })
}

// Leave gives up the seat and closes the connection.
func (c *Client) Leave(ctx context.Context) error {
	if err := c.send(ctx, AppendLeave); err != nil {
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
// last welcome; events missed meanwhile arrive after the new welcome, once.
// Do not call it while another goroutine is in Read.
func (c *Client) Reconnect(ctx context.Context) error {
	if old := c.conn.Load(); old != nil {
		old.CloseNow()
	}
	u, err := url.Parse(c.wsURL)
	if err != nil {
		return fmt.Errorf("netcode: %w", err)
	}
	q := url.Values{"token": {c.welcome.ReconnectToken}, "last_event": {strconv.FormatUint(uint64(c.lastEvent), 10)}}
	u.RawQuery = q.Encode()
	return c.connect(ctx, u.String())
}

// CloseStatus returns the WebSocket close code in err, or -1.
func CloseStatus(err error) websocket.StatusCode {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}
