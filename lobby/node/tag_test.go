package node_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/lobby/node"
)

// TestTagPlayedByTickbot: a program of its own registers tag (the game of
// example_test.go, which tickroom's binaries do not know) with the library
// entry point, and the real tickbot binary plays a room of it over
// loopback from what GET /api/games and the welcome's schema say: every
// bot connects and at least 99% of the snapshots arrive. A machine too
// busy to keep the room's time (ticks that began more than half a period
// late, as /metrics counts them) loses snapshots that prove nothing about
// tickroom: such a run is measured again, twice at most, and when none
// kept time the delivery is reported unmeasured (a skip, with the
// figures); a run that kept time and lost them fails.
func TestTagPlayedByTickbot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs tickbot")
	}
	tickbot := filepath.Join(t.TempDir(), "tickbot")
	if out, err := exec.Command("go", "build", "-o", tickbot, "../../cmd/tickbot").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for attempt := 1; ; attempt++ {
		delivered, late := playTag(t, tickbot)
		switch {
		case delivered >= 0.99 && delivered <= 1.01:
			return
		case late == 0 || delivered > 1.01:
			t.Fatalf("attempt %d: delivered %v of the snapshots, want 0.99 to 1.01, and the room kept time", attempt, delivered)
		case attempt == 3:
			t.Skipf("tag played; delivery not measured: the machine could not keep the room's time in 3 runs (last: delivered %v, %d ticks began late)", delivered, late)
		}
		t.Logf("attempt %d: delivered %v, but %d ticks began late: the machine is busy; measuring again", attempt, delivered, late)
	}
}

// playTag serves tag through node.Run, runs tickbot -game tag against it,
// checks what does not depend on the machine's load, and returns the
// delivered ratio and how many ticks began late.
func playTag(t *testing.T, tickbot string) (delivered float64, late int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() {
		served <- node.Run(ctx, []string{"-default-room", "", "-log-level", "warn"}, func(string) string { return "" }, io.Discard,
			node.Options{Games: []game.Definition{tagDefinition()}, Listener: ln})
	}()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("server: %v", err)
		}
	}()
	server := "http://" + ln.Addr().String()

	cmd := exec.Command(tickbot, "-server", server, "-game", "tag", "-bots-per-room", "4", "-duration", "4s", "-ramp", "200ms", "-json", "-quiet")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tickbot: %v\n%s", err, stderr.String())
	}
	var got map[string]float64
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("tickbot's stdout is not JSON: %v\n%s", err, out)
	}
	if got["bots"] != 4 || got["connected"] != 4 || got["connect_errors"] != 0 || got["disconnects"] != 0 {
		t.Fatalf("summary %v\n%s", got, stderr.String())
	}
	return got["delivered_ratio"], metric(t, server, "tickroom_late_ticks_total")
}

// metric reads a counter from the server's /metrics.
func metric(t *testing.T, server, name string) int {
	resp, err := http.Get(server + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return int(n)
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}
