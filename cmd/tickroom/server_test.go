package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/client"
	"github.com/tickroom/tickroom/netcode/nettest"
)

func startInProcess(t *testing.T) (*server, string) {
	t.Helper()
	srv, err := newServer(t.Context(), defaultConfig(), slog.New(slog.DiscardHandler))
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
	cfg, err := parseConfig([]string{"-addr", ":7777"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":7777" || cfg.DefaultTickRate != 20 || cfg.LogFormat != "json" {
		t.Fatalf("flags must win over env, env over defaults: %+v", cfg)
	}
	for _, bad := range [][]string{{"-default-tick-rate", "99"}, {"-log-format", "xml"}, {"-idle-after", "-1s"}, {"stray"},
		{"-release-memory-drop", "0"}, {"-release-memory-drop", "1.5"}, {"-release-memory-min", "0"},
		{"-unused-room-timeout", "0s"}, {"-room-pending-share", "0"}, {"-room-create-burst", "0"}, {"-write-timeout", "0s"}} {
		if _, err := parseConfig(bad, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, err := parseConfig(nil, func(k string) string { return map[string]string{"TICKROOM_MAX_ROOMS": "many"}[k] }, io.Discard); err == nil || !strings.Contains(err.Error(), "TICKROOM_MAX_ROOMS") {
		t.Errorf("bad env value: %v, want an error naming TICKROOM_MAX_ROOMS", err)
	}
}
