package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/client"
	"golang.org/x/time/rate"
)

// The abusers of the soak, one kind per threat in docs/security.md, each
// from addresses of its own. Every one is bounded: a fixed number of
// goroutines and sockets (under 500 sockets in all, against a descriptor
// limit in the thousands), whatever the server answers. Each counts what
// it met in the soak's tally, and records a breach when a defense it
// probes did not hold.

// The server's default limits the abusers probe (lobby/node/config.go).
const (
	defaultConnsPerIP      = 64 // -max-conns-per-ip
	defaultStreamsPerIP    = 32 // -max-streams-per-client
	defaultPendingPerIP    = 4  // -pending-per-client
	defaultRoomCreateBurst = 5  // -room-create-burst
	defaultRoomCreateRate  = 10 // -room-create-rate, a minute
	reservationTTL         = 15 * time.Second
)

// How many of each, and how hard.
const (
	chatAddrs    = 2 // × defaultConnsPerIP WebSockets in the honest rooms
	chatEvery    = 3 * time.Second
	chatBurst    = 10 // chats each socket sends at once, twice its burst allowance
	floodAddrs   = 3  // room creation, floodRate a second each
	floodRate    = 100
	squatAddrs   = 8 // joins never connected, 4 a second each
	streamAddrs  = 4 // event streams: 40 each, 8 past the cap, held 10 s, again
	streamTries  = defaultStreamsPerIP + 8
	streamHold   = 10 * time.Second
	pollAddrs    = 2 // long-polls: 40 at once each, 8 past the cap
	slowHTTPs    = 8 // pipelined GETs never read, on 4 addresses
	slowHTTPHold = 40 * time.Second
	slowWSs      = 4 // WebSockets in the honest rooms that stop reading
	slowWSHold   = 16 * time.Second
	rejoinAddrs  = 4  // join, misbehave, get closed, try the token, again
	rejoinRate   = 20 // a second, each
	lateEvery    = 10 * time.Second
	latePatience = reservationTTL + 5*time.Second
)

// abuseKinds are the abusers, by the names the tally uses. The
// environment variable TICKROOM_SOAK_ABUSE=chat,rejoin (or none) runs only
// those: to tell which abuse costs what, or the machine's own noise with
// none at all.
var abuseKinds = []string{"chat", "rooms", "squat", "sse", "long-poll", "slow-http", "stalled-ws", "rejoin", "late"}

const abuseEnv = "TICKROOM_SOAK_ABUSE"

// abuse starts the abusers; they stop when ctx ends.
func (s *soak) abuse(ctx context.Context, rooms []string, start time.Time) *sync.WaitGroup {
	kinds := abuseKinds
	if v, ok := os.LookupEnv(abuseEnv); ok {
		kinds = strings.Split(v, ",")
		for _, k := range kinds {
			if k != "none" && !slices.Contains(abuseKinds, k) {
				s.t.Fatalf("%s=%s: %q is none of %s, or none", abuseEnv, v, k, strings.Join(abuseKinds, ","))
			}
		}
	}
	var wg sync.WaitGroup
	run := func(kind string, n int, f func(i int)) {
		if !slices.Contains(kinds, kind) {
			return
		}
		for i := range n {
			wg.Go(func() { f(i) })
		}
	}
	run("chat", chatAddrs, func(i int) { s.chatFlood(ctx, soakAddr(chatNet, i), rooms) })
	run("rooms", floodAddrs, func(i int) { s.roomFlood(ctx, soakAddr(floodNet, i), start) })
	run("squat", squatAddrs, func(i int) { s.squat(ctx, soakAddr(squatNet, i), rooms, i) })
	run("sse", streamAddrs, func(i int) { s.streamFlood(ctx, soakAddr(streamNet, i)) })
	run("long-poll", pollAddrs, func(i int) { s.pollFlood(ctx, soakAddr(pollNet, i)) })
	run("slow-http", slowHTTPs, func(i int) { s.slowHTTP(ctx, soakAddr(slowNet, i/2)) })
	run("stalled-ws", slowWSs, func(i int) { s.slowWS(ctx, soakAddr(slowNet, 100+i), rooms[i%len(rooms)], i%2 == 0) })
	run("rejoin", rejoinAddrs, func(i int) { s.rejoinFlood(ctx, soakAddr(rejoinNet, i), rooms, i) })
	run("late", 1, func(int) { s.lateJoins(ctx, rooms) })
	for _, e := range [][2]string{
		{"chat", "over the cap 429 max-conns-per-ip"},
		{"rooms", "429 room-create-rate"},
		{"squat", "join 429 pending-per-client"},
		{"sse", "429 max-streams-per-client"},
		{"long-poll", "429 max-streams-per-client"},
	} {
		if slices.Contains(kinds, e[0]) {
			s.tally.expect(e[0], e[1])
		}
	}
	return &wg
}

// pause waits d, reporting false if ctx ended first.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// join reserves a seat and connects, waiting out 429s (the reservation
// limits) for up to patience.
func (s *soak) join(ctx context.Context, kind, room, name string, opts *client.Options, patience time.Duration) (*client.Client, error) {
	deadline := time.Now().Add(patience)
	for {
		c, err := client.JoinRoom(ctx, s.base, room, name, opts)
		if err == nil {
			s.tally.add(kind, "joined")
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		s.tally.failed(kind, "join", err)
		var p *rest.Problem
		if !errors.As(err, &p) || p.Status != http.StatusTooManyRequests || time.Now().After(deadline) || !pause(ctx, 100*time.Millisecond) {
			return nil, err
		}
	}
}

// chatFlood is the event burst: as many WebSockets in the honest rooms as
// one client may hold, which every few seconds all send a burst of chat
// at once, twice what each may send in a burst: every chat that passes is
// an event every player in the room receives. Each round one of them
// drops its connection and comes back with its reconnect token the next,
// for the events it missed meanwhile: more than one events message may
// hold (netcode.MaxEventsBatch), which the client's decoder would refuse.
// Each round it also tries one WebSocket more than the cap.
func (s *soak) chatFlood(ctx context.Context, from string, rooms []string) {
	const kind = "chat"
	opts := s.as(from)
	opts.SkipEntities = true
	var socks []*chatter
	var readers sync.WaitGroup
	defer func() {
		for _, k := range socks {
			k.away.Store(true)
			k.c.CloseNow()
		}
		readers.Wait()
	}()
	text := strings.Repeat("flood ", 30)
	var cut *chatter // dropped last round, back this one
	for round := 0; ctx.Err() == nil; round++ {
		if cut != nil {
			<-cut.gone
			if err := cut.c.Reconnect(ctx); err != nil {
				s.tally.failed(kind, "reconnect", err)
				cut.dead.Store(true)
			} else {
				s.tally.add(kind, "reconnected")
				cut.read(ctx, s, &readers, true)
			}
			cut = nil
		}
		socks = slices.DeleteFunc(socks, func(k *chatter) bool { return k.dead.Load() })
		for len(socks) < defaultConnsPerIP && ctx.Err() == nil {
			c, err := s.join(ctx, kind, rooms[len(socks)%len(rooms)], "chatter", opts, 5*time.Second)
			if err != nil {
				break
			}
			k := &chatter{c: c}
			k.read(ctx, s, &readers, false)
			socks = append(socks, k)
		}
		if len(socks) == defaultConnsPerIP {
			s.overTheCap(ctx, kind, opts)
		} else if ctx.Err() == nil {
			s.tally.add(kind, "rounds short of the cap") // its joins were refused
		}
		for _, k := range socks {
			for range chatBurst {
				if k.c.Chat(ctx, text) != nil {
					break
				}
			}
		}
		s.tally.addN(kind, "chats sent", len(socks)*chatBurst)
		if len(socks) > 0 {
			cut = socks[round%len(socks)]
			cut.away.Store(true)
			cut.c.CloseNow()
		}
		pause(ctx, chatEvery)
	}
}

// chatter is one of chatFlood's WebSockets.
type chatter struct {
	c    *client.Client
	away atomic.Bool   // cut on purpose: its reader's end is no failure
	dead atomic.Bool   // its connection failed
	gone chan struct{} // closed when its reader has returned
}

// read starts the chatter's reader, which takes everything the room sends
// until the connection ends; after a reconnect it counts the events
// replayed before the first snapshot.
func (k *chatter) read(ctx context.Context, s *soak, readers *sync.WaitGroup, reconnected bool) {
	const kind = "chat"
	k.away.Store(false)
	k.gone = make(chan struct{})
	readers.Go(func() {
		defer close(k.gone)
		// What comes before the first snapshot is what the chatter missed.
		replayed, replaying := 0, reconnected
		for {
			u, err := k.c.Read(context.Background())
			if err == nil {
				switch {
				case !replaying:
				case u.Type == netcode.MsgSnapshot:
					replaying = false
					s.tally.most(kind, "most events replayed on a reconnect", replayed)
				case u.Type == netcode.MsgEvents:
					replayed += len(u.Events)
				}
				continue
			}
			if errors.Is(err, netcode.ErrMalformed) {
				s.tally.breach(kind, "the server sent what the protocol refuses: %v", err)
			}
			if !k.away.Load() && ctx.Err() == nil {
				s.tally.failed(kind, "socket", err)
				k.dead.Store(true)
			}
			return
		}
	})
}

// overTheCap tries one WebSocket more than the client may hold: it is
// refused before its token is even looked at.
func (s *soak) overTheCap(ctx context.Context, kind string, opts *client.Options) {
	c, err := client.Dial(ctx, "ws"+strings.TrimPrefix(s.base, "http")+"/ws?token=one-too-many", opts)
	if ctx.Err() != nil {
		return
	}
	if err == nil {
		c.CloseNow()
	}
	s.tally.failed(kind, "over the cap", err)
	var p *rest.Problem
	if !errors.As(err, &p) || p.Quota != "max-conns-per-ip" {
		s.tally.breach(kind, "a WebSocket past -max-conns-per-ip got %s, want 429 max-conns-per-ip", outcome(err))
	}
}

// roomFlood creates rooms floodRate times a second: 600 times as fast as
// -room-create-rate allows. As fast as the answers come, three such
// clients and the test's own side of them took 1.3 of the machine's two
// cores, and the soak measured the machine (docs/security.md).
func (s *soak) roomFlood(ctx context.Context, from string, start time.Time) {
	const kind = "rooms"
	opts := s.as(from)
	pace := rate.NewLimiter(floodRate, 1)
	created, over := 0, 0
	defer func() {
		if over > 0 {
			s.tally.breach(kind, "%s created up to %d rooms more than -room-create-burst %d and -room-create-rate %d a minute allow",
				from, over, defaultRoomCreateBurst, defaultRoomCreateRate)
		}
	}()
	for pace.Wait(ctx) == nil {
		_, err := client.CreateRoom(ctx, s.base, rest.CreateRoom{Name: "flood"}, opts)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.tally.failed(kind, "", err)
			continue
		}
		s.tally.add(kind, "created")
		created++
		allowed := defaultRoomCreateBurst + int(defaultRoomCreateRate*time.Since(start).Minutes()) + 1
		over = max(over, created-allowed)
	}
}

// squat reserves seats in the honest rooms four times a second and never
// connects to any.
func (s *soak) squat(ctx context.Context, from string, rooms []string, n int) {
	const kind = "squat"
	opts := s.as(from)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var asked []time.Time // when each reservation still pending was asked for
	most := 0
	defer func() {
		if most > defaultPendingPerIP {
			s.tally.breach(kind, "%s held up to %d reservations at once, more than -pending-per-client %d", from, most, defaultPendingPerIP)
		}
	}()
	for i := n; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		sent := time.Now()
		_, err := client.Reserve(ctx, s.base, rooms[i%len(rooms)], "squatter", opts)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.tally.failed(kind, "join", err)
			continue
		}
		s.tally.add(kind, "reserved")
		// None is ever claimed, so each is pending for its whole TTL from
		// when the server made it, which was after it was asked for and
		// before the answer came. Those asked for less than a TTL before
		// this answer were all still pending when this one was made, however
		// slow the answers (the machine may stall for seconds).
		now := time.Now()
		asked = append(slices.DeleteFunc(asked, func(at time.Time) bool { return now.Sub(at) >= reservationTTL }), sent)
		most = max(most, len(asked))
	}
}

// streamFlood opens event streams past the client's cap, holds the ones
// it got without reading them, closes them, and again.
func (s *soak) streamFlood(ctx context.Context, from string) {
	const kind = "sse"
	addr := strings.TrimPrefix(s.base, "http://")
	most := 0
	defer func() {
		if most > defaultStreamsPerIP {
			s.tally.breach(kind, "%s held up to %d event streams at once, more than -max-streams-per-client %d", from, most, defaultStreamsPerIP)
		}
	}()
	for ctx.Err() == nil {
		var open []net.Conn
		for range streamTries {
			conn, err := openEventStream(ctx, addr, from)
			if ctx.Err() != nil {
				break
			}
			if err != nil {
				s.tally.failed(kind, "", err)
				continue
			}
			open = append(open, conn)
		}
		s.tally.addN(kind, "opened", len(open))
		most = max(most, len(open))
		pause(ctx, streamHold)
		for _, c := range open {
			c.Close()
		}
	}
}

// openEventStream opens GET /api/rooms/events as the client from, and
// reads nothing past the answer's header. A refusal is a *rest.Problem.
func openEventStream(ctx context.Context, addr, from string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/rooms/events", nil)
	req.Header.Set("X-Forwarded-For", from)
	req.Header.Set("Accept", "text/event-stream")
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer conn.Close()
		return nil, problemIn(resp)
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

// problemIn reads a refusal's problem body.
func problemIn(resp *http.Response) *rest.Problem {
	p := &rest.Problem{}
	json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(p)
	p.Status = resp.StatusCode
	return p
}

// pollFlood keeps more long-polls waiting than the client may: each waits
// for a change to rooms that never come, 2 s at a time.
func (s *soak) pollFlood(ctx context.Context, from string) {
	const kind = "long-poll"
	hc := s.as(from).HTTPClient
	var polls sync.WaitGroup
	for range streamTries {
		polls.Go(func() {
			version := ""
			for ctx.Err() == nil {
				if version == "" {
					list, err := getJSON[rest.RoomList](ctx, hc, s.base+"/api/rooms?limit=1")
					if err != nil {
						if ctx.Err() == nil {
							s.tally.failed(kind, "list", err)
							pause(ctx, time.Second)
						}
						continue
					}
					version = list.Version
				}
				q := url.Values{"watch": {"1"}, "since": {version}, "timeout": {"2s"}, "name": {"no room is called this"}}
				list, err := getJSON[rest.RoomList](ctx, hc, s.base+"/api/rooms?"+q.Encode())
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					s.tally.failed(kind, "", err)
					pause(ctx, 250*time.Millisecond)
					continue
				}
				s.tally.add(kind, "answered")
				version = list.Version
			}
		})
	}
	polls.Wait()
}

func getJSON[T any](ctx context.Context, hc *http.Client, u string) (*T, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, problemIn(resp)
	}
	var v T
	return &v, json.NewDecoder(resp.Body).Decode(&v)
}

// slowHTTP pipelines requests for the OpenAPI document (megabytes of
// answers) on a connection with a tiny receive buffer and never reads
// them; after longer than -write-timeout (30 s) it checks that the server
// has closed the connection, and starts another.
func (s *soak) slowHTTP(ctx context.Context, from string) {
	const kind = "slow-http"
	addr := strings.TrimPrefix(s.base, "http://")
	for ctx.Err() == nil {
		conn, err := pipeline(ctx, addr, from)
		if err != nil {
			if ctx.Err() == nil {
				s.tally.failed(kind, "", err)
				pause(ctx, time.Second)
			}
			continue
		}
		s.tally.add(kind, "pipelined")
		if pause(ctx, slowHTTPHold) {
			// Closed, what was on its way ends soon; open, the answers go
			// on (megabytes of them: a megabyte is enough to tell).
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err := io.CopyN(io.Discard, conn, 1<<20)
			var ne net.Error
			if err == nil || errors.As(err, &ne) && ne.Timeout() {
				s.tally.breach(kind, "a client that never read its answers was still connected after %v", slowHTTPHold)
			} else {
				s.tally.add(kind, "closed by the server")
			}
		}
		conn.Close()
	}
}

// pipeline connects with a 2 KB receive buffer and sends 400 requests
// for the OpenAPI document at once.
func pipeline(ctx context.Context, addr, from string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second, Control: rcvbuf(2048)}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	req := "GET /api/openapi.json HTTP/1.1\r\nHost: " + addr + "\r\nX-Forwarded-For: " + from + "\r\n\r\n"
	conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, strings.Repeat(req, 400)); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// rcvbuf sets a socket's receive buffer before it connects.
func rcvbuf(bytes int) func(_, _ string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, bytes)
		})
		return errors.Join(err, serr)
	}
}

// slowWS takes a seat in an honest room, reads its welcome and then
// nothing: the keepalive (or, where the buffers fill first, the slow-client
// cut-off) must close it. With small it has a 4 KB receive buffer.
func (s *soak) slowWS(ctx context.Context, from, room string, small bool) {
	const kind = "stalled-ws"
	tr := s.transport.Clone()
	if small {
		tr.DialContext = (&net.Dialer{Timeout: 5 * time.Second, Control: rcvbuf(4096)}).DialContext
	}
	defer tr.CloseIdleConnections()
	opts := &client.Options{HTTPClient: &http.Client{Transport: forwardedFor{from, tr}}, SkipEntities: true}
	for ctx.Err() == nil {
		c, err := s.join(ctx, kind, room, "stalled", opts, 5*time.Second)
		if err != nil {
			pause(ctx, time.Second)
			continue
		}
		if pause(ctx, slowWSHold) {
			dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			for err == nil {
				_, err = c.Read(dctx)
			}
			timedOut := dctx.Err() != nil
			cancel()
			var ce websocket.CloseError
			switch {
			case ctx.Err() != nil:
			case timedOut:
				s.tally.breach(kind, "a WebSocket that stopped reading was still open after %v", slowWSHold)
			case errors.As(err, &ce):
				s.tally.add(kind, fmt.Sprintf("closed %d %s", ce.Code, ce.Reason))
			default:
				s.tally.add(kind, "cut")
			}
		}
		c.CloseNow()
	}
}

// misbehaviours are what a rejoiner does once connected, and the close
// each earns (docs/security.md).
var misbehaviours = []struct {
	name string
	want websocket.StatusCode
	do   func(ctx context.Context, conn *websocket.Conn, w *netcode.Welcome, codec *netcode.Codec) error
}{
	{"garbage", websocket.StatusPolicyViolation, func(ctx context.Context, conn *websocket.Conn, _ *netcode.Welcome, _ *netcode.Codec) error {
		return conn.Write(ctx, websocket.MessageBinary, []byte{0xc1, 0xc1, 0xc1})
	}},
	{"text", websocket.StatusUnsupportedData, func(ctx context.Context, conn *websocket.Conn, _ *netcode.Welcome, _ *netcode.Codec) error {
		return conn.Write(ctx, websocket.MessageText, []byte("hello"))
	}},
	{"oversized", websocket.StatusMessageTooBig, func(ctx context.Context, conn *websocket.Conn, _ *netcode.Welcome, _ *netcode.Codec) error {
		return conn.Write(ctx, websocket.MessageBinary, make([]byte, 8<<10))
	}},
	{"input flood", websocket.StatusPolicyViolation, func(ctx context.Context, conn *websocket.Conn, w *netcode.Welcome, codec *netcode.Codec) error {
		for i := range uint32(400) {
			if err := conn.Write(ctx, websocket.MessageBinary, codec.AppendInput(nil, game.Input{Seq: w.LastInputSeq + 1 + i})); err != nil {
				return err
			}
		}
		return nil
	}},
	{"seq jump", websocket.StatusPolicyViolation, func(ctx context.Context, conn *websocket.Conn, w *netcode.Welcome, codec *netcode.Codec) error {
		return conn.Write(ctx, websocket.MessageBinary, codec.AppendInput(nil, game.Input{Seq: w.LastInputSeq + 2*netcode.MaxInputSeqGap}))
	}},
}

// rejoinFlood joins an honest room, misbehaves until the server closes it,
// tries to take the seat back with its reconnect token, and joins again,
// up to rejoinRate times a second.
func (s *soak) rejoinFlood(ctx context.Context, from string, rooms []string, n int) {
	const kind = "rejoin"
	opts := s.as(from)
	pace := rate.NewLimiter(rejoinRate, 1)
	for i := n; pace.Wait(ctx) == nil; i++ {
		seat, err := client.Reserve(ctx, s.base, rooms[i%len(rooms)], "rejoiner", opts)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.tally.failed(kind, "join", err)
			pause(ctx, 100*time.Millisecond)
			continue
		}
		s.misbehave(ctx, kind, seat, opts, i%len(misbehaviours))
	}
}

func (s *soak) misbehave(ctx context.Context, kind string, seat *rest.Seat, opts *client.Options, m int) {
	bad := misbehaviours[m]
	stopping := ctx
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, seat.WSURL, &websocket.DialOptions{HTTPClient: opts.HTTPClient, Subprotocols: []string{netcode.Subprotocol}})
	if stopping.Err() != nil {
		return
	}
	if err != nil {
		s.tally.failed(kind, "dial", err)
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)
	var msg netcode.ServerMessage
	_, data, err := conn.Read(ctx)
	if err == nil {
		err = netcode.DecodeServer(data, &msg)
	}
	if err == nil && msg.Type != netcode.MsgWelcome {
		err = fmt.Errorf("first message is type %d, not a welcome", msg.Type)
	}
	var codec *netcode.Codec
	if err == nil {
		codec, err = netcode.NewCodec(msg.Welcome.Schema)
	}
	if stopping.Err() != nil {
		return
	}
	if err != nil {
		s.tally.failed(kind, "welcome", err)
		return
	}
	w := msg.Welcome
	bad.do(ctx, conn, &w, codec) // the server may close before all is written
	for err == nil {
		_, _, err = conn.Read(ctx)
	}
	if stopping.Err() != nil {
		return
	}
	code := websocket.CloseStatus(err)
	switch {
	case ctx.Err() != nil:
		s.tally.breach(kind, "a client that sent %s was still connected after 10 s", bad.name)
		return
	case code == -1:
		s.tally.add(kind, bad.name+" cut") // no close frame: allowed, and it too frees the seat
	case code != bad.want:
		s.tally.breach(kind, "%s closed %d, want %d", bad.name, code, bad.want)
	default:
		s.tally.add(kind, fmt.Sprintf("%s closed %d", bad.name, code))
	}
	// The seat went with the connection: its reconnect token is spent.
	u, _ := url.Parse(seat.WSURL)
	u.RawQuery = url.Values{"token": {w.ReconnectToken}}.Encode()
	c, err := client.Dial(ctx, u.String(), opts)
	switch {
	case err == nil:
		c.CloseNow()
		s.tally.breach(kind, "a client closed for %s took its seat back with its reconnect token", bad.name)
	case stopping.Err() == nil:
		s.tally.failed(kind, "token reused", err)
	}
}

// lateJoins has an honest player join each honest room every 10 s, from
// a new address, play until its first snapshot and leave: the squatters,
// stalled sockets and rejoiners must not keep it out for longer than a
// reservation's lifetime.
func (s *soak) lateJoins(ctx context.Context, rooms []string) {
	const kind = "late"
	n := 0
	for pause(ctx, lateEvery) {
		for _, room := range rooms {
			n++
			start := time.Now()
			c, err := s.join(ctx, kind, room, "late", s.as(soakAddr(lateNet, n)), latePatience)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				s.tally.breach(kind, "a late honest player found no seat in %v: %v", latePatience, err)
				continue
			}
			s.tally.longest(kind, "longest wait for a seat", time.Since(start))
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			for {
				u, err := c.Read(rctx)
				if err != nil {
					if ctx.Err() == nil {
						s.tally.breach(kind, "a late honest player got no snapshot: %v", err)
					}
					break
				}
				if u.Type == netcode.MsgSnapshot {
					break
				}
			}
			cancel()
			c.Leave(ctx)
			c.CloseNow()
		}
	}
}

// outcome names what an abuser's request or connection met.
func outcome(err error) string {
	var p *rest.Problem
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &p) && p.Quota != "":
		return fmt.Sprintf("%d %s", p.Status, p.Quota)
	case errors.As(err, &p):
		return strconv.Itoa(p.Status)
	case websocket.CloseStatus(err) != -1:
		return fmt.Sprintf("closed %d", websocket.CloseStatus(err))
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "error"
}

// tally counts what the abusers met, by kind and outcome, and the
// breaches: a defense that did not hold.
type tally struct {
	mu      sync.Mutex
	counts  map[string]map[string]int   // guarded by mu
	gauges  map[string]map[string]gauge // guarded by mu
	expects [][2]string                 // outcomes some abuser must meet; guarded by mu
	broken  map[string]int              // guarded by mu
	noted   map[string]int              // guarded by mu
}

func (ta *tally) addN(kind, outcome string, n int) {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	if ta.counts == nil {
		ta.counts = map[string]map[string]int{}
	}
	if ta.counts[kind] == nil {
		ta.counts[kind] = map[string]int{}
	}
	ta.counts[kind][outcome] += n
}

func (ta *tally) add(kind, outcome string) { ta.addN(kind, outcome, 1) }

// failed counts an error by its outcome; errors that are no refusal are
// noted for the report.
func (ta *tally) failed(kind, what string, err error) {
	o := strings.TrimSpace(what + " " + outcome(err))
	ta.add(kind, o)
	if outcome(err) == "error" || outcome(err) == "timeout" {
		ta.note(kind + " " + what + ": " + err.Error())
	}
}

// longest and most keep the greatest of a measure, reported as a
// duration or a count.
func (ta *tally) longest(kind, what string, d time.Duration) { ta.greatest(kind, what, d, ms) }

func (ta *tally) most(kind, what string, n int) {
	ta.greatest(kind, what, time.Duration(n), func(n time.Duration) string { return strconv.Itoa(int(n)) })
}

func (ta *tally) greatest(kind, what string, v time.Duration, format func(time.Duration) string) {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	if ta.gauges == nil {
		ta.gauges = map[string]map[string]gauge{}
	}
	if ta.gauges[kind] == nil {
		ta.gauges[kind] = map[string]gauge{}
	}
	if g := ta.gauges[kind][what]; g.format == nil || v > g.v {
		ta.gauges[kind][what] = gauge{v, format}
	}
}

type gauge struct {
	v      time.Duration
	format func(time.Duration) string
}

// expect records an outcome the abuse must meet: a limit that refuses.
func (ta *tally) expect(kind, outcome string) {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	ta.expects = append(ta.expects, [2]string{kind, outcome})
}

func (ta *tally) breach(kind, format string, args ...any) {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	if ta.broken == nil {
		ta.broken = map[string]int{}
	}
	ta.broken[kind+": "+fmt.Sprintf(format, args...)]++
}

func (ta *tally) note(msg string) {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	if ta.noted == nil {
		ta.noted = map[string]int{}
	}
	if len(ta.noted) < 30 || ta.noted[msg] > 0 {
		ta.noted[msg]++
	}
}

func (ta *tally) notes() []string {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	var out []string
	for msg, n := range ta.noted {
		out = append(out, fmt.Sprintf("%dx %s", n, msg))
	}
	slices.Sort(out)
	return out
}

// breaches are the defenses that did not hold, and the refusals expected
// but never met.
func (ta *tally) breaches() []string {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	var out []string
	for msg, n := range ta.broken {
		out = append(out, fmt.Sprintf("%s (%d times)", msg, n))
	}
	for _, e := range ta.expects {
		if ta.counts[e[0]][e[1]] == 0 {
			out = append(out, fmt.Sprintf("%s: never refused with %q", e[0], e[1]))
		}
	}
	slices.Sort(out)
	return out
}

func (ta *tally) String() string {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	var kinds []string
	for _, kind := range slices.Sorted(maps.Keys(ta.counts)) {
		var parts []string
		for _, o := range slices.Sorted(maps.Keys(ta.counts[kind])) {
			parts = append(parts, fmt.Sprintf("%s %d", o, ta.counts[kind][o]))
		}
		for what, g := range ta.gauges[kind] {
			parts = append(parts, fmt.Sprintf("%s %s", what, g.format(g.v)))
		}
		kinds = append(kinds, kind+" ["+strings.Join(parts, ", ")+"]")
	}
	return strings.Join(kinds, " ")
}
