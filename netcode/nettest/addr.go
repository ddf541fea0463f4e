package nettest

import (
	"net"
	"testing"
)

// FreeAddr returns a loopback address with a port nothing listens on, for
// a server a test starts with an -addr flag.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
