package callflow_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// A morning on the hotline, Monday 2 March 2026. Support (200) and Sales
// (201) ring their members; callers also dial agents directly.
//
//	c1 10:00  +4971112345678 → Support, Ben answers after 12 s, talks 1m30s
//	c2 10:10  +4971112345678 → Support, Anna answers after 4 s, talks 5 min
//	c3 10:20  +493011111111  → Sales, Anna answers after 7 s, talks 2 min
//	c4 10:30  +4971112345678 → Support, Ben answers after 4 s and forgets
//	          the line: 3 hours (an outlier)
//	c5 10:40  +498922222222  → Support, nobody answers in 40 s, the caller hangs up
//	c6 11:00  withheld       → Clara, who rejects the call after 5 s
//	c7 11:10  +4971112345678 → Anna, answered after 7 s, 4 min
//	c8 11:20  withheld       → Ben, answered after 2 s, 1 min
//	c9 11:30  +493011111111  → Sales, Clara answers after 10 s, talks 3 min
const agentsExport = `"id";"callid";"callstepid";"cdraccountid";"calleraccountid";"calledaccountid";"callercallerid";"starttime";"ringingtime";"linktime";"callresulttime";"callresult";"callresultcausedby";"answeredelswhere";"answered"
"101";"c1";"1";"200";"0";"200";"071112345678";"02.03.2026 10:00:00";"02.03.2026 10:00:01";"02.03.2026 10:00:13";"02.03.2026 10:01:43";"CONNECTED";"12";"12";"true"
"102";"c1";"1";"12";"0";"200";"071112345678";"02.03.2026 10:00:00";"02.03.2026 10:00:01";"02.03.2026 10:00:13";"02.03.2026 10:01:43";"CONNECTED";"12";"0";"true"
"103";"c2";"1";"200";"0";"200";"071112345678";"02.03.2026 10:10:00";"02.03.2026 10:10:01";"02.03.2026 10:10:05";"02.03.2026 10:15:05";"CONNECTED";"11";"11";"true"
"104";"c2";"1";"11";"0";"200";"071112345678";"02.03.2026 10:10:00";"02.03.2026 10:10:01";"02.03.2026 10:10:05";"02.03.2026 10:15:05";"CONNECTED";"11";"0";"true"
"105";"c3";"1";"201";"0";"201";"03011111111";"02.03.2026 10:20:00";"02.03.2026 10:20:01";"02.03.2026 10:20:08";"02.03.2026 10:22:08";"CONNECTED";"11";"11";"true"
"106";"c3";"1";"11";"0";"201";"03011111111";"02.03.2026 10:20:00";"02.03.2026 10:20:01";"02.03.2026 10:20:08";"02.03.2026 10:22:08";"CONNECTED";"11";"0";"true"
"107";"c4";"1";"200";"0";"200";"071112345678";"02.03.2026 10:30:00";"02.03.2026 10:30:01";"02.03.2026 10:30:05";"02.03.2026 13:30:05";"CONNECTED";"12";"12";"true"
"108";"c4";"1";"12";"0";"200";"071112345678";"02.03.2026 10:30:00";"02.03.2026 10:30:01";"02.03.2026 10:30:05";"02.03.2026 13:30:05";"CONNECTED";"12";"0";"true"
"109";"c5";"1";"200";"0";"200";"08922222222";"02.03.2026 10:40:00";"02.03.2026 10:40:01";"";"02.03.2026 10:40:41";"NOT_CONNECTED";"0";"0";"false"
"110";"c5";"1";"11";"0";"200";"08922222222";"02.03.2026 10:40:00";"02.03.2026 10:40:01";"";"02.03.2026 10:40:41";"NOT_CONNECTED";"0";"0";"false"
"111";"c5";"1";"12";"0";"200";"08922222222";"02.03.2026 10:40:00";"02.03.2026 10:40:01";"";"02.03.2026 10:40:41";"NOT_CONNECTED";"0";"0";"false"
"112";"c6";"1";"13";"0";"13";"anonymous";"02.03.2026 11:00:00";"02.03.2026 11:00:01";"";"02.03.2026 11:00:06";"NOT_CONNECTED";"13";"0";"false"
"113";"c7";"1";"11";"0";"11";"071112345678";"02.03.2026 11:10:00";"02.03.2026 11:10:01";"02.03.2026 11:10:08";"02.03.2026 11:14:08";"CONNECTED";"11";"0";"true"
"114";"c8";"1";"12";"0";"12";"anonymous";"02.03.2026 11:20:00";"02.03.2026 11:20:01";"02.03.2026 11:20:03";"02.03.2026 11:21:03";"CONNECTED";"12";"0";"true"
"115";"c9";"1";"201";"0";"201";"03011111111";"02.03.2026 11:30:00";"02.03.2026 11:30:01";"02.03.2026 11:30:11";"02.03.2026 11:33:11";"CONNECTED";"13";"13";"true"
"116";"c9";"1";"13";"0";"201";"03011111111";"02.03.2026 11:30:00";"02.03.2026 11:30:01";"02.03.2026 11:30:11";"02.03.2026 11:33:11";"CONNECTED";"13";"0";"true"
`

// agentExample interprets agentsExport and returns the calls, a Reporter
// that leaves the forgotten line c4 out of the agent figures, and the
// accounts' names.
func agentExample() ([]callflow.Call, *callflow.Reporter, func(cdr.AccountID) string) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	dir, err := cdr.NewDirectory(
		cdr.Account{ID: 11, Type: cdr.AccountUser, Name: "Anna"},
		cdr.Account{ID: 12, Type: cdr.AccountUser, Name: "Ben"},
		cdr.Account{ID: 13, Type: cdr.AccountUser, Name: "Clara"},
		cdr.Account{ID: 200, Type: cdr.AccountGroup, Name: "Support"},
		cdr.Account{ID: 201, Type: cdr.AccountGroup, Name: "Sales"},
	)
	if err != nil {
		panic(err)
	}
	in, err := callflow.New(dir, callflow.WithNumberPlan(cdr.GermanPlan("711")))
	if err != nil {
		panic(err)
	}
	var rows []cdr.Entry
	for e, err := range cdr.ReadCSV(strings.NewReader(agentsExport), cdr.WithLocation(berlin)) {
		if err != nil {
			panic(err)
		}
		rows = append(rows, e)
	}
	r, err := callflow.NewReporter(callflow.ReportConfig{Location: berlin, ExcludeCalls: []string{"c4"}})
	if err != nil {
		panic(err)
	}
	name := func(id cdr.AccountID) string {
		if id == 0 {
			return "(nobody)"
		}
		return dir.Lookup(id).Name
	}
	return in.InterpretAll(rows), r, name
}

// Who handled the most calls and how fast did they react? Ben's forgotten
// line c4 is left out as an outlier: with it he would share first place
// with Anna.
func ExampleLeaderboard() {
	calls, r, name := agentExample()
	for _, k := range callflow.Leaderboard(r.Agents(calls)) {
		fmt.Printf("%d. %-5s %d calls, reacted in %v on average, talked %v on average\n",
			k.Rank, name(k.AgentID), k.Handled, k.Reaction.Mean, k.Talk.Mean)
	}
	// Output:
	// 1. Anna  3 calls, reacted in 6s on average, talked 3m40s on average
	// 2. Ben   2 calls, reacted in 7s on average, talked 1m15s on average
	// 3. Clara 1 calls, reacted in 10s on average, talked 3m0s on average
}

// How did each agent do, and what does leaving out an outlier change?
// Every answered call counts, also outside business hours; Rejected counts
// the calls an agent explicitly rejected.
func ExampleReporter_Agents() {
	calls, r, name := agentExample()
	for _, k := range r.Agents(calls) {
		fmt.Printf("%-5s handled %d, reaction mean %v max %v, talk %v, rejected %d\n",
			name(k.AgentID), k.Handled, k.Reaction.Mean, k.Reaction.Max, k.Talk.Total, k.Rejected)
		if w := k.WithExcluded; w != nil {
			fmt.Printf("      %d outlier left out; with it: handled %d, reaction mean %v, talk %v\n",
				k.Excluded, w.Handled, w.Reaction.Mean, w.Talk.Total)
		}
	}
	// Output:
	// Anna  handled 3, reaction mean 6s max 7s, talk 11m0s, rejected 0
	// Ben   handled 2, reaction mean 7s max 12s, talk 2m30s, rejected 0
	//       1 outlier left out; with it: handled 3, reaction mean 6s, talk 3h2m30s
	// Clara handled 1, reaction mean 10s max 10s, talk 3m0s, rejected 1
}

// What is each agent's ring time within a group? Anna works in both
// groups and has a row in each.
func ExampleReporter_AgentsInGroups() {
	calls, r, name := agentExample()
	for _, k := range r.AgentsInGroups(calls) {
		fmt.Printf("%-7s %-5s handled %d, reaction mean %v, caller waited %v ringing on average\n",
			name(k.GroupID), name(k.AgentID), k.Handled, k.Reaction.Mean, k.Ring.Mean)
	}
	// Output:
	// Support Anna  handled 1, reaction mean 4s, caller waited 4s ringing on average
	// Support Ben   handled 1, reaction mean 12s, caller waited 12s ringing on average
	// Sales   Anna  handled 1, reaction mean 7s, caller waited 7s ringing on average
	// Sales   Clara handled 1, reaction mean 10s, caller waited 10s ringing on average
}

// Which agent took which group's calls? The edges of a flow diagram from
// groups to agents, with the calls nobody answered. Every call counts here,
// the forgotten line too.
func ExampleReporter_GroupAgentFlow() {
	calls, r, name := agentExample()
	for _, f := range r.GroupAgentFlow(calls) {
		fmt.Printf("%-7s → %-8s %d calls, talk %v\n", name(f.GroupID), name(f.AgentID), f.Calls, f.Talk)
	}
	// Output:
	// Support → Ben      2 calls, talk 3h1m30s
	// Support → (nobody) 1 calls, talk 0s
	// Support → Anna     1 calls, talk 5m0s
	// Sales   → Anna     1 calls, talk 2m0s
	// Sales   → Clara    1 calls, talk 3m0s
}

// Best buddies: which callers keep reaching the same agent, and how long
// do they talk? A withheld number pairs with nobody and is counted apart.
func ExampleReporter_BestBuddies() {
	calls, r, name := agentExample()
	b := r.BestBuddies(calls, 3)
	for _, p := range b.Pairs {
		fmt.Printf("%s and %-5s %d calls, talk %v\n", p.Number, name(p.AgentID), p.Calls, p.Talk)
	}
	fmt.Printf("top 3 of %d pairs; %d answered call(s) from withheld numbers, talk %v\n", b.TotalPairs, b.Withheld, b.WithheldTalk)
	// Output:
	// +4971112345678 and Ben   2 calls, talk 3h1m30s
	// +4971112345678 and Anna  2 calls, talk 9m0s
	// +493011111111 and Clara 1 calls, talk 3m0s
	// top 3 of 4 pairs; 1 answered call(s) from withheld numbers, talk 1m0s
}
