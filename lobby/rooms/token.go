package rooms

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Token errors; match them with errors.Is.
var (
	ErrTokenInvalid = errors.New("rooms: token invalid")
	ErrTokenExpired = errors.New("rooms: token expired")
	ErrTokenUsed    = errors.New("rooms: token already used")
)

// TokenKind tells a join token from a reconnect token.
type TokenKind string

const (
	TokenJoin      TokenKind = "join"
	TokenReconnect TokenKind = "reconnect"
)

// Claims is what a seat token says. Nonce makes each token single-use: the
// room remembers the one nonce it will accept next for each seat.
type Claims struct {
	Kind     TokenKind `json:"k"`
	RoomID   string    `json:"r"`
	PlayerID uint32    `json:"p"`
	Nonce    uint64    `json:"n"`
	Expires  int64     `json:"e"` // unix seconds
}

// Tokens signs and verifies seat tokens with HMAC-SHA256.
type Tokens struct {
	key []byte // static after construction
	now func() time.Time
}

// NewTokens returns a signer with key; an empty key gets a random one
// (tokens then do not survive a restart).
func NewTokens(key []byte, now func() time.Time) *Tokens {
	if len(key) == 0 {
		key = make([]byte, 32)
		rand.Read(key)
	}
	if now == nil {
		now = time.Now
	}
	return &Tokens{key: key, now: now}
}

// Sign returns the token for c.
func (t *Tokens) Sign(c Claims) string {
	payload, _ := json.Marshal(c)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(t.mac(p))
}

// Verify checks the signature and expiry of tok and returns its claims.
func (t *Tokens) Verify(tok string) (Claims, error) {
	var c Claims
	p, sig, ok := strings.Cut(tok, ".")
	if !ok {
		return c, fmt.Errorf("%w: not a token", ErrTokenInvalid)
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, t.mac(p)) {
		return c, fmt.Errorf("%w: bad signature", ErrTokenInvalid)
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return c, fmt.Errorf("%w: bad payload", ErrTokenInvalid)
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return c, fmt.Errorf("%w: bad payload", ErrTokenInvalid)
	}
	if t.now().Unix() > c.Expires {
		return c, ErrTokenExpired
	}
	return c, nil
}

func (t *Tokens) mac(payload string) []byte {
	h := hmac.New(sha256.New, t.key)
	h.Write([]byte(payload))
	return h.Sum(nil)
}

func randomNonce() uint64 {
	var b [8]byte
	rand.Read(b[:])
	var n uint64
	for _, x := range b {
		n = n<<8 | uint64(x)
	}
	return n
}
