// Command tickbot runs a swarm of headless players against a tickroom
// server: to test a room with bots that really play, and to measure how
// many players a server carries.
//
//	tickbot -server http://127.0.0.1:8080 -rooms 5 -bots-per-room 8 -duration 10s
//	tickbot -room ROOM_ID -bots-per-room 3 -behavior fighter -duration 0   # until Ctrl-C
//	tickbot -rooms 100 -behavior wander -ramp 5s -duration 30s -json -min-delivered 0.99
//	tickbot -game blobs -rooms 2 -bots-per-room 16 -duration 30s
//
// It creates -rooms rooms of -game (default the arena) through the lobby's
// REST API (or joins -room), connects -bots-per-room bots to each, spread
// over -ramp, and runs them for -duration. Each room is created when its
// first bot's turn in the ramp comes. Bots decode any game from the schema
// of their welcome. Generic behaviours, for any game: idle bots only read
// and ping; wander bots send random inputs within each input field's
// range; chatty bots wander and chat. A built-in game's own bots play it:
// the arena's fighters steer toward the nearest enemy in their snapshots,
// aim where it will be and shoot; blobs' foragers eat. play (the default)
// is the game's first own bot, or wander for a game without one; mixed
// gives every eight bots four of those, two wanderers, a chatty and an idle
// one.
//
// With -rejoin a bot whose connection ends before the run does (its room
// closed, its node died) quick-plays -game again and plays on wherever the
// lobby seats it: in a cluster, on another node.
//
// Each second a status line on stderr shows the bots connected, snapshots
// per second, the round trip's p50 and p99 (from ping/pong) and errors. At
// the end, or on Ctrl-C, every bot leaves its seat and tickbot prints a
// summary; with -json, one JSON object on stdout:
//
//	bots, connected, connect_errors, disconnects, rejoins, snapshots_per_bot_per_sec,
//	expected_snapshot_rate, delivered_ratio, bytes_per_bot_per_sec,
//	rtt_p50_ms, rtt_p99_ms, join_p50_ms, join_p99_ms, rejoin_p50_ms, rejoin_p99_ms,
//	snapshot_gap_p99_ms, duration_s
//
// delivered_ratio is the snapshots received over those expected (the
// room's send rate, or -expect-hz, times each bot's connected seconds).
// The human summary also gives fighters' input lag: from sending an input
// to the first snapshot that acknowledges it.
// With -min-delivered R tickbot exits with status 3 when it is below R.
// Every flag has a TICKBOT_<FLAG> environment fallback.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"
)

// Exit statuses.
const (
	exitOK           = 0
	exitError        = 1
	exitUsage        = 2
	exitUnderDeliver = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // a second Ctrl-C kills at once
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, isTerminal(os.Stderr)))
}

// run is tickbot's whole life: it returns the exit status. Cancelling ctx
// ends the run early, with a summary.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, tty bool) int {
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "tickbot:", err)
		return exitUsage
	}
	if cfg.CPUProfile != "" {
		stop, err := startCPUProfile(cfg.CPUProfile)
		if err != nil {
			fmt.Fprintln(stderr, "tickbot:", err)
			return exitError
		}
		defer stop()
	}
	s := newSwarm(cfg)
	if err := s.setup(ctx); err != nil {
		fmt.Fprintln(stderr, "tickbot:", err)
		return exitError
	}
	cpu0 := cpuTime()
	runCtx, cancelRun := withDuration(ctx, cfg.Duration)
	defer cancelRun()
	sendCtx, stopSending := context.WithCancel(runCtx)
	s.launch(runCtx, sendCtx)
	statusCtx, stopStatus := context.WithCancel(context.Background())
	statusDone := make(chan struct{})
	go func() {
		defer close(statusDone)
		if !cfg.Quiet {
			s.status(statusCtx, stderr, tty)
		}
	}()

	<-runCtx.Done()
	end := time.Now()
	cpu := (cpuTime() - cpu0).Seconds() / end.Sub(s.start).Seconds()
	sum := s.summarize(end, cpu)
	stopSending()
	stopStatus()
	<-statusDone
	s.stop(10 * time.Second)

	human := stdout
	if cfg.JSON {
		human = stderr
	}
	sum.writeHuman(human)
	if cfg.JSON {
		if err := sum.writeJSON(stdout); err != nil {
			fmt.Fprintln(stderr, "tickbot:", err)
			return exitError
		}
	}
	if cfg.MinDelivered > 0 && sum.DeliveredRatio < cfg.MinDelivered {
		fmt.Fprintf(stderr, "tickbot: delivered ratio %.4f is below -min-delivered %.4f\n", sum.DeliveredRatio, cfg.MinDelivered)
		return exitUnderDeliver
	}
	return exitOK
}

// startCPUProfile profiles the process into path until stop.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// withDuration ends ctx after d; 0 means never.
func withDuration(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return context.WithCancel(ctx)
}

// isTerminal reports whether f is a character device (a terminal), where
// the status line can be redrawn in place.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
