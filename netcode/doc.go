// Package netcode owns the wire protocol (tickroom.v1), snapshot delta
// encoding, the WebSocket session and the Go client SDK.
//
// Every WebSocket frame is one binary MessagePack array whose first element
// is a MsgType. Encoders append to a caller's buffer and allocate nothing in
// steady state ([AppendInput], [AppendSnapshot], ...); decoders validate
// every length, range and string before they trust it, and every decode
// error wraps [ErrMalformed] ([DecodeClient], [DecodeServer]).
//
// Snapshots are deltas: each names the baseline tick it was encoded against
// (0 for a full snapshot), and a client keeps recent states in a [Baselines]
// to rebuild the full world from them.
//
// On the server, [AcceptSession] upgrades a request to a [Session], which
// reads on a goroutine only while its client is sending: with a [Poller],
// a quiet connection waits on one shared epoll instance and pins no
// goroutine.
//
// docs/protocol.md describes the format byte for byte; the golden vectors in
// testdata/vectors.json let a client in any language check itself.
package netcode
