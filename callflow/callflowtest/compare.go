package callflowtest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/starinsight/starinsight/callflow"
)

// Got returns the records the calls yield, with every field: the legs of all
// calls in order (calls as given, legs by Seq) and one journey per call.
// Times are written in the scenario's zone.
func (s *Scenario) Got(calls []callflow.Call) (legs, journeys [][]Field) {
	return gotRecords(calls, s.location())
}

func gotRecords(calls []callflow.Call, loc *time.Location) (legs, journeys [][]Field) {
	for _, c := range calls {
		ls := slices.Clone(c.Legs)
		slices.SortStableFunc(ls, func(a, b callflow.Leg) int { return a.Seq - b.Seq })
		for _, l := range ls {
			legs = append(legs, LegFields(l, loc))
		}
		journeys = append(journeys, JourneyFields(c.Journey, loc))
	}
	return legs, journeys
}

// Diff compares the scenario's expectations with calls, on the fields each
// expected record names. It returns "" when they agree, else a readable
// report: a (-want +got) diff per differing record, or, when the number of
// records differs, the got records in the file's syntax.
func (s *Scenario) Diff(calls []callflow.Call) string {
	legs, journeys := s.Got(calls)
	return joinReports(
		DiffRecords(SectionLegs, s.Legs, legs, DefaultLegKeys()),
		DiffRecords(SectionJourneys, s.Journeys, journeys, DefaultJourneyKeys()),
	)
}

func joinReports(reports ...string) string {
	var parts []string
	for _, r := range reports {
		if r != "" {
			parts = append(parts, r)
		}
	}
	return strings.Join(parts, "\n")
}

// DiffRecords compares want with got record by record, on the keys each
// want record names (the others are not compared). section names the
// records in the report ("legs", "journeys"). It returns "" when they
// agree. When the counts differ it lists the got records in the file's
// syntax with the keys the want records use (defaultKeys when there are
// none), ready to be reviewed and pasted.
func DiffRecords(section string, want []Record, got [][]Field, defaultKeys []string) string {
	if len(want) != len(got) {
		var b strings.Builder
		fmt.Fprintf(&b, "%s: want %d records, got %d.\n", section, len(want), len(got))
		b.WriteString("want:\n")
		if len(want) == 0 {
			b.WriteString("\t(none)\n")
		}
		for _, w := range want {
			fmt.Fprintf(&b, "\tline %d: %s\n", w.Line, w)
		}
		keys := unionKeys(want)
		if len(keys) == 0 {
			keys = defaultKeys
		}
		fmt.Fprintf(&b, "got (keys %s; review before pasting):\n", strings.Join(keys, " "))
		if len(got) == 0 {
			b.WriteString("\t(none)\n")
		}
		for _, g := range got {
			fmt.Fprintf(&b, "\t%s\n", formatFields(pick(g, keys)))
		}
		return b.String()
	}
	var b strings.Builder
	for i, w := range want {
		if d := diffRecord(w, got[i]); d != "" {
			where := ""
			if w.Line > 0 {
				where = fmt.Sprintf(" (line %d)", w.Line)
			}
			fmt.Fprintf(&b, "%s[%d]%s (-want +got):\n%s", section, i, where, d)
		}
	}
	return b.String()
}

// diffRecord compares one record on the keys of want.
func diffRecord(want Record, got []Field) string {
	g := pick(got, want.Keys())
	if slices.Equal(want.Fields, g) {
		return ""
	}
	return cmp.Diff(diffLines(want.Fields), diffLines(g), cmp.Comparer(func(a, b field) bool { return a == b }))
}

// field is a record field as cmp.Diff shows it. A named type compared by a
// Comparer keeps cmp from diffing similar long values character by
// character: a differing field is shown whole, once as wanted and once as
// got.
type field string

// diffLines writes fields for cmp.Diff, one per element; an event list
// gives one element per event, so that a diff points at the event.
func diffLines(fs []Field) []field {
	var out []field
	for _, f := range fs {
		if f.Key == "events" && f.Value != "" {
			for i, e := range strings.Split(f.Value, ",") {
				out = append(out, field(fmt.Sprintf("events[%d]=%s", i, e)))
			}
			continue
		}
		out = append(out, field(f.String()))
	}
	return out
}

// unionKeys returns the keys the records use, in the order of first use.
func unionKeys(recs []Record) []string {
	var keys []string
	for _, r := range recs {
		for _, f := range r.Fields {
			if !slices.Contains(keys, f.Key) {
				keys = append(keys, f.Key)
			}
		}
	}
	return keys
}
