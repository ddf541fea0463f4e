package lobby_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode/client"
)

func TestCapsGiveClearErrors(t *testing.T) {
	ts := startServer(t, rooms.Options{MaxRooms: 1}, lobby.APIOptions{Limits: lobby.Limits{MaxConnsPerIP: 2}})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	room, err := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{MaxPlayers: new(8)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.CreateRoom(ctx, ts.URL, rest.CreateRoom{}, nil)
	var apiErr *rest.Problem
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusServiceUnavailable {
		t.Fatalf("room over -max-rooms: %v, want 503", err)
	}
	join(t, ctx, ts.URL, room.ID, "one")
	join(t, ctx, ts.URL, room.ID, "two")
	_, err = client.JoinRoom(ctx, ts.URL, room.ID, "three", nil)
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests || apiErr.Field != "connection" {
		t.Fatalf("third connection from one address: %v, want 429 naming the connection", err)
	}
}

func TestIdleRoomCloses(t *testing.T) {
	ts := startServer(t, rooms.Options{IdleTimeout: 300 * time.Millisecond, ReservationTTL: 200 * time.Millisecond}, lobby.APIOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	room, err := client.CreateRoom(ctx, ts.URL, rest.CreateRoom{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A reservation that is never used expires, then the empty room closes.
	if _, err := client.Reserve(ctx, ts.URL, room.ID, "ghost", nil); err != nil {
		t.Fatal(err)
	}
	r, err := ts.mgr.Get(room.ID)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.Done():
	case <-ctx.Done():
		t.Fatal("idle room never closed")
	}
	checkFor(t, time.Second, func() error {
		if _, err := ts.mgr.Get(room.ID); !errors.Is(err, rooms.ErrNotFound) {
			return errors.New("closed room still known to the manager")
		}
		return nil
	})
}
