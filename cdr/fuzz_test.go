package cdr

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzReadCSV: no input may panic the reader; every row it accepts
// without error must survive CSVWriter and ReadCSV unchanged (bar the
// columns the writer does not write); a row error is one *ParseError or
// several joined, all of one line, and only a value error (one naming a
// column) comes with a non-zero Entry.
func FuzzReadCSV(f *testing.F) {
	if data, err := os.ReadFile("testdata/export.csv"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(minimalHeader + "1;c;10;0;10;02.03.2026 08:00:00;02.03.2026 08:01:00\n"))
	f.Add([]byte("\ufeff\"id\";\"callid\";\"cdraccountid\";\"calleraccountid\";\"calledaccountid\";\"starttime\";\"ringingtime\";\"linktime\";\"callresulttime\";\"callercallerid\"\r\n" +
		"\"1\";\"a\"\"b\";\"1\";\"0\";\"1\";\"25.10.2026 02:50:00\";\"25.10.2026 02:55:00\";\"25.10.2026 02:10:00\";\"25.10.2026 02:20:00\";\"Anna (12)\"\r\n" +
		"\"2\";\"x\ny\";\"1\";\"0\";\"1\";\"29.03.2026 01:59:00\";\"29.03.2026 02:30:00\";\"\";\"29.03.2026 03:00:00\";\"Name <0711 123>\"\r\n"))
	f.Add([]byte(minimalHeader + "1;c;1;0;1;;\n2;\"c;1;0;1;;\n"))
	f.Add([]byte("id;callid;cdraccountid;calleraccountid;calledaccountid;starttime;callresulttime;answered;answeredelsewhere;channelname;starttimeformatted\n" +
		"-1;;+5;0;1;31.12.9999 23:59:59;01.01.0000 00:00:00;T;7;ch;fmt\n"))
	f.Add([]byte("id;callid;cdraccountid;calleraccountid;calledaccountid;starttime;answered\n" +
		"x;c;1;y;1;02.03.2026 08:00:00;maybe\n1;c;1;0;1;;t\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var rows []Entry
		for e, err := range ReadCSV(bytes.NewReader(data)) {
			if err == nil {
				rows = append(rows, e)
				continue
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				continue // the header, a read error
			}
			errs := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				errs = j.Unwrap()
			}
			for _, err := range errs {
				p, ok := err.(*ParseError)
				if !ok || p.Line != pe.Line || (p.Column == "") != (pe.Column == "") {
					t.Fatalf("row error %v: part %#v is not a *ParseError of the same kind and line", err, err)
				}
			}
			if pe.Column == "" && e != (Entry{}) {
				t.Fatalf("malformed record (%v) came with a non-zero entry %+v", err, e)
			}
		}
		if len(rows) == 0 {
			return
		}
		var buf bytes.Buffer
		w := NewCSVWriter(&buf)
		for _, e := range rows {
			if err := w.Write(e); err != nil {
				t.Fatalf("Write(%+v): %v", e, err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		var again []Entry
		for e, err := range ReadCSV(&buf) {
			if err != nil {
				t.Fatalf("reading written rows: %v\n%q", err, buf.String())
			}
			again = append(again, e)
		}
		for i := range rows {
			rows[i].ChannelName, rows[i].StartTimeFormatted = "", "" // not written
		}
		if diff := cmp.Diff(rows, again); diff != "" {
			t.Fatalf("write-read mismatch (-want +got):\n%s", diff)
		}
	})
}

// FuzzCallerID: parsing what String writes gives the same caller id.
func FuzzCallerID(f *testing.F) {
	for _, s := range []string{"Anna Agent (12)", "+4971112345", "Support", "Name <0711 123>", "(0711) 123 45", "", "Team (2) (200)", "a ( 1 )", "(1)(2)", "<+>", "Person 3F2A-k1 (+49 7… #3F2A-k1)", "+4971112xxx", "Max (1xx)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := ParseCallerID(s)
		again := ParseCallerID(c.String())
		if c != again {
			t.Fatalf("ParseCallerID(%q) = %#v, String %q parses to %#v", s, c, c.String(), again)
		}
	})
}

// FuzzPhoneNumber: whatever Normalize makes has a text form that parses
// back to it, and every text ParsePhoneNumber accepts is its own String.
func FuzzPhoneNumber(f *testing.F) {
	for _, s := range []string{"+49 711 12345", "+49 (0)711 12345", "004971112345", "071112345", "12345678", "12", "anonymous", "Unbekannt", "", "*21#", "~x", "withheld", "+", "~", "+49 7… #3F2A9B1C04D2-k1", "… #AB-k1", "~… #AB", "0711 123xxx", "~12xxx", "+49 7… #"} {
		f.Add(s)
	}
	plan := GermanPlan("711")
	f.Fuzz(func(t *testing.T, s string) {
		n := plan.Normalize(s)
		back, err := ParsePhoneNumber(n.String())
		if err != nil || back != n {
			t.Fatalf("Normalize(%q) = %#v; ParsePhoneNumber(%q) = %#v, %v", s, n, n.String(), back, err)
		}
		if p, err := ParsePhoneNumber(s); err == nil && p.String() != s {
			t.Fatalf("ParsePhoneNumber(%q).String() = %q", s, p.String())
		}
	})
}

// FuzzReadJSON: no input may panic the reader, and every entry it accepts
// survives WriteJSON and ReadJSON unchanged.
func FuzzReadJSON(f *testing.F) {
	f.Add([]byte(`{"id":1,"callid":"c","cdraccountid":10,"calleraccountid":0,"calledaccountid":0,"callercallerid":"Anna (12)","starttime":"2026-03-02T08:00:00.000000005+01:00","answered":true}` + "\n"))
	f.Add([]byte("{\"id\":2,\"bogus\":1}\n\n{\"id\":3,\"linktime\":\"0001-01-01T00:00:00Z\",\"site\":\"\\u00e4\"}\r\n[]\n"))
	f.Add([]byte(`{"ID":4,"CallerCallerID":"  x <1> ","starttime":"9999-12-31T23:59:59.999999999-23:59"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var entries []Entry
		for e, err := range ReadJSON(bytes.NewReader(data)) {
			if err == nil {
				entries = append(entries, e)
			}
		}
		if len(entries) == 0 {
			return
		}
		var buf bytes.Buffer
		if err := WriteJSON(&buf, slices.Values(entries)); err != nil {
			t.Fatalf("WriteJSON: %v", err)
		}
		var again []Entry
		for e, err := range ReadJSON(&buf) {
			if err != nil {
				t.Fatalf("reading written entries: %v\n%s", err, buf.String())
			}
			again = append(again, e)
		}
		if diff := cmp.Diff(entries, again); diff != "" {
			t.Fatalf("write-read mismatch (-want +got):\n%s", diff)
		}
	})
}
