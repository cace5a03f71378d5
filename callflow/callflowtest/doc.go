// Package callflowtest runs recorded call-flow scenarios against callflow:
// the raw STARFACE CSV export of a call, the PBX's accounts, and the legs and
// journeys the interpretation must yield, in one human-editable file.
//
// Integrators use it to pin how starinsight reads their own PBX set-up
// (see Testing your own PBX set-up below); the project uses it for the
// scenarios in callflow/testdata/scenarios that pin every rule of
// docs/interpretation.md.
//
// # Testing your own PBX set-up
//
// Record the calls your set-up makes (IVR, iQueues, forwards) as scenario
// files and run them in your own tests:
//
//  1. Export the call list from the PBX and cut out the header line and
//     every row of one call (same callid), byte for byte. The rows hold
//     names and numbers: pseudonymise them (examples/pseudonymise in the
//     repository) before the file leaves your company.
//  2. Write the accounts the rows name, each with its type as it is today.
//  3. Write what you expect in -- legs -- and -- journeys --, from the
//     rules of docs/interpretation.md; or leave both empty, run with
//     -update, and check every line it writes.
//
// Put the files in a folder of your package and run them with go test:
//
//	func TestMyPBX(t *testing.T) {
//		callflowtest.Run(t, "testdata/scenarios")
//	}
//
// Run passes its options to [callflow.New] after the scenario's number
// plan, so a test can try a changed assumption ([callflow.WithRules]) on
// the same files. For checks of your own, [Parse] or [Load] a file, call
// [Scenario.Interpret] and compare with [Scenario.Diff]. The walk-through,
// step by step, is callflow/testdata/scenarios/README.md in the repository.
//
// # File format
//
// A *.scenario file is made of sections, each starting with a line
// "-- name --" (as in golang.org/x/tools/txtar):
//
//	-- scenario --
//	name: group call answered by one member while two others ring
//	rules: A3 L2 L3
//	timezone: Europe/Berlin
//	plan: 49 711          # country and area code (optional; default 49, no area)
//	Free text description lines.
//	-- accounts --
//	id;type;name;login
//	200;group;Support;
//	11;user;Anna Agent;anna
//	-- export.csv --
//	"id";"callid";...
//	-- legs --
//	account=11 group=200 answered=true ring=12s talk=1m30s
//	-- journeys --
//	outcome=answered answeredby=11 path=200,11 wait=12s events=
//
// scenario: the keys name (default: the file name), rules (the rule ids of
// docs/interpretation.md the file pins), timezone (an IANA zone, default
// Europe/Berlin: the zone of the export's local times and of the expected
// times) and plan (country and optional area code for normalising numbers,
// default 49 without an area code), each at most once, a '#' after white
// space starting a comment; every line after them is the description.
//
// accounts: optional; CSV read by cdr.ReadAccountsCSV (header
// id;type;name;login;samaccountname;site;iqueuesize;maxwait, only id and type
// required). An id missing here becomes a placeholder account.
//
// export.csv: required; the rows exactly as the STARFACE export writes them,
// header first, read by cdr.ReadCSV in the scenario's zone. Any CSV error
// fails the scenario.
//
// legs and journeys: required (write them empty to have -update fill them).
// One expected record per line, key=value pairs separated by spaces; a value
// with a space, a quote, a backslash or '#' is written in Go quoted syntax
// (calledcid="Anna Agent (2011)"). Blank lines and lines starting with '#'
// are ignored. Only the keys a record names are compared, but the number of
// records must match: legs in the order callflow returns them (calls by
// arrival, then call id; legs by Seq), journeys one per call in the same
// order. The keys and the text form of their values are documented on
// LegFields and JourneyFields; values are checked when the file is parsed
// and normalised, so ring=90s matches 1m30s and a time written in another
// offset matches the same instant.
//
// # The -update flag
//
// Importing this package registers the test flag -update. With it, Run
// rewrites the -- legs -- and -- journeys -- sections of every failing
// scenario with what callflow returned, keeping the keys the file already
// used (DefaultLegKeys and DefaultJourneyKeys for an empty section) and every
// other byte of the file:
//
//	go test ./callflow -run TestScenarios/group-linear -update
//	git diff callflow/testdata/scenarios
//
// Review that diff line by line against the rules before you commit it. A
// scenario whose expectations were produced by -update and accepted blindly
// pins whatever the code does, bugs included, and can never fail.
//
// Because the flag is registered on the default flag set, a test binary must
// not register another flag named update.
package callflowtest
