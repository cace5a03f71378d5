package cdr_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/google/go-cmp/cmp"

	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/testdb"
)

// The database tests run against real servers; see internal/testdb for the
// environment variables. Without them the PostgreSQL and MariaDB tests are
// skipped; the SQLite test always runs.

var dbBerlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err) // time/tzdata is linked by package cdr
	}
	return loc
}()

// seedEntries returns 25 realistic rows: calls of two rows each (the
// caller's and the callee's view), external and internal callers, answered
// and unanswered group calls, deleted rows, gaps in the ids, milliseconds,
// a summer-time call and empty values.
func seedEntries(site string) []cdr.Entry {
	var out []cdr.Entry
	for i := 1; i <= 25; i++ {
		start := time.Date(2024, time.March, 1+i%27, 8+i%10, i*7%60, i*13%60, 0, dbBerlin)
		if i == 7 {
			start = start.Add(250 * time.Millisecond)
		}
		if i == 20 {
			start = time.Date(2024, time.July, 15, 13, 5, 9, 0, dbBerlin)
		}
		e := cdr.Entry{
			ID:              int64(i * 10),
			CallID:          fmt.Sprintf("1709%06d", (i+1)/2),
			CallStepID:      fmt.Sprintf("%d", 1+i%3),
			CDRAccountID:    cdr.AccountID(10 + i%4),
			CallerAccountID: 12,
			CalledAccountID: cdr.AccountID(10 + i%4),
			CallerCallerID:  cdr.CallerID{Name: "Anna Agent", Number: "12"},
			CalledCallerID:  cdr.CallerID{Name: "Vertrieb"},
			ServiceID:       int64(i % 3),
			StartTime:       start,
			RingingTime:     start.Add(2 * time.Second),
			LinkTime:        start.Add(9 * time.Second),
			CallResultTime:  start.Add(time.Duration(30+i) * time.Second),
			CallResult:      cdr.Connected,
			LineID:          "1",
			LineName:        "Telekom SIP",
			CallbackNumber:  "12",
			Incoming:        i%2 == 1,
			Answered:        true,
			HasMonitor:      i%8 == 1,
			Duration:        int64(21 + i),
			Login:           "anna",
			Site:            site,
		}
		if i%2 == 0 {
			e.CallLegUUID = fmt.Sprintf("4f1c2d3e-0000-4000-8000-%012d", i)
		} else {
			e.ChannelName = fmt.Sprintf("SIP/12-%08x", i)
		}
		if i%4 == 0 { // external caller
			e.CallerAccountID = 0
			e.CallerCallerID = cdr.CallerID{Number: "+4971112345"}
			e.CallbackNumber = "+4971112345"
			e.CallbackNumberExtern = true
			e.LineID, e.LineName = "2", "Vodafone"
		}
		if i%3 == 0 { // a member that rang, answered elsewhere
			e.LinkTime = time.Time{}
			e.CallResult = cdr.NotConnected
			e.Answered = false
			e.AnsweredElsewhere = 13
			e.CallResultCausedBy = "13"
			e.Duration = 0
		}
		if i%5 == 0 {
			e.Deleted = true
		}
		if i%6 == 0 {
			e.HasVoicemail = true
		}
		if i%7 == 0 { // nothing known about the caller
			e.CallerCallerID = cdr.CallerID{}
			e.Login = ""
			e.CallStepID = ""
			e.LineID, e.LineName = "", ""
			e.RingingTime = time.Time{}
		}
		if i%9 == 0 {
			e.SummaryStep = true
		}
		switch i {
		case 11:
			e.HasFax = true
		case 13:
			e.PrivateCall = true
			e.CallerCallerID = cdr.CallerID{Name: "Privat"}
		case 17:
			e.CallResult = cdr.AnsweredElsewhere
			e.CallResultTime = time.Time{}
		case 23:
			e.ID = 229 // an irregular gap
		}
		out = append(out, e)
	}
	return out
}

type colKind uint8

const (
	kText colKind = iota
	kInt
	kBool
	kTime
)

type seedColumn struct {
	name string
	kind colKind
	get  func(e *cdr.Entry) any
}

// seedColumns are the documented cdrdata columns with the database
// spelling answeredelsewhere, in the order of the table; id comes first.
var seedColumns = []seedColumn{
	{"callid", kText, func(e *cdr.Entry) any { return e.CallID }},
	{"callstepid", kText, func(e *cdr.Entry) any { return e.CallStepID }},
	{"callleguuid", kText, func(e *cdr.Entry) any { return e.CallLegUUID }},
	{"channelname", kText, func(e *cdr.Entry) any { return e.ChannelName }},
	{"cdraccountid", kInt, func(e *cdr.Entry) any { return int64(e.CDRAccountID) }},
	{"calleraccountid", kInt, func(e *cdr.Entry) any { return int64(e.CallerAccountID) }},
	{"calledaccountid", kInt, func(e *cdr.Entry) any { return int64(e.CalledAccountID) }},
	{"callercallerid", kText, func(e *cdr.Entry) any { return e.CallerCallerID.String() }},
	{"calledcallerid", kText, func(e *cdr.Entry) any { return e.CalledCallerID.String() }},
	{"serviceid", kInt, func(e *cdr.Entry) any { return e.ServiceID }},
	{"starttime", kTime, func(e *cdr.Entry) any { return e.StartTime }},
	{"ringingtime", kTime, func(e *cdr.Entry) any { return e.RingingTime }},
	{"linktime", kTime, func(e *cdr.Entry) any { return e.LinkTime }},
	{"callresulttime", kTime, func(e *cdr.Entry) any { return e.CallResultTime }},
	{"callresult", kText, func(e *cdr.Entry) any { return string(e.CallResult) }},
	{"callresultcausedby", kText, func(e *cdr.Entry) any { return e.CallResultCausedBy }},
	{"lineid", kText, func(e *cdr.Entry) any { return e.LineID }},
	{"linename", kText, func(e *cdr.Entry) any { return e.LineName }},
	{"callbacknumber", kText, func(e *cdr.Entry) any { return e.CallbackNumber }},
	{"callbacknumberextern", kBool, func(e *cdr.Entry) any { return e.CallbackNumberExtern }},
	{"answeredelsewhere", kInt, func(e *cdr.Entry) any { return int64(e.AnsweredElsewhere) }},
	{"incoming", kBool, func(e *cdr.Entry) any { return e.Incoming }},
	{"answered", kBool, func(e *cdr.Entry) any { return e.Answered }},
	{"hasvoicemail", kBool, func(e *cdr.Entry) any { return e.HasVoicemail }},
	{"hasmonitor", kBool, func(e *cdr.Entry) any { return e.HasMonitor }},
	{"hasfax", kBool, func(e *cdr.Entry) any { return e.HasFax }},
	{"deleted", kBool, func(e *cdr.Entry) any { return e.Deleted }},
	{"privatecall", kBool, func(e *cdr.Entry) any { return e.PrivateCall }},
	{"summarystep", kBool, func(e *cdr.Entry) any { return e.SummaryStep }},
	{"duration", kInt, func(e *cdr.Entry) any { return e.Duration }},
	{"login", kText, func(e *cdr.Entry) any { return e.Login }},
}

// dialect describes how one database spells the seed table.
type dialect struct {
	name   string
	db     *sql.DB
	style  cdr.PlaceholderStyle
	idType string
	types  map[colKind]string
	// override gives some columns another DDL type; a type containing "tz"
	// is zoned and is seeded with RFC 3339 text.
	override map[string]string
	rename   func(string) string // the column name in the DDL
	reverse  bool                // create the columns in reverse order
	wall     bool                // time columns hold wall-clock timestamps, not epoch ms
}

func (d dialect) ph(i int) string {
	if d.style == cdr.Dollar {
		return fmt.Sprintf("$%d", i)
	}
	return "?"
}

func (d dialect) colName(n string) string {
	if d.rename != nil {
		return d.rename(n)
	}
	return n
}

func (d dialect) colType(c seedColumn) string {
	if t, ok := d.override[c.name]; ok {
		return t
	}
	return d.types[c.kind]
}

func (d dialect) columns() []seedColumn {
	cols := append([]seedColumn(nil), seedColumns...)
	if d.reverse {
		for i, j := 0, len(cols)-1; i < j; i, j = i+1, j-1 {
			cols[i], cols[j] = cols[j], cols[i]
		}
	}
	return cols
}

func dbExec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// createSeedTable creates table with the seed columns plus an unknown one
// and inserts rows. Even rows store zero values as NULL, odd rows as 0, empty text
// or false (zero times: NULL in wall-clock tables, 0 in epoch tables).
func createSeedTable(t *testing.T, d dialect, table string, rows []cdr.Entry) {
	t.Helper()
	var ddl strings.Builder
	fmt.Fprintf(&ddl, "CREATE TABLE %s (%s %s PRIMARY KEY", table, d.colName("id"), d.idType)
	for _, c := range d.columns() {
		fmt.Fprintf(&ddl, ", %s %s", d.colName(c.name), d.colType(c))
	}
	fmt.Fprintf(&ddl, ", %s %s)", d.colName("extra_unknown"), d.types[kText])
	dbExec(t, d.db, ddl.String())
	for i, e := range rows {
		insertSeed(t, d, table, e, i%2 == 0)
	}
}

func insertSeed(t *testing.T, d dialect, table string, e cdr.Entry, nullZero bool) {
	t.Helper()
	names := []string{d.colName("id"), d.colName("extra_unknown")}
	args := []any{e.ID, "ignored by the reader"}
	for _, c := range d.columns() {
		names = append(names, d.colName(c.name))
		zoned := strings.Contains(strings.ToLower(d.colType(c)), "tz")
		args = append(args, d.encode(c.get(&e), nullZero, zoned))
	}
	ph := make([]string, len(names))
	for i := range ph {
		ph[i] = d.ph(i + 1)
	}
	dbExec(t, d.db, fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, strings.Join(names, ", "), strings.Join(ph, ", ")), args...)
}

func (d dialect) encode(v any, nullZero, zoned bool) any {
	switch v := v.(type) {
	case string:
		if v == "" && nullZero {
			return nil
		}
		return v
	case int64:
		if v == 0 && nullZero {
			return nil
		}
		return v
	case bool:
		if !v && nullZero {
			return nil
		}
		return v
	case time.Time:
		switch {
		case v.IsZero() && (nullZero || d.wall):
			return nil
		case v.IsZero():
			return int64(0)
		case d.wall && zoned:
			return v.Format(time.RFC3339Nano)
		case d.wall:
			return v.In(dbBerlin).Format("2006-01-02 15:04:05.000")
		}
		return v.UnixMilli()
	}
	panic(fmt.Sprintf("encode %T", v))
}

// readAll collects a stream.
func readAll(seq func(func(cdr.Entry, error) bool)) (entries []cdr.Entry, errs []error) {
	for e, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		entries = append(entries, e)
	}
	return entries, errs
}

func afterID(rows []cdr.Entry, id int64) []cdr.Entry {
	var out []cdr.Entry
	for _, e := range rows {
		if e.ID > id {
			out = append(out, e)
		}
	}
	return out
}

// testReadDBCore is the core test every database runs: d's seed table read
// whole, from cursors, in batches, resumed, stopped, cancelled, and
// extended.
func testReadDBCore(t *testing.T, d dialect, table string) {
	want := seedEntries("hq")
	createSeedTable(t, d, table, want)
	opts := func(more ...cdr.DBOption) []cdr.DBOption {
		return append([]cdr.DBOption{cdr.WithTable(table), cdr.WithPlaceholders(d.style), cdr.WithDBSite("hq")}, more...)
	}
	ctx := t.Context()

	t.Run("all rows in id order", func(t *testing.T) {
		got, errs := readAll(cdr.ReadDB(ctx, d.db, opts()...))
		if len(errs) > 0 {
			t.Fatalf("errors: %v", errs)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ReadDB mismatch (-want +got):\n%s", diff)
		}
		for _, e := range got {
			if loc := e.StartTime.Location(); loc.String() != "Europe/Berlin" {
				t.Fatalf("id %d: start time in %v, want Europe/Berlin", e.ID, loc)
			}
		}
	})

	t.Run("after id", func(t *testing.T) {
		for _, after := range []int64{-1, 0, want[0].ID, 95, want[12].ID, want[23].ID, want[24].ID, 1 << 40} {
			t.Run(fmt.Sprint(after), func(t *testing.T) {
				got, errs := readAll(cdr.ReadDB(ctx, d.db, opts(cdr.WithAfterID(after))...))
				if len(errs) > 0 {
					t.Fatalf("errors: %v", errs)
				}
				if diff := cmp.Diff(afterID(want, after), got); diff != "" {
					t.Errorf("WithAfterID(%d) mismatch (-want +got):\n%s", after, diff)
				}
			})
		}
	})

	t.Run("batch sizes", func(t *testing.T) {
		for _, n := range []int{1, 3, 4, 24, 25, 26, 5000} {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				got, errs := readAll(cdr.ReadDB(ctx, d.db, opts(cdr.WithBatchSize(n), cdr.WithAfterID(want[1].ID))...))
				if len(errs) > 0 {
					t.Fatalf("errors: %v", errs)
				}
				if diff := cmp.Diff(want[2:], got); diff != "" {
					t.Errorf("WithBatchSize(%d) mismatch (-want +got):\n%s", n, diff)
				}
			})
		}
	})

	t.Run("resume from cursor", func(t *testing.T) {
		// Read four rows at a time, as a poller would, resuming from the
		// last id each time.
		var got []cdr.Entry
		var last int64
		for round := 0; round < 20; round++ {
			n := 0
			for e, err := range cdr.ReadDB(ctx, d.db, opts(cdr.WithAfterID(last), cdr.WithBatchSize(3))...) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, e)
				last = e.ID
				if n++; n == 4 {
					break
				}
			}
			if n == 0 {
				break
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("resumed reads mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("early break", func(t *testing.T) {
		n := 0
		for _, err := range cdr.ReadDB(ctx, d.db, opts(cdr.WithBatchSize(3))...) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 5 {
				break
			}
		}
		if n != 5 {
			t.Fatalf("read %d rows, want 5", n)
		}
		if s := d.db.Stats(); s.InUse != 0 {
			t.Errorf("after break: %d connections in use, want 0", s.InUse)
		}
	})

	t.Run("context cancelled while iterating", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var got []cdr.Entry
		var errs []error
		for e, err := range cdr.ReadDB(ctx, d.db, opts(cdr.WithBatchSize(3))...) {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			got = append(got, e)
			if len(got) == 4 {
				cancel()
			}
		}
		if len(got) != 4 || len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
			t.Fatalf("got %d rows and errors %v; want 4 rows and one context.Canceled", len(got), errs)
		}
	})

	t.Run("context cancelled before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		got, errs := readAll(cdr.ReadDB(ctx, d.db, opts()...))
		if len(got) != 0 || len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
			t.Fatalf("got %d rows and errors %v; want no rows and one context.Canceled", len(got), errs)
		}
	})

	t.Run("new row after a read", func(t *testing.T) {
		var last int64
		for e, err := range cdr.ReadDB(ctx, d.db, opts(cdr.WithBatchSize(7))...) {
			if err != nil {
				t.Fatal(err)
			}
			last = e.ID
		}
		if last != want[len(want)-1].ID {
			t.Fatalf("last id %d, want %d", last, want[len(want)-1].ID)
		}
		added := seedEntries("hq")[5]
		added.ID = last + 3
		added.CallID = "1709999999"
		insertSeed(t, d, table, added, true)

		got, errs := readAll(cdr.ReadDB(ctx, d.db, opts(cdr.WithAfterID(last), cdr.WithBatchSize(7))...))
		if len(errs) > 0 {
			t.Fatalf("errors: %v", errs)
		}
		if diff := cmp.Diff([]cdr.Entry{added}, got); diff != "" {
			t.Errorf("read after the insert mismatch (-want +got):\n%s", diff)
		}
		got, errs = readAll(cdr.ReadDB(ctx, d.db, opts(cdr.WithAfterID(added.ID))...))
		if len(got)+len(errs) != 0 {
			t.Errorf("read after the new row: %d rows, errors %v; want nothing", len(got), errs)
		}
	})
}

// textRow is a row of the text-typed table of testReadDBText; nil is NULL.
type textRow struct {
	id                                      int64
	callid, cdr, caller, called             any
	start, ringing, link, answered, deleted any
}

// testReadDBText reads a table whose columns are all text, as an export
// into another database may have them: text times and flags in every
// accepted form, and bad values that must name the row and the column
// without stopping the rows after them.
func testReadDBText(t *testing.T, d dialect, table string) {
	rows := []textRow{
		{1, "c1", "12", "0", "12", "01.03.2024 10:00:00", "01.03.2024 09:59:58", "01.03.2024 10:00:05", "true", "f"},
		{2, "c2", "12", "12", "13", "2024-03-01T09:00:00Z", nil, "", "1", "no"},
		{3, "c3", "12", "0", "12", "abc", nil, nil, "false", "0"},
		{4, "c4", "13", "x", "12", "1709283600000", "", nil, "vielleicht", "t"},
		{5, "c5", "", nil, "12", "2024-03-01 11:30:00", nil, nil, "YES", "yes"},
		{6, "c6", "12", "0", "12", "2024-03-01 10:00:00+01", nil, nil, "0", ""},
	}
	text := d.types[kText]
	dbExec(t, d.db, fmt.Sprintf("CREATE TABLE %s (id %s PRIMARY KEY, callid %s, cdraccountid %s, calleraccountid %s, calledaccountid %s, starttime %s, ringingtime %s, linktime %s, answered %s, deleted %s)",
		table, d.idType, text, text, text, text, text, text, text, text, text))
	for _, r := range rows {
		var ph []string
		for i := 1; i <= 10; i++ {
			ph = append(ph, d.ph(i))
		}
		dbExec(t, d.db, fmt.Sprintf("INSERT INTO %s VALUES (%s)", table, strings.Join(ph, ", ")),
			r.id, r.callid, r.cdr, r.caller, r.called, r.start, r.ringing, r.link, r.answered, r.deleted)
	}
	at := func(h, m, s int, loc *time.Location) time.Time {
		return time.Date(2024, time.March, 1, h, m, s, 0, loc)
	}

	type rowErr struct {
		ID     int64
		Column string
	}
	tests := []struct {
		name     string
		loc      *time.Location
		want     []cdr.Entry
		wantErrs [][]rowErr // per yielded row: the columns that failed
	}{{
		name: "Europe/Berlin",
		want: []cdr.Entry{
			{ID: 1, CallID: "c1", CDRAccountID: 12, CalledAccountID: 12, StartTime: at(10, 0, 0, dbBerlin), RingingTime: at(9, 59, 58, dbBerlin), LinkTime: at(10, 0, 5, dbBerlin), Answered: true},
			{ID: 2, CallID: "c2", CDRAccountID: 12, CallerAccountID: 12, CalledAccountID: 13, StartTime: at(9, 0, 0, time.UTC), Answered: true},
			{ID: 3, CallID: "c3", CDRAccountID: 12, CalledAccountID: 12},
			{ID: 4, CallID: "c4", CDRAccountID: 13, CalledAccountID: 12, StartTime: at(9, 0, 0, time.UTC), Deleted: true},
			{ID: 5, CallID: "c5", CalledAccountID: 12, StartTime: at(11, 30, 0, dbBerlin), Answered: true, Deleted: true},
			{ID: 6, CallID: "c6", CDRAccountID: 12, CalledAccountID: 12, StartTime: at(9, 0, 0, time.UTC)},
		},
		wantErrs: [][]rowErr{nil, nil, {{3, "starttime"}}, {{4, "calleraccountid"}, {4, "answered"}}, nil, nil},
	}, {
		name: "UTC",
		loc:  time.UTC,
		want: []cdr.Entry{
			{ID: 1, CallID: "c1", CDRAccountID: 12, CalledAccountID: 12, StartTime: at(10, 0, 0, time.UTC), RingingTime: at(9, 59, 58, time.UTC), LinkTime: at(10, 0, 5, time.UTC), Answered: true},
			{ID: 2, CallID: "c2", CDRAccountID: 12, CallerAccountID: 12, CalledAccountID: 13, StartTime: at(9, 0, 0, time.UTC), Answered: true},
			{ID: 3, CallID: "c3", CDRAccountID: 12, CalledAccountID: 12},
			{ID: 4, CallID: "c4", CDRAccountID: 13, CalledAccountID: 12, StartTime: at(9, 0, 0, time.UTC), Deleted: true},
			{ID: 5, CallID: "c5", CalledAccountID: 12, StartTime: at(11, 30, 0, time.UTC), Answered: true, Deleted: true},
			{ID: 6, CallID: "c6", CDRAccountID: 12, CalledAccountID: 12, StartTime: at(9, 0, 0, time.UTC)},
		},
		wantErrs: [][]rowErr{nil, nil, {{3, "starttime"}}, {{4, "calleraccountid"}, {4, "answered"}}, nil, nil},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []cdr.DBOption{cdr.WithTable(table), cdr.WithPlaceholders(d.style), cdr.WithBatchSize(2)}
			if tt.loc != nil {
				opts = append(opts, cdr.WithDBLocation(tt.loc))
			}
			var got []cdr.Entry
			var gotErrs [][]rowErr
			for e, err := range cdr.ReadDB(t.Context(), d.db, opts...) {
				got = append(got, e)
				var re []rowErr
				for _, de := range dbErrors(err) {
					re = append(re, rowErr{de.ID, de.Column})
					if !strings.Contains(err.Error(), fmt.Sprintf("row id %d, column %s", de.ID, de.Column)) {
						t.Errorf("error %q does not name row id %d and column %s", err, de.ID, de.Column)
					}
					if de.Table != table {
						t.Errorf("DBError.Table = %q, want %q", de.Table, table)
					}
				}
				if err != nil && len(re) == 0 {
					t.Errorf("row %d: error %v is no *cdr.DBError", e.ID, err)
				}
				gotErrs = append(gotErrs, re)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("entries mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErrs, gotErrs); diff != "" {
				t.Errorf("row errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// dbErrors returns the *cdr.DBErrors in err's tree, in order.
func dbErrors(err error) []*cdr.DBError {
	if err == nil {
		return nil
	}
	if de, ok := err.(*cdr.DBError); ok {
		return []*cdr.DBError{de}
	}
	var out []*cdr.DBError
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, dbErrors(e)...)
		}
	case interface{ Unwrap() error }:
		out = dbErrors(u.Unwrap())
	}
	return out
}

// testReadDBTableErrors covers tables ReadDB cannot read at all: short
// lacks required columns, absent does not exist.
func testReadDBTableErrors(t *testing.T, d dialect, short, absent string) {
	ctx := t.Context()
	t.Run("missing required columns", func(t *testing.T) {
		table := short
		dbExec(t, d.db, fmt.Sprintf("CREATE TABLE %s (id %s PRIMARY KEY, callid %s, cdraccountid %s, calledaccountid %s, something %s)",
			table, d.idType, d.types[kText], d.types[kInt], d.types[kInt], d.types[kText]))
		for i := 1; i <= 3; i++ {
			dbExec(t, d.db, fmt.Sprintf("INSERT INTO %s (id, callid, cdraccountid, calledaccountid) VALUES (%s, %s, %s, %s)", table, d.ph(1), d.ph(2), d.ph(3), d.ph(4)),
				i, "c", 12, 13)
		}
		got, errs := readAll(cdr.ReadDB(ctx, d.db, cdr.WithTable(table), cdr.WithPlaceholders(d.style), cdr.WithBatchSize(1)))
		if len(got) != 0 || len(errs) != 1 {
			t.Fatalf("got %d rows and errors %v; want no rows and one error", len(got), errs)
		}
		err := errs[0]
		if !errors.Is(err, cdr.ErrMissingColumn) {
			t.Errorf("error %v does not wrap ErrMissingColumn", err)
		}
		var cols []string
		for _, de := range dbErrors(err) {
			cols = append(cols, de.Column)
		}
		if diff := cmp.Diff([]string{"calleraccountid", "starttime"}, cols); diff != "" {
			t.Errorf("missing columns (-want +got):\n%s", diff)
		}
		if msg := err.Error(); !strings.Contains(msg, "calleraccountid") || !strings.Contains(msg, "starttime") || !strings.Contains(msg, table) {
			t.Errorf("error %q does not name the table and both columns", msg)
		}
	})

	t.Run("query error", func(t *testing.T) {
		table := absent
		got, errs := readAll(cdr.ReadDB(ctx, d.db, cdr.WithTable(table), cdr.WithPlaceholders(d.style)))
		if len(got) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Error(), table) {
			t.Fatalf("got %d rows and errors %v; want no rows and one error naming %s", len(got), errs, table)
		}
	})

	t.Run("options", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			opts []cdr.DBOption
			db   *sql.DB
			want string
		}{
			{"empty table", []cdr.DBOption{cdr.WithTable("")}, d.db, `WithTable("")`},
			{"injection", []cdr.DBOption{cdr.WithTable("cdrdata; DROP TABLE cdrdata")}, d.db, "only letters"},
			{"quote", []cdr.DBOption{cdr.WithTable(`cdr"data`)}, d.db, "only letters"},
			{"backtick", []cdr.DBOption{cdr.WithTable("cdr`data")}, d.db, "only letters"},
			{"empty part", []cdr.DBOption{cdr.WithTable("public..cdrdata")}, d.db, "part 2"},
			{"four parts", []cdr.DBOption{cdr.WithTable("a.b.c.d")}, d.db, "at most"},
			{"batch size", []cdr.DBOption{cdr.WithBatchSize(0)}, d.db, "WithBatchSize(0)"},
			{"location", []cdr.DBOption{cdr.WithDBLocation(nil)}, d.db, "WithDBLocation(nil)"},
			{"placeholders", []cdr.DBOption{cdr.WithPlaceholders(9)}, d.db, "WithPlaceholders"},
			{"nil db", nil, nil, "db is nil"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, errs := readAll(cdr.ReadDB(ctx, tt.db, tt.opts...))
				if len(got) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) {
					t.Fatalf("got %d rows and errors %v; want one error containing %q", len(got), errs, tt.want)
				}
			})
		}
	})
}

// The seed table as STARFACE has it on PostgreSQL: times in epoch
// milliseconds.
func postgresDialect(db *sql.DB) dialect {
	return dialect{
		name:   "postgres",
		db:     db,
		style:  cdr.Dollar,
		idType: "bigint",
		types:  map[colKind]string{kText: "varchar(255)", kInt: "integer", kBool: "boolean", kTime: "bigint"},
		override: map[string]string{
			"duration":  "bigint",
			"serviceid": "smallint",
		},
	}
}

func TestReadDBPostgres(t *testing.T) {
	t.Parallel()
	db := testdb.Postgres(t)
	schema := testdb.PostgresSchema(t, db)
	d := postgresDialect(db)

	t.Run("epoch milliseconds", func(t *testing.T) { testReadDBCore(t, d, schema+".cdrdata") })

	t.Run("timestamp columns", func(t *testing.T) {
		w := d
		w.wall = true
		w.types = map[colKind]string{kText: "text", kInt: "bigint", kBool: "boolean", kTime: "timestamp(3)"}
		w.override = map[string]string{"starttime": "timestamptz(3)", "lineid": "varchar(16)"}
		testReadDBCore(t, w, schema+".cdrdata_ts")
	})

	t.Run("text values", func(t *testing.T) { testReadDBText(t, d, schema+".cdrdata_text") })
	t.Run("table errors", func(t *testing.T) {
		testReadDBTableErrors(t, d, schema+".cdrdata_short", schema+".cdrdata_absent")
	})

	t.Run("qualified names", func(t *testing.T) {
		var dbName string
		if err := db.QueryRowContext(t.Context(), "SELECT current_database()").Scan(&dbName); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{schema + ".cdrdata", dbName + "." + schema + ".cdrdata"} {
			got, errs := readAll(cdr.ReadDB(t.Context(), db, cdr.WithTable(name)))
			if len(errs) != 0 || len(got) != 26 { // 25 seeded, 1 added by the core test
				t.Errorf("WithTable(%q): %d rows, errors %v; want 26 rows", name, len(got), errs)
			}
		}
	})
}

func mysqlDialect(db *sql.DB) dialect {
	return dialect{
		name:    "mysql",
		db:      db,
		style:   cdr.Question,
		idType:  "BIGINT",
		types:   map[colKind]string{kText: "VARCHAR(255)", kInt: "INT", kBool: "TINYINT(1)", kTime: "BIGINT"},
		reverse: true,
	}
}

func TestReadDBMySQL(t *testing.T) {
	t.Parallel()
	db := testdb.MySQL(t)
	d := mysqlDialect(db)

	t.Run("epoch milliseconds", func(t *testing.T) { testReadDBCore(t, d, testdb.Table(t, db, "si_cdrdata")) })

	t.Run("DATETIME columns", func(t *testing.T) {
		w := d
		w.wall = true
		w.types = map[colKind]string{kText: "VARCHAR(255)", kInt: "BIGINT", kBool: "BOOLEAN", kTime: "DATETIME(3)"}
		w.override = map[string]string{"callresulttime": "TIMESTAMP(3) NULL"}
		testReadDBCore(t, w, testdb.Table(t, db, "si_cdrdata_dt"))
	})

	t.Run("DATETIME columns without parseTime", func(t *testing.T) {
		cfg, err := mysql.ParseDSN(os.Getenv(testdb.MySQLEnv))
		if err != nil {
			t.Fatal(err)
		}
		cfg.ParseTime = false
		raw, err := sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		w := mysqlDialect(raw)
		w.wall = true
		w.types = map[colKind]string{kText: "TEXT", kInt: "BIGINT", kBool: "BIT(1)", kTime: "DATETIME(3)"}
		testReadDBCore(t, w, testdb.Table(t, raw, "si_cdrdata_raw"))
	})

	t.Run("text values", func(t *testing.T) { testReadDBText(t, d, testdb.Table(t, db, "si_cdrdata_text")) })
	t.Run("table errors", func(t *testing.T) {
		testReadDBTableErrors(t, d, testdb.Table(t, db, "si_cdrdata_short"), testdb.Name("si_cdrdata_absent"))
	})
}

func sqliteDialect(db *sql.DB) dialect {
	return dialect{
		name:   "sqlite",
		db:     db,
		style:  cdr.Question,
		idType: "INTEGER",
		types:  map[colKind]string{kText: "TEXT", kInt: "INTEGER", kBool: "BOOLEAN", kTime: "INTEGER"},
		// Other spellings: upper-case names and the CSV's answeredelswhere.
		rename: func(s string) string {
			if s == "answeredelsewhere" {
				return "ANSWEREDELSWHERE"
			}
			return strings.ToUpper(s)
		},
	}
}

func TestReadDBSQLite(t *testing.T) {
	t.Parallel()
	db := testdb.SQLite(t)
	d := sqliteDialect(db)

	t.Run("epoch milliseconds", func(t *testing.T) { testReadDBCore(t, d, "cdrdata") })

	t.Run("DATETIME columns", func(t *testing.T) {
		w := d
		w.wall = true
		w.types = map[colKind]string{kText: "TEXT", kInt: "INTEGER", kBool: "BOOLEAN", kTime: "DATETIME"}
		testReadDBCore(t, w, "cdrdata_dt")
	})

	t.Run("text values", func(t *testing.T) { testReadDBText(t, d, "cdrdata_text") })
	t.Run("table errors", func(t *testing.T) { testReadDBTableErrors(t, d, "cdrdata_short", "cdrdata_absent") })

	t.Run("default table name", func(t *testing.T) {
		got, errs := readAll(cdr.ReadDB(t.Context(), db, cdr.WithPlaceholders(cdr.Question)))
		if len(errs) != 0 || len(got) != 26 { // 25 seeded, 1 added by the core test
			t.Errorf("%d rows, errors %v; want 26 rows", len(got), errs)
		}
	})

	t.Run("loop body uses the database", func(t *testing.T) {
		// A batch is fetched and its transaction ended before its rows are
		// yielded, so the loop may query the same pool, even one limited to
		// a single connection.
		db.SetMaxOpenConns(1)
		defer db.SetMaxOpenConns(0)
		n := 0
		for e, err := range cdr.ReadDB(t.Context(), db, cdr.WithTable("cdrdata"), cdr.WithPlaceholders(cdr.Question), cdr.WithBatchSize(4)) {
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			var callID string
			err = db.QueryRowContext(ctx, "SELECT callid FROM cdrdata WHERE id = ?", e.ID).Scan(&callID)
			cancel()
			if err != nil {
				t.Fatalf("id %d: query inside the loop: %v", e.ID, err)
			}
			if callID != e.CallID {
				t.Fatalf("id %d: callid %q, want %q", e.ID, callID, e.CallID)
			}
			n++
		}
		if n != 26 {
			t.Errorf("read %d rows, want 26", n)
		}
	})
}

// refusingConnector opens connections of a real driver that refuse
// read-only transactions, as some drivers do.
type refusingConnector struct {
	drv      driver.Driver
	dsn      string
	refusals *atomic.Int32
}

func (c refusingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return refusingConn{conn, c.refusals}, nil
}

func (c refusingConnector) Driver() driver.Driver { return c.drv }

type refusingConn struct {
	driver.Conn
	refusals *atomic.Int32
}

func (c refusingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if opts.ReadOnly {
		c.refusals.Add(1)
		return nil, errors.New("read-only transactions are not supported")
	}
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func TestReadDBWithoutReadOnlyTransactions(t *testing.T) {
	t.Parallel()
	refusals := new(atomic.Int32)
	path := filepath.Join(t.TempDir(), "refusing.sqlite")
	db := sql.OpenDB(refusingConnector{drv: testdb.SQLite(t).Driver(), dsn: "file:" + filepath.ToSlash(path), refusals: refusals})
	t.Cleanup(func() { db.Close() })
	d := sqliteDialect(db)
	want := seedEntries("")
	createSeedTable(t, d, "cdrdata", want)

	got, errs := readAll(cdr.ReadDB(t.Context(), db, cdr.WithPlaceholders(cdr.Question), cdr.WithBatchSize(4)))
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadDB mismatch (-want +got):\n%s", diff)
	}
	// Seven batches, but the refusal is remembered after the first.
	if n := refusals.Load(); n != 1 {
		t.Errorf("%d read-only transactions attempted, want 1", n)
	}
}

func ExampleReadDB() {
	// A database/sql driver must be registered by the program, e.g.
	//	import _ "github.com/jackc/pgx/v5/stdlib"
	db, err := sql.Open("pgx", os.Getenv("STARFACE_DB_DSN"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	var last int64 // load the cursor persisted by the previous run
	for e, err := range cdr.ReadDB(context.Background(), db, cdr.WithAfterID(last), cdr.WithDBSite("hq")) {
		if err != nil {
			fmt.Println(err) // a row error names the id and the column; reading goes on
		}
		if e.ID > last {
			last = e.ID
		}
		// ... use e ...
	}
	// persist last for the next run
}
