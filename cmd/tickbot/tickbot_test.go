package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tickroom/tickroom/lobby/lobbytest"
	"github.com/tickroom/tickroom/netcode/nettest"
)

// startServer runs a real lobby (rooms, sessions, REST API) on a loopback
// port, with a small arena where everyone sees everyone. It stops, and
// waits for every session and room, when the test ends.
func startServer(t *testing.T) string {
	t.Helper()
	return lobbytest.Start(t, lobbytest.Config{}).URL
}

var (
	checkFor = nettest.CheckFor
)

func runTickbot(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errs bytes.Buffer
	code = run(t.Context(), args, func(string) string { return "" }, &out, &errs, false)
	return code, out.String(), errs.String()
}

// The -json summary is one object with exactly the documented keys, and
// against a healthy server nearly every snapshot arrives.
func TestJSONSummary(t *testing.T) {
	url := startServer(t)
	code, stdout, stderr := runTickbot(t, "-server", url, "-rooms", "2", "-bots-per-room", "3",
		"-behavior", "mixed", "-duration", "3s", "-ramp", "300ms", "-ping-every", "200ms", "-json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	var got map[string]any
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value on stdout:\n%s", stdout)
	}
	want := []string{"bots", "connected", "connect_errors", "disconnects", "snapshots_per_bot_per_sec",
		"expected_snapshot_rate", "delivered_ratio", "bytes_per_bot_per_sec", "rtt_p50_ms", "rtt_p99_ms",
		"snapshot_gap_p99_ms", "duration_s"}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	num := func(k string) float64 { return got[k].(float64) }
	if num("bots") != 6 || num("connected") != 6 || num("connect_errors") != 0 || num("disconnects") != 0 {
		t.Errorf("bots %v connected %v connect_errors %v disconnects %v", got["bots"], got["connected"], got["connect_errors"], got["disconnects"])
	}
	if r := num("delivered_ratio"); r < 0.85 || r > 1.05 {
		t.Errorf("delivered_ratio %v, want about 1", r)
	}
	if num("expected_snapshot_rate") != 30 || num("rtt_p50_ms") <= 0 || num("bytes_per_bot_per_sec") <= 0 {
		t.Errorf("summary %v", got)
	}
	if !strings.Contains(stderr, "delivered") {
		t.Errorf("no human summary on stderr:\n%s", stderr)
	}
}

// -min-delivered above what can arrive makes tickbot fail.
func TestMinDelivered(t *testing.T) {
	url := startServer(t)
	code, _, stderr := runTickbot(t, "-server", url, "-bots-per-room", "2", "-behavior", "idle",
		"-duration", "1s", "-quiet", "-min-delivered", "1.1")
	if code != exitUnderDeliver {
		t.Fatalf("exit %d, want %d\n%s", code, exitUnderDeliver, stderr)
	}
	if !strings.Contains(stderr, "below -min-delivered") {
		t.Errorf("stderr does not say why:\n%s", stderr)
	}
}

// Twenty fighters in one small room connect, move, shoot and kill; when
// they have left and the server has stopped no goroutine is left behind.
func TestFightersKill(t *testing.T) {
	before := nettest.Current()
	t.Run("fight", func(t *testing.T) {
		url := startServer(t)
		cfg := defaultConfig()
		cfg.Server, cfg.BotsPerRoom, cfg.Ramp = url, 20, 200*time.Millisecond
		s := newSwarm(cfg)
		if err := s.setup(t.Context()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		sendCtx, stopSending := context.WithCancel(ctx)
		s.launch(ctx, sendCtx)
		checkFor(t, 15*time.Second, func() error {
			sum := s.summarize(time.Now(), 0)
			moved := 0
			for _, b := range s.bots {
				if b.moved.Load() {
					moved++
				}
			}
			if sum.Connected < 20 || moved < 20 || sum.hits == 0 || sum.kills == 0 {
				return fmt.Errorf("%d connected, %d moved, %d hits, %d kills", sum.Connected, moved, sum.hits, sum.kills)
			}
			return nil
		})
		stopSending()
		cancel()
		s.stop(5 * time.Second)
		if sum := s.summarize(time.Now(), 0); sum.Connected != 0 || sum.Disconnects != 0 || sum.ConnectErrors != 0 {
			t.Errorf("after leaving: %+v", sum)
		}
	})
	before.CheckGone(t)
}

func TestConfigEnvFallback(t *testing.T) {
	env := map[string]string{"TICKBOT_BOTS_PER_ROOM": "5", "TICKBOT_BEHAVIOR": "wander", "TICKBOT_ROOMS": "9"}
	cfg, err := parseConfig([]string{"-rooms", "2"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BotsPerRoom != 5 || cfg.Behavior != "wander" || cfg.Rooms != 2 {
		t.Errorf("config %+v: want env for unset flags, flags over env", cfg)
	}
	for _, args := range [][]string{{"-behavior", "sleepy"}, {"-bots-per-room", "0"}, {"-ramp", "5s", "-duration", "2s"}, {"-tick-rate", "5"}} {
		if _, err := parseConfig(args, func(string) string { return "" }, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// A server that cannot be reached fails the run before any bot starts.
func TestUnreachableServer(t *testing.T) {
	code, _, stderr := runTickbot(t, "-server", "http://127.0.0.1:1", "-duration", "1s", "-quiet")
	if code != exitError || !strings.Contains(stderr, "creating a room") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}

// In rooms that simulate at 60 Hz and send at 20, delivery is counted
// against 20 snapshots a second, and fighters measure their input lag.
func TestSendRate(t *testing.T) {
	url := startServer(t)
	code, stdout, stderr := runTickbot(t, "-server", url, "-rooms", "1", "-bots-per-room", "4",
		"-tick-rate", "60", "-send-rate", "20", "-duration", "2s", "-ramp", "200ms", "-json", "-quiet")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var got map[string]float64
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got["expected_snapshot_rate"] != 20 || got["delivered_ratio"] < 0.85 || got["delivered_ratio"] > 1.1 {
		t.Errorf("expected %v snapshots/s, delivered %v; want 20 and about 1", got["expected_snapshot_rate"], got["delivered_ratio"])
	}
	if !strings.Contains(stderr, "input lag  p50") {
		t.Errorf("no input lag in the summary:\n%s", stderr)
	}
	for _, args := range [][]string{{"-tick-rate", "60", "-send-rate", "25"}, {"-send-rate", "-1"}} {
		if _, err := parseConfig(args, func(string) string { return "" }, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// acked measures each newly acknowledged input once, from when it was sent.
func TestInputLag(t *testing.T) {
	s := &swarm{start: time.Now()}
	b := &bot{}
	for seq := uint32(1); seq <= 3; seq++ {
		b.sent[seq%sentRing].Store(packSent(seq, int64(seq)*int64(10*time.Millisecond)))
	}
	at := s.start.Add(50 * time.Millisecond)
	b.acked(s, 2, at) // inputs 1 and 2: 40 and 30 ms
	b.acked(s, 2, at) // nothing new
	b.acked(s, 1, at) // older
	b.acked(s, 3, s.start.Add(45*time.Millisecond))
	var c counts
	s.stats.inputLag.addTo(&c)
	if n := c.total(); n != 3 {
		t.Fatalf("%d inputs measured, want 3", n)
	}
	if p50 := c.quantile(0.5); p50 < 29 || p50 > 31 {
		t.Errorf("p50 %.2f ms, want 30", p50)
	}
	b.acked(s, 1000, at) // beyond the ring: stale entries do not count
	c = counts{}
	s.stats.inputLag.addTo(&c)
	if n := c.total(); n != 3 {
		t.Errorf("%d inputs measured after a jump, want 3", n)
	}
}

// A swarm is one client to the lobby: more joins at once than its
// -pending-per-client quota (4 by default) get 429s, which tickbot waits
// out, so every bot gets in.
func TestJoinsWaitOutQuota(t *testing.T) {
	url := startServer(t)
	code, stdout, stderr := runTickbot(t, "-server", url, "-rooms", "1", "-bots-per-room", "12",
		"-joins-in-flight", "12", "-behavior", "idle", "-duration", "2s", "-json", "-quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if sum["connected"] != 12.0 || sum["connect_errors"] != 0.0 {
		t.Errorf("connected %v, connect errors %v, want 12 and 0\n%s", sum["connected"], sum["connect_errors"], stderr)
	}
}
