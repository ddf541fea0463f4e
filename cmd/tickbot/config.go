package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/game/games"
	"github.com/tickroom/tickroom/lobby/flagenv"
)

// config is everything tickbot can be told. Every flag has an environment
// fallback named TICKBOT_<FLAG> (dashes become underscores).
type config struct {
	Server        string
	Rooms         int
	Room          string
	BotsPerRoom   int
	Game          string
	Behavior      string
	Duration      time.Duration
	Ramp          time.Duration
	InputHz       int
	TickRate      int
	SendRate      int
	JSON          bool
	MinDelivered  float64
	ExpectHz      float64
	OnChange      bool
	Keepalive     time.Duration
	PingEvery     time.Duration
	Quiet         bool
	Seed          uint64
	CPUProfile    string
	JoinsInFlight int
	Rejoin        bool
}

func defaultConfig() config {
	return config{
		Server:        "http://127.0.0.1:8080",
		Rooms:         1,
		BotsPerRoom:   8,
		Game:          arena.Name,
		Behavior:      play,
		Duration:      30 * time.Second,
		InputHz:       30,
		TickRate:      30,
		Keepalive:     time.Second,
		PingEvery:     time.Second,
		Seed:          1,
		JoinsInFlight: 4,
	}
}

// parseConfig reads flags from args, falling back to getenv for any flag
// not given on the command line.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	c := defaultConfig()
	fs := flag.NewFlagSet("tickbot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "tickbot: a swarm of headless players and a load generator for tickroom.\n\n")
		fmt.Fprintf(stderr, "usage: tickbot [flags]   (every flag has a TICKBOT_<FLAG> environment fallback)\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.Server, "server", c.Server, "lobby URL of the tickroom server")
	fs.IntVar(&c.Rooms, "rooms", c.Rooms, "rooms to create through the REST API (ignored with -room)")
	fs.StringVar(&c.Room, "room", c.Room, "join this existing room instead of creating rooms")
	fs.IntVar(&c.BotsPerRoom, "bots-per-room", c.BotsPerRoom, "bots in each room")
	fs.StringVar(&c.Game, "game", c.Game, "the game of the rooms tickbot creates (and whose bots play): any game the server lists at GET /api/games; tickbot knows the own bots of "+strings.Join(gameNames(), ", ")+", and plays any other with the generic behaviours")
	fs.StringVar(&c.Behavior, "behavior", c.Behavior, "what bots do: "+strings.Join(generic, ", ")+", or a game's own bot ("+strings.Join(allBots(), ", ")+")")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "how long to run, ramp included (0: until interrupted)")
	fs.DurationVar(&c.Ramp, "ramp", c.Ramp, "spread the connects evenly over this long")
	fs.IntVar(&c.InputHz, "input-hz", c.InputHz, "inputs each moving bot sends per second")
	fs.IntVar(&c.TickRate, "tick-rate", c.TickRate, "tick rate of the rooms tickbot creates, 10..60 Hz")
	fs.IntVar(&c.SendRate, "send-rate", c.SendRate, "snapshots per second in the rooms tickbot creates; divides -tick-rate (0: every tick)")
	fs.BoolVar(&c.JSON, "json", c.JSON, "print the summary as one JSON object on stdout")
	fs.Float64Var(&c.MinDelivered, "min-delivered", c.MinDelivered, "exit with status 3 when the delivered ratio is below this")
	fs.Float64Var(&c.ExpectHz, "expect-hz", c.ExpectHz, "snapshots per second a bot should receive (0: the room's send rate)")
	fs.BoolVar(&c.Rejoin, "rejoin", c.Rejoin, "when a bot's connection ends before the run does (its room closed, its node died), it quick-plays -game again: in a cluster it lands on any node")
	fs.BoolVar(&c.OnChange, "input-on-change", c.OnChange, "send an input only when it changed, plus one per -keepalive")
	fs.DurationVar(&c.Keepalive, "keepalive", c.Keepalive, "with -input-on-change, the longest time between two inputs")
	fs.DurationVar(&c.PingEvery, "ping-every", c.PingEvery, "how often each bot pings to measure its round trip")
	fs.BoolVar(&c.Quiet, "quiet", c.Quiet, "no live status line")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the bots' random choices")
	fs.StringVar(&c.CPUProfile, "cpuprofile", c.CPUProfile, "write tickbot's own CPU profile to this file")
	fs.IntVar(&c.JoinsInFlight, "joins-in-flight", c.JoinsInFlight, "joins (reservation and WebSocket) at once; a default tickroom lets one client hold 4 seats reserved but not yet connected (-pending-per-client), and tickbot waits out a 429")
	if err := flagenv.Parse(fs, args, "TICKBOT", getenv); err != nil {
		return c, err
	}
	return c, c.validate()
}

func (c config) validate() error {
	switch {
	case c.Server == "":
		return errors.New("-server: required")
	case c.Room == "" && c.Rooms < 1:
		return fmt.Errorf("-rooms: %d is not positive", c.Rooms)
	case c.BotsPerRoom < 1:
		return fmt.Errorf("-bots-per-room: %d is not positive", c.BotsPerRoom)
	case !validGameName(c.Game):
		return fmt.Errorf("-game: %q is not a game name (1 to 32 of a-z, 0-9, '-' and '_'); the server lists its games at GET /api/games", c.Game)
	case !slices.Contains(behaviorNames(c.def()), c.Behavior):
		return fmt.Errorf("-behavior: %q is not one of %s for %s", c.Behavior, strings.Join(behaviorNames(c.def()), ", "), c.Game)
	case c.Duration < 0 || c.Ramp < 0:
		return errors.New("-duration and -ramp must not be negative")
	case c.Duration > 0 && c.Ramp >= c.Duration:
		return fmt.Errorf("-ramp %v must be shorter than -duration %v", c.Ramp, c.Duration)
	case c.InputHz < 1 || c.InputHz > 120:
		return fmt.Errorf("-input-hz: %d is not within 1..120", c.InputHz)
	case c.TickRate < 10 || c.TickRate > 60:
		return fmt.Errorf("-tick-rate: %d is not within 10..60", c.TickRate)
	case c.SendRate < 0 || (c.SendRate > 0 && c.TickRate%c.SendRate != 0):
		return fmt.Errorf("-send-rate: %d does not divide -tick-rate %d", c.SendRate, c.TickRate)
	case c.ExpectHz < 0:
		return fmt.Errorf("-expect-hz: %v is negative", c.ExpectHz)
	case c.JoinsInFlight < 1:
		return fmt.Errorf("-joins-in-flight: %d is not positive", c.JoinsInFlight)
	case c.Keepalive <= 0 || c.PingEvery <= 0:
		return errors.New("-keepalive and -ping-every must be positive")
	}
	return nil
}

// bots is how many bots the run starts.
func (c config) bots() int {
	if c.Room != "" {
		return c.BotsPerRoom
	}
	return c.Rooms * c.BotsPerRoom
}

// validGameName: the lobby's rule for a game's name. Whether the server
// runs the game, the lobby says when tickbot creates a room of it.
func validGameName(name string) bool {
	return len(name) <= 32 && name != "" && strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") == ""
}

// def is the -game's definition when it is a built-in game, whose own bots
// tickbot can run; zero for any other game, played by generic behaviours.
func (c config) def() game.Definition {
	d, _ := games.Find(games.Builtin(), c.Game)
	return d
}

func gameNames() []string {
	var names []string
	for _, d := range games.Builtin() {
		names = append(names, d.Name)
	}
	return names
}

// allBots lists every built-in game's own bots as game:bot.
func allBots() []string {
	var out []string
	for _, d := range games.Builtin() {
		for _, b := range gameBots(d) {
			out = append(out, d.Name+": "+b)
		}
	}
	return out
}
