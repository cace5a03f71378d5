package callflow_test

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
)

// labelled is one value of an enum with its String form and its label in a
// language.
type labelled struct {
	str   string
	label func(callflow.Language) string
}

// labelKind is every known value of one enum.
type labelKind struct {
	name   string
	values []labelled
	// fromTable: a label that equals String() came from the fallback, not
	// from the table (false where String is already human, as weekdays).
	fromTable bool
}

// knownLabelled lists the values 0–255 of a uint8 enum whose String is a
// name, not the "Type(n)" fallback: the enum values, including any added
// later.
func knownLabelled[T ~uint8](typ string, str func(T) string, label func(callflow.Language, T) string) []labelled {
	var out []labelled
	for i := range 256 {
		v := T(i)
		if s := str(v); !strings.HasPrefix(s, typ+"(") {
			out = append(out, labelled{s, func(l callflow.Language) string { return label(l, v) }})
		}
	}
	return out
}

func labelKinds(t *testing.T) []labelKind {
	t.Helper()
	var flags []labelled
	for i := range 16 {
		f := callflow.Flag(1) << i
		if s := f.String(); !strings.HasPrefix(s, "0x") {
			flags = append(flags, labelled{s, func(l callflow.Language) string { return l.Flag(f) }})
		}
	}
	var kpis []labelled
	for _, k := range callflow.KPIs() {
		kpis = append(kpis, labelled{k.String(), func(l callflow.Language) string { return l.KPI(k) }})
	}
	var weekdays []labelled
	for d := time.Sunday; d <= time.Saturday; d++ {
		weekdays = append(weekdays, labelled{d.String(), func(l callflow.Language) string { return l.Weekday(d) }})
	}
	kinds := []labelKind{
		{"Outcome", knownLabelled("Outcome", callflow.Outcome.String, callflow.Language.Outcome), true},
		{"Disposition", knownLabelled("Disposition", callflow.Disposition.String, callflow.Language.Disposition), true},
		{"EventKind", knownLabelled("EventKind", callflow.EventKind.String, callflow.Language.Event), true},
		{"Direction", knownLabelled("Direction", callflow.Direction.String, callflow.Language.Direction), true},
		{"Range", knownLabelled("Range", callflow.Range.String, callflow.Language.Range), true},
		{"Result", knownLabelled("Result", callflow.Result.String, callflow.Language.Result), true},
		{"Interval", knownLabelled("Interval", callflow.Interval.String, callflow.Language.Interval), true},
		{"Flag", flags, true},
		{"KPI", kpis, true},
		{"Weekday", weekdays, false},
	}
	// The enums as they stand; a value added later is caught by knownLabelled.
	wantLen := map[string]int{"Outcome": 12, "Disposition": 13, "EventKind": 11, "Direction": 3, "Range": 2,
		"Result": 2, "Interval": 5, "Flag": 8, "Weekday": 7}
	for _, k := range kinds {
		if n, ok := wantLen[k.name]; ok {
			require.GreaterOrEqual(t, len(k.values), n, "%s: values found", k.name)
		}
	}
	return kinds
}

func TestLabelsEveryValueEveryLanguage(t *testing.T) {
	for _, k := range labelKinds(t) {
		for _, l := range callflow.Languages() {
			t.Run(k.name+"/"+l.String(), func(t *testing.T) {
				seen := map[string]string{}
				for _, v := range k.values {
					got := v.label(l)
					if got == "" {
						t.Errorf("%s %s: empty label", k.name, v.str)
						continue
					}
					if k.fromTable && got == v.str {
						t.Errorf("%s %s: no label in the table, got the fallback %q", k.name, v.str, got)
					}
					if other, dup := seen[got]; dup {
						t.Errorf("%s %s and %s share the label %q", k.name, other, v.str, got)
					}
					seen[got] = v.str
				}
			})
		}
	}
}

// German and French labels are translations, not copies of the English
// ones: at most one in ten may read the same (a loan word such as
// "Best Buddies").
func TestLabelsTranslated(t *testing.T) {
	for _, k := range labelKinds(t) {
		for _, l := range []callflow.Language{callflow.German, callflow.French} {
			var same []string
			for _, v := range k.values {
				if strings.EqualFold(v.label(l), v.label(callflow.English)) {
					same = append(same, v.str)
				}
			}
			if len(same)*10 > len(k.values) {
				t.Errorf("%s in %s: %d of %d labels read as in English: %v", k.name, l, len(same), len(k.values), same)
			}
		}
	}
}

// The wording follows the product (STARFACE, Fluxpunkt) and the usual
// call-centre terms.
func TestLabelsWording(t *testing.T) {
	de, fr, en := callflow.German, callflow.French, callflow.English
	tests := []struct {
		got, want string
	}{
		{de.Outcome(callflow.OutcomeAnswered), "Angenommen"},
		{de.Result(callflow.ResultMissed), "Verpasst"},
		{de.Outcome(callflow.OutcomeLostInAnnouncement), "Aufgelegt während der Ansage"},
		{de.Outcome(callflow.OutcomeVoicemail), "Mailbox"},
		{de.Disposition(callflow.DispositionForwardedOnTimeout), "Weiterleitung bei Zeitüberschreitung"},
		{de.Event(callflow.EventForwardedAlways), "Immer-Weiterleitung"},
		{de.Event(callflow.EventPickedUp), "Herangeholt"},
		{de.KPI(callflow.KPIServiceLevel), "Servicelevel"},
		{de.KPI(callflow.KPIAnswerRate), "Annahme-Quote"},
		{de.KPI(callflow.KPIRingTime), "Klingeldauer"},
		{de.KPI(callflow.KPIAnnouncementTime), "Ansagendauer"},
		{de.KPI(callflow.KPILostCallers), "Verlorene Anrufer"},
		{de.KPI(callflow.KPIMissedToday), "Verpasste Anrufe (Heute)"},
		{fr.KPI(callflow.KPILostCalls), "Appels perdus"},
		{fr.KPI(callflow.KPIAnswerRate), "Taux de réponse"},
		{fr.KPI(callflow.KPIServiceLevel), "Niveau de service"},
		{fr.Outcome(callflow.OutcomeVoicemail), "Messagerie vocale"},
		{fr.Direction(callflow.Inbound), "Entrant"},
		{fr.Interval(callflow.IntervalWeek), "Semaine"},
		{en.Disposition(callflow.DispositionForwardedOnBusy), "Forwarded on busy"},
		{en.KPI(callflow.KPIASA), "Average speed of answer (ASA)"},
		{en.Interval(callflow.IntervalAll), "Whole range"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestLabelsFallback(t *testing.T) {
	odd := callflow.Language(9)
	tests := []struct {
		name, got, want string
	}{
		{"unknown outcome", callflow.German.Outcome(200), "Outcome(200)"},
		{"unknown disposition", callflow.French.Disposition(99), "Disposition(99)"},
		{"zero event kind", callflow.German.Event(0), "EventKind(0)"},
		{"zero direction", callflow.French.Direction(0), "Direction(0)"},
		{"zero range", callflow.German.Range(0), "Range(0)"},
		{"zero result", callflow.German.Result(0), "Result(0)"},
		{"unknown interval", callflow.French.Interval(7), "Interval(7)"},
		{"unknown weekday", callflow.German.Weekday(8), "%!Weekday(8)"},
		{"unknown KPI", callflow.German.KPI("dropRate"), "dropRate"},
		{"empty KPI", callflow.French.KPI(""), `KPI("")`},
		{"no flag", callflow.German.Flag(0), "Keine"},
		{"two flags", callflow.German.Flag(callflow.FlagRepairedTimes | callflow.FlagIncomplete), "Zeiten korrigiert, Unvollständig"},
		{"unnamed flag bit", callflow.English.Flag(callflow.FlagIncomplete | 1<<12), "Incomplete, 0x1000"},
		{"unknown language is English", odd.Outcome(callflow.OutcomeAnswered), "Answered"},
		{"unknown language name", odd.Name(), "English"},
		{"unknown language text", odd.String(), "Language(9)"},
		{"zero language is English", callflow.Language(0).KPI(callflow.KPIOffered), "Offered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// No value of any enum, in no language (supported or not), gets an empty
// label or panics.
func TestLabelsNeverEmpty(t *testing.T) {
	for li := range 256 {
		l := callflow.Language(li)
		for i := range 256 {
			for _, got := range []string{
				l.Outcome(callflow.Outcome(i)), l.Disposition(callflow.Disposition(i)), l.Event(callflow.EventKind(i)),
				l.Direction(callflow.Direction(i)), l.Range(callflow.Range(i)), l.Result(callflow.Result(i)),
				l.Interval(callflow.Interval(i)), l.Weekday(time.Weekday(i - 128)),
				l.Flag(callflow.Flag(i * 257)), l.Name(), l.String(),
			} {
				if got == "" {
					t.Fatalf("language %d, value %d: empty label", li, i)
				}
			}
		}
	}
}

func TestLanguageNames(t *testing.T) {
	var got []string
	for _, l := range callflow.Languages() {
		got = append(got, l.String()+"="+l.Name())
	}
	want := []string{"en=English", "de=Deutsch", "fr=Français"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("languages (-want +got):\n%s", diff)
	}
}

func TestParseLanguage(t *testing.T) {
	tests := []struct {
		in      string
		want    callflow.Language
		wantErr bool
	}{
		{in: "en", want: callflow.English},
		{in: "de", want: callflow.German},
		{in: "fr", want: callflow.French},
		{in: "EN", want: callflow.English},
		{in: "De", want: callflow.German},
		{in: "de-DE", want: callflow.German},
		{in: "de_AT", want: callflow.German},
		{in: "de-ch", want: callflow.German},
		{in: "fr_FR", want: callflow.French},
		{in: "FR-ca", want: callflow.French},
		{in: "en-GB", want: callflow.English},
		{in: "en-419", want: callflow.English},
		{in: "de-DE-1996", want: callflow.German},
		{in: "", wantErr: true},
		{in: "d", wantErr: true},
		{in: "deu", wantErr: true},
		{in: "german", wantErr: true},
		{in: "it", wantErr: true},
		{in: "es-ES", wantErr: true},
		{in: "de-", wantErr: true},
		{in: "fr_", wantErr: true},
		{in: "-de", wantErr: true},
		{in: "de--DE", wantErr: true},
		{in: "de-DE-", wantErr: true},
		{in: "de DE", wantErr: true},
		{in: " de", wantErr: true},
		{in: "de-DÉ", wantErr: true},
		{in: "de.UTF-8", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := callflow.ParseLanguage(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseLanguage(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			require.NoError(t, err)
			if got != tt.want {
				t.Errorf("ParseLanguage(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestLanguageTextRoundTrip(t *testing.T) {
	for _, l := range callflow.Languages() {
		b, err := l.MarshalText()
		require.NoError(t, err)
		var back callflow.Language
		require.NoError(t, back.UnmarshalText(b))
		if back != l {
			t.Errorf("%v: text %q reads back as %v", l, b, back)
		}
		p, err := callflow.ParseLanguage(l.String())
		require.NoError(t, err)
		if p != l {
			t.Errorf("ParseLanguage(%q) = %v", l.String(), p)
		}
	}

	type config struct {
		Lang callflow.Language `json:"lang"`
	}
	var c config
	require.NoError(t, json.Unmarshal([]byte(`{"lang":"fr_FR"}`), &c))
	if c.Lang != callflow.French {
		t.Errorf("JSON fr_FR: got %v", c.Lang)
	}
	b, err := json.Marshal(c)
	require.NoError(t, err)
	if string(b) != `{"lang":"fr"}` {
		t.Errorf("JSON: got %s", b)
	}

	c.Lang = callflow.German
	if err := json.Unmarshal([]byte(`{"lang":"klingon"}`), &c); err == nil {
		t.Error("unknown language accepted")
	}
	if c.Lang != callflow.German {
		t.Errorf("failed UnmarshalText changed the value to %v", c.Lang)
	}
	if _, err := callflow.Language(3).MarshalText(); err == nil {
		t.Error("MarshalText of an invalid language: want an error")
	}
}

func FuzzParseLanguage(f *testing.F) {
	for _, s := range []string{"en", "de-DE", "fr_FR", "FR", "de--", "-", "_", "xx", "de-DE-1996", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := callflow.ParseLanguage(s)
		if err != nil {
			return
		}
		if !slices.Contains(callflow.Languages(), l) {
			t.Fatalf("ParseLanguage(%q) = %d, not a supported language", s, l)
		}
		if !strings.EqualFold(s[:2], l.String()) || (len(s) > 2 && s[2] != '-' && s[2] != '_') {
			t.Fatalf("ParseLanguage(%q) = %v: input does not start with its code", s, l)
		}
		back, err := callflow.ParseLanguage(l.String())
		if err != nil || back != l {
			t.Fatalf("round trip %q → %v → %v, %v", s, l, back, err)
		}
	})
}

func TestKPIText(t *testing.T) {
	seen := map[callflow.KPI]bool{}
	for _, k := range callflow.KPIs() {
		if seen[k] {
			t.Errorf("KPIs lists %q twice", k)
		}
		seen[k] = true
		got, err := callflow.ParseKPI(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKPI(%q) = %q, %v", k, got, err)
		}
		if s := string(k); s == "" || strings.ToLower(s[:1]) != s[:1] || strings.ContainsAny(s, " -_") {
			t.Errorf("KPI %q: text form is not camelCase", s)
		}
	}
	for _, s := range []string{"", "Offered", "service-level", "nope"} {
		if k, err := callflow.ParseKPI(s); err == nil {
			t.Errorf("ParseKPI(%q) = %q, want an error", s, k)
		}
	}
}

// KPIs lists every KPI constant declared in labels.go, and every KPI the
// issue names has a constant.
func TestKPIsComplete(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "labels.go", nil, 0)
	require.NoError(t, err)
	var declared []string
	for _, d := range file.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "KPI" {
				for _, n := range vs.Names {
					declared = append(declared, n.Name)
				}
			}
		}
	}
	require.NotEmpty(t, declared)
	listed := callflow.KPIs()
	if len(listed) != len(declared) {
		t.Errorf("labels.go declares %d KPI constants, KPIs() returns %d", len(declared), len(listed))
	}

	issue := []callflow.KPI{
		callflow.KPIOffered, callflow.KPIAnswered, callflow.KPIMissed, callflow.KPIAbandoned,
		callflow.KPIShortAbandons, callflow.KPILostInAnnouncement, callflow.KPILostWhileRinging,
		callflow.KPIForwardedOnTimeout, callflow.KPIForwardedOnBusy, callflow.KPIForwardedAlways,
		callflow.KPIVoicemail, callflow.KPITimedOut, callflow.KPINoAgent, callflow.KPIOutOfHours,
		callflow.KPIAnswerRate, callflow.KPIServiceLevel, callflow.KPIAbandonRate, callflow.KPIASA,
		callflow.KPIAverageAbandonTime, callflow.KPIAverageTimeInQueue, callflow.KPIRingTime,
		callflow.KPITalkTime, callflow.KPIAnnouncementShare, callflow.KPIRingShare, callflow.KPIReactionTime,
		callflow.KPICallsHandled, callflow.KPICallsRejected, callflow.KPICalls, callflow.KPIAttempts,
		callflow.KPIEverAnswered, callflow.KPILastContact, callflow.KPILostCallers,
		callflow.KPIRecoveredByCallback, callflow.KPIRecoveredByCaller, callflow.KPIPending,
		callflow.KPIUnrecoverable, callflow.KPICallbackLatency, callflow.KPIRepeatCalls,
		callflow.KPIFirstCallResolution, callflow.KPIMissedToday, callflow.KPIAverageTalkToday,
		callflow.KPIAverageRingToday, callflow.KPISlowestGroup, callflow.KPIFastestGroup,
	}
	for _, k := range issue {
		if !slices.Contains(listed, k) {
			t.Errorf("KPIs() misses %q", k)
		}
	}
}

// A journey's outcome in each language the reports ship in.
func ExampleLanguage_Outcome() {
	for _, l := range callflow.Languages() {
		fmt.Printf("%s: %s\n", l, l.Outcome(callflow.OutcomeLostInAnnouncement))
	}
	// Output:
	// en: Lost during announcement
	// de: Aufgelegt während der Ansage
	// fr: Raccroché pendant l'annonce
}

// Column headers of a group report, in the language of the user's locale.
func ExampleLanguage_KPI() {
	l, err := callflow.ParseLanguage("de-DE")
	if err != nil {
		panic(err)
	}
	for _, k := range []callflow.KPI{callflow.KPIOffered, callflow.KPIAnswerRate, callflow.KPIServiceLevel, callflow.KPILostInAnnouncement, callflow.KPIForwardedOnTimeout} {
		fmt.Printf("%s: %s\n", k, l.KPI(k))
	}
	// Output:
	// offered: Angebotene Anrufe
	// answerRate: Annahme-Quote
	// serviceLevel: Servicelevel
	// lostInAnnouncement: Verloren während der Ansage
	// forwardedOnTimeout: Weiterleitung bei Zeitüberschreitung
}
