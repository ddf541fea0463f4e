package main

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/netcode"
	"github.com/tickroom/tickroom/netcode/client"
)

// startBinary builds and runs the real server on a free loopback port and
// returns its base URL once it answers /readyz.
func startBinary(t *testing.T, args ...string) (*exec.Cmd, string) {
	t.Helper()
	return startBinaryVia(t, exec.Command, args...)
}

// startBinaryVia is startBinary with the command made by command, which
// may wrap the binary (in a shell that sets its limits, say).
func startBinaryVia(t *testing.T, command func(bin string, args ...string) *exec.Cmd, args ...string) (*exec.Cmd, string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tickroom")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := command(bin, append([]string{"-addr", addr}, args...)...)
	cmd.Env = append(os.Environ(), "TICKROOM_LOG_FORMAT=json")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	go func() { // keep the pipe drained; show the log on failure
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			t.Log(sc.Text())
		}
	}()
	base := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestGracefulShutdownOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	cmd, base := startBinary(t, "-shutdown-timeout", "5s")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	rooms, err := client.ListRooms(ctx, base, nil)
	if err != nil || len(rooms) == 0 || !rooms[0].Default {
		t.Fatalf("default room: %v %+v", err, rooms)
	}
	c, err := client.JoinRoom(ctx, base, rooms[0].ID, "stayer", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, err := c.Read(ctx); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The player hears why, with close 1001.
	var gotError bool
	for {
		u, err := c.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway || !strings.Contains(ce.Reason, "shutting down") {
				t.Fatalf("connection ended with %v, want close 1001 'server shutting down'", err)
			}
			break
		}
		gotError = gotError || (u.Type == netcode.MsgError && u.Error.Code == netcode.CodeShutdown)
	}
	if !gotError {
		t.Error("no shutdown error message before the close")
	}
	// No longer ready, and new joins are refused (or the listener is gone).
	if resp, err := http.Get(base + "/readyz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("/readyz still 200 after SIGTERM")
		}
	}
	if _, err := client.Reserve(ctx, base, rooms[0].ID, "late", nil); err == nil {
		t.Error("a join succeeded after SIGTERM")
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server exited with %v, want 0", err)
		}
	case <-time.After(6 * time.Second):
		t.Fatal("server did not exit within its shutdown deadline")
	}
	t.Logf("shutdown took %v", time.Since(start))
}
