package node

import (
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/cluster"
	"github.com/tickroom/tickroom/lobby/flagenv"
	"github.com/tickroom/tickroom/netcode/session"
)

// config is everything the server can be told. Every flag has an
// environment fallback named TICKROOM_<FLAG> (dashes become underscores).
type config struct {
	Addr              string
	PublicURL         string
	PublicHost        string // deprecated: -public-url
	TrustedProxies    string
	LogFormat         string
	LogLevel          string
	DefaultRoom       string
	DefaultGame       string
	DefaultMode       string
	DefaultTickRate   int
	DefaultSendRate   int
	PprofAddr         string
	DefaultMax        int
	TokenKey          string
	AdminKey          string
	Origins           string
	MaxRooms          int
	MaxConnsPerIP     int
	RoomsPerClient    int
	RoomCreateRate    float64
	RoomCreateBurst   int
	PendingPerClient  int
	PendingShare      float64
	UnusedTimeout     time.Duration
	StreamsPerClient  int
	MaxStreams        int // 0: derived from the descriptor limit
	MaxConns          int // 0: derived from the descriptor limit
	MaxConnsPerClient int // 0: derived from MaxConnsPerIP and StreamsPerClient
	InputRate         float64
	ReleaseDrop       float64
	ReleaseMin        int
	Keepalive         time.Duration
	IdleAfter         time.Duration
	IdleTimeout       time.Duration
	ReconnectGrace    time.Duration
	ShutdownTimeout   time.Duration
	WriteTimeout      time.Duration
	NATS              string
	NATSEmbed         string
	NATSStore         string
	NATSReplicas      int
	NodeID            string
	ClusterTimeout    time.Duration

	// nodeIDDrawn says NodeID was drawn at start, not given: no later
	// start will have it.
	nodeIDDrawn bool
	// wrapPeer, when set, wraps what answers other nodes' calls: tests
	// delay them.
	wrapPeer func(cluster.Backend) cluster.Backend

	// listen is the address the server listens on, once it does (run sets
	// it): without -public-url, ws_url is built on it when -addr names a
	// host.
	listen net.Addr
}

func defaultConfig() config {
	return config{
		Addr:             ":8080",
		LogFormat:        "text",
		LogLevel:         "info",
		DefaultRoom:      "default",
		DefaultTickRate:  30,
		DefaultMax:       16,
		MaxRooms:         1000,
		MaxConnsPerIP:    64,
		RoomsPerClient:   8,
		RoomCreateRate:   10,
		RoomCreateBurst:  5,
		PendingPerClient: 4,
		PendingShare:     0.5,
		UnusedTimeout:    10 * time.Second,
		StreamsPerClient: 32,
		InputRate:        90,
		ReleaseDrop:      0.5,
		ReleaseMin:       1000,
		Keepalive:        session.DefaultKeepalive,
		IdleAfter:        250 * time.Millisecond,
		IdleTimeout:      60 * time.Second,
		ReconnectGrace:   20 * time.Second,
		ShutdownTimeout:  10 * time.Second,
		WriteTimeout:     30 * time.Second,
		NATSReplicas:     1,
		ClusterTimeout:   2 * time.Second,
	}
}

// parseConfig reads flags from args, falling back to getenv for any flag
// not given on the command line.
func parseConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	c := defaultConfig()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "URL clients reach the server at, e.g. https://play.example.com: join answers' ws_url is built on it and browsers from its host may open WebSockets (default: -addr when it names a host, else each request's Host)")
	fs.StringVar(&c.PublicHost, "public-host", c.PublicHost, "deprecated, use -public-url: host[:port] browsers use to reach the server, for the default origin check only")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For, -Proto and -Host are believed (empty: none)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error")
	fs.StringVar(&c.DefaultRoom, "default-room", c.DefaultRoom, "name of the always-open default room (empty: none)")
	fs.StringVar(&c.DefaultGame, "default-game", c.DefaultGame, "game of the default room (empty: the program's first game; GET /api/games lists them)")
	fs.StringVar(&c.DefaultMode, "default-mode", c.DefaultMode, "mode of the default room's game (empty: its first)")
	fs.IntVar(&c.DefaultTickRate, "default-tick-rate", c.DefaultTickRate, "tick rate of the default room, 10..60 Hz")
	fs.IntVar(&c.DefaultSendRate, "default-send-rate", c.DefaultSendRate, "snapshots per second in the default room; divides its tick rate (0: every tick)")
	fs.StringVar(&c.PprofAddr, "pprof-addr", c.PprofAddr, "serve net/http/pprof on this address, e.g. 127.0.0.1:6060 (empty: off)")
	fs.IntVar(&c.DefaultMax, "default-max-players", c.DefaultMax, "seats in the default room")
	fs.StringVar(&c.TokenKey, "token-key", c.TokenKey, "HMAC key for seat tokens (empty: random per process)")
	fs.StringVar(&c.AdminKey, "admin-key", c.AdminKey, "key for admin endpoints (empty: disabled)")
	fs.StringVar(&c.Origins, "allowed-origins", c.Origins, "comma-separated browser origins (host patterns) allowed to open WebSockets (empty: same host only)")
	fs.IntVar(&c.MaxRooms, "max-rooms", c.MaxRooms, "most rooms on this node")
	fs.IntVar(&c.MaxConnsPerIP, "max-conns-per-ip", c.MaxConnsPerIP, "most WebSockets from one client: an IPv4 address, an IPv6 /64 (negative: no cap)")
	fs.IntVar(&c.RoomsPerClient, "rooms-per-client", c.RoomsPerClient, "most rooms one client has created open at once; quick play's rooms are nobody's (negative: no cap)")
	fs.Float64Var(&c.RoomCreateRate, "room-create-rate", c.RoomCreateRate, "rooms one client may create a minute, after -room-create-burst (negative: no limit)")
	fs.IntVar(&c.RoomCreateBurst, "room-create-burst", c.RoomCreateBurst, "rooms one client may create at once before -room-create-rate applies")
	fs.IntVar(&c.PendingPerClient, "pending-per-client", c.PendingPerClient, "most seats one client holds reserved without having connected, across rooms (joins and quick plays; negative: no cap)")
	fs.Float64Var(&c.PendingShare, "room-pending-share", c.PendingShare, "share of a room's open seats unclaimed reservations may hold, at least 4 (negative: no limit)")
	fs.IntVar(&c.StreamsPerClient, "max-streams-per-client", c.StreamsPerClient, "most event streams and long-polls one client holds open (negative: no cap)")
	fs.IntVar(&c.MaxStreams, "max-streams", c.MaxStreams, "most event streams and long-polls open on the server (0: a quarter of the descriptor limit; negative: no cap)")
	fs.IntVar(&c.MaxConns, "max-conns", c.MaxConns, "most open connections of any kind; more wait in the listen backlog (0: the descriptor limit less an eighth, at least 64; negative: no cap)")
	fs.IntVar(&c.MaxConnsPerClient, "max-conns-per-client", c.MaxConnsPerClient, "most open connections of any kind from one client; more are answered 429 and closed (0: -max-conns-per-ip + -max-streams-per-client + 32, no cap if either is negative; negative: no cap; -trusted-proxies are not counted)")
	fs.DurationVar(&c.UnusedTimeout, "unused-room-timeout", c.UnusedTimeout, "close a room no player ever connected to after this long without seats (at most -idle-timeout)")
	fs.Float64Var(&c.InputRate, "input-rate", c.InputRate, "inputs and pings per second per connection before drops")
	fs.Float64Var(&c.ReleaseDrop, "release-memory-drop", c.ReleaseDrop, "return memory to the OS once this share of the peak of live WebSockets has closed (negative: leave it to the Go runtime)")
	fs.IntVar(&c.ReleaseMin, "release-memory-min", c.ReleaseMin, "... and at least this many WebSockets have closed since the peak")
	fs.DurationVar(&c.Keepalive, "keepalive", c.Keepalive, "WebSocket ping interval; a client that stops answering (gone, or not reading) is closed within 2.5 intervals")
	fs.DurationVar(&c.IdleAfter, "idle-after", c.IdleAfter, "a connection whose client sent nothing for this long parks no goroutine until it does (0: every connection keeps a reader goroutine)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "close an empty room after this long")
	fs.DurationVar(&c.ReconnectGrace, "reconnect-grace", c.ReconnectGrace, "hold a dropped player's seat this long")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "deadline for a graceful shutdown; connections still busy at half of it are closed")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", c.WriteTimeout, "longest an ordinary HTTP response may take to write (WebSockets, event streams and long-polls keep their own deadlines)")
	fs.StringVar(&c.NATS, "nats", c.NATS, "join the cluster on this NATS server (nats://host:4222; comma-separated for several), which must run JetStream (empty: a single node, no NATS)")
	fs.StringVar(&c.NATSEmbed, "nats-embed", c.NATSEmbed, "run an embedded NATS server with JetStream on this address (e.g. 127.0.0.1:4222) and join the cluster on it; other nodes give it to -nats")
	fs.StringVar(&c.NATSStore, "nats-store", c.NATSStore, "where the embedded NATS server keeps its files (default: tickroom/nats/<node-id> under the user's cache directory; removed at exit when the node id was drawn at start)")
	fs.IntVar(&c.NATSReplicas, "nats-replicas", c.NATSReplicas, "replicas of the cluster's key-value buckets: 3 on a NATS cluster of 3 or more servers, so the directory survives losing one")
	fs.StringVar(&c.NodeID, "node-id", c.NodeID, "this node's id in the cluster: letters, digits, - and _ (default: the host name and a random suffix drawn at start)")
	fs.DurationVar(&c.ClusterTimeout, "cluster-timeout", c.ClusterTimeout, "longest a call to another node of the cluster (create a room, reserve a seat) waits for its answer")
	if err := flagenv.Parse(fs, args, "TICKROOM", getenv); err != nil {
		return c, err
	}
	if c.NodeID == "" {
		c.NodeID, c.nodeIDDrawn = drawNodeID(), true
	}
	return c, c.validate()
}

// clustered reports whether the node joins a cluster.
func (c config) clustered() bool { return c.NATS != "" || c.NATSEmbed != "" }

// drawNodeID is a node id unique to this process: the host's name (as a
// NATS token: other characters become -) and six random hex digits.
func drawNodeID() string {
	host, _ := os.Hostname()
	var b strings.Builder
	for _, c := range []byte(host) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 48 {
		name = name[:48]
	}
	if name == "" {
		name = "node"
	}
	var r [3]byte
	rand.Read(r[:])
	return fmt.Sprintf("%s-%x", name, r)
}

func (c config) validate() error {
	switch {
	case c.LogFormat != "text" && c.LogFormat != "json":
		return fmt.Errorf("-log-format: %q is not text or json", c.LogFormat)
	case c.DefaultTickRate < 10 || c.DefaultTickRate > 60:
		return fmt.Errorf("-default-tick-rate: %d is not within 10..60", c.DefaultTickRate)
	case c.ReleaseDrop == 0 || c.ReleaseDrop > 1:
		return fmt.Errorf("-release-memory-drop: %g is not a share in (0, 1], or negative for off", c.ReleaseDrop)
	case c.ReleaseMin < 1:
		return fmt.Errorf("-release-memory-min: must be at least 1")
	case c.IdleAfter < 0:
		return fmt.Errorf("-idle-after: must not be negative")
	case c.ShutdownTimeout <= 0:
		return fmt.Errorf("-shutdown-timeout: must be positive")
	case c.WriteTimeout <= 0:
		return fmt.Errorf("-write-timeout: must be positive")
	case c.UnusedTimeout <= 0:
		return fmt.Errorf("-unused-room-timeout: must be positive")
	case c.RoomCreateRate > 0 && c.RoomCreateBurst < 1:
		return fmt.Errorf("-room-create-burst: must be at least 1")
	case c.PendingShare == 0:
		return fmt.Errorf("-room-pending-share: 0 would refuse every join; give a share, or a negative value for no limit")
	case c.PublicURL != "" && c.PublicHost != "":
		return fmt.Errorf("-public-host is deprecated and -public-url replaces it: give only -public-url")
	case !cluster.ValidNodeID(c.NodeID):
		return fmt.Errorf("-node-id: %q: want 1 to 64 letters, digits, - and _", c.NodeID)
	case c.ClusterTimeout <= 0:
		return fmt.Errorf("-cluster-timeout: must be positive")
	case c.NATSReplicas < 1 || c.NATSReplicas > 5:
		return fmt.Errorf("-nats-replicas: %d is not within 1..5", c.NATSReplicas)
	case c.NATS != "" && c.NATSEmbed != "":
		return fmt.Errorf("-nats and -nats-embed: give one; the node that runs the embedded server joins it by itself")
	case c.NATSStore != "" && c.NATSEmbed == "":
		return fmt.Errorf("-nats-store: only for -nats-embed")
	case c.clustered() && c.TokenKey == "":
		return fmt.Errorf("-token-key: a cluster node needs one, the same on every node, so that any node can check any seat token (and none runs on a random key)")
	case c.clustered() && !c.addressable():
		return fmt.Errorf("-public-url: a cluster node needs the URL clients reach it at, since other nodes send players to it; give -public-url, or an -addr with a host (127.0.0.1:8081)")
	}
	if _, err := c.explicitURL(); err != nil {
		return err
	}
	if _, err := c.trustedProxies(); err != nil {
		return err
	}
	return nil
}

// explicitURL is -public-url, parsed; nil when not given.
func (c config) explicitURL() (*url.URL, error) {
	if c.PublicURL == "" {
		return nil, nil
	}
	u, err := url.Parse(c.PublicURL)
	switch {
	case err != nil:
		return nil, fmt.Errorf("-public-url: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("-public-url: %q: want an http:// or https:// URL", c.PublicURL)
	case u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("-public-url: %q: want scheme, host, optional port and path only", c.PublicURL)
	}
	return u, nil
}

// addressable reports whether publicURL will name a URL once listening:
// -public-url is given, or -addr names a host.
func (c config) addressable() bool {
	if c.PublicURL != "" {
		return true
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err != nil || !ip.IsUnspecified()
}

// publicURL is where clients reach the server: -public-url, or else the
// listen address when -addr names a host (127.0.0.1:8081,
// play.example.com:80), with the port it got; nil when -addr names none
// (":8080"), and each request's Host has to do. derived says it came from
// the listen address.
func (c config) publicURL() (u *url.URL, derived bool) {
	if u, _ := c.explicitURL(); u != nil {
		return u, false
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if c.listen == nil || err != nil || host == "" {
		return nil, false
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		return nil, false
	}
	_, port, _ := net.SplitHostPort(c.listen.String())
	return &url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}, true
}

// originPatterns are the browser origins allowed to open WebSockets, beyond
// the server's own Host: -allowed-origins, or by default the public URL's
// host. A URL derived from a loopback listen address also allows the other
// names of loopback at that port, so a browser at http://localhost:8081
// may use the ws_url ws://127.0.0.1:8081/ws it is given.
func (c config) originPatterns() []string {
	if o := c.origins(); len(o) > 0 {
		return o
	}
	u, derived := c.publicURL()
	switch {
	case u != nil && !derived:
		return []string{u.Host}
	case c.PublicHost != "":
		return []string{c.PublicHost}
	case u != nil && c.listenLoopback():
		_, port, _ := net.SplitHostPort(c.listen.String())
		return []string{"localhost:" + port, "127.0.0.1:" + port, `\[::1\]:` + port}
	}
	return nil
}

func (c config) listenLoopback() bool {
	ap, err := netip.ParseAddrPort(c.listen.String())
	return err == nil && ap.Addr().IsLoopback()
}

// trustedProxies is -trusted-proxies, parsed: a bare address is a prefix of
// its full length.
func (c config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for s := range strings.SplitSeq(c.TrustedProxies, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("-trusted-proxies: %q is neither an address nor a CIDR prefix", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// withFileLimit fills in the connection caps left to the descriptor limit
// (files; 0 when the system has none to read).
func (c config) withFileLimit(files uint64) config {
	conns, streams := connLimits(files)
	if c.MaxConns == 0 {
		c.MaxConns = -1
		if files > 0 {
			c.MaxConns = conns
		}
	}
	if c.MaxStreams == 0 && files > 0 {
		c.MaxStreams = streams
	}
	return c
}

// connsPerClient is -max-conns-per-client, derived when not given: room
// for a client's WebSockets and event streams at their caps and for
// its ordinary requests besides. With either of those uncapped (a bot
// swarm's server), so is this.
func (c config) connsPerClient() int {
	if c.MaxConnsPerClient != 0 {
		return c.MaxConnsPerClient
	}
	l := lobby.Limits{MaxConnsPerIP: c.MaxConnsPerIP, StreamsPerClient: c.StreamsPerClient}.WithDefaults()
	if l.MaxConnsPerIP < 0 || l.StreamsPerClient < 0 {
		return -1
	}
	return l.MaxConnsPerIP + l.StreamsPerClient + restConnsPerClient
}

func (c config) origins() []string {
	var out []string
	for o := range strings.SplitSeq(c.Origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}
