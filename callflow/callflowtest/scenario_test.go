package callflowtest

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// sample is a small valid scenario: a direct call to Anna, answered.
const sample = `-- scenario --
name: direct call answered
rules: A4 J4
timezone: Europe/Berlin
plan: 49 711   # Stuttgart
Anna answers after 10 s.
-- accounts --
id;type;name;login
11;user;Anna Agent;anna
-- export.csv --
` + exportRows + `-- legs --
# the answered leg
account=11 calledcid="Anna Agent (2011)" answered=true ring=10s talk=180s

-- journeys --
outcome=answered answeredby=11 path=11 answer=2026-03-02T09:00:11Z events=
`

const exportRows = `"id";"callid";"callstepid";"cdraccountid";"calleraccountid";"calledaccountid";"callercallerid";"calledcallerid";"starttime";"ringingtime";"linktime";"callresulttime";"callresult";"callresultcausedby";"answered";"hasvoicemail"
"1";"c1";"1";"11";"0";"11";"071112345";"Anna Agent (2011)";"02.03.2026 10:00:00";"02.03.2026 10:00:01";"02.03.2026 10:00:11";"02.03.2026 10:03:11";"CONNECTED";"11";"true";"false"
`

func mustParse(t *testing.T, data string) *Scenario {
	t.Helper()
	s, err := Parse("sample.scenario", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParse(t *testing.T) {
	s := mustParse(t, sample)
	if s.Name != "direct call answered" || !slices.Equal(s.Rules, []string{"A4", "J4"}) || s.Description != "Anna answers after 10 s." {
		t.Errorf("header: name %q rules %q description %q", s.Name, s.Rules, s.Description)
	}
	if s.Location.String() != "Europe/Berlin" {
		t.Errorf("location %v", s.Location)
	}
	if want := cdr.GermanPlan("711"); s.Plan != want {
		t.Errorf("plan %+v, want %+v", s.Plan, want)
	}
	if !strings.HasPrefix(string(s.Accounts), "id;type;name;login\n11;") || !strings.HasPrefix(string(s.Export), `"id";"callid"`) {
		t.Errorf("sections: accounts %q export %q", s.Accounts, s.Export)
	}
	wantLegs := []Record{{Line: 15, Fields: []Field{
		{"account", "11"}, {"calledcid", "Anna Agent (2011)"}, {"answered", "true"}, {"ring", "10s"},
		{"talk", "3m0s"}, // normalised from 180s
	}}}
	wantJourneys := []Record{{Line: 18, Fields: []Field{
		{"outcome", "answered"}, {"answeredby", "11"}, {"path", "11"},
		{"answer", "2026-03-02T10:00:11+01:00"}, // normalised into the zone
		{"events", ""},
	}}}
	if d := cmp.Diff(wantLegs, s.Legs); d != "" {
		t.Errorf("legs (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantJourneys, s.Journeys); d != "" {
		t.Errorf("journeys (-want +got):\n%s", d)
	}
}

func TestParseDefaults(t *testing.T) {
	s := mustParse(t, "-- scenario --\n-- export.csv --\n\"id\"\n-- legs --\n-- journeys --\n")
	if s.Name != "sample" || s.Location.String() != DefaultTimezone || s.Plan != cdr.GermanPlan("") || s.Accounts != nil {
		t.Errorf("defaults: name %q location %v plan %+v accounts %q", s.Name, s.Location, s.Plan, s.Accounts)
	}
	if s.Legs == nil || len(s.Legs) != 0 || len(s.Journeys) != 0 {
		t.Errorf("empty sections: legs %#v journeys %#v", s.Legs, s.Journeys)
	}
}

func TestParseErrors(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(sample, old) {
			t.Fatalf("sample lacks %q", old)
		}
		return strings.Replace(sample, old, new, 1)
	}
	tests := []struct {
		name, data string
		section    string
		line       int
		msg        string
	}{
		{"unknown section", replace("-- accounts --", "-- acounts --"), "", 7, `unknown section "-- acounts --"`},
		{"section twice", sample + "-- legs --\n", "", 19, "section -- legs -- again (first on line 13)"},
		{"missing legs", replace("-- legs --\n", ""), "", 0, "missing section -- legs -- (write it empty"},
		{"missing export", replace("-- export.csv --\n", "-- jour --\n"), "", 10, `unknown section "-- jour --"`},
		{"empty export", replace(exportRows, "\n"), "export.csv", 10, "the export is empty"},
		{"unknown header key", replace("rules:", "rule:"), "scenario", 3, `unknown key "rule"`},
		{"header key twice", replace("plan:", "name: again\nplan:"), "scenario", 5, `key "name" again (first on line 2)`},
		{"bad zone", replace("Europe/Berlin", "Europe/Stuttgart"), "scenario", 4, `unknown zone "Europe/Stuttgart"`},
		{"bad plan", replace("49 711", "049"), "scenario", 5, "CountryCode"},
		{"unknown leg key", replace("ring=10s", "rings=10s"), "legs", 15, `unknown key "rings"`},
		{"bad duration", replace("ring=10s", "ring=10"), "legs", 15, "ring: want a Go duration"},
		{"bad bool", replace("answered=true", "answered=yes"), "legs", 15, "answered: want true or false"},
		{"bad quote", replace(`calledcid="Anna Agent (2011)"`, `calledcid="Anna Agent`), "legs", 15, "calledcid: bad quoted value"},
		{"text after quote", replace(`(2011)" answered`, `(2011)"x answered`), "legs", 15, "text right after the closing quote"},
		{"not key=value", replace("talk=180s", "talk 180s"), "legs", 15, `"talk" is not key=value`},
		{"key twice", replace("ring=10s", "ring=10s ring=11s"), "legs", 15, `key "ring" twice`},
		{"journey key on a leg", replace("talk=180s", "outcome=answered"), "legs", 15, `unknown key "outcome"`},
		{"bad outcome", replace("outcome=answered", "outcome=picked"), "journeys", 18, "outcome: want an outcome"},
		{"bad time", replace("2026-03-02T09:00:11Z", "10:00:11"), "journeys", 18, "answer: want an RFC 3339 time"},
		{"bad path", replace("path=11", "path=11>12"), "journeys", 18, "path: want ids"},
		{"bad event", replace("events=", "events=picked-up:11@10:00:00"), "journeys", 18, "want events written as kind:from>to@HH:MM:SS"},
		{"unknown event", replace("events=", "events=answered:11>12@10:00:00"), "journeys", 18, `unknown event kind "answered"`},
		{"bad flags", replace("events=", "flags=repaired"), "journeys", 18, "flags: want flags"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("sample.scenario", []byte(tc.data))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *ParseError", err)
			}
			if pe.File != "sample.scenario" || pe.Section != tc.section || pe.Line != tc.line || !strings.Contains(pe.Err.Error(), tc.msg) {
				t.Errorf("got %q (section %q, line %d), want section %q, line %d, containing %q", err, pe.Section, pe.Line, tc.section, tc.line, tc.msg)
			}
			if tc.line > 0 && !strings.HasPrefix(err.Error(), "sample.scenario:"+strconv.Itoa(tc.line)+":") {
				t.Errorf("error %q does not start with file:line", err)
			}
		})
	}
}

func TestNormalizeEquivalents(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Berlin")
	tests := []struct {
		kind     valueKind
		in, want string
	}{
		{kindDuration, "90s", "1m30s"},
		{kindDuration, "0", "0s"},
		{kindInt, "007", "7"},
		{kindBool, "TRUE", "true"},
		{kindTime, "2026-10-25T01:01:50Z", "2026-10-25T02:01:50+01:00"},
		{kindTime, "2026-10-25T00:59:30Z", "2026-10-25T02:59:30+02:00"},
		{kindTime, "", ""},
		{kindNumber, "+4971112345", "+4971112345"},
		{kindNumber, "withheld", "withheld"},
		{kindAccountType, "IQUEUE", "iqueue"},
		{kindRange, "Range(0)", "Range(0)"}, // what -update writes for an unset field
		{kindFlags, "missing-end|repaired-times", "repaired-times|missing-end"},
		{kindIDList, "200, 11", "200,11"},
		{kindEvents, "parked:011>12@10:01:00,voicemail:0>11@10:00:21", "parked:11>12@10:01:00,voicemail:0>11@10:00:21"},
	}
	for _, tc := range tests {
		got, err := normalize(tc.kind, tc.in, loc)
		if err != nil || got != tc.want {
			t.Errorf("normalize(%d, %q) = %q, %v; want %q", tc.kind, tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []struct {
		kind valueKind
		in   string
	}{{kindRange, "Range(1)"}, {kindAccountType, ""}, {kindNumber, "0711 12"}, {kindEvents, "parked:1>2@25:00:00"}} {
		if got, err := normalize(bad.kind, bad.in, loc); err == nil {
			t.Errorf("normalize(%d, %q) = %q, want an error", bad.kind, bad.in, got)
		}
	}
}

// TestVocabulary pins the documented keys and that every key's got value
// parses back as an expectation of itself.
func TestVocabulary(t *testing.T) {
	wantLeg := strings.Fields("callid seq account type group owner incoming range answered result causedby arrival ringstart answer end announcement ring wait talk call agentring called calledcid callednumber caller callercid callernumber fax recorded voicemail private line flags entries")
	wantJourney := strings.Fields("callid direction caller callercid callernumber dialled callednumber arrival end path answered answeredby via answer announcement wait talk duration outcome events queues private flags")
	if d := cmp.Diff(wantLeg, LegKeys()); d != "" {
		t.Errorf("LegKeys (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantJourney, JourneyKeys()); d != "" {
		t.Errorf("JourneyKeys (-want +got):\n%s", d)
	}
	for _, k := range DefaultLegKeys() {
		if !slices.Contains(wantLeg, k) {
			t.Errorf("default leg key %q is not a leg key", k)
		}
	}
	for _, k := range DefaultJourneyKeys() {
		if !slices.Contains(wantJourney, k) {
			t.Errorf("default journey key %q is not a journey key", k)
		}
	}

	loc, _ := time.LoadLocation("Europe/Berlin")
	call := testCall(loc)
	leg := LegFields(call.Legs[0], loc)
	journey := JourneyFields(call.Journey, loc)
	wantValues := map[string]map[string]string{
		"leg": {
			"account": "12", "type": "user", "group": "200", "range": "external", "result": "answered",
			"arrival": "2026-03-02T10:00:00+01:00", "ringstart": "2026-03-02T10:00:01+01:00", "answer": "2026-03-02T10:00:13+01:00",
			"ring": "12s", "talk": "1m30s", "calledcid": "Support (2200)", "callernumber": "+4971112345", "line": "Telekom SIP",
			"flags": "repaired-times|placeholder-account", "entries": "1,3", "callednumber": "",
		},
		"journey": {
			"direction": "inbound", "path": "200,12", "outcome": "answered", "callercid": "Lisa Lang (+4971112345)",
			"end": "2026-03-02T10:01:43+01:00", "duration": "1m43s", "flags": "",
			"events": "forwarded-on-timeout:11>200@10:00:00,picked-up:200>12@10:00:13",
		},
	}
	for name, rec := range map[string][]Field{"leg": leg, "journey": journey} {
		for _, f := range rec {
			if w, ok := wantValues[name][f.Key]; ok && w != f.Value {
				t.Errorf("%s %s = %q, want %q", name, f.Key, f.Value, w)
			}
		}
	}
	for name, rec := range map[string][]Field{"leg": leg, "journey": journey} {
		line := formatFields(rec)
		var got []Field
		var err error
		if name == "leg" {
			got, err = parseRecord(line, legDefs, loc)
		} else {
			got, err = parseRecord(line, journeyDefs, loc)
		}
		if err != nil {
			t.Fatalf("%s record %q does not parse: %v", name, line, err)
		}
		if d := cmp.Diff(rec, got); d != "" {
			t.Errorf("%s record does not round-trip (-want +got):\n%s", name, d)
		}
	}
}

// testCall is a hand-made call: a group call answered by Ben.
func testCall(loc *time.Location) callflow.Call {
	at := func(hms string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05", "2026-03-02 "+hms, loc)
		if err != nil {
			panic(err)
		}
		return tm.UTC() // the kit must write times in the scenario's zone
	}
	return callflow.Call{
		Journey: callflow.Journey{
			CallID: "c1", Direction: callflow.Inbound,
			CallerCallerID: cdr.CallerID{Name: "Lisa Lang", Number: "+4971112345"},
			CallerNumber:   cdr.GermanPlan("").Normalize("+4971112345"),
			Arrival:        at("10:00:00"), End: at("10:01:43"), Answer: at("10:00:13"),
			Path:     []cdr.AccountID{200, 12},
			Answered: true, AnsweredBy: 12, AnsweredVia: 200,
			Announcement: time.Second, Wait: 13 * time.Second, Talk: 90 * time.Second, Duration: 103 * time.Second,
			Outcome: callflow.OutcomeAnswered,
			Events: []callflow.Event{
				{Kind: callflow.EventForwardedOnTimeout, At: at("10:00:00"), From: 11, To: 200},
				{Kind: callflow.EventPickedUp, At: at("10:00:13"), From: 200, To: 12},
			},
		},
		Legs: []callflow.Leg{{
			CallID: "c1", AccountID: 12, AccountType: cdr.AccountUser, GroupID: 200, OwnerAccountID: 12,
			Incoming: true, Range: callflow.RangeExternal, Answered: true, Result: callflow.ResultAnswered,
			Arrival: at("10:00:00"), RingStart: at("10:00:01"), Answer: at("10:00:13"), End: at("10:01:43"),
			Announcement: time.Second, Ring: 12 * time.Second, Wait: 13 * time.Second, Talk: 90 * time.Second, Call: 103 * time.Second,
			CalledAccountID: 200, CalledCallerID: cdr.CallerID{Name: "Support", Number: "2200"},
			CallerNumber: cdr.GermanPlan("").Normalize("+4971112345"),
			LineName:     "Telekom SIP",
			EntryIDs:     []int64{1, 3},
			Flags:        callflow.FlagRepairedTimes | callflow.FlagPlaceholderAccount,
		}},
	}
}

func TestFormatRoundTrip(t *testing.T) {
	s := mustParse(t, sample)
	again, err := Parse(s.File, Format(s))
	if err != nil {
		t.Fatalf("Format output does not parse: %v\n%s", err, Format(s))
	}
	opts := []cmp.Option{
		cmpopts.IgnoreUnexported(Scenario{}),
		cmpopts.IgnoreFields(Record{}, "Line"),
		cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() }),
	}
	if d := cmp.Diff(s, again, opts...); d != "" {
		t.Errorf("Parse(Format(s)) differs (-want +got):\n%s", d)
	}

	// A scenario built in code.
	built := &Scenario{
		Name: "built", Export: []byte("\"id\"\n"),
		Legs: []Record{{Fields: []Field{{"account", "11"}, {"calledcid", `Ben "B" Berger`}}}},
	}
	got, err := Parse("built.scenario", Format(built))
	if err != nil {
		t.Fatalf("%v\n%s", err, Format(built))
	}
	if v, _ := got.Legs[0].Get("calledcid"); v != `Ben "B" Berger` || got.Location.String() != DefaultTimezone || len(got.Journeys) != 0 {
		t.Errorf("built scenario came back as %+v", got)
	}
	if !strings.Contains(string(Format(built)), `calledcid="Ben \"B\" Berger"`) {
		t.Errorf("quoted value not written in Go syntax:\n%s", Format(built))
	}
}
