package lobby_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode/client"
)

// connRefused checks that a join-and-connect as opts is refused with 429
// naming the connection.
func connRefused(t *testing.T, ctx context.Context, url, roomID, name string, opts *client.Options) {
	t.Helper()
	c, err := client.JoinRoom(ctx, url, roomID, name, opts)
	var p *rest.Problem
	if !errors.As(err, &p) || p.Status != http.StatusTooManyRequests || p.Field != "connection" {
		if err == nil {
			c.CloseNow()
		}
		t.Fatalf("%s: %v, want 429 naming the connection", name, err)
	}
}

// TestConnCapCountsLoopbackAsOneClient: every loopback address is the same
// host, so a second one (127.0.0.2) does not get a second allowance of
// -max-conns-per-ip.
func TestConnCapCountsLoopbackAsOneClient(t *testing.T) {
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{Limits: lobby.Limits{MaxConnsPerIP: 2}})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	room, err := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{MaxPlayers: new(8)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	join(t, ctx, ts.URL, room.ID, "one")
	join(t, ctx, ts.URL, room.ID, "two")
	connRefused(t, ctx, ts.URL, room.ID, "from 127.0.0.2", &client.Options{HTTPClient: asClient("127.0.0.2", "")})
}

// TestConnCapCountsIPv6By64: behind a trusted proxy, clients are told apart
// by X-Forwarded-For, and IPv6 addresses count by their /64: every address
// of one subscriber's prefix shares its allowance, another prefix has its
// own.
func TestConnCapCountsIPv6By64(t *testing.T) {
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{
		Limits:         lobby.Limits{MaxConnsPerIP: 2},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	room, err := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{MaxPlayers: new(8)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	as := func(xff string) *client.Options { return &client.Options{HTTPClient: asClient("", xff)} }
	for i, addr := range []string{"2001:db8:0:7::1", "2001:db8:0:7:ffff:ffff:ffff:fffe"} {
		c, err := client.JoinRoom(ctx, ts.URL, room.ID, fmt.Sprint("p", i), as(addr))
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		defer c.CloseNow()
	}
	connRefused(t, ctx, ts.URL, room.ID, "same /64", as("2001:db8:0:7:1234::5"))
	other, err := client.JoinRoom(ctx, ts.URL, room.ID, "other /64", as("2001:db8:0:8::1"))
	if err != nil {
		t.Fatalf("a client of another /64: %v", err)
	}
	other.CloseNow()
}
