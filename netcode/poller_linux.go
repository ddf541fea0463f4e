//go:build linux

package netcode

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// Poller lets idle sessions park no goroutine. A session that has gone
// quiet hands its socket to the Poller and its reader goroutine returns;
// when bytes (or a hang-up) arrive, the Poller starts a new reader. One
// goroutine (Run) serves every session, blocked in epoll_wait.
//
// It watches sockets with its own epoll instance, level-triggered and
// one-shot, next to the Go runtime's edge-triggered one: the runtime still
// does every read, the Poller only says when one is worth starting.
type Poller struct {
	epfd int // static
	wake int // eventfd that interrupts epoll_wait when Run's context ends

	mu     sync.Mutex
	slots  []pollSlot // indexed by the event's Fd field; guarded by mu
	free   []int32    // unused slot indexes
	closed bool       // Run has returned: arm fails from now on
}

// pollSlot is one registered session. gen tells a stale event (for a
// session that ended, its slot since reused) from a live one.
type pollSlot struct {
	gen uint32
	s   *Session
}

const wakeSlot = -1

// NewPoller creates a Poller; call Run to serve it.
func NewPoller() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("netcode: poller: %w", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("netcode: poller: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: wakeSlot}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wake)
		return nil, fmt.Errorf("netcode: poller: %w", err)
	}
	return &Poller{epfd: epfd, wake: wake}, nil
}

// Run waits for readiness and wakes sessions until ctx ends. Then it wakes
// every session it holds, which go back to reading on a goroutine of their
// own, and releases its descriptors.
func (p *Poller) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		unix.Write(p.wake, one[:])
	})
	defer stop()
	defer p.close()
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("netcode: poller: %w", err)
		}
		for _, ev := range events[:n] {
			if ev.Fd == wakeSlot {
				if ctx.Err() != nil {
					return nil
				}
				continue
			}
			if s := p.session(ev.Fd, uint32(ev.Pad)); s != nil {
				s.wake()
			}
		}
	}
}

func (p *Poller) session(slot int32, gen uint32) *Session {
	p.mu.Lock()
	defer p.mu.Unlock()
	if int(slot) >= len(p.slots) || p.slots[slot].gen != gen {
		return nil
	}
	return p.slots[slot].s
}

func (p *Poller) close() {
	p.mu.Lock()
	p.closed = true
	var held []*Session
	for _, sl := range p.slots {
		if sl.s != nil {
			held = append(held, sl.s)
		}
	}
	unix.Close(p.epfd)
	unix.Close(p.wake)
	p.mu.Unlock()
	for _, s := range held {
		s.wake()
	}
}

// arm asks for one wake-up when s's socket is readable or hangs up. It
// fails once the Poller has stopped, or when the socket is closed.
func (p *Poller) arm(s *Session) error {
	pc := s.pc
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errPollerStopped
	}
	op := unix.EPOLL_CTL_MOD
	if pc.slot < 0 {
		op = unix.EPOLL_CTL_ADD
		pc.slot = p.take(s)
	}
	ev := unix.EpollEvent{
		Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT,
		Fd:     pc.slot,
		Pad:    int32(p.slots[pc.slot].gen),
	}
	var cerr error
	err := pc.raw.Control(func(fd uintptr) { cerr = unix.EpollCtl(p.epfd, op, int(fd), &ev) })
	if err == nil {
		err = cerr
	}
	if err != nil && op == unix.EPOLL_CTL_ADD {
		p.release(pc.slot)
		pc.slot = -1
	}
	return err
}

func (p *Poller) take(s *Session) int32 {
	if n := len(p.free); n > 0 {
		i := p.free[n-1]
		p.free = p.free[:n-1]
		p.slots[i].s = s
		return i
	}
	p.slots = append(p.slots, pollSlot{s: s})
	return int32(len(p.slots) - 1)
}

func (p *Poller) release(i int32) {
	p.slots[i].gen++
	p.slots[i].s = nil
	p.free = append(p.free, i)
}

// remove forgets s. Its socket, if still open, stops being watched.
func (p *Poller) remove(s *Session) {
	pc := s.pc
	p.mu.Lock()
	defer p.mu.Unlock()
	if pc.slot < 0 {
		return
	}
	if !p.closed {
		pc.raw.Control(func(fd uintptr) { unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, int(fd), nil) })
		p.release(pc.slot)
	}
	pc.slot = -1
}

// Sessions is how many sessions the Poller holds: registered once and not
// yet ended, whether parked now or reading.
func (p *Poller) Sessions() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.slots) - len(p.free)
}
