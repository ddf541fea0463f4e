package lobby

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestLiveSessions(t *testing.T) {
	var l liveSessions
	if err := l.wait(context.Background()); err != nil {
		t.Fatalf("wait with none live: %v", err)
	}
	l.add()
	waited := make(chan error, 1)
	go func() { waited <- l.wait(context.Background()) }()
	l.add() // a session that connects while shutdown waits is waited for too
	l.done()
	select {
	case err := <-waited:
		t.Fatalf("wait returned (%v) with a session live", err)
	case <-time.After(20 * time.Millisecond):
	}
	l.done()
	if err := <-waited; err != nil {
		t.Fatalf("wait: %v", err)
	}
	l.add()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := l.wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait with a session live and an ended context: %v", err)
	}
	l.done()

	// From and back to zero, over and over, while others wait: the race
	// detector checks the rest.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				l.add()
				l.done()
			}
		})
		wg.Go(func() {
			for range 50 {
				l.wait(context.Background())
			}
		})
	}
	wg.Wait()
	if l.n != 0 {
		t.Fatalf("%d live after balanced adds and dones", l.n)
	}
}
