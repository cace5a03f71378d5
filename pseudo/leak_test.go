package pseudo_test

import (
	"bytes"
	"database/sql"
	"encoding"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
	"github.com/starinsight/starinsight/internal/testdb"
	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/pseudo/pseudotest"
)

// The leak test (issue 4) runs the whole path from raw rows to the bytes
// the sinks would write, and looks in those bytes for every personal value
// of the clear rows. It proves that what leaves the company under the
// default policy holds no name, number, call id or login in any form, and
// that the scan would have seen them: the same path in clear is full of
// them.

// leakWeek is a call centre of 14 agents, 3 ring-all groups and 3 iQueues
// for a week; about a third of the external callers send a name.
var leakWeek = sim.Config{Seed: 21, Site: "Stuttgart", Agents: 14, Groups: 3, IQueues: 3, CallsPerDay: 150}

// leakPlan is the PBX's number plan, used by the interpreter, the
// pseudonymiser and the corpus alike.
var leakPlan = cdr.GermanPlan("711")

// leakData is every batch a sink may receive.
type leakData struct {
	entries     []cdr.Entry
	accounts    []cdr.Account
	legs        []callflow.Leg
	journeys    []callflow.Journey
	lostCalls   []callflow.LostCall
	lostCallers []callflow.LostCaller
	parties     []callflow.PartyKPI
	buddies     []callflow.BestBuddy
	repeats     []callflow.RepeatCall
	users       []live.UserState
	queues      []live.QueueState
}

// leakSimulate generates the week, makes its call ids embed the caller's
// number and name as STARFACE's may, interprets it, computes the reports
// and builds live snapshots. It returns the clear data and the corpus of
// its personal values.
func leakSimulate(t *testing.T) (leakData, *pseudotest.Corpus) {
	t.Helper()
	var d leakData
	for e := range sim.Generate(leakWeek) {
		d.entries = append(d.entries, e)
	}
	require.NotEmpty(t, d.entries)
	// One new id per call, from its first row, so the rows of a call stay
	// together: uuid;caller number;caller name.
	ids := map[string]string{}
	for i := range d.entries {
		e := &d.entries[i]
		id, ok := ids[e.CallID]
		if !ok {
			id = e.CallID + ";" + e.CallerCallerID.Number + ";" + e.CallerCallerID.Name
			ids[e.CallID] = id
		}
		e.CallID = id
	}
	d.accounts = leakWeek.Accounts()
	dir, err := cdr.NewDirectory(d.accounts...)
	require.NoError(t, err)
	in, err := callflow.New(dir, callflow.WithNumberPlan(leakPlan))
	require.NoError(t, err)
	calls := in.InterpretAll(d.entries)
	require.Len(t, calls, len(ids))
	for _, c := range calls {
		d.journeys = append(d.journeys, c.Journey)
		d.legs = append(d.legs, c.Legs...)
	}

	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	r, err := callflow.NewReporter(callflow.ReportConfig{Location: loc, Window: callflow.WindowHour})
	require.NoError(t, err)
	d.lostCalls = r.LostCalls(calls)
	d.lostCallers = r.LostCallers(calls, time.Time{})
	d.parties = r.Parties(calls)
	d.buddies = r.BestBuddies(calls, 0).Pairs
	d.repeats = r.RepeatCalls(calls, time.Time{}).Calls

	d.users, d.queues = leakSnapshots(calls, dir)
	return d, pseudotest.CorpusFromEntries(d.entries, d.accounts, leakPlan)
}

// leakSnapshots builds live data from the calls: the answering agent's
// state at every answered inbound call, with a presence message naming a
// colleague, and a group's load at every queue visit.
func leakSnapshots(calls []callflow.Call, dir *cdr.Directory) ([]live.UserState, []live.QueueState) {
	var users []live.UserState
	var queues []live.QueueState
	agents := []cdr.Account{}
	for _, a := range dir.Accounts() {
		if a.Type == cdr.AccountUser {
			agents = append(agents, a)
		}
	}
	for i, c := range calls {
		j := c.Journey
		if j.Direction == callflow.Inbound && j.Answered && dir.Known(j.AnsweredBy) {
			agent, colleague := dir.Lookup(j.AnsweredBy), agents[i%len(agents)]
			var groups []cdr.AccountID
			if j.AnsweredVia != 0 {
				groups = []cdr.AccountID{j.AnsweredVia}
			}
			users = append(users, live.UserState{
				At: j.Answer, Site: j.Site, AccountID: agent.ID, Name: agent.Name,
				Telephony: live.TelephonyActive, LoggedIn: true, ChatPresence: "busy",
				ChatPresenceMessage: "Im Kundengespräch, Vertretung: " + colleague.Name + " (" + colleague.Login + ")",
				GroupIDs:            groups, CallID: j.CallID, CallState: live.CallConnected,
				CallerName: j.CallerCallerID.Name, CallerNumber: j.CallerNumber, CallStart: j.Answer, Talk: j.Talk / 2,
			})
		}
		for _, q := range j.Queues {
			g := dir.Lookup(q.GroupID)
			queues = append(queues, live.QueueState{
				At: q.Arrival, Site: j.Site, AccountID: g.ID, Type: g.Type, Name: g.Name,
				WaitingCalls: 1 + i%5, ConnectedCalls: i % 3, IQueueSize: g.IQueueSize, MaxWait: g.MaxWait,
			})
		}
	}
	return users, queues
}

// leakConceal passes every batch through pseudo.Apply, as a sink does.
func leakConceal(t *testing.T, p *pseudo.Pseudonymiser, d leakData) leakData {
	t.Helper()
	var out leakData
	var err error
	apply := func(dst, src any) {
		if err != nil {
			return
		}
		switch s := src.(type) {
		case []cdr.Entry:
			*dst.(*[]cdr.Entry), err = pseudo.Apply(p, s)
		case []cdr.Account:
			*dst.(*[]cdr.Account), err = pseudo.Apply(p, s)
		case []callflow.Leg:
			*dst.(*[]callflow.Leg), err = pseudo.Apply(p, s)
		case []callflow.Journey:
			*dst.(*[]callflow.Journey), err = pseudo.Apply(p, s)
		case []callflow.LostCall:
			*dst.(*[]callflow.LostCall), err = pseudo.Apply(p, s)
		case []callflow.LostCaller:
			*dst.(*[]callflow.LostCaller), err = pseudo.Apply(p, s)
		case []callflow.PartyKPI:
			*dst.(*[]callflow.PartyKPI), err = pseudo.Apply(p, s)
		case []callflow.BestBuddy:
			*dst.(*[]callflow.BestBuddy), err = pseudo.Apply(p, s)
		case []callflow.RepeatCall:
			*dst.(*[]callflow.RepeatCall), err = pseudo.Apply(p, s)
		case []live.UserState:
			*dst.(*[]live.UserState), err = pseudo.Apply(p, s)
		case []live.QueueState:
			*dst.(*[]live.QueueState), err = pseudo.Apply(p, s)
		default:
			err = errors.New("leak test: no case for " + reflect.TypeOf(src).String())
		}
	}
	apply(&out.entries, d.entries)
	apply(&out.accounts, d.accounts)
	apply(&out.legs, d.legs)
	apply(&out.journeys, d.journeys)
	apply(&out.lostCalls, d.lostCalls)
	apply(&out.lostCallers, d.lostCallers)
	apply(&out.parties, d.parties)
	apply(&out.buddies, d.buddies)
	apply(&out.repeats, d.repeats)
	apply(&out.users, d.users)
	apply(&out.queues, d.queues)
	require.NoError(t, err)
	return out
}

// leakOutput is what one sink would write.
type leakOutput struct {
	name string
	// kinds are the kinds of personal value the output holds in clear.
	kinds []pseudotest.Kind
	data  []byte
	// opts are the scan options: Binary for a database file, whose values
	// touch each other without separators.
	opts []pseudotest.ScanOption
}

const (
	kName   = pseudotest.KindName
	kNumber = pseudotest.KindNumber
	kCallID = pseudotest.KindCallID
	kLogin  = pseudotest.KindLogin
)

// leakOutputs writes the data as the sinks would: one Power BI push
// request per table ({"rows":[…]}), the CSV export of the entries, and a
// SQLite database with a TEXT column per field.
func leakOutputs(t *testing.T, d leakData) []leakOutput {
	t.Helper()
	all := []pseudotest.Kind{kName, kNumber, kCallID, kLogin}
	rows := func(v any) []byte {
		b, err := json.Marshal(struct {
			Rows any `json:"rows"`
		}{v})
		require.NoError(t, err)
		return b
	}
	out := []leakOutput{
		{"Power BI entries", all, rows(d.entries), nil},
		{"Power BI accounts", []pseudotest.Kind{kName, kLogin}, rows(d.accounts), nil},
		{"Power BI legs", []pseudotest.Kind{kName, kNumber, kCallID}, rows(d.legs), nil},
		{"Power BI journeys", []pseudotest.Kind{kName, kNumber, kCallID}, rows(d.journeys), nil},
		{"Power BI lost calls", []pseudotest.Kind{kNumber, kCallID}, rows(d.lostCalls), nil},
		{"Power BI lost callers", []pseudotest.Kind{kNumber, kCallID}, rows(d.lostCallers), nil},
		{"Power BI parties", []pseudotest.Kind{kNumber}, rows(d.parties), nil},
		{"Power BI best buddies", []pseudotest.Kind{kNumber}, rows(d.buddies), nil},
		{"Power BI repeat calls", []pseudotest.Kind{kNumber, kCallID}, rows(d.repeats), nil},
		{"Power BI user states", all, rows(d.users), nil},
		{"Power BI queue states", []pseudotest.Kind{kName}, rows(d.queues), nil},
	}

	var csv bytes.Buffer
	w := cdr.NewCSVWriter(&csv)
	for _, e := range d.entries {
		require.NoError(t, w.Write(e))
	}
	require.NoError(t, w.Flush())
	out = append(out, leakOutput{"CSV entries", all, csv.Bytes(), nil})

	for _, f := range leakSQLite(t, d) {
		out = append(out, leakOutput{f.name, all, f.data, []pseudotest.ScanOption{pseudotest.Binary()}})
	}
	return out
}

type leakFile struct {
	name string
	data []byte
}

// leakSQLite writes legs, journeys, accounts, entries and lost callers to
// a SQLite file, closes it and returns the bytes of the database file and
// of its journals, if any are left.
func leakSQLite(t *testing.T, d leakData) []leakFile {
	t.Helper()
	db := testdb.SQLite(t)
	var seq int
	var schema, path string
	require.NoError(t, db.QueryRow(`PRAGMA database_list`).Scan(&seq, &schema, &path))
	require.NotEmpty(t, path, "the test database must be a file")
	tx, err := db.Begin()
	require.NoError(t, err)
	leakInsert(t, tx, "entries", d.entries)
	leakInsert(t, tx, "accounts", d.accounts)
	leakInsert(t, tx, "legs", d.legs)
	leakInsert(t, tx, "journeys", d.journeys)
	leakInsert(t, tx, "lost_callers", d.lostCallers)
	require.NoError(t, tx.Commit())
	require.NoError(t, db.Close())

	var files []leakFile
	for _, suffix := range []string{"", "-wal", "-journal"} {
		b, err := os.ReadFile(path + suffix)
		if errors.Is(err, fs.ErrNotExist) && suffix != "" {
			continue
		}
		require.NoError(t, err)
		files = append(files, leakFile{"SQLite file" + suffix, b})
	}
	return files
}

// leakInsert creates a table with one TEXT column per field of T (nested
// structs flattened, slices as JSON) and inserts the rows with parameters,
// many rows per statement (the race detector slows the driver tenfold).
func leakInsert[T any](t *testing.T, tx *sql.Tx, table string, rows []T) {
	t.Helper()
	require.NotEmpty(t, rows, table)
	var cols []string
	leakFlatten("", reflect.ValueOf(rows[0]), func(col, _ string) { cols = append(cols, `"`+col+`"`) })
	_, err := tx.Exec(`CREATE TABLE ` + table + ` (` + strings.Join(cols, " TEXT, ") + ` TEXT)`)
	require.NoError(t, err)
	const batch = 64
	tuple := `(?` + strings.Repeat(", ?", len(cols)-1) + `)`
	stmts := map[int]*sql.Stmt{} // by rows per statement: a full batch, and the rest
	args := make([]any, 0, batch*len(cols))
	for len(rows) > 0 {
		n := min(batch, len(rows))
		args = args[:0]
		for _, r := range rows[:n] {
			leakFlatten("", reflect.ValueOf(r), func(_, v string) { args = append(args, v) })
		}
		require.Len(t, args, n*len(cols), table)
		stmt, ok := stmts[n]
		if !ok {
			stmt, err = tx.Prepare(`INSERT INTO ` + table + ` VALUES ` + tuple + strings.Repeat(", "+tuple, n-1))
			require.NoError(t, err, table)
			defer stmt.Close()
			stmts[n] = stmt
		}
		_, err := stmt.Exec(args...)
		require.NoError(t, err, table)
		rows = rows[n:]
	}
}

var leakTextMarshaler = reflect.TypeFor[encoding.TextMarshaler]()

// leakFlatten calls emit for every leaf field of v: text for values with a
// text form (numbers, caller ids, times, enums), digits for numbers and
// durations, JSON for slices.
func leakFlatten(prefix string, v reflect.Value, emit func(col, val string)) {
	if v.Type().Implements(leakTextMarshaler) {
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			b = []byte("error: " + err.Error())
		}
		emit(prefix, string(b))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			switch f := t.Field(i); {
			case f.Anonymous:
				leakFlatten(prefix, v.Field(i), emit)
			case f.IsExported():
				leakFlatten(prefix+f.Name, v.Field(i), emit)
			}
		}
	case reflect.Slice, reflect.Map:
		b, err := json.Marshal(v.Interface())
		if err != nil {
			b = []byte("error: " + err.Error())
		}
		emit(prefix, string(b))
	case reflect.String:
		emit(prefix, v.String())
	case reflect.Bool:
		emit(prefix, strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		emit(prefix, strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		emit(prefix, strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		emit(prefix, strconv.FormatFloat(v.Float(), 'g', -1, 64))
	default:
		emit(prefix, "unsupported "+v.Kind().String())
	}
}

// leakScanTime scans every output again and returns the bytes scanned and
// the time it took, for the log: the corpus must stay fast enough for the
// tens of MB a sink writes.
func leakScanTime(outputs []leakOutput, c *pseudotest.Corpus) (int, time.Duration) {
	n := 0
	start := time.Now()
	for _, o := range outputs {
		c.Scan(o.data, o.opts...)
		n += len(o.data)
	}
	return n, time.Since(start)
}

func TestLeak(t *testing.T) {
	d, corpus := leakSimulate(t)
	for _, k := range pseudotest.Kinds() {
		require.Positive(t, corpus.Count(k), "the corpus has no %v", k)
	}
	t.Logf("simulated week: %d entries, %d accounts, %d legs, %d journeys, %d lost calls, %d lost callers, %d parties, %d buddy pairs, %d repeat calls, %d user states, %d queue states",
		len(d.entries), len(d.accounts), len(d.legs), len(d.journeys), len(d.lostCalls), len(d.lostCallers), len(d.parties), len(d.buddies), len(d.repeats), len(d.users), len(d.queues))
	t.Logf("corpus: %d names, %d numbers, %d call ids, %d logins",
		corpus.Count(kName), corpus.Count(kNumber), corpus.Count(kCallID), corpus.Count(kLogin))

	key, err := pseudo.GenerateKey("k1")
	require.NoError(t, err)

	// The control: in clear, every output holds the kinds it should, and
	// many of each. Without it, a scan blind to the sinks' bytes would
	// pass the tests below whatever they leak.
	t.Run("clear control", func(t *testing.T) {
		outputs := leakOutputs(t, leakConceal(t, pseudo.Clear(), d))
		total := map[pseudotest.Kind]int{}
		bytesScanned := 0
		start := time.Now()
		for _, o := range outputs {
			leaks := pseudotest.AssertFinds(t, o.name, o.data, corpus, o.kinds, o.opts...)
			counts := pseudotest.CountByKind(leaks)
			for k, n := range counts {
				total[k] += n
			}
			bytesScanned += len(o.data)
			t.Logf("%-22s %9d bytes in clear: %6d names, %6d numbers, %6d call ids, %6d logins",
				o.name, len(o.data), counts[kName], counts[kNumber], counts[kCallID], counts[kLogin])
		}
		elapsed := time.Since(start)
		t.Logf("clear: %d bytes scanned in %v (%.0f MB/s)", bytesScanned, elapsed.Round(time.Millisecond), float64(bytesScanned)/elapsed.Seconds()/1e6)
		for _, k := range pseudotest.Kinds() {
			require.Greater(t, total[k], 1000, "hits of kind %v in the clear outputs", k)
		}
	})

	t.Run("default policy", func(t *testing.T) {
		p, err := pseudo.New(pseudo.WithKey(key), pseudo.WithNumberPlan(leakPlan))
		require.NoError(t, err)
		outputs := leakOutputs(t, leakConceal(t, p, d))
		for _, o := range outputs {
			pseudotest.AssertNoLeaks(t, o.name, o.data, corpus, o.opts...)
		}
		n, elapsed := leakScanTime(outputs, corpus)
		t.Logf("pseudonymised: %d bytes in %d outputs scanned in %v (%.0f MB/s)", n, len(outputs), elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds()/1e6)
	})

	// Masked numbers keep their leading digits: no whole number may be
	// left, but the masked forms must be there (else the numbers were
	// dropped, and the absence of leaks proves nothing).
	t.Run("masked numbers", func(t *testing.T) {
		pol, err := pseudo.ParsePolicy("callerNumber=mask,calledNumber=mask,callbackNumber=mask")
		require.NoError(t, err)
		p, err := pseudo.New(pseudo.WithKey(key), pseudo.WithPolicy(pol), pseudo.WithNumberPlan(leakPlan))
		require.NoError(t, err)
		masked := leakConceal(t, p, d)
		outputs := leakOutputs(t, masked)
		for _, o := range outputs {
			pseudotest.AssertNoLeaks(t, o.name, o.data, corpus, o.opts...)
		}
		var journeys []byte
		for _, o := range outputs {
			if o.name == "Power BI journeys" {
				journeys = o.data
			}
		}
		want := map[string]bool{}
		for _, j := range d.journeys {
			if j.Direction == callflow.Inbound && j.CallerNumber.Kind() == cdr.NumberE164 {
				want[j.CallerNumber.Mask(pseudo.DefaultMaskDigits).String()] = true
			}
		}
		require.NotEmpty(t, want)
		missing := 0
		for m := range want {
			require.True(t, strings.HasSuffix(m, "xxx"), m)
			if !bytes.Contains(journeys, []byte(`"`+m+`"`)) {
				missing++
			}
		}
		require.Zero(t, missing, "of %d masked caller numbers, %d are not in the masked journeys", len(want), missing)
	})
}
