// Package netcode is the wire protocol (tickroom.v2): its messages, their
// MessagePack encoding and decoding, delta snapshots and the baselines a
// client keeps to rebuild them. It holds no socket code, so it builds on
// every platform and any transport can carry it; the server's WebSocket
// session is netcode/session and the Go client SDK is netcode/client.
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
// docs/protocol.md describes the format byte for byte; the golden vectors in
// testdata/vectors.json let a client in any language check itself.
package netcode
