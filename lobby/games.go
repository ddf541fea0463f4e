package lobby

import (
	"net/http"

	"github.com/tickroom/tickroom/lobby/rest"
)

// listGames answers the games this server runs, the default first, with
// their modes and seat limits: what a lobby offers and what create and
// quick play accept.
func (a *API) listGames(w http.ResponseWriter, r *http.Request) {
	out := rest.GameList{Games: []rest.Game{}}
	for _, d := range a.m.Games() {
		g := rest.Game{Name: d.Name, Title: d.Title, Description: d.Description, Modes: []rest.Mode{}}
		for _, m := range d.Modes {
			g.Modes = append(g.Modes, rest.Mode{Name: m.Name, Title: m.Title, MaxPlayers: m.MaxPlayers, Limit: m.Limit})
		}
		out.Games = append(out.Games, g)
	}
	writeJSON(w, http.StatusOK, out)
}
