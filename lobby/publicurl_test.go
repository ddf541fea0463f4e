package lobby_test

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode/client"
)

// joinWith reserves a seat in roomID with the
// request's Host set to host (empty: the real one) and header pairs, and
// returns the ws_url answered.
func joinWith(t *testing.T, ts *testServer, roomID, host string, header ...string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", ts.URL+"/api/rooms/"+roomID+"/join", strings.NewReader(`{"name":"p"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if host != "" {
		req.Host = host
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return decode[rest.Seat](t, answer{status: resp.StatusCode, header: resp.Header, body: b}, http.StatusOK).WSURL
}

// wsBase is a ws_url without its token.
func wsBase(t *testing.T, wsURL string) string {
	t.Helper()
	u, err := url.Parse(wsURL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Query().Get("token") == "" {
		t.Fatalf("ws_url %s has no token", wsURL)
	}
	u.RawQuery = ""
	return u.String()
}

// TestWSURLFromPublicURL: with a public URL configured, the join answer's
// ws_url is on it, whatever Host or forwarding headers the request carries.
func TestWSURLFromPublicURL(t *testing.T) {
	pub, _ := url.Parse("https://play.example.com/game/")
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{PublicURL: pub,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	room := createRoom(t, ts, `{"max_players":8}`)
	for _, tc := range []struct {
		name   string
		host   string
		header []string
	}{
		{"plain", "", nil},
		{"forged Host", "evil.example", nil},
		{"forwarding headers", "", []string{"X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "http"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := wsBase(t, joinWith(t, ts, room.ID, tc.host, tc.header...)); got != "wss://play.example.com/game/ws" {
				t.Fatalf("ws_url %s, want wss://play.example.com/game/ws", got)
			}
		})
	}
}

// TestForwardedHeadersOnlyFromTrustedProxies: without a public URL the
// ws_url follows the request, and X-Forwarded-Proto and X-Forwarded-Host
// count only when the peer is a trusted proxy.
func TestForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	forwarded := []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "play.example.com"}
	t.Run("untrusted peer", func(t *testing.T) {
		ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
		room := createRoom(t, ts, `{"max_players":8}`)
		want := "ws://" + strings.TrimPrefix(ts.URL, "http://") + "/ws"
		if got := wsBase(t, joinWith(t, ts, room.ID, "", forwarded...)); got != want {
			t.Fatalf("ws_url %s, want %s: forwarding headers from a client that is no proxy", got, want)
		}
	})
	t.Run("trusted proxy", func(t *testing.T) {
		ts := startServer(t, rooms.Options{}, lobby.APIOptions{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
		room := createRoom(t, ts, `{"max_players":8}`)
		if got := wsBase(t, joinWith(t, ts, room.ID, "", forwarded...)); got != "wss://play.example.com/ws" {
			t.Fatalf("ws_url %s, want wss://play.example.com/ws from the proxy's headers", got)
		}
	})
}

// TestForgedForwardedForIgnored: a client that is not a trusted proxy
// cannot pose as another client with X-Forwarded-For.
func TestForgedForwardedForIgnored(t *testing.T) {
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{Limits: lobby.Limits{MaxConnsPerIP: 1}})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	room, err := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{MaxPlayers: new(8)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, err := client.JoinRoom(ctx, ts.URL, room.ID, "first", &client.Options{HTTPClient: asClient("", "203.0.113.1")})
	if err != nil {
		t.Fatal(err)
	}
	defer first.CloseNow()
	connRefused(t, ctx, ts.URL, room.ID, "forged", &client.Options{HTTPClient: asClient("", "203.0.113.2")})
}
