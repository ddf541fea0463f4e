package netcode

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The rules for text that players write and other players see, in one
// place: chat (here, in DecodeClient), announcements, player and room
// names (in the lobby). Free text is cleaned: what could drive a terminal
// or a log viewer, or turn the text around on screen, is removed. Names
// are refused instead: a name is typed once and then identifies someone,
// so it is kept exactly as written or not at all.
//
//   - Control characters (C0, DEL, C1) and the ECMA-48 escape sequences
//     they start (ANSI colours, cursor moves, OSC titles, in 7-bit and in
//     8-bit form) are dropped from free text; line breaks and tabs become
//     spaces. Names must not contain any.
//   - Bidi controls (unicode.Bidi_Control: U+061C, U+200E, U+200F,
//     U+202A–U+202E, U+2066–U+2069), which reorder the text around them,
//     are dropped from free text and refused in names.
//   - Text must have something visible: a letter, digit, punctuation or
//     symbol that is not a default-ignorable code point (zero-width
//     characters, fillers, variation selectors) or a blank. Combining
//     marks and joiners are kept, as scripts and emoji need them, but do
//     not count as visible on their own.
//
// Surrounding white space is trimmed; lengths count runes after that.

// Why text is refused. They read as the end of a sentence naming the
// text: "chat: text has nothing visible", "name: has nothing visible".
var (
	ErrTextInvisible = errors.New("has nothing visible")
	ErrTextControl   = errors.New("contains control characters")
	ErrTextBidi      = errors.New("contains bidi controls (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069)")
	ErrTextUTF8      = errors.New("is not valid UTF-8")
)

// CleanText returns free text (chat, an announcement) as other players
// may see it: valid UTF-8 with control characters, escape sequences and
// bidi controls removed, line breaks and tabs turned into spaces, trimmed.
// It returns ErrTextInvisible when nothing visible is left. Text that
// needs no cleaning is returned as is, without allocating.
func CleanText(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", ErrTextUTF8
	}
	if needsCleaning(s) {
		s = clean(s)
	}
	s = strings.TrimSpace(s)
	if !visible(s) {
		return "", ErrTextInvisible
	}
	return s, nil
}

// CheckName returns a name trimmed of surrounding white space, or why it
// is refused: invalid UTF-8, control characters, bidi controls, or
// nothing visible. An empty name is ErrTextInvisible too.
func CheckName(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", ErrTextUTF8
	}
	s = strings.TrimSpace(s)
	for _, c := range s {
		switch {
		case unicode.IsControl(c):
			return "", ErrTextControl
		case unicode.Is(unicode.Bidi_Control, c):
			return "", ErrTextBidi
		}
	}
	if !visible(s) {
		return "", ErrTextInvisible
	}
	return s, nil
}

func needsCleaning(s string) bool {
	for _, c := range s {
		if unicode.IsControl(c) || unicode.Is(unicode.Bidi_Control, c) {
			return true
		}
	}
	return false
}

func clean(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == 0x85:
			b.WriteByte(' ')
		case c == 0x1b || c >= 0x80 && c <= 0x9f:
			i = escapeEnd(s, i)
			continue
		case unicode.IsControl(c), unicode.Is(unicode.Bidi_Control, c):
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// C1 controls that open an ECMA-48 sequence, and their 7-bit forms (ESC
// followed by the byte 0x40 lower).
const (
	c1DCS = 0x90 // ESC P: device control string
	c1SOS = 0x98 // ESC X: start of string
	c1CSI = 0x9b // ESC [: control sequence
	c1ST  = 0x9c // ESC \: string terminator
	c1OSC = 0x9d // ESC ]: operating system command (window titles, links)
	c1PM  = 0x9e // ESC ^: privacy message
	c1APC = 0x9f // ESC _: application program command
)

// escapeEnd returns the index just past the ECMA-48 sequence that starts
// at s[i], an ESC or a C1 control: a lone control, ESC and one final byte,
// a control sequence (parameters, intermediates, final byte), or a
// control string up to its terminator (ST, or BEL as terminals accept
// after OSC). An unterminated sequence runs to the end of s.
func escapeEnd(s string, i int) int {
	c, n := utf8.DecodeRuneInString(s[i:])
	i += n
	if c == 0x1b {
		if i == len(s) {
			return i
		}
		switch e := s[i]; {
		case e >= 0x40 && e <= 0x5f: // the 7-bit form of a C1 control
			c = rune(e) + 0x40
			i++
		case e >= 0x20 && e <= 0x2f: // intermediates, then a final byte
			for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
				i++
			}
			return finalByte(s, i, 0x30)
		default:
			return finalByte(s, i, 0x30)
		}
	}
	switch c {
	case c1CSI:
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x3f {
			i++
		}
		return finalByte(s, i, 0x40)
	case c1DCS, c1SOS, c1OSC, c1PM, c1APC:
		return stringEnd(s, i)
	}
	return i
}

// finalByte consumes s[i] if it is a final byte (lo to 0x7e).
func finalByte(s string, i int, lo byte) int {
	if i < len(s) && s[i] >= lo && s[i] <= 0x7e {
		i++
	}
	return i
}

// stringEnd returns the index past a control string's terminator: BEL,
// ESC \ or the C1 ST; the end of s if there is none.
func stringEnd(s string, i int) int {
	for ; i < len(s); i++ {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case strings.HasPrefix(s[i:], string(rune(c1ST))):
			return i + len(string(rune(c1ST)))
		}
	}
	return i
}

// visible reports whether s has a character that shows on screen.
func visible(s string) bool {
	for _, c := range s {
		if isVisible(c) {
			return true
		}
	}
	return false
}

func isVisible(c rune) bool {
	return unicode.In(c, unicode.L, unicode.N, unicode.P, unicode.S) &&
		!unicode.In(c, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) &&
		c != '\u2800' // braille pattern blank: a symbol that draws nothing
}
