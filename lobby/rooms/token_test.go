package rooms

import (
	"errors"
	"testing"
	"time"
)

func TestTokens(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tk := NewTokens([]byte("key"), func() time.Time { return now })
	c := Claims{Kind: TokenJoin, RoomID: "r1", PlayerID: 7, Nonce: 42, Expires: now.Unix() + 10}
	good := tk.Sign(c)
	tests := []struct {
		name string
		tok  string
		want error
	}{
		{"valid", good, nil},
		{"expired", tk.Sign(Claims{Kind: TokenJoin, RoomID: "r1", PlayerID: 7, Expires: now.Unix() - 1}), ErrTokenExpired},
		{"other key", NewTokens([]byte("other"), nil).Sign(c), ErrTokenInvalid},
		{"no signature", good[:len(good)-44], ErrTokenInvalid},
		{"flipped payload byte", "X" + good[1:], ErrTokenInvalid},
		{"empty", "", ErrTokenInvalid},
		{"garbage", "a.b.c", ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tk.Verify(tt.tok)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify: %v, want %v", err, tt.want)
			}
			if tt.want == nil && got != c {
				t.Fatalf("claims %+v, want %+v", got, c)
			}
		})
	}
}

// FuzzTokenVerify: Verify never panics, and whatever it accepts was signed
// with the key (re-signing the claims gives the same token).
func FuzzTokenVerify(f *testing.F) {
	tk := NewTokens([]byte("fuzz key"), func() time.Time { return time.Unix(0, 0) })
	good := tk.Sign(Claims{Kind: TokenReconnect, RoomID: "room", PlayerID: 1, Nonce: 2, Expires: 99})
	for _, s := range []string{good, good[:10], good + "x", "", ".", "..", "eyJ9.", "x.y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := tk.Verify(tok)
		if err != nil {
			return
		}
		if again := tk.Sign(c); again != tok {
			if _, err := tk.Verify(again); err != nil {
				t.Fatalf("accepted %q but its claims do not re-sign: %v", tok, err)
			}
		}
	})
}
