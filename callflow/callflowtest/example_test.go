package callflowtest_test

import (
	"fmt"

	"github.com/starinsight/starinsight/callflow/callflowtest"
)

// A scenario parsed from a string, interpreted and checked: the way to
// write a check of your own. Run(t, dir) does the same for every file of a
// folder, as subtests. The export needs only the columns the call uses.
func Example() {
	const file = `-- scenario --
name: direct call, caller hangs up while it rings
rules: A1 J3
timezone: Europe/Berlin
Anna's phone rings 20 s, then the caller hangs up.
-- accounts --
id;type;name;login
11;user;Anna Agent;anna
-- export.csv --
"id";"callid";"cdraccountid";"calleraccountid";"calledaccountid";"callercallerid";"starttime";"ringingtime";"linktime";"callresulttime";"callresult";"callresultcausedby"
"1021";"1772442000.102";"11";"0";"11";"071112345678";"02.03.2026 10:00:00";"02.03.2026 10:00:01";"";"02.03.2026 10:00:21";"NOT_CONNECTED";"0"
-- legs --
account=11 answered=false ringstart=2026-03-02T10:00:01+01:00 ring=20s wait=21s
-- journeys --
direction=inbound outcome=lost-while-ringing answered=false wait=21s
`
	s, err := callflowtest.Parse("direct-missed.scenario", []byte(file))
	if err != nil {
		fmt.Println(err)
		return
	}
	calls, err := s.Interpret()
	if err != nil {
		fmt.Println(err)
		return
	}
	if diff := s.Diff(calls); diff != "" {
		fmt.Println(diff)
		return
	}
	fmt.Printf("%s (rules %v): %d call, %d leg, as expected\n", s.Name, s.Rules, len(calls), len(calls[0].Legs))
	// Output:
	// direct call, caller hangs up while it rings (rules [A1 J3]): 1 call, 1 leg, as expected
}
