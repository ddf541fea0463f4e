package lobby

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// TestCheckOriginMatchesAccept: checkOrigin, which runs before a seat is
// claimed, refuses exactly the upgrades coder/websocket's Accept refuses
// with the same OriginPatterns, so checking first changes no verdict.
func TestCheckOriginMatchesAccept(t *testing.T) {
	compareOrigins(t, []string{"game.example.com", "https://*.example.org"}, func(self string) []string {
		return []string{
			"", self, strings.ToUpper(self), "https://" + strings.TrimPrefix(self, "http://"),
			"https://game.example.com", "http://GAME.example.com", "https://game.example.com:8443",
			"https://game.example.com.evil.net", "http://evil.example.net",
			"https://play.example.org", "https://a.b.example.org", "http://play.example.org",
			"null", "game.example.com", "://bad", "https://[::1", "file:///etc/passwd",
		}
	})
	// A malformed pattern refuses (coder/websocket also logs it).
	compareOrigins(t, []string{"[bad"}, func(string) []string { return []string{"http://evil.example.net"} })
}

// compareOrigins upgrades with each origin and compares checkOrigin's
// verdict with websocket.Accept's; origins gets the server's own origin.
func compareOrigins(t *testing.T, patterns []string, origins func(self string) []string) {
	t.Helper()
	ours := make(chan bool, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ours <- checkOrigin(r, patterns) == nil
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: patterns})
		if err == nil {
			c.CloseNow()
		}
	}))
	defer srv.Close()
	for _, origin := range origins(srv.URL) {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, resp, _ := websocket.Dial(t.Context(), srv.URL, &websocket.DialOptions{HTTPHeader: h})
		if c != nil {
			c.CloseNow()
		}
		if resp == nil {
			t.Fatalf("origin %q: no response", origin)
		}
		accepted := resp.StatusCode == http.StatusSwitchingProtocols
		if got := <-ours; got != accepted {
			t.Errorf("patterns %q, origin %q: checkOrigin says allowed=%v, websocket.Accept answered %d", patterns, origin, got, resp.StatusCode)
		}
	}
}
