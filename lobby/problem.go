package lobby

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode"

	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
)

// FieldError names the request field, query parameter or header that is
// wrong; it is answered as a problem naming it, with Status (0 means 400).
type FieldError struct {
	Field  string
	Detail string
	Status int
}

func (e *FieldError) Error() string { return fmt.Sprintf("lobby: %s: %s", e.Field, e.Detail) }

// Admin authentication errors; match them with errors.Is.
var (
	ErrAdminKeyMissing = errors.New("lobby: admin key required: send Authorization: Bearer <key>")
	ErrAdminKeyWrong   = errors.New("lobby: admin key refused")
	ErrAdminDisabled   = errors.New("lobby: admin endpoints are disabled: no admin key is configured")
)

func writeProblem(w http.ResponseWriter, p rest.Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// writeError maps an error to its problem: field errors are 400s naming the
// field, known lobby errors get their status, anything else is a 500.
func writeError(w http.ResponseWriter, err error) {
	var fe *FieldError
	var cfe *rooms.FieldError
	if qe, ok := quotaOf(err); ok {
		writeQuota(w, qe)
		return
	}
	switch {
	case errors.As(err, &cfe):
		writeProblem(w, rest.Problem{Type: "/problems/invalid-field", Status: http.StatusBadRequest, Title: "Invalid request field", Detail: cfe.Detail, Field: cfe.Field})
	case errors.Is(err, rooms.ErrWrongJoinCode):
		writeProblem(w, rest.Problem{Type: "/problems/forbidden", Status: http.StatusForbidden, Title: "Forbidden", Detail: detail(err), Field: "join_code"})
	case errors.As(err, &fe):
		status := cmp.Or(fe.Status, http.StatusBadRequest)
		p := rest.Problem{Type: "/problems/invalid-field", Status: status, Title: "Invalid request field", Detail: fe.Detail, Field: fe.Field}
		switch status {
		case http.StatusRequestEntityTooLarge:
			p.Type, p.Title = "/problems/body-too-large", "Request body too large"
		case http.StatusForbidden:
			p.Type, p.Title = "/problems/forbidden", "Forbidden"
		case http.StatusUnauthorized:
			p.Type, p.Title = "/problems/unauthorized", "Unauthorized"
		case http.StatusUnsupportedMediaType:
			p.Type, p.Title = "/problems/unsupported-media-type", "Unsupported media type"
		}
		writeProblem(w, p)
	case errors.Is(err, rooms.ErrNotFound), errors.Is(err, directory.ErrNotFound):
		writeProblem(w, rest.Problem{Type: "/problems/room-not-found", Status: http.StatusNotFound, Title: "Room not found", Detail: detail(err)})
	case errors.Is(err, rooms.ErrFull):
		writeProblem(w, rest.Problem{Type: "/problems/room-full", Status: http.StatusConflict, Title: "Room is full", Detail: detail(err)})
	case errors.Is(err, rooms.ErrClosed):
		writeProblem(w, rest.Problem{Type: "/problems/room-closed", Status: http.StatusGone, Title: "Room is closed", Detail: detail(err)})
	case errors.Is(err, rooms.ErrShuttingDown):
		writeProblem(w, rest.Problem{Type: "/problems/unavailable", Status: http.StatusServiceUnavailable, Title: "Service unavailable", Detail: detail(err)})
	case errors.Is(err, rooms.ErrTokenExpired), errors.Is(err, rooms.ErrTokenInvalid), errors.Is(err, rooms.ErrTokenUsed), errors.Is(err, rooms.ErrNoSeat):
		writeProblem(w, rest.Problem{Type: "/problems/bad-token", Status: http.StatusUnauthorized, Title: "Seat token refused", Detail: detail(err), Field: "token"})
	case errors.Is(err, ErrAdminKeyMissing):
		w.Header().Set("WWW-Authenticate", `Bearer realm="tickroom admin"`)
		writeProblem(w, rest.Problem{Type: "/problems/unauthorized", Status: http.StatusUnauthorized, Title: "Unauthorized", Detail: detail(err), Field: "Authorization"})
	case errors.Is(err, ErrAdminKeyWrong):
		writeProblem(w, rest.Problem{Type: "/problems/forbidden", Status: http.StatusForbidden, Title: "Forbidden", Detail: detail(err), Field: "Authorization"})
	case errors.Is(err, ErrAdminDisabled):
		writeProblem(w, rest.Problem{Type: "/problems/not-found", Status: http.StatusNotFound, Title: "Not Found", Detail: detail(err)})
	default:
		writeProblem(w, rest.Problem{Status: http.StatusInternalServerError, Detail: "internal error"})
	}
}

// writeQuota answers a refusal by a limit: 429 for a client's own, 503 for
// the node's, naming the quota, with Retry-After when the wait is known.
func writeQuota(w http.ResponseWriter, qe *QuotaError) {
	p := rest.Problem{Type: "/problems/quota-exceeded", Status: http.StatusTooManyRequests, Title: "Quota exceeded",
		Detail: qe.Detail, Quota: qe.Quota, Field: qe.Field}
	if qe.NodeWide {
		p.Type, p.Status, p.Title = "/problems/capacity-exceeded", http.StatusServiceUnavailable, "Server at capacity"
	}
	if qe.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(qe.RetryAfter)))
	}
	writeProblem(w, p)
}

// detail is err's message for a client, without the package prefix.
func detail(err error) string {
	s := err.Error()
	for _, pkg := range []string{"lobby: ", "rooms: ", "directory: "} {
		s = strings.TrimPrefix(s, pkg)
	}
	return s
}

// maxBody bounds every JSON request body.
const maxBody = 16 << 10

// decodeJSON reads one JSON object into v, strictly: the body is capped at
// maxBody before anything decodes it (413 beyond), it must be a single
// object, unknown fields are rejected and wrong types are named by field.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return &FieldError{Field: "Content-Type", Detail: "must be application/json", Status: http.StatusUnsupportedMediaType}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return jsonFieldError(err)
	}
	body = bytes.TrimSpace(body)
	switch {
	case len(body) == 0:
		return &FieldError{Field: "body", Detail: "empty; a JSON object is required"}
	case body[0] != '{':
		return &FieldError{Field: "body", Detail: "must be a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
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
	var fe *FieldError
	switch {
	case errors.As(err, &fe): // from a field's UnmarshalJSON
		return fe
	case errors.As(err, &te):
		return &FieldError{Field: jsonField(te.Field), Detail: fmt.Sprintf("must be %s, not %s", jsonTypeName(te.Type), te.Value)}
	case errors.As(err, &se):
		return &FieldError{Field: "body", Detail: fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)}
	case errors.As(err, &mbe):
		return &FieldError{Field: "body", Detail: fmt.Sprintf("larger than %d bytes", mbe.Limit), Status: http.StatusRequestEntityTooLarge}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &FieldError{Field: "body", Detail: "malformed JSON: unexpected end"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for unknown fields.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if name == "" {
			return &FieldError{Field: "body", Detail: `unknown field ""`}
		}
		return &FieldError{Field: name, Detail: "unknown field"}
	}
	return &FieldError{Field: "body", Detail: detail(err)}
}

// jsonField is a type error's field path as the client wrote it:
// encoding/json prefixes the name of an embedded struct (createRoomRequest
// embeds rest.CreateRoom), which no JSON body names.
func jsonField(path string) string {
	if dot := strings.IndexByte(path, '.'); dot > 0 && unicode.IsUpper(rune(path[0])) {
		return path[dot+1:]
	}
	return path
}

// jsonTypeName names the JSON type a Go type decodes from.
func jsonTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Pointer:
		return jsonTypeName(t.Elem())
	}
	return "a " + t.Kind().String()
}
