//go:build !linux

package session

import "errors"

// Without the Poller a session never parks, so it never probes or peeks:
// these exist only so pollConn compiles everywhere.

var errNoPoll = errors.New("session: no Poller on this system")

func (c *pollConn) readFd(fd uintptr) { c.ioN, c.ioErr = 0, errNoPoll }

func (c *pollConn) peekFd(fd uintptr) { c.ioN, c.ioErr = 0, errNoPoll }

func wouldBlock(err error) bool { return false }
