package cdr

import (
	"errors"
	"fmt"
	"strings"
)

// NumberKind classifies a normalised phone number.
type NumberKind uint8

// The kinds of PhoneNumber.
const (
	NumberNone     NumberKind = iota // no number at all
	NumberWithheld                   // the caller suppressed the number (CLIR) or the network sent none
	NumberInternal                   // an internal extension of the PBX
	NumberE164                       // an external number in E.164 form, "+4971112345"
	NumberOther                      // something that cannot be normalised (a local number without an area code, a service code)
)

var numberKindNames = [...]string{"none", "withheld", "internal", "e164", "other"}

// String returns the kind's name.
func (k NumberKind) String() string {
	if int(k) < len(numberKindNames) {
		return numberKindNames[k]
	}
	return fmt.Sprintf("NumberKind(%d)", k)
}

// PhoneNumber is a normalised phone number: an immutable value whose zero
// value is "no number". Its text form (String, MarshalText) round-trips
// through ParsePhoneNumber:
//
//	""          none
//	"withheld"  withheld
//	"12"        internal extension (digits only)
//	"+4971112"  E.164
//	"~*21#"     other, as written without separators
//
// A number can also be concealed (see concealed.go): a pseudonym made by
// package pseudo, "+49 7… #3F2A9B1C04D2-k1", or a masked number,
// "+4971112xxx". Concealed numbers keep their kind, so internal and
// external calls stay apart; pseudonyms stay matchable, masked numbers do
// not.
type PhoneNumber struct {
	kind   NumberKind
	form   numberForm
	digits string // E.164 without '+', internal digits, or the cleaned other text; see concealed.go for concealed forms
}

// Withheld is the PhoneNumber of a caller who suppressed the number.
var Withheld = PhoneNumber{kind: NumberWithheld}

// Kind returns the number's kind.
func (p PhoneNumber) Kind() NumberKind { return p.kind }

// IsZero reports whether p is the zero value (no number).
func (p PhoneNumber) IsZero() bool { return p.kind == NumberNone }

// External reports whether p is an external number (E.164 or other).
func (p PhoneNumber) External() bool { return p.kind == NumberE164 || p.kind == NumberOther }

// Matchable reports whether p identifies a party well enough to match calls
// from the same party: an E.164, internal or other number, not none or
// withheld.
//
// A masked number is not matchable: many numbers share it.
func (p PhoneNumber) Matchable() bool { return p.kind >= NumberInternal && p.form != formMasked }

// String returns the text form described on PhoneNumber.
func (p PhoneNumber) String() string {
	switch p.kind {
	case NumberWithheld:
		return "withheld"
	case NumberE164:
		return "+" + p.digits
	case NumberOther:
		return "~" + p.digits
	}
	return p.digits
}

// MarshalText implements encoding.TextMarshaler.
func (p PhoneNumber) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// AppendText implements encoding.TextAppender: it appends String's form to
// b without allocating a string.
func (p PhoneNumber) AppendText(b []byte) ([]byte, error) {
	switch p.kind {
	case NumberWithheld:
		return append(b, "withheld"...), nil
	case NumberE164:
		b = append(b, '+')
	case NumberOther:
		b = append(b, '~')
	}
	return append(b, p.digits...), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *PhoneNumber) UnmarshalText(b []byte) error {
	v, err := ParsePhoneNumber(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// ParsePhoneNumber parses the text form String returns. It does not
// normalise dialled numbers: use NumberPlan.Normalize for that.
func ParsePhoneNumber(s string) (PhoneNumber, error) {
	if p, ok, err := parseConcealed(s); ok || err != nil {
		return p, err
	}
	switch {
	case s == "":
		return PhoneNumber{}, nil
	case s == "withheld":
		return Withheld, nil
	case s[0] == '+':
		if !allDigits(s[1:]) || len(s) < 2 {
			return PhoneNumber{}, fmt.Errorf("cdr: invalid E.164 number %q", s)
		}
		return PhoneNumber{kind: NumberE164, digits: s[1:]}, nil
	case s[0] == '~':
		if len(s) < 2 || strings.ContainsAny(s[1:], numberSeparators) {
			return PhoneNumber{}, fmt.Errorf("cdr: invalid other number %q", s)
		}
		return PhoneNumber{kind: NumberOther, digits: s[1:]}, nil
	case allDigits(s):
		return PhoneNumber{kind: NumberInternal, digits: s}, nil
	}
	return PhoneNumber{}, fmt.Errorf("cdr: invalid phone number %q", s)
}

// NumberPlan says how dialled numbers are normalised to E.164: the PBX's
// country and area code, the dialling prefixes, and how long internal
// extensions are. The zero value is not useful; start from GermanPlan or
// fill every field and call Validate.
type NumberPlan struct {
	CountryCode         string // without prefix, "49"
	AreaCode            string // without the national prefix, "711"; empty if unknown
	InternationalPrefix string // "00"
	NationalPrefix      string // "0"
	// MaxInternalDigits: a number of only digits, without a prefix and at
	// most this long, is an internal extension.
	MaxInternalDigits int
}

// GermanPlan returns the plan of a PBX in Germany with the given area code
// (without the leading 0, may be empty): country 49, prefixes 00 and 0,
// extensions of up to 5 digits.
func GermanPlan(areaCode string) NumberPlan {
	return NumberPlan{CountryCode: "49", AreaCode: areaCode, InternationalPrefix: "00", NationalPrefix: "0", MaxInternalDigits: 5}
}

// Validate reports a plan that cannot normalise numbers, naming the field.
func (p NumberPlan) Validate() error {
	var errs []error
	if p.CountryCode == "" || !allDigits(p.CountryCode) || p.CountryCode[0] == '0' || len(p.CountryCode) > 3 {
		errs = append(errs, fmt.Errorf("cdr: number plan: CountryCode %q must be 1 to 3 digits without a leading 0", p.CountryCode))
	}
	if p.AreaCode != "" && (!allDigits(p.AreaCode) || p.AreaCode[0] == '0') {
		errs = append(errs, fmt.Errorf("cdr: number plan: AreaCode %q must be digits without the national prefix", p.AreaCode))
	}
	if p.InternationalPrefix == "" || !allDigits(p.InternationalPrefix) {
		errs = append(errs, fmt.Errorf("cdr: number plan: InternationalPrefix %q must be digits", p.InternationalPrefix))
	}
	if p.NationalPrefix != "" && !allDigits(p.NationalPrefix) {
		errs = append(errs, fmt.Errorf("cdr: number plan: NationalPrefix %q must be digits", p.NationalPrefix))
	}
	if p.MaxInternalDigits < 1 || p.MaxInternalDigits > 10 {
		errs = append(errs, fmt.Errorf("cdr: number plan: MaxInternalDigits %d must be between 1 and 10", p.MaxInternalDigits))
	}
	return errors.Join(errs...)
}

const numberSeparators = " -/.()\t"

// withheldWords are what PBXs and carriers write instead of a suppressed number.
var withheldWords = []string{"anonymous", "anonym", "unknown", "unbekannt", "withheld", "private", "restricted", "unavailable", "inconnu", "masqué", "clir"}

// IsWithheldWord reports whether s is one of the words PBXs and carriers
// write instead of a suppressed number ("anonymous", "unbekannt", …),
// ignoring case and surrounding space. Such words are not personal.
func IsWithheldWord(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || s[0] < 'A' {
		return false
	}
	for _, w := range withheldWords {
		if strings.EqualFold(s, w) {
			return true
		}
	}
	return false
}

// Normalize turns a dialled or presented number into a PhoneNumber:
// "+49 711 12345", "+49 (0)711 12345", "004971112345" and "071112345"
// all become +4971112345, and with area code 711 a local "12345678"
// becomes +4971112345678; digit strings up to MaxInternalDigits long are
// internal extensions; empty text is none; "anonymous" and similar are
// withheld; anything else (service codes like "*21#") is other.
func (p NumberPlan) Normalize(raw string) PhoneNumber {
	s := strings.TrimSpace(raw)
	if s == "" {
		return PhoneNumber{}
	}
	// A concealed number keeps its form: pseudonymised rows normalise to
	// the numbers their clear originals normalise to, pseudonymised.
	if s[0] == '~' || strings.Contains(s, pseudonymMark) {
		if p, ok, err := parseConcealed(s); ok && err == nil {
			return p
		}
	}
	if IsWithheldWord(s) {
		return Withheld
	}
	// "+49 (0)711 …" writes the national prefix that is dropped after a
	// country code; kept, it would end up inside the E.164 number.
	if s[0] == '+' || p.InternationalPrefix != "" && strings.HasPrefix(s, p.InternationalPrefix) {
		s = strings.Replace(s, "(0)", "", 1)
	}
	if hasSeparator(s) {
		var b strings.Builder
		b.Grow(len(s))
		for i := 0; i < len(s); i++ {
			if c := s[i]; strings.IndexByte(numberSeparators, c) < 0 {
				b.WriteByte(c)
			}
		}
		s = b.String()
	}
	if s == "" {
		return PhoneNumber{}
	}
	if t := strings.TrimPrefix(s, "+"); maskedDigits(strings.TrimPrefix(t, p.InternationalPrefix)) {
		// A masked number ("0711 123xxx") is classified like the number it
		// hides, its masked digits counting as digits, and stays masked.
		m := len(t) - len(strings.TrimRight(t, "xX"))
		if m == len(t) && s[0] != '+' {
			// Only x's: no prefix to read. As long as an extension, it
			// is one; longer, it is some number.
			kind := NumberOther
			if m <= p.MaxInternalDigits {
				kind = NumberInternal
			}
			return PhoneNumber{kind: kind, form: formMasked, digits: strings.Repeat("x", m)}
		}
		n := p.classify(strings.Map(maskToZero, s))
		if len(n.digits) > maxMaskedLen {
			return p.classify(s) // too long for a number: not masked, other
		}
		m = min(m, len(n.digits))
		n.form = formMasked
		n.digits = n.digits[:len(n.digits)-m] + strings.Repeat("x", m)
		return n
	}
	return p.classify(s)
}

func maskToZero(r rune) rune {
	if r == 'x' || r == 'X' {
		return '0'
	}
	return r
}

// classify normalises s, which holds no separators.
func (p NumberPlan) classify(s string) PhoneNumber {
	switch {
	case s[0] == '+' && len(s) > 1 && allDigits(s[1:]):
		return PhoneNumber{kind: NumberE164, digits: s[1:]}
	case !allDigits(s):
		return PhoneNumber{kind: NumberOther, digits: s}
	case p.InternationalPrefix != "" && strings.HasPrefix(s, p.InternationalPrefix) && len(s) > len(p.InternationalPrefix):
		return PhoneNumber{kind: NumberE164, digits: s[len(p.InternationalPrefix):]}
	case p.NationalPrefix != "" && strings.HasPrefix(s, p.NationalPrefix) && len(s) > len(p.NationalPrefix) && len(s) > p.MaxInternalDigits:
		return PhoneNumber{kind: NumberE164, digits: p.CountryCode + s[len(p.NationalPrefix):]}
	case len(s) <= p.MaxInternalDigits:
		return PhoneNumber{kind: NumberInternal, digits: s}
	case p.AreaCode != "":
		return PhoneNumber{kind: NumberE164, digits: p.CountryCode + p.AreaCode + s}
	}
	return PhoneNumber{kind: NumberOther, digits: s}
}

// hasSeparator is strings.ContainsAny(s, numberSeparators) without building
// a character set on every call (Normalize runs once per leg).
func hasSeparator(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '-', '/', '.', '(', ')', '\t':
			return true
		}
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

// Equal reports whether p and q are the same number. (It also lets go-cmp
// compare values holding PhoneNumbers.)
func (p PhoneNumber) Equal(q PhoneNumber) bool { return p == q }
