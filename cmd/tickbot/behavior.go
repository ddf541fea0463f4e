package main

import (
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/tickroom/tickroom/game"
)

// behavior is what a bot does: one of the generic ones, which work from the
// schema alone, or a game's own bot (game.Definition.Bots), such as the
// arena's fighter.
type behavior struct {
	name  string
	brain game.NewBot // nil for the generic behaviours
}

// The generic behaviours.
const (
	idle   = "idle"   // connects, reads and pings; sends no input
	wander = "wander" // random values of the schema's inputs, changed now and then
	chatty = "chatty" // wanders and says something every few seconds
	mixed  = "mixed"  // of every eight bots: four play the game's bot, two wander, one chats, one idles
	play   = "play"   // the game's own bot (its first, by name)
)

var generic = []string{idle, wander, chatty, mixed, play}

// behaviorNames lists what -behavior accepts for def.
func behaviorNames(def game.Definition) []string {
	names := slices.Clone(generic)
	return append(names, gameBots(def)...)
}

// gameBots are def's own bots, by name.
func gameBots(def game.Definition) []string {
	var names []string
	for name := range def.Bots {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// behaviorOf returns the behaviour of bot n for the -behavior flag.
func behaviorOf(flag string, def game.Definition, n int) behavior {
	bots := gameBots(def)
	own := func() behavior {
		if len(bots) == 0 {
			return behavior{name: wander}
		}
		return behavior{name: bots[0], brain: def.Bots[bots[0]]}
	}
	switch flag {
	case idle, wander, chatty:
		return behavior{name: flag}
	case play:
		return own()
	case mixed:
		switch n % 8 {
		case 0, 2, 4, 6:
			return own()
		case 1, 5:
			return behavior{name: wander}
		case 3:
			return behavior{name: chatty}
		}
		return behavior{name: idle}
	}
	return behavior{name: flag, brain: def.Bots[flag]}
}

// thinks reports whether the behaviour reads the world (so its bot
// decodes every snapshot in full).
func (b behavior) thinks() bool { return b.brain != nil }

// intent is the input a thinking bot's reader chose, for its room's sender
// to send at the next tick.
type intent struct {
	mu sync.Mutex
	in game.Input
}

func (i *intent) set(in game.Input) {
	i.mu.Lock()
	i.in = in
	i.mu.Unlock()
}

func (i *intent) get() game.Input {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.in
}

// walker is the state of a wandering bot. Owned by its room's sender.
type walker struct {
	in       game.Input
	turnAt   time.Time
	nextChat time.Time
}

// walk returns the wanderer's input: every 0.7–2.5 s, a new random value of
// each input field within its range (buttons released).
func (w *walker) walk(rng *rand.Rand, fields []game.InputField, now time.Time) game.Input {
	if now.After(w.turnAt) {
		w.in = game.Input{}
		for i, f := range fields {
			if !f.Buttons {
				w.in.V[i] = f.Min + int32(rng.Int64N(int64(f.Max)-int64(f.Min)+1))
			}
		}
		w.turnAt = now.Add(700*time.Millisecond + durN(rng, 1800*time.Millisecond))
	}
	return w.in
}

// coarse rounds each wide input field (more than 256 values; buttons
// excepted) to the nearest 1/256 of its range, so that with
// -input-on-change a bot that tracks a moving target does not change its
// input every tick: the arena's aim goes in steps of 1/256 turn (1.4°).
func coarse(in game.Input, fields []game.InputField) game.Input {
	for i, f := range fields {
		span := int64(f.Max) - int64(f.Min) + 1
		if f.Buttons || span <= 256 {
			continue
		}
		step := span / 256
		v := (int64(in.V[i])-int64(f.Min)+step/2)/step*step + int64(f.Min)
		in.V[i] = int32(min(v, int64(f.Max)))
	}
	return in
}

// chatLines are what chatty bots say.
var chatLines = [...]string{"gg", "hi all", "nice one", "over here!", "brb", "lag?", "glhf", "one more round"}

// durN returns a random duration in [0, d).
func durN(rng *rand.Rand, d time.Duration) time.Duration {
	return time.Duration(rng.Int64N(int64(max(d, 1))))
}
