package sqlsink

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// EncodedPrefix starts a text value that the sink stored encoded because
// the database could not store it as it is. Nothing is dropped or replaced
// silently: such a value is stored as EncodedPrefix followed by the value
// with '%', and every byte the database cannot hold, written as %XX (hex).
// DecodeText gives the original bytes back. A dialect encodes only the
// values that need it:
//
//   - every dialect: text that is not valid UTF-8 (PostgreSQL refuses it,
//     MySQL refuses or replaces it, SQL Server's driver replaces it, and
//     tools reading an SQLite file fail on it), and text that itself starts
//     with EncodedPrefix, so that decoding is exact;
//   - PostgreSQL: text holding NUL (0x00), which its text type cannot hold;
//   - MySQL/MariaDB and SQL Server: a key ending in spaces, which their
//     key comparison ignores ("a" and "a " would be one key and overwrite
//     each other); the trailing spaces are written as %20.
//
// Everything else is stored exactly as it is, whatever it holds: quotes,
// backslashes, control characters, emoji, any length a column allows.
const EncodedPrefix = "\uFFFD%"

// ErrKeyTooLong is wrapped by the WriteError of a key value longer than
// the dialect's key column holds (MySQL VARCHAR(255), SQL Server
// NVARCHAR(200)); the database would refuse it or, outside MySQL's strict
// mode, truncate it.
var ErrKeyTooLong = errors.New("sqlsink: value too long for a key column")

// DecodeText returns the original of a text value as the sink stored it:
// a value starting with EncodedPrefix decoded, any other value as it is.
// Reports that read the tables directly can apply it to every text column.
func DecodeText(s string) string {
	rest, ok := strings.CutPrefix(s, EncodedPrefix)
	if !ok {
		return s
	}
	b := make([]byte, 0, len(rest))
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; c == '%' && i+2 < len(rest) && isHexDigit(rest[i+1]) && isHexDigit(rest[i+2]) {
			b = append(b, unhex(rest[i+1])<<4|unhex(rest[i+2]))
			i += 2
			continue
		}
		b = append(b, rest[i])
	}
	return string(b)
}

// textNeeds says which values a dialect must encode.
type textNeeds struct {
	nul          bool // NUL bytes (PostgreSQL)
	keyTrailing  bool // keys ending in a space (PAD SPACE comparison)
	maxKeyLength func(string) int
	maxKey       int // 0: no limit checked
	keyType      string
}

// bindText encodes s if it needs it and checks a key's length.
func (n textNeeds) bindText(s string, key bool) (any, error) {
	trailing := key && n.keyTrailing && strings.HasSuffix(s, " ")
	if !utf8.ValidString(s) || strings.HasPrefix(s, EncodedPrefix) || trailing || n.nul && strings.IndexByte(s, 0) >= 0 {
		s = encodeText(s, n.nul, trailing)
	}
	if key && n.maxKey > 0 {
		if l := n.maxKeyLength(s); l > n.maxKey {
			return nil, &lengthError{length: l, keyType: n.keyType}
		}
	}
	return s, nil
}

type lengthError struct {
	length  int
	keyType string
}

func (e *lengthError) Error() string {
	return ErrKeyTooLong.Error() + ": " + itoa(e.length) + " characters, the column is " + e.keyType
}

func (e *lengthError) Unwrap() error { return ErrKeyTooLong }

// encodeText writes s as EncodedPrefix and s with '%', the bytes of
// invalid UTF-8, NUL (if nul) and trailing spaces (if trailing) as %XX.
func encodeText(s string, nul, trailing bool) string {
	end := len(s)
	if trailing {
		end = len(strings.TrimRight(s, " "))
	}
	var b strings.Builder
	b.Grow(len(EncodedPrefix) + len(s) + 8)
	b.WriteString(EncodedPrefix)
	for i := 0; i < len(s); {
		c := s[i]
		if c == '%' || nul && c == 0 || i >= end {
			writeHex(&b, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			writeHex(&b, c)
			i++
			continue
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String()
}

func writeHex(b *strings.Builder, c byte) {
	const digits = "0123456789ABCDEF"
	b.WriteByte('%')
	b.WriteByte(digits[c>>4])
	b.WriteByte(digits[c&15])
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// runeCount is MySQL's length of a VARCHAR value: characters.
func runeCount(s string) int { return utf8.RuneCountInString(s) }

// utf16Length is SQL Server's length of an NVARCHAR value: UTF-16 code
// units (a character beyond the BMP takes two).
func utf16Length(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}
