package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
	"github.com/starinsight/starinsight/internal/testdb"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/pseudo/pseudotest"
)

func noEnv(string) string { return "" }

// figures are what a database holds, or what the interpretation finds.
type figures struct {
	Calls, Legs int64
	ByOutcome   map[string]int64
}

// interpret runs callflow over the simulated rows directly: what the
// database must hold after an export of them.
func interpret(t *testing.T, cfg sim.Config) figures {
	t.Helper()
	dir, err := cdr.NewDirectory(cfg.Accounts()...)
	require.NoError(t, err)
	in, err := callflow.New(dir)
	require.NoError(t, err)
	rows := func(yield func(cdr.Entry, error) bool) {
		for e := range sim.Generate(cfg) {
			if !yield(e, nil) {
				return
			}
		}
	}
	f := figures{ByOutcome: map[string]int64{}}
	for c, err := range in.Calls(rows) {
		require.NoError(t, err)
		f.Calls++
		f.Legs += int64(len(c.Legs))
		f.ByOutcome[c.Journey.Outcome.String()]++
	}
	require.Greater(t, f.Calls, int64(500), "the simulation has calls")
	return f
}

// stored reads the figures from the tables; schema qualifies them ("" none).
func stored(t *testing.T, db *sql.DB, schema string) figures {
	t.Helper()
	f := figures{ByOutcome: map[string]int64{}}
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM "+table(schema, "CDR_Summary")).Scan(&f.Legs))
	rows, err := db.Query("SELECT outcome, COUNT(*) FROM " + table(schema, "journeys") + " GROUP BY outcome")
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var o string
		var n int64
		require.NoError(t, rows.Scan(&o, &n))
		f.ByOutcome[o] = n
		f.Calls += n
	}
	require.NoError(t, rows.Err())
	return f
}

func table(schema, name string) string {
	if schema == "" {
		return `"` + name + `"`
	}
	return schema + `."` + name + `"`
}

// dump returns every row of the call tables, as text, sorted.
func dump(t *testing.T, db *sql.DB, schema string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, name := range []string{"CDR_Summary", "journeys"} {
		rows, err := db.Query("SELECT * FROM " + table(schema, name))
		require.NoError(t, err)
		cols, err := rows.Columns()
		require.NoError(t, err)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			parts := make([]string, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				parts[i] = fmt.Sprint(v)
			}
			out[name] = append(out[name], strings.Join(parts, "\t"))
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
		slices.Sort(out[name])
	}
	return out
}

func openSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// demo writes two simulated days (a week takes long under -race) into a
// temporary folder.
func demo(t *testing.T) (cfg sim.Config, exports, accounts string) {
	return demoDays(t, 2)
}

func demoDays(t *testing.T, days int) (cfg sim.Config, exports, accounts string) {
	t.Helper()
	cfg, err := demoConfig("pbx1")
	require.NoError(t, err)
	cfg.Days = days
	exports, accounts, err = writeDemo(t.TempDir(), cfg)
	require.NoError(t, err)
	return cfg, exports, accounts
}

// oneFile concatenates the folder's exports into one CSV export.
func oneFile(t *testing.T, cfg sim.Config) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export.csv")
	f, err := os.Create(path)
	require.NoError(t, err)
	cw := cdr.NewCSVWriter(f, cdr.WithLocation(cfg.Start.Location()))
	for e := range sim.Generate(cfg) {
		require.NoError(t, cw.Write(e))
	}
	require.NoError(t, cw.Flush())
	require.NoError(t, f.Close())
	return path
}

// cdrdata loads the export's rows, as text, into a SQLite cdrdata table,
// as the PBX's database holds them.
func cdrdata(t *testing.T, export string) string {
	t.Helper()
	f, err := os.Open(export)
	require.NoError(t, err)
	r := csv.NewReader(f)
	r.Comma = ';'
	records, err := r.ReadAll()
	require.NoError(t, err)
	require.NoError(t, f.Close())
	path := filepath.Join(t.TempDir(), "pbx.db")
	db := openSQLite(t, path)
	header := records[0]
	cols := make([]string, len(header))
	ph := make([]string, len(header))
	for i, h := range header {
		cols[i], ph[i] = h+" TEXT", "?"
		if h == "id" {
			cols[i] = "id INTEGER PRIMARY KEY"
		}
	}
	_, err = db.Exec("CREATE TABLE cdrdata (" + strings.Join(cols, ", ") + ")")
	require.NoError(t, err)
	tx, err := db.Begin()
	require.NoError(t, err)
	insert := "INSERT INTO cdrdata (" + strings.Join(header, ", ") + ") VALUES (" + strings.Join(ph, ", ") + ")"
	for _, rec := range records[1:] {
		args := make([]any, len(rec))
		for i, v := range rec {
			args[i] = v
		}
		_, err := tx.Exec(insert, args...)
		require.NoError(t, err)
	}
	require.NoError(t, tx.Commit())
	return path
}

// TestExportSQLite: each source (a folder of exports, one file, the PBX's
// cdrdata table, the simulated default) into the default SQLite file gives
// the calls and legs callflow finds in the rows, and a second run changes
// nothing.
func TestExportSQLite(t *testing.T) {
	cfg, exports, accounts := demo(t)
	file := oneFile(t, cfg)
	week, err := demoConfig("pbx1")
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		cfg  sim.Config // what the source holds
		args func(t *testing.T) []string
	}{
		{"folder", cfg, func(*testing.T) []string { return []string{"-csv", exports, "-accounts", accounts} }},
		{"file", cfg, func(*testing.T) []string { return []string{"-csv", file, "-accounts", accounts} }},
		{"cdrdata", cfg, func(t *testing.T) []string {
			return []string{"-pbx-driver", "sqlite", "-pbx-dsn", cdrdata(t, file), "-accounts", accounts}
		}},
		{"simulated default", week, func(*testing.T) []string { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := interpret(t, tc.cfg)
			path := filepath.Join(t.TempDir(), "calls.db")
			args := append(tc.args(t), "-db", path)
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), &out, args, noEnv))
			require.Contains(t, out.String(), "names and numbers stored in clear", "the output says the data is clear")
			require.Contains(t, out.String(), fmt.Sprintf("%s holds %d calls and %d legs", path, want.Calls, want.Legs))
			require.NotContains(t, out.String(), "warning:")
			db := openSQLite(t, path)
			if diff := cmp.Diff(want, stored(t, db, "")); diff != "" {
				t.Fatalf("database vs callflow (-want +got):\n%s", diff)
			}
			before := dump(t, db, "")

			out.Reset()
			require.NoError(t, run(context.Background(), &out, args, noEnv))
			require.Contains(t, out.String(), "0 entries, 0 calls")
			if diff := cmp.Diff(before, dump(t, db, "")); diff != "" {
				t.Errorf("a second run changed the tables (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExportPostgres: the same export into PostgreSQL with the bulk copy.
// It needs STARINSIGHT_TEST_POSTGRES_DSN (skipped when unset).
func TestExportPostgres(t *testing.T) {
	db := testdb.Postgres(t) // skips with a message when the DSN is unset
	schema := testdb.PostgresSchema(t, db)
	dsn, err := url.Parse(os.Getenv(testdb.PostgresEnv))
	require.NoError(t, err, "this test needs the DSN in URL form (postgres://…)")
	q := dsn.Query()
	q.Set("search_path", schema) // the example's tables in the test's own schema
	dsn.RawQuery = q.Encode()

	// The week: thousands of legs and calls in one delivery, so that the
	// sink takes the bulk copy (from 1,000 rows a table).
	cfg, exports, accounts := demoDays(t, 7)
	want := interpret(t, cfg)
	args := []string{"-csv", exports, "-accounts", accounts, "-driver", "pgx", "-dsn", dsn.String(), "-bulk"}
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, args, noEnv))
	require.Contains(t, out.String(), fmt.Sprintf("pgx database holds %d calls and %d legs", want.Calls, want.Legs))
	require.NotContains(t, out.String(), "postgres://", "the DSN, which may hold a password, is not printed")
	if diff := cmp.Diff(want, stored(t, db, schema)); diff != "" {
		t.Fatalf("database vs callflow (-want +got):\n%s", diff)
	}
	before := dump(t, db, schema)
	require.NoError(t, run(context.Background(), &bytes.Buffer{}, args, noEnv))
	if diff := cmp.Diff(before, dump(t, db, schema)); diff != "" {
		t.Errorf("a second run changed the tables (-want +got):\n%s", diff)
	}
}

// cancelOn is an output that cancels a context once it has seen text.
type cancelOn struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	text   string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.buf.Write(p)
	if strings.Contains(c.buf.String(), c.text) {
		c.cancel()
	}
	return n, err
}

// TestFollow: -follow catches up and keeps going until it is stopped; the
// database then holds what -once would have stored.
func TestFollow(t *testing.T) {
	cfg, exports, accounts := demo(t)
	want := interpret(t, cfg)
	path := filepath.Join(t.TempDir(), "calls.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelOn{text: "caught up", cancel: cancel}
	err := run(ctx, out, []string{"-follow", "-csv", exports, "-accounts", accounts, "-db", path}, noEnv)
	require.ErrorIs(t, err, context.Canceled, "-follow runs until stopped")
	require.Contains(t, out.buf.String(), "following pbx1 every 30s")
	if diff := cmp.Diff(want, stored(t, openSQLite(t, path), "")); diff != "" {
		t.Errorf("database vs callflow (-want +got):\n%s", diff)
	}
}

// TestPseudonymised: with a key in the environment the output names it
// and the database file holds no name, number or call id of the export.
func TestPseudonymised(t *testing.T) {
	cfg, exports, accounts := demo(t)
	key, err := pseudo.GenerateKey("k1")
	require.NoError(t, err)
	env := func(name string) string {
		if name == keyEnv {
			return key.Export()
		}
		return ""
	}
	path := filepath.Join(t.TempDir(), "calls.db")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, []string{"-csv", exports, "-accounts", accounts, "-db", path}, env))
	require.Contains(t, out.String(), "pseudonymised with key k1")

	var entries []cdr.Entry
	for e := range sim.Generate(cfg) {
		entries = append(entries, e)
	}
	corpus := pseudotest.CorpusFromEntries(entries, cfg.Accounts(), cdr.NumberPlan{})
	corpus.Ignore("hanswered") // a duration ending in 'H' before "answered" spells "Hans"
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	if wal, err := os.ReadFile(path + "-wal"); err == nil {
		b = append(b, wal...)
	}
	pseudotest.AssertNoLeaks(t, "pseudonymised database", b, corpus, pseudotest.Binary())
}

// TestFlags: contradictory or incomplete flags are refused before anything
// is read or written.
func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-csv", "x"}, "need -accounts"},
		{[]string{"-pbx-dsn", "x"}, "need -accounts"},
		{[]string{"-csv", "x", "-pbx-dsn", "y", "-accounts", "z"}, "choose one source"},
		{[]string{"-dsn", "x"}, "-dsn needs -driver"},
		{[]string{"-driver", "pgx"}, "-driver pgx needs -dsn"},
		{[]string{"-bulk", "-driver", "mysql", "-dsn", "x"}, "-bulk needs -driver pgx"},
		{[]string{"-driver", "oracle", "-dsn", "x"}, `-driver "oracle"`},
		{[]string{"-pbx-driver", "oracle", "-pbx-dsn", "x", "-accounts", "y"}, `-pbx-driver "oracle"`},
		{[]string{"-poll", "0s"}, "-poll must be positive"},
		{[]string{"stray"}, `unexpected argument "stray"`},
		{[]string{"-tz", "Mars/Olympus"}, `-tz "Mars/Olympus"`},
		{[]string{"-csv", "/does/not/exist", "-accounts", "/does/not/exist"}, "-accounts: open /does/not/exist"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "calls.db")
			err := run(context.Background(), &bytes.Buffer{}, append(tc.args, "-db", db), noEnv)
			require.ErrorContains(t, err, tc.want)
			_, statErr := os.Stat(db)
			require.ErrorIs(t, statErr, os.ErrNotExist, "nothing was written")
		})
	}
}
