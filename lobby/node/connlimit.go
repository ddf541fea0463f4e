package node

import (
	"net"
	"sync"
)

// Descriptors kept back from connections: the listeners, the Poller's
// epoll, log and /proc files the metrics read, the pprof server.
const (
	minSpareFiles  = 64
	spareFilesPart = 8 // or this part of the limit, if more
)

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

// limitListener holds Accept while max of its connections are open, so the
// server never runs out of descriptors accepting them (nor fills its log
// with accept4: too many open files): the next connections wait in the
// kernel's backlog until one closes. Its connections keep their own type's
// methods (x/net/netutil.LimitListener's hide them), so the session Poller
// still finds the socket behind a WebSocket.
type limitListener struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func newLimitListener(l net.Listener, max int) *limitListener {
	return &limitListener{Listener: l, sem: make(chan struct{}, max), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	release := sync.OnceFunc(func() { <-l.sem })
	if tc, ok := c.(*net.TCPConn); ok {
		return &limitedTCPConn{TCPConn: tc, release: release}, nil
	}
	return &limitedConn{Conn: c, release: release}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
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
