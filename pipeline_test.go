package starinsight_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight"
	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
	"github.com/starinsight/starinsight/internal/testdb"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/pseudo/pseudotest"
	"github.com/starinsight/starinsight/sqlsink"
)

var fixedNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// simExport writes a simulated export of days days into dir as CSV files
// of about per rows each (the last rows of a file repeated at the start of
// the next, as overlapping exports do), and returns the rows and accounts.
func simExport(t testing.TB, dir string, seed uint64, days, per int) ([]cdr.Entry, []cdr.Account) {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	cfg := sim.Config{Seed: seed, Start: time.Date(2026, 3, 2, 0, 0, 0, 0, loc), Days: days}
	var rows []cdr.Entry
	for e := range sim.Generate(cfg) {
		rows = append(rows, e)
	}
	for i, from := 0, 0; from < len(rows); i, from = i+1, from+per {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("export-%03d.csv", i)))
		require.NoError(t, err)
		w := cdr.NewCSVWriter(f, cdr.WithLocation(loc))
		for _, e := range rows[max(0, from-5):min(from+per, len(rows))] {
			require.NoError(t, w.Write(e))
		}
		require.NoError(t, w.Flush())
		require.NoError(t, f.Close())
	}
	return rows, cfg.Accounts()
}

// tableDump returns every row of the sink's data tables as sorted text.
func tableDump(t testing.TB, db *sql.DB, s *sqlsink.Sink, tables ...string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range tables {
		rows, err := db.Query("SELECT * FROM " + s.Dialect().Quote(s.TableName(table)))
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
			var parts []string
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				parts = append(parts, fmt.Sprint(v))
			}
			out[table] = append(out[table], strings.Join(parts, "\t"))
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
		sort.Strings(out[table])
	}
	return out
}

// sqliteSink returns a migrated sink on a new SQLite file.
func sqliteSink(t testing.TB, p *pseudo.Pseudonymiser) (*sqlsink.Sink, *sql.DB) {
	t.Helper()
	db := testdb.SQLite(t)
	s, err := sqlsink.New(db, sqlsink.SQLite{}, sqlsink.WithPseudonymiser(p), sqlsink.WithClock(func() time.Time { return fixedNow }))
	require.NoError(t, err)
	_, err = s.Migrate(context.Background())
	require.NoError(t, err)
	return s, db
}

func newPipeline(t testing.TB, src starinsight.Source, accounts []cdr.Account, sink starinsight.Sink, p *pseudo.Pseudonymiser, chunk int, opts ...starinsight.PipelineOption) *starinsight.Pipeline {
	t.Helper()
	dir, err := cdr.NewDirectory(accounts...)
	require.NoError(t, err)
	opts = append([]starinsight.PipelineOption{starinsight.WithClock(func() time.Time { return fixedNow })}, opts...)
	pl, err := starinsight.NewPipeline([]starinsight.Site{{Source: src, Directory: dir}},
		[]starinsight.Target{{Sink: sink, Pseudonymiser: p, Chunk: chunk}}, opts...)
	require.NoError(t, err)
	return pl
}

// TestPipelineSync: a folder of overlapping exports, read in chunks,
// gives the calls of the whole export interpreted at once.
func TestPipelineSync(t *testing.T) {
	dir := t.TempDir()
	rows, accounts := simExport(t, dir, 3, 2, 400)
	src, err := starinsight.NewFolderSource(dir, "pbx1")
	require.NoError(t, err)
	s, db := sqliteSink(t, pseudo.Clear())
	sink, err := starinsight.NewSQLSink(s, "cdr")
	require.NoError(t, err)
	var last starinsight.Progress
	pl := newPipeline(t, src, accounts, sink, pseudo.Clear(), 300, starinsight.WithProgress(func(p starinsight.Progress) { last = p }))
	require.NoError(t, pl.Sync(context.Background()))
	require.True(t, last.CaughtUp)
	require.Equal(t, int64(len(rows)), last.Entries)
	require.Equal(t, int64(len(rows)), last.Total)
	require.Equal(t, rows[len(rows)-1].ID, last.Cursor)

	// The same rows interpreted at once, written directly.
	d, err := cdr.NewDirectory(accounts...)
	require.NoError(t, err)
	in, err := callflow.New(d)
	require.NoError(t, err)
	for i := range rows {
		rows[i].Site = "pbx1"
	}
	want := in.InterpretAll(rows)
	ws, wdb := sqliteSink(t, pseudo.Clear())
	_, err = ws.Write(context.Background(), sqlsink.Batch{Calls: want})
	require.NoError(t, err)
	tables := []string{sqlsink.TableLegs, sqlsink.TableJourneys}
	if diff := cmp.Diff(tableDump(t, wdb, ws, tables...), tableDump(t, db, s, tables...)); diff != "" {
		t.Errorf("pipeline vs all at once (-want +got):\n%s", diff)
	}

	// Again: nothing new, nothing changes.
	before := tableDump(t, db, s, append(tables, sqlsink.TablePipelineStates)...)
	require.NoError(t, pl.Sync(context.Background()))
	require.Equal(t, before, tableDump(t, db, s, append(tables, sqlsink.TablePipelineStates)...))
}

// flakySink fails a share of deliveries, before or after storing them (a
// crash before the commit, or a lost acknowledgement after it).
type flakySink struct {
	starinsight.Sink
	rng   *rand.Rand
	fails atomic.Int64
}

var errFlaky = errors.New("flaky: connection lost")

func (f *flakySink) Deliver(ctx context.Context, site string, calls []callflow.Call, cursor int64, state []byte) error {
	switch f.rng.IntN(4) {
	case 0:
		f.fails.Add(1)
		return errFlaky
	case 1:
		if err := f.Sink.Deliver(ctx, site, calls, cursor, state); err != nil {
			return err
		}
		f.fails.Add(1)
		return errFlaky
	}
	return f.Sink.Deliver(ctx, site, calls, cursor, state)
}

// TestPipelineRestarts: a pipeline whose deliveries fail half the time,
// restarted after every failure (a new Pipeline, as after a crash), ends
// with the tables an uninterrupted run leaves.
func TestPipelineRestarts(t *testing.T) {
	dir := t.TempDir()
	_, accounts := simExport(t, dir, 4, 2, 250)
	src, err := starinsight.NewFolderSource(dir, "pbx1")
	require.NoError(t, err)
	opts := starinsight.WithAssembler(callflow.WithGrace(20*time.Minute), callflow.WithRetention(time.Hour))

	clean, cdb := sqliteSink(t, pseudo.Clear())
	csink, err := starinsight.NewSQLSink(clean, "cdr")
	require.NoError(t, err)
	require.NoError(t, newPipeline(t, src, accounts, csink, pseudo.Clear(), 97, opts).Sync(context.Background()))

	s, db := sqliteSink(t, pseudo.Clear())
	ssink, err := starinsight.NewSQLSink(s, "cdr")
	require.NoError(t, err)
	flaky := &flakySink{Sink: ssink, rng: rand.New(rand.NewPCG(1, 2))}
	restarts := 0
	for {
		err := newPipeline(t, src, accounts, flaky, pseudo.Clear(), 97, opts).Sync(context.Background())
		if err == nil {
			break
		}
		require.ErrorIs(t, err, errFlaky)
		restarts++
		require.Less(t, restarts, 500)
	}
	require.Positive(t, flaky.fails.Load())
	t.Logf("%d restarts", restarts)
	tables := []string{sqlsink.TableLegs, sqlsink.TableJourneys, sqlsink.TablePipelineStates}
	if diff := cmp.Diff(tableDump(t, cdb, clean, tables...), tableDump(t, db, s, tables...)); diff != "" {
		t.Errorf("restarted %d times vs uninterrupted (-want +got):\n%s", restarts, diff)
	}
}

// TestPipelinePseudonymised: through a keyed pseudonymiser neither the
// tables nor the stored state hold a name, number or call id of the
// export; in clear they do.
func TestPipelinePseudonymised(t *testing.T) {
	dir := t.TempDir()
	rows, accounts := simExport(t, dir, 5, 1, 10_000)
	corpus := pseudotest.CorpusFromEntries(rows, accounts, cdr.NumberPlan{})
	src, err := starinsight.NewFolderSource(dir, "pbx1")
	require.NoError(t, err)
	key, err := pseudo.GenerateKey("k1")
	require.NoError(t, err)
	p, err := pseudo.New(pseudo.WithKey(key))
	require.NoError(t, err)
	all := []string{sqlsink.TableLegs, sqlsink.TableJourneys, sqlsink.TablePipelineStates}
	// Stop mid-way, so that the stored state holds open calls.
	for _, tc := range []struct {
		name string
		p    *pseudo.Pseudonymiser
	}{{"clear", pseudo.Clear()}, {"pseudonymised", p}} {
		t.Run(tc.name, func(t *testing.T) {
			s, db := sqliteSink(t, tc.p)
			sink, err := starinsight.NewSQLSink(s, "cdr")
			require.NoError(t, err)
			half := &stopAfter{Source: src, n: len(rows) / 2}
			// The clock at the data's time: the calls of the last minutes
			// stay open.
			at := starinsight.WithClock(func() time.Time { return rows[len(rows)/2].StartTime })
			require.NoError(t, newPipeline(t, half, accounts, sink, tc.p, 100, at).Sync(context.Background()))
			d := tableDump(t, db, s, all...)
			require.NotEmpty(t, d[sqlsink.TablePipelineStates])
			require.Contains(t, d[sqlsink.TablePipelineStates][0], `"rows"`, "the state holds open calls")
			var text strings.Builder
			for _, tb := range all {
				text.WriteString(strings.Join(d[tb], "\n"))
			}
			if tc.p == p {
				pseudotest.AssertNoLeaks(t, "tables and state", []byte(text.String()), corpus)
			} else {
				pseudotest.AssertFinds(t, "clear tables and state", []byte(text.String()), corpus, []pseudotest.Kind{pseudotest.KindName, pseudotest.KindNumber, pseudotest.KindCallID})
			}
		})
	}
}

// stopAfter is a source that has only its first n entries.
type stopAfter struct {
	starinsight.Source
	n int
}

func (s *stopAfter) Entries(ctx context.Context, after int64, limit int) iter.Seq2[cdr.Entry, error] {
	return func(yield func(cdr.Entry, error) bool) {
		i := 0
		for e, err := range s.Source.Entries(ctx, 0, 0) {
			i++
			if i > s.n {
				return
			}
			if e.ID <= after {
				continue
			}
			if !yield(e, err) {
				return
			}
			if limit > 0 {
				limit--
				if limit == 0 {
					return
				}
			}
		}
	}
}

// TestPipelineBadRows: a malformed line and a bad value are reported
// naming the file and line; the cursor moves past them; every good row is
// delivered.
func TestPipelineBadRows(t *testing.T) {
	dir := t.TempDir()
	rows, accounts := simExport(t, dir, 6, 1, 100_000)
	name := filepath.Join(dir, "export-000.csv")
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	lines := strings.Split(string(b), "\n")
	lines = slices.Insert(lines, 3, `this is "not a row`)
	require.NoError(t, os.WriteFile(name, []byte(strings.Join(lines, "\n")), 0o644))
	src, err := starinsight.NewFolderSource(dir, "pbx1")
	require.NoError(t, err)
	s, db := sqliteSink(t, pseudo.Clear())
	sink, err := starinsight.NewSQLSink(s, "cdr")
	require.NoError(t, err)
	var reported []error
	pl := newPipeline(t, src, accounts, sink, pseudo.Clear(), 500, starinsight.WithOnError(func(site, sink string, err error) { reported = append(reported, err) }))
	require.NoError(t, pl.Sync(context.Background()))
	require.NotEmpty(t, reported)
	var fe *starinsight.FileError
	require.ErrorAs(t, reported[0], &fe)
	require.Equal(t, "export-000.csv", fe.File)
	require.Contains(t, reported[0].Error(), "line 4")
	var n int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM "+s.Dialect().Quote(s.TableName(sqlsink.TableJourneys))).Scan(&n))
	require.Positive(t, n)
	ps, ok, err := s.PipelineState(context.Background(), "cdr", "pbx1")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, rows[len(rows)-1].ID, ps.Cursor)
	// Reported once per process, not on every read.
	reported = nil
	require.NoError(t, pl.Sync(context.Background()))
	require.Empty(t, reported)
}

func TestNewPipelineRefuses(t *testing.T) {
	dir := t.TempDir()
	src, err := starinsight.NewFolderSource(dir, "pbx1")
	require.NoError(t, err)
	d, err := cdr.NewDirectory()
	require.NoError(t, err)
	s, _ := sqliteSink(t, pseudo.Clear())
	sink, err := starinsight.NewSQLSink(s, "cdr")
	require.NoError(t, err)
	_, err = starinsight.NewPipeline([]starinsight.Site{{Source: src, Directory: d}}, []starinsight.Target{{Sink: sink}})
	require.ErrorContains(t, err, "no privacy choice")
	_, err = starinsight.NewPipeline([]starinsight.Site{{Source: src, Directory: d}, {Source: src, Directory: d}}, []starinsight.Target{{Sink: sink, Pseudonymiser: pseudo.Clear()}})
	require.ErrorContains(t, err, `site "pbx1" twice`)
	_, err = starinsight.NewFolderSource(filepath.Join(dir, "missing"), "x")
	require.Error(t, err)
}

// TestPipelineSitesAndTargets: two PBXs into two databases at once, one
// pseudonymised and one in clear: each database holds both sites' calls,
// tagged with their site; only the clear one holds names.
func TestPipelineSitesAndTargets(t *testing.T) {
	dir1, dir2 := t.TempDir(), t.TempDir()
	rows1, accounts := simExport(t, dir1, 15, 1, 10_000)
	rows2, _ := simExport(t, dir2, 16, 1, 10_000)
	var sites []starinsight.Site
	for _, s := range []struct{ dir, name string }{{dir1, "berlin"}, {dir2, "stuttgart"}} {
		src, err := starinsight.NewFolderSource(s.dir, s.name)
		require.NoError(t, err)
		d, err := cdr.NewDirectory(accounts...)
		require.NoError(t, err)
		sites = append(sites, starinsight.Site{Source: src, Directory: d})
	}
	key, err := pseudo.GenerateKey("k1")
	require.NoError(t, err)
	p, err := pseudo.New(pseudo.WithKey(key))
	require.NoError(t, err)
	clear, cdb := sqliteSink(t, pseudo.Clear())
	hidden, hdb := sqliteSink(t, p)
	cs, err := starinsight.NewSQLSink(clear, "cdr")
	require.NoError(t, err)
	hs, err := starinsight.NewSQLSink(hidden, "cdr")
	require.NoError(t, err)
	pl, err := starinsight.NewPipeline(sites, []starinsight.Target{{Sink: cs, Pseudonymiser: pseudo.Clear()}, {Sink: hs, Pseudonymiser: p}},
		starinsight.WithClock(func() time.Time { return fixedNow }))
	require.NoError(t, err)
	require.NoError(t, pl.Sync(context.Background()))

	want := map[string]int{
		"berlin":    len(interpretAll(t, rows1, accounts, "berlin")),
		"stuttgart": len(interpretAll(t, rows2, accounts, "stuttgart")),
	}
	corpus := pseudotest.CorpusFromEntries(append(slices.Clone(rows1), rows2...), accounts, cdr.NumberPlan{})
	for _, tc := range []struct {
		name string
		s    *sqlsink.Sink
		db   *sql.DB
	}{{"clear", clear, cdb}, {"pseudonymised", hidden, hdb}} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]int{}
			rs, err := tc.db.Query("SELECT site, COUNT(*) FROM " + tc.s.Dialect().Quote(tc.s.TableName(sqlsink.TableJourneys)) + " GROUP BY site")
			require.NoError(t, err)
			for rs.Next() {
				var site string
				var n int
				require.NoError(t, rs.Scan(&site, &n))
				got[site] = n
			}
			require.NoError(t, rs.Close())
			require.Equal(t, want, got, "calls per site")
			d := tableDump(t, tc.db, tc.s, sqlsink.TableLegs, sqlsink.TableJourneys, sqlsink.TablePipelineStates)
			var text strings.Builder
			for _, rows := range d {
				text.WriteString(strings.Join(rows, "\n"))
			}
			if tc.name == "clear" {
				pseudotest.AssertFinds(t, "clear", []byte(text.String()), corpus, []pseudotest.Kind{pseudotest.KindName, pseudotest.KindNumber})
				return
			}
			pseudotest.AssertNoLeaks(t, "pseudonymised", []byte(text.String()), corpus)
		})
	}
}
