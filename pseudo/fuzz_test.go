package pseudo

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/starinsight/starinsight/cdr"
)

// Run a target for a while with, for example,
//
//	go test ./pseudo -run XXX -fuzz FuzzConceal -fuzztime 30s

func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{
		"", "all=keep", "all=mask", `all=anonymise:"?"`, "callerNumber=mask:4,groupName=keep",
		`comment=anonymise:"a, \"b\"=c,",login=keep`, "callerName=anonymize,comment=pseudonymize",
		" calledName = keep ,\n\tcallerNumber= mask :4 ", "callId=mask", "callerNumber=mask:16", "callerName=keep,",
		"callerName", "userName=anonymise:`x,y`", `presenceMessage=anonymise:'x'`, "callerNumber=mask:3x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePolicy(s)
		if err != nil {
			if p != (Policy{}) {
				t.Fatalf("ParsePolicy(%q) failed (%v) but returned %v", s, err, p)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("ParsePolicy(%q) accepted an invalid policy: %v", s, err)
		}
		text := p.String()
		q, err := ParsePolicy(text)
		if err != nil {
			t.Fatalf("ParsePolicy(%q).String() = %q does not parse: %v", s, text, err)
		}
		if q != p {
			t.Fatalf("ParsePolicy(%q): String %q parses to another policy:\n%s", s, text, policyDiff(p, q))
		}
		if q.String() != text {
			t.Fatalf("String is not stable: %q, then %q", text, q.String())
		}
	})
}

// FuzzConceal conceals any text as any field.
//
// It checks that nothing panics; that under the default policy (and under
// masking) concealing is idempotent; that a number field's output, when it
// is not the input, is a number cdr reads back; and that under the
// default policy no output shows six or more digits in a row of the
// input's digits. A fresh pseudonym shows the country code and at most
// one digit more, separated by a space, and its tag is HMAC output, not
// the input's digits: so the check skips tags (of any key: they cannot be
// told from HMAC output) and looks at the rest. What passes through as already concealed is checked too, except a
// number masked in at least its last DefaultMaskDigits digits (the
// § 96 TKG form that masking itself writes, leading digits in clear).
func FuzzConceal(f *testing.F) {
	for _, s := range []string{
		"Anna Agent", "0711 12345", "+49 711 12345", "004971112345", "12", "*21#", "anonymous", "0711 123xxx",
		"+49 7… #0123456789AB-k1", "~… #0123456789AB-k1", "Person 0123456789AB-k1", "call-0123456789ABCDEF-k1",
		"Jürgen", "", " ", "+", "~", "x", "0711123456x", "+49 71112345… #AB", "+49… #071112345678",
	} {
		for i := range numFields + 1 {
			f.Add(uint8(i), s)
		}
	}
	key, err := NewKey("k1", testSecret("fuzz"))
	if err != nil {
		f.Fatal(err)
	}
	def, err := New(WithKey(key))
	if err != nil {
		f.Fatal(err)
	}
	masking, err := New(WithKey(key), WithPolicy(DefaultPolicy().With(Mask, nameFields...).With(Mask, numberFields...)))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, field uint8, s string) {
		fld := Field(field)
		out := def.Conceal(fld, s)
		masked := masking.Conceal(fld, s)
		if fld >= numFields {
			return
		}
		for _, c := range []struct {
			name string
			p    *Pseudonymiser
			out  string
		}{{"default", def, out}, {"mask", masking, masked}} {
			if again := c.p.Conceal(fld, c.out); again != c.out {
				t.Fatalf("%s %v: not idempotent: %q → %q → %q", c.name, fld, s, c.out, again)
			}
			if fieldClasses[fld] == classNumber && c.out != "" && c.out != s {
				n, err := cdr.ParsePhoneNumber(c.out)
				if err != nil {
					t.Fatalf("%s %v: %q → %q, which cdr cannot read: %v", c.name, fld, s, c.out, err)
				}
				if again := c.p.ConcealNumber(fld, n); again != n {
					t.Fatalf("%s %v: ConcealNumber not idempotent: %q → %v → %v", c.name, fld, s, n, again)
				}
			}
		}
		if fieldClasses[fld] == classNumber {
			n := def.plan.Normalize(s)
			got := def.ConcealNumber(fld, n)
			if again := def.ConcealNumber(fld, got); again != got {
				t.Fatalf("%v: ConcealNumber not idempotent: %v → %v → %v", fld, n, got, again)
			}
		}
		if leak := shownInputDigits(def, fld, s, out); leak != "" {
			t.Fatalf("%v: %q → %q shows the input's digits %q", fld, s, out, leak)
		}
	})
}

// isTagAndKeyID reports whether tok is a pseudonym's token as this
// package writes it with any key: 8 to 32 upper-case hex digits, "-", a
// key id.
func isTagAndKeyID(tok string) bool {
	id, ok := KeyID(tok)
	tag := strings.TrimSuffix(tok, "-"+id)
	return ok && len(tag) >= 8 && len(tag) <= 32 && strings.Trim(tag, hexDigits) == ""
}

// shownInputDigits returns a run of six or more digits that out shows and
// s holds (its digits read in order), or "".
func shownInputDigits(p *Pseudonymiser, f Field, s, out string) string {
	shown := out
	if fieldClasses[f] == classNumber {
		n, err := cdr.ParsePhoneNumber(out)
		if out == s {
			n, err = p.plan.Normalize(s), nil // passed through: read it as Conceal did
		}
		if err == nil {
			if tok, ok := n.PseudonymToken(); ok && isTagAndKeyID(tok) {
				shown = strings.TrimSuffix(out, tok) // HMAC output, of this key or another
			}
			if n.Masked() && strings.HasSuffix(n.String(), strings.Repeat("x", DefaultMaskDigits)) {
				return "" // masked as masking does it: the leading digits show by design
			}
		}
	} else {
		n := p.tagLen
		if fieldClasses[f] == classID {
			n = max(n, idTagLength)
		}
		if p.isOwn(out, labels[f], n) {
			shown = labels[f]
		}
	}
	var digits strings.Builder
	for _, c := range []byte(s) {
		if c >= '0' && c <= '9' {
			digits.WriteByte(c)
		}
	}
	in := digits.String()
	for _, run := range strings.FieldsFunc(shown, func(r rune) bool { return r < '0' || r > '9' }) {
		for i := 0; i+6 <= len(run); i++ {
			if strings.Contains(in, run[i:i+6]) {
				return run
			}
		}
	}
	return ""
}

func FuzzParseKey(f *testing.F) {
	for _, s := range []string{
		"", "k1", "k1:", ":", "k1:" + hex.EncodeToString(testSecret("x")), "k1:" + strings.Repeat("ab", 32),
		"K1:" + hex.EncodeToString(testSecret("x")), hex.EncodeToString(testSecret("x")) + ":k1",
		"2026a:ocjvy2Qm+8Sz+yDCVJ2wDzP4rhlaGAPr8ZmBRO46gdY=", "k1:ocjvy2Qm-8Sz-yDCVJ2wDzP4rhlaGAPr8ZmBRO46gdY",
		"k1:" + hex.EncodeToString(testSecret("ambiguous"))[:44],
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err == nil {
			checkKeyRoundTrip(t, k)
		} else if !k.IsZero() {
			t.Fatalf("ParseKey(%q) failed (%v) but returned %v", s, err, k)
		}
		// The text as a secret: NewKey either refuses it or makes a key
		// that survives Export and ParseKey.
		if k, err := NewKey("k1", []byte(s)); err == nil {
			checkKeyRoundTrip(t, k)
		}
	})
}

func checkKeyRoundTrip(t *testing.T, k Key) {
	t.Helper()
	text := k.Export()
	if _, enc, _ := strings.Cut(text, ":"); len(enc)%2 == 0 && isHex(enc) {
	}
	got, err := ParseKey(text)
	if err != nil {
		t.Fatalf("ParseKey(%v.Export()) = %v", k, err)
	}
	if got.ID() != k.ID() || got.Export() != text {
		t.Fatalf("Export→ParseKey changed the key: %q → %q", text, got.Export())
	}
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}
