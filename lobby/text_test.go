package lobby_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode"
)

// The bytes the outside review sent: C0 controls, ANSI escape sequences
// (CSI, OSC, the 8-bit CSI), bidi overrides and isolates, zero-width and
// other invisible characters.
const (
	nul, bel           = "\x00", "\x07"
	sgrRed, sgrReset   = "\x1b[31m", "\x1b[0m"
	clearScreen        = "\x1b[2J\x1b[H"
	oscTitle           = "\x1b]0;pwned\x07"
	c1CSI              = "\u009b31m"
	rlo, pdf           = "\u202e", "\u202c" // right-to-left override, pop
	lri, pdi           = "\u2066", "\u2069" // left-to-right isolate, pop
	zwsp, zwj, zwnj    = "\u200b", "\u200d", "\u200c"
	hangulFiller, bom  = "\u3164", "\ufeff"
	combiningAcuteOnly = "\u0301\u0301"
)

// TestChatCleaned: chat reaches the other players without control
// characters, escape sequences or bidi controls; a message with nothing
// visible left closes the sender 1008, naming the text.
func TestChatCleaned(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	room := createRoom(t, ts, `{"max_players":16}`)
	observer := join(t, ctx, ts.URL, room.ID, "observer")
	for _, tc := range []struct{ sent, seen string }{
		{"hi" + nul + "there" + bel, "hithere"},
		{sgrRed + "red" + sgrReset + " alert", "red alert"},
		{clearScreen + oscTitle + "title", "title"},
		{c1CSI + "eight-bit", "eight-bit"},
		{rlo + "txt.exe" + pdf + " and " + lri + "isolated" + pdi, "txt.exe and isolated"},
		{"line one\nline two\r\ttabbed", "line one line two  tabbed"},
		{"  gg 👍🏽 👨" + zwj + "👩" + zwj + "👧 می" + zwnj + "خواهم  ", "gg 👍🏽 👨" + zwj + "👩" + zwj + "👧 می" + zwnj + "خواهم"},
	} {
		sender := dialRaw(t, ctx, ts, room.ID) // one each: chat is rate-limited per connection
		if err := sender.Write(ctx, websocket.MessageBinary, netcode.AppendChat(nil, tc.sent)); err != nil {
			t.Fatal(err)
		}
		waitForText(t, ctx, observer, tc.seen)
	}
	for _, text := range []string{clearScreen + rlo + zwsp, bel + nul, " " + hangulFiller + bom + " ", combiningAcuteOnly} {
		t.Run("nothing visible "+strings.ToValidUTF8(text, "?"), func(t *testing.T) {
			conn := dialRaw(t, ctx, ts, room.ID)
			if err := conn.Write(ctx, websocket.MessageBinary, netcode.AppendChat(nil, text)); err != nil {
				t.Fatal(err)
			}
			ce, _ := closedWith(t, ctx, conn)
			if ce.Code != websocket.StatusPolicyViolation || !strings.Contains(ce.Reason, "chat: text has nothing visible") {
				t.Fatalf("closed %d %q, want 1008 naming the chat text", ce.Code, ce.Reason)
			}
		})
	}
}

// TestNamesRefused: room and player names with bidi controls, control
// characters or nothing visible are refused naming the field; names in
// any script, with emoji sequences, are kept as written.
func TestNamesRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{Limits: noQuotas})
	room := createRoom(t, ts, `{}`)
	bad := map[string]string{
		"zero-width only":    zwsp + zwsp + zwj,
		"BOM and filler":     bom + hangulFiller,
		"combining only":     combiningAcuteOnly,
		"right-to-left":      "Official " + rlo + "moor",
		"isolate":            lri + "admin" + pdi,
		"left-to-right mark": "admin\u200e",
		"ANSI escape":        sgrRed + "admin",
		"NUL":                "ad" + nul + "min",
		"newline":            "admin\nserver",
	}
	for name, text := range bad {
		body, _ := json.Marshal(map[string]string{"name": text})
		t.Run(name, func(t *testing.T) {
			problem(t, call(t, "POST", ts.URL+"/api/rooms", string(body)), 400, "name")
			problem(t, call(t, "POST", ts.URL+"/api/rooms/"+room.ID+"/join", string(body)), 400, "name")
			problem(t, call(t, "POST", ts.URL+"/api/matchmake", string(body)), 400, "name")
		})
	}
	for _, name := range []string{"Zoë", "東京 lounge", "👨" + zwj + "👩" + zwj + "👧", "می" + zwnj + "خواهم", "עברית"} {
		body, _ := json.Marshal(map[string]string{"name": name})
		r := createRoom(t, ts, string(body))
		if r.Name != name {
			t.Fatalf("room name %q, want %q", r.Name, name)
		}
		if seat := reserve(t, ts, r.ID, string(body)); seat.PlayerID == 0 {
			t.Fatalf("no seat for %q", name)
		}
	}
	t.Run("blank room name takes the default", func(t *testing.T) {
		if r := decode[directory.Room](t, call(t, "POST", ts.URL+"/api/rooms", `{"name":"  "}`), http.StatusCreated); r.Name != "room" {
			t.Fatalf("name %q, want the default", r.Name)
		}
	})
}

// TestAnnounceCleaned: an announcement is cleaned like chat; one with
// nothing visible left is refused naming text.
func TestAnnounceCleaned(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{AdminKey: "sesame"})
	room := createRoom(t, ts, `{}`)
	url := ts.URL + "/api/rooms/" + room.ID + "/announce"
	body, _ := json.Marshal(rest.Announce{Text: clearScreen + rlo + zwsp})
	problem(t, call(t, "POST", url, string(body), "Authorization", "Bearer sesame"), 400, "text")

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	alice := join(t, ctx, ts.URL, room.ID, "alice")
	body, _ = json.Marshal(rest.Announce{Text: sgrRed + "restart" + sgrReset + bel + " in " + rlo + "5" + pdf + " minutes"})
	got := decode[rest.Announced](t, call(t, "POST", url, string(body), "Authorization", "Bearer sesame"), http.StatusAccepted)
	if got.Text != "restart in 5 minutes" {
		t.Fatalf("announced %q", got.Text)
	}
	waitForText(t, ctx, alice, "restart in 5 minutes")
}
