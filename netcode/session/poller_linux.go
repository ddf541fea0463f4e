//go:build linux

package session

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Poller lets idle sessions park no goroutine. A session that has gone
// quiet hands its socket to the Poller and its reader goroutine returns;
// when bytes (or a hang-up) arrive, the Poller starts a new reader. One
// goroutine (Run) serves every session.
//
// It watches sockets with an epoll instance of its own, level-triggered and
// one-shot, next to the Go runtime's edge-triggered one: the runtime still
// does every read, the Poller only says when one is worth starting. The
// epoll descriptor is itself in the runtime's poller, so Run parks like any
// goroutine waiting for a socket instead of holding a thread in
// epoll_wait (which, on one core, delays every other goroutine's wake-ups).
type Poller struct {
	epfd int      // static
	file *os.File // epfd, for the runtime's poller; closing it stops Run
	raw  syscall.RawConn

	parked atomic.Int64 // sessions parked now, holding no goroutine

	mu     sync.Mutex
	slots  []pollSlot // indexed by the event's Fd field; guarded by mu
	free   []int32    // unused slot indexes
	closed bool       // Run has returned: arm fails from now on

	// epoll_ctl's arguments and result, and the callback that passes them
	// (made once, so that arming allocates nothing); guarded by mu
	ctlOp  int
	ctlEv  unix.EpollEvent
	ctlErr error
	ctlFn  func(fd uintptr)
}

// pollSlot is one registered session. gen tells a stale event (for a
// session that ended, its slot since reused) from a live one.
type pollSlot struct {
	gen uint32
	s   *Session
}

// NewPoller creates a Poller; call Run to serve it.
func NewPoller() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("session: poller: %w", err)
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("session: poller: %w", err)
	}
	file := os.NewFile(uintptr(epfd), "tickroom-poller")
	raw, err := file.SyscallConn()
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("session: poller: %w", err)
	}
	p := &Poller{epfd: epfd, file: file, raw: raw}
	p.ctlFn = p.ctl
	return p, nil
}

func (p *Poller) ctl(fd uintptr) { p.ctlErr = unix.EpollCtl(p.epfd, p.ctlOp, int(fd), &p.ctlEv) }

// Run waits for readiness and wakes sessions until ctx ends. Then it wakes
// every session it holds, which go back to reading on a goroutine of their
// own, and releases its descriptor.
func (p *Poller) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { p.file.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	defer p.close()
	events := make([]unix.EpollEvent, 256)
	var n int
	var werr error
	wait := func(fd uintptr) bool {
		n, werr = unix.EpollWait(int(fd), events, 0)
		return n > 0 || (werr != nil && werr != unix.EINTR)
	}
	for {
		err := p.raw.Read(wait)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			err = werr
		}
		if err != nil {
			return fmt.Errorf("session: poller: %w", err)
		}
		for _, ev := range events[:n] {
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
	p.file.Close()
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
	p.ctlOp = unix.EPOLL_CTL_MOD
	if pc.slot < 0 {
		p.ctlOp = unix.EPOLL_CTL_ADD
		pc.slot = p.take(s)
	}
	p.ctlEv = unix.EpollEvent{
		Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT,
		Fd:     pc.slot,
		Pad:    int32(p.slots[pc.slot].gen),
	}
	err := pc.raw.Control(p.ctlFn)
	if err == nil {
		err = p.ctlErr
	}
	if err != nil && p.ctlOp == unix.EPOLL_CTL_ADD {
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
		p.ctlOp = unix.EPOLL_CTL_DEL
		pc.raw.Control(p.ctlFn)
		p.release(pc.slot)
	}
	pc.slot = -1
}

// Parked is how many sessions are parked now: connected, quiet, and
// holding no goroutine.
func (p *Poller) Parked() int { return int(p.parked.Load()) }

// Sessions is how many sessions the Poller holds: registered once and not
// yet ended, whether parked now or reading.
func (p *Poller) Sessions() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.slots) - len(p.free)
}
