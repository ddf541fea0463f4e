package node

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/rest"
)

// Descriptors kept back from connections: the listeners, the Poller's
// epoll, log and /proc files the metrics read, the pprof server.
const (
	minSpareFiles  = 64
	spareFilesPart = 8 // or this part of the limit, if more
)

// restConnsPerClient is what a client's connection cap allows beyond its
// WebSockets and event streams: ordinary requests in flight, and the
// idle keep-alive connections of a browser or an HTTP client's pool.
const restConnsPerClient = 32

// maxRequestHead bounds what is read of a refused connection's request:
// the server's header limit and some.
const maxRequestHead = 20 << 10

// connLimits derives the caps that keep the server inside its descriptor
// limit: connections of every kind (players' WebSockets, event streams,
// REST calls) stop at the limit less a spare, and event streams and
// long-polls, which clients hold open at no cost to themselves, at a
// quarter of it, so with every stream slot taken three quarters of the
// descriptors still serve health checks, joins and players.
func connLimits(files uint64) (maxConns, maxStreams int) {
	files = min(files, 1<<22)
	spare := max(minSpareFiles, files/spareFilesPart)
	if files <= spare {
		return 1, 1
	}
	return int(files - spare), int(max(files/4, 1))
}

// limitOptions are a limitListener's caps. Zero fields mean no cap.
type limitOptions struct {
	// Max is the most connections open at once; the next wait in the
	// kernel's backlog until one closes.
	Max int
	// PerClient is the most connections one client holds open at once;
	// past it a new connection is answered 429, once its request is in,
	// and closed.
	PerClient int
	// ClientOf names the client at a peer address as the API's
	// per-client limits count it; false leaves the connection uncounted
	// (a trusted proxy, whose connections carry many clients).
	ClientOf func(net.Addr) (string, bool)
	// Refused, if set, is called for each connection refused by
	// PerClient.
	Refused func()
}

// limitListener bounds connections of every kind, in total and per client,
// before the HTTP server spends anything on them.
//
// Past Max, Accept waits, so the server never runs out of descriptors
// accepting (nor fills its log with accept4: too many open files). Past
// PerClient, the connection is refused at accept: without it one client
// could hold every slot with connections that each stay within the HTTP
// server's timeouts (a silent connection lasts the 10 s header timeout;
// a new one replaces it), and health checks and everyone else's joins
// would wait in the backlog. The API's own per-client caps (WebSockets,
// event streams) are finer, and answer within this one.
//
// Its connections keep their own type's methods
// (x/net/netutil.LimitListener's hide them), so the session Poller still
// finds the socket behind a WebSocket.
type limitListener struct {
	net.Listener
	opts      limitOptions
	sem       chan struct{} // nil: no total cap
	done      chan struct{}
	closeOnce sync.Once
	refusal   []byte // the whole 429 answer

	lingering sync.WaitGroup // refused connections being answered

	mu      sync.Mutex
	open    map[string]int // by client; only clients with connections open
	lingers int            // refused connections being answered now
	closed  bool           // no more lingering: Close waits for those there are
}

func newLimitListener(l net.Listener, opts limitOptions) *limitListener {
	ll := &limitListener{Listener: l, opts: opts, done: make(chan struct{}), open: make(map[string]int)}
	if opts.Max > 0 {
		ll.sem = make(chan struct{}, opts.Max)
	}
	if opts.PerClient > 0 {
		ll.refusal = refusal(opts.PerClient)
	}
	return ll
}

// refusal is the answer to a connection past the per-client cap, so a
// client learns why instead of finding the connection reset.
func refusal(perClient int) []byte {
	body, _ := json.Marshal(rest.Problem{Type: "/problems/quota-exceeded", Status: http.StatusTooManyRequests,
		Title: "Quota exceeded", Quota: "max-conns-per-client",
		Detail: fmt.Sprintf("this client already has %d connections open to this server; close one first", perClient)})
	return fmt.Appendf(nil, "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/problem+json\r\n"+
		"Content-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s", len(body), body)
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		if l.sem != nil {
			select {
			case l.sem <- struct{}{}:
			case <-l.done:
				return nil, net.ErrClosed
			}
		}
		c, err := l.Listener.Accept()
		if err != nil {
			l.releaseSlot()
			return nil, err
		}
		leave, ok := l.admit(c.RemoteAddr())
		if !ok {
			l.refuse(c)
			l.releaseSlot()
			continue
		}
		release := sync.OnceFunc(func() {
			leave()
			l.releaseSlot()
		})
		if tc, ok := c.(*net.TCPConn); ok {
			return &limitedTCPConn{TCPConn: tc, release: release}, nil
		}
		return &limitedConn{Conn: c, release: release}, nil
	}
}

func (l *limitListener) releaseSlot() {
	if l.sem != nil {
		<-l.sem
	}
}

// admit counts a connection from addr against its client's cap, and
// returns what gives it back.
func (l *limitListener) admit(addr net.Addr) (leave func(), ok bool) {
	if l.opts.PerClient <= 0 || l.opts.ClientOf == nil {
		return func() {}, true
	}
	client, counted := l.opts.ClientOf(addr)
	if !counted {
		return func() {}, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[client] >= l.opts.PerClient {
		return nil, false
	}
	l.open[client]++
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.open[client]--; l.open[client] == 0 {
			delete(l.open, client)
		}
	}, true
}

// A refused connection is answered once its request is in: HTTP clients
// take an answer that comes before their request as no answer (Go's
// transport: "unsolicited response"), and one closed with the request
// unread may be reset before they read it. So it is read (its head, for
// at most refusalWait), answered, closed for writing, and what else comes
// is dropped until the same time is up, as net/http does when it closes a
// connection on an unread request. Only a few are served so at once;
// past that a refused connection is closed at once, unanswered.
const (
	refusalWait      = time.Second
	maxRefusedLinger = 32
)

// refuse answers c 429 and closes it.
func (l *limitListener) refuse(c net.Conn) {
	if l.opts.Refused != nil {
		l.opts.Refused()
	}
	if !l.lingerSlot() {
		c.Close()
		return
	}
	go func() {
		defer l.lingerDone()
		defer c.Close()
		c.SetDeadline(time.Now().Add(refusalWait))
		if _, err := http.ReadRequest(bufio.NewReader(io.LimitReader(c, maxRequestHead))); err != nil {
			return
		}
		if _, err := c.Write(l.refusal); err != nil {
			return
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	}()
}

// lingerSlot takes a place for a refused connection to drain in, if one
// is free and the listener is open. Close waits for those taken.
func (l *limitListener) lingerSlot() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.lingers >= maxRefusedLinger {
		return false
	}
	l.lingers++
	l.lingering.Add(1)
	return true
}

func (l *limitListener) lingerDone() {
	l.mu.Lock()
	l.lingers--
	l.mu.Unlock()
	l.lingering.Done()
}

// Close stops accepting and waits for refused connections to be answered
// (at most refusalWait).
func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	err := l.Listener.Close()
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.lingering.Wait()
	return err
}

// limitedTCPConn gives its slot back when closed (once, however often).
type limitedTCPConn struct {
	*net.TCPConn
	release func()
}

func (c *limitedTCPConn) Close() error {
	err := c.TCPConn.Close()
	c.release()
	return err
}

type limitedConn struct {
	net.Conn
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// connClient names the client behind a connection for the per-client cap:
// its peer, unless that is a trusted proxy, whose connections carry many
// clients (the API counts those by X-Forwarded-For). Connections that are
// not TCP (a listener a program gave) are not counted.
func connClient(cfg config) func(net.Addr) (string, bool) {
	proxies, _ := cfg.trustedProxies() // checked by parseConfig
	return func(a net.Addr) (string, bool) {
		ta, ok := a.(*net.TCPAddr)
		if !ok {
			return "", false
		}
		addr := ta.AddrPort().Addr().Unmap()
		if slices.ContainsFunc(proxies, func(p netip.Prefix) bool { return p.Contains(addr) }) {
			return "", false
		}
		return lobby.ClientOf(addr), true
	}
}
