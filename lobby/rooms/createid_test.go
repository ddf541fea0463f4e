package rooms

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tickroom/tickroom/lobby/directory"
)

// claimingDir is an in-memory directory that claims ids the way a
// cluster's does: Create takes claimFor to answer (the network), and
// refuses ids in taken (another node's rooms).
type claimingDir struct {
	*directory.Memory
	claimFor time.Duration

	mu      sync.Mutex
	taken   map[string]bool
	creates int
}

func (d *claimingDir) Create(ctx context.Context, room *directory.Room) error {
	select {
	case <-time.After(d.claimFor):
	case <-ctx.Done():
		return ctx.Err()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.taken[room.ID] {
		return directory.ErrExists
	}
	d.taken[room.ID] = true
	d.creates++
	return d.Put(ctx, room)
}

func newClaimingDir(claimFor time.Duration) *claimingDir {
	return &claimingDir{Memory: directory.NewMemory(), claimFor: claimFor, taken: map[string]bool{}}
}

// TestCreateIDIdempotent: a room created under a caller's id is created
// once however often, and however concurrently, the id is asked for: a
// request retried while the first is still claiming the id waits for it
// and gets the same room; so does one retried after the room started.
func TestCreateIDIdempotent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := newClaimingDir(100 * time.Millisecond)
		h := newHarness(t, Options{Directory: dir})
		const id = "3f1c2a9e-aaaa-4bbb-8ccc-0123456789ab"
		var wg sync.WaitGroup
		got := make([]*Room, 5)
		created := make([]bool, 5)
		for i := range got {
			wg.Go(func() {
				// Staggered inside the claim: each finds the first
				// still claiming.
				<-time.After(time.Duration(i) * 10 * time.Millisecond)
				r, c, err := h.mgr.CreateID(h.ctx, id, Config{Name: "first", MaxPlayers: 4})
				if err != nil {
					t.Errorf("create %d: %v", i, err)
					return
				}
				got[i], created[i] = r, c
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		n := 0
		for i, r := range got {
			if r != got[0] {
				t.Fatalf("create %d got another room", i)
			}
			if created[i] {
				n++
			}
		}
		if n != 1 || dir.creates != 1 || len(h.mgr.Rooms()) != 1 {
			t.Fatalf("%d creates say created, %d claims, %d rooms: want one of each", n, dir.creates, len(h.mgr.Rooms()))
		}
		if r := got[0]; r.ID() != id || r.Info().Name != "first" || r.Info().MaxPlayers != 4 {
			t.Fatalf("room %s %+v", r.ID(), r.Info())
		}
		// Much later, a retry with another config still gets the room.
		advance(5 * time.Second)
		r, c, err := h.mgr.CreateID(h.ctx, id, Config{Name: "second"})
		if err != nil || r != got[0] || c {
			t.Fatalf("retry after the room started: %v, %v, created %v", r, err, c)
		}
		if listed, err := dir.Get(h.ctx, id); err != nil || listed.Name != "first" {
			t.Fatalf("directory: %+v, %v", listed, err)
		}
	})
}

// TestCreateIDClaimRefused: an id that the directory says another node
// runs starts no room here, and the refusal is ErrExists; a claim that
// outlives its context starts none either.
func TestCreateIDClaimRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := newClaimingDir(10 * time.Millisecond)
		dir.taken["elsewhere"] = true
		h := newHarness(t, Options{Directory: dir})
		if _, _, err := h.mgr.CreateID(h.ctx, "elsewhere", Config{}); !errors.Is(err, ErrExists) || !errors.Is(err, directory.ErrExists) {
			t.Fatalf("id another node runs: %v, want ErrExists", err)
		}
		ctx, cancel := context.WithTimeout(h.ctx, 5*time.Millisecond)
		defer cancel()
		if _, _, err := h.mgr.CreateID(ctx, "late", Config{}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("claim past its deadline: %v", err)
		}
		synctest.Wait()
		if n := len(h.mgr.Rooms()); n != 0 {
			t.Fatalf("%d rooms started", n)
		}
		if _, err := h.mgr.Get("elsewhere"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("refused id: %v", err)
		}
		// The id is free again here: a later create claims it afresh.
		if r, c, err := h.mgr.CreateID(h.ctx, "late", Config{}); err != nil || !c || r.ID() != "late" {
			t.Fatalf("create after a failed claim: %v, %v, %v", r, c, err)
		}
	})
}

// TestCreateIDLimits: ids are checked; rooms being claimed count toward
// MaxRooms; a drain that comes during a claim starts no room and takes
// the claimed record back out of the directory.
func TestCreateIDLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := newClaimingDir(100 * time.Millisecond)
		h := newHarness(t, Options{Directory: dir, MaxRooms: 2})
		for _, bad := range []string{"", "has space", "a.b", string(make([]byte, MaxIDLen+1))} {
			var fe *FieldError
			if _, _, err := h.mgr.CreateID(h.ctx, bad, Config{}); !errors.As(err, &fe) || fe.Field != "id" {
				t.Errorf("id %q: %v, want a field error naming id", bad, err)
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i, id := range []string{"a", "b", "c"} {
			wg.Go(func() {
				<-time.After(time.Duration(i) * time.Millisecond)
				_, _, errs[i] = h.mgr.CreateID(h.ctx, id, Config{})
			})
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || !errors.Is(errs[2], ErrTooManyRooms) {
			t.Fatalf("three creates at MaxRooms 2, the third while two claim: %v", errs)
		}

		h2 := newHarness(t, Options{Directory: newClaimingDir(100 * time.Millisecond)})
		done := make(chan error, 1)
		go func() {
			_, _, err := h2.mgr.CreateID(h2.ctx, "drained", Config{})
			done <- err
		}()
		<-time.After(50 * time.Millisecond)
		h2.mgr.Drain()
		if err := <-done; !errors.Is(err, ErrShuttingDown) {
			t.Fatalf("drain during the claim: %v, want ErrShuttingDown", err)
		}
		if _, err := h2.mgr.Directory().Get(h2.ctx, "drained"); !errors.Is(err, directory.ErrNotFound) {
			t.Fatalf("the claimed record stays listed: %v", err)
		}
		if n := len(h2.mgr.Rooms()); n != 0 {
			t.Fatalf("%d rooms started", n)
		}
	})
}
