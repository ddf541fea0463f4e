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
	"time"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

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
	p, wait := problemOf(err)
	if errors.Is(err, ErrAdminKeyMissing) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tickroom admin"`)
	}
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
	}
	writeProblem(w, p)
}

// problemOf is the problem err is answered with, and how long to wait
// before a retry (0: unknown). Another node's refusal is its own problem,
// as that node would have answered it.
func problemOf(err error) (rest.Problem, time.Duration) {
	var fe *FieldError
	var cfe *rooms.FieldError
	var pe *PeerError
	if qe, ok := quotaOf(err); ok {
		return quotaProblem(qe), qe.RetryAfter
	}
	switch {
	case errors.As(err, &pe):
		return pe.Problem, pe.RetryAfter
	case errors.As(err, &cfe):
		return rest.Problem{Type: "/problems/invalid-field", Status: http.StatusBadRequest, Title: "Invalid request field", Detail: cfe.Detail, Field: cfe.Field}, 0
	case errors.Is(err, rooms.ErrWrongJoinCode):
		return rest.Problem{Type: "/problems/forbidden", Status: http.StatusForbidden, Title: "Forbidden", Detail: detail(err), Field: "join_code"}, 0
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
		return p, 0
	case errors.Is(err, rooms.ErrNotFound), errors.Is(err, directory.ErrNotFound):
		return rest.Problem{Type: "/problems/room-not-found", Status: http.StatusNotFound, Title: "Room not found", Detail: detail(err)}, 0
	case errors.Is(err, rooms.ErrExists):
		return rest.Problem{Type: "/problems/room-exists", Status: http.StatusConflict, Title: "Room id taken", Detail: detail(err)}, 0
	case errors.Is(err, rooms.ErrFull):
		return rest.Problem{Type: "/problems/room-full", Status: http.StatusConflict, Title: "Room is full", Detail: detail(err)}, 0
	case errors.Is(err, rooms.ErrClosed):
		return rest.Problem{Type: "/problems/room-closed", Status: http.StatusGone, Title: "Room is closed", Detail: detail(err)}, 0
	case errors.Is(err, rooms.ErrShuttingDown):
		return rest.Problem{Type: "/problems/unavailable", Status: http.StatusServiceUnavailable, Title: "Service unavailable", Detail: detail(err)}, 0
	case errors.Is(err, ErrPeerGone):
		return rest.Problem{Type: "/problems/node-unavailable", Status: http.StatusServiceUnavailable, Title: "Node unavailable", Detail: detail(err)}, 0
	case errors.Is(err, ErrNoCluster):
		return rest.Problem{Type: "/problems/unavailable", Status: http.StatusServiceUnavailable, Title: "Service unavailable", Detail: detail(err)}, 0
	case errors.Is(err, ErrPeerTimeout):
		return rest.Problem{Type: "/problems/node-timeout", Status: http.StatusGatewayTimeout, Title: "Node did not answer in time", Detail: detail(err)}, 0
	case errors.Is(err, rooms.ErrTokenExpired), errors.Is(err, rooms.ErrTokenInvalid), errors.Is(err, rooms.ErrTokenUsed), errors.Is(err, rooms.ErrNoSeat):
		return rest.Problem{Type: "/problems/bad-token", Status: http.StatusUnauthorized, Title: "Seat token refused", Detail: detail(err), Field: "token"}, 0
	case errors.Is(err, ErrAdminKeyMissing):
		return rest.Problem{Type: "/problems/unauthorized", Status: http.StatusUnauthorized, Title: "Unauthorized", Detail: detail(err), Field: "Authorization"}, 0
	case errors.Is(err, ErrAdminKeyWrong):
		return rest.Problem{Type: "/problems/forbidden", Status: http.StatusForbidden, Title: "Forbidden", Detail: detail(err), Field: "Authorization"}, 0
	case errors.Is(err, ErrAdminDisabled):
		return rest.Problem{Type: "/problems/not-found", Status: http.StatusNotFound, Title: "Not Found", Detail: detail(err)}, 0
	}
	return rest.Problem{Status: http.StatusInternalServerError, Detail: "internal error"}, 0
}

// quotaProblem answers a refusal by a limit: 429 for a client's own, 503
// for the node's, naming the quota.
func quotaProblem(qe *QuotaError) rest.Problem {
	p := rest.Problem{Type: "/problems/quota-exceeded", Status: http.StatusTooManyRequests, Title: "Quota exceeded",
		Detail: qe.Detail, Quota: qe.Quota, Field: qe.Field}
	if qe.NodeWide {
		p.Type, p.Status, p.Title = "/problems/capacity-exceeded", http.StatusServiceUnavailable, "Server at capacity"
	}
	return p
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
// object in UTF-8, keys match field names exactly (case included) and once
// each, unknown fields are rejected and wrong types are named by field.
// encoding/json would match keys ignoring case, let the last of two equal
// keys win and turn invalid UTF-8 into U+FFFD without a word; the JSON v2
// decoder (github.com/go-json-experiment/json, the future encoding/json/v2)
// refuses all three by default and says where.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if err := checkJSONContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return jsonFieldError(err, body, v)
	}
	// JSON's own whitespace only (RFC 8259): bytes.TrimSpace would also
	// take a form feed or a no-break space around the object as fine.
	body = bytes.Trim(body, " \t\r\n")
	switch {
	case len(body) == 0:
		return &FieldError{Field: "body", Detail: "empty; a JSON object is required"}
	case body[0] != '{':
		return &FieldError{Field: "body", Detail: "must be a JSON object"}
	}
	if err := jsonv2.Unmarshal(body, v, jsonv2.RejectUnknownMembers(true)); err != nil {
		return jsonFieldError(err, body, v)
	}
	return nil
}

// checkJSONContentType accepts no Content-Type, or application/json with
// no charset or UTF-8 (RFC 8259: JSON between systems is UTF-8).
func checkJSONContentType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return &FieldError{Field: "Content-Type", Detail: "must be application/json", Status: http.StatusUnsupportedMediaType}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return &FieldError{Field: "Content-Type", Detail: fmt.Sprintf("charset must be utf-8 or absent, not %q", cs), Status: http.StatusUnsupportedMediaType}
	}
	return nil
}

// jsonFieldError turns a decoding error of body into v into a FieldError
// naming the field (dotted, as in labels.region) or "body".
func jsonFieldError(err error, body []byte, v any) error {
	var syn *jsontext.SyntacticError
	var sem *jsonv2.SemanticError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &FieldError{Field: "body", Detail: fmt.Sprintf("larger than %d bytes", mbe.Limit), Status: http.StatusRequestEntityTooLarge}
	case errors.As(err, &syn):
		field := jsonField(syn.JSONPointer)
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			return &FieldError{Field: field, Detail: "given more than once"}
		case errors.Is(syn.Err, io.ErrUnexpectedEOF):
			return &FieldError{Field: "body", Detail: "malformed JSON: unexpected end"}
		case syn.ByteOffset == int64(invalidUTF8At(body)):
			// The decoder stops at the first invalid byte: this is it.
			return &FieldError{Field: field, Detail: "invalid UTF-8"}
		}
		return &FieldError{Field: "body", Detail: fmt.Sprintf("malformed JSON at byte %d: %v", syn.ByteOffset, syn.Err)}
	case errors.As(err, &sem):
		field := jsonField(sem.JSONPointer)
		if errors.Is(sem.Err, jsonv2.ErrUnknownName) {
			return unknownField(field, reflect.TypeOf(v))
		}
		got := jsonKindName(sem.JSONKind)
		if sem.JSONKind == '0' && len(sem.JSONValue) > 0 {
			got = string(sem.JSONValue)
		}
		if sem.GoType == nil {
			return &FieldError{Field: field, Detail: "cannot be " + got}
		}
		return &FieldError{Field: field, Detail: fmt.Sprintf("must be %s, not %s", jsonTypeName(sem.GoType), got)}
	}
	return &FieldError{Field: "body", Detail: detail(err)}
}

// jsonField is a JSON pointer as the API names fields: labels.region for
// /labels/region; "body" for the whole body. A member whose name is empty
// is named "" (quotes included), so every field named is something.
func jsonField(p jsontext.Pointer) string {
	if p == "" {
		return "body"
	}
	var names []string
	for name := range p.Tokens() {
		names = append(names, cmp.Or(name, `""`))
	}
	return strings.Join(names, ".")
}

// invalidUTF8At is the offset of body's first byte that is not valid
// UTF-8, or -1.
func invalidUTF8At(body []byte) int {
	for i := 0; i < len(body); {
		c, n := utf8.DecodeRune(body[i:])
		if c == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// unknownField refuses a key no field of v's type has; a key that differs
// from a field's only in case points at the field's real name, since keys
// are matched exactly.
func unknownField(field string, t reflect.Type) error {
	if field == "" || field == "body" {
		return &FieldError{Field: "body", Detail: `unknown field ""`}
	}
	for _, name := range jsonNames(t) {
		if strings.EqualFold(name, field) {
			return &FieldError{Field: field, Detail: fmt.Sprintf("unknown field; keys are case-sensitive: did you mean %q?", name)}
		}
	}
	return &FieldError{Field: field, Detail: "unknown field"}
}

// jsonNames lists the JSON names of a struct type's fields, embedded
// structs' included.
func jsonNames(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case f.Anonymous && name == "":
			names = append(names, jsonNames(f.Type)...)
		case name != "":
			names = append(names, name)
		default:
			names = append(names, f.Name)
		}
	}
	return names
}

// jsonKindName names a JSON kind as a client wrote it.
func jsonKindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "another type"
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
