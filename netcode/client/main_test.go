package client

import (
	"testing"

	"github.com/tickroom/tickroom/netcode/nettest"
)

func TestMain(m *testing.M) { nettest.Main(m) }
