// Package client is the Go SDK for tickroom: the lobby's REST calls
// ([CreateRoom], [ListRooms], [Reserve], [QuickPlay]) and a player's
// connection to a room ([JoinRoom], [Dial]): inputs out, full world state
// in, rebuilt from the server's delta snapshots, with the room's clock
// estimated from pings and a [Client.Reconnect] that resumes the seat and
// the events missed.
//
// Errors from the lobby are *rest.Problem (match with errors.As); a
// connection that closes reports its close code through [CloseStatus].
package client
