package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tickroom/tickroom/netcode/nettest"
)

// slowReader connects with tiny socket buffers, pipelines requests for the
// OpenAPI document (tens of KB each, megabytes in all) and never reads an
// answer: the server's writes to it soon block.
func slowReader(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048)
		})
		return errors.Join(err, serr)
	}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET /api/openapi.json HTTP/1.1\r\nHost: " + addr + "\r\n\r\n"
	if _, err := io.WriteString(conn, strings.Repeat(req, 400)); err != nil {
		t.Fatal(err)
	}
	return conn
}

// stuckWriters counts the server's connections whose goroutine is blocked
// writing an answer, from its goroutine dump.
func stuckWriters(t *testing.T, pprof string) int {
	t.Helper()
	resp, err := http.Get("http://" + pprof + "/debug/pprof/goroutine?debug=2")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for g := range strings.SplitSeq(string(b), "\n\n") {
		if strings.Contains(g, "poll.(*FD).Write") && strings.Contains(g, "net/http.(*conn).serve") {
			n++
		}
	}
	return n
}

// waitStuck waits until the server is blocked writing to n connections.
func waitStuck(t *testing.T, pprof string, n int) {
	t.Helper()
	nettest.CheckFor(t, 10*time.Second, func() error {
		if got := stuckWriters(t, pprof); got < n {
			return fmt.Errorf("%d connections stuck in a write, want %d", got, n)
		}
		return nil
	})
}

// TestShutdownWithSlowReaders: clients that never read their answers do not
// hold up shutdown: the connections still busy half way to the deadline
// are closed, and the server exits 0 within it.
func TestShutdownWithSlowReaders(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	const deadline = 4 * time.Second
	pprof := nettest.FreeAddr(t)
	// A write timeout longer than the shutdown: only shutdown can end them.
	cmd, base := startBinary(t, "-shutdown-timeout", deadline.String(), "-write-timeout", "1m", "-pprof-addr", pprof)
	addr := strings.TrimPrefix(base, "http://")
	for range 5 {
		slowReader(t, addr)
	}
	waitStuck(t, pprof, 5)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server exited with %v after %v, want 0", err, time.Since(start))
		}
	case <-time.After(deadline + 2*time.Second):
		t.Fatal("server did not exit within its shutdown deadline")
	}
	if took := time.Since(start); took > deadline {
		t.Fatalf("shutdown took %v, more than its %v deadline", took, deadline)
	}
	t.Logf("shutdown took %v", time.Since(start))
}

// TestWriteTimeoutEndsSlowReaders: an ordinary answer that cannot be
// written within -write-timeout ends its connection, freeing its goroutine.
func TestWriteTimeoutEndsSlowReaders(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	pprof := nettest.FreeAddr(t)
	_, base := startBinary(t, "-write-timeout", "1s", "-pprof-addr", pprof)
	addr := strings.TrimPrefix(base, "http://")
	for range 5 {
		slowReader(t, addr)
	}
	waitStuck(t, pprof, 5)
	nettest.CheckFor(t, 10*time.Second, func() error {
		if n := stuckWriters(t, pprof); n != 0 {
			return fmt.Errorf("%d connections still stuck in a write", n)
		}
		return nil
	})
}
