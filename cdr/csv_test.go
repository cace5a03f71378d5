package cdr

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	return loc
}

// readAll collects what ReadCSV yields.
func readAll(t testing.TB, data string, opts ...CSVOption) ([]Entry, []error) {
	t.Helper()
	var entries []Entry
	var errs []error
	for e, err := range ReadCSV(strings.NewReader(data), opts...) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		entries = append(entries, e)
	}
	return entries, errs
}

// minimalHeader holds the required columns and callresulttime.
const minimalHeader = "id;callid;cdraccountid;calleraccountid;calledaccountid;starttime;callresulttime\n"

func TestReadCSVExportFile(t *testing.T) {
	data, err := os.ReadFile("testdata/export.csv")
	require.NoError(t, err)
	loc := berlin(t)
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("02.01.2006 15:04:05", s, loc)
		require.NoError(t, err)
		return tm
	}
	got, errs := readAll(t, string(data), WithSite("stuttgart"))
	require.Empty(t, errs)
	want := []Entry{
		{
			ID: 4711, CallID: "SIP/trunk-0000a1f3", CallStepID: "88001", ChannelName: "SIP/telekom-0000a1f3",
			CDRAccountID: 2001, CallerAccountID: 0, CalledAccountID: 2001,
			CallerCallerID: CallerID{Number: "+4971112345"}, CalledCallerID: CallerID{Name: "Support", Number: "200"},
			ServiceID: 3, StartTime: at("02.03.2026 08:15:00"), RingingTime: at("02.03.2026 08:15:04"),
			LinkTime: at("02.03.2026 08:15:19"), CallResultTime: at("02.03.2026 08:18:30"),
			CallResult: Connected, CallResultCausedBy: "1001", LineID: "1", LineName: "Telekom SIP-Trunk",
			CallbackNumber: "071112345", CallbackNumberExtern: true, AnsweredElsewhere: 1001,
			Incoming: true, Answered: true, Duration: 191, Login: "support",
			StartTimeFormatted: "02.03.2026 08:15", Site: "stuttgart",
		},
		{
			ID: 4712, CallID: "SIP/trunk-0000a1f3", CallStepID: "88001", ChannelName: "SIP/telekom-0000a1f3",
			CDRAccountID: 1001, CallerAccountID: 0, CalledAccountID: 2001,
			CallerCallerID: CallerID{Number: "+4971112345"}, CalledCallerID: CallerID{Name: "Support", Number: "200"},
			ServiceID: 3, StartTime: at("02.03.2026 08:15:00"), RingingTime: at("02.03.2026 08:15:04"),
			LinkTime: at("02.03.2026 08:15:19"), CallResultTime: at("02.03.2026 08:18:30"),
			CallResult: Connected, CallResultCausedBy: "1001", LineID: "1", LineName: "Telekom SIP-Trunk",
			CallbackNumber: "071112345", CallbackNumberExtern: true,
			Incoming: true, Answered: true, HasMonitor: true, Duration: 191, Login: "anna",
			StartTimeFormatted: "02.03.2026 08:15", Site: "stuttgart",
		},
		{
			ID: 4713, CallID: "SIP/trunk-0000a1f3", CallStepID: "88001", ChannelName: "SIP/telekom-0000a1f3",
			CDRAccountID: 1002, CallerAccountID: 0, CalledAccountID: 2001,
			CallerCallerID: CallerID{Number: "+4971112345"}, CalledCallerID: CallerID{Name: "Support", Number: "200"},
			ServiceID: 3, StartTime: at("02.03.2026 08:15:00"), RingingTime: at("02.03.2026 08:15:04"),
			CallResultTime: at("02.03.2026 08:15:19"),
			CallResult:     NotConnected, CallResultCausedBy: "1001", LineID: "1", LineName: "Telekom SIP-Trunk",
			CallbackNumber: "071112345", CallbackNumberExtern: true, AnsweredElsewhere: 1001,
			Incoming: true, Login: "ben", StartTimeFormatted: "02.03.2026 08:15", Site: "stuttgart",
		},
		{
			ID: 4714, CallID: "SIP/1001-0000a1f9", ChannelName: "SIP/1001-0000a1f9",
			CDRAccountID: 1001, CallerAccountID: 1001, CalledAccountID: 0,
			CallerCallerID: CallerID{Name: "Anna Agent", Number: "1001"}, CalledCallerID: CallerID{Number: "+4989555123"},
			ServiceID: 1, StartTime: at("02.03.2026 09:00:00"), RingingTime: at("02.03.2026 09:00:01"),
			LinkTime: at("02.03.2026 09:00:12"), CallResultTime: at("02.03.2026 09:02:00"),
			CallResult: Connected, CallResultCausedBy: "0", LineID: "1", LineName: "Telekom SIP-Trunk",
			CallbackNumber: "089555123", CallbackNumberExtern: true,
			Answered: true, Duration: 108, Login: "anna", StartTimeFormatted: "02.03.2026 09:00", Site: "stuttgart",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadCSV(testdata/export.csv) mismatch (-want +got):\n%s", diff)
	}
	for _, e := range got {
		if e.StartTime.Location().String() != "Europe/Berlin" {
			t.Errorf("entry %d: StartTime in %v, want Europe/Berlin", e.ID, e.StartTime.Location())
		}
	}
}

func TestReadCSVOptions(t *testing.T) {
	const data = minimalHeader + "1;c;10;0;10;02.03.2026 08:00:00;02.03.2026 08:01:00\n"
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	tests := []struct {
		name      string
		opts      []CSVOption
		wantStart time.Time
		wantSite  string
	}{
		{"default is Europe/Berlin", nil, time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC), ""},
		{"nil location means default", []CSVOption{WithLocation(nil)}, time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC), ""},
		{"UTC", []CSVOption{WithLocation(time.UTC)}, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), ""},
		{"New York", []CSVOption{WithLocation(ny)}, time.Date(2026, 3, 2, 13, 0, 0, 0, time.UTC), ""},
		{"site", []CSVOption{WithSite("hamburg")}, time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC), "hamburg"},
		{"nil option ignored", []CSVOption{nil, WithSite("x")}, time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC), "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := readAll(t, data, tt.opts...)
			require.Empty(t, errs)
			require.Len(t, got, 1)
			if !got[0].StartTime.Equal(tt.wantStart) {
				t.Errorf("StartTime = %v, want %v", got[0].StartTime, tt.wantStart)
			}
			if got[0].CallResultTime.Sub(got[0].StartTime) != time.Minute {
				t.Errorf("call lasts %v, want 1m", got[0].CallResultTime.Sub(got[0].StartTime))
			}
			if got[0].Site != tt.wantSite {
				t.Errorf("Site = %q, want %q", got[0].Site, tt.wantSite)
			}
		})
	}
}

func TestReadCSVFormatVariants(t *testing.T) {
	loc := berlin(t)
	want := []Entry{{
		ID: 1, CallID: "c1", CDRAccountID: 10, CalledAccountID: 10, AnsweredElsewhere: 12,
		StartTime:      time.Date(2026, 3, 2, 8, 0, 0, 0, loc),
		CallResultTime: time.Date(2026, 3, 2, 8, 1, 0, 0, loc),
	}}
	tests := []struct {
		name string
		data string
	}{
		{"quoted LF", "\"id\";\"callid\";\"cdraccountid\";\"calleraccountid\";\"calledaccountid\";\"starttime\";\"callresulttime\";\"answeredelswhere\"\n" +
			"\"1\";\"c1\";\"10\";\"0\";\"10\";\"02.03.2026 08:00:00\";\"02.03.2026 08:01:00\";\"12\"\n"},
		{"unquoted CRLF", "id;callid;cdraccountid;calleraccountid;calledaccountid;starttime;callresulttime;answeredelswhere\r\n" +
			"1;c1;10;0;10;02.03.2026 08:00:00;02.03.2026 08:01:00;12\r\n"},
		{"BOM", "\ufeffid;callid;cdraccountid;calleraccountid;calledaccountid;starttime;callresulttime;answeredelswhere\r\n" +
			"1;c1;10;0;10;02.03.2026 08:00:00;02.03.2026 08:01:00;12\r\n"},
		{"no final line end", "id;callid;cdraccountid;calleraccountid;calledaccountid;starttime;callresulttime;answeredelswhere\n" +
			"1;c1;10;0;10;02.03.2026 08:00:00;02.03.2026 08:01:00;12"},
		{"database spelling answeredelsewhere", "id;callid;cdraccountid;calleraccountid;calledaccountid;starttime;callresulttime;answeredelsewhere\n" +
			"1;c1;10;0;10;02.03.2026 08:00:00;02.03.2026 08:01:00;12\n"},
		{"header case and blanks", " ID ;CallID;CDRAccountId;callerAccountID;CALLEDACCOUNTID;StartTime;callResultTime;AnsweredElswhere\n" +
			"1;c1;10;0;10;02.03.2026 08:00:00;02.03.2026 08:01:00;12\n"},
		{"extra and reordered columns", "comment;starttime;callresulttime;id;x;callid;cdraccountid;calledaccountid;calleraccountid;answeredelswhere\n" +
			"hi;02.03.2026 08:00:00;02.03.2026 08:01:00;1;;c1;10;10;0;12\n"},
		{"blank lines skipped", "\n" + minimalHeader[:len(minimalHeader)-1] + ";answeredelswhere\r\n\r\n" +
			"1;c1;10;0;10;02.03.2026 08:00:00;02.03.2026 08:01:00;12\n\n"},
		{"blanks around numbers and times", minimalHeader[:len(minimalHeader)-1] + ";answeredelswhere\n" +
			" 1 ;c1;\t10;0 ;10; 02.03.2026 08:00:00 ;02.03.2026 08:01:00;12\n"},
		{"duplicate column: first wins", minimalHeader[:len(minimalHeader)-1] + ";answeredelswhere;answeredelsewhere;id\n" +
			"1;c1;10;0;10;02.03.2026 08:00:00;02.03.2026 08:01:00;12;99;7\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := readAll(t, tt.data)
			require.Empty(t, errs)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadCSVValues(t *testing.T) {
	const header = "id;callid;cdraccountid;calleraccountid;calledaccountid;starttime;callresulttime;"
	base := Entry{ID: 1, CDRAccountID: 10}
	tests := []struct {
		name   string
		column string
		value  string
		want   func(e *Entry)
	}{
		{"bool true", "answered", "true", func(e *Entry) { e.Answered = true }},
		{"bool TRUE", "answered", "TRUE", func(e *Entry) { e.Answered = true }},
		{"bool t", "answered", "t", func(e *Entry) { e.Answered = true }},
		{"bool T", "answered", "T", func(e *Entry) { e.Answered = true }},
		{"bool 1", "answered", "1", func(e *Entry) { e.Answered = true }},
		{"bool false", "answered", "False", func(e *Entry) {}},
		{"bool f", "answered", "f", func(e *Entry) {}},
		{"bool 0", "answered", "0", func(e *Entry) {}},
		{"bool empty", "answered", "", func(e *Entry) {}},
		{"int empty is 0", "serviceid", "", func(e *Entry) {}},
		{"int negative", "duration", "-5", func(e *Entry) { e.Duration = -5 }},
		{"int plus", "duration", "+5", func(e *Entry) { e.Duration = 5 }},
		{"text kept verbatim", "linename", "  Telekom; \"SIP\"  ", func(e *Entry) { e.LineName = "  Telekom; \"SIP\"  " }},
		{"quoted line end kept", "linename", "a\r\nb\nc", func(e *Entry) { e.LineName = "a\r\nb\nc" }},
		{"callleguuid", "callleguuid", "8c1e4a52", func(e *Entry) { e.CallLegUUID = "8c1e4a52" }},
		{"channelname", "channelname", "SIP/x-1", func(e *Entry) { e.ChannelName = "SIP/x-1" }},
		{"starttimeformatted", "starttimeformatted", "02.03.2026", func(e *Entry) { e.StartTimeFormatted = "02.03.2026" }},
		{"caller id", "callercallerid", "Anna Agent (12)", func(e *Entry) { e.CallerCallerID = CallerID{Name: "Anna Agent", Number: "12"} }},
		{"unknown call result kept", "callresult", "BUSY", func(e *Entry) { e.CallResult = "BUSY" }},
		{"empty time is zero", "linktime", "", func(e *Entry) {}},
		{"leap day", "linktime", "29.02.2028 12:00:00", func(e *Entry) {
			e.LinkTime = time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC)
		}},
		{"year 0000", "linktime", "01.01.0000 00:00:00", func(e *Entry) { e.LinkTime = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"year 9999", "linktime", "31.12.9999 23:59:59", func(e *Entry) { e.LinkTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := `"` + strings.ReplaceAll(tt.value, `"`, `""`) + `"`
			data := header + tt.column + "\n1;;10;;;;;" + q + "\n"
			got, errs := readAll(t, data, WithLocation(time.UTC))
			require.Empty(t, errs)
			require.Len(t, got, 1)
			want := base
			tt.want(&want)
			if diff := cmp.Diff(want, got[0]); diff != "" {
				t.Errorf("%s = %q: mismatch (-want +got):\n%s", tt.column, tt.value, diff)
			}
		})
	}
}

func TestReadCSVMissingColumns(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   []string
	}{
		{"no starttime", "id;callid;cdraccountid;calleraccountid;calledaccountid;ringingtime;callresulttime\n", []string{"starttime"}},
		{"only id", "\"id\"\n", []string{"callid", "cdraccountid", "calleraccountid", "calledaccountid", "starttime"}},
		{"only times", "starttime;callresulttime\n", []string{"id", "callid", "cdraccountid", "calleraccountid", "calledaccountid"}},
		{"callid misspelt", "id;call_id;cdraccountid;calleraccountid;calledaccountid;starttime;callresulttime\n", []string{"callid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Many rows follow, yet the error must come exactly once.
			data := tt.header + strings.Repeat("1;2;3;4;5;6;7\n", 50)
			got, errs := readAll(t, data)
			require.Empty(t, got)
			require.Len(t, errs, 1, "missing columns must be reported once")
			var mc *MissingColumnError
			require.ErrorAs(t, errs[0], &mc)
			if !errors.Is(errs[0], ErrMissingColumn) {
				t.Errorf("errors.Is(%v, ErrMissingColumn) = false", errs[0])
			}
			if diff := cmp.Diff(tt.want, mc.Columns); diff != "" {
				t.Errorf("Columns mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadCSVWithoutCallResultTime(t *testing.T) {
	// callresulttime is optional, as in ReadDB: the end stays zero and
	// callflow repairs it (X1).
	got, errs := readAll(t, "id;callid;cdraccountid;calleraccountid;calledaccountid;starttime\n1;c;10;0;10;02.03.2026 08:00:00\n", WithLocation(time.UTC))
	require.Empty(t, errs)
	want := []Entry{{ID: 1, CallID: "c", CDRAccountID: 10, CalledAccountID: 10, StartTime: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestReadCSVBadValues(t *testing.T) {
	data := minimalHeader[:len(minimalHeader)-1] + ";answered;linktime\n" + // line 1
		"1;c;10;0;10;02.03.2026 08:00:00;02.03.2026 08:01:00;true;\n" + // 2 ok
		"2;c;10;0;10;32.13.2026 10:00:00;02.03.2026 08:01:00;true;\n" + // 3 bad start
		"3;c;x10;0;10;02.03.2026 08:00:00;02.03.2026 08:01:00;true;\n" + // 4 bad account
		"4;\"multi\nline\";10;0;10;02.03.2026 08:00:00;02.03.2026 08:01:00;yes;\n" + // 5-6 bad bool
		"5;c;10;0;10\n" + // 7 too few fields
		"6;c;10;0;10;02.03.2026 08:00:00;02.03.2026 08:01:00;true;;extra\n" + // 8 too many
		"7;c;10;0;10;02.03.2026 08:00:00;02.03.2026 08:01:00;true;29.02.2026 10:00:00\n" + // 9 no leap day
		"8;\"c\"x;10;0;10;;;;\n" + // 10 text after quote
		"9;c\"d;10;0;10;;;;\n" + // 11 bare quote
		"99999999999999999999;c;10;0;10;;;;\n" + // 12 out of range
		"10;c;10;0;10;02.03.2026 8:00:00;;;\n" + // 13 bad layout
		"11;c;10;0;10;02.03.2026 24:00:00;;;\n" + // 14 hour
		"13;c;x;0;y;02.03.2026 08:00:00;soon;maybe;02.03.2026 08:00:30\n" + // 15 four bad values
		"12;c;10;0;10;;;;\n" // 16 ok
	at := func(h, m, s int) time.Time { return time.Date(2026, 3, 2, h, m, s, 0, time.UTC) }
	type bad struct {
		Line   int
		Column string
		Value  string
	}
	type result struct {
		Entry Entry
		Errs  []bad
	}
	var got []result
	var msgs []string
	for e, err := range ReadCSV(strings.NewReader(data), WithLocation(time.UTC)) {
		r := result{Entry: e}
		if err != nil {
			// errors.As finds the first bad column, joined or not.
			var first *ParseError
			require.ErrorAs(t, err, &first)
			errs := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				errs = j.Unwrap()
				require.Greater(t, len(errs), 1, "a single bad value is not joined")
			}
			for i, err := range errs {
				pe, ok := err.(*ParseError)
				require.True(t, ok, "error %d of line %d is %T, want *ParseError", i, first.Line, err)
				if i == 0 {
					require.Same(t, first, pe)
				}
				r.Errs = append(r.Errs, bad{pe.Line, pe.Column, pe.Value})
				msgs = append(msgs, pe.Error())
			}
		}
		got = append(got, r)
	}
	ok := func(e Entry) Entry { // the fields every row above shares
		e.CallID, e.CDRAccountID, e.CalledAccountID = "c", 10, 10
		return e
	}
	want := []result{
		{Entry: ok(Entry{ID: 1, StartTime: at(8, 0, 0), CallResultTime: at(8, 1, 0), Answered: true})},
		{Entry: ok(Entry{ID: 2, CallResultTime: at(8, 1, 0), Answered: true}),
			Errs: []bad{{3, "starttime", "32.13.2026 10:00:00"}}},
		{Entry: Entry{ID: 3, CallID: "c", CalledAccountID: 10, StartTime: at(8, 0, 0), CallResultTime: at(8, 1, 0), Answered: true},
			Errs: []bad{{4, "cdraccountid", "x10"}}},
		{Entry: Entry{ID: 4, CallID: "multi\nline", CDRAccountID: 10, CalledAccountID: 10, StartTime: at(8, 0, 0), CallResultTime: at(8, 1, 0)},
			Errs: []bad{{5, "answered", "yes"}}},
		{Errs: []bad{{Line: 7}}}, // a malformed record yields a zero Entry
		{Errs: []bad{{Line: 8}}},
		{Entry: ok(Entry{ID: 7, StartTime: at(8, 0, 0), CallResultTime: at(8, 1, 0), Answered: true}),
			Errs: []bad{{9, "linktime", "29.02.2026 10:00:00"}}},
		{Errs: []bad{{Line: 10}}},
		{Errs: []bad{{Line: 11}}},
		{Entry: ok(Entry{}), Errs: []bad{{12, "id", "99999999999999999999"}}},
		{Entry: ok(Entry{ID: 10}), Errs: []bad{{13, "starttime", "02.03.2026 8:00:00"}}},
		{Entry: ok(Entry{ID: 11}), Errs: []bad{{14, "starttime", "02.03.2026 24:00:00"}}},
		{Entry: Entry{ID: 13, CallID: "c", StartTime: at(8, 0, 0), LinkTime: at(8, 0, 30)},
			Errs: []bad{{15, "cdraccountid", "x"}, {15, "calledaccountid", "y"}, {15, "callresulttime", "soon"}, {15, "answered", "maybe"}}},
		{Entry: ok(Entry{ID: 12})},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results mismatch (-want +got):\n%s", diff)
	}
	wantMsgs := []string{
		`cdr: line 3, column "starttime": invalid time "32.13.2026 10:00:00": field out of range`,
		`cdr: line 4, column "cdraccountid": invalid integer "x10": invalid syntax`,
		`cdr: line 5, column "answered": invalid boolean "yes": want true or false`,
		`cdr: line 7: wrong number of fields: got 5, want 9`,
		`cdr: line 8: wrong number of fields: got 10, want 9`,
		`cdr: line 9, column "linktime": invalid time "29.02.2026 10:00:00": field out of range`,
		`cdr: line 10: unexpected text after closing " of field 2`,
		`cdr: line 11: bare " in unquoted field 2`,
		`cdr: line 12, column "id": invalid integer "99999999999999999999": value out of range`,
		`cdr: line 13, column "starttime": invalid time "02.03.2026 8:00:00": want dd.MM.yyyy HH:mm:ss`,
		`cdr: line 14, column "starttime": invalid time "02.03.2026 24:00:00": field out of range`,
		`cdr: line 15, column "cdraccountid": invalid integer "x": invalid syntax`,
		`cdr: line 15, column "calledaccountid": invalid integer "y": invalid syntax`,
		`cdr: line 15, column "callresulttime": invalid time "soon": want dd.MM.yyyy HH:mm:ss`,
		`cdr: line 15, column "answered": invalid boolean "maybe": want true or false`,
	}
	if diff := cmp.Diff(wantMsgs, msgs); diff != "" {
		t.Errorf("messages mismatch (-want +got):\n%s", diff)
	}
}

func TestReadCSVSeveralBadValues(t *testing.T) {
	// The joined error of a row answers errors.Is for every cause and
	// prints one line per bad column.
	_, errs := readAll(t, minimalHeader[:len(minimalHeader)-1]+";answered\n"+
		"99999999999999999999;c;1;0;1;;;nope\n")
	require.Len(t, errs, 1)
	if !errors.Is(errs[0], strconv.ErrRange) || !errors.Is(errs[0], errBool) {
		t.Errorf("errors.Is(%v, ErrRange / errBool) = false, want true for both", errs[0])
	}
	want := `cdr: line 2, column "id": invalid integer "99999999999999999999": value out of range` + "\n" +
		`cdr: line 2, column "answered": invalid boolean "nope": want true or false`
	require.EqualError(t, errs[0], want)
}

func TestReadCSVBadRowKeepsCallID(t *testing.T) {
	// What callflow.Calls relies on: a row with a bad value still names its
	// row and its call, and its other times are resolved as usual (X5).
	const header = "id;callid;cdraccountid;calleraccountid;calledaccountid;starttime;ringingtime;linktime;callresulttime;duration\n"
	var entries []Entry
	var errs []error
	for e, err := range ReadCSV(strings.NewReader(header+
		"1;c;1;0;1;25.10.2026 02:50:00;25.10.2026 02:55:00;25.10.2026 02:10:00;25.10.2026 02:20:00;ten\n"), WithLocation(berlin(t))) {
		entries, errs = append(entries, e), append(errs, err)
	}
	require.Len(t, errs, 1)
	var pe *ParseError
	require.ErrorAs(t, errs[0], &pe)
	require.Equal(t, "duration", pe.Column)
	e := entries[0]
	require.Equal(t, int64(1), e.ID)
	require.Equal(t, "c", e.CallID)
	require.Zero(t, e.Duration)
	utc := func(h, m int) time.Time { return time.Date(2026, 10, 25, h, m, 0, 0, time.UTC) }
	type times struct{ Start, Ring, Link, End time.Time }
	if diff := cmp.Diff(times{utc(0, 50), utc(0, 55), utc(1, 10), utc(1, 20)}, times{e.StartTime, e.RingingTime, e.LinkTime, e.CallResultTime}); diff != "" {
		t.Errorf("times mismatch (-want +got):\n%s", diff)
	}
}

func TestReadCSVErrorsUnwrap(t *testing.T) {
	_, errs := readAll(t, minimalHeader+"99999999999999999999;c;1;0;1;;\n")
	require.Len(t, errs, 1)
	if !errors.Is(errs[0], strconv.ErrRange) {
		t.Errorf("errors.Is(%v, strconv.ErrRange) = false, want true", errs[0])
	}
}

func TestReadCSVBrokenQuoting(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		wantIDs  []int64
		wantLine []int
	}{
		{"unclosed quote at end of file", minimalHeader + "1;c;1;0;1;;\n2;\"c;1;0;1;;\n", []int64{1}, []int{3}},
		{"unclosed doubled quote", minimalHeader + "1;\"c\"\"", nil, []int{2}},
		{"multi-line value counts lines", minimalHeader + "1;\"a\n\nb\";1;0;1;;\n2;c;1;0;1;;\n3;c;1;0;1;;x\n", []int64{1, 2}, []int{6}},
		{"header broken", "id;\"callid\"x;cdraccountid\n1;2;3\n", nil, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ids []int64
			var lines []int
			for e, err := range ReadCSV(strings.NewReader(tt.data)) {
				if err != nil {
					var pe *ParseError
					require.ErrorAs(t, err, &pe)
					lines = append(lines, pe.Line)
					continue
				}
				ids = append(ids, e.ID)
			}
			if diff := cmp.Diff(tt.wantIDs, ids); diff != "" {
				t.Errorf("ids mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantLine, lines); diff != "" {
				t.Errorf("error lines mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadCSVRecordTooLong(t *testing.T) {
	// An unclosed quote must not swallow the file: the reader gives up
	// after maxRecordBytes, reports once and goes on after that line.
	var b strings.Builder
	b.WriteString(minimalHeader)
	b.WriteString("1;\"never closed;1;0;1;;\n")
	line := strings.Repeat("x", 1000) + "\n"
	n := maxRecordBytes/len(line) + 10
	for range n {
		b.WriteString(line)
	}
	b.WriteString("2;c;1;0;1;;\n")
	var ids []int64
	var errs []error
	for e, err := range ReadCSV(strings.NewReader(b.String())) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, e.ID)
	}
	require.NotEmpty(t, errs)
	var pe *ParseError
	require.ErrorAs(t, errs[0], &pe)
	if pe.Line != 2 || !errors.Is(pe, errRecordTooLong) {
		t.Errorf("first error = %v, want record too long on line 2", errs[0])
	}
	// The lines after the cut are wrong-length records, then row 2 reads.
	if diff := cmp.Diff([]int64{2}, ids); diff != "" {
		t.Errorf("ids mismatch (-want +got):\n%s", diff)
	}
}

func TestReadCSVEmptyAndReadErrors(t *testing.T) {
	t.Run("empty input", func(t *testing.T) {
		got, errs := readAll(t, "")
		require.Empty(t, errs)
		require.Empty(t, got)
	})
	t.Run("header only", func(t *testing.T) {
		got, errs := readAll(t, "\ufeff"+minimalHeader)
		require.Empty(t, errs)
		require.Empty(t, got)
	})
	t.Run("read error ends the sequence", func(t *testing.T) {
		boom := errors.New("disk on fire")
		r := io.MultiReader(strings.NewReader(minimalHeader+"1;c;1;0;1;;\n"), iotest.ErrReader(boom))
		var ids []int64
		var errs []error
		for e, err := range ReadCSV(r) {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ids = append(ids, e.ID)
		}
		require.Len(t, errs, 1)
		if !errors.Is(errs[0], boom) {
			t.Errorf("error = %v, want it to wrap %v", errs[0], boom)
		}
		if diff := cmp.Diff([]int64{1}, ids); diff != "" {
			t.Errorf("ids mismatch (-want +got):\n%s", diff)
		}
	})
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReadCSVEarlyBreak(t *testing.T) {
	data := encodeCSV(t, realisticEntries(t, 20_000))
	require.Greater(t, len(data), 1<<20)
	cr := &countingReader{r: bytes.NewReader(data)}
	n := 0
	for _, err := range ReadCSV(cr) {
		require.NoError(t, err)
		n++
		if n == 3 {
			break
		}
	}
	require.Equal(t, 3, n)
	if cr.n > 128<<10 {
		t.Errorf("read %d bytes of %d to yield 3 rows; stopping must stop reading", cr.n, len(data))
	}
	// Stopping right after an error must work too.
	calls := 0
	for _, err := range ReadCSV(strings.NewReader(minimalHeader + "x;c;1;0;1;;\n1;c;1;0;1;;\n")) {
		calls++
		require.Error(t, err)
		break
	}
	require.Equal(t, 1, calls)
}

func TestReadCSVDST(t *testing.T) {
	loc := berlin(t)
	const header = "id;callid;cdraccountid;calleraccountid;calledaccountid;starttime;ringingtime;linktime;callresulttime\n"
	utc := func(h, m int, day int) time.Time {
		return time.Date(2026, time.Month(day/100), day%100, h, m, 0, 0, time.UTC)
	}
	tests := []struct {
		name                     string
		row                      string
		start, ring, link, end   time.Time // as UTC instants
		wantRingDur, wantTalkDur time.Duration
		wantCallDur              time.Duration
	}{
		{
			// 25.10.2026: 03:00 CEST becomes 02:00 CET; 02:00-02:59 happen twice.
			name:  "autumn: start in the first 02:xx, the rest in the second",
			row:   "1;c;1;0;1;25.10.2026 02:50:00;25.10.2026 02:55:00;25.10.2026 02:10:00;25.10.2026 02:20:00",
			start: utc(0, 50, 1025), ring: utc(0, 55, 1025), link: utc(1, 10, 1025), end: utc(1, 20, 1025),
			wantRingDur: 15 * time.Minute, wantTalkDur: 10 * time.Minute, wantCallDur: 30 * time.Minute,
		},
		{
			name:  "autumn: a call within the first 02:xx stays there",
			row:   "2;c;1;0;1;25.10.2026 02:10:00;25.10.2026 02:11:00;25.10.2026 02:12:00;25.10.2026 02:40:00",
			start: utc(0, 10, 1025), ring: utc(0, 11, 1025), link: utc(0, 12, 1025), end: utc(0, 40, 1025),
			wantRingDur: time.Minute, wantTalkDur: 28 * time.Minute, wantCallDur: 30 * time.Minute,
		},
		{
			name:  "autumn: from before the change into the first 02:xx",
			row:   "3;c;1;0;1;25.10.2026 01:50:00;25.10.2026 01:50:10;25.10.2026 02:05:00;25.10.2026 02:15:00",
			start: utc(23, 50, 1024), ring: utc(23, 50, 1024).Add(10 * time.Second), link: utc(0, 5, 1025), end: utc(0, 15, 1025),
			wantRingDur: 14*time.Minute + 50*time.Second, wantTalkDur: 10 * time.Minute, wantCallDur: 25 * time.Minute,
		},
		{
			name:  "autumn: start in the first 02:xx, end after 03:00 CET",
			row:   "4;c;1;0;1;25.10.2026 02:58:00;25.10.2026 02:59:00;25.10.2026 02:59:30;25.10.2026 03:01:00",
			start: utc(0, 58, 1025), ring: utc(0, 59, 1025), link: utc(0, 59, 1025).Add(30 * time.Second), end: utc(2, 1, 1025),
			wantRingDur: 30 * time.Second, wantTalkDur: time.Hour + time.Minute + 30*time.Second, wantCallDur: time.Hour + 3*time.Minute,
		},
		{
			// 29.03.2026: 02:00 CET becomes 03:00 CEST.
			name:  "spring: across the change",
			row:   "5;c;1;0;1;29.03.2026 01:55:00;29.03.2026 01:58:00;29.03.2026 03:05:00;29.03.2026 03:15:00",
			start: utc(0, 55, 329), ring: utc(0, 58, 329), link: utc(1, 5, 329), end: utc(1, 15, 329),
			wantRingDur: 7 * time.Minute, wantTalkDur: 10 * time.Minute, wantCallDur: 20 * time.Minute,
		},
		{
			// 02:30 does not exist on that day; time.Date reads it as 03:30 CEST.
			name:  "spring: a skipped wall time is normalised forward",
			row:   "6;c;1;0;1;29.03.2026 01:59:00;29.03.2026 02:30:00;29.03.2026 03:35:00;29.03.2026 03:45:00",
			start: utc(0, 59, 329), ring: utc(1, 30, 329), link: utc(1, 35, 329), end: utc(1, 45, 329),
			wantRingDur: 5 * time.Minute, wantTalkDur: 10 * time.Minute, wantCallDur: 46 * time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := readAll(t, header+tt.row+"\n", WithLocation(loc))
			require.Empty(t, errs)
			require.Len(t, got, 1)
			e := got[0]
			type times struct{ Start, Ring, Link, End time.Time }
			want := times{tt.start, tt.ring, tt.link, tt.end}
			if diff := cmp.Diff(want, times{e.StartTime, e.RingingTime, e.LinkTime, e.CallResultTime}); diff != "" {
				t.Errorf("times mismatch (-want +got):\n%s", diff)
			}
			type durations struct{ Ring, Talk, Call time.Duration }
			wantD := durations{tt.wantRingDur, tt.wantTalkDur, tt.wantCallDur}
			gotD := durations{e.LinkTime.Sub(e.RingingTime), e.CallResultTime.Sub(e.LinkTime), e.CallResultTime.Sub(e.StartTime)}
			if diff := cmp.Diff(wantD, gotD); diff != "" {
				t.Errorf("durations mismatch (-want +got):\n%s", diff)
			}
			// What was read writes back the same and reads back equal.
			again, errs := readAll(t, string(encodeCSV(t, got, WithLocation(loc))), WithLocation(loc))
			require.Empty(t, errs)
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadCSVAutumnWithoutStart(t *testing.T) {
	// With no starttime there is nothing to be relative to: the first
	// reading, as for starttime.
	got, errs := readAll(t, minimalHeader+"1;c;1;0;1;;25.10.2026 02:30:00\n", WithLocation(berlin(t)))
	require.Empty(t, errs)
	require.Len(t, got, 1)
	want := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)
	if !got[0].CallResultTime.Equal(want) {
		t.Errorf("CallResultTime = %v, want %v", got[0].CallResultTime, want)
	}
}

func TestZoneCacheMatchesTimeDate(t *testing.T) {
	// The fast path must agree with time.Date for every unambiguous time:
	// walk two years in uneven steps through several zones.
	for _, name := range []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"} {
		t.Run(name, func(t *testing.T) {
			loc, err := time.LoadLocation(name)
			require.NoError(t, err)
			z := newZoneCache(loc)
			for ts := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC); ts.Year() < 2027; ts = ts.Add(97*time.Minute + 13*time.Second) {
				s := ts.Format("02.01.2006 15:04:05")
				w, err := parseWallClock(s)
				require.NoError(t, err)
				want := time.Date(ts.Year(), ts.Month(), ts.Day(), ts.Hour(), ts.Minute(), ts.Second(), 0, loc)
				first, second := z.resolve(w)
				if first != second {
					if want.Unix() != first && want.Unix() != second {
						t.Fatalf("%s: readings %d, %d; time.Date gives %d", s, first, second, want.Unix())
					}
					continue
				}
				if got := z.time(first); !got.Equal(want) || got.Location() != want.Location() {
					t.Fatalf("%s: got %v, time.Date gives %v", s, got, want)
				}
			}
		})
	}
}

func TestCSVWriterForm(t *testing.T) {
	loc := berlin(t)
	e := Entry{
		ID: 7, CallID: `SIP/"x"`, CDRAccountID: 10, CalledAccountID: 10,
		CallerCallerID: CallerID{Name: "Anna Agent", Number: "12"},
		StartTime:      time.Date(2026, 3, 2, 8, 0, 0, 999_999_999, loc), // truncated to the second
		CallResultTime: time.Date(2026, 3, 2, 7, 1, 2, 0, time.UTC),      // written in Berlin time
		Answered:       true, Duration: 62, Login: "anna",
		ChannelName: "not written", StartTimeFormatted: "not written", Site: "not written",
	}
	var buf bytes.Buffer
	w := NewCSVWriter(&buf, WithLocation(loc))
	require.NoError(t, w.Write(e))
	require.NoError(t, w.Flush())
	want := `"id";"callid";"callstepid";"callleguuid";"cdraccountid";"calleraccountid";"calledaccountid";"callercallerid";"calledcallerid";"serviceid";"starttime";"ringingtime";"linktime";"callresulttime";"callresult";"callresultcausedby";"lineid";"linename";"callbacknumber";"callbacknumberextern";"answeredelswhere";"incoming";"answered";"hasvoicemail";"hasmonitor";"hasfax";"deleted";"privatecall";"summarystep";"duration";"login"` + "\r\n" +
		`"7";"SIP/""x""";"";"";"10";"0";"10";"Anna Agent (12)";"";"0";"02.03.2026 08:00:00";"";"";"02.03.2026 08:01:02";"";"";"";"";"";"false";"0";"false";"true";"false";"false";"false";"false";"false";"false";"62";"anna"` + "\r\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("written form mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(strings.Join(ExportColumns, ";"), strings.ReplaceAll(strings.SplitN(want, "\r\n", 2)[0], `"`, "")); diff != "" {
		t.Errorf("header is not ExportColumns (-want +got):\n%s", diff)
	}
}

func TestCSVWriterEdges(t *testing.T) {
	t.Run("empty export is a header", func(t *testing.T) {
		var buf bytes.Buffer
		w := NewCSVWriter(&buf)
		require.NoError(t, w.Flush())
		require.NoError(t, w.Flush())
		require.Equal(t, 1, strings.Count(buf.String(), "\r\n"))
		got, errs := readAll(t, buf.String())
		require.Empty(t, errs)
		require.Empty(t, got)
	})
	t.Run("year out of range", func(t *testing.T) {
		w := NewCSVWriter(io.Discard, WithLocation(time.UTC))
		err := w.Write(Entry{ID: 1, StartTime: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
		require.Error(t, err)
		require.Contains(t, err.Error(), `column "starttime"`)
		// A value error does not break the writer.
		require.NoError(t, w.Write(Entry{ID: 2}))
	})
	t.Run("write error is sticky", func(t *testing.T) {
		boom := errors.New("pipe closed")
		w := NewCSVWriter(errWriter{boom})
		for range 2000 { // enough to fill the buffer
			if err := w.Write(Entry{ID: 1, CallID: strings.Repeat("x", 100)}); err != nil {
				break
			}
		}
		require.ErrorIs(t, w.Flush(), boom)
		require.ErrorIs(t, w.Write(Entry{}), boom)
	})
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

func TestCSVRoundTrip(t *testing.T) {
	loc := berlin(t)
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	tricky := Entry{
		ID: -1, CallID: "a;b\"c\"\r\nd\n", CallStepID: " ", CallLegUUID: "\ufeffx",
		CDRAccountID: 1 << 40, CallerAccountID: -3, CalledAccountID: 0,
		CallerCallerID: CallerID{Name: "Name", Number: "0711 123"}, CalledCallerID: CallerID{Name: "Support \"1st\""},
		ServiceID: -9, StartTime: time.Date(2026, 10, 25, 2, 30, 0, 0, loc).Add(-time.Hour), // first 02:30
		RingingTime: time.Date(2026, 10, 25, 2, 10, 0, 0, loc), // second 02:10 (time.Date picks the CET reading)
		CallResult:  "WEIRD", CallResultCausedBy: "module;ivr", LineID: "", LineName: "Ä Ö Ü ß €",
		CallbackNumber: "+49 (711) 12", CallbackNumberExtern: true, AnsweredElsewhere: 99,
		Incoming: true, Answered: true, HasVoicemail: true, HasMonitor: true, HasFax: true,
		Deleted: true, PrivateCall: true, SummaryStep: true, Duration: 1 << 50, Login: "x\x00y",
	}
	tests := []struct {
		name    string
		loc     *time.Location
		entries []Entry
	}{
		{"realistic rows", loc, realisticEntries(t, 300)},
		{"every field and awkward text", loc, []Entry{tricky}},
		{"zero entry", loc, []Entry{{}}},
		{"other location", ny, realisticEntries(t, 9)},
		{"UTC", time.UTC, []Entry{{ID: 1, StartTime: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := encodeCSV(t, tt.entries, WithLocation(tt.loc))
			got, errs := readAll(t, string(data), WithLocation(tt.loc))
			require.Empty(t, errs)
			if diff := cmp.Diff(tt.entries, got); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
