// Package node runs a tickroom server for the games a program registers:
// its flags (each with a TICKROOM_* environment fallback), the lobby API,
// the rooms, the WebSocket endpoint, the browser client, metrics, health
// checks and graceful shutdown. cmd/tickroom is one such program; a game
// developer's own main is another:
//
//	func main() { os.Exit(node.Main(node.Options{Games: []game.Definition{tag.Definition()}})) }
package node

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/netcode"
)

// Options is what a program adds to the server.
type Options struct {
	// Games are the games rooms can run (GET /api/games lists them). The
	// first is the default room's unless -default-game names another.
	// There must be at least one.
	Games []game.Definition

	// Web holds the browser modules of games the built-in web client has
	// none for, one NAME.js per game (web.Options.Games says what a module
	// exports). A game without one is drawn by the generic renderer.
	Web fs.FS

	// Listener, when set, is served instead of listening on -addr: a
	// socket the program opened itself (on port 0 in a test, say). Run
	// closes it.
	Listener net.Listener

	// Name is the program's name in its usage text and errors
	// ("tickroom" when empty).
	Name string
}

func (o Options) name() string {
	if o.Name == "" {
		return "tickroom"
	}
	return o.Name
}

// Main runs the server with the process's arguments and environment until
// SIGINT or SIGTERM and a graceful shutdown, and returns the exit code for
// os.Exit: 0 after a clean shutdown, 1 after an error (printed to stderr),
// 2 for bad flags.
func Main(opts Options) int {
	err := Run(context.Background(), os.Args[1:], os.Getenv, os.Stderr, opts)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, ErrUsage):
		fmt.Fprintf(os.Stderr, "%s: %v\n", opts.name(), err)
		return 2
	default:
		fmt.Fprintf(os.Stderr, "%s: %v\n", opts.name(), err)
		return 1
	}
}

// ErrUsage matches (errors.Is) Run's errors about its flags and options.
var ErrUsage = errors.New("usage")

type usageError struct{ err error }

func (e usageError) Error() string        { return e.err.Error() }
func (e usageError) Unwrap() error        { return e.err }
func (e usageError) Is(target error) bool { return target == ErrUsage }

// Run parses args (falling back to getenv for flags not given), listens,
// and serves until ctx ends or SIGINT or SIGTERM arrives; then it shuts
// down gracefully: every player is told the server is going away (close
// 1001) and Run returns once every room and session has ended, or the
// -shutdown-timeout has passed (an error). It logs to stderr.
func Run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, opts Options) error {
	if opts.Listener != nil {
		defer opts.Listener.Close() // already closed when it was served
	}
	cfg, err := parseConfig(opts.name(), args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if err := checkGames(opts.Games); err != nil {
		return usageError{err}
	}
	log := newLogger(cfg, stderr)
	if cfg.TokenKey == "" {
		log.Warn("no -token-key given: seat tokens use a random key and will not survive a restart")
	}
	if cfg.PublicHost != "" {
		log.Warn("-public-host is deprecated: use -public-url, which also sets the ws_url join answers give")
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	files, err := fileLimit()
	if err != nil {
		log.Info("no descriptor limit to size connection caps by: -max-conns is off and -max-streams is 1000 unless given", "err", err)
	}
	cfg = cfg.withFileLimit(files)
	log.Info("connection caps", "descriptor_limit", files, "max_conns", cfg.MaxConns, "max_conns_per_client", cfg.connsPerClient(), "max_streams", cfg.MaxStreams)

	ln := opts.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return err
		}
	}
	cfg.listen = ln.Addr()
	srv, err := newServer(context.WithoutCancel(ctx), cfg, log, opts)
	if err != nil {
		ln.Close()
		return err
	}
	if perClient := cfg.connsPerClient(); cfg.MaxConns > 0 || perClient > 0 {
		ln = newLimitListener(ln, limitOptions{Max: cfg.MaxConns, PerClient: perClient,
			ClientOf: connClient(cfg), Refused: func() { srv.metrics.Refused("max-conns-per-client") }})
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second, // WebSockets are hijacked before this applies
		// A client that does not read its answers (pipelining requests
		// it never reads) is cut off instead of pinning a goroutine.
		// Connections taken over (WebSockets, event streams) lose this
		// deadline at the hijack; long-polls lift it for their wait.
		WriteTimeout:   cfg.WriteTimeout,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 16 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("tickroom listening; open the URL to play", "url", browserURL(cfg), "default_room", cfg.DefaultRoom)
	if cfg.PprofAddr != "" {
		stopPprof, err := servePprof(cfg.PprofAddr, log)
		if err != nil {
			ln.Close()
			srv.Close(ctx)
			return err
		}
		defer stopPprof()
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	select {
	case err := <-served:
		srv.Close(context.Background())
		return err
	case <-ctx.Done():
	}
	return shutdown(hs, srv, cfg.ShutdownTimeout, log, served)
}

// shutdown stops taking requests, tells every player the server is going
// away (close 1001), lets their writes finish and returns within timeout.
// HTTP requests get half of it to finish; connections still busy then
// (a client that does not read its answers) are closed: a slow reader is
// no reason for shutdown to fail. Only sessions or rooms still running at
// the deadline are.
func shutdown(hs *http.Server, srv *server, timeout time.Duration, log *slog.Logger, served <-chan error) error {
	log.Info("shutting down", "deadline", timeout)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	srv.drain()
	grace, cancelGrace := context.WithTimeout(ctx, timeout/2)
	defer cancelGrace()
	if err := hs.Shutdown(grace); err != nil {
		log.Warn("closing HTTP connections still busy after the grace period", "grace", timeout/2, "err", err)
		hs.Close()
	}
	<-served
	if err := srv.Close(ctx); err != nil {
		log.Error("shutdown incomplete", "err", err)
		return err
	}
	log.Info("shutdown complete")
	return nil
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// browserURL is the address to give a player: the public URL, or the
// listen address (localhost when it is every interface).
func browserURL(cfg config) string {
	if u, _ := cfg.publicURL(); u != nil {
		return strings.TrimSuffix(u.String(), "/") + "/"
	}
	host, port, _ := net.SplitHostPort(cfg.listen.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// checkGames refuses games no room could run, at start rather than at a
// player's first room: each must be valid (game.Definition.Validate), its
// schema within what clients decode (netcode.NewCodec), its name its own.
func checkGames(defs []game.Definition) error {
	if len(defs) == 0 {
		return errors.New("no games: Options.Games must hold at least one")
	}
	for i, d := range defs {
		if err := d.Validate(); err != nil {
			return fmt.Errorf("Options.Games[%d]: %w", i, err)
		}
		m := d.Modes[0]
		if _, err := netcode.NewCodec(d.New(game.Config{Mode: m.Name, Seed: 1, TickRate: 30, MaxPlayers: m.MaxPlayers}).Schema()); err != nil {
			return fmt.Errorf("Options.Games[%d] %q: %w", i, d.Name, err)
		}
		for _, o := range defs[:i] {
			if o.Name == d.Name {
				return fmt.Errorf("Options.Games[%d]: two games named %q", i, d.Name)
			}
		}
	}
	return nil
}
