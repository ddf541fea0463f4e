package lobby

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"` // the request field at fault
}

func writeProblem(w http.ResponseWriter, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// writeError maps an error to its problem: field errors are 400s naming the
// field, known lobby errors get their status, anything else is a 500.
func writeError(w http.ResponseWriter, err error) {
	var fe *FieldError
	switch {
	case errors.As(err, &fe):
		status := cmp.Or(fe.Status, http.StatusBadRequest)
		writeProblem(w, Problem{Type: "/problems/invalid-field", Status: status, Title: "Invalid request field", Detail: fe.Detail, Field: fe.Field})
	case errors.Is(err, ErrRoomNotFound):
		writeProblem(w, Problem{Type: "/problems/room-not-found", Status: http.StatusNotFound, Title: "Room not found", Detail: err.Error()})
	case errors.Is(err, ErrRoomFull):
		writeProblem(w, Problem{Type: "/problems/room-full", Status: http.StatusConflict, Title: "Room is full", Detail: err.Error()})
	case errors.Is(err, ErrRoomClosed):
		writeProblem(w, Problem{Type: "/problems/room-closed", Status: http.StatusGone, Title: "Room is closed", Detail: err.Error()})
	case errors.Is(err, ErrTooManyRooms), errors.Is(err, ErrShuttingDown):
		writeProblem(w, Problem{Type: "/problems/unavailable", Status: http.StatusServiceUnavailable, Title: "Service unavailable", Detail: err.Error()})
	case errors.Is(err, ErrTokenExpired), errors.Is(err, ErrTokenInvalid), errors.Is(err, ErrTokenUsed), errors.Is(err, ErrNoSeat):
		writeProblem(w, Problem{Type: "/problems/bad-token", Status: http.StatusUnauthorized, Title: "Seat token refused", Detail: err.Error(), Field: "token"})
	default:
		writeProblem(w, Problem{Status: http.StatusInternalServerError, Detail: "internal error"})
	}
}

// maxBody bounds every JSON request body.
const maxBody = 16 << 10

// decodeJSON reads one JSON object into v, strictly: bounded size, unknown
// fields rejected, wrong types named by field.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &FieldError{Field: "Content-Type", Detail: "must be application/json"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonFieldError(err)
	}
	if dec.More() {
		return &FieldError{Field: "body", Detail: "must hold exactly one JSON object"}
	}
	return nil
}

func jsonFieldError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &te):
		return &FieldError{Field: te.Field, Detail: fmt.Sprintf("must be a JSON %s, not %s", te.Type.Kind(), te.Value)}
	case errors.As(err, &se):
		return &FieldError{Field: "body", Detail: fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)}
	case errors.As(err, &mbe):
		return &FieldError{Field: "body", Detail: fmt.Sprintf("larger than %d bytes", mbe.Limit), Status: http.StatusRequestEntityTooLarge}
	case errors.Is(err, io.EOF):
		return &FieldError{Field: "body", Detail: "empty; a JSON object is required"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &FieldError{Field: name, Detail: "unknown field"}
	}
	return &FieldError{Field: "body", Detail: err.Error()}
}
