package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tickroom/tickroom/lobby/natstest"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
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

// TestBrowserLobbyCluster: the browser lobby works unchanged against a
// node of a cluster: served by node a, it lists a room that node b runs as
// soon as b made it (a follows the cluster's directory), and joining it
// from a's page plays on b: the join through a hands the page b's ws_url,
// and b lets a page from a's origin open its WebSocket.
func TestBrowserLobbyCluster(t *testing.T) {
	br := newBrowser(t)
	ns := natstest.Start(t, -1)
	a := startTestNode(t, ns.URL(), "a", nil)
	b := startTestNode(t, ns.URL(), "b", nil)
	waitNodes(t, 2, a, b)
	p := br.newPage("player")
	p.openLobby(a.base+"/", "player")
	room := roomOn(t, b, rooms.Config{Name: "on b", TickRate: 30})
	start := time.Now()
	wctx, wcancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer wcancel()
	button := fmt.Sprintf(`#rooms button[data-room=%q]`, room.ID())
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(button))); err != nil {
		t.Fatalf("b's room never showed on a's page: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("b's room showed on a's page after %v", d)
	}
	p.do(chromedp.Click(chromedp.CSS(button)))
	s := p.waitConnected()
	if s.RoomID != room.ID() {
		t.Fatalf("the page plays in room %s, want b's %s", s.RoomID, room.ID())
	}
	nettest.CheckFor(t, 5*time.Second, func() error {
		if n := room.Info().Players; n != 1 {
			return fmt.Errorf("b's room has %d players", n)
		}
		return nil
	})
}
