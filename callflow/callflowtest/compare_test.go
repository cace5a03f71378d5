package callflowtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/starinsight/starinsight/callflow"
)

// expect returns a scenario whose expectations are legs and journeys, for
// comparison with testCall.
func expect(t *testing.T, legs, journeys string) *Scenario {
	t.Helper()
	return mustParse(t, "-- scenario --\ntimezone: Europe/Berlin\n-- export.csv --\n\"id\"\n-- legs --\n"+legs+"-- journeys --\n"+journeys)
}

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestDiffAgrees(t *testing.T) {
	calls := []callflow.Call{testCall(berlin(t))}
	s := expect(t,
		"account=12 group=200 answered=true ring=12s talk=90s arrival=2026-03-02T09:00:00Z\n",
		"outcome=answered answeredby=12 path=200,12 wait=13s events=forwarded-on-timeout:11>200@10:00:00,picked-up:200>12@10:00:13\n")
	if d := s.Diff(calls); d != "" {
		t.Errorf("want no difference, got:\n%s", d)
	}
	// Fields a record does not name are not compared.
	if d := expect(t, "account=12\n", "\n").Diff(calls); !strings.Contains(d, "journeys: want 0 records, got 1") || strings.Contains(d, "legs") {
		t.Errorf("only the journey count should differ, got:\n%s", d)
	}
}

func TestDiffReportsWrongValue(t *testing.T) {
	calls := []callflow.Call{testCall(berlin(t))}
	s := expect(t, "account=12 ring=11s talk=1m30s\n", "outcome=lost-while-ringing path=200,12\n")
	d := s.Diff(calls)
	for _, want := range []string{"legs[0] (line 6) (-want +got):", "journeys[0] (line 8) (-want +got):"} {
		if !strings.Contains(d, want) {
			t.Errorf("diff lacks %q:\n%s", want, d)
		}
	}
	if !diffHas(d, '-', `"ring=11s"`) || !diffHas(d, '+', `"ring=12s"`) || diffHas(d, '-', "talk") ||
		!diffHas(d, '-', `"outcome=lost-while-ringing"`) || !diffHas(d, '+', `"outcome=answered"`) {
		t.Errorf("diff does not show exactly ring and outcome as changed:\n%s", d)
	}
	// Only the compared fields are listed.
	for _, absent := range []string{"agentring", "callid", "direction", "account=13"} {
		if strings.Contains(d, absent) {
			t.Errorf("diff mentions %q, which no record compares:\n%s", absent, d)
		}
	}
	// A changed or removed event is a difference, an identical list is not.
	ev := "events=forwarded-on-timeout:11>200@10:00:00,picked-up:200>12@10:00:14\n"
	if d := expect(t, "account=12\n", ev).Diff(calls); !diffHas(d, '-', `"events[1]=picked-up:200>12@10:00:14"`) ||
		!diffHas(d, '+', `"events[1]=picked-up:200>12@10:00:13"`) || diffHas(d, '-', "events[0]") {
		t.Errorf("a wrong event time is not reported:\n%s", d)
	}
}

// diffHas reports whether a line of the cmp.Diff output d starts with
// sign ('-' or '+') and contains text. cmp varies its white space on
// purpose, so the lines are not compared whole.
func diffHas(d string, sign byte, text string) bool {
	for line := range strings.SplitSeq(d, "\n") {
		line = strings.TrimLeft(strings.ReplaceAll(line, "\u00a0", " "), " ")
		if len(line) > 0 && line[0] == sign && strings.Contains(line, text) {
			return true
		}
	}
	return false
}

func TestDiffRecordCount(t *testing.T) {
	calls := []callflow.Call{testCall(berlin(t))}
	s := expect(t, "account=11 answered=false\n# comment\naccount=12 ring=12s\n", "outcome=answered\n")
	d := s.Diff(calls)
	for _, want := range []string{
		"legs: want 2 records, got 1.",
		"\tline 6: account=11 answered=false",
		"got (keys account answered ring; review before pasting):",
		"\taccount=12 answered=true ring=12s\n",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("count report lacks %q:\n%s", want, d)
		}
	}
	// The got records are in the file's syntax: they can be pasted.
	line := strings.TrimSpace(strings.SplitAfter(d, "review before pasting):\n")[1])
	if _, err := parseRecord(line, legDefs, berlin(t)); err != nil {
		t.Errorf("got record %q does not parse: %v", line, err)
	}
	// An empty section lists the got records with the default keys.
	d = DiffRecords(SectionJourneys, nil, [][]Field{JourneyFields(calls[0].Journey, berlin(t))}, DefaultJourneyKeys())
	if !strings.Contains(d, "journeys: want 0 records, got 1.") || !strings.Contains(d, "\tdirection=inbound outcome=answered answeredby=12 via=200 path=200,12 ") {
		t.Errorf("empty-section report:\n%s", d)
	}
}

// Got orders legs by Seq within each call and keeps the calls' order.
func TestGotOrder(t *testing.T) {
	loc := berlin(t)
	a, b := testCall(loc), testCall(loc)
	a.Legs = append(a.Legs, a.Legs[0])
	a.Legs[0].Seq, a.Legs[0].AccountID = 1, 13
	b.Journey.CallID = "c2"
	legs, journeys := (&Scenario{Location: loc}).Got([]callflow.Call{a, b})
	var got []string
	for _, l := range legs {
		got = append(got, formatFields(pick(l, []string{"account", "seq"})))
	}
	if want := "account=12 seq=0|account=13 seq=1|account=12 seq=0"; strings.Join(got, "|") != want {
		t.Errorf("legs %q, want %q", strings.Join(got, "|"), want)
	}
	if len(journeys) != 2 || journeys[1][0] != (Field{"callid", "c2"}) {
		t.Errorf("journeys %v", journeys)
	}
}

const updateFile = `# Header comment, kept.
-- scenario --
name: update round trip
timezone: Europe/Berlin
Description, kept.
-- accounts --
id;type;name;login
12;user;Ben Berger;ben
-- export.csv --
"id";"callid"
"1";"c1"
-- legs --
# leading comment, kept
account=12 ring=11s   talk=90s

-- journeys --
# a journey
outcome=answered    wait=13000ms
`

func TestUpdatedKeepsOtherBytes(t *testing.T) {
	calls := []callflow.Call{testCall(berlin(t))}
	s := mustParse(t, updateFile)
	out, err := s.Updated(calls)
	if err != nil {
		t.Fatal(err)
	}
	// Only the differing record line changes: its keys and their order are
	// kept. The journey agrees (13000ms is 13s), so it keeps its spelling.
	want := strings.Replace(updateFile, "account=12 ring=11s   talk=90s", "account=12 ring=12s talk=1m30s", 1)
	if string(out) != want {
		t.Errorf("updated file:\n%s\nwant:\n%s", out, want)
	}
}

func TestUpdatedRecordCountChanges(t *testing.T) {
	calls := []callflow.Call{testCall(berlin(t))}
	in := strings.Replace(updateFile, "account=12 ring=11s   talk=90s\n", "account=11 answered=false\n# between\naccount=12 ring=12s\n", 1)
	in = strings.Replace(in, "# a journey\noutcome=answered    wait=13000ms\n", "", 1)
	in = strings.TrimSuffix(in, "\n") // the file ends without a line ending
	s := mustParse(t, in)
	out, err := s.Updated(calls)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(in, "account=11 answered=false\n# between\naccount=12 ring=12s\n", "account=12 answered=true ring=12s\n", 1)
	want += "\n" + formatFields(pick(JourneyFields(calls[0].Journey, berlin(t)), DefaultJourneyKeys())) + "\n"
	if string(out) != want {
		t.Errorf("updated file:\n%s\nwant:\n%s", out, want)
	}
	head := in[:strings.Index(in, "-- legs --")]
	if !strings.HasPrefix(string(out), head) {
		t.Errorf("the sections before legs changed")
	}
}

func TestUpdatedCRLF(t *testing.T) {
	calls := []callflow.Call{testCall(berlin(t))}
	in := strings.ReplaceAll(updateFile, "\n", "\r\n")
	s := mustParse(t, in)
	out, err := s.Updated(calls)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(in, "account=12 ring=11s   talk=90s", "account=12 ring=12s talk=1m30s", 1)
	if string(out) != want {
		t.Errorf("updated file:\n%q\nwant:\n%q", out, want)
	}
}

func TestUpdatedBuiltInCode(t *testing.T) {
	calls := []callflow.Call{testCall(berlin(t))}
	s := &Scenario{Name: "built", Export: []byte("\"id\"\n")}
	out, err := s.Updated(calls)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse("built", out)
	if err != nil {
		t.Fatal(err)
	}
	if d := again.Diff(calls); d != "" || len(again.Legs) != 1 || len(again.Legs[0].Fields) != len(DefaultLegKeys()) {
		t.Errorf("built scenario after update: %s\n%s", d, out)
	}
}

// fakeT records what check reports.
type fakeT struct {
	errors, fatals, logs []string
}

func (f *fakeT) Helper()      {}
func (f *fakeT) Name() string { return "TestFake/direct" }
func (f *fakeT) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.fatals = append(f.fatals, fmt.Sprintf(format, args...))
}
func (f *fakeT) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

func writeScenario(t *testing.T, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "direct.scenario")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckReportsMismatch(t *testing.T) {
	wrong := strings.Replace(sample, "account=11 ", "account=99 ", 1)
	path := writeScenario(t, wrong)
	var ft fakeT
	check(&ft, path, false, nil)
	if len(ft.fatals) != 0 || len(ft.errors) != 1 {
		t.Fatalf("want one error, got errors %q fatals %q", ft.errors, ft.fatals)
	}
	for _, want := range []string{path, "direct call answered", "legs[0] (line 15) (-want +got):", `"account=99"`, `"account=11"`, "go test -run 'TestFake/direct' -update"} {
		if !strings.Contains(ft.errors[0], want) {
			t.Errorf("report lacks %q:\n%s", want, ft.errors[0])
		}
	}
	if data, _ := os.ReadFile(path); string(data) != wrong {
		t.Errorf("the file changed without -update")
	}

	ft = fakeT{}
	check(&ft, writeScenario(t, sample), false, nil)
	if len(ft.errors)+len(ft.fatals) != 0 {
		t.Errorf("a matching scenario failed: %q %q", ft.errors, ft.fatals)
	}
}

func TestCheckUpdate(t *testing.T) {
	wrong := strings.Replace(sample, "account=11 ", "account=99 ", 1)
	path := writeScenario(t, wrong)
	var ft fakeT
	check(&ft, path, true, nil)
	if len(ft.errors)+len(ft.fatals) != 0 || len(ft.logs) != 1 || !strings.Contains(ft.logs[0], "review") {
		t.Fatalf("update: errors %q fatals %q logs %q", ft.errors, ft.fatals, ft.logs)
	}
	// The differing record line is rewritten with its keys, in their order.
	want := strings.Replace(sample, "talk=180s", "talk=3m0s", 1)
	data, _ := os.ReadFile(path)
	if string(data) != want {
		t.Errorf("updated file:\n%s\nwant:\n%s", data, want)
	}
	ft = fakeT{}
	check(&ft, path, false, nil)
	if len(ft.errors)+len(ft.fatals) != 0 {
		t.Errorf("the updated scenario fails: %q %q", ft.errors, ft.fatals)
	}
}

func TestCheckCSVError(t *testing.T) {
	path := writeScenario(t, strings.Replace(sample, `"02.03.2026 10:00:11"`, `"32.03.2026 10:00:11"`, 1))
	var ft fakeT
	check(&ft, path, false, nil)
	if len(ft.fatals) != 1 || !strings.Contains(ft.fatals[0], path+":12: -- export.csv --: cdr: line 2") {
		t.Errorf("want a fatal error naming line 12 of the file, got %q", ft.fatals)
	}

	ft = fakeT{}
	check(&ft, writeScenario(t, strings.Replace(sample, "11;user;", "x;user;", 1)), false, nil)
	if len(ft.fatals) != 1 || !strings.Contains(ft.fatals[0], ":9: -- accounts --:") {
		t.Errorf("want a fatal error naming line 9 of the file, got %q", ft.fatals)
	}

	ft = fakeT{}
	check(&ft, filepath.Join(t.TempDir(), "missing.scenario"), false, nil)
	if len(ft.fatals) != 1 {
		t.Errorf("a missing file must fail, got %q", ft.fatals)
	}
}
