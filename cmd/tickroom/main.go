// Command tickroom is the tickroom game server with its built-in games
// (the arena and blobs): the lobby API, the WebSocket endpoint and the
// browser client in one binary. It is lobby/node's entry point with
// games.Builtin(); docs/games.md shows a main of one's own.
//
//	go run ./cmd/tickroom            # serves :8080 with a default room
//	go run ./cmd/tickroom -help      # every flag (each has a TICKROOM_* env fallback)
package main

import (
	"os"

	"github.com/tickroom/tickroom/game/games"
	"github.com/tickroom/tickroom/lobby/node"
)

func main() { os.Exit(node.Main(options())) }

func options() node.Options { return node.Options{Games: games.Builtin()} }
