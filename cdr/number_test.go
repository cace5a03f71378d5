package cdr

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// phoneCmp compares PhoneNumbers by value: their fields are unexported.
var phoneCmp = cmp.Comparer(func(a, b PhoneNumber) bool { return a == b })

func TestNumberPlanNormalize(t *testing.T) {
	stuttgart := GermanPlan("711")
	noArea := GermanPlan("")
	internal4 := GermanPlan("711")
	internal4.MaxInternalDigits = 4
	tests := []struct {
		name string
		plan NumberPlan
		raw  string
		want string // PhoneNumber text form
		kind NumberKind
	}{
		{"E.164 with blanks", stuttgart, "+49 711 12345", "+4971112345", NumberE164},
		{"E.164 with trunk zero", stuttgart, "+49 (0)711 12345", "+4971112345", NumberE164},
		{"international prefix", stuttgart, "004971112345", "+4971112345", NumberE164},
		{"international prefix with trunk zero", stuttgart, "0049 (0)711 12345", "+4971112345", NumberE164},
		{"foreign number", stuttgart, "0033 1 23 45 67 89", "+33123456789", NumberE164},
		{"national", stuttgart, "071112345", "+4971112345", NumberE164},
		{"national with separators", stuttgart, "(0711) 123 45", "+4971112345", NumberE164},
		{"national with slash and dash", stuttgart, "0711/123-45", "+4971112345", NumberE164},
		{"mobile", stuttgart, "0171 1234567", "+491711234567", NumberE164},
		{"local with area code", stuttgart, "12345678", "+4971112345678", NumberE164},
		{"local without area code", noArea, "12345678", "~12345678", NumberOther},
		{"internal 2 digits", stuttgart, "12", "12", NumberInternal},
		{"internal 4 digits", stuttgart, "1234", "1234", NumberInternal},
		{"internal at the limit", internal4, "1234", "1234", NumberInternal},
		{"over the internal limit", internal4, "12345", "+4971112345", NumberE164},
		{"short with national prefix is internal", stuttgart, "0123", "0123", NumberInternal},
		{"anonymous", stuttgart, "anonymous", "withheld", NumberWithheld},
		{"Unbekannt", stuttgart, "Unbekannt", "withheld", NumberWithheld},
		{"Anonym with blanks", stuttgart, "  Anonym ", "withheld", NumberWithheld},
		{"CLIR", stuttgart, "CLIR", "withheld", NumberWithheld},
		{"empty", stuttgart, "", "", NumberNone},
		{"blank", stuttgart, "   ", "", NumberNone},
		{"separators only", stuttgart, " - / ", "", NumberNone},
		{"service code", stuttgart, "*21#", "~*21#", NumberOther},
		{"service code with blanks", stuttgart, "#31# 0711", "~#31#0711", NumberOther},
		{"plus alone", stuttgart, "+", "~+", NumberOther},
		{"text", stuttgart, "Hotline", "~Hotline", NumberOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tt.plan.Validate())
			got := tt.plan.Normalize(tt.raw)
			if diff := cmp.Diff([]any{tt.want, tt.kind}, []any{got.String(), got.Kind()}); diff != "" {
				t.Errorf("Normalize(%q) mismatch (-want +got):\n%s", tt.raw, diff)
			}
		})
	}
}

func TestNumberPlanValidate(t *testing.T) {
	tests := []struct {
		name    string
		plan    NumberPlan
		wantErr []string // substrings, one per broken field
	}{
		{"German", GermanPlan("711"), nil},
		{"German without area", GermanPlan(""), nil},
		{"zero value", NumberPlan{}, []string{"CountryCode", "InternationalPrefix", "MaxInternalDigits"}},
		{"area with national prefix", NumberPlan{CountryCode: "49", AreaCode: "0711", InternationalPrefix: "00", MaxInternalDigits: 3}, []string{"AreaCode"}},
		{"country code with prefix", NumberPlan{CountryCode: "+49", InternationalPrefix: "00", MaxInternalDigits: 3}, []string{"CountryCode"}},
		{"national prefix letters", NumberPlan{CountryCode: "1", InternationalPrefix: "011", NationalPrefix: "x", MaxInternalDigits: 11}, []string{"NationalPrefix", "MaxInternalDigits"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.plan.Validate()
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, s := range tt.wantErr {
				require.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestPhoneNumberText(t *testing.T) {
	tests := []struct {
		text      string
		kind      NumberKind
		matchable bool
		external  bool
	}{
		{"", NumberNone, false, false},
		{"withheld", NumberWithheld, false, false},
		{"12", NumberInternal, true, false},
		{"+4971112345", NumberE164, true, true},
		{"~*21#", NumberOther, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p, err := ParsePhoneNumber(tt.text)
			require.NoError(t, err)
			got := []any{p.String(), p.Kind(), p.Matchable(), p.External(), p.IsZero()}
			want := []any{tt.text, tt.kind, tt.matchable, tt.external, tt.kind == NumberNone}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ParsePhoneNumber(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
			// MarshalText / UnmarshalText, through JSON.
			b, err := json.Marshal(p)
			require.NoError(t, err)
			var back PhoneNumber
			require.NoError(t, json.Unmarshal(b, &back))
			if diff := cmp.Diff(p, back, phoneCmp); diff != "" {
				t.Errorf("JSON round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePhoneNumberErrors(t *testing.T) {
	for _, s := range []string{"+", "+49 711", "+49a", "~", "~1 2", "~(1)", "12a", "Withheld", " 12"} {
		t.Run(s, func(t *testing.T) {
			_, err := ParsePhoneNumber(s)
			require.Error(t, err)
			var p PhoneNumber
			require.Error(t, p.UnmarshalText([]byte(s)))
		})
	}
}

func TestNumberKindString(t *testing.T) {
	got := []string{NumberNone.String(), NumberWithheld.String(), NumberInternal.String(), NumberE164.String(), NumberOther.String(), NumberKind(9).String()}
	want := []string{"none", "withheld", "internal", "e164", "other", "NumberKind(9)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestHasSeparatorMatchesTheSet(t *testing.T) {
	for c := 0; c < 256; c++ {
		s := string([]byte{byte(c)})
		if got, want := hasSeparator(s), strings.Contains(numberSeparators, s); got != want {
			t.Errorf("hasSeparator(%q) = %v, want %v", s, got, want)
		}
	}
}
