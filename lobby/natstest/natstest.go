// Package natstest runs an embedded nats-server with JetStream in a test's
// own process, as the cluster's tests need it: on loopback, a store in the
// test's temp dir, a port of the system's choosing or a fixed one it can
// restart on, and a cleanup that shuts it down and waits for it.
package natstest

import (
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is one embedded nats-server; Stop and Start restart it on the
// same address and store.
type Server struct {
	t    testing.TB
	opts server.Options
	s    *server.Server
}

// Start starts a server on port (-1: a random one) with a store of its
// own; the test's cleanup shuts it down.
func Start(t testing.TB, port int) *Server {
	t.Helper()
	n := &Server{t: t, opts: server.Options{
		Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
	}}
	n.Start()
	t.Cleanup(n.Stop)
	return n
}

// Start starts the server again after Stop.
func (n *Server) Start() {
	n.t.Helper()
	opts := n.opts // NewServer keeps and fills in its options
	s, err := server.NewServer(&opts)
	if err != nil {
		n.t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		n.t.Fatal("nats-server not ready")
	}
	n.s = s
}

// Stop shuts the server down and waits for it; stopped, it does nothing.
func (n *Server) Stop() {
	if n.s != nil {
		n.s.Shutdown()
		n.s.WaitForShutdown()
		n.s = nil
	}
}

// URL is the address clients connect to.
func (n *Server) URL() string { return n.s.ClientURL() }

// Consumers counts the JetStream consumers on the server.
func (n *Server) Consumers() int {
	n.t.Helper()
	jsz, err := n.s.Jsz(nil)
	if err != nil {
		n.t.Fatal(err)
	}
	return jsz.Consumers
}

// FreePort picks a port nobody listens on, for a server that restarts on
// the same address.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
