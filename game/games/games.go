// Package games lists the games that ship in the tickroom binary, the
// default first. The server (cmd/tickroom) and tickbot take them from
// here; a program built on tickroom as a library passes its own.
package games

import (
	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/game/blobs"
)

// Builtin returns the built-in games: the arena first (the default game),
// then blobs.
func Builtin() []game.Definition {
	return []game.Definition{arena.Definition(), blobs.Definition()}
}

// Find returns the game named name among defs, or false.
func Find(defs []game.Definition, name string) (game.Definition, bool) {
	for _, d := range defs {
		if d.Name == name {
			return d, true
		}
	}
	return game.Definition{}, false
}
