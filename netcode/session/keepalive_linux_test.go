//go:build linux

package session

import (
	"bufio"
	"context"
	"io"
	"syscall"
	"testing"
	"time"
)

// BenchmarkKeepalivePing is one keepalive round trip on a parked session:
// the ping is written, the Poller wakes the session for the pong, a reader
// reads it and the session parks again. The peer is a raw socket that
// answers by hand, so nearly all the CPU time reported (cpu-ns/ping, the
// process's user and system time per ping) is the server's: what each
// connection costs per keepalive interval (docs/performance.md).
func BenchmarkKeepalivePing(b *testing.B) {
	k := NewKeepalive(time.Minute) // Run is not started: the benchmark pings
	ps := startPollServer(b, Options{IdleAfter: time.Nanosecond, Keepalive: k})
	conn := rawDial(b, ps.url)
	s := ps.session(b)
	go func() { // the peer: answer every ping with its payload
		br := bufio.NewReader(conn)
		var h [2]byte
		payload := make([]byte, 125)
		pong := make([]byte, 0, 131)
		for {
			if _, err := io.ReadFull(br, h[:]); err != nil {
				return
			}
			n := int(h[1] & 0x7f)
			if _, err := io.ReadFull(br, payload[:n]); err != nil {
				return
			}
			if h[0]&0x0f != 9 {
				continue
			}
			pong = append(pong[:0], 0x8a, 0x80|byte(n), 0, 0, 0, 0) // a zero mask key
			pong = append(pong, payload[:n]...)
			if _, err := conn.Write(pong); err != nil {
				return
			}
		}
	}()
	ctx := context.Background()
	k.ping(ctx, s) // the first wakes the session from its start
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.ResetTimer()
	for range b.N {
		k.ping(ctx, s)
	}
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) * time.Nanosecond
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/ping")
	if s.RTT() == 0 {
		b.Fatal("no round trip measured")
	}
	conn.Close()
	<-s.Done()
}
