package pseudo

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// MinSecretLen is the shortest secret a Key accepts, in bytes: 256 bits,
// the size of HMAC-SHA-256's output.
const MinSecretLen = 32

// Errors NewKey and ParseKey wrap, for errors.Is.
var (
	ErrNoKey    = errors.New("pseudo: no key")
	ErrShortKey = errors.New("pseudo: key secret too short")
	ErrWeakKey  = errors.New("pseudo: key secret too weak")
	ErrKeyID    = errors.New("pseudo: invalid key id")
	ErrKeyText  = errors.New("pseudo: invalid key text")
)

// Key is the customer's secret for pseudonyms, with an id that every
// pseudonym carries so that a key can be rotated: pseudonyms made with
// different keys never look alike, and KeyID tells which key made one.
//
// A Key is immutable. Its zero value is no key. String, GoString, and
// LogValue show only the id, so a key never reaches a log by accident;
// Export writes the secret for a secret store, and ParseKey reads it back.
type Key struct {
	id     string
	secret *keySecret
}

// keySecret holds a Key's secret behind a pointer: fmt prints a pointer
// inside a struct as an address, so %v of any value that holds a Key (a
// Pseudonymiser, a struct with an unexported Key field) never shows the
// secret, as it would a string field, whose String method fmt cannot call.
type keySecret struct {
	b string // a string, so that a Key's bytes cannot be changed after the checks
}

// NewKey returns a key with the given id and secret. The id is 1 to 8
// lowercase letters or digits ("k1", "2026a"); the secret is at least
// MinSecretLen bytes of random data. An empty, short or evidently weak
// secret (typed text, a repeated byte or pattern, a counting sequence, few
// distinct bytes) is refused: a weak key lets anyone who guesses it reverse every
// pseudonym by trying all numbers. Use GenerateKey to make one.
func NewKey(id string, secret []byte) (Key, error) {
	if err := checkKeyID(id); err != nil {
		return Key{}, err
	}
	if err := checkSecret(id, secret); err != nil {
		return Key{}, err
	}
	return Key{id: id, secret: &keySecret{string(secret)}}, nil
}

// GenerateKey returns a new key with MinSecretLen random bytes from
// crypto/rand.
func GenerateKey(id string) (Key, error) {
	if err := checkKeyID(id); err != nil {
		return Key{}, err
	}
	b := make([]byte, MinSecretLen)
	if _, err := rand.Read(b); err != nil {
		return Key{}, fmt.Errorf("pseudo: generate key %q: %w", id, err)
	}
	return NewKey(id, b)
}

// ParseKey reads a key in the form Export writes, "id:secret", the secret
// in base64 (standard or URL alphabet, padded or not) or hex. This is the
// form to keep in an environment variable or a secret store.
func ParseKey(s string) (Key, error) {
	id, enc, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Key{}, fmt.Errorf("%w: want \"id:secret\" with the secret in base64 or hex (see pseudo.GenerateKey and Key.Export)", ErrKeyText)
	}
	if err := checkKeyID(id); err != nil {
		return Key{}, err
	}
	secret, err := decodeSecret(enc)
	if err != nil {
		return Key{}, fmt.Errorf("%w: key %q: %v", ErrKeyText, id, err)
	}
	return NewKey(id, secret)
}

func decodeSecret(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty secret")
	}
	if len(s)%2 == 0 {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("the secret is neither hex nor base64")
}

// Equal reports whether k and o have the same id and secret, comparing the
// secrets in constant time.
func (k Key) Equal(o Key) bool {
	if k.secret == nil || o.secret == nil {
		return k.id == o.id && k.secret == o.secret
	}
	return k.id == o.id && subtle.ConstantTimeCompare([]byte(k.secret.b), []byte(o.secret.b)) == 1
}

// ID returns the key's id.
func (k Key) ID() string { return k.id }

// IsZero reports whether k is the zero Key (no key).
func (k Key) IsZero() bool { return k.id == "" }

// String returns "pseudo.Key(id)": never the secret.
func (k Key) String() string { return "pseudo.Key(" + k.id + ")" }

// GoString is String, so that %#v does not print the secret either.
func (k Key) GoString() string { return k.String() }

// LogValue implements slog.LogValuer with the id only.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

// Export returns the key as "id:secret" with the secret in unpadded
// base64url: the text ParseKey reads. Keep it where the customer keeps
// secrets; whoever holds it can reverse pseudonyms by trying numbers.
func (k Key) Export() string {
	if k.secret == nil {
		return "" // the zero Key: nothing to export
	}
	enc := base64.RawURLEncoding.EncodeToString([]byte(k.secret.b))
	if len(enc)%2 == 0 {
		if _, err := hex.DecodeString(enc); err == nil {
			// ParseKey would read this base64 as hex: write hex.
			return k.id + ":" + hex.EncodeToString([]byte(k.secret.b))
		}
	}
	return k.id + ":" + enc
}

func checkKeyID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: the id is empty; want 1 to 8 lowercase letters or digits, like \"k1\"", ErrKeyID)
	}
	if len(id) > 8 {
		// Not quoted: a secret written before the colon would land here.
		return fmt.Errorf("%w: %d characters, want at most 8 (the form is \"id:secret\")", ErrKeyID, len(id))
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return fmt.Errorf("%w %q: want lowercase letters and digits only", ErrKeyID, id)
		}
	}
	return nil
}

// checkSecret refuses the secrets people type or paste by mistake. It
// cannot prove a secret random; it catches the evident cases.
func checkSecret(id string, b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("%w %q: the secret is empty; generate one with pseudo.GenerateKey", ErrNoKey, id)
	}
	if len(b) < MinSecretLen {
		return fmt.Errorf("%w: key %q has %d bytes, need at least %d; generate one with pseudo.GenerateKey", ErrShortKey, id, len(b), MinSecretLen)
	}
	var seen [256]bool
	distinct := 0
	for _, c := range b {
		if !seen[c] {
			seen[c] = true
			distinct++
		}
	}
	if distinct < 10 {
		return fmt.Errorf("%w: key %q uses only %d distinct byte values; generate one with pseudo.GenerateKey", ErrWeakKey, id, distinct)
	}
	if p := period(b); p <= len(b)/2 {
		return fmt.Errorf("%w: key %q repeats a %d-byte pattern; generate one with pseudo.GenerateKey", ErrWeakKey, id, p)
	}
	if arithmetic(b) {
		return fmt.Errorf("%w: key %q is a counting sequence; generate one with pseudo.GenerateKey", ErrWeakKey, id)
	}
	if printable(b) {
		return fmt.Errorf("%w: key %q is typed text (all printable characters), not random bytes; pass the decoded secret, read it with ParseKey, or generate one with pseudo.GenerateKey", ErrWeakKey, id)
	}
	return nil
}

// printable reports whether every byte is printable ASCII: a password or
// an encoded secret passed as if it were the bytes. 32 random bytes are all
// printable with a probability of about 10⁻¹⁴.
func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// period returns the smallest p such that b[i] == b[i-p] for every i ≥ p.
func period(b []byte) int {
	for p := 1; p < len(b); p++ {
		ok := true
		for i := p; i < len(b); i++ {
			if b[i] != b[i-p] {
				ok = false
				break
			}
		}
		if ok {
			return p
		}
	}
	return len(b)
}

// arithmetic reports whether b's bytes step by a constant ("abcdef…").
func arithmetic(b []byte) bool {
	d := b[1] - b[0]
	for i := 2; i < len(b); i++ {
		if b[i]-b[i-1] != d {
			return false
		}
	}
	return true
}
