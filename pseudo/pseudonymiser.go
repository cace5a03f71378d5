package pseudo

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/starinsight/starinsight/cdr"
)

// Pseudonymiser conceals the personal fields of records as its Policy says.
// Create one with New; it is immutable and safe for concurrent use.
//
// Pseudonyms are HMAC-SHA-256 tags of the value under the customer's Key,
// so they are stable across runs, processes and datasets (historical and
// live data still join), and nobody without the key can reverse them by
// trying every number, as a plain hash would allow. They stay readable:
//
//	name          "Anna Agent"     → "Person 7F3A91C2D04E-k1"
//	group name    "Support"        → "Group 0B6D2A7C11F3-k1"
//	number        "+4971112345"    → "+49 7… #3F2A9B1C04D2-k1" (country and first digit kept, so reports can group by area)
//	extension     "12"             → "… #9C01E4B7A2D5-k1"
//	call id       any              → "call-5E0F1A2B3C4D5E6F-k1"
//	login         "anna.agent"     → "login-A1B2C3D4E5F6-k1"
//
// The same name gets the same tag in every name field, and the same number
// the same pseudonym in every number field (a caller's number and the
// number an agent called back), so lost callers are found on pseudonymised
// data. Names are compared without case and extra spaces; numbers after
// normalisation with the NumberPlan, so "0711 12345" and "+4971112345"
// get one pseudonym. The "-k1" is the key's id.
//
// Concealing is idempotent: a value that already is this key's pseudonym,
// or a number concealed at least as far as the policy asks, is returned
// unchanged, so a batch that passes twice is not pseudonymised twice. A
// number that only looks concealed, or shows more digits than allowed, is
// concealed again (see ConcealNumber).
type Pseudonymiser struct {
	key     Key
	policy  Policy
	plan    cdr.NumberPlan
	visible int
	tagLen  int
	suffix  string // "-" + key id
	workers sync.Pool
}

// worker is one goroutine's HMAC state and scratch space.
type worker struct {
	mac hash.Hash
	buf []byte
	sum []byte
}

// Option configures a Pseudonymiser.
type Option func(*Pseudonymiser)

// WithKey sets the key. A key is needed whenever the policy pseudonymises
// a field, which the default policy does.
func WithKey(k Key) Option { return func(p *Pseudonymiser) { p.key = k } }

// WithPolicy sets the policy. Default: DefaultPolicy().
func WithPolicy(pol Policy) Option { return func(p *Pseudonymiser) { p.policy = pol } }

// WithNumberPlan sets how raw numbers (the numbers of raw entries and of
// caller-id strings) are normalised before they are pseudonymised. Use the
// plan the Interpreter uses, so raw and interpreted data join. Default:
// cdr.GermanPlan(""), the Interpreter's default.
func WithNumberPlan(plan cdr.NumberPlan) Option { return func(p *Pseudonymiser) { p.plan = plan } }

// WithVisibleDigits sets how many digits after the country code a
// pseudonymised E.164 number shows, 0 to 4. Default 1 ("+49 7…"): enough
// to group by region, too few to narrow a number down. At most all but 4
// of a number's national digits are ever shown.
func WithVisibleDigits(n int) Option { return func(p *Pseudonymiser) { p.visible = n } }

// WithTagLength sets how many hex digits a name's, a number's or a login's
// tag has, 8 to 32. Default 12 (48 bits): among 10 million distinct numbers
// about 0.2 pairs are expected to share a tag. Call ids use at least 16.
func WithTagLength(n int) Option { return func(p *Pseudonymiser) { p.tagLen = n } }

// DefaultTagLength is the default number of hex digits of a tag.
const DefaultTagLength = 12

// idTagLength is the least tag length of call ids, which are many more than
// numbers: 64 bits keep collisions improbable among billions.
const idTagLength = 16

// New returns a Pseudonymiser. It refuses a policy that does not fit its
// fields, a policy that pseudonymises without a key (naming the fields),
// and out-of-range options.
func New(opts ...Option) (*Pseudonymiser, error) {
	p := &Pseudonymiser{plan: cdr.GermanPlan(""), visible: 1, tagLen: DefaultTagLength}
	for _, o := range opts {
		o(p)
	}
	var errs []error
	if err := p.policy.Validate(); err != nil {
		errs = append(errs, err)
	}
	if fs := p.policy.Pseudonymises(); len(fs) > 0 && p.key.IsZero() {
		names := make([]string, len(fs))
		for i, f := range fs {
			names[i] = f.String()
		}
		errs = append(errs, fmt.Errorf("%w: the policy pseudonymises %s: pass WithKey (see GenerateKey), or choose another action for them", ErrNoKey, strings.Join(names, ", ")))
	}
	if err := p.plan.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("pseudo: %w", err))
	}
	if p.visible < 0 || p.visible > 4 {
		errs = append(errs, fmt.Errorf("pseudo: visible digits %d out of range 0 to 4", p.visible))
	}
	if p.tagLen < 8 || p.tagLen > 32 {
		errs = append(errs, fmt.Errorf("pseudo: tag length %d out of range 8 to 32", p.tagLen))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if !p.key.IsZero() {
		p.suffix = "-" + p.key.id
		secret := []byte(p.key.secret.b)
		p.workers.New = func() any {
			return &worker{mac: hmac.New(sha256.New, secret), buf: make([]byte, 0, 128), sum: make([]byte, 0, sha256.Size)}
		}
	}
	return p, nil
}

// Clear returns a Pseudonymiser that keeps every field in clear. Sinks
// require a Pseudonymiser, so that sending clear data is a choice someone
// wrote down, never an accident.
func Clear() *Pseudonymiser {
	p, _ := New(WithPolicy(KeepAll())) // KeepAll needs no key and is valid
	return p
}

// Policy returns the policy.
func (p *Pseudonymiser) Policy() Policy { return p.policy }

// KeyID returns the id of the key, "" when there is none.
func (p *Pseudonymiser) KeyID() string { return p.key.id }

// labels are the words pseudonyms of each field start with.
var labels = [numFields]string{"call-", "leg-", "Person ", "Person ", "", "", "", "Person ", "Group ", "login-", "Text ", "Person ", "Text "}

// domains separate the HMAC inputs of different kinds of value. Fields of
// one class share a domain so that equal values join across fields.
var domains = [numFields]byte{'C', 'S', 'N', 'N', 'T', 'T', 'T', 'N', 'N', 'L', 'X', 'N', 'X'}

// Conceal returns s concealed as the policy says for field f. s is the
// value as it appears in records: a raw number for number fields (it is
// normalised with the NumberPlan first), a caller-id name, a call id.
// The empty string stays empty.
//
// An invalid field conceals everything: it returns "". So do a nil and the
// zero Pseudonymiser (use New): a mistake never sends data in clear.
func (p *Pseudonymiser) Conceal(f Field, s string) string {
	if s == "" || f >= numFields || p == nil {
		return ""
	}
	r := p.policy.Rule(f)
	switch r.Action {
	case Keep:
		return s
	case Anonymise:
		return r.Constant
	}
	if fieldClasses[f] == classNumber {
		return p.concealRawNumber(f, r, s)
	}
	if fieldClasses[f] == className && cdr.IsWithheldWord(s) {
		return s // "anonymous" in a caller id's name says the number was withheld; it names nobody
	}
	if r.Action == Mask {
		return initials(s)
	}
	return p.pseudonym(f, s)
}

// ConcealNumber returns n concealed as the policy says for field f: kept,
// anonymised (no number), masked, or pseudonymised. Unless anonymised,
// none and withheld are not personal and stay as they are, and so does a
// number concealed at least as far as the policy asks (a masked number is
// masked further if it shows too much). A field that is not a number field
// conceals everything: it returns no number.
func (p *Pseudonymiser) ConcealNumber(f Field, n cdr.PhoneNumber) cdr.PhoneNumber {
	if f >= numFields || fieldClasses[f] != classNumber || p == nil {
		return cdr.PhoneNumber{}
	}
	if n.IsZero() {
		return n
	}
	r := p.policy.Rule(f)
	switch {
	case r.Action == Keep:
		return n
	case r.Action == Anonymise:
		return cdr.PhoneNumber{}
	case n.Kind() == cdr.NumberWithheld:
		return n
	case n.Concealed():
		return p.concealed(n, r)
	case r.Action == Mask:
		return n.Mask(r.MaskDigits)
	}
	return p.pseudonymOf(n)
}

// concealed returns what an already concealed number becomes, so that
// nothing leaves showing more than the policy allows:
//   - a masked number under Mask is masked to at least the policy's
//     digits; under Pseudonymise it is masked down to what a pseudonym
//     shows (the country code and the visible digits);
//   - a pseudonym passes when it shows no more than this Pseudonymiser's
//     pseudonyms do; text that only looks like one is pseudonymised as a
//     whole, as an "other" number.
func (p *Pseudonymiser) concealed(n cdr.PhoneNumber, r Rule) cdr.PhoneNumber {
	if n.Masked() {
		if r.Action == Mask {
			return n.Mask(r.MaskDigits)
		}
		return n.Mask(p.hiddenDigits(n))
	}
	if p.passes(n) {
		return n
	}
	return p.pseudonymNumber(cdr.NumberOther, n.String())
}

// hiddenDigits returns how many digits of a masked number must be hidden
// for it to show no more than a pseudonym of the same number would.
func (p *Pseudonymiser) hiddenDigits(n cdr.PhoneNumber) int {
	s := n.String()
	if n.Kind() != cdr.NumberE164 {
		return len(s) // hide all
	}
	digits := s[1:]
	clear := len(strings.TrimRight(digits, "x"))
	cc := countryCodeLen([]byte(digits[:clear]))
	v := min(p.visible, max(len(digits)-cc-4, 0))
	return len(digits) - min(cc+v, clear)
}

// passes reports whether a pseudonymous number may pass as it is: it has
// the form pseudonymNumber writes (a tag of 8 to 32 hex digits and a key
// id) and shows no more digits than this Pseudonymiser's pseudonyms: the
// country code and at most the visible digits. Pseudonyms of another key
// pass too (data from before a key rotation); they are no less concealed.
func (p *Pseudonymiser) passes(n cdr.PhoneNumber) bool {
	tok, ok := n.PseudonymToken()
	if !ok {
		return false
	}
	id, ok := KeyID(tok)
	if !ok {
		return false
	}
	tag := tok[:len(tok)-len(id)-1]
	if len(tag) < 8 || len(tag) > 32 || strings.Trim(tag, hexDigits) != "" {
		return false
	}
	if n.Kind() == cdr.NumberE164 {
		visible, _, _ := strings.Cut(n.String()[1:], pseudonymMark)
		cc, national, _ := strings.Cut(visible, " ")
		if countryCodeLen([]byte(cc)) != len(cc) || len(national) > p.visible {
			return false
		}
	}
	return true
}

// pseudonymMark separates a pseudonymous number's visible digits from its
// token (cdr's text form).
const pseudonymMark = "… #"

// ConcealCallerID conceals a caller id's name and number parts as fields
// name and number.
func (p *Pseudonymiser) ConcealCallerID(name, number Field, c cdr.CallerID) cdr.CallerID {
	return cdr.CallerID{Name: p.Conceal(name, c.Name), Number: p.Conceal(number, c.Number)}
}

func (p *Pseudonymiser) concealRawNumber(f Field, r Rule, raw string) string {
	n := p.plan.Normalize(raw)
	switch {
	case n.IsZero():
		return "" // blank text only
	case n.Kind() == cdr.NumberWithheld:
		return raw // "anonymous" is not personal
	case n.Concealed():
		if c := p.concealed(n, r); c != n {
			return c.String()
		}
		return raw // concealed enough: not personal
	case r.Action == Mask:
		return n.Mask(r.MaskDigits).String()
	}
	return p.pseudonymOf(n).String()
}

// pseudonymOf returns a clear, matchable number's pseudonym.
func (p *Pseudonymiser) pseudonymOf(n cdr.PhoneNumber) cdr.PhoneNumber {
	if !n.Matchable() || n.Concealed() {
		return n
	}
	var buf [32]byte
	text, _ := n.AppendText(buf[:0]) // never fails
	return p.pseudonymNumber(n.Kind(), string(text))
}

// pseudonymNumber returns the pseudonym of the number of the given kind
// whose canonical text is text ("+4971112345", "12", "~*21#"). Without a
// key it returns no number: the zero Pseudonymiser conceals everything.
func (p *Pseudonymiser) pseudonymNumber(kind cdr.NumberKind, text string) cdr.PhoneNumber {
	if p.workers.New == nil {
		return cdr.PhoneNumber{}
	}
	w := p.workers.Get().(*worker)
	defer p.workers.Put(w)
	w.buf = append(w.buf[:0], 'T')
	w.buf = append(w.buf, text...)
	w.mac.Reset()
	w.mac.Write(w.buf)
	w.sum = w.mac.Sum(w.sum[:0])
	// Build the text form, "+49 7… #TAG-k1", and parse it: one allocation.
	var head [8]byte // "+" country code (≤ 3), space, ≤ 4 digits
	h := head[:0]
	switch kind {
	case cdr.NumberE164:
		digits := []byte(text[1:])
		cc := countryCodeLen(digits)
		v := min(p.visible, max(len(digits)-cc-4, 0))
		h = append(h, '+')
		h = append(h, digits[:cc]...)
		if v > 0 {
			h = append(h, ' ')
			h = append(h, digits[cc:cc+v]...)
		}
	case cdr.NumberOther:
		h = append(h, '~')
	}
	out := append(w.buf[:0], h...)
	out = append(out, "… #"...)
	out = appendToken(out, w.sum, p.tagLen, p.suffix)
	w.buf = out
	q, err := cdr.ParsePhoneNumber(string(out))
	if err != nil {
		return cdr.PhoneNumber{} // cannot happen: the text is built to the grammar
	}
	return q
}

// pseudonym returns the pseudonym of a non-number value.
func (p *Pseudonymiser) pseudonym(f Field, s string) string {
	label, n := labels[f], p.tagLen
	if fieldClasses[f] == classID {
		n = max(n, idTagLength)
	}
	if p.workers.New == nil {
		return "" // the zero Pseudonymiser has no key: conceal everything
	}
	if p.isOwn(s, label, n) {
		return s
	}
	w := p.workers.Get().(*worker)
	defer p.workers.Put(w)
	w.buf = append(w.buf[:0], domains[f])
	if c := fieldClasses[f]; c == className || c == classLogin {
		// Logins fold too: Windows (SAM) account names ignore case.
		w.buf = appendFoldedName(w.buf, s)
	} else {
		w.buf = append(w.buf, s...)
	}
	w.mac.Reset()
	w.mac.Write(w.buf)
	w.sum = w.mac.Sum(w.sum[:0])
	w.buf = append(w.buf[:0], label...)
	w.buf = appendToken(w.buf, w.sum, n, p.suffix)
	return string(w.buf)
}

// isOwn reports whether s is already a pseudonym of this key with the
// given label and tag length.
func (p *Pseudonymiser) isOwn(s, label string, n int) bool {
	if len(s) != len(label)+n+len(p.suffix) || !strings.HasPrefix(s, label) || !strings.HasSuffix(s, p.suffix) {
		return false
	}
	for i := len(label); i < len(label)+n; i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789ABCDEF"

// appendToken appends the first n hex digits of sum and the key suffix.
func appendToken(b, sum []byte, n int, suffix string) []byte {
	for i := range n {
		c := sum[i/2]
		if i%2 == 0 {
			c >>= 4
		}
		b = append(b, hexDigits[c&0xF])
	}
	return append(b, suffix...)
}

// appendFoldedName appends s lower-cased with runs of white space made one
// space and the ends trimmed: "ANNA  Agent " and "anna agent" are one name.
func appendFoldedName(b []byte, s string) []byte {
	space := false
	start := len(b)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
				space = true
				continue
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			}
			if space && len(b) > start {
				b = append(b, ' ')
			}
			space = false
			b = append(b, c)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && len(b) > start {
			b = append(b, ' ')
		}
		space = false
		b = utf8.AppendRune(b, unicode.ToLower(r))
	}
	return b
}

// initials masks a name to its initials: "Anna Agent" → "A. A.".
func initials(s string) string {
	var b strings.Builder
	for w := range strings.FieldsSeq(s) {
		r, _ := utf8.DecodeRuneInString(w)
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToUpper(r))
		b.WriteByte('.')
	}
	return b.String()
}

// KeyID returns the id of the key that made a pseudonym (a name, login,
// id or number pseudonym in text form), and false for text that is not a
// pseudonym. After a key rotation it tells which era a value is from.
func KeyID(s string) (string, bool) {
	i := strings.LastIndexByte(s, '-')
	if i < 8 || checkKeyID(s[i+1:]) != nil {
		return "", false
	}
	for j := i - 8; j < i; j++ {
		if c := s[j]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return "", false
		}
	}
	return s[i+1:], true
}
