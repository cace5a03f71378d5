package callflow_test

import (
	"fmt"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// partiesExampleCall is an inbound journey from a number (an outbound one
// to it when outbound is set), arriving on 2 March 2026 at hh:mm in Berlin.
func partiesExampleCall(number string, hh, mm int, outbound, answered bool, wait, talk time.Duration) callflow.Call {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	n, err := cdr.ParsePhoneNumber(number)
	if err != nil {
		panic(err)
	}
	arrival := time.Date(2026, 3, 2, hh, mm, 0, 0, loc)
	j := callflow.Journey{CallID: fmt.Sprintf("%s@%02d:%02d", number, hh, mm), Direction: callflow.Inbound, CallerNumber: n,
		Arrival: arrival, End: arrival.Add(wait + talk), Answered: answered, Wait: wait, Talk: talk}
	if outbound {
		j.Direction, j.CallerNumber, j.CalledNumber, j.CallerAccountID = callflow.Outbound, cdr.PhoneNumber{}, n, 11
	}
	return callflow.Call{Journey: j}
}

// exampleReporter returns a Reporter in Europe/Berlin with cfg.
func exampleReporter(cfg callflow.ReportConfig) *callflow.Reporter {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	cfg.Location = loc
	r, err := callflow.NewReporter(cfg)
	if err != nil {
		panic(err)
	}
	return r
}

// Did this caller ever reach the hotline, how often did they call, how long
// did it ring for them? One row per external number; withheld callers
// share one row.
func ExampleReporter_Parties() {
	s := time.Second
	calls := []callflow.Call{
		partiesExampleCall("+4971112345", 9, 0, false, false, 45*s, 0), // gave up after 45 s
		partiesExampleCall("+4971112345", 9, 10, false, false, 60*s, 0),
		partiesExampleCall("+4971112345", 9, 30, false, true, 15*s, 4*time.Minute),
		partiesExampleCall("+4917055555", 10, 0, false, false, 90*s, 0),
		partiesExampleCall("withheld", 11, 0, false, true, 5*s, time.Minute),
		partiesExampleCall("+4917055555", 14, 0, true, true, 10*s, 3*time.Minute), // we called back
	}
	r := exampleReporter(callflow.ReportConfig{})
	for _, p := range r.Parties(calls) {
		fmt.Printf("%-12s calls %d, answered %d, attempts %d, ever reached us: %-5v rang %v in all (avg %v), talk %v, called back %d, last contact %s\n",
			p.Number, p.Calls, p.Answered, p.Attempts, p.EverAnswered, p.Wait, p.AvgWait, p.Talk, p.Outbound, p.LastContact.Format("15:04:05"))
	}
	// Output:
	// +4971112345  calls 3, answered 1, attempts 2, ever reached us: true  rang 2m0s in all (avg 40s), talk 4m0s, called back 0, last contact 09:34:15
	// +4917055555  calls 1, answered 0, attempts 1, ever reached us: false rang 1m30s in all (avg 1m30s), talk 0s, called back 1, last contact 14:03:10
	// withheld     calls 1, answered 1, attempts 0, ever reached us: true  rang 5s in all (avg 5s), talk 1m0s, called back 0, last contact 11:01:05
}

// Which callers take up excessive talk time? The numbers here are
// pseudonyms (keyed hashes, DOMAIN.md §4): the report groups them exactly
// as it would the clear numbers.
func ExampleReporter_ExcessiveTalkers() {
	calls := []callflow.Call{
		partiesExampleCall("~9f2c41", 9, 0, false, true, 5*time.Second, 50*time.Minute),
		partiesExampleCall("~9f2c41", 13, 0, false, true, 8*time.Second, 25*time.Minute),
		partiesExampleCall("~9f2c41", 16, 0, true, true, 4*time.Second, 10*time.Minute),
		partiesExampleCall("~07be3a", 10, 0, false, true, 6*time.Second, 55*time.Minute),
		partiesExampleCall("~d41d8c", 11, 0, false, true, 3*time.Second, 2*time.Minute),
	}
	r := exampleReporter(callflow.ReportConfig{ExcessiveTalk: 45 * time.Minute})
	for _, p := range r.ExcessiveTalkers(calls) {
		fmt.Printf("%s: %v talk in %d calls and %d calls back\n", p.Number, p.TotalTalk, p.Calls, p.Outbound)
	}
	// Output:
	// ~9f2c41: 1h25m0s talk in 2 calls and 1 calls back
	// ~07be3a: 55m0s talk in 1 calls and 0 calls back
}

// When do the calls come, and when do they go unanswered? Calls per weekday and
// hour (Monday first) in the PBX's zone.
func ExampleReporter_HeatMap() {
	s := time.Second
	calls := []callflow.Call{ // Monday, 2 March 2026
		partiesExampleCall("+4971112345", 9, 5, false, true, 10*s, time.Minute),
		partiesExampleCall("+4971112346", 9, 20, false, false, 40*s, 0),
		partiesExampleCall("+4971112347", 9, 50, false, true, 12*s, time.Minute),
		partiesExampleCall("+4971112348", 14, 10, false, true, 8*s, time.Minute),
	}
	h := exampleReporter(callflow.ReportConfig{}).HeatMap(calls)
	for hour := 8; hour <= 15; hour++ {
		fmt.Printf("Mon %02d:00  calls %d  unanswered %d\n", hour, h.Calls[0][hour], h.Unanswered[0][hour])
	}
	fmt.Println("Tuesday 09:00:", h.At(time.Tuesday, 9))
	// Output:
	// Mon 08:00  calls 0  unanswered 0
	// Mon 09:00  calls 3  unanswered 1
	// Mon 10:00  calls 0  unanswered 0
	// Mon 11:00  calls 0  unanswered 0
	// Mon 12:00  calls 0  unanswered 0
	// Mon 13:00  calls 0  unanswered 0
	// Mon 14:00  calls 1  unanswered 0
	// Mon 15:00  calls 0  unanswered 0
	// Tuesday 09:00: 0
}

// How many calls came per day of the month, and how many were lost? Days
// without calls are listed too.
func ExampleReporter_CallsPerDay() {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	calls := []callflow.Call{
		partiesExampleCall("+4971112345", 9, 5, false, true, 10*time.Second, time.Minute),
		partiesExampleCall("+4971112346", 9, 20, false, false, 40*time.Second, 0),
	}
	later := partiesExampleCall("+4971112345", 10, 0, false, true, 5*time.Second, time.Minute)
	later.Journey.Arrival = later.Journey.Arrival.AddDate(0, 0, 2) // Wednesday
	calls = append(calls, later)
	r := exampleReporter(callflow.ReportConfig{Filter: callflow.Filter{
		From: time.Date(2026, 3, 1, 0, 0, 0, 0, loc), To: time.Date(2026, 3, 6, 0, 0, 0, 0, loc)}})
	for _, d := range r.CallsPerDay(calls) {
		fmt.Printf("%s  calls %d  answered %d  unanswered %d\n", d.Date, d.Calls, d.Answered, d.Unanswered)
	}
	// Output:
	// 2026-03-01  calls 0  answered 0  unanswered 0
	// 2026-03-02  calls 2  answered 1  unanswered 1
	// 2026-03-03  calls 0  answered 0  unanswered 0
	// 2026-03-04  calls 1  answered 1  unanswered 0
	// 2026-03-05  calls 0  answered 0  unanswered 0
}

// Today's figures for the live view: average talk, average ring, missed
// calls and what each agent did, updated call by call as the Assembler
// emits them. A call the Assembler emits again (FlagReopened) replaces its
// first version.
func ExampleReporter_NewToday() {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	at := func(h, m, s int) time.Time { return time.Date(2026, 3, 2, h, m, s, 0, loc) }
	answered := func(id string, agent cdr.AccountID, arrival time.Time, ring, talk time.Duration) callflow.Call {
		return callflow.Call{
			Journey: callflow.Journey{CallID: id, Direction: callflow.Inbound, Arrival: arrival, Answered: true, AnsweredBy: agent},
			Legs: []callflow.Leg{{CallID: id, AccountID: agent, AccountType: cdr.AccountUser, Incoming: true, Answered: true,
				Arrival: arrival, Ring: ring, AgentRing: ring, Talk: talk, End: arrival.Add(ring + talk)}},
		}
	}
	today := exampleReporter(callflow.ReportConfig{}).NewToday()
	today.Add(answered("c1", 11, at(9, 0, 0), 6*time.Second, 3*time.Minute))
	today.Add(answered("c2", 12, at(9, 5, 0), 10*time.Second, 5*time.Minute))
	lost := callflow.Call{Journey: callflow.Journey{CallID: "c3", Direction: callflow.Inbound, Arrival: at(9, 30, 0)}}
	today.Add(lost)
	// c3 first looked lost; its late rows show Ben answered it after all.
	c3 := answered("c3", 12, at(9, 30, 0), 14*time.Second, time.Minute)
	c3.Journey.Flags |= callflow.FlagReopened
	today.Add(c3)

	f := today.Figures(at(10, 0, 0))
	fmt.Printf("%s: %d calls, %d answered, %d missed; avg talk %v, avg ring %v\n", f.Date, f.Inbound, f.Answered, f.Missed, f.AvgTalk, f.AvgRing)
	for _, a := range f.Agents {
		fmt.Printf("agent %d: %d handled, talk %v, avg ring %v, last call ended %s\n", a.AgentID, a.Handled, a.Talk, a.AvgRing, a.LastCallEnd.Format("15:04:05"))
	}
	fmt.Println("tomorrow:", today.Figures(at(10, 0, 0).AddDate(0, 0, 1)).Calls, "calls so far")
	// Output:
	// 2026-03-02: 3 calls, 3 answered, 0 missed; avg talk 3m0s, avg ring 10s
	// agent 11: 1 handled, talk 3m0s, avg ring 6s, last call ended 09:03:06
	// agent 12: 2 handled, talk 6m0s, avg ring 12s, last call ended 09:31:14
	// tomorrow: 0 calls so far
}
