//go:build linux

package session

import "syscall"

// The descriptor reads behind a parked session's probe and peek; the
// Poller, and so parking, exists only on Linux.

func (c *pollConn) readFd(fd uintptr) {
	for {
		c.ioN, c.ioErr = syscall.Read(int(fd), c.ioBuf)
		if c.ioErr != syscall.EINTR {
			return
		}
	}
}

func (c *pollConn) peekFd(fd uintptr) {
	for {
		c.ioN, _, c.ioErr = syscall.Recvfrom(int(fd), c.peekBuf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		if c.ioErr != syscall.EINTR {
			return
		}
	}
}

// wouldBlock reports a non-blocking read that found nothing to read.
func wouldBlock(err error) bool { return err == syscall.EAGAIN }
