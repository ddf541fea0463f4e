package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
)

// The lobby's REST calls, with the lobby's own request and answer types
// (lobby/rest). A refusal comes back as a *rest.Problem: match it with
// errors.As and read its Status, Type and Field.

// CreateRoom creates a room through the lobby API at server
// (http://host:port).
func CreateRoom(ctx context.Context, server string, spec rest.CreateRoom, opts *Options) (*directory.Room, error) {
	var room directory.Room
	err := callAPI(ctx, opts, http.MethodPost, apiURL(server, "/api/rooms"), spec, &room)
	return &room, err
}

// Games lists the games the server runs, with their modes.
func Games(ctx context.Context, server string, opts *Options) ([]rest.Game, error) {
	var out rest.GameList
	err := callAPI(ctx, opts, http.MethodGet, apiURL(server, "/api/games"), nil, &out)
	return out.Games, err
}

// ListRooms lists the public rooms (the first page, oldest first).
func ListRooms(ctx context.Context, server string, opts *Options) ([]*directory.Room, error) {
	var out rest.RoomList
	err := callAPI(ctx, opts, http.MethodGet, apiURL(server, "/api/rooms"), nil, &out)
	return out.Rooms, err
}

// Reserve reserves a seat in a room for name; opts.JoinCode opens a
// private room.
func Reserve(ctx context.Context, server, roomID, name string, opts *Options) (*rest.Seat, error) {
	body := rest.Join{Name: name, JoinCode: opts.joinCode()}
	var seat rest.Seat
	err := callAPI(ctx, opts, http.MethodPost, apiURL(server, "/api/rooms/"+url.PathEscape(roomID)+"/join"), body, &seat)
	return &seat, err
}

// QuickPlay reserves a seat in the fullest public room of the game and
// mode with space (empty: the server's defaults), or in a new one.
func QuickPlay(ctx context.Context, server, gameName, mode, name string, opts *Options) (*rest.Seat, error) {
	var seat rest.Seat
	err := callAPI(ctx, opts, http.MethodPost, apiURL(server, "/api/matchmake"), rest.QuickPlay{Game: gameName, Mode: mode, Name: name}, &seat)
	return &seat, err
}

func apiURL(server, path string) string { return strings.TrimRight(server, "/") + path }

func callAPI(ctx context.Context, opts *Options, method, u string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("client: %s %s: %w", method, u, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := opts.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return problemOf(resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("client: %s %s: decoding answer: %w", method, u, err)
	}
	return nil
}

// problemOf reads a refusal's problem body; one that is not JSON still
// gives its status.
func problemOf(resp *http.Response) *rest.Problem {
	p := &rest.Problem{Status: resp.StatusCode, Title: resp.Status}
	json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(p)
	p.Status = resp.StatusCode
	return p
}
