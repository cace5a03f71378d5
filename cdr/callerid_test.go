package cdr

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestParseCallerID(t *testing.T) {
	tests := []struct {
		in   string
		want CallerID
		str  string // String of the result
	}{
		{"Anna Agent (12)", CallerID{Name: "Anna Agent", Number: "12"}, "Anna Agent (12)"},
		{"+4971112345", CallerID{Number: "+4971112345"}, "+4971112345"},
		{"Support", CallerID{Name: "Support"}, "Support"},
		{"Name <0711 123>", CallerID{Name: "Name", Number: "0711 123"}, "Name (0711 123)"},
		{"(0711) 123 45", CallerID{Number: "(0711) 123 45"}, "(0711) 123 45"},
		{"", CallerID{}, ""},
		{"   ", CallerID{}, ""},
		{"  Anna Agent  ( 12 ) ", CallerID{Name: "Anna Agent", Number: "12"}, "Anna Agent (12)"},
		{"(12)", CallerID{Number: "12"}, "12"},
		{"Müller, Jörg (+49 711 123-45)", CallerID{Name: "Müller, Jörg", Number: "+49 711 123-45"}, "Müller, Jörg (+49 711 123-45)"},
		{"Support (1st level)", CallerID{Name: "Support (1st level)"}, "Support (1st level)"},
		{"Team (2) (200)", CallerID{Name: "Team (2)", Number: "200"}, "Team (2) (200)"},
		{"*21#", CallerID{Number: "*21#"}, "*21#"},
		{"Hotline <>", CallerID{Name: "Hotline <>"}, "Hotline <>"},
		{"Anonymous", CallerID{Name: "Anonymous"}, "Anonymous"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := ParseCallerID(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseCallerID(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			require.Equal(t, tt.str, got.String())
			require.Equal(t, tt.want.IsZero(), got.IsZero())
			if diff := cmp.Diff(got, ParseCallerID(got.String())); diff != "" {
				t.Errorf("not stable through String (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCallerIDText(t *testing.T) {
	c := CallerID{Name: "Anna Agent", Number: "12"}
	b, err := json.Marshal(c)
	require.NoError(t, err)
	require.Equal(t, `"Anna Agent (12)"`, string(b), "a caller id is a string in JSON")
	var back CallerID
	require.NoError(t, json.Unmarshal(b, &back))
	if diff := cmp.Diff(c, back); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}
