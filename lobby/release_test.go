package lobby_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/rooms"
	"github.com/tickroom/tickroom/netcode/client"
)

// TestMemoryReturnedAfterDrop: when most WebSockets close at once, the
// server returns memory to the OS (debug.FreeOSMemory) once, after the
// drop settles, and counts it on /metrics.
func TestMemoryReturnedAfterDrop(t *testing.T) {
	reg := prometheus.NewRegistry()
	metrics := lobby.NewMetrics(reg)
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{Metrics: metrics,
		MemoryRelease: lobby.MemoryRelease{MinSessions: 16, Settle: 50 * time.Millisecond, Again: -1}})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	room := createRoom(t, ts, `{"max_players":32}`)
	var players []*client.Client
	for i := range 24 {
		players = append(players, join(t, ctx, ts.URL, room.ID, fmt.Sprintf("p%d", i)))
	}
	released := func() float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "tickroom_memory_releases_total" {
				return mf.GetMetric()[0].GetCounter().GetValue()
			}
		}
		t.Fatal("no tickroom_memory_releases_total")
		return 0
	}
	if n := released(); n != 0 {
		t.Fatalf("%v releases with everyone connected", n)
	}
	for _, p := range players[:20] {
		p.CloseNow()
	}
	checkFor(t, 10*time.Second, func() error {
		if n := released(); n != 1 {
			return fmt.Errorf("%v memory releases after 20 of 24 sessions ended, want 1", n)
		}
		return nil
	})
	for _, p := range players[20:] {
		p.CloseNow()
	}
}
