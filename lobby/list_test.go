package lobby_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tickroom/tickroom/lobby"
	"github.com/tickroom/tickroom/lobby/directory"
	"github.com/tickroom/tickroom/lobby/rest"
	"github.com/tickroom/tickroom/lobby/rooms"
)

// list GETs /api/rooms with query and returns the answer.
func list(t *testing.T, ts *testServer, query string) rest.RoomList {
	t.Helper()
	return decode[rest.RoomList](t, call(t, "GET", ts.URL+"/api/rooms?"+query, ""), http.StatusOK)
}

func names(rooms []*directory.Room) []string {
	out := make([]string, len(rooms))
	for i, r := range rooms {
		out[i] = r.Name
	}
	return out
}

// lobbyOf creates rooms "a".."f" (oldest first) for the filter tests:
//
//	a ffa  eu  1/2 players         d duel eu  2/2 (full)
//	b ffa  us  0/4                 e ffa  -   private
//	c duel eu  0/2                 f ffa  us  0/4 name "Fast Lane"
func lobbyOf(t *testing.T, ts *testServer) {
	t.Helper()
	specs := []string{
		`{"name":"a","mode":"ffa","max_players":2,"labels":{"region":"eu"}}`,
		`{"name":"b","mode":"ffa","max_players":4,"labels":{"region":"us"}}`,
		`{"name":"c","mode":"duel","max_players":2,"labels":{"region":"eu","tier":"gold"}}`,
		`{"name":"d","mode":"duel","max_players":2,"labels":{"region":"eu"}}`,
		`{"name":"e","mode":"ffa","private":true,"join_code":"hidden"}`,
		`{"name":"Fast Lane","mode":"ffa","max_players":4,"labels":{"region":"us"}}`,
	}
	ids := map[string]string{}
	for _, s := range specs {
		r := createRoom(t, ts, s)
		ids[r.Name] = r.ID
		time.Sleep(time.Millisecond) // distinct created_at
	}
	join(t, t.Context(), ts.URL, ids["a"], "p1")
	join(t, t.Context(), ts.URL, ids["d"], "p2")
	join(t, t.Context(), ts.URL, ids["d"], "p3")
}

func TestListRoomsFilterAndSort(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{Limits: noQuotas})
	lobbyOf(t, ts)
	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{"a", "b", "c", "d", "Fast Lane"}},
		{"mode=ffa", []string{"a", "b", "Fast Lane"}},
		{"mode=duel&has_space=true", []string{"c"}},
		{"has_space=false", []string{"d"}},
		{"label.region=eu", []string{"a", "c", "d"}},
		{"label.region=eu&label.tier=gold", []string{"c"}},
		{"label.region=asia", []string{}},
		{"name=fast", []string{"Fast Lane"}},
		{"name=" + url.QueryEscape("LANE"), []string{"Fast Lane"}},
		{"mode=ffa&label.region=us&has_space=true", []string{"b", "Fast Lane"}},
		{"sort=-created", []string{"Fast Lane", "d", "c", "b", "a"}},
		{"sort=name", []string{"a", "b", "c", "d", "Fast Lane"}},
		{"sort=-name", []string{"Fast Lane", "d", "c", "b", "a"}},
		{"label.region=eu&sort=-players", []string{"d", "a", "c"}},
		{"label.region=eu&sort=players", []string{"c", "a", "d"}},
		{"label.region=eu&sort=players&limit=1", []string{"c"}},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			l := list(t, ts, tc.query)
			got := names(l.Rooms)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("rooms %q, want %q", got, tc.want)
			}
			if _, err := directory.ParseVersion(l.Version); err != nil {
				t.Fatalf("version %q: %v", l.Version, err)
			}
		})
	}
}

func TestListRoomsPages(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{Limits: noQuotas})
	for i := range 7 {
		createRoom(t, ts, fmt.Sprintf(`{"name":"r%d","mode":"ffa"}`, i))
	}
	createRoom(t, ts, `{"name":"other","mode":"duel"}`)
	for _, sort := range []string{"created", "-created", "name", "-name", "players", "-players"} {
		t.Run(sort, func(t *testing.T) {
			whole := names(list(t, ts, "mode=ffa&sort="+sort).Rooms)
			var paged []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > 4 {
					t.Fatal("more pages than rooms")
				}
				q := "mode=ffa&limit=2&sort=" + sort
				if cursor != "" {
					q += "&cursor=" + url.QueryEscape(cursor)
				}
				l := list(t, ts, q)
				if len(l.Rooms) > 2 {
					t.Fatalf("page of %d", len(l.Rooms))
				}
				paged = append(paged, names(l.Rooms)...)
				if cursor = l.NextCursor; cursor == "" {
					break
				}
			}
			if len(whole) != 7 || !slices.Equal(paged, whole) {
				t.Fatalf("pages %q, whole list %q", paged, whole)
			}
		})
	}
	t.Run("cursor for another query", func(t *testing.T) {
		next := list(t, ts, "limit=1&sort=name").NextCursor
		problem(t, call(t, "GET", ts.URL+"/api/rooms?limit=1&sort=-name&cursor="+next, ""), 400, "cursor")
		problem(t, call(t, "GET", ts.URL+"/api/rooms?limit=1&sort=name&mode=duel&cursor="+next, ""), 400, "cursor")
	})
}

func TestListRoomsBadQuery(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{Limits: noQuotas})
	cases := []struct{ query, field string }{
		{"limit=0", "limit"},
		{"limit=101", "limit"},
		{"limit=ten", "limit"},
		{"limit=-1", "limit"},
		{"sort=size", "sort"},
		{"sort=--name", "sort"},
		{"has_space=maybe", "has_space"},
		{"mode=FFA", "mode"},
		{"mode=", "mode"},
		{"name=", "name"},
		{"label.=eu", "label."},
		{"label.a%20b=eu", "label.a b"},
		{"colour=red", "colour"},
		{"mode=ffa&mode=duel", "mode"},
		{"cursor=%%%", "query"},
		{"cursor=%2B%2B%2B", "cursor"},
		{"cursor=bm90IGEgY3Vyc29y", "cursor"},
		{"since=3", "since"},
		{"timeout=1s", "timeout"},
		{"watch=1", "since"},
		{"watch=sometimes&since=1", "watch"},
		{"watch=1&since=-1", "since"},
		{"watch=1&since=x", "since"},
		{"watch=1&since=0&timeout=0s", "timeout"},
		{"watch=1&since=0&timeout=1h", "timeout"},
		{"watch=1&since=0&timeout=soon", "timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			problem(t, call(t, "GET", ts.URL+"/api/rooms?"+tc.query, ""), 400, tc.field)
		})
	}
}

// TestPrivateRooms: never listed, never in the event stream, joinable only
// with the join code.
func TestPrivateRooms(t *testing.T) {
	t.Parallel()
	ts := startServer(t, rooms.Options{}, lobby.APIOptions{Limits: noQuotas})
	priv := createRoom(t, ts, `{"name":"secret","private":true,"join_code":"letmein","max_players":2}`)
	if l := list(t, ts, ""); len(l.Rooms) != 0 {
		t.Fatalf("listed: %q", names(l.Rooms))
	}
	if l := list(t, ts, "name=secret&has_space=true"); len(l.Rooms) != 0 {
		t.Fatalf("listed by name: %q", names(l.Rooms))
	}
	joinURL := ts.URL + "/api/rooms/" + priv.ID + "/join"
	problem(t, call(t, "POST", joinURL, `{"name":"x"}`), 403, "join_code")
	problem(t, call(t, "POST", joinURL, `{"name":"x","join_code":"guess"}`), 403, "join_code")
	problem(t, call(t, "POST", joinURL, `{"name":"x","join_code":"`+strings.Repeat("k", 65)+`"}`), 400, "join_code")
	reserve(t, ts, priv.ID, `{"name":"x","join_code":"letmein"}`)
	mm := decode[rest.Seat](t, call(t, "POST", ts.URL+"/api/matchmake", `{"name":"y"}`), http.StatusOK)
	if mm.RoomID == priv.ID {
		t.Fatal("quick play picked a private room")
	}
}
