package cdr

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestConcealedNumberText(t *testing.T) {
	tests := []struct {
		text                         string
		kind                         NumberKind
		pseudonym, masked, matchable bool
	}{
		{"+49 7… #3F2A9B1C04D2-k1", NumberE164, true, false, true},
		{"+49… #3F2A9B1C04D2-k1", NumberE164, true, false, true},
		{"+… #3F2A9B1C04D2-k1", NumberE164, true, false, true},
		{"… #3F2A9B1C04D2-k1", NumberInternal, true, false, true},
		{"~… #3F2A9B1C04D2-k1", NumberOther, true, false, true},
		{"+4971112xxx", NumberE164, false, true, false},
		{"+xxx", NumberE164, false, true, false},
		{"1xx", NumberInternal, false, true, false},
		{"~12xxx", NumberOther, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p, err := ParsePhoneNumber(tt.text)
			require.NoError(t, err)
			got := []any{p.String(), p.Kind(), p.Pseudonymous(), p.Masked(), p.Concealed(), p.Matchable()}
			want := []any{tt.text, tt.kind, tt.pseudonym, tt.masked, true, tt.matchable}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ParsePhoneNumber(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
			b, err := json.Marshal(p)
			require.NoError(t, err)
			var back PhoneNumber
			require.NoError(t, json.Unmarshal(b, &back))
			if back != p {
				t.Errorf("JSON round trip: got %#v, want %#v", back, p)
			}
			// A concealed number normalises to itself, so pseudonymised
			// rows interpret like clear ones.
			if n := GermanPlan("711").Normalize(tt.text); n != p {
				t.Errorf("Normalize(%q) = %#v, want %#v", tt.text, n, p)
			}
			// And it is a number inside a caller id.
			c := ParseCallerID("Person 3F2A9B1C04D2-k1 (" + tt.text + ")")
			if c.Number != tt.text {
				t.Errorf("ParseCallerID: number %q, want %q", c.Number, tt.text)
			}
			if c := ParseCallerID(tt.text); c.Number != tt.text || c.Name != "" {
				t.Errorf("ParseCallerID(%q) = %#v, want it as the number", tt.text, c)
			}
		})
	}
}

func TestConcealedNumberErrors(t *testing.T) {
	for _, s := range []string{"+49 7… #", "+49 7… #-k1", "+4 9 7… #AB", "+49a… #AB", "… #AB CD", "12… #AB", "~1… #AB", "+49 7… #A_B"} {
		t.Run(s, func(t *testing.T) {
			_, err := ParsePhoneNumber(s)
			require.Error(t, err)
		})
	}
}

func TestPseudonymousNumber(t *testing.T) {
	p, err := PseudonymousNumber(NumberE164, "49 7", "3F2A9B1C04D2-k1")
	require.NoError(t, err)
	require.Equal(t, "+49 7… #3F2A9B1C04D2-k1", p.String())
	tok, ok := p.PseudonymToken()
	require.True(t, ok)
	require.Equal(t, "3F2A9B1C04D2-k1", tok)
	q, err := PseudonymousNumber(NumberE164, "49 7", "3F2A9B1C04D2-k1")
	require.NoError(t, err)
	require.True(t, p == q, "the same pseudonym twice must be equal")
	other, err := PseudonymousNumber(NumberE164, "49 7", "3F2A9B1C04D3-k1")
	require.NoError(t, err)
	require.False(t, p == other)
	_, ok = MustParse(t, "+4971112345").PseudonymToken()
	require.False(t, ok)

	for _, bad := range []struct {
		kind           NumberKind
		visible, token string
	}{
		{NumberWithheld, "", "AB"}, {NumberNone, "", "AB"}, {NumberInternal, "12", "AB"},
		{NumberE164, "49", ""}, {NumberE164, "49 7 1", "AB"}, {NumberE164, "49", "A B"},
	} {
		_, err := PseudonymousNumber(bad.kind, bad.visible, bad.token)
		require.Error(t, err, "%+v", bad)
	}
}

func MustParse(t *testing.T, s string) PhoneNumber {
	t.Helper()
	p, err := ParsePhoneNumber(s)
	require.NoError(t, err)
	return p
}

func TestMask(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"+4971112345", 3, "+4971112xxx"},
		{"+4971112345", 0, "+4971112345"},
		{"+49711", 20, "+xxxxx"},
		{"12", 3, "xx"},
		{"~*21#", 1, "~2x"},
		{"~*#", 2, "~x"},
		{"+4971112xxx", 2, "+4971112xxx"},
		{"+4971112xxx", 4, "+497111xxxx"},
		{"", 3, ""},
		{"withheld", 3, "withheld"},
		{"+49 7… #3F2A9B1C04D2-k1", 3, "+49 7… #3F2A9B1C04D2-k1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := MustParse(t, tt.in).Mask(tt.n)
			require.Equal(t, tt.want, got.String())
			require.Equal(t, got, MustParse(t, got.String()), "masked text must parse back")
		})
	}
}

func TestNormalizeMasked(t *testing.T) {
	plan := GermanPlan("711")
	for raw, want := range map[string]string{
		"0711 123xxx":   "+49711123xxx",
		"+49 711 12XXX": "+4971112xxx",
		"004971112xxx":  "+4971112xxx",
		"1x":            "1x",
		"123xxx":        "+49711123xxx",
	} {
		got := plan.Normalize(raw)
		require.Equal(t, want, got.String(), "Normalize(%q)", raw)
		require.True(t, got.Masked())
		require.False(t, got.Matchable())
	}
}

func TestIsWithheldWord(t *testing.T) {
	for s, want := range map[string]bool{"anonymous": true, " Unbekannt ": true, "CLIR": true, "Anna": false, "": false, "12": false, "anonymously": false} {
		require.Equal(t, want, IsWithheldWord(s), "%q", s)
	}
}

func TestNormalizeMaskedEdges(t *testing.T) {
	plan := GermanPlan("711")
	for raw, want := range map[string]string{
		"xxxx":                    "xxxx",
		"xxxxxxxx":                "~xxxxxxxx",
		"+xxx":                    "+xxx",
		"+4917612345678xxx":       "~+4917612345678xxx", // 17 digit positions: no number, not a masked one
		"0176 1234 5678 9012 xxx": "~0176123456789012xxx",
	} {
		got := plan.Normalize(raw)
		require.Equal(t, want, got.String(), "Normalize(%q)", raw)
		require.Equal(t, got, MustParse(t, got.String()))
	}
	_, err := ParsePhoneNumber("+4917612345678xxx")
	require.Error(t, err, "a masked number longer than E.164 allows is no number")
}

func TestMaskLongNumbers(t *testing.T) {
	for _, s := range []string{"+4917612345678901234", "~00000000000000A00"} {
		m := MustParse(t, s).Mask(3)
		require.Len(t, m.String(), 16, "%q → %q", s, m)
		require.Equal(t, m, MustParse(t, m.String()))
		require.Equal(t, m, m.Mask(3), "masking is idempotent")
	}
}
