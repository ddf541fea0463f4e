package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/netcode/client"
	"github.com/tickroom/tickroom/netcode/nettest"
)

// TestBrowserLobbyLive: the lobby page follows the room list over the
// event stream the server hands to its stream hub: it says "live" (not
// polling), and a room created elsewhere shows up well within a poll.
func TestBrowserLobbyLive(t *testing.T) {
	ts := startServer(t)
	br := newBrowser(t)
	p := br.newPage("watcher")
	p.openLobby(ts.URL+"/", "watcher")
	nettest.CheckFor(t, 10*time.Second, func() error {
		var live string
		p.eval(`document.getElementById("rooms-live").textContent`, &live)
		if live != "live" {
			return fmt.Errorf("lobby says %q, want live (following the event stream)", live)
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	room, err := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{Name: "made elsewhere"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	wctx, wcancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer wcancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#rooms button[data-room=%q]`, room.ID)))); err != nil {
		t.Fatalf("the new room never showed: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the new room showed after %v; the 2 s poll, not the stream?", d)
	}
}
