// Package nettest is what the tests of tickroom's concurrent packages
// share: [CheckFor], the one polling wait, and [Main], the goroutine leak
// check every such package runs from TestMain.
package nettest

import (
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// CheckFor polls cond every 10 ms until it returns nil, failing the test
// with cond's last error once total has passed. Tests wait with it instead
// of sleeping for a guessed time.
func CheckFor(t testing.TB, total time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Main runs a package's tests and then fails the run if any goroutine is
// left that was not there before they started. It compares the sets of
// goroutines (goleak), not their count or their function names, and
// retries for a while for goroutines that are on their way out. Call it from TestMain:
//
//	func TestMain(m *testing.M) { nettest.Main(m) }
func Main(m *testing.M) {
	before := goleak.IgnoreCurrent()
	code := m.Run()
	if code == 0 {
		if err := leaked(before, 5*time.Second); err != nil {
			os.Stderr.WriteString("nettest: goroutines leaked by the tests:\n" + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

// leaked reports the goroutines not ignored by before that are still
// there after total (goleak.Find alone gives up after about half a second).
func leaked(before goleak.Option, total time.Duration) error {
	deadline := time.Now().Add(total)
	for {
		err := goleak.Find(before)
		if err == nil || time.Now().After(deadline) {
			return err
		}
	}
}

// Goroutines is a set of goroutines, taken by Current.
type Goroutines struct{ ignore goleak.Option }

// Current is the set of goroutines running now.
func Current() Goroutines { return Goroutines{goleak.IgnoreCurrent()} }

// CheckGone fails t if a goroutine that was not in g is still running after
// a few seconds: what a test started has stopped. Only for tests that do
// not run in parallel with others.
func (g Goroutines) CheckGone(t testing.TB) {
	t.Helper()
	if err := leaked(g.ignore, 5*time.Second); err != nil {
		t.Fatalf("goroutines left behind: %v", err)
	}
}
