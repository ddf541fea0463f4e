package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/netcode/client"
	"github.com/tickroom/tickroom/netcode/nettest"
)

// serverMemory is what the server's runtime holds, read through its pprof
// endpoint after a garbage collection, and its resident set.
type serverMemory struct {
	goroutines        int
	heapAlloc, stacks int64 // bytes: live heap, goroutine stacks in use
	rss               int64 // bytes
}

func readServerMemory(t *testing.T, pprof string, pid int) serverMemory {
	t.Helper()
	var m serverMemory
	body := func(path string) string {
		resp, err := http.Get("http://" + pprof + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	number := func(text, pattern string) int64 {
		t.Helper()
		sm := regexp.MustCompile(pattern).FindStringSubmatch(text)
		if sm == nil {
			t.Fatalf("no %q in\n%.2000s", pattern, text)
		}
		n, _ := strconv.ParseInt(sm[1], 10, 64)
		return n
	}
	g := body("/debug/pprof/goroutine?debug=1")
	m.goroutines = int(number(g, `goroutine profile: total (\d+)`))
	h := body("/debug/pprof/heap?gc=1&debug=1")
	m.heapAlloc = number(h, `# HeapAlloc = (\d+)`)
	m.stacks = number(h, `# Stack = (\d+) /`)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	m.rss = number(string(status), `VmRSS:\s+(\d+) kB`) << 10
	return m
}

// openStream opens GET /api/rooms/events on a bare connection and reads
// up to the end of its first event (the rooms.reset), so the server has
// finished setting the stream up; it reads nothing more. A refusal comes
// back as the response, with its body read.
func openStream(addr string) (net.Conn, *http.Response, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/rooms/events", nil)
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, nil, err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		body, err := io.ReadAll(resp.Body)
		conn.Close()
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		return nil, resp, err
	}
	for reset := false; ; {
		line, err := br.ReadString('\n')
		if err != nil {
			conn.Close()
			return nil, nil, err
		}
		if strings.HasPrefix(line, "event: rooms.reset") {
			reset = true
		}
		if reset && line == "\n" {
			break
		}
	}
	conn.SetDeadline(time.Time{})
	return conn, resp, nil
}

// TestEventStreamCost measures what an open event stream costs the server,
// from outside the real binary: goroutines and memory per stream, with
// 1,000 idle streams open.
func TestEventStreamCost(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	const streams = 1000
	pprof := nettest.FreeAddr(t)
	cmd, base := startBinary(t, "-pprof-addr", pprof, "-log-level", "warn", "-max-streams-per-client", "-1")
	addr := strings.TrimPrefix(base, "http://")
	pid := cmd.Process.Pid
	// Warm up: the first stream's one-time costs are not a stream's.
	warm, _, err := openStream(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer warm.Close()
	before := readServerMemory(t, pprof, pid)
	for i := range streams {
		c, resp, err := openStream(addr)
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		if c == nil {
			t.Fatalf("stream %d: %s", i, resp.Status)
		}
		defer c.Close()
	}
	after := readServerMemory(t, pprof, pid)
	per := func(a, b int64) float64 { return float64(b-a) / streams / 1024 }
	goroutines := float64(after.goroutines-before.goroutines) / streams
	heap, stacks, rss := per(before.heapAlloc, after.heapAlloc), per(before.stacks, after.stacks), per(before.rss, after.rss)
	t.Logf("per event stream, %d open: %.2f goroutines, %.1f KB live heap + %.1f KB stacks = %.1f KB; %.1f KB resident",
		streams, goroutines, heap, stacks, heap+stacks, rss)
	if goroutines > 0.1 {
		t.Errorf("%.2f goroutines per idle event stream, want none", goroutines)
	}
	if heap+stacks > 8 {
		t.Errorf("%.1f KB of heap and stacks per idle event stream, want at most 8", heap+stacks)
	}
}

// TestStreamsLeaveRoomForHealthAndJoins: with as many event streams open
// as the server allows (derived from a descriptor limit of 256), the next
// is refused with a 503 naming the cap, and health checks, the room list
// and a join with its WebSocket are still answered at once.
func TestStreamsLeaveRoomForHealthAndJoins(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	const files = 256
	inShell := func(bin string, args ...string) *exec.Cmd {
		// ulimit -n sets the hard limit too, so the server cannot raise it.
		return exec.Command("sh", append([]string{"-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, files), bin}, args...)...)
	}
	_, base := startBinaryVia(t, inShell, "-log-level", "warn", "-max-streams-per-client", "-1")
	addr := strings.TrimPrefix(base, "http://")
	var opened int
	for ; ; opened++ {
		if opened > files {
			t.Fatalf("%d event streams open with %d descriptors, and no refusal", opened, files)
		}
		c, resp, err := openStream(addr)
		if err != nil {
			t.Fatalf("stream %d: %v, want it served or refused", opened+1, err)
		}
		if c == nil {
			var p rest.Problem
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusServiceUnavailable || json.Unmarshal(body, &p) != nil || p.Quota != "max-streams" {
				t.Fatalf("stream %d: %s %s, want 503 naming max-streams", opened+1, resp.Status, body)
			}
			break
		}
		defer c.Close()
	}
	if opened != files/4 {
		t.Errorf("%d streams before the cap, want %d (a quarter of %d descriptors)", opened, files/4, files)
	}
	quick := func(what string, f func() error) {
		t.Helper()
		start := time.Now()
		if err := f(); err != nil {
			t.Fatalf("%s with every stream slot taken: %v", what, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s took %v with every stream slot taken", what, d)
		}
	}
	get := func(path string) func() error {
		return func() error {
			hc := &http.Client{Timeout: 3 * time.Second}
			resp, err := hc.Get(base + path)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return errors.New(resp.Status)
			}
			return nil
		}
	}
	quick("/healthz", get("/healthz"))
	quick("GET /api/rooms", get("/api/rooms"))
	quick("a join and its WebSocket", func() error {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		rooms, err := client.ListRooms(ctx, base, nil)
		if err != nil || len(rooms) == 0 {
			return fmt.Errorf("rooms: %v %d", err, len(rooms))
		}
		c, err := client.JoinRoom(ctx, base, rooms[0].ID, "late", nil)
		if err != nil {
			return err
		}
		return c.CloseNow()
	})
}
