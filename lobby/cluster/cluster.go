// Package cluster joins a tickroom node to a cluster of nodes on NATS: it
// connects (or runs an embedded nats-server with JetStream), lists the
// cluster's rooms and nodes through natsdir, and carries the two calls
// one node makes to another over NATS request/reply: create a room under
// a caller-chosen id, and reserve a seat in a room.
//
// Each node subscribes, without a queue group, to its own subjects
//
//	tickroom.node.<id>.create   {"id", "room": rest.CreateRoom}   → {"room"} or {"problem"}
//	tickroom.node.<id>.reserve  {"call", "room", "join": rest.Join} → {"seat"} or {"problem"}
//
// and answers them through the node's lobby.API (Backend), on the same
// paths an HTTP request takes there: the seat's token is the owner's and
// its ws_url is on the owner's public URL. The other side, [Client],
// implements lobby.Cluster, which is all the HTTP API knows of the
// cluster: the lobby package itself does not import NATS, and a single
// node needs none. docs/cluster.md has the topology and what happens when
// a node or NATS fails.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/directory/natsdir"
	"github.com/tickroom/tickroom/lobby/rest"
)

// Subject prefix of the node-to-node calls: tickroom.node.<id>.<op>.
const subjectPrefix = "tickroom.node."

// The calls.
const (
	opCreate  = "create"
	opReserve = "reserve"
)

func subject(node, op string) string { return subjectPrefix + node + "." + op }

// createRequest asks a node for a room under ID.
type createRequest struct {
	ID   string          `json:"id"`
	Room rest.CreateRoom `json:"room"`
	// WaitMS is how long the caller waits for the answer, so the node
	// gives up when nobody will read it.
	WaitMS int64 `json:"wait_ms"`
}

// reserveRequest asks a node for a seat in its room Room. Call names the
// call: the node answers a request sent again with the same seat.
type reserveRequest struct {
	Call   string    `json:"call"`
	Room   string    `json:"room"`
	Join   rest.Join `json:"join"`
	WaitMS int64     `json:"wait_ms"`
}

// reply answers either call: what was asked for, or the node's refusal
// as it would have answered it over HTTP.
type reply struct {
	Room         *directory.Room `json:"room,omitempty"`
	Seat         *rest.Seat      `json:"seat,omitempty"`
	Problem      *rest.Problem   `json:"problem,omitempty"`
	RetryAfterMS int64           `json:"retry_after_ms,omitempty"`
}

// Options configure a node's membership. Zero values take the defaults
// noted.
type Options struct {
	// URL is the NATS server (or comma-separated servers) to connect to.
	// Empty with Embed set: the embedded server.
	URL string
	// Embed, when set, is the address an embedded nats-server with
	// JetStream listens on (host:port; port 0 picks a free one); the node
	// connects to it, and other nodes can point URL at it.
	Embed string
	// StoreDir is where the embedded server keeps JetStream's files.
	// Default DefaultStoreDir(NodeID).
	StoreDir string
	// RemoveStore removes the embedded server's store at Close: for a
	// node whose id no later start will have.
	RemoveStore bool
	// NodeID names this node; it must be a NATS subject token (letters,
	// digits, - and _). Required.
	NodeID string
	// PublicURL is where clients reach this node: other nodes give it to
	// the players they send here. Required.
	PublicURL string
	// Load reports this node's load for its heartbeat (natsdir.Options).
	Load func() natsdir.Load
	// Timeout bounds each call to another node. Default 2s.
	Timeout time.Duration
	// Replicas of the directory's buckets: 3 on a NATS cluster. Default 1.
	Replicas int
	// Directory sets the rest of the directory's options (heartbeat, TTL,
	// bucket names); NodeID, PublicURL, Load, Replicas and Log above win.
	Directory natsdir.Options
	// ReconnectWait is the pause between attempts to reach NATS again.
	// Default 250ms, with up to 100ms of jitter.
	ReconnectWait time.Duration
	// Registerer takes the cluster's metrics; nil registers none.
	Registerer prometheus.Registerer
	// Log receives the connection's and the embedded server's events.
	// Default: discarded.
	Log *slog.Logger
}

// DefaultStoreDir is the embedded server's store of node id when none is
// given: tickroom/nats/<id> under the user's cache directory (the system's
// temporary directory where there is none), the same for every start of a
// node of that id.
func DefaultStoreDir(nodeID string) string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "tickroom", "nats", nodeID)
}

func (o Options) storeDir() string {
	if o.StoreDir != "" {
		return o.StoreDir
	}
	return DefaultStoreDir(o.NodeID)
}

// Node is this process's membership of a cluster: its NATS connection
// (and the embedded server, if it runs one), its directory, the client of
// the other nodes' calls and, once Serve is called, the server of its own.
type Node struct {
	opts     Options
	log      *slog.Logger
	embedded *server.Server // nil unless Options.Embed
	nc       *nats.Conn
	dir      *natsdir.Directory
	client   *Client
	metrics  *metrics
	srv      *Server // nil until Serve

	closeOnce sync.Once
	closeErr  error
}

// Start connects (starting the embedded server first, if asked), joins the
// directory and returns the node; ctx bounds the start only. The connection
// reconnects forever; its errors go to the log.
func Start(ctx context.Context, opts Options) (*Node, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	if opts.ReconnectWait <= 0 {
		opts.ReconnectWait = 250 * time.Millisecond
	}
	switch {
	case !ValidNodeID(opts.NodeID):
		return nil, fmt.Errorf("cluster: node id %q: want 1 to 64 letters, digits, - and _", opts.NodeID)
	case opts.PublicURL == "":
		return nil, errors.New("cluster: a node needs the public URL clients reach it at")
	case opts.URL == "" && opts.Embed == "":
		return nil, errors.New("cluster: no NATS URL and no embedded server")
	}
	n := &Node{opts: opts, log: opts.Log}
	url := opts.URL
	if opts.Embed != "" {
		s, err := embed(opts)
		if err != nil {
			return nil, err
		}
		n.embedded = s
		if url == "" {
			url = clientURL(s)
		}
	}
	nc, err := connect(url, opts)
	if err != nil {
		n.stopEmbedded()
		return nil, fmt.Errorf("cluster: connecting to NATS at %s: %w", url, err)
	}
	n.nc = nc
	dopts := opts.Directory
	dopts.NodeID, dopts.PublicURL, dopts.Load, dopts.Log = opts.NodeID, opts.PublicURL, opts.Load, opts.Log
	if opts.Replicas > 0 {
		dopts.Replicas = opts.Replicas
	}
	if dopts.RequestTimeout == 0 {
		dopts.RequestTimeout = opts.Timeout
	}
	dir, err := natsdir.New(ctx, nc, dopts)
	if err != nil {
		nc.Close()
		n.stopEmbedded()
		return nil, fmt.Errorf("cluster: joining the directory: %w", err)
	}
	n.dir = dir
	n.metrics = newMetrics(opts.Registerer, dir)
	n.client = &Client{nc: nc, dir: dir, timeout: opts.Timeout, metrics: n.metrics}
	return n, nil
}

// ValidNodeID reports whether id can name a node: a NATS subject token
// and key of 1 to 64 letters, digits, - and _.
func ValidNodeID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Directory is the cluster's room directory as this node sees it: the
// room runtime's rooms.Options.Directory.
func (n *Node) Directory() *natsdir.Directory { return n.dir }

// Client makes calls to the other nodes: the API's lobby.Cluster.
func (n *Node) Client() *Client { return n.client }

// Conn is the node's NATS connection.
func (n *Node) Conn() *nats.Conn { return n.nc }

// EmbeddedURL is the client URL of the embedded server ("" if none).
func (n *Node) EmbeddedURL() string {
	if n.embedded == nil {
		return ""
	}
	return clientURL(n.embedded)
}

// Serve answers the other nodes' calls with b until Close.
func (n *Node) Serve(b Backend) error {
	s, err := serve(n.nc, n.opts.NodeID, b, n.opts.Timeout, n.metrics, n.log)
	if err != nil {
		return err
	}
	n.srv = s
	return nil
}

// SetDraining tells every node at once that this one takes no new rooms
// or joins (its record's draining flag).
func (n *Node) SetDraining(draining bool) { n.dir.SetDraining(draining) }

// Close leaves the cluster: it stops answering calls, leaves the directory
// (every node unlists this one's rooms at once), closes the connection and
// stops the embedded server, if any. Call it once the rooms are gone. ctx
// bounds the leave.
func (n *Node) Close(ctx context.Context) error {
	n.closeOnce.Do(func() {
		if n.srv != nil {
			n.srv.close()
		}
		n.closeErr = n.dir.Close(ctx)
		n.nc.Close()
		n.stopEmbedded()
	})
	return n.closeErr
}

func (n *Node) stopEmbedded() {
	if n.embedded != nil {
		n.embedded.Shutdown()
		n.embedded.WaitForShutdown()
		if n.opts.RemoveStore {
			if err := os.RemoveAll(n.opts.storeDir()); err != nil {
				n.log.Warn("removing the embedded NATS store", "dir", n.opts.storeDir(), "err", err)
			}
		}
	}
}

// connect opens the node's connection: it reconnects forever, quickly,
// and notices a server that vanished without closing (no FIN) within
// about 15 s; it logs instead of printing.
func connect(url string, opts Options) (*nats.Conn, error) {
	log := opts.Log
	return nats.Connect(url,
		nats.Name("tickroom "+opts.NodeID),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(opts.ReconnectWait),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		nats.PingInterval(5*time.Second),
		nats.MaxPingsOutstanding(2),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				log.Warn("nats: error on a subscription", "subject", sub.Subject, "err", err)
				return
			}
			log.Warn("nats: error", "err", err)
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats: disconnected; reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("nats: reconnected", "url", nc.ConnectedUrlRedacted()) }),
	)
}

// embed starts the embedded nats-server with JetStream and waits until it
// takes connections.
func embed(opts Options) (*server.Server, error) {
	host, portStr, err := net.SplitHostPort(opts.Embed)
	if err != nil {
		return nil, fmt.Errorf("cluster: embedded NATS address %q: %w", opts.Embed, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("cluster: embedded NATS address %q: bad port", opts.Embed)
	}
	if port == 0 {
		port = server.RANDOM_PORT // nats-server takes 0 for its default, 4222
	}
	dir := opts.storeDir()
	s, err := server.NewServer(&server.Options{
		ServerName: "tickroom-" + opts.NodeID, Host: host, Port: port,
		JetStream: true, StoreDir: dir, NoSigs: true,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: embedded NATS: %w", err)
	}
	s.SetLoggerV2(natsLog{opts.Log.With("component", "nats-server")}, false, false, false)
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("cluster: embedded NATS on %s did not start (in use? see the log)", opts.Embed)
	}
	if !s.JetStreamEnabled() {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("cluster: embedded NATS: JetStream did not start (store %s; see the log)", dir)
	}
	opts.Log.Info("embedded NATS with JetStream running", "url", clientURL(s), "store", dir)
	return s, nil
}

// clientURL is where this process reaches the embedded server: its listen
// address, on loopback when it listens on every interface.
func clientURL(s *server.Server) string {
	addr, ok := s.Addr().(*net.TCPAddr)
	if !ok {
		return s.ClientURL()
	}
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "nats://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
}

// natsLog writes the embedded server's log through slog.
type natsLog struct{ log *slog.Logger }

// Notices (its banner, its settings) are debug: the node logs the one line
// that matters, where the server listens.
func (l natsLog) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l natsLog) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l natsLog) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l natsLog) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l natsLog) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l natsLog) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
