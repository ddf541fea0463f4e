package netcode

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"hello", "hello"},
		{"  héllo ✓ ", "héllo ✓"},
		{"hi\x00there\x07", "hithere"},
		{"\x7fdel", "del"},
		{"\x1b[31mred\x1b[0m", "red"},
		{"\x1b[38;2;255;0;0mtrue colour\x1b[m", "true colour"},
		{"\x1b[?25lhidden cursor", "hidden cursor"},
		{"\x1b]0;window title\x07after", "after"},
		{"\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"\x1bPdevice\x1b\\dcs", "dcs"},
		{"\x1b7saved\x1b8", "saved"},
		{"\x1bcreset", "reset"},
		{"\x1b(Bcharset", "charset"},
		{"\u009b31mC1 CSI", "C1 CSI"},
		{"\u009d0;title\u009cC1 OSC", "C1 OSC"},
		{"\u0085next line", "next line"},
		{"lone ESC\x1b", "lone ESC"},
		{"unterminated \x1b]0;title", "unterminated"},
		{"\x1b[31", "nothing visible"},
		{"a\u202eb\u202cc", "abc"},
		{"\u2066iso\u2069late \u2067r\u2068f", "isolate rf"},
		{"mark\u200e\u200f\u061c", "mark"},
		{"line\nbreak\r\ttab", "line break  tab"},
		{"👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"},
		{"می\u200cخواهم", "می\u200cخواهم"},
		{"e\u0301", "e\u0301"},
		{"\u200b\u200b", "nothing visible"},
		{"\u3164\ufeff\u2800", "nothing visible"},
		{"\u0301", "nothing visible"},
		{"\ufe0f", "nothing visible"},
		{"", "nothing visible"},
	} {
		got, err := CleanText(tt.in)
		if tt.want == "nothing visible" {
			if !errors.Is(err, ErrTextInvisible) {
				t.Errorf("CleanText(%q) = %q, %v; want ErrTextInvisible", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CleanText(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := CleanText("\xff"); !errors.Is(err, ErrTextUTF8) {
		t.Errorf("invalid UTF-8: %v", err)
	}
	if n := testing.AllocsPerRun(100, func() { CleanText(" nothing to clean ") }); n != 0 {
		t.Errorf("clean text: %v allocs, want 0", n)
	}
}

func TestCheckName(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		err      error
	}{
		{" Zoë ", "Zoë", nil},
		{"東京", "東京", nil},
		{"עברית", "עברית", nil},
		{"👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧", nil},
		{"", "", ErrTextInvisible},
		{"   ", "", ErrTextInvisible},
		{"\u200b\u200d", "", ErrTextInvisible},
		{"\ufeff\u3164", "", ErrTextInvisible},
		{"\u0301\u0301", "", ErrTextInvisible},
		{"Official \u202emoor", "", ErrTextBidi},
		{"\u2066admin\u2069", "", ErrTextBidi},
		{"admin\u200e", "", ErrTextBidi},
		{"\x1b[31madmin", "", ErrTextControl},
		{"ad\x00min", "", ErrTextControl},
		{"admin\nserver", "", ErrTextControl},
		{"\u009bx", "", ErrTextControl},
		{"\xffname", "", ErrTextUTF8},
	} {
		got, err := CheckName(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("CheckName(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// FuzzCleanText: cleaned text is valid UTF-8 with no control characters
// and no bidi controls, trimmed, has something visible, and cleaning it
// again changes nothing; names CheckName accepts come out of CleanText
// unchanged.
func FuzzCleanText(f *testing.F) {
	for _, seed := range []string{"hello", "\x1b[31mred\x1b[0m", "\x1b]0;t\x07x", "\u009b1m", "a\u202eb", "\u200b", "\x1b", "\x1b[", "\u009d", " \t\n", "👨\u200d👩"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if name, err := CheckName(in); err == nil {
			if got, err := CleanText(name); err != nil || got != name {
				t.Fatalf("name %q: cleaned to %q, %v", name, got, err)
			}
		}
		out, err := CleanText(in)
		if err != nil {
			return
		}
		if !utf8.ValidString(out) || out != strings.TrimSpace(out) || !visible(out) {
			t.Fatalf("%q: cleaned to %q", in, out)
		}
		for _, c := range out {
			if unicode.IsControl(c) || unicode.Is(unicode.Bidi_Control, c) {
				t.Fatalf("%q: cleaned to %q, which keeps %U", in, out, c)
			}
		}
		if again, err := CleanText(out); err != nil || again != out {
			t.Fatalf("%q: cleaned to %q, then to %q, %v", in, out, again, err)
		}
	})
}
