package lobby

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/tickroom/tickroom/lobby/rest"
)

// announce sends a system message to a room's players: it appears in their
// chat and in the room's chat history. Admin only.
func (a *API) announce(w http.ResponseWriter, r *http.Request) {
	if err := a.checkAdmin(r); err != nil {
		writeError(w, err)
		return
	}
	room, err := a.findRoom(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	var req rest.Announce
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	text, err := cleanAnnouncement(req.Text)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := room.Announce(r.Context(), text); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, rest.Announced{RoomID: room.ID(), Text: text})
}

// checkAdmin wants "Authorization: Bearer <AdminKey>". The keys are
// compared as hashes in constant time, so timing tells nothing of the key.
func (a *API) checkAdmin(r *http.Request) error {
	if a.opts.AdminKey == "" {
		return ErrAdminDisabled
	}
	scheme, key, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	key = strings.TrimSpace(key)
	if !strings.EqualFold(scheme, "Bearer") || key == "" {
		return ErrAdminKeyMissing
	}
	got, want := sha256.Sum256([]byte(key)), sha256.Sum256([]byte(a.opts.AdminKey))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return ErrAdminKeyWrong
	}
	return nil
}
