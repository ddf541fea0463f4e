package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tickroom/tickroom/lobby/flagenv"
	"github.com/tickroom/tickroom/netcode/session"
)

// config is everything the server can be told. Every flag has an
// environment fallback named TICKROOM_<FLAG> (dashes become underscores).
type config struct {
	Addr            string
	PublicHost      string
	LogFormat       string
	LogLevel        string
	DefaultRoom     string
	DefaultTickRate int
	DefaultSendRate int
	PprofAddr       string
	DefaultMax      int
	TokenKey        string
	AdminKey        string
	Origins         string
	MaxRooms        int
	MaxConnsPerIP   int
	InputRate       float64
	ReleaseDrop     float64
	ReleaseMin      int
	Keepalive       time.Duration
	IdleAfter       time.Duration
	IdleTimeout     time.Duration
	ReconnectGrace  time.Duration
	ShutdownTimeout time.Duration
}

func defaultConfig() config {
	return config{
		Addr:            ":8080",
		LogFormat:       "text",
		LogLevel:        "info",
		DefaultRoom:     "default",
		DefaultTickRate: 30,
		DefaultMax:      16,
		MaxRooms:        1000,
		MaxConnsPerIP:   64,
		InputRate:       90,
		ReleaseDrop:     0.5,
		ReleaseMin:      1000,
		Keepalive:       session.DefaultKeepalive,
		IdleAfter:       250 * time.Millisecond,
		IdleTimeout:     60 * time.Second,
		ReconnectGrace:  20 * time.Second,
		ShutdownTimeout: 10 * time.Second,
	}
}

// parseConfig reads flags from args, falling back to getenv for any flag
// not given on the command line.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	c := defaultConfig()
	fs := flag.NewFlagSet("tickroom", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address")
	fs.StringVar(&c.PublicHost, "public-host", c.PublicHost, "host[:port] browsers use to reach the server, for the default origin check (default: the request's Host)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error")
	fs.StringVar(&c.DefaultRoom, "default-room", c.DefaultRoom, "name of the always-open default room (empty: none)")
	fs.IntVar(&c.DefaultTickRate, "default-tick-rate", c.DefaultTickRate, "tick rate of the default room, 10..60 Hz")
	fs.IntVar(&c.DefaultSendRate, "default-send-rate", c.DefaultSendRate, "snapshots per second in the default room; divides its tick rate (0: every tick)")
	fs.StringVar(&c.PprofAddr, "pprof-addr", c.PprofAddr, "serve net/http/pprof on this address, e.g. 127.0.0.1:6060 (empty: off)")
	fs.IntVar(&c.DefaultMax, "default-max-players", c.DefaultMax, "seats in the default room")
	fs.StringVar(&c.TokenKey, "token-key", c.TokenKey, "HMAC key for seat tokens (empty: random per process)")
	fs.StringVar(&c.AdminKey, "admin-key", c.AdminKey, "key for admin endpoints (empty: disabled)")
	fs.StringVar(&c.Origins, "allowed-origins", c.Origins, "comma-separated browser origins (host patterns) allowed to open WebSockets (empty: same host only)")
	fs.IntVar(&c.MaxRooms, "max-rooms", c.MaxRooms, "most rooms on this node")
	fs.IntVar(&c.MaxConnsPerIP, "max-conns-per-ip", c.MaxConnsPerIP, "most WebSockets from one address (negative: no cap)")
	fs.Float64Var(&c.InputRate, "input-rate", c.InputRate, "inputs and pings per second per connection before drops")
	fs.Float64Var(&c.ReleaseDrop, "release-memory-drop", c.ReleaseDrop, "return memory to the OS once this share of the peak of live WebSockets has closed (negative: leave it to the Go runtime)")
	fs.IntVar(&c.ReleaseMin, "release-memory-min", c.ReleaseMin, "... and at least this many WebSockets have closed since the peak")
	fs.DurationVar(&c.Keepalive, "keepalive", c.Keepalive, "WebSocket ping interval; a client that stops answering (gone, or not reading) is closed within 2.5 intervals")
	fs.DurationVar(&c.IdleAfter, "idle-after", c.IdleAfter, "a connection whose client sent nothing for this long parks no goroutine until it does (0: every connection keeps a reader goroutine)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "close an empty room after this long")
	fs.DurationVar(&c.ReconnectGrace, "reconnect-grace", c.ReconnectGrace, "hold a dropped player's seat this long")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "deadline for a graceful shutdown")
	if err := flagenv.Parse(fs, args, "TICKROOM", getenv); err != nil {
		return c, err
	}
	return c, c.validate()
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
	}
	return nil
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
