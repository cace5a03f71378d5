package callflow_test

import (
	"fmt"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// lostExampleDay is a Tuesday at a hotline: group Support (200), agents
// Anna (11) and Ben (12). In real use the calls come from
// Interpreter.InterpretAll; here they are written out to keep the example
// short.
func lostExampleDay() []callflow.Call {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	at := func(h, m, s int) time.Time { return time.Date(2026, 3, 3, h, m, s, 0, loc) }
	num := func(s string) cdr.PhoneNumber {
		n, err := cdr.ParsePhoneNumber(s)
		if err != nil {
			panic(err)
		}
		return n
	}
	lost := func(id, from string, t time.Time, wait time.Duration, d callflow.Disposition) callflow.Call {
		return callflow.Call{Journey: callflow.Journey{
			CallID: id, Direction: callflow.Inbound, CallerNumber: num(from), DialledAccountID: 200,
			Arrival: t, End: t.Add(wait), Path: []cdr.AccountID{200}, Wait: wait, Outcome: callflow.OutcomeLostWhileRinging,
			Queues: []callflow.QueueVisit{{GroupID: 200, Type: cdr.AccountGroup, Arrival: t, Wait: wait, Disposition: d}},
		}}
	}
	answered := func(id, from string, t time.Time, talk time.Duration, agent cdr.AccountID) callflow.Call {
		return callflow.Call{Journey: callflow.Journey{
			CallID: id, Direction: callflow.Inbound, CallerNumber: num(from), DialledAccountID: 200,
			Arrival: t, End: t.Add(10*time.Second + talk), Path: []cdr.AccountID{200, agent},
			Answered: true, AnsweredBy: agent, AnsweredVia: 200, Wait: 10 * time.Second, Talk: talk, Outcome: callflow.OutcomeAnswered,
			Queues: []callflow.QueueVisit{{GroupID: 200, Type: cdr.AccountGroup, Arrival: t, Wait: 10 * time.Second, AgentID: agent, Disposition: callflow.DispositionAnswered}},
		}}
	}
	callback := func(id, to string, t time.Time, agent cdr.AccountID) callflow.Call {
		return callflow.Call{Journey: callflow.Journey{
			CallID: id, Direction: callflow.Outbound, CallerAccountID: agent, CalledNumber: num(to),
			Arrival: t, End: t.Add(3 * time.Minute), Path: []cdr.AccountID{agent},
			Answered: true, Outcome: callflow.OutcomeAnswered,
		}}
	}
	const ringing, announcement, noAgent = callflow.DispositionLostWhileRinging, callflow.DispositionLostInAnnouncement, callflow.DispositionNoAgent
	return []callflow.Call{
		lost("c1", "+497111000007", at(7, 30, 0), 0, noAgent), // before opening; nobody calls back
		lost("c2", "+497111000001", at(9, 0, 0), 20*time.Second, announcement),
		lost("c3", "+497111000001", at(9, 10, 0), 90*time.Second, ringing), // tries again, then gives up
		lost("c4", "+497111000002", at(10, 0, 0), 45*time.Second, ringing),
		callback("c5", "+497111000002", at(10, 12, 0), 11),
		lost("c6", "+497111000003", at(11, 0, 0), 30*time.Second, ringing),
		answered("c7", "+497111000003", at(11, 20, 0), 4*time.Minute, 12), // calls again and gets through
		lost("c8", "withheld", at(11, 30, 0), 15*time.Second, ringing),
		lost("c9", "+497111000005", at(13, 0, 0), time.Minute, ringing),
		callback("c10", "+497111000005", at(13, 31, 0), 12),
		lost("c11", "+497111000006", at(14, 0, 0), 30*time.Second, ringing),
		callback("c12", "+497111000006", at(14, 5, 30), 11),
		lost("c13", "+497111000004", at(16, 50, 0), 40*time.Second, ringing), // the data ends at 17:00
	}
}

func lostExampleReporter() (*callflow.Reporter, time.Time) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	r, err := callflow.NewReporter(callflow.ReportConfig{
		Location: loc,
		BusinessHours: &callflow.BusinessHours{Periods: []callflow.OpeningPeriod{
			{Days: callflow.MondayToFriday, Hours: callflow.ClockRange{From: callflow.Clock(8, 0, 0), To: callflow.Clock(18, 0, 0)}},
		}},
		Window: callflow.WindowHour,
	})
	if err != nil {
		panic(err)
	}
	return r, time.Date(2026, 3, 3, 17, 0, 0, 0, loc)
}

// Which calls to the groups were lost, and how: during the announcement or
// while ringing?
func ExampleReporter_LostCalls() {
	r, _ := lostExampleReporter()
	lost := r.LostCalls(lostExampleDay())
	s := callflow.LostCallSummary(lost)
	fmt.Printf("%d lost calls in business hours, %d outside\n", s.Lost, s.OutOfHours)
	for _, reason := range s.Reasons {
		fmt.Printf("%-22s %d in hours, %d outside\n", reason.Reason, reason.Lost, reason.OutOfHours)
	}
	// Output:
	// 8 lost calls in business hours, 1 outside
	// lost-in-announcement   1 in hours, 0 outside
	// lost-while-ringing     7 in hours, 0 outside
	// no-agent               0 in hours, 1 outside
}

// Which callers reached nobody, and how many attempts did they make?
func ExampleReporter_LostCallers() {
	r, asOf := lostExampleReporter()
	for _, lc := range r.LostCallers(lostExampleDay(), asOf) {
		if lc.Outcome.Recovered() {
			continue
		}
		fmt.Printf("%s: %s after %d attempt(s)\n", lc.Number, lc.Outcome, len(lc.Attempts))
		for _, a := range lc.Attempts {
			fmt.Printf("  %s waited %v at %d: %s\n", a.Start.Format("15:04"), a.Wait, a.CalledAccountID, a.Reason)
		}
	}
	// Output:
	// +497111000007: lost after 1 attempt(s)
	//   07:30 waited 0s at 200: no-agent
	// +497111000001: lost after 2 attempt(s)
	//   09:00 waited 20s at 200: lost-in-announcement
	//   09:10 waited 1m30s at 200: lost-while-ringing
	// withheld: unrecoverable after 1 attempt(s)
	//   11:30 waited 15s at 200: lost-while-ringing
	// +497111000004: pending after 1 attempt(s)
	//   16:50 waited 40s at 200: lost-while-ringing
}

// How fast were lost callers called back?
func ExampleLostCallerSummary() {
	r, asOf := lostExampleReporter()
	eps := r.LostCallers(lostExampleDay(), asOf)
	for _, lc := range eps {
		if lc.Outcome == callflow.LostCallerRecoveredByCallback {
			fmt.Printf("%s called back by %d after %v\n", lc.Number, lc.AgentID, lc.CallbackLatency)
		}
	}
	s := callflow.LostCallerSummary(eps).InHours
	fmt.Printf("in business hours: %d callers, %d called back, %d called again, %d lost, %d pending, %d withheld\n",
		s.Episodes, s.RecoveredByCallback, s.RecoveredByCaller, s.Lost, s.Pending, s.Unrecoverable)
	fmt.Printf("recovered: %v; callback latency mean %v, median %v\n", s.RecoveryRate, s.CallbackLatency.Mean, s.CallbackLatency.Median)
	fmt.Printf("lost callers gave up after %.1f attempts on average\n", s.GaveUpAfter.Mean)
	// Output:
	// +497111000002 called back by 11 after 11m15s
	// +497111000005 called back by 12 after 30m0s
	// +497111000006 called back by 11 after 5m0s
	// in business hours: 7 callers, 3 called back, 1 called again, 1 lost, 1 pending, 1 withheld
	// recovered: 80.0%; callback latency mean 15m25s, median 11m15s
	// lost callers gave up after 2.0 attempts on average
}

// First-call resolution: how many answered callers did not have to call
// again within the hour?
func ExampleReporter_RepeatCalls() {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	at := func(h, m int) time.Time { return time.Date(2026, 3, 3, h, m, 0, 0, loc) }
	answered := func(id, from string, t time.Time, agent cdr.AccountID) callflow.Call {
		n, err := cdr.ParsePhoneNumber(from)
		if err != nil {
			panic(err)
		}
		return callflow.Call{Journey: callflow.Journey{
			CallID: id, Direction: callflow.Inbound, CallerNumber: n, DialledAccountID: 200,
			Arrival: t, End: t.Add(5 * time.Minute), Path: []cdr.AccountID{200, agent},
			Answered: true, AnsweredBy: agent, AnsweredVia: 200, Outcome: callflow.OutcomeAnswered,
		}}
	}
	calls := []callflow.Call{
		answered("c1", "+497111000001", at(9, 0), 11),
		answered("c2", "+497111000001", at(9, 30), 12), // the same caller again: c1 did not solve it
		answered("c3", "+497111000002", at(10, 0), 11),
		answered("c4", "+497111000003", at(11, 0), 12),
		answered("c5", "+497111000004", at(16, 40), 12), // within the last hour of data
	}
	r, err := callflow.NewReporter(callflow.ReportConfig{Location: loc})
	if err != nil {
		panic(err)
	}
	rep := r.RepeatCalls(calls, at(17, 0))
	fmt.Printf("answered %d: resolved %d, repeated %d, provisional %d\n", rep.Answered, rep.Resolved, rep.Repeated, rep.Provisional)
	fmt.Println("first-call resolution:", rep.FirstCallResolution)
	for _, a := range rep.Agents {
		fmt.Printf("agent %d: %v\n", a.AgentID, a.FirstCallResolution)
	}
	for _, c := range rep.Calls {
		if c.Repeated {
			fmt.Printf("%s from %s: called again %v later (%s)\n", c.CallID, c.Number, c.Gap, c.NextCallID)
		}
	}
	// Output:
	// answered 5: resolved 3, repeated 1, provisional 1
	// first-call resolution: 75.0%
	// agent 11: 50.0%
	// agent 12: 100.0%
	// c1 from +497111000001: called again 25m0s later (c2)
}
