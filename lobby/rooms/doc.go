// Package rooms is the room runtime: a [Manager] that creates, finds and
// closes this node's rooms, and each [Room], one goroutine that owns its
// game and its seats and ticks at a fixed rate. Everything else talks to a
// room through bounded queues: requests answered between ticks (Reserve,
// Claim, Attach, Presence), and each player's [Conn].
//
// Per tick a room drains its players' inputs, steps the game, sends the
// tick's events once to everyone and each player a delta snapshot of what
// it can see, encoded against the last snapshot its connection wrote. The
// room publishes its record to a directory.Directory whenever it changes.
//
// The runtime knows nothing of HTTP: the lobby package serves the API and
// turns these errors into problems, netcode/session provides the Conns,
// and Metrics reach Prometheus through a small interface.
package rooms
