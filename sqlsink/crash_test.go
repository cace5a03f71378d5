package sqlsink_test

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
	"github.com/starinsight/starinsight/internal/testdb"
	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/sqlsink"
)

// The crash test kills a process writing an export with SIGKILL at random
// moments, restarts it (it resumes after its checkpoint, as an exporter
// does), and compares every table with a clean run's. The writer is this
// test binary re-executed with -test.run=^TestCrashChild$.

var (
	crashSeed  = flag.Uint64("crash.seed", 0, "seed of TestCrash's kill delays (0: from the clock; the seed used is logged)")
	crashKills = flag.Int("crash.kills", 0, "kills per database in TestCrash (0: the default of each database)")
)

// crashChildEnv holds the child's crashChildSpec as JSON; without it
// TestCrashChild skips.
const crashChildEnv = "STARINSIGHT_SQLSINK_CRASH_CHILD"

// crashChildSpec tells a child where to write.
type crashChildSpec struct {
	DB         string // a databases name
	SQLitePath string
	Prefix     string
	// Overlap makes the child resume at the last committed batch, writing
	// it a second time (an exporter whose checkpoint lags), instead of
	// after it.
	Overlap bool
}

// The child reports its progress on stdout in lines starting with
// crashSay: ready (data built, about to open the database), migrated,
// begin <batch>, commit <batch>, done.
const crashSay = "crashchild: "

const (
	crashCheckpointName = "crash"
	crashBatchCount     = 40
)

// crashClock is the sinks' clock: the checkpoint's and the migration's
// times then agree between runs, so those tables compare too.
func crashClock() time.Time { return time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC) }

// crashWorkload is the export the child writes: batches of calls in the
// order of their last raw row, each with the checkpoint after it, plus
// accounts, lost callers (recomputed, so later batches update earlier
// episodes), login-state history and live snapshots, so that every table
// gets rows and some rows are updated by later batches.
type crashWorkload struct {
	batches []sqlsink.Batch
	// calls and legs written by batches 0..i.
	cumCalls, cumLegs []int
}

func (w *crashWorkload) batchOf(cursor int64) int {
	for i, b := range w.batches {
		if b.Checkpoint.Cursor == cursor {
			return i
		}
	}
	return -2 // not a batch's cursor
}

// crashCallsPerDay sizes the workload on each database: SQLite writes
// several times slower under -race, so it gets fewer calls.
var crashCallsPerDay = map[string]int{"sqlite": 400, "postgres": 700, "mysql": 700}

func buildCrashWorkload(tb testing.TB, db string) *crashWorkload {
	tb.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(tb, err)
	cfg := sim.Config{Seed: 11, Start: time.Date(2026, 3, 2, 0, 0, 0, 0, loc), Days: 1, Site: "crash", CallsPerDay: crashCallsPerDay[db]}
	var rows []cdr.Entry
	for e := range sim.Generate(cfg) {
		rows = append(rows, e)
	}
	accounts := cfg.Accounts()
	dir, err := cdr.NewDirectory(accounts...)
	require.NoError(tb, err)
	in, err := callflow.New(dir)
	require.NoError(tb, err)
	calls := in.InterpretAll(rows)
	rep, err := callflow.NewReporter(callflow.ReportConfig{Location: loc})
	require.NoError(tb, err)

	// A call is exported once its last row is: order by that row's id.
	lastRow := func(c *callflow.Call) int64 {
		var m int64
		for _, l := range c.Legs {
			for _, id := range l.EntryIDs {
				m = max(m, id)
			}
		}
		return m
	}
	slices.SortStableFunc(calls, func(a, b callflow.Call) int { return cmp.Compare(lastRow(&a), lastRow(&b)) })

	var users, groups []cdr.Account
	for _, a := range accounts {
		if a.Type.IsGroup() {
			groups = append(groups, a)
		} else {
			users = append(users, a)
		}
	}
	w := &crashWorkload{}
	per := (len(calls) + crashBatchCount - 1) / crashBatchCount
	legs := 0
	for i := 0; i*per < len(calls); i++ {
		part := calls[i*per : min((i+1)*per, len(calls))]
		for _, c := range part {
			legs += len(c.Legs)
		}
		at := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC).Add(time.Duration(i)*7*time.Minute + time.Duration(i)*1234*time.Microsecond)
		b := sqlsink.Batch{
			Calls:      part,
			Checkpoint: &sqlsink.Checkpoint{Name: crashCheckpointName, Cursor: lastRow(&part[len(part)-1])},
			PipelineState: &sqlsink.PipelineState{Name: crashCheckpointName, Cursor: lastRow(&part[len(part)-1]),
				State: fmt.Sprintf(`{"batch":%d}`, len(w.batches)), UpdatedAt: time.Unix(0, 0)},
		}
		if i%10 == 0 {
			b.Accounts = accounts // a directory refresh now and then: the same keys again
		}
		// The lost-caller episodes this batch's calls touch, as they stand
		// after it: later batches update episodes earlier ones wrote.
		inPart := map[string]bool{}
		for _, c := range part {
			inPart[c.Journey.CallID] = true
		}
		for _, ep := range rep.LostCallers(calls[:i*per+len(part)], time.Time{}) {
			if inPart[ep.RecoveredBy] || slices.ContainsFunc(ep.Attempts, func(a callflow.Attempt) bool { return inPart[a.CallID] }) {
				b.LostCallers = append(b.LostCallers, ep)
			}
		}
		for k, u := range users {
			b.UserLoginStates = append(b.UserLoginStates, live.UserLoginState{At: at, Site: u.Site, AccountID: u.ID, DND: (i+k)%3 == 0, AlwaysForward: (i*k)%5 == 1})
			b.Users = append(b.Users, live.UserState{
				At: at, Site: u.Site, AccountID: u.ID, Name: u.Name, Telephony: live.TelephonyAvailable, LoggedIn: (i+k)%4 != 0,
				ChatPresence: "online", ChatPresenceMessage: "zurück um " + strconv.Itoa(i) + " Uhr ☕", GroupIDs: []cdr.AccountID{cdr.AccountID(2001 + k%2)},
				CallID: "c" + strconv.Itoa(i*100+k), CallState: live.CallConnected, CallStart: at.Add(-time.Duration(k) * time.Second), Talk: time.Duration(k) * time.Second,
			})
			g := groups[k%len(groups)]
			b.MemberLoginStates = append(b.MemberLoginStates, live.MemberLoginState{At: at, Site: g.Site, GroupID: g.ID, UserID: u.ID, LoggedIn: (i+k)%2 == 0})
		}
		for k, g := range groups {
			b.Queues = append(b.Queues, live.QueueState{At: at, Site: g.Site, AccountID: g.ID, Type: g.Type, Name: g.Name, WaitingCalls: (i + k) % 7, ConnectedCalls: i % 5, IQueueSize: g.IQueueSize, MaxWait: g.MaxWait})
		}
		w.batches = append(w.batches, b)
		w.cumCalls = append(w.cumCalls, i*per+len(part))
		w.cumLegs = append(w.cumLegs, legs)
	}
	return w
}

// crashOpenChildDB opens the database a child writes to.
func crashOpenChildDB(t *testing.T, spec crashChildSpec) (*sql.DB, sqlsink.Dialect) {
	t.Helper()
	for _, dbase := range databases {
		if dbase.name != spec.DB {
			continue
		}
		if dbase.name == "sqlite" {
			return openSQLiteFile(t, spec.SQLitePath), dbase.d
		}
		return dbase.open(t), dbase.d
	}
	t.Fatalf("unknown database %q", spec.DB)
	return nil, nil
}

// openSQLiteFile opens an SQLite file as testdb.SQLite does, for a file
// that parent and children share.
func openSQLiteFile(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	require.NoError(tb, err)
	tb.Cleanup(func() { db.Close() })
	require.NoError(tb, db.Ping())
	return db
}

func crashSink(tb testing.TB, db *sql.DB, d sqlsink.Dialect, prefix string) *sqlsink.Sink {
	tb.Helper()
	s, err := sqlsink.New(db, d, sqlsink.WithPseudonymiser(pseudo.Clear()), sqlsink.WithTablePrefix(prefix), sqlsink.WithClock(crashClock))
	require.NoError(tb, err)
	return s
}

// TestCrashChild is the writing process of TestCrash; run on its own it
// skips.
func TestCrashChild(t *testing.T) {
	raw := os.Getenv(crashChildEnv)
	if raw == "" {
		t.Skip("the writer of TestCrash; runs only in the process TestCrash starts")
	}
	var spec crashChildSpec
	require.NoError(t, json.Unmarshal([]byte(raw), &spec))
	say := func(format string, args ...any) {
		// Unbuffered: whatever was said before SIGKILL reaches the parent.
		fmt.Fprintf(os.Stdout, crashSay+format+"\n", args...)
	}
	w := buildCrashWorkload(t, spec.DB)
	say("ready")
	ctx := context.Background()
	db, d := crashOpenChildDB(t, spec)
	s := crashSink(t, db, d, spec.Prefix)
	_, err := s.Migrate(ctx)
	require.NoError(t, err)
	say("migrated")
	cp, ok, err := s.Checkpoint(ctx, crashCheckpointName, "")
	require.NoError(t, err)
	from := 0
	if ok {
		last := w.batchOf(cp.Cursor)
		require.GreaterOrEqual(t, last, 0, "checkpoint %d is no batch's cursor", cp.Cursor)
		from = last + 1
		if spec.Overlap {
			from = last
		}
	}
	for i := from; i < len(w.batches); i++ {
		say("begin %d", i)
		_, err := s.Write(ctx, w.batches[i])
		require.NoError(t, err, "batch %d", i)
		say("commit %d", i)
	}
	say("done")
}

// crashChild is a running child process.
type crashChild struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	ready  chan struct{}
	exited chan struct{}
	err    error // of Wait, valid after exited

	mu    sync.Mutex
	lines []string // what the child said
}

func startCrashChild(t *testing.T, spec crashChildSpec) *crashChild {
	t.Helper()
	raw, err := json.Marshal(spec)
	require.NoError(t, err)
	c := &crashChild{ready: make(chan struct{}), exited: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.timeout=5m")
	// GORACE: a race-enabled binary sleeps a second at exit by default.
	c.cmd.Env = append(os.Environ(), crashChildEnv+"="+string(raw), "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	c.cmd.Stderr = &c.stderr
	out, err := c.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, c.cmd.Start())
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line, ok := strings.CutPrefix(sc.Text(), crashSay)
			if !ok {
				continue
			}
			c.mu.Lock()
			c.lines = append(c.lines, line)
			c.mu.Unlock()
			if line == "ready" {
				close(c.ready)
			}
		}
		c.err = c.cmd.Wait()
		close(c.exited)
	}()
	return c
}

// said returns what the child said so far.
func (c *crashChild) said() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.lines)
}

func (c *crashChild) failure() string {
	return fmt.Sprintf("child: %v\nsaid: %q\nstderr:\n%s", c.err, c.said(), c.stderr.String())
}

// crashProgress is where a killed child was by what it said: the last
// batch it saw committed and the batch it had begun without seeing the
// commit (-1: none).
func crashProgress(said []string) (committed, inFlight int, migrated bool) {
	committed, inFlight = -1, -1
	for _, l := range said {
		verb, arg, _ := strings.Cut(l, " ")
		n, _ := strconv.Atoi(arg)
		switch verb {
		case "migrated":
			migrated = true
		case "begin":
			inFlight = n
		case "commit":
			committed, inFlight = n, -1
		}
	}
	return committed, inFlight, migrated
}

// crashKillsFor is how many times TestCrash kills the writer on a
// database: the 50 on PostgreSQL, fewer on MariaDB and SQLite
// (where the writer is several times slower under -race) so that the test
// stays within a minute in CI; 50 on SQLite when no server is configured.
func crashKillsFor(name string) int {
	switch {
	case *crashKills > 0:
		return *crashKills
	case testing.Short():
		return 5
	case name == "postgres":
		return 50
	case name == "mysql":
		return 30
	case os.Getenv(testdb.PostgresEnv) == "" && os.Getenv(testdb.MySQLEnv) == "":
		return 50
	}
	return 20
}

// TestCrash kills the writer at random moments, at least
// crashKillsFor times per database, and checks after every kill that
// the database holds whole batches only, the checkpoint's and those
// before it, and at the end of every run that each table equals the clean
// run's, column by column.
func TestCrash(t *testing.T) {
	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill delays from seed %d (rerun with -crash.seed=%d)", seed, seed)
	for i, dbase := range databases {
		t.Run(dbase.name, func(t *testing.T) {
			t.Parallel() // the writers wait on different servers
			kills := crashKillsFor(dbase.name)
			w := buildCrashWorkload(t, dbase.name)
			t.Logf("workload: %d batches, %d calls, %d legs", len(w.batches), w.cumCalls[len(w.cumCalls)-1], w.cumLegs[len(w.cumLegs)-1])
			runCrash(t, dbase, w, kills, rand.New(rand.NewPCG(seed, uint64(i))))
		})
	}
}

// crashStats counts where the kills landed.
type crashStats struct {
	kills     int
	setup     int   // before the migration was done
	inFlight  int   // a batch begun, not acknowledged
	committed int   // of those, seen committed right after the kill
	late      int   // batches in flight at an earlier kill, committed after its probe
	between   int   // between batches
	rewrites  int   // restarts that wrote the last committed batch again
	byBatch   []int // kills with batch i in flight
}

func runCrash(t *testing.T, dbase database, w *crashWorkload, wantKills int, rng *rand.Rand) {
	var db *sql.DB
	base := crashChildSpec{DB: dbase.name}
	if dbase.name == "sqlite" {
		base.SQLitePath = filepath.Join(t.TempDir(), "crash.sqlite")
		db = openSQLiteFile(t, base.SQLitePath)
	} else {
		db = dbase.open(t) // skips without a DSN
	}
	newPrefix := func() string {
		prefix := testdb.Name("crash") + "_"
		t.Cleanup(func() {
			for _, name := range allTables {
				if _, err := db.Exec("DROP TABLE IF EXISTS " + dbase.d.Quote(prefix+name)); err != nil {
					t.Errorf("dropping %s: %v", prefix+name, err)
				}
			}
		})
		return prefix
	}

	// The clean run, timed: the kill delays are drawn from its length.
	clean := base
	clean.Prefix = newPrefix()
	c := startCrashChild(t, clean)
	<-c.ready
	began := time.Now()
	<-c.exited
	full := time.Since(began)
	require.NoError(t, c.err, c.failure())
	require.Contains(t, c.said(), "done", c.failure())
	want := dumpTables(t, db, dbase.d, clean.Prefix)
	for _, name := range allTables {
		require.NotEmpty(t, want[name], "the clean run left %s empty: the comparison would prove nothing", name)
	}
	// On average a kill comes a tenth of a run after the start: a
	// restarted writer gets a few batches further before the next kill, so
	// that ten to twenty kills cover a run from the migration to the last
	// batch.
	maxDelay := max(full/5, time.Millisecond)
	t.Logf("clean run: %v from ready to exit; kill delays uniform in [0, %v)", full.Round(time.Millisecond), maxDelay.Round(time.Millisecond))

	st := crashStats{byBatch: make([]int, len(w.batches))}
	for run := 0; st.kills < wantKills; run++ {
		prefix := newPrefix()
		runKills := crashRun(t, db, dbase.d, base, prefix, w, wantKills-st.kills, maxDelay, rng, &st)
		got := dumpTables(t, db, dbase.d, prefix)
		for _, name := range allTables {
			if diff := gocmp.Diff(want[name], got[name]); diff != "" {
				t.Errorf("run %d (%d kills): table %s differs from the clean run's (-want +got):\n%s", run, runKills, name, diff)
			}
		}
		if t.Failed() {
			return
		}
		t.Logf("run %d: %d kills, then complete; every table equals the clean run's", run, runKills)
	}
	t.Logf("%d kills: %d before the migration was done, %d with a batch in flight (%d of them committed nonetheless, %d more committed after the probe), %d between batches; %d restarts wrote the last committed batch again",
		st.kills, st.setup, st.inFlight, st.committed, st.late, st.between, st.rewrites)
	t.Logf("kills by batch in flight: %v", st.byBatch)
	if st.inFlight == 0 {
		t.Errorf("no kill landed during a write: the test proved nothing; raise -crash.kills")
	}
}

// crashRun writes the workload to tables of prefix, killing the child
// after random delays until it has killed it kills times, then lets it
// complete. It returns the kills.
func crashRun(t *testing.T, db *sql.DB, d sqlsink.Dialect, spec crashChildSpec, prefix string, w *crashWorkload, kills int, maxDelay time.Duration, rng *rand.Rand, st *crashStats) int {
	t.Helper()
	spec.Prefix = prefix
	acked := -1               // the last batch known committed
	pending := map[int]bool{} // batches in flight at a kill, after acked
	migrated := false
	stuck := 0 // kills since the checkpoint last moved
	n := 0
	for attempt := 0; ; attempt++ {
		require.Less(t, attempt, 1000, "the run does not complete")
		// Half the restarts write the last committed batch again, as an
		// exporter whose checkpoint lags would: it must change nothing.
		spec.Overlap = rng.IntN(2) == 0
		if spec.Overlap && acked >= 0 {
			st.rewrites++
		}
		var delay time.Duration
		if n < kills && stuck < 20 { // else let it complete
			delay = time.Duration(rng.Int64N(int64(maxDelay)))
		}
		c := startCrashChild(t, spec)
		select {
		case <-c.ready:
		case <-c.exited:
			t.Fatalf("child ended before it was ready\n%s", c.failure())
		}
		killed := false
		if delay > 0 {
			timer := time.NewTimer(delay)
			select {
			case <-c.exited:
			case <-timer.C:
				_ = c.cmd.Process.Kill() // SIGKILL; fails only if it has exited meanwhile
				killed = true
			}
			timer.Stop()
		}
		<-c.exited
		said := c.said()
		if slices.Contains(said, "done") {
			if !killed { // else killed on its way out, the work done
				require.NoError(t, c.err, c.failure())
			}
			return n
		}
		require.True(t, killed, "child failed\n%s", c.failure())
		n++
		st.kills++
		committed, inFlight, migratedNow := crashProgress(said)
		migrated = migrated || migratedNow

		// The database must hold whole batches, up to its checkpoint: the
		// last batch acknowledged, or a later one whose commit got through
		// although the writer died before it heard so. On PostgreSQL and
		// MariaDB that commit may even land after the kill (the COMMIT was
		// on the wire), so any batch a killed writer had in flight counts.
		stored, journeys, legs := -1, 0, 0
		if migrated {
			stored, journeys, legs = crashProbe(t, db, d, prefix, w)
		}
		before := acked
		acked = max(acked, committed)
		if inFlight >= 0 {
			pending[inFlight] = true
		}
		if stored != acked && !(stored > acked && pending[stored]) {
			t.Fatalf("kill %d: the checkpoint is at batch %d, but the writers had seen batch %d committed and had batches %v in flight\nsaid: %q", n, stored, acked, slices.Sorted(maps.Keys(pending)), said)
		}
		want := [2]int{}
		if stored >= 0 {
			want = [2]int{w.cumCalls[stored], w.cumLegs[stored]}
		}
		require.Equal(t, want, [2]int{journeys, legs}, "kill %d: [journeys legs] stored with the checkpoint at batch %d", n, stored)
		switch {
		case !migratedNow:
			st.setup++
		case inFlight >= 0:
			st.inFlight++
			st.byBatch[inFlight]++
			if stored == inFlight {
				st.committed++
			}
		default:
			st.between++
		}
		if stored > acked && stored != inFlight {
			st.late++
		}
		acked = max(acked, stored)
		for b := range pending {
			if b <= acked {
				delete(pending, b)
			}
		}
		if acked > before {
			stuck = 0
		} else {
			stuck++
		}
	}
}

// crashProbe reads, in one snapshot, the batch the checkpoint names (-1:
// none yet) and the journeys and legs stored.
func crashProbe(t *testing.T, db *sql.DB, d sqlsink.Dialect, prefix string, w *crashWorkload) (stored, journeys, legs int) {
	t.Helper()
	ctx := context.Background()
	var opts *sql.TxOptions
	if d.Name() != "sqlite" { // SQLite's read transactions are snapshots anyway
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := db.BeginTx(ctx, opts)
	require.NoError(t, err)
	defer tx.Rollback() //nolint:errcheck // read only
	var cursor int64
	err = tx.QueryRowContext(ctx, "SELECT "+d.Quote("cursor")+" FROM "+d.Quote(prefix+sqlsink.TableCheckpoints)+
		" WHERE "+d.Quote("name")+" = "+d.Placeholder(1), crashCheckpointName).Scan(&cursor)
	stored = -1
	if !errors.Is(err, sql.ErrNoRows) {
		require.NoError(t, err)
		stored = w.batchOf(cursor)
		require.GreaterOrEqual(t, stored, 0, "checkpoint %d is no batch's cursor", cursor)
	}
	count := func(table string) int {
		var n int
		require.NoError(t, tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+d.Quote(prefix+table)).Scan(&n))
		return n
	}
	return stored, count(sqlsink.TableJourneys), count(sqlsink.TableLegs)
}

// dumpTables reads every table of the prefix: each row one line,
// "column=value" comma-separated, sorted (the key columns come first).
func dumpTables(t *testing.T, db *sql.DB, d sqlsink.Dialect, prefix string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, name := range allTables {
		rows, err := db.Query("SELECT * FROM " + d.Quote(prefix+name))
		require.NoError(t, err, name)
		cols, err := rows.Columns()
		require.NoError(t, err)
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		var lines []string
		for rows.Next() {
			require.NoError(t, rows.Scan(ptrs...))
			var b strings.Builder
			for i, v := range vals {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(cols[i])
				b.WriteByte('=')
				b.WriteString(renderValue(v))
			}
			lines = append(lines, b.String())
		}
		require.NoError(t, rows.Err())
		rows.Close()
		slices.Sort(lines)
		out[name] = lines
	}
	return out
}

func renderValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return strconv.Quote(string(v))
	case string:
		return strconv.Quote(v)
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprintf("%v", v)
}
