package main

// Browser tests: the web client in Debian's Chromium, driven by chromedp,
// against a real server on httptest. Without /usr/bin/chromium they skip,
// unless TICKROOM_REQUIRE_BROWSER=1 makes that a failure. Every test fails
// on a console error or an uncaught exception in any page.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

var updateScreenshot = flag.Bool("update-screenshot", false,
	"write docs/screenshot.png from TestBrowserScreenshot (or set TICKROOM_UPDATE_SCREENSHOT=1)")

// startServer runs the whole server behind httptest until the test ends.
func startServer(t *testing.T) *httptest.Server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := newServer(t.Context(), defaultConfig(), log)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
		ts.Close()
	})
	return ts
}

// browser is one headless Chromium process; each page opens in its own
// browser context, so pages share no cookies or storage.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu     sync.Mutex
	errors []string // console errors and exceptions, from every page
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		msg := fmt.Sprintf("browser tests need Debian's Chromium at %s (apt-get install -y chromium): %v", chromiumPath, err)
		if os.Getenv("TICKROOM_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 720),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	b := &browser{t: t, ctx: ctx}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		b.checkConsole()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}
	return b
}

// checkConsole fails the test for every console error seen so far.
func (b *browser) checkConsole() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		b.t.Errorf("browser console: %s", e)
	}
	b.errors = nil
}

// page is one tab of the browser, in a fresh browser context.
type page struct {
	t    *testing.T
	name string
	ctx  context.Context
}

func (b *browser) newPage(name string) *page {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	p := &page{t: b.t, name: name, ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			switch {
			case m.IsException():
				b.record(name, m)
			case m.Type == chromedp.ConsoleError && m.Source == "":
				b.record(name, m) // console.error from the page
			case m.Type == chromedp.ConsoleWarning && protocolTrouble(m.Text):
				b.record(name, m)
			case m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning:
				b.t.Logf("%s: browser log: %s %s", name, m, m.URL)
			}
		}
	}()
	p.do(chromedp.EmulateViewport(1280, 720))
	return p
}

// protocolTrouble tells the client's warnings about frames it could not
// follow, which the tests treat as errors.
func protocolTrouble(text string) bool {
	return strings.Contains(text, "undecodable frame") || strings.Contains(text, "baseline")
}

func (b *browser) record(name string, m chromedp.ConsoleMessage) {
	b.mu.Lock()
	defer b.mu.Unlock()
	loc := ""
	if m.URL != "" {
		loc = fmt.Sprintf(" (%s:%d)", m.URL, m.Line+1)
	}
	b.errors = append(b.errors, fmt.Sprintf("%s: %s%s", name, m, loc))
}

// do runs actions with a deadline, failing the test on error.
func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) into v.
func (p *page) eval(expr string, v any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: evaluating %.80q: %v", p.name, expr, err)
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			p.t.Fatalf("%s: decoding %s: %v", p.name, raw, err)
		}
	}
}

// clientState mirrors what window.tickroom.state() returns.
type clientState struct {
	Screen     string                  `json:"screen"`
	Status     string                  `json:"status"`
	RoomID     string                  `json:"roomId"`
	PlayerID   uint32                  `json:"playerId"`
	TickRate   int                     `json:"tickRate"`
	Tick       uint32                  `json:"tick"`
	AckSeq     uint32                  `json:"ackSeq"`
	InputSeq   uint32                  `json:"inputSeq"`
	Snapshots  int                     `json:"snapshots"`
	Skipped    int                     `json:"skippedTicks"`
	LateMs     float64                 `json:"lateMs"`
	Pending    int                     `json:"pending"`
	Fixes      int                     `json:"corrections"`
	Frames     int                     `json:"frames"`
	RTT        float64                 `json:"rtt"`
	Players    []playerState           `json:"players"`
	Predicted  *struct{ X, Y float64 } `json:"predicted"`
	Chat       []chatLine              `json:"chat"`
	LobbyError string                  `json:"lobbyError"`
}

type playerState struct {
	ID   uint32  `json:"id"`
	Name string  `json:"name"`
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	HP   int     `json:"hp"`
	Dead bool    `json:"dead"`
	Own  bool    `json:"own"`
}

type chatLine struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	Text string `json:"text"`
}

func (s clientState) player(id uint32) (playerState, bool) {
	for _, p := range s.Players {
		if p.ID == id {
			return p, true
		}
	}
	return playerState{}, false
}

func (p *page) state() clientState {
	p.t.Helper()
	var s clientState
	p.eval(`window.tickroom ? window.tickroom.state() : {}`, &s)
	return s
}

// waitFor polls the page's state until ok returns nil or the time is up.
func (p *page) waitFor(what string, total time.Duration, ok func(s clientState) error) clientState {
	p.t.Helper()
	deadline := time.Now().Add(total)
	for {
		s := p.state()
		err := ok(s)
		if err == nil {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: %s: %v (state: status=%s tick=%d players=%+v lobbyError=%q)",
				p.name, what, err, s.Status, s.Tick, s.Players, s.LobbyError)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openLobby loads the page and enters a player name.
func (p *page) openLobby(url, name string) {
	p.t.Helper()
	p.do(
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS("#player-name")),
		chromedp.SetValue(chromedp.CSS("#player-name"), name),
	)
}

// createRoom fills in the create-room form and submits it; the page then
// joins the new room.
func (p *page) createRoom(name string, tickRate int) {
	p.t.Helper()
	p.do(
		chromedp.SetValue(chromedp.CSS("#room-name-input"), name),
		chromedp.SetValue(chromedp.CSS("#room-max"), "4"),
		chromedp.SetValue(chromedp.CSS("#room-rate"), fmt.Sprint(tickRate)),
		chromedp.Click(chromedp.CSS("#create")),
	)
}

func (p *page) waitConnected() clientState {
	p.t.Helper()
	return p.waitFor("connect to the room", 10*time.Second, func(s clientState) error {
		if s.Status != "connected" || s.Snapshots == 0 {
			return fmt.Errorf("status %q after %d snapshots", s.Status, s.Snapshots)
		}
		if _, ok := s.player(s.PlayerID); !ok {
			return fmt.Errorf("own avatar %d not in the state", s.PlayerID)
		}
		return nil
	})
}

// Keys by DOM code, with the key and Windows virtual key code Chromium needs.
var keys = map[string]struct {
	key  string
	code int64
}{
	"ArrowUp": {"ArrowUp", 38}, "ArrowDown": {"ArrowDown", 40},
	"ArrowLeft": {"ArrowLeft", 37}, "ArrowRight": {"ArrowRight", 39},
	"KeyW": {"w", 87}, "KeyA": {"a", 65}, "KeyS": {"s", 83}, "KeyD": {"d", 68},
}

// key presses (down) or releases (up) one key, as a real keyboard would.
func (p *page) key(code string, down bool) {
	p.t.Helper()
	k, ok := keys[code]
	if !ok {
		p.t.Fatalf("no key %q", code)
	}
	typ := input.DispatchKeyEventTypeKeyUp
	if down {
		typ = input.DispatchKeyEventTypeRawKeyDown
	}
	p.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: typ, Key: k.key, Code: code, WindowsVirtualKeyCode: k.code,
		})
		return err
	}))
}

// match is two players in one room created through the lobby UI.
type match struct {
	server *httptest.Server
	a, b   *page
	aID    uint32
	bID    uint32
	roomID string
}

// startMatch: alice creates a room in the lobby and joins it; bob, in a
// separate browser context, joins it from his room list or, viaLink, by
// opening the room's shareable URL from alice's address bar.
func startMatch(t *testing.T, tickRate int, viaLink bool) *match {
	t.Helper()
	ts := startServer(t)
	br := newBrowser(t)
	a, b := br.newPage("alice"), br.newPage("bob")

	a.openLobby(ts.URL+"/", "alice")
	b.openLobby(ts.URL+"/", "bob")
	a.createRoom("browser test room", tickRate)
	as := a.waitConnected()
	if as.TickRate != tickRate {
		t.Errorf("room tick rate %d, want %d", as.TickRate, tickRate)
	}
	var link string
	a.eval(`location.href`, &link)
	if want := ts.URL + "/room/" + as.RoomID; link != want {
		t.Errorf("alice's address is %q, want the room's shareable %s", link, want)
	}
	if viaLink {
		b.do(
			chromedp.Navigate(link),
			chromedp.WaitVisible(chromedp.CSS("#direct-join")),
			chromedp.SetValue(chromedp.CSS("#player-name"), "bob"),
			chromedp.Click(chromedp.CSS("#direct-join")),
		)
	} else {
		join := fmt.Sprintf(`#rooms button[data-room=%q]`, as.RoomID)
		b.do(chromedp.WaitVisible(chromedp.CSS(join)), chromedp.Click(chromedp.CSS(join)))
	}
	bs := b.waitConnected()
	if bs.RoomID != as.RoomID {
		t.Fatalf("bob joined room %s, alice is in %s", bs.RoomID, as.RoomID)
	}
	return &match{server: ts, a: a, b: b, aID: as.PlayerID, bID: bs.PlayerID, roomID: as.RoomID}
}

// meet walks both players toward each other along the open corridor that
// runs around the map, until each sees the other.
func (m *match) meet(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	held := map[*page]string{}
	defer func() {
		for p, k := range held {
			p.key(k, false)
		}
	}()
	for {
		as, bs := m.a.state(), m.b.state()
		pa, _ := as.player(m.aID)
		pb, _ := bs.player(m.bID)
		_, aSeesB := as.player(m.bID)
		_, bSeesA := bs.player(m.aID)
		if aSeesB && bSeesA && math.Abs(pa.X-pb.X) < 400 && math.Abs(pa.Y-pb.Y) < 240 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("players never met: alice %+v, bob %+v", as.Players, bs.Players)
		}
		for _, step := range []struct {
			p        *page
			from, to playerState
		}{{m.a, pa, pb}, {m.b, pb, pa}} {
			k := ringStep(step.from, step.to)
			if held[step.p] != k {
				if held[step.p] != "" {
					step.p.key(held[step.p], false)
				}
				step.p.key(k, true)
				held[step.p] = k
			}
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// The corridor around the default map: clear of walls within these bands.
const (
	ringLo  = 128.0
	ringHiX = 2272.0
	ringHiY = 1472.0
	band    = 200.0
)

// ringPos returns how far along the corridor, clockwise from the top-left
// corner, a position lies.
func ringPos(p playerState) float64 {
	w, h := ringHiX-ringLo, ringHiY-ringLo
	switch {
	case p.Y < band:
		return p.X - ringLo
	case p.X > ringHiX-band:
		return w + p.Y - ringLo
	case p.Y > ringHiY-band:
		return w + h + ringHiX - p.X
	default:
		return 2*w + h + ringHiY - p.Y
	}
}

// ringStep returns the key that moves from one corridor position toward
// another the short way round.
func ringStep(from, to playerState) string {
	perimeter := 2 * ((ringHiX - ringLo) + (ringHiY - ringLo))
	d := math.Mod(ringPos(to)-ringPos(from)+perimeter, perimeter)
	x, y := from.X, from.Y
	if d < perimeter/2 { // clockwise
		switch {
		case y < band && x < ringHiX-12:
			return "KeyD"
		case x > ringHiX-band && y < ringHiY-12:
			return "KeyS"
		case y > ringHiY-band && x > ringLo+12:
			return "KeyA"
		default:
			return "KeyW"
		}
	}
	switch {
	case y < band && x > ringLo+12:
		return "ArrowLeft"
	case x < band && y < ringHiY-12:
		return "ArrowDown"
	case y > ringHiY-band && x < ringHiX-12:
		return "ArrowRight"
	default:
		return "ArrowUp"
	}
}

// TestBrowserMatch: two browser contexts join a room made in the lobby; keys
// pressed in one move that player on the other's screen.
func TestBrowserMatch(t *testing.T) {
	m := startMatch(t, 60, false)
	m.meet(t)

	bs := m.b.state()
	before, ok := bs.player(m.aID)
	if !ok {
		t.Fatal("bob lost sight of alice")
	}
	// Walk alice toward bob along the corridor, so she stays in his view.
	bob, _ := bs.player(m.bID)
	k := ringStep(before, bob)
	m.a.key(k, true)
	after := m.b.waitFor("see alice move", 5*time.Second, func(s clientState) error {
		p, ok := s.player(m.aID)
		if !ok {
			return fmt.Errorf("alice not in bob's view")
		}
		if d := math.Hypot(p.X-before.X, p.Y-before.Y); d < 40 {
			return fmt.Errorf("alice moved %.1f px from (%v, %v)", d, before.X, before.Y)
		}
		return nil
	})
	m.a.key(k, false)
	p, _ := after.player(m.aID)
	t.Logf("bob saw alice move from (%v, %v) to (%v, %v) with %s", before.X, before.Y, p.X, p.Y, k)
	as := m.a.state()
	t.Logf("alice: %d inputs, %d unacknowledged, %d corrections, %d snapshots, %d ticks skipped, rtt %.1f ms",
		as.InputSeq, as.Pending, as.Fixes, as.Snapshots, as.Skipped, as.RTT)

	// Alice's prediction and the server agree once she stops.
	m.a.waitFor("settle", 5*time.Second, func(s clientState) error {
		own, _ := s.player(m.aID)
		if s.Predicted == nil {
			return fmt.Errorf("no predicted position")
		}
		if d := math.Hypot(s.Predicted.X-own.X, s.Predicted.Y-own.Y); d > 0.5 {
			return fmt.Errorf("predicted (%v, %v), server (%v, %v)", s.Predicted.X, s.Predicted.Y, own.X, own.Y)
		}
		return nil
	})
}

// TestBrowserChat: a chat message typed in one page appears in the other,
// with the join announcement before it.
func TestBrowserChat(t *testing.T) {
	m := startMatch(t, 30, true)
	const text = "hello from alice ✓"
	m.a.do(
		chromedp.Click(chromedp.CSS("#chat-input")),
		chromedp.SendKeys(chromedp.CSS("#chat-input"), text+"\r"),
	)
	for _, p := range []*page{m.b, m.a} {
		p.waitFor("see the chat message", 5*time.Second, func(s clientState) error {
			for _, l := range s.Chat {
				if l.Kind == "chat" && l.Name == "alice" && l.Text == text {
					return nil
				}
			}
			return fmt.Errorf("chat so far: %+v", s.Chat)
		})
		var shown string
		p.eval(`document.getElementById("chat-log").textContent`, &shown)
		if !strings.Contains(shown, "alice: "+text) {
			t.Errorf("%s: chat box shows %q", p.name, shown)
		}
	}
	var joined string
	m.a.eval(`document.getElementById("chat-log").textContent`, &joined)
	if !strings.Contains(joined, "bob joined") {
		t.Errorf("alice's chat box lacks bob's join: %q", joined)
	}
}

// TestBrowserReconnect: quick-join the default room, cut the WebSocket, and
// the page shows "reconnecting" and gets the same seat back with the
// reconnect token; when the server refuses the token, the page returns to
// the lobby and says why.
func TestBrowserReconnect(t *testing.T) {
	ts := startServer(t)
	p := newBrowser(t).newPage("carol")
	// Keep a handle on every WebSocket the page opens, so the test can cut one.
	p.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.__sockets = [];
				window.WebSocket = class extends WebSocket {
					constructor(url, ...rest) {
						if (window.__badToken) url = url.replace(/token=[^&]*/, "token=forged");
						super(url, ...rest);
						window.__sockets.push(this);
						this.__sent = []; // the first frames sent
						this.addEventListener("message", (ev) => { this.__first = this.__first || new Uint8Array(ev.data); });
					}
					send(data) {
						if (this.__mute) return; // lost on a dying line
						if (this.__sent.length < 8) this.__sent.push(Array.from(data));
						super.send(data);
					}
				};
				const fetch0 = window.fetch;
				window.fetch = (url, ...rest) => fetch0(window.__badToken && String(url).includes("/ws?") ?
					String(url).replace(/token=[^&]*/, "token=forged") : url, ...rest);`,
		})
		return err
	}))
	p.openLobby(ts.URL+"/", "carol")
	p.do(chromedp.WaitVisible(chromedp.CSS(`#rooms button[data-room]`)), chromedp.Click(chromedp.CSS("#quick-join")))
	first := p.waitConnected()

	p.eval(`window.__sockets.at(-1).close(4000, "test cuts the line"), true`, nil)
	p.waitFor("show reconnecting", 5*time.Second, func(s clientState) error {
		var banner string
		p.eval(`document.getElementById("banner").textContent`, &banner)
		if s.Status != "reconnecting" || !strings.Contains(banner, "reconnecting") {
			return fmt.Errorf("status %q, banner %q", s.Status, banner)
		}
		return nil
	})
	again := p.waitFor("reconnect", 10*time.Second, func(s clientState) error {
		if s.Status != "connected" || s.Tick <= first.Tick {
			return fmt.Errorf("status %q at tick %d", s.Status, s.Tick)
		}
		return nil
	})
	if again.PlayerID != first.PlayerID || again.RoomID != first.RoomID {
		t.Errorf("rejoined as player %d in %s, was %d in %s", again.PlayerID, again.RoomID, first.PlayerID, first.RoomID)
	}

	// Inputs lost with a dying line: the page numbers them, the server
	// never sees them. After the reconnect the page numbers its inputs
	// after the welcome's lastInputSeq, not after its own count, and the
	// server takes them.
	p.eval(`window.__sockets.at(-1).__mute = true, true`, nil)
	lost := p.waitFor("inputs lost", 5*time.Second, func(s clientState) error {
		if s.InputSeq < again.InputSeq+5 {
			return fmt.Errorf("input seq %d", s.InputSeq)
		}
		return nil
	})
	p.eval(`window.__sockets.at(-1).close(4000, "test cuts the line"), true`, nil)
	resumed := p.waitFor("reconnect after lost inputs", 10*time.Second, func(s clientState) error {
		if s.Status != "connected" || s.Tick <= lost.Tick || s.AckSeq <= lost.InputSeq-5 {
			return fmt.Errorf("status %q at tick %d, ack %d", s.Status, s.Tick, s.AckSeq)
		}
		return nil
	})
	var seqs struct{ Welcome, First uint32 }
	p.eval(`Promise.all([import("/net.js"), import("/vendor/msgpack/index.mjs")]).then(([net, mp]) => {
		const s = window.__sockets.at(-1);
		const input = s.__sent.find((f) => f[1] === net.Msg.Input);
		return { Welcome: net.decodeServer(s.__first).lastInputSeq, First: mp.decode(Uint8Array.from(input))[1] };
	})`, &seqs)
	if seqs.Welcome >= lost.InputSeq || seqs.First != seqs.Welcome+1 {
		t.Errorf("after losing inputs up to %d: welcome's last input seq %d, first input sent %d; want it right after the welcome's",
			lost.InputSeq, seqs.Welcome, seqs.First)
	}
	if resumed.Status != "connected" {
		t.Errorf("status %q after the resume", resumed.Status)
	}

	p.eval(`window.__badToken = true, window.__sockets.at(-1).close(4000, "test cuts the line"), true`, nil)
	p.waitFor("return to the lobby", 15*time.Second, func(s clientState) error {
		if s.Screen != "lobby" || !strings.Contains(s.LobbyError, "Could not rejoin the room: ") {
			return fmt.Errorf("screen %q, lobby says %q", s.Screen, s.LobbyError)
		}
		return nil
	})
}

// TestBrowserPrediction: the JavaScript movement (web/predict.js) replays
// the golden trajectory exactly as the Go game produced it.
func TestBrowserPrediction(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "game", "testdata", "trajectory.json"))
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		States [][4]int32 `json:"states"`
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t)
	p := newBrowser(t).newPage("predict")
	p.do(chromedp.Navigate(ts.URL + "/"))
	var got [][4]float64
	p.eval(fmt.Sprintf(`import("/predict.js").then((m) => m.runTrajectory(%s))`, raw), &got)
	if len(got) != len(golden.States) || len(got) == 0 {
		t.Fatalf("JavaScript produced %d states, golden has %d", len(got), len(golden.States))
	}
	for i, want := range golden.States {
		for j := range want {
			if got[i][j] != float64(want[j]) {
				t.Fatalf("tick %d: JavaScript state %v, Go state %v", i, got[i], want)
			}
		}
	}
}

// TestBrowserProtocolVectors: web/net.js encodes and decodes the golden
// vectors of netcode/testdata/vectors.json byte for byte.
func TestBrowserProtocolVectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "netcode", "testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t)
	p := newBrowser(t).newPage("vectors")
	p.do(chromedp.Navigate(ts.URL + "/"))
	var fails []string
	p.eval(fmt.Sprintf(`import("/net.js").then((net) => (%s)(net, %s))`, checkVectorsJS, raw), &fails)
	for _, f := range fails {
		t.Error(f)
	}
}

const checkVectorsJS = `function (net, vectors) {
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const unhex = (h) => Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));
  const fields = ["id", "kind", "x", "y", "vx", "vy", "angle", "hp", "flags", "score", "owner", "born"];
  const pick = (e) => Object.fromEntries(fields.map((k) => [k, e[k]]));
  const fails = [];
  const check = (name, got, want) => {
    const g = JSON.stringify(got), w = JSON.stringify(want);
    if (g !== w) fails.push(name + ": got " + g + ", want " + w);
  };
  for (const v of vectors) {
    const x = v.value;
    if (v.direction === "client") {
      const enc = {
        1: () => net.encodeInput(x.seq, x.move, x.aim, x.buttons),
        2: () => net.encodePing(x.clientTime),
        3: () => net.encodeChat(x.text),
        4: () => net.encodeLeave(),
      }[x.type];
      check(v.name, hex(enc()), v.hex);
      continue;
    }
    const m = net.decodeServer(unhex(v.hex));
    if (x.type === net.Msg.Snapshot) {
      const b = new net.Baselines();
      if (m.baseTick) b.states.set(m.baseTick, new Map(v.baseline.map((e) => [e.id, e])));
      const state = [...b.apply(m).values()].sort((p, q) => p.id - q.id).map(pick);
      check(v.name, state, v.state);
    } else if (x.type === net.Msg.Welcome) {
      check(v.name, Object.fromEntries(Object.keys(x).map((k) => [k, m[k]])), x);
    } else {
      check(v.name, m, x);
    }
  }
  return fails;
}`

// TestBrowserScreenshot photographs a live two-player match: always into the
// test's temporary directory, and into docs/screenshot.png with
// -update-screenshot or TICKROOM_UPDATE_SCREENSHOT=1.
func TestBrowserScreenshot(t *testing.T) {
	m := startMatch(t, 60, false)
	m.meet(t)
	// A few shots from alice toward bob, and a chat line, for a lively picture.
	m.a.do(
		chromedp.Click(chromedp.CSS("#chat-input")),
		chromedp.SendKeys(chromedp.CSS("#chat-input"), "gl hf\r"),
	)
	var bob struct{ X, Y float64 }
	m.a.eval(fmt.Sprintf(`(() => { const s = window.tickroom.state();
		const b = s.players.find((p) => p.id === %d); return b ? {x: b.x, y: b.y} : {x: 0, y: 0}; })()`, m.bID), &bob)
	var at struct{ X, Y float64 } // bob on alice's screen

	m.a.eval(fmt.Sprintf(`window.tickroom.toScreen(%v, %v)`, bob.X, bob.Y), &at)
	m.a.mouse(at.X, at.Y, true)
	time.Sleep(600 * time.Millisecond) // shots in flight, hits landing
	shot, err := chromedp.Run(m.a.ctx, chromedp.CaptureScreenshot())
	m.a.mouse(at.X, at.Y, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(t.TempDir(), "screenshot.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if *updateScreenshot || os.Getenv("TICKROOM_UPDATE_SCREENSHOT") == "1" {
		dst := filepath.Join("..", "..", "docs", "screenshot.png")
		if err := os.WriteFile(dst, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", dst, len(shot))
	}
}

// mouse moves the mouse to (x, y) in CSS px and presses or releases the
// left button there.
func (p *page) mouse(x, y float64, down bool) {
	p.t.Helper()
	typ := input.DispatchMouseEventTypeMouseReleased
	if down {
		typ = input.DispatchMouseEventTypeMousePressed
	}
	p.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, ev := range []input.DispatchMouseEventParams{
			{Type: input.DispatchMouseEventTypeMouseMoved, X: x, Y: y},
			{Type: typ, X: x, Y: y, Button: input.MouseButtonLeft, ClickCount: 1},
		} {
			if _, err := cdp.Call(ctx, t, input.DispatchMouseEvent, ev); err != nil {
				return err
			}
		}
		return nil
	}))
}
