// Package session is the server side of a tickroom WebSocket connection:
// [Accept] upgrades a request to a [Session], which decodes the client's
// frames into an inbox for its room, answers pings, and writes the room's
// frames, always the newest snapshot and never a backlog of them. A
// [Keepalive] pings every session from one goroutine.
//
// A session reads on a goroutine only while its client is sending. With a
// [Poller] (Linux epoll), a quiet connection waits on one shared poller and
// pins no goroutine at all; elsewhere, and without a Poller, each session
// keeps a reader goroutine. docs/architecture.md gives the trade-off.
package session
