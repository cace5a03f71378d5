package cdr_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

func ExampleReadCSV() {
	export := `"id";"callid";"cdraccountid";"calleraccountid";"calledaccountid";"callercallerid";"starttime";"ringingtime";"linktime";"callresulttime";"answered"
"4711";"SIP/trunk-1";"1001";"0";"2001";"+4971112345";"02.03.2026 08:15:00";"02.03.2026 08:15:04";"02.03.2026 08:15:19";"02.03.2026 08:18:30";"true"
`
	for e, err := range cdr.ReadCSV(strings.NewReader(export), cdr.WithSite("stuttgart")) {
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(e.ID, e.CallerCallerID.Number, e.StartTime.Format(time.RFC3339), e.Site)
		fmt.Println("ring", e.LinkTime.Sub(e.RingingTime), "talk", e.CallResultTime.Sub(e.LinkTime))
	}
	// Output:
	// 4711 +4971112345 2026-03-02T08:15:00+01:00 stuttgart
	// ring 15s talk 3m11s
}

func ExampleParseError() {
	export := "id;callid;cdraccountid;calleraccountid;calledaccountid;starttime;callresulttime\n" +
		"1;a;1001;0;1001;02.03.2026 08:00:00;02.03.2026 08:01:00\n" +
		"2;b;1001;0;1001;32.13.2026 10:00:00;02.03.2026 08:01:00\n" +
		"3;c;1001;0;1001;02.03.2026 09:00:00;02.03.2026 09:01:00\n"
	for e, err := range cdr.ReadCSV(strings.NewReader(export)) {
		var pe *cdr.ParseError
		switch {
		case errors.As(err, &pe):
			// A bad row: log it and go on; the reader continues.
			fmt.Printf("skipped line %d (column %s)\n", pe.Line, pe.Column)
		case err != nil:
			fmt.Println("giving up:", err) // a missing column or a read error
			return
		default:
			fmt.Println("row", e.ID)
		}
	}
	// Output:
	// row 1
	// skipped line 3 (column starttime)
	// row 3
}

func ExampleParseCallerID() {
	for _, s := range []string{"Anna Agent (12)", "+4971112345", "Support", "Name <0711 123>"} {
		c := cdr.ParseCallerID(s)
		fmt.Printf("%q: name %q, number %q\n", s, c.Name, c.Number)
	}
	// Output:
	// "Anna Agent (12)": name "Anna Agent", number "12"
	// "+4971112345": name "", number "+4971112345"
	// "Support": name "Support", number ""
	// "Name <0711 123>": name "Name", number "0711 123"
}

func ExampleNumberPlan_Normalize() {
	plan := cdr.GermanPlan("711") // a PBX in Stuttgart
	for _, raw := range []string{"+49 711 12345", "004971112345", "0711 / 123 45", "12345678", "12", "anonymous", "*21#", ""} {
		n := plan.Normalize(raw)
		fmt.Printf("%-16q %-9s %s\n", raw, n.Kind(), n)
	}
	// Output:
	// "+49 711 12345"  e164      +4971112345
	// "004971112345"   e164      +4971112345
	// "0711 / 123 45"  e164      +4971112345
	// "12345678"       e164      +4971112345678
	// "12"             internal  12
	// "anonymous"      withheld  withheld
	// "*21#"           other     ~*21#
	// ""               none
}

func ExampleNewCSVWriter() {
	loc, _ := time.LoadLocation("Europe/Berlin")
	var out strings.Builder
	w := cdr.NewCSVWriter(&out, cdr.WithLocation(loc))
	start := time.Date(2026, 3, 2, 8, 15, 0, 0, loc)
	_ = w.Write(cdr.Entry{ID: 1, CallID: "c1", CDRAccountID: 1001, CalledAccountID: 1001, StartTime: start, CallResultTime: start.Add(time.Minute)})
	if err := w.Flush(); err != nil {
		fmt.Println(err)
	}
	// Lines end in CRLF, as in STARFACE's export; shown here as LF.
	fmt.Print(strings.ReplaceAll(out.String(), "\r\n", "\n"))
	// Output:
	// "id";"callid";"callstepid";"callleguuid";"cdraccountid";"calleraccountid";"calledaccountid";"callercallerid";"calledcallerid";"serviceid";"starttime";"ringingtime";"linktime";"callresulttime";"callresult";"callresultcausedby";"lineid";"linename";"callbacknumber";"callbacknumberextern";"answeredelswhere";"incoming";"answered";"hasvoicemail";"hasmonitor";"hasfax";"deleted";"privatecall";"summarystep";"duration";"login"
	// "1";"c1";"";"";"1001";"0";"1001";"";"";"0";"02.03.2026 08:15:00";"";"";"02.03.2026 08:16:00";"";"";"";"";"";"false";"0";"false";"false";"false";"false";"false";"false";"false";"false";"0";""
}

func ExampleWriteJSON() {
	start := time.Date(2026, 3, 2, 8, 15, 0, 0, time.UTC)
	entries := []cdr.Entry{{ID: 1, CallID: "c1", CDRAccountID: 1001, CallerCallerID: cdr.ParseCallerID("Anna (12)"), StartTime: start}}
	if err := cdr.WriteJSON(os.Stdout, slices.Values(entries)); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"id":1,"callid":"c1","cdraccountid":1001,"calleraccountid":0,"calledaccountid":0,"callercallerid":"Anna (12)","starttime":"2026-03-02T08:15:00Z"}
}
