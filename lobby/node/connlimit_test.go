package node

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// TestLimitListener: past max open connections Accept waits (the next
// client waits in the backlog) until one is closed; the connections it
// hands out are still syscall.Conns, for the session Poller.
func TestLimitListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := newLimitListener(inner, 2)
	defer ln.Close()
	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	for range 3 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first, second := <-accepted, <-accepted
	if _, ok := first.(syscall.Conn); !ok {
		t.Fatalf("%T is no syscall.Conn", first)
	}
	select {
	case <-accepted:
		t.Fatal("a third connection accepted with two open and a limit of 2")
	case <-time.After(100 * time.Millisecond):
	}
	first.Close()
	first.Close() // a second Close gives back nothing more
	select {
	case third := <-accepted:
		third.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting connection was not accepted after one closed")
	}
	second.Close()
	ln.Close()
	if _, ok := <-accepted; ok {
		t.Fatal("Accept after Close")
	}
}

func TestConnLimits(t *testing.T) {
	for _, tt := range []struct {
		files          uint64
		conns, streams int
	}{
		{256, 192, 64},
		{4096, 3584, 1024},
		{20000, 17500, 5000},
		{1 << 40, 1<<22 - 1<<19, 1 << 20},
	} {
		if c, s := connLimits(tt.files); c != tt.conns || s != tt.streams {
			t.Errorf("connLimits(%d) = %d, %d; want %d, %d", tt.files, c, s, tt.conns, tt.streams)
		}
	}
}
