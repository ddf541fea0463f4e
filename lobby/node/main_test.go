package node

import (
	"testing"

	"github.com/tickroom/tickroom/game/games"
	"github.com/tickroom/tickroom/netcode/nettest"
)

// builtin runs the server as cmd/tickroom does.
var builtin = Options{Games: games.Builtin()}

// TestMain fails the run if the tests leave a goroutine behind.
func TestMain(m *testing.M) { nettest.Main(m) }
