package callflow_test

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/callflow/callflowtest"
	"github.com/starinsight/starinsight/cdr"
)

// Group comparison: how many calls did each group get, how many were
// answered or missed, and what were the answer rate and the service level
// (answered within 20 s)?
func ExampleReporter_Groups() {
	calls, _, name := agentExample()
	r := exampleReporter(callflow.ReportConfig{})
	for _, k := range r.Groups(calls, callflow.IntervalAll) {
		fmt.Printf("%-8s offered %d answered %d missed %d  answer rate %v  service level %v (%d of %d)  ASA %v\n",
			name(k.GroupID), k.Offered, k.Answered, k.Missed, k.AnswerRate, k.ServiceLevel,
			k.ServiceLevel.Numerator, k.ServiceLevel.Denominator, k.ASA.Round(100*time.Millisecond))
	}
	// Output:
	// Support  offered 4 answered 3 missed 1  answer rate 75.0%  service level 75.0% (3 of 4)  ASA 7.7s
	// Sales    offered 2 answered 2 missed 0  answer rate 100.0%  service level 100.0% (2 of 2)  ASA 9.5s
}

// Service level over time: the Support group per hour. An hour without
// calls has no service level ("n/a"), never 100 %.
func ExampleReporter_Groups_serviceLevelOverTime() {
	calls, _, _ := agentExample()
	r := exampleReporter(callflow.ReportConfig{Filter: callflow.Filter{Groups: []cdr.AccountID{200}}})
	for _, k := range r.Groups(calls, callflow.IntervalHour) {
		if k.GroupID != 200 {
			continue
		}
		fmt.Printf("%s  offered %d  service level %v\n", k.Start.Format("15:04"), k.Offered, k.ServiceLevel)
	}
	// Output:
	// 10:00  offered 4  service level 75.0%
	// 11:00  offered 0  service level n/a
	// 12:00  offered 0  service level n/a
	// 13:00  offered 0  service level n/a
}

// Ring and talk detail: average, median and maximum ring time per group,
// the distribution in buckets, and the slowest and fastest group.
func ExampleReporter_Groups_ringDetail() {
	calls, _, name := agentExample()
	r := exampleReporter(callflow.ReportConfig{RingBuckets: []time.Duration{5 * time.Second, 10 * time.Second, 30 * time.Second}})
	kpis := r.Groups(calls, callflow.IntervalAll)
	for _, k := range kpis {
		fmt.Printf("%-8s ring avg %v median %v max %v  talk avg %v max %v\n", name(k.GroupID),
			k.Ring.Mean, k.Ring.Median, k.Ring.Max, k.Talk.Mean, k.Talk.Max)
		for _, b := range k.Ring.Buckets {
			upTo := "longer"
			if b.UpTo > 0 {
				upTo = "≤ " + b.UpTo.String()
			}
			fmt.Printf("  %-8s %d\n", upTo, b.Count)
		}
	}
	if slow, fast, ok := callflow.SlowestFastest(kpis); ok {
		fmt.Printf("slowest to answer: %s (ASA %v), fastest: %s (ASA %v)\n", name(slow.GroupID), slow.ASA, name(fast.GroupID), fast.ASA.Round(100*time.Millisecond))
	}
	// Output:
	// Support  ring avg 15s median 8s max 40s  talk avg 1h2m10s max 3h0m0s
	//   ≤ 5s     2
	//   ≤ 10s    0
	//   ≤ 30s    1
	//   longer   1
	// Sales    ring avg 8.5s median 8.5s max 10s  talk avg 2m30s max 3m0s
	//   ≤ 5s     0
	//   ≤ 10s    2
	//   ≤ 30s    0
	//   longer   0
	// slowest to answer: Sales (ASA 9.5s), fastest: Support (ASA 7.7s)
}

// Waiting in groups and lost calls on groups: how much of the wait was the
// announcement and how much ringing, and were calls lost during the
// announcement or while ringing? Which calls reached voicemail, which were
// forwarded on timeout or on busy?
func ExampleReporter_Groups_waiting() {
	calls := scenarioExample("iqueue-answered", "iqueue-hangup-announcement", "iqueue-hangup-waiting",
		"iqueue-timed-out", "timeout-forward-to-group", "group-busy-forward", "group-unanswered")
	r := exampleReporter(callflow.ReportConfig{})
	for _, k := range r.Groups(calls, callflow.IntervalAll) {
		share, _ := k.AnnouncementShare()
		fmt.Printf("%d %-6s offered %d: answered %d, lost in announcement %d, lost while ringing %d, forwarded on timeout %d, on busy %d, voicemail %d, timed out %d; announcement %v (%.0f %%), ringing %v\n",
			k.GroupID, k.Type, k.Offered, k.Answered, k.LostInAnnouncement, k.LostWhileRinging, k.ForwardedOnTimeout, k.ForwardedOnBusy,
			k.Voicemail, k.TimedOut, k.Announcement, 100*share, k.RingTotal)
	}
	// Output:
	// 200 group  offered 3: answered 0, lost in announcement 0, lost while ringing 1, forwarded on timeout 1, on busy 1, voicemail 0, timed out 0; announcement 2s (4 %), ringing 50s
	// 201 group  offered 1: answered 1, lost in announcement 0, lost while ringing 0, forwarded on timeout 0, on busy 0, voicemail 0, timed out 0; announcement 1s (11 %), ringing 8s
	// 300 iqueue offered 5: answered 2, lost in announcement 1, lost while ringing 1, forwarded on timeout 0, on busy 0, voicemail 0, timed out 1; announcement 39s (19 %), ringing 2m45s
}

// Internal vs external, and the service level per customer: a filter
// selects the calls every report counts.
func ExampleFilter() {
	calls := scenarioExample("internal-call", "internal-unanswered", "call-to-user-answered", "outgoing-external", "group-unanswered")
	internal := exampleReporter(callflow.ReportConfig{Filter: callflow.Filter{Range: callflow.RangeInternal}})
	external := exampleReporter(callflow.ReportConfig{Filter: callflow.Filter{Range: callflow.RangeExternal}})
	count := func(r *callflow.Reporter) (n int) {
		for i := range calls {
			if r.Selected(&calls[i].Journey) {
				n++
			}
		}
		return n
	}
	fmt.Printf("internal calls %d, external calls %d\n", count(internal), count(external))

	calls, _, _ = agentExample()
	customer, _ := cdr.ParsePhoneNumber("+4971112345678")
	r := exampleReporter(callflow.ReportConfig{Filter: callflow.Filter{Callers: []cdr.PhoneNumber{customer}}})
	for _, k := range r.Groups(calls, callflow.IntervalAll) {
		fmt.Printf("customer %v at group %d: service level %v (%d of %d)\n", customer, k.GroupID, k.ServiceLevel, k.ServiceLevel.Numerator, k.ServiceLevel.Denominator)
	}
	// Output:
	// internal calls 3, external calls 3
	// customer +4971112345678 at group 200: service level 100.0% (3 of 3)
}

// scenarioExample interprets recorded scenarios of the corpus.
func scenarioExample(names ...string) []callflow.Call {
	var calls []callflow.Call
	for _, n := range names {
		s, err := callflowtest.Load(filepath.Join("testdata", "scenarios", n+".scenario"))
		if err != nil {
			panic(err)
		}
		cs, err := s.Interpret()
		if err != nil {
			panic(err)
		}
		calls = append(calls, cs...)
	}
	return calls
}
