// Command tickroom is the tickroom game server: the lobby API, the
// WebSocket endpoint and the browser client in one binary.
//
//	go run ./cmd/tickroom            # serves :8080 with a default room
//	go run ./cmd/tickroom -help      # every flag (each has a TICKROOM_* env fallback)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "tickroom:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
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
	log.Info("connection caps", "descriptor_limit", files, "max_conns", cfg.MaxConns, "max_streams", cfg.MaxStreams)

	var ln net.Listener
	ln, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	cfg.listen = ln.Addr()
	if cfg.MaxConns > 0 {
		ln = newLimitListener(ln, cfg.MaxConns)
	}
	srv, err := newServer(context.WithoutCancel(ctx), cfg, log)
	if err != nil {
		ln.Close()
		return err
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
