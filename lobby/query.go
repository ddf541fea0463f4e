package lobby

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rooms"
)

// Limits on listing rooms.
const (
	DefaultListLimit = 50
	MaxListLimit     = 100
	DefaultWatchWait = 30 * time.Second
	MaxWatchWait     = 120 * time.Second
)

// roomFilter selects public rooms. Every set field must match.
type roomFilter struct {
	game     string
	mode     string
	name     string // case-insensitive substring of the room name
	labels   map[string]string
	hasSpace *bool
}

// static reports whether info matches the filter's fields that never change
// for a room (everything but has_space): a change to a room that fails them
// cannot change the filtered list.
func (f *roomFilter) static(info *directory.Room) bool {
	if info.Private || (f.game != "" && info.Game != f.game) || (f.mode != "" && info.Mode != f.mode) {
		return false
	}
	if f.name != "" && !strings.Contains(strings.ToLower(info.Name), f.name) {
		return false
	}
	for k, v := range f.labels {
		if got, ok := info.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func (f *roomFilter) match(info *directory.Room) bool {
	return info.State == "open" && f.static(info) && (f.hasSpace == nil || info.HasSpace() == *f.hasSpace)
}

// listQuery is a parsed GET /api/rooms query.
type listQuery struct {
	filter  roomFilter
	sort    string // one of sortKeys, "-" prefixed for descending
	limit   int
	after   *listCursor
	watch   bool
	since   directory.Version
	timeout time.Duration
}

var sortKeys = []string{"created", "name", "players"}

// queryOf parses the request's query string, refusing a malformed one
// (url.Values would drop the bad pairs silently).
func queryOf(raw string) (url.Values, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, &FieldError{Field: "query", Detail: "malformed query string: " + err.Error()}
	}
	return q, nil
}

// params parses a query strictly: each parameter at most once, and each
// handed to each, which refuses unknown ones; every error names its
// parameter. The keys are visited in order so the error for a query with
// several faults is stable.
func params(q url.Values, each func(key, val string) error) error {
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if k == "" {
			return &FieldError{Field: "query", Detail: "a parameter without a name"}
		}
		if len(q[k]) > 1 {
			return &FieldError{Field: k, Detail: "given more than once"}
		}
		if err := each(k, q[k][0]); err != nil {
			return err
		}
	}
	return nil
}

// parse reads one filter parameter; ok is false for other keys.
func (f *roomFilter) parse(key, val string) (ok bool, err error) {
	switch {
	case key == "game":
		f.game, err = validMode(val, "game")
	case key == "mode":
		f.mode, err = validMode(val, "mode")
	case key == "name":
		if val == "" || utf8.RuneCountInString(val) > rooms.MaxNameRunes {
			err = &FieldError{Field: key, Detail: fmt.Sprintf("must be 1 to %d characters", rooms.MaxNameRunes)}
		}
		f.name = strings.ToLower(val)
	case key == "has_space":
		var b bool
		b, err = strconv.ParseBool(val)
		if err != nil {
			err = &FieldError{Field: key, Detail: "must be true or false"}
		}
		f.hasSpace = &b
	case strings.HasPrefix(key, "label."):
		k := strings.TrimPrefix(key, "label.")
		if err = validLabel(k, val, key); err == nil {
			if f.labels == nil {
				f.labels = make(map[string]string)
			}
			f.labels[k] = val
		}
	default:
		return false, nil
	}
	return true, err
}

func parseListQuery(raw string) (listQuery, error) {
	lq := listQuery{sort: "created", limit: DefaultListLimit, timeout: DefaultWatchWait}
	q, err := queryOf(raw)
	if err != nil {
		return lq, err
	}
	var cursor string
	seen := map[string]bool{}
	err = params(q, func(key, val string) error {
		seen[key] = true
		if ok, err := lq.filter.parse(key, val); ok {
			return err
		}
		switch key {
		case "sort":
			if !slices.Contains(sortKeys, strings.TrimPrefix(val, "-")) {
				return &FieldError{Field: key, Detail: "must be one of created, name, players, each optionally prefixed with - for descending"}
			}
			lq.sort = val
		case "limit":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 || n > MaxListLimit {
				return &FieldError{Field: key, Detail: fmt.Sprintf("must be an integer from 1 to %d", MaxListLimit)}
			}
			lq.limit = n
		case "cursor":
			cursor = val
		case "watch":
			b, err := strconv.ParseBool(val)
			if err != nil {
				return &FieldError{Field: key, Detail: "must be 1, true, 0 or false"}
			}
			lq.watch = b
		case "since":
			v, err := directory.ParseVersion(val)
			if err != nil {
				return &FieldError{Field: key, Detail: "must be a version the server sent (a list's version)"}
			}
			lq.since = v
		case "timeout":
			d, err := parseWait(val)
			if err != nil {
				return &FieldError{Field: key, Detail: err.Error()}
			}
			lq.timeout = d
		default:
			return &FieldError{Field: key, Detail: "unknown query parameter"}
		}
		return nil
	})
	if err != nil {
		return lq, err
	}
	switch {
	case !lq.watch && seen["since"]:
		return lq, &FieldError{Field: "since", Detail: "only valid with watch=1"}
	case !lq.watch && seen["timeout"]:
		return lq, &FieldError{Field: "timeout", Detail: "only valid with watch=1"}
	case lq.watch && !seen["since"]:
		return lq, &FieldError{Field: "since", Detail: "required with watch=1: the version of the list you hold"}
	}
	if cursor != "" {
		c, err := decodeCursor(cursor, lq.fingerprint())
		if err != nil {
			return lq, err
		}
		lq.after = c
	}
	return lq, nil
}

// parseWait reads a long-poll timeout: a Go duration ("30s", "500ms") or
// whole seconds ("30").
func parseWait(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		n, nerr := strconv.ParseUint(s, 10, 32)
		if nerr != nil {
			return 0, fmt.Errorf("must be a duration such as 30s or 500ms")
		}
		d = time.Duration(n) * time.Second
	}
	if d <= 0 || d > MaxWatchWait {
		return 0, fmt.Errorf("must be more than 0 and at most %s", MaxWatchWait)
	}
	return d, nil
}

// fingerprint identifies the filters and sort a cursor was made for.
func (lq *listQuery) fingerprint() string {
	h := fnv.New64a()
	f := &lq.filter
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", lq.sort, f.game, f.mode, f.name)
	if f.hasSpace != nil {
		fmt.Fprintf(h, "space=%t\x00", *f.hasSpace)
	}
	for _, k := range slices.Sorted(maps.Keys(f.labels)) {
		fmt.Fprintf(h, "%s=%s\x00", k, f.labels[k])
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// compareRooms orders rooms by the sort key, then by id, so every room has
// one place and a cursor can resume after it.
func compareRooms(a, b *directory.Room, sort string) int {
	key, desc := strings.CutPrefix(sort, "-")
	var c int
	switch key {
	case "players":
		c = cmp.Compare(a.Players, b.Players)
	case "name":
		c = cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.Name, b.Name))
	default:
		c = cmp.Compare(a.CreatedAt.UnixNano(), b.CreatedAt.UnixNano())
	}
	if desc {
		c = -c
	}
	return cmp.Or(c, strings.Compare(a.ID, b.ID))
}

// page filters, sorts and cuts the rooms; next is the cursor for the page
// after, empty on the last page.
func (lq *listQuery) page(rooms []*directory.Room) (out []*directory.Room, next string) {
	out = make([]*directory.Room, 0, min(len(rooms), lq.limit))
	for _, r := range rooms {
		if lq.filter.match(r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *directory.Room) int { return compareRooms(a, b, lq.sort) })
	if lq.after != nil {
		at := lq.after.room()
		i := slices.IndexFunc(out, func(r *directory.Room) bool { return compareRooms(r, at, lq.sort) > 0 })
		if i < 0 {
			i = len(out)
		}
		out = out[i:]
	}
	if len(out) > lq.limit {
		out = out[:lq.limit]
		next = encodeCursor(out[len(out)-1], lq.sort, lq.fingerprint())
	}
	return out, next
}

// listCursor is the position after the last room of a page: that room's
// sort key and id. It is opaque to clients (base64url of this JSON).
type listCursor struct {
	Query string `json:"q"` // fingerprint of the filters and sort
	ID    string `json:"i"`
	N     int64  `json:"n,omitempty"` // players, or created_at in unix ns
	Name  string `json:"s,omitempty"`
}

func encodeCursor(last *directory.Room, sort, fingerprint string) string {
	c := listCursor{Query: fingerprint, ID: last.ID}
	switch strings.TrimPrefix(sort, "-") {
	case "players":
		c.N = int64(last.Players)
	case "name":
		c.Name = last.Name
	default:
		c.N = last.CreatedAt.UnixNano()
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, fingerprint string) (*listCursor, error) {
	var c listCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	switch {
	case err != nil || c.ID == "":
		return nil, &FieldError{Field: "cursor", Detail: "not a cursor this server issued"}
	case c.Query != fingerprint:
		return nil, &FieldError{Field: "cursor", Detail: "issued for other filters or sort; repeat them unchanged when paging"}
	}
	return &c, nil
}

// room is a stand-in for the cursor's room, for compareRooms.
func (c *listCursor) room() *directory.Room {
	return &directory.Room{ID: c.ID, Players: int(c.N), Name: c.Name, CreatedAt: time.Unix(0, c.N)}
}
