//go:build !linux

package session

import (
	"context"
	"errors"
	"sync/atomic"
)

// Poller lets idle sessions park no goroutine. It needs epoll, so on this
// system NewPoller fails and sessions read on a goroutine of their own.
type Poller struct{ parked atomic.Int64 }

// NewPoller reports that this system has no Poller.
func NewPoller() (*Poller, error) {
	return nil, errors.New("session: poller: needs Linux epoll")
}

// Run returns at once.
func (p *Poller) Run(ctx context.Context) error { return nil }

func (p *Poller) arm(s *Session) error { return errPollerStopped }

func (p *Poller) remove(s *Session) {}

// Sessions is always 0.
func (p *Poller) Sessions() int { return 0 }

// Parked is always 0.
func (p *Poller) Parked() int { return 0 }
