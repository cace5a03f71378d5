package callflow_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/callflow/callflowtest"
	"github.com/starinsight/starinsight/cdr"
)

func TestRepeatCalls(t *testing.T) {
	loc := berlin(t)
	at := func(h, m, s int) time.Time { return time.Date(2026, 3, 3, h, m, s, 0, loc) }
	const a, b, c, d, e = "+4971110001", "+4971110002", "+4971110003", "+4971110004", "+4971110005"
	calls := []callflow.Call{
		lcAnswered(t, "R1", a, at(10, 0, 0), 5*time.Minute, lcGroup, lcBen), // ends 10:05:10; A calls again at 10:30: repeated
		lcLost(t, "L1", a, at(10, 30, 0), 30*time.Second, lcGroup),
		lcAnswered(t, "R2", a, at(10, 40, 0), time.Minute, lcGroup, lcAnna),          // nothing after: resolved
		lcAnswered(t, "R3", b, at(10, 0, 0), 2*time.Minute, lcGroup, lcBen),          // W ends 11:02:10, B's next call at 11:10: resolved
		lcAnswered(t, "R4", b, at(11, 10, 0), time.Minute, lcGroup, lcBen),           // W ends 12:11:10: resolved
		lcAnswered(t, "R5", c, at(10, 0, 0), time.Minute, lcGroup2, lcAnna),          // only an outbound call follows: resolved
		lcOutbound(t, "O1", c, at(10, 20, 0), time.Minute, lcAnna),                   //
		lcAnswered(t, "R6", "withheld", at(10, 10, 0), time.Minute, lcGroup, lcAnna), // unmatchable
		lcLost(t, "W1", "withheld", at(10, 15, 0), 30*time.Second, lcGroup),          //
		lcAnswered(t, "R7", d, at(12, 0, 0), 2*time.Minute, lcGroup, lcBen),          // W open at the end: provisional
		lcAnswered(t, "R8", e, at(12, 10, 0), time.Minute, lcGroup, lcAnna),          // provisional, though a repeat came
		lcLost(t, "L2", e, at(12, 20, 0), 30*time.Second, lcGroup),
	}
	rc := func(id, num string, from time.Time, talk time.Duration, group, agent cdr.AccountID) callflow.RepeatCall {
		r := callflow.RepeatCall{CallID: id, Number: lcNum(t, num), At: from, End: from.Add(10*time.Second + talk), AgentID: agent, GroupID: group}
		if r.Number.Matchable() {
			r.WindowEnd = r.End.Add(time.Hour)
		} else {
			r.Unmatchable = true
		}
		return r
	}
	repeated := func(r callflow.RepeatCall, next string, gap time.Duration) callflow.RepeatCall {
		r.Repeated, r.NextCallID, r.Gap = true, next, gap
		return r
	}
	provisional := func(r callflow.RepeatCall) callflow.RepeatCall { r.Provisional = true; return r }
	wantCalls := []callflow.RepeatCall{
		repeated(rc("R1", a, at(10, 0, 0), 5*time.Minute, lcGroup, lcBen), "L1", 24*time.Minute+50*time.Second),
		rc("R3", b, at(10, 0, 0), 2*time.Minute, lcGroup, lcBen),
		rc("R5", c, at(10, 0, 0), time.Minute, lcGroup2, lcAnna),
		rc("R6", "withheld", at(10, 10, 0), time.Minute, lcGroup, lcAnna),
		rc("R2", a, at(10, 40, 0), time.Minute, lcGroup, lcAnna),
		rc("R4", b, at(11, 10, 0), time.Minute, lcGroup, lcBen),
		provisional(rc("R7", d, at(12, 0, 0), 2*time.Minute, lcGroup, lcBen)),
		provisional(repeated(rc("R8", e, at(12, 10, 0), time.Minute, lcGroup, lcAnna), "L2", 8*time.Minute+50*time.Second)),
	}
	want := callflow.RepeatReport{
		Window: callflow.Window{},
		RepeatCounts: callflow.RepeatCounts{
			Answered: 8, Resolved: 4, Repeated: 1, Provisional: 2, Unmatchable: 1,
			FirstCallResolution: callflow.Ratio{Numerator: 4, Denominator: 5},
		},
		Agents: []callflow.AgentRepeatCounts{
			{AgentID: lcAnna, RepeatCounts: callflow.RepeatCounts{Answered: 4, Resolved: 2, Provisional: 1, Unmatchable: 1, FirstCallResolution: callflow.Ratio{Numerator: 2, Denominator: 2}}},
			{AgentID: lcBen, RepeatCounts: callflow.RepeatCounts{Answered: 4, Resolved: 2, Repeated: 1, Provisional: 1, FirstCallResolution: callflow.Ratio{Numerator: 2, Denominator: 3}}},
		},
		Calls: wantCalls,
	}
	r := lcReporter(t, callflow.ReportConfig{})
	// The data ends at 12:20:30 (L2's end); an explicit 12:30 changes
	// nothing.
	for _, asOf := range []time.Time{{}, at(12, 30, 0)} {
		want.AsOf = asOf
		if asOf.IsZero() {
			want.AsOf = at(12, 20, 30)
		}
		rev := slices.Clone(calls)
		slices.Reverse(rev)
		got := r.RepeatCalls(rev, asOf)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("asOf %v: RepeatCalls (-want +got):\n%s", asOf, diff)
		}
	}
	// asOf after every window: nothing is provisional, R8 is repeated.
	got := r.RepeatCalls(calls, at(14, 0, 0))
	if diff := cmp.Diff(callflow.RepeatCounts{Answered: 8, Resolved: 5, Repeated: 2, Unmatchable: 1, FirstCallResolution: callflow.Ratio{Numerator: 5, Denominator: 7}}, got.RepeatCounts); diff != "" {
		t.Errorf("asOf 14:00 (-want +got):\n%s", diff)
	}
}

func TestRepeatCallsFilterAndWindow(t *testing.T) {
	loc := berlin(t)
	at := func(h, m int) time.Time { return time.Date(2026, 3, 3, h, m, 0, 0, loc) }
	const a, b = "+4971110001", "+4971110002"
	hours := &callflow.BusinessHours{Periods: []callflow.OpeningPeriod{{Days: callflow.MondayToFriday, Hours: callflow.ClockRange{From: callflow.Clock(8, 0, 0), To: callflow.Clock(18, 0, 0)}}}}
	calls := []callflow.Call{
		lcAnswered(t, "R1", a, at(10, 0), time.Minute, lcGroup, lcAnna),
		lcAnswered(t, "R2", a, at(10, 20), time.Minute, lcGroup2, lcBen), // not selected, but a repeat of R1
		lcAnswered(t, "R3", b, at(17, 0), time.Minute, lcGroup, lcAnna),
		lcAnswered(t, "R4", b, at(18, 30), time.Minute, lcGroup, lcAnna), // after closing
	}
	asOf := time.Date(2026, 3, 4, 12, 0, 0, 0, loc)
	for _, tc := range []struct {
		name string
		cfg  callflow.ReportConfig
		want map[string]bool // call id → repeated, for the calls counted
	}{
		{"60 minutes", callflow.ReportConfig{}, map[string]bool{"R1": true, "R2": false, "R3": false, "R4": false}},
		{"group filter", callflow.ReportConfig{Filter: callflow.Filter{Groups: []cdr.AccountID{lcGroup}}}, map[string]bool{"R1": true, "R3": false, "R4": false}},
		{"business day, closing at 18:00", callflow.ReportConfig{BusinessHours: hours, Window: callflow.WindowBusinessDay}, map[string]bool{"R1": true, "R2": false, "R3": false, "R4": false}},
		{"business day without hours: midnight", callflow.ReportConfig{Window: callflow.WindowBusinessDay}, map[string]bool{"R1": true, "R2": false, "R3": true, "R4": false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := lcReporter(t, tc.cfg).RepeatCalls(calls, asOf)
			got := map[string]bool{}
			for _, c := range rep.Calls {
				got[c.CallID] = c.Repeated
				if c.Provisional || c.Unmatchable {
					t.Errorf("%s: provisional %v, unmatchable %v", c.CallID, c.Provisional, c.Unmatchable)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("repeated per call (-want +got):\n%s", diff)
			}
		})
	}
}

// The forward steps of one call are one journey: never a repeat.
func TestRepeatCallsForwardIsNoRepeat(t *testing.T) {
	s, err := callflowtest.Load(filepath.Join("testdata", "scenarios", "timeout-forward.scenario"))
	require.NoError(t, err)
	calls, err := s.Interpret()
	require.NoError(t, err)
	require.Len(t, calls, 1)
	require.True(t, calls[0].Journey.Has(callflow.EventForwardedOnTimeout))
	rep := lcReporter(t, callflow.ReportConfig{}).RepeatCalls(calls, calls[0].Journey.End.Add(2*time.Hour))
	want := callflow.RepeatCounts{Answered: 1, Resolved: 1, FirstCallResolution: callflow.Ratio{Numerator: 1, Denominator: 1}}
	if diff := cmp.Diff(want, rep.RepeatCounts); diff != "" {
		t.Errorf("RepeatCalls (-want +got):\n%s", diff)
	}
	// The empty input: no ratio, no panic.
	empty := lcReporter(t, callflow.ReportConfig{}).RepeatCalls(nil, time.Time{})
	if _, ok := empty.FirstCallResolution.Value(); ok || empty.Answered != 0 || len(empty.Calls) != 0 {
		t.Errorf("RepeatCalls(nil) = %+v", empty)
	}
}

func TestRepeatCallsSimulated(t *testing.T) {
	calls, _, r := lcSimulated(t, 22, 7)
	rep := r.RepeatCalls(calls, time.Time{})
	require.NotEmpty(t, rep.Calls)
	if rep.Answered != rep.Resolved+rep.Repeated+rep.Provisional+rep.Unmatchable || rep.Answered != len(rep.Calls) {
		t.Errorf("counts do not add up: %+v", rep.RepeatCounts)
	}
	if rep.Repeated == 0 || rep.Resolved == 0 || rep.Unmatchable == 0 {
		t.Errorf("the simulation should produce repeated, resolved and unmatchable calls: %+v", rep.RepeatCounts)
	}
	sum := callflow.RepeatCounts{}
	for _, a := range rep.Agents {
		sum.Answered += a.Answered
		sum.Resolved += a.Resolved
		sum.Repeated += a.Repeated
	}
	if sum.Answered != rep.Answered || sum.Resolved != rep.Resolved || sum.Repeated != rep.Repeated {
		t.Errorf("agents sum to %+v, total %+v", sum, rep.RepeatCounts)
	}
	byID := map[string]*callflow.Journey{}
	for i := range calls {
		byID[calls[i].Journey.CallID] = &calls[i].Journey
	}
	for _, c := range rep.Calls {
		if c.Unmatchable {
			continue
		}
		// The first inbound call from the number after this one, by brute
		// force.
		var next *callflow.Journey
		for i := range calls {
			j := &calls[i].Journey
			if j.Direction == callflow.Inbound && j.CallerNumber == c.Number && j.Arrival.After(c.At) && (next == nil || j.Arrival.Before(next.Arrival)) {
				next = j
			}
		}
		inW := next != nil && next.Arrival.Before(c.WindowEnd)
		if c.Repeated != inW || (inW && byID[c.NextCallID].Arrival != next.Arrival) {
			t.Errorf("call %s: repeated %v by %s, but the next call from %s is %+v", c.CallID, c.Repeated, c.NextCallID, c.Number, next)
		}
		if c.Provisional != c.WindowEnd.After(rep.AsOf) {
			t.Errorf("call %s: provisional %v with W ending %v, data ends %v", c.CallID, c.Provisional, c.WindowEnd, rep.AsOf)
		}
	}
	t.Logf("%+v", rep.RepeatCounts)

	// Pseudonymised numbers give the same report, numbers aside.
	pseudo := r.RepeatCalls(lcPseudonymise(t, calls), time.Time{})
	for i := range rep.Calls {
		rep.Calls[i].Number = lcPseudonym(t, rep.Calls[i].Number)
	}
	if diff := cmp.Diff(rep, pseudo); diff != "" {
		t.Errorf("RepeatCalls on pseudonymised numbers (-want +got):\n%s", diff)
	}
}
