//go:build unix

package node

import "syscall"

// fileLimit raises the process's soft limit on open descriptors to its hard
// limit, as servers commonly do (the Go runtime does too, at start, but
// says so nowhere a reader of this server would look), and returns it.
func fileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = raised.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err == nil {
			lim = raised
		}
	}
	return uint64(lim.Cur), nil
}
