package flagenv

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	env := map[string]string{"T_TICK_RATE": "20", "T_NAME": "from-env", "T_BAD": "x"}
	tests := []struct {
		name     string
		args     []string
		env      bool
		wantRate int
		wantName string
		wantErr  string
	}{
		{"flags only", []string{"-tick-rate", "60"}, false, 60, "def", ""},
		{"env fills what flags leave", []string{"-name", "flag"}, true, 20, "flag", "T_BAD"},
		{"positional argument", []string{"extra"}, false, 30, "def", `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			rate := fs.Int("tick-rate", 30, "")
			name := fs.String("name", "def", "")
			fs.Int("bad", 0, "")
			getenv := func(string) string { return "" }
			if tc.env {
				getenv = func(k string) string { return env[k] }
			}
			err := Parse(fs, tc.args, "T", getenv)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
			if tc.wantErr != "" && !tc.env {
				return
			}
			if *rate != tc.wantRate || *name != tc.wantName {
				t.Errorf("tick-rate %d name %q, want %d %q", *rate, *name, tc.wantRate, tc.wantName)
			}
		})
	}
}
