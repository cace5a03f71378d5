package callflow_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// A group call: Support (200) rings Anna, Ben and Clara at once and Ben
// answers after 12 seconds. STARFACE writes four rows; the SDK yields one
// leg, for Ben, and nobody is missed.
const groupCallExport = `"id";"callid";"callstepid";"cdraccountid";"calleraccountid";"calledaccountid";"callercallerid";"starttime";"ringingtime";"linktime";"callresulttime";"callresult";"answeredelswhere";"answered"
"1201";"c1";"1";"200";"0";"200";"071112345678";"02.03.2026 10:00:00";"02.03.2026 10:00:01";"02.03.2026 10:00:13";"02.03.2026 10:01:43";"CONNECTED";"12";"true"
"1202";"c1";"1";"11";"0";"200";"071112345678";"02.03.2026 10:00:00";"02.03.2026 10:00:01";"";"02.03.2026 10:00:13";"NOT_CONNECTED";"12";"false"
"1203";"c1";"1";"12";"0";"200";"071112345678";"02.03.2026 10:00:00";"02.03.2026 10:00:01";"02.03.2026 10:00:13";"02.03.2026 10:01:43";"CONNECTED";"0";"true"
"1204";"c1";"1";"13";"0";"200";"071112345678";"02.03.2026 10:00:00";"02.03.2026 10:00:01";"";"02.03.2026 10:00:13";"NOT_CONNECTED";"12";"false"
`

func exampleDirectory() *cdr.Directory {
	dir, err := cdr.NewDirectory(
		cdr.Account{ID: 11, Type: cdr.AccountUser, Name: "Anna Agent"},
		cdr.Account{ID: 12, Type: cdr.AccountUser, Name: "Ben Berger"},
		cdr.Account{ID: 13, Type: cdr.AccountUser, Name: "Clara Christ"},
		cdr.Account{ID: 200, Type: cdr.AccountGroup, Name: "Support"},
	)
	if err != nil {
		panic(err)
	}
	return dir
}

func ExampleInterpreter_InterpretAll() {
	in, err := callflow.New(exampleDirectory(), callflow.WithNumberPlan(cdr.GermanPlan("711")))
	if err != nil {
		panic(err)
	}
	var rows []cdr.Entry
	for e, err := range cdr.ReadCSV(strings.NewReader(groupCallExport)) {
		if err != nil {
			panic(err)
		}
		rows = append(rows, e)
	}
	for _, call := range in.InterpretAll(rows) {
		j := call.Journey
		fmt.Printf("journey: %s from %s, path %v, answered by %d via %d after %v, talk %v\n",
			j.Outcome, j.CallerNumber, j.Path, j.AnsweredBy, j.AnsweredVia, j.Wait, j.Talk)
		for _, l := range call.Legs {
			fmt.Printf("leg %d: account %d (%s) via group %d, %s, announcement %v + ring %v + talk %v = %v, agent rang %v\n",
				l.Seq, l.AccountID, l.AccountType, l.GroupID, l.Result, l.Announcement, l.Ring, l.Talk, l.Call, l.AgentRing)
		}
	}
	// Output:
	// journey: answered from +4971112345678, path [200 12], answered by 12 via 200 after 13s, talk 1m30s
	// leg 0: account 12 (user) via group 200, answered, announcement 1s + ring 12s + talk 1m30s = 1m43s, agent rang 12s
}

// Calls interprets a stream, such as a large export, with memory bounded by
// the calls still open.
func ExampleInterpreter_Calls() {
	in, err := callflow.New(exampleDirectory())
	if err != nil {
		panic(err)
	}
	for call, err := range in.Calls(cdr.ReadCSV(strings.NewReader(groupCallExport))) {
		if err != nil {
			fmt.Println("bad row:", err) // names the line and the column
			continue
		}
		fmt.Println(call.Journey.CallID, call.Journey.Outcome, len(call.Legs), "leg(s) from", call.Journey.Rows, "rows")
	}
	// Output:
	// c1 answered 1 leg(s) from 4 rows
}

// An Assembler emits a call once the data has moved on past its grace
// period; time is an input, so incremental exports and tests control it.
func ExampleAssembler() {
	in, err := callflow.New(exampleDirectory())
	if err != nil {
		panic(err)
	}
	a, err := callflow.NewAssembler(in, callflow.WithGrace(5*time.Minute))
	if err != nil {
		panic(err)
	}
	for e, err := range cdr.ReadCSV(strings.NewReader(groupCallExport)) {
		if err != nil {
			panic(err)
		}
		for _, c := range a.Add(e) {
			fmt.Println("complete:", c.Journey.CallID)
		}
	}
	fmt.Println("open:", a.Open())
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for _, c := range a.AdvanceTo(time.Date(2026, 3, 2, 10, 6, 43, 0, berlin)) {
		fmt.Println("complete:", c.Journey.CallID, c.Journey.Outcome)
	}
	fmt.Println("open:", a.Open())
	// Output:
	// open: 1
	// complete: c1 answered
	// open: 0
}
