package lobby_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode/client"
)

func TestJoinContract(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{})
	room := createRoom(t, ts, `{"max_players":1}`)
	full := createRoom(t, ts, `{"max_players":1}`)
	reserve(t, ts, full.ID, `{"name":"first"}`)
	cases := []struct {
		name, room, body string
		status           int
		field            string
	}{
		{"malformed JSON", room.ID, `{"name":`, 400, "body"},
		{"unknown field", room.ID, `{"name":"x","team":"red"}`, 400, "team"},
		{"wrong type", room.ID, `{"name":7}`, 400, "name"},
		{"wrong type join code", room.ID, `{"name":"x","join_code":1234}`, 400, "join_code"},
		{"no name", room.ID, `{}`, 400, "name"},
		{"blank name", room.ID, `{"name":" \t "}`, 400, "name"},
		{"name too long", room.ID, `{"name":"` + strings.Repeat("n", 25) + `"}`, 400, "name"},
		{"oversized", room.ID, `{"name":"` + strings.Repeat("n", 20<<10) + `"}`, 413, "body"},
		{"unknown room", "no-such-room", `{"name":"x"}`, 404, ""},
		{"full room", full.ID, `{"name":"x"}`, 409, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			problem(t, call(t, "POST", ts.URL+"/api/rooms/"+tc.room+"/join", tc.body), tc.status, tc.field)
		})
	}
	t.Run("ok", func(t *testing.T) {
		seat := reserve(t, ts, room.ID, `{"name":"ok"}`)
		if seat.RoomID != room.ID || seat.PlayerID == 0 || seat.Token == "" || !strings.HasPrefix(seat.WSURL, "ws://") ||
			time.Until(seat.ExpiresAt) <= 0 || time.Until(seat.ExpiresAt) > 16*time.Second {
			t.Fatalf("seat: %+v", seat)
		}
	})
}

// dialRefused dials wsURL and wants the upgrade refused with status.
func dialRefused(t *testing.T, wsURL string, status int) {
	t.Helper()
	c, err := client.Dial(t.Context(), wsURL, nil)
	if err == nil {
		c.CloseNow()
		t.Fatalf("dial %s: accepted, want %d", wsURL, status)
	}
	var ae *rest.Problem
	if !errors.As(err, &ae) || ae.Status != status {
		t.Fatalf("dial: %v, want status %d", err, status)
	}
	if status == http.StatusUnauthorized && ae.Field != "token" {
		t.Fatalf("refusal names %q, want token", ae.Field)
	}
}

func TestSeatTokens(t *testing.T) {
	t.Parallel()
	key := []byte("seat token test key")
	ts := startServer(t, rooms.Options{TokenKey: key, ReservationTTL: 200 * time.Millisecond}, lobby.APIOptions{})
	roomA := createRoom(t, ts, `{"name":"a","max_players":1}`)
	roomB := createRoom(t, ts, `{"name":"b","max_players":2}`)
	wsBase := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"

	t.Run("missing and malformed", func(t *testing.T) {
		dialRefused(t, wsBase, 401)
		dialRefused(t, wsBase+"?token=garbage", 401)
		dialRefused(t, wsBase+"?token=eyJrIjoiam9pbiJ9.AAAA", 401)
	})
	t.Run("expired signature", func(t *testing.T) {
		tok := rooms.NewTokens(key, nil).Sign(rooms.Claims{Kind: rooms.TokenJoin, RoomID: roomB.ID, PlayerID: 1, Nonce: 1,
			Expires: time.Now().Add(-time.Minute).Unix()})
		dialRefused(t, wsBase+"?token="+tok, 401)
	})
	t.Run("reservation expires and frees the seat", func(t *testing.T) {
		seat := reserve(t, ts, roomA.ID, `{"name":"slow"}`)
		problem(t, call(t, "POST", ts.URL+"/api/rooms/"+roomA.ID+"/join", `{"name":"second"}`), 409, "")
		checkFor(t, 5*time.Second, func() error {
			if r := roomInfo(t, ts, roomA.ID); r.Reserved != 0 {
				return fmt.Errorf("reserved %d after the TTL", r.Reserved)
			}
			return nil
		})
		dialRefused(t, seat.WSURL, 401)
		reserve(t, ts, roomA.ID, `{"name":"second"}`) // the freed seat
	})
	t.Run("token for another room", func(t *testing.T) {
		seat := reserve(t, ts, roomB.ID, `{"name":"b1"}`)
		dialRefused(t, seat.WSURL+"&room="+roomA.ID, 401)
		// The same seat's claims, signed for room A with the real key:
		// room A has no such seat to spend it on.
		var c rooms.Claims
		payload, _, _ := strings.Cut(seat.Token, ".")
		b, _ := base64.RawURLEncoding.DecodeString(payload)
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		c.RoomID = roomA.ID
		dialRefused(t, wsBase+"?token="+rooms.NewTokens(key, nil).Sign(c), 401)
		// Tampered without the key: the signature no longer matches.
		tampered := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(b), roomB.ID, roomA.ID, 1)))
		dialRefused(t, wsBase+"?token="+tampered+"."+strings.SplitN(seat.Token, ".", 2)[1], 401)
		// None of that spent the token: it still opens its own room.
		c1, err := client.Dial(t.Context(), seat.WSURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c1.CloseNow()
		if c1.Welcome().RoomID != roomB.ID {
			t.Fatalf("welcome for room %s", c1.Welcome().RoomID)
		}
		t.Run("reused", func(t *testing.T) {
			dialRefused(t, seat.WSURL, 401)
		})
	})
}

func roomInfo(t *testing.T, ts *testServer, id string) rest.RoomDetail {
	t.Helper()
	return decode[rest.RoomDetail](t, call(t, "GET", ts.URL+"/api/rooms/"+id, ""), http.StatusOK)
}

// TestConcurrentJoins: reserved seats count toward capacity, so 50 clients'
// joins racing for a 4-seat room get exactly 4 seats.
func TestConcurrentJoins(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	room := createRoom(t, ts, `{"max_players":4}`)
	statuses := make(chan int, 50)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 50 {
		wg.Go(func() {
			<-start
			a, err := send(t.Context(), "POST", ts.URL+"/api/rooms/"+room.ID+"/join", fmt.Sprintf(`{"name":"p%d"}`, i),
				"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
			if err != nil {
				t.Error(err)
			}
			statuses <- a.status
		})
	}
	close(start)
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[200] != 4 || count[409] != 46 {
		t.Fatalf("answers %v, want 4 × 200 and 46 × 409", count)
	}
	if r := roomInfo(t, ts, room.ID); r.Reserved != 4 {
		t.Fatalf("reserved %d, want 4", r.Reserved)
	}
}

// TestChatHistoryOnJoin: a player joining gets the room's earlier chat and
// announcements.
func TestChatHistoryOnJoin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{AdminKey: "k"})
	room := createRoom(t, ts, `{}`)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	alice := join(t, ctx, ts.URL, room.ID, "alice")
	if err := alice.Chat(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	call(t, "POST", ts.URL+"/api/rooms/"+room.ID+"/announce", `{"text":"welcome"}`, "Authorization", "Bearer k")
	waitForText(t, ctx, alice, "welcome")
	bob := join(t, ctx, ts.URL, room.ID, "bob")
	waitForText(t, ctx, bob, "hello")
}
