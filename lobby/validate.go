package lobby

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tickroom/tickroom/netcode"
)

// Limits on request fields beyond rooms.Config's.
const (
	maxLabels      = 16
	maxLabelKey    = 32 // bytes
	maxLabelValue  = 64 // bytes
	maxModeLen     = 32
	minJoinCode    = 4
	maxJoinCode    = 64
	maxAnnounceLen = netcode.MaxChatRunes
)

// inRange returns *v checked against lo..hi, or 0 (the default) when v is
// absent.
func inRange(v *int, field string, lo, hi int) (int, error) {
	if v == nil {
		return 0, nil
	}
	if *v < lo || *v > hi {
		return 0, &FieldError{Field: field, Detail: fmt.Sprintf("must be between %d and %d", lo, hi)}
	}
	return *v, nil
}

// token reports whether s is 1..n bytes of ASCII letters, digits, '-', '_'
// and the extra bytes allowed.
func token(s string, n int, extra string) bool {
	if s == "" || len(s) > n {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || strings.IndexByte(extra, c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

func validMode(mode, field string) (string, error) {
	if !token(mode, maxModeLen, "") || strings.ToLower(mode) != mode {
		return "", &FieldError{Field: field, Detail: fmt.Sprintf("must be 1 to %d of a-z, 0-9, '-' and '_'", maxModeLen)}
	}
	return mode, nil
}

func validJoinCode(code string) error {
	if len(code) < minJoinCode || !token(code, maxJoinCode, "") {
		return &FieldError{Field: "join_code", Detail: fmt.Sprintf("required for a private room: %d to %d of A-Z, a-z, 0-9, '-' and '_'", minJoinCode, maxJoinCode)}
	}
	return nil
}

// validLabel checks one label; field names it in the error.
func validLabel(k, v, field string) error {
	switch {
	case !token(k, maxLabelKey, "."):
		return &FieldError{Field: field, Detail: fmt.Sprintf("label keys are 1 to %d of A-Z, a-z, 0-9, '-', '_' and '.'", maxLabelKey)}
	case len(v) > maxLabelValue || !utf8.ValidString(v):
		return &FieldError{Field: field, Detail: fmt.Sprintf("label values are UTF-8, at most %d bytes", maxLabelValue)}
	}
	return nil
}

func validateLabels(l map[string]string) error {
	if len(l) > maxLabels {
		return &FieldError{Field: "labels", Detail: fmt.Sprintf("at most %d labels", maxLabels)}
	}
	for _, k := range slices.Sorted(maps.Keys(l)) {
		if err := validLabel(k, l[k], "labels."+k); err != nil {
			return err
		}
	}
	return nil
}

// validPlayerName checks a player's name by the text rules
// (netcode.CheckName) and its length.
func validPlayerName(name string) (string, error) {
	name, err := validName(name)
	if err != nil {
		return "", err
	}
	if utf8.RuneCountInString(name) > netcode.MaxNameRunes {
		return "", &FieldError{Field: "name", Detail: fmt.Sprintf("longer than %d characters", netcode.MaxNameRunes)}
	}
	return name, nil
}

// validName checks a player's or a room's name: refused, never changed,
// with bidi controls, control characters or nothing visible.
func validName(name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		return "", &FieldError{Field: "name", Detail: "required"}
	}
	name, err := netcode.CheckName(name)
	if err != nil {
		return "", &FieldError{Field: "name", Detail: err.Error()}
	}
	return name, nil
}

// validRoomName checks a room's name; empty or blank means the default.
func validRoomName(name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		return "", nil
	}
	return validName(name)
}

// cleanAnnouncement cleans an announcement like chat (netcode.CleanText)
// and checks its length.
func cleanAnnouncement(text string) (string, error) {
	text, err := netcode.CleanText(text)
	if err == nil && utf8.RuneCountInString(text) > maxAnnounceLen {
		err = fmt.Errorf("longer than %d characters", maxAnnounceLen)
	}
	if err != nil {
		return "", &FieldError{Field: "text", Detail: fmt.Sprintf("must be 1 to %d visible characters: %v", maxAnnounceLen, err)}
	}
	return text, nil
}
