//go:build !unix

package node

import "errors"

// fileLimit: this system has no descriptor limit to read.
func fileLimit() (uint64, error) { return 0, errors.New("no RLIMIT_NOFILE on this system") }
