package node

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/lobby/cluster"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/client"
	"github.com/tickroom/tickroom/netcode/nettest"
)

func startInProcess(t *testing.T) (*server, string) {
	t.Helper()
	srv, err := newServer(t.Context(), defaultConfig(), slog.New(slog.DiscardHandler), builtin)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
		hs.Close()
	})
	return srv, hs.URL
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestMetricsAndHealth(t *testing.T) {
	srv, base := startInProcess(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := client.JoinRoom(ctx, base, srv.defaultRoom.ID(), "metered", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for range 5 {
		if _, err := c.Read(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Fatalf("/healthz %d", code)
	}
	if code, _ := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz %d", code)
	}
	_, body := get(t, base+"/metrics")
	for _, want := range []string{
		"tickroom_rooms 1", "tickroom_players 1",
		"tickroom_tick_duration_seconds_bucket", "tickroom_tick_lateness_seconds_bucket",
		`tickroom_connections_total{result="accepted"} 1`, "tickroom_bytes_sent_total", "tickroom_memory_releases_total 0",
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, srv.defaultRoom.ID()) {
		t.Error("/metrics carries a room id as a label")
	}
	// The client sends nothing: its connection parks, holding no goroutine,
	// and every tick finds no input queued for it.
	nettest.CheckFor(t, 5*time.Second, func() error {
		_, body := get(t, base+"/metrics")
		if !strings.Contains(body, "\ntickroom_connections_parked 1\n") ||
			strings.Contains(body, `tickroom_input_backlog_total{queued="0"} 0`+"\n") {
			return errors.New("/metrics never shows the quiet client's connection parked and its ticks without input")
		}
		return nil
	})
	srv.drain()
	if code, _ := get(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz after drain: %d, want 503", code)
	}
}

// TestBuiltinGames: the server runs the built-in games, the arena first
// (its default room is an arena), and a room of blobs plays: its welcome
// carries blobs' schema and its snapshots decode with it.
func TestBuiltinGames(t *testing.T) {
	srv, base := startInProcess(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	list, err := client.Games(ctx, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range list {
		names = append(names, g.Name)
	}
	if !slices.Equal(names, []string{"arena", "blobs"}) {
		t.Fatalf("games %v, want arena then blobs", names)
	}
	if info := srv.defaultRoom.Info(); info.Game != "arena" || info.Mode != "ffa" {
		t.Fatalf("default room runs %s %s", info.Game, info.Mode)
	}
	room, err := client.CreateRoom(ctx, base, rest.CreateRoom{Game: "blobs", Mode: "small"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.JoinRoom(ctx, base, room.ID, "blob", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if w := c.Welcome(); w.Game != "blobs" || w.Mode != "small" || c.Schema().KindByName("pellet") == nil {
		t.Fatalf("welcome: %s %s, schema kinds %+v", w.Game, w.Mode, c.Schema().Kinds)
	}
	for {
		u, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if u.Type != netcode.MsgSnapshot {
			continue
		}
		pellets := 0
		for _, e := range u.Entities {
			if c.Schema().KindByID(e.Kind).Name == "pellet" {
				pellets++
			}
		}
		if pellets == 0 {
			t.Fatalf("a blob sees no pellet: %d entities", len(u.Entities))
		}
		return
	}
}

func TestConfigFromFlagsAndEnv(t *testing.T) {
	env := map[string]string{"TICKROOM_ADDR": ":9999", "TICKROOM_DEFAULT_TICK_RATE": "20", "TICKROOM_LOG_FORMAT": "json"}
	cfg, err := parseConfig("tickroom", []string{"-addr", ":7777"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":7777" || cfg.DefaultTickRate != 20 || cfg.LogFormat != "json" {
		t.Fatalf("flags must win over env, env over defaults: %+v", cfg)
	}
	for _, bad := range [][]string{{"-default-tick-rate", "99"}, {"-log-format", "xml"}, {"-idle-after", "-1s"}, {"stray"},
		{"-release-memory-drop", "0"}, {"-release-memory-drop", "1.5"}, {"-release-memory-min", "0"},
		{"-unused-room-timeout", "0s"}, {"-room-pending-share", "0"}, {"-room-create-burst", "0"}, {"-write-timeout", "0s"}} {
		if _, err := parseConfig("tickroom", bad, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, err := parseConfig("tickroom", nil, func(k string) string { return map[string]string{"TICKROOM_MAX_ROOMS": "many"}[k] }, io.Discard); err == nil || !strings.Contains(err.Error(), "TICKROOM_MAX_ROOMS") {
		t.Errorf("bad env value: %v, want an error naming TICKROOM_MAX_ROOMS", err)
	}
}

// TestNodeIDDrawn: without -node-id a node draws an id of its own at
// start, from the host name, that is a valid id and differs from the next
// start's; one that is given is kept.
func TestNodeIDDrawn(t *testing.T) {
	noenv := func(string) string { return "" }
	a, err := parseConfig("tickroom", nil, noenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := parseConfig("tickroom", nil, noenv, io.Discard)
	host, _ := os.Hostname()
	drawn := regexp.MustCompile(`^[A-Za-z0-9_-]+-[0-9a-f]{6}$`)
	if !cluster.ValidNodeID(a.NodeID) || !drawn.MatchString(a.NodeID) || !a.nodeIDDrawn || a.NodeID == b.NodeID {
		t.Fatalf("drawn ids %q and %q (host %q): want the host's name and 6 random hex digits", a.NodeID, b.NodeID, host)
	}
	c, _ := parseConfig("tickroom", []string{"-node-id", "eu-1"}, noenv, io.Discard)
	if c.NodeID != "eu-1" || c.nodeIDDrawn {
		t.Fatalf("given id: %q, drawn %v", c.NodeID, c.nodeIDDrawn)
	}
}

// TestWriteTimeoutSparesWebSockets: the HTTP server's write deadline does
// not follow a connection into its WebSocket session: a player keeps every
// snapshot long past -write-timeout.
func TestWriteTimeoutSparesWebSockets(t *testing.T) {
	base := runServer(t, "-write-timeout", "500ms")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	rooms, err := client.ListRooms(ctx, base, nil)
	if err != nil || len(rooms) == 0 {
		t.Fatalf("rooms: %v", err)
	}
	c, err := client.JoinRoom(ctx, base, rooms[0].ID, "stays", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	// Three times the write timeout, and with a snapshot written at the
	// very end of it.
	until := time.Now().Add(1500 * time.Millisecond)
	snapshots := 0
	for time.Now().Before(until) || snapshots == 0 {
		u, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("after %d snapshots: %v", snapshots, err)
		}
		if u.Type == netcode.MsgSnapshot {
			snapshots++
		}
	}
	if c.Ping(ctx) != nil {
		t.Fatal("ping after the write timeout failed")
	}
}

// TestRunRefuses: Run names what is wrong with its flags and options
// before it serves anything, and a usage error matches ErrUsage.
func TestRunRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		opts  Options
		usage bool
		want  string
	}{
		{"no games", nil, Options{}, true, "Options.Games"},
		{"a game twice", nil, Options{Games: []game.Definition{arena.Definition(), arena.Definition()}}, true, `Options.Games[1]: two games named "arena"`},
		{"a game without modes", nil, Options{Games: []game.Definition{{Name: "tag", New: arena.Definition().New}}}, true, `Options.Games[0]: game: invalid definition: "tag": no modes`},
		{"bad flag", []string{"-log-format", "xml"}, builtin, true, "-log-format"},
		{"unknown flag", []string{"-no-such-flag"}, builtin, true, "no-such-flag"},
		{"unknown default game", []string{"-default-game", "chess"}, builtin, true, `-default-game: no game "chess"`},
		{"unknown default mode", []string{"-default-game", "blobs", "-default-mode", "duel"}, builtin, true, `-default-mode: blobs has no mode "duel"`},
		{"bad default send rate", []string{"-default-send-rate", "7"}, builtin, true, "-default-send-rate"},
		{"cluster without a token key", []string{"-nats", "nats://127.0.0.1:1"}, builtin, true, "-token-key: a cluster node needs one"},
		{"cluster without a public URL", []string{"-nats", "nats://127.0.0.1:1", "-token-key", "k", "-addr", ":0"}, builtin, true, "-public-url: a cluster node needs"},
		{"both NATS flags", []string{"-nats", "nats://127.0.0.1:1", "-nats-embed", "127.0.0.1:0", "-token-key", "k"}, builtin, true, "-nats and -nats-embed"},
		{"store without embed", []string{"-nats-store", "/tmp/x"}, builtin, true, "-nats-store"},
		{"bad node id", []string{"-node-id", "a.b"}, builtin, true, "-node-id"},
		{"bad replicas", []string{"-nats-replicas", "0"}, builtin, true, "-nats-replicas"},
		{"bad cluster timeout", []string{"-cluster-timeout", "0s"}, builtin, true, "-cluster-timeout"},
		{"NATS unreachable", []string{"-nats", "nats://127.0.0.1:1", "-token-key", "k"}, builtin, false, "connecting to NATS at nats://127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-addr", nettest.FreeAddr(t), "-log-level", "error"}, tc.args...)
			err := Run(t.Context(), args, func(string) string { return "" }, io.Discard, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run: %v, want an error containing %q", err, tc.want)
			}
			if errors.Is(err, ErrUsage) != tc.usage {
				t.Errorf("errors.Is(%v, ErrUsage) = %v, want %v", err, !tc.usage, tc.usage)
			}
		})
	}
}

// TestDefaultGame: -default-game and -default-mode choose the default
// room's game, and a program's own games are the only ones served.
func TestDefaultGame(t *testing.T) {
	base := runServer(t, "-default-game", "blobs")
	rooms, err := client.ListRooms(t.Context(), base, nil)
	if err != nil || len(rooms) != 1 || rooms[0].Game != "blobs" {
		t.Fatalf("rooms %+v, %v: want the default room running blobs", rooms, err)
	}
}
