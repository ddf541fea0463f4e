package lobby

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/netcode"
)

// APIOptions configures the HTTP API. Zero fields take the defaults noted.
type APIOptions struct {
	// OriginPatterns lists the browser origins allowed to open WebSockets,
	// as coder/websocket host patterns. Default: only the server's own host.
	// Upgrades without an Origin header (bots, services) are always allowed.
	OriginPatterns []string
	// AdminKey guards admin endpoints (announce); empty disables them.
	AdminKey string
	// Session configures every WebSocket session.
	Session netcode.SessionOptions
	Logger  *slog.Logger
}

// API serves the lobby REST API and the WebSocket endpoint.
type API struct {
	// static after construction
	m    *Manager
	opts APIOptions
	log  *slog.Logger
	ctx  context.Context // ends sessions on shutdown

	sessions sync.WaitGroup // one per live WebSocket
}

// NewAPI returns the API for m. Sessions end when ctx does.
func NewAPI(ctx context.Context, m *Manager, opts APIOptions) *API {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &API{m: m, opts: opts, log: log, ctx: ctx}
}

// Handler routes /api/ and /ws.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/rooms", a.createRoom)
	mux.HandleFunc("GET /api/rooms", a.listRooms)
	mux.HandleFunc("GET /api/rooms/{id}", a.getRoom)
	mux.HandleFunc("POST /api/rooms/{id}/join", a.joinRoom)
	mux.HandleFunc("GET /ws", a.serveWS)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, Problem{Status: http.StatusNotFound, Detail: "no such API endpoint: " + r.Method + " " + r.URL.Path})
	})
	return mux
}

// WaitSessions blocks until every WebSocket session has ended or ctx does.
func (a *API) WaitSessions(ctx context.Context) error {
	done := make(chan struct{})
	go func() { a.sessions.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type createRoomRequest struct {
	Name       string            `json:"name"`
	Mode       string            `json:"mode"`
	MaxPlayers int               `json:"max_players"`
	TickRate   int               `json:"tick_rate"`
	Private    bool              `json:"private"`
	JoinCode   string            `json:"join_code"`
	Labels     map[string]string `json:"labels"`
}

func (a *API) createRoom(w http.ResponseWriter, r *http.Request) {
	var req createRoomRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if err := validateLabels(req.Labels); err != nil {
		writeError(w, err)
		return
	}
	if req.Private && req.JoinCode == "" {
		writeError(w, &FieldError{Field: "join_code", Detail: "required for a private room"})
		return
	}
	room, err := a.m.Create(RoomConfig{Name: strings.TrimSpace(req.Name), Mode: req.Mode, MaxPlayers: req.MaxPlayers,
		TickRate: req.TickRate, Private: req.Private, JoinCode: req.JoinCode, Labels: req.Labels})
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Location", "/api/rooms/"+room.ID())
	writeJSON(w, http.StatusCreated, room.Info())
}

func validateLabels(l map[string]string) error {
	if len(l) > 16 {
		return &FieldError{Field: "labels", Detail: "at most 16 labels"}
	}
	for k, v := range l {
		if k == "" || len(k) > 32 || len(v) > 64 {
			return &FieldError{Field: "labels." + k, Detail: "keys are 1..32 bytes, values at most 64"}
		}
	}
	return nil
}

func (a *API) listRooms(w http.ResponseWriter, r *http.Request) {
	rooms, err := a.m.List(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	out := make([]*RoomInfo, 0, len(rooms))
	for _, info := range rooms {
		if !info.Private {
			out = append(out, info)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rooms": out})
}

type roomDetail struct {
	*RoomInfo
	Players []PlayerInfo `json:"players"`
}

func (a *API) getRoom(w http.ResponseWriter, r *http.Request) {
	room, err := a.m.Get(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	info := room.Info()
	writeJSON(w, http.StatusOK, roomDetail{RoomInfo: info, Players: append([]PlayerInfo{}, info.Roster...)})
}

type joinRequest struct {
	Name     string `json:"name"`
	JoinCode string `json:"join_code"`
}

// JoinResponse is what a successful join answers.
type JoinResponse struct {
	RoomID    string    `json:"room_id"`
	PlayerID  uint32    `json:"player_id"`
	Token     string    `json:"token"`
	WSURL     string    `json:"ws_url"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (a *API) joinRoom(w http.ResponseWriter, r *http.Request) {
	var req joinRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	name, err := validPlayerName(req.Name)
	if err != nil {
		writeError(w, err)
		return
	}
	if a.m.Draining() {
		writeError(w, ErrShuttingDown)
		return
	}
	room, err := a.m.Get(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := room.Reserve(r.Context(), name, req.JoinCode)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, JoinResponse{RoomID: res.RoomID, PlayerID: res.PlayerID, Token: res.Token,
		WSURL: wsURL(r, res.Token), ExpiresAt: res.Expires})
}

func validPlayerName(name string) (string, error) {
	name = strings.TrimSpace(cleanName(name))
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "", &FieldError{Field: "name", Detail: "required"}
	case n > netcode.MaxNameRunes:
		return "", &FieldError{Field: "name", Detail: fmt.Sprintf("longer than %d characters", netcode.MaxNameRunes)}
	}
	return name, nil
}

func wsURL(r *http.Request, token string) string {
	scheme := "ws"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "wss"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: "/ws", RawQuery: "token=" + url.QueryEscape(token)}
	return u.String()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// serveWS checks the seat token before upgrading, so a bad token gets an
// HTTP error a client can read, then runs the session on this goroutine.
func (a *API) serveWS(w http.ResponseWriter, r *http.Request) {
	claims, room, err := a.claim(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if !offersSubprotocol(r) {
		room.Release(claims.PlayerID)
		writeProblem(w, Problem{Status: http.StatusBadRequest, Title: "Subprotocol required",
			Detail: "offer WebSocket subprotocol " + netcode.Subprotocol, Field: "Sec-WebSocket-Protocol"})
		return
	}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols: []string{netcode.Subprotocol}, OriginPatterns: a.opts.OriginPatterns,
	})
	if err != nil {
		room.Release(claims.PlayerID)
		return // Accept has answered (403 for a foreign origin)
	}
	a.sessions.Add(1)
	defer a.sessions.Done()
	opts := a.opts.Session
	opts.Clock = room.clock
	sess := netcode.NewSession(conn, &opts)
	lastEvent, _ := strconv.ParseUint(r.URL.Query().Get("last_event"), 10, 32)
	if err := room.Attach(r.Context(), claims.PlayerID, sess, uint32(lastEvent)); err != nil {
		conn.Close(websocket.StatusPolicyViolation, closeReason(err))
		return
	}
	end := sess.Run(a.ctx)
	a.log.Debug("session ended", "room", room.ID(), "player", claims.PlayerID, "code", int(end.Code), "reason", end.Reason)
}

func (a *API) claim(r *http.Request) (Claims, *Room, error) {
	tok := r.URL.Query().Get("token")
	if tok == "" {
		return Claims{}, nil, &FieldError{Field: "token", Detail: "query parameter required", Status: http.StatusUnauthorized}
	}
	claims, err := a.m.Tokens().Verify(tok)
	if err != nil {
		return claims, nil, err
	}
	if a.m.Draining() {
		return claims, nil, ErrShuttingDown
	}
	room, err := a.m.Get(claims.RoomID)
	if err != nil {
		return claims, nil, err
	}
	if err := room.Claim(r.Context(), claims); err != nil {
		return claims, nil, err
	}
	return claims, room, nil
}

func offersSubprotocol(r *http.Request) bool {
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(h, ",") {
			if strings.TrimSpace(p) == netcode.Subprotocol {
				return true
			}
		}
	}
	return false
}

func closeReason(err error) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Detail
	}
	s := err.Error()
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}
