package main

import (
	"testing"

	"github.com/tickroom/tickroom/netcode/nettest"
)

// TestMain fails the run if the tests leave a goroutine behind.
func TestMain(m *testing.M) { nettest.Main(m) }
