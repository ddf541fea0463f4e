package client

import "net/http"

// Options configures a Client. The zero value is usable.
type Options struct {
	// HTTPClient makes the REST calls and the WebSocket handshake.
	// Default http.DefaultClient.
	HTTPClient *http.Client
	// JoinCode opens private rooms.
	JoinCode string
	// Header is sent with the WebSocket handshake (for example Origin).
	Header http.Header
	// SkipEntities makes Read report snapshots without decoding their
	// entities: the Update has Type, Bytes and Tick but no Entities or
	// AckSeq. For clients that never look at the world, such as idle
	// load-test bots. Default false (snapshots are decoded in full).
	SkipEntities bool
}

func (o *Options) skipEntities() bool { return o != nil && o.SkipEntities }

func (o *Options) httpClient() *http.Client {
	if o != nil && o.HTTPClient != nil {
		return o.HTTPClient
	}
	return http.DefaultClient
}

func (o *Options) joinCode() string {
	if o == nil {
		return ""
	}
	return o.JoinCode
}
