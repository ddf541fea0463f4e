package web_test

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/netcode"
)

// TestConstantsMatchGo: the numbers the browser needs from the Go side —
// the game's rules for prediction and drawing, the protocol's codes — are
// written in its modules, which import nothing from Go. This test reads each
// from the module's source and compares it with the Go constant it copies,
// so a change on either side fails here instead of as a mispredicted game.
func TestConstantsMatchGo(t *testing.T) {
	consts := []struct {
		file, name string
		want       float64
	}{
		{"predict.js", "PLAYER_RADIUS", game.PlayerRadius},
		{"predict.js", "ACCEL", game.Accel},
		{"predict.js", "FRICTION", game.Friction},
		{"predict.js", "DIAG", game.Diag},
		{"session.js", "SHOT_SPEED", game.ShotSpeed},
		{"session.js", "SHOT_OFFSET", game.ShotOffset},
		{"session.js", "FIRST_SHOT_ID", game.FirstShotID},
		{"render.js", "VIEW_W", 2 * game.ViewHalfW},
		{"render.js", "VIEW_H", 2 * game.ViewHalfH},
		{"render.js", "SHOT_RADIUS", game.ShotRadius},
	}
	for _, c := range consts {
		if got := jsConst(t, c.file, c.name); got != c.want {
			t.Errorf("%s: %s = %v, Go says %v", c.file, c.name, got, c.want)
		}
	}
	if got := jsString(t, "net.js", "SUBPROTOCOL"); got != netcode.Subprotocol {
		t.Errorf("net.js: SUBPROTOCOL = %q, Go says %q", got, netcode.Subprotocol)
	}

	objects := []struct {
		file, object string
		want         map[string]float64
	}{
		{"net.js", "Msg", map[string]float64{
			"Input": float64(netcode.MsgInput), "Ping": float64(netcode.MsgPing), "Chat": float64(netcode.MsgChat), "Leave": float64(netcode.MsgLeave),
			"Welcome": float64(netcode.MsgWelcome), "Snapshot": float64(netcode.MsgSnapshot), "Pong": float64(netcode.MsgPong),
			"Events": float64(netcode.MsgEvents), "Error": float64(netcode.MsgError)}},
		{"net.js", "Move", map[string]float64{"Up": float64(game.MoveUp), "Down": float64(game.MoveDown), "Left": float64(game.MoveLeft), "Right": float64(game.MoveRight)}},
		{"net.js", "Button", map[string]float64{"Fire": float64(game.ButtonFire)}},
		{"net.js", "Kind", map[string]float64{"Player": float64(game.KindPlayer), "Projectile": float64(game.KindProjectile)}},
		{"net.js", "Flag", map[string]float64{"Dead": float64(game.FlagDead), "Reconnecting": float64(game.FlagReconnecting)}},
		{"net.js", "EventKind", map[string]float64{"Join": float64(game.EventJoin), "Leave": float64(game.EventLeave), "Kill": float64(game.EventKill),
			"Chat": float64(game.EventChat), "System": float64(game.EventSystem), "Hit": float64(game.EventHit)}},
		{"net.js", "ErrorCode", map[string]float64{"BadMessage": float64(netcode.CodeBadMessage), "RateLimited": float64(netcode.CodeRateLimited),
			"RoomClosed": float64(netcode.CodeRoomClosed), "TooSlow": float64(netcode.CodeTooSlow), "Internal": float64(netcode.CodeInternal), "Shutdown": float64(netcode.CodeShutdown)}},
		{"net.js", "F", map[string]float64{"Kind": float64(netcode.FieldKind), "X": float64(netcode.FieldX), "Y": float64(netcode.FieldY),
			"VX": float64(netcode.FieldVX), "VY": float64(netcode.FieldVY), "Angle": float64(netcode.FieldAngle), "HP": float64(netcode.FieldHP),
			"Flags": float64(netcode.FieldFlags), "Score": float64(netcode.FieldScore), "Owner": float64(netcode.FieldOwner), "Born": float64(netcode.FieldBorn)}},
	}
	for _, o := range objects {
		got := jsObject(t, o.file, o.object)
		for k, want := range o.want {
			if v, ok := got[k]; !ok || v != want {
				t.Errorf("%s: %s.%s = %v (present %v), Go says %v", o.file, o.object, k, v, ok, want)
			}
		}
		for k := range got {
			if _, ok := o.want[k]; !ok {
				t.Errorf("%s: %s.%s has no Go counterpart in this test", o.file, o.object, k)
			}
		}
	}
}

func source(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// jsConst evaluates `const NAME = <expr>;`, where expr is numbers joined by
// + or <<, the only forms the modules use.
func jsConst(t *testing.T, file, name string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^(?:export )?const ` + name + ` = ([^;]+);`).FindStringSubmatch(source(t, file))
	if m == nil {
		t.Fatalf("%s: no const %s", file, name)
	}
	return jsNumber(t, file, strings.TrimSpace(m[1]))
}

func jsNumber(t *testing.T, file, expr string) float64 {
	t.Helper()
	if a, b, ok := strings.Cut(expr, "+"); ok {
		return jsNumber(t, file, strings.TrimSpace(a)) + jsNumber(t, file, strings.TrimSpace(b))
	}
	if a, b, ok := strings.Cut(expr, "<<"); ok {
		return float64(int64(jsNumber(t, file, strings.TrimSpace(a))) << int64(jsNumber(t, file, strings.TrimSpace(b))))
	}
	v, err := strconv.ParseFloat(expr, 64)
	if err != nil {
		t.Fatalf("%s: %q is not a number this test can read", file, expr)
	}
	return v
}

func jsString(t *testing.T, file, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^(?:export )?const ` + name + ` = "([^"]*)";`).FindStringSubmatch(source(t, file))
	if m == nil {
		t.Fatalf("%s: no string const %s", file, name)
	}
	return m[1]
}

// jsObject reads `const NAME = Object.freeze({ K: v, ... });`.
func jsObject(t *testing.T, file, name string) map[string]float64 {
	t.Helper()
	m := regexp.MustCompile(`(?s)const ` + name + ` = Object\.freeze\(\{(.*?)\}\);`).FindStringSubmatch(source(t, file))
	if m == nil {
		t.Fatalf("%s: no frozen object %s", file, name)
	}
	out := map[string]float64{}
	for _, kv := range strings.Split(m[1], ",") {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			continue
		}
		out[strings.TrimSpace(k)] = jsNumber(t, file, strings.TrimSpace(v))
	}
	return out
}
