package callflowtest_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/starinsight/starinsight/callflow/callflowtest"
)

// fuzzSeedScenarios are the recorded scenarios FuzzParseScenario starts
// from: keys with and without plan, events, CRLF-free quoted CSV, DST times.
var fuzzSeedScenarios = []string{
	"group-linear.scenario",
	"outgoing-external.scenario",
	"dst-change.scenario",
	"forward-chain-different-reasons.scenario",
}

// FuzzParseScenario: no input may panic Parse or Interpret, and whatever
// Parse accepts must come back from Format and Parse as the same scenario.
func FuzzParseScenario(f *testing.F) {
	var last []byte
	for _, name := range fuzzSeedScenarios {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "scenarios", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		last = data
	}
	// Broken and unusual variants of a real file.
	s := string(last)
	for _, v := range []string{
		strings.ReplaceAll(s, "\n", "\r\n"),                                       // CRLF line ends
		strings.Replace(s, "-- accounts --", "-- nonsense --", 1),                 // unknown section
		strings.Replace(s, "-- legs --\n", "", 1),                                 // missing section
		s + "-- legs --\n",                                                        // a section twice
		strings.Replace(s, "rules:", "rulez:", 1),                                 // unknown key
		strings.Replace(s, "timezone: Europe/Berlin", "timezone: Mars/Base", 1),   // unknown zone
		strings.Replace(s, "timezone: Europe/Berlin", "plan: 1 2 3", 1),           // bad plan
		strings.Replace(s, "answered=true", `answered="tr`, 1),                    // unterminated quote
		strings.Replace(s, "answered=true", "answered", 1),                        // not key=value
		strings.Replace(s, "@10:00:16", "@25:00:16", 1),                           // bad event time
		strings.TrimRight(s, "\n"),                                                // no final line end
		strings.Replace(s, `"id";"callid"`, `"id";"call"id"`, 1),                  // broken CSV in the export
		strings.Replace(s, "11;user;Anna Agent;anna", "11;sometype;Anna;anna", 1), // bad account
	} {
		f.Add([]byte(v))
	}
	// Small hand-written files.
	for _, v := range []string{
		"",
		"-- scenario --\n-- export.csv --\n\"id\"\n-- legs --\n-- journeys --\n",
		"-- journeys --\n-- legs --\n-- export.csv --\nx\n-- scenario --\nname: reordered # comment\nrules: A1,B2\tC3\nplan: 44\n\n# a comment\nfree text\n  more: text",
		"-- scenario --\nname: times\ntimezone: UTC\n-- export.csv --\n\"id\"\n-- legs --\narrival=2026-03-02T10:00:05+01:00 range=Range(0) ring=90s callercid=\"Anna \\\"A\\\" (11)\" flags= entries=1,+2\n-- journeys --\n# none\noutcome=unknown events=picked-up:1>2@1:2:3 path=\n",
		"-- scenario --\n-- export.csv --\n \n-- legs --\n-- journeys --\n",
		"-- scenario --\nDescription: capitalised\n-- export.csv --\n\"id\"\n-- legs --\nline=a=b\n-- journeys --\n",
		// Found by this fuzzer: a '#' in a name, offsets with seconds.
		"-- journeys --\n-- legs --\n-- export.csv --\n0\n-- scenario --\nname:#",
		"-- scenario --\nname: \"call #2\"\nrules: a,#b\n-- export.csv --\n\"id\"\n",
		"-- scenario --\n-- export.csv --\n\"id\"\n-- legs --\narrival=0000-10-01T0:00:00+00:00\n",
		"-- scenario --\ntimezone: Africa/Monrovia\n-- export.csv --\n\"id\"\n-- legs --\narrival=1970-01-01T10:00:00Z\n",
	} {
		f.Add([]byte(v))
	}

	opts := cmp.Options{
		cmpopts.IgnoreUnexported(callflowtest.Scenario{}),
		cmpopts.IgnoreFields(callflowtest.Record{}, "Line"),
		cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() }),
		cmpopts.EquateEmpty(),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := callflowtest.Parse("fuzz.scenario", data)
		if err != nil {
			return
		}
		_, _ = s.Interpret() // errors are fine, panics are not

		out := callflowtest.Format(s)
		again, err := callflowtest.Parse("fuzz.scenario", out)
		if err != nil {
			t.Fatalf("Format output does not parse: %v\ninput:\n%q\nformatted:\n%q", err, data, out)
		}
		// Format ends every section body with a line end so that the next
		// section header starts a line: a body that was the end of the
		// file without one comes back with "\n" added.
		want := *s
		want.Accounts = withLineEnd(s.Accounts)
		want.Export = withLineEnd(s.Export)
		if d := cmp.Diff(&want, again, opts); d != "" {
			t.Fatalf("Parse(Format(s)) differs (-want +got):\n%s\ninput:\n%q\nformatted:\n%q", d, data, out)
		}
	})
}

func withLineEnd(b []byte) []byte {
	if len(b) == 0 || b[len(b)-1] == '\n' {
		return b
	}
	return append(bytes.Clone(b), '\n')
}
