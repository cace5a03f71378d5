package cdr

import "strings"

// CallerID is a STARFACE caller-id string split into a display name and a
// number, e.g. "Anna Agent (12)" or "+4971112345". Either part may be
// empty. The number is kept as written; normalise it with NumberPlan.
//
// The zero value is an empty caller id. ParseCallerID and String round-trip:
// ParseCallerID(c.String()) == c for every c that ParseCallerID returns. Its
// text and JSON form is the STARFACE string, so a CallerID built by hand
// whose name ends in "(digits)" and that has no number reads back split.
type CallerID struct {
	Name   string
	Number string
}

// IsZero reports whether both parts are empty.
func (c CallerID) IsZero() bool { return c.Name == "" && c.Number == "" }

// String returns the caller id in STARFACE's form: "Name (Number)", or the
// one part that is set.
func (c CallerID) String() string {
	switch {
	case c.Name == "":
		return c.Number
	case c.Number == "":
		return c.Name
	}
	return c.Name + " (" + c.Number + ")"
}

// MarshalText implements encoding.TextMarshaler with String's form.
func (c CallerID) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseCallerID.
func (c *CallerID) UnmarshalText(b []byte) error {
	*c = ParseCallerID(string(b))
	return nil
}

// ParseCallerID splits a caller-id string. A trailing parenthesised part
// ("Name (12)") or angle-bracketed part ("Name <12>") that looks like a
// number is the number; a string that as a whole looks like a number is a
// number; anything else is a name. It never fails: text it cannot split is
// kept as the name, so nothing is lost.
func ParseCallerID(s string) CallerID {
	s = strings.TrimSpace(s)
	if s == "" {
		return CallerID{}
	}
	if n := len(s); s[n-1] == ')' || s[n-1] == '>' {
		open := byte('(')
		if s[n-1] == '>' {
			open = '<'
		}
		if i := strings.LastIndexByte(s, open); i >= 0 {
			inner := strings.TrimSpace(s[i+1 : n-1])
			if looksLikeNumber(inner, false) || looksConcealed(inner) {
				return CallerID{Name: strings.TrimSpace(s[:i]), Number: inner}
			}
		}
	}
	if looksLikeNumber(s, true) || looksConcealed(s) {
		return CallerID{Number: s}
	}
	return CallerID{Name: s}
}

// looksLikeNumber reports whether s is made of dialling characters and
// holds at least one digit. parens allows "(0711) 123" as a whole number.
func looksLikeNumber(s string, parens bool) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '+' || c == '*' || c == '#' || c == '-' || c == '/' || c == ' ' || c == '.':
		case parens && (c == '(' || c == ')'):
		default:
			return false
		}
	}
	return digits > 0
}
