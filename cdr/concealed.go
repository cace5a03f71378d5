package cdr

import (
	"fmt"
	"strings"
)

// Concealed numbers. Personal numbers may leave the company only
// pseudonymised or masked (DOMAIN.md §4), and such rows must still read
// back, normalise and interpret like any other: a concealed number is a
// PhoneNumber of its own kind with a text form that cannot be mistaken for
// a clear one.
//
//	pseudonym  "+49 7… #3F2A9B1C04D2-k1"   E.164: country code and leading digits in clear
//	           "… #3F2A9B1C04D2-k1"        internal
//	           "~… #3F2A9B1C04D2-k1"       other
//	masked     "+4971112xxx"                the last digits replaced by x
//	           "1xx", "~12xxx"              internal, other (digits only)
//
// Package pseudo makes the pseudonyms; this package only keeps them apart
// from clear numbers.

type numberForm uint8

const (
	formClear numberForm = iota
	formPseudonym
	formMasked
)

// pseudonymMark separates a pseudonym's visible digits from its token.
const pseudonymMark = "… #"

// Pseudonymous reports whether p is a pseudonym (see PseudonymousNumber).
func (p PhoneNumber) Pseudonymous() bool { return p.form == formPseudonym }

// Masked reports whether p is a masked number (see Mask).
func (p PhoneNumber) Masked() bool { return p.form == formMasked }

// Concealed reports whether p is a pseudonym or a masked number.
func (p PhoneNumber) Concealed() bool { return p.form != formClear }

// PseudonymousNumber returns the pseudonym of a number of the given kind:
// visible is what stays in clear ("49 7": the country code and leading
// digits of an E.164 number, digits and at most one space; empty for
// other kinds) and token identifies the number (letters, digits and '-',
// not starting with '-'). Two numbers are equal exactly when their kinds,
// visible parts and tokens are. Pseudonyms are matchable like the numbers
// they stand for, so lost callers can be found on pseudonymised data.
func PseudonymousNumber(kind NumberKind, visible, token string) (PhoneNumber, error) {
	if kind < NumberInternal || kind > NumberOther {
		return PhoneNumber{}, fmt.Errorf("cdr: a pseudonymous number must be internal, e164 or other, not %v", kind)
	}
	if err := checkVisible(kind, visible); err != nil {
		return PhoneNumber{}, err
	}
	if !validToken(token) {
		return PhoneNumber{}, fmt.Errorf("cdr: invalid pseudonym token %q: want letters, digits and '-'", token)
	}
	return PhoneNumber{kind: kind, form: formPseudonym, digits: visible + pseudonymMark + token}, nil
}

// PseudonymToken returns the token of a pseudonymous number, and false for
// any other number.
func (p PhoneNumber) PseudonymToken() (string, bool) {
	if p.form != formPseudonym {
		return "", false
	}
	i := strings.LastIndex(p.digits, pseudonymMark)
	return p.digits[i+len(pseudonymMark):], true
}

// Mask returns p with its last n digits replaced by 'x', as German
// itemised bills shorten numbers (§ 96 TKG). Masking cannot be undone and
// breaks matching: a masked number is not Matchable. Masking an "other"
// number keeps only its digits, and a masked number has at most the 15
// digits of E.164: longer text keeps its first 15 positions. None, withheld and pseudonymous numbers,
// and n ≤ 0, return p unchanged; masking a masked number masks at least n
// digits.
func (p PhoneNumber) Mask(n int) PhoneNumber {
	if n <= 0 || p.kind < NumberInternal || p.form == formPseudonym {
		return p
	}
	d := p.digits
	if p.kind == NumberOther && p.form == formClear {
		d = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, d)
	}
	if d == "" {
		d = "x"
	}
	if len(d) > maxMaskedLen {
		d = d[:maxMaskedLen] // no number is longer; the rest shows nothing
	}
	keep := max(len(d)-n, 0)
	if t := len(strings.TrimRight(d, "x")); t < keep {
		keep = t
	}
	return PhoneNumber{kind: p.kind, form: formMasked, digits: d[:keep] + strings.Repeat("x", len(d)-keep)}
}

// parseConcealed parses the concealed text forms. ok is false for a text
// that is not concealed; err is set for one that looks like a pseudonym but
// is malformed.
func parseConcealed(s string) (p PhoneNumber, ok bool, err error) {
	kind, rest := NumberInternal, s
	if s != "" && (s[0] == '+' || s[0] == '~') {
		kind, rest = NumberE164, s[1:]
		if s[0] == '~' {
			kind = NumberOther
		}
	}
	if i := strings.Index(rest, pseudonymMark); i >= 0 {
		p, err := PseudonymousNumber(kind, rest[:i], rest[i+len(pseudonymMark):])
		if err != nil {
			return PhoneNumber{}, true, fmt.Errorf("cdr: invalid pseudonymous number %q: %w", s, err)
		}
		return p, true, nil
	}
	if maskedDigits(rest) && !strings.ContainsRune(rest, 'X') {
		return PhoneNumber{kind: kind, form: formMasked, digits: rest}, true, nil
	}
	return PhoneNumber{}, false, nil
}

// maxMaskedLen is the most digit positions a masked number may have: the
// 15 of E.164. Longer "masked" text is not a masked number (a clear number
// with x's appended must not pass as concealed).
const maxMaskedLen = 15

// maskedDigits reports whether s is digits followed by at least one x
// (either case), at most maxMaskedLen in all.
func maskedDigits(s string) bool {
	if len(s) > maxMaskedLen {
		return false
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == len(s) {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != 'x' && s[i] != 'X' {
			return false
		}
	}
	return true
}

// looksConcealed reports whether s is the text of a concealed number, for
// ParseCallerID: a pseudonym, or a masked number as a PBX or a masking
// export may write it ("0711 1234xxx", "+49 711 12XXX").
func looksConcealed(s string) bool {
	if _, ok, err := parseConcealed(s); ok {
		return err == nil
	}
	if !strings.ContainsAny(s, "xX") {
		return false
	}
	t := strings.Map(func(r rune) rune {
		if strings.ContainsRune(numberSeparators, r) {
			return -1
		}
		return r
	}, strings.TrimPrefix(s, "+"))
	return maskedDigits(t)
}

func checkVisible(kind NumberKind, v string) error {
	if v == "" {
		return nil
	}
	if kind != NumberE164 {
		return fmt.Errorf("cdr: a pseudonymous %v number shows no digits, got %q", kind, v)
	}
	head, tail, spaced := strings.Cut(v, " ")
	if !allDigits(head) || spaced && !allDigits(tail) {
		return fmt.Errorf("cdr: invalid visible digits %q of a pseudonymous number: want digits and at most one space", v)
	}
	return nil
}

func validToken(t string) bool {
	if t == "" || t[0] == '-' {
		return false
	}
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
		default:
			return false
		}
	}
	return true
}
