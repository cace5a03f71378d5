package sqlsink_test

import (
	"context"
	"database/sql"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
	"github.com/starinsight/starinsight/internal/testdb"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/sqlsink"
)

func simDay(t testing.TB) ([]cdr.Account, []callflow.Call, []cdr.Entry) {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	cfg := sim.Config{Seed: 5, Start: time.Date(2026, 3, 2, 0, 0, 0, 0, loc), Days: 1}
	var rows []cdr.Entry
	for e := range sim.Generate(cfg) {
		rows = append(rows, e)
	}
	dir, err := cdr.NewDirectory(cfg.Accounts()...)
	require.NoError(t, err)
	in, err := callflow.New(dir)
	require.NoError(t, err)
	return cfg.Accounts(), in.InterpretAll(rows), rows
}

// allTables are the tables the schema creates.
var allTables = []string{
	sqlsink.TableLegs, sqlsink.TableJourneys, sqlsink.TableAccounts, sqlsink.TableGroupCallAccount, sqlsink.TableUserCallAccount,
	sqlsink.TableLostCallers, sqlsink.TableLostAttempts, sqlsink.TableUserLoginStates, sqlsink.TableMemberLoginStates,
	sqlsink.TableLiveUsers, sqlsink.TableLiveQueues, sqlsink.TableCheckpoints, sqlsink.TableSchemaVersion, sqlsink.TablePipelineStates,
}

// database is one of the databases the tests run against.
type database struct {
	name string
	open func(testing.TB) *sql.DB
	d    sqlsink.Dialect
	opts []sqlsink.Option // for every sink on it
	mode string           // what opts change, for test names
}

var databases = []database{
	{name: "sqlite", open: testdb.SQLite, d: sqlsink.SQLite{}},
	{name: "postgres", open: testdb.Postgres, d: sqlsink.Postgres{}},
	{name: "mysql", open: testdb.MySQL, d: sqlsink.MySQL{}},
}

// bulkCopyPostgres is PostgreSQL with every table, however small, loaded
// through pgx's COPY and a staging table.
var bulkCopyPostgres = database{name: "postgres", open: testdb.Postgres, d: sqlsink.Postgres{},
	opts: []sqlsink.Option{sqlsink.WithBulkCopy(pgxCopy, 1)}, mode: "bulkcopy"}

// withBulkCopy is databases and bulkCopyPostgres.
var withBulkCopy = append(slices.Clone(databases), bulkCopyPostgres)

// plain returns dbase without its options.
func (dbase database) plain() database {
	dbase.opts, dbase.mode = nil, ""
	return dbase
}

// label names dbase in test names.
func (dbase database) label() string {
	if dbase.mode != "" {
		return dbase.name + "+" + dbase.mode
	}
	return dbase.name
}

// newSink opens the database and returns a sink on tables of the test's
// own (a random prefix), dropped when the test ends.
func newSink(t *testing.T, dbase database, opts ...sqlsink.Option) (*sqlsink.Sink, *sql.DB) {
	t.Helper()
	db := dbase.open(t)
	prefix := testdb.Name("si") + "_"
	opts = append(append([]sqlsink.Option{sqlsink.WithPseudonymiser(pseudo.Clear()), sqlsink.WithTablePrefix(prefix)}, dbase.opts...), opts...)
	s, err := sqlsink.New(db, dbase.d, opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		for _, name := range allTables {
			if _, err := db.Exec("DROP TABLE IF EXISTS " + dbase.d.Quote(s.TableName(name))); err != nil {
				t.Errorf("dropping %s: %v", s.TableName(name), err)
			}
		}
	})
	return s, db
}

func countRows(t *testing.T, db *sql.DB, s *sqlsink.Sink, table string) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM "+s.Dialect().Quote(s.TableName(table))).Scan(&n))
	return n
}

// TestSmoke: migrate twice, write a day twice: the same rows, the
// checkpoint, on every database.
func TestSmoke(t *testing.T) {
	accounts, calls, rows := simDay(t)
	require.NotEmpty(t, calls)
	legs := 0
	for _, c := range calls {
		legs += len(c.Legs)
	}
	for _, dbase := range databases {
		t.Run(dbase.name, func(t *testing.T) {
			ctx := context.Background()
			s, db := newSink(t, dbase)
			for range 2 {
				v, err := s.Migrate(ctx)
				require.NoError(t, err)
				require.Equal(t, sqlsink.SchemaVersion(), v)
			}
			for range 2 {
				_, err := s.Write(ctx, sqlsink.Batch{Calls: calls, Accounts: accounts, Checkpoint: &sqlsink.Checkpoint{Name: "cdr", Cursor: rows[len(rows)-1].ID}})
				require.NoError(t, err)
			}
			require.Equal(t, legs, countRows(t, db, s, sqlsink.TableLegs))
			require.Equal(t, len(calls), countRows(t, db, s, sqlsink.TableJourneys))
			require.Equal(t, len(accounts), countRows(t, db, s, sqlsink.TableAccounts))
			cp, ok, err := s.Checkpoint(ctx, "cdr", "")
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, rows[len(rows)-1].ID, cp.Cursor)
		})
	}
}

func TestNewRequiresPrivacyChoice(t *testing.T) {
	db := testdb.SQLite(t)
	_, err := sqlsink.New(db, sqlsink.SQLite{})
	require.ErrorIs(t, err, sqlsink.ErrNoPseudonymiser)
}

// TestMigrateKeepsData: set-up run again over written data deletes
// nothing (DOMAIN.md §6: re-setup must never delete call-list data).
func TestMigrateKeepsData(t *testing.T) {
	accounts, calls, _ := simDay(t)
	for _, dbase := range databases {
		t.Run(dbase.name, func(t *testing.T) {
			ctx := context.Background()
			s, db := newSink(t, dbase)
			v0, err := s.DatabaseVersion(ctx)
			require.Error(t, err, "no schema table yet: the version cannot be read")
			require.Zero(t, v0)
			_, err = s.Migrate(ctx)
			require.NoError(t, err)
			_, err = s.Write(ctx, sqlsink.Batch{Calls: calls[:10], Accounts: accounts})
			require.NoError(t, err)
			before := countRows(t, db, s, sqlsink.TableLegs)
			require.Positive(t, before)
			// A second sink on the same tables, as after a restart or an upgrade.
			again, err := sqlsink.New(db, dbase.d, sqlsink.WithPseudonymiser(pseudo.Clear()), sqlsink.WithTablePrefix(s.TableName("")))
			require.NoError(t, err)
			v, err := again.Migrate(ctx)
			require.NoError(t, err)
			require.Equal(t, sqlsink.SchemaVersion(), v)
			require.Equal(t, before, countRows(t, db, s, sqlsink.TableLegs))
			require.Equal(t, len(accounts), countRows(t, db, s, sqlsink.TableAccounts))
			require.Equal(t, sqlsink.SchemaVersion(), countRows(t, db, s, sqlsink.TableSchemaVersion), "one row per applied version")
			dv, err := again.DatabaseVersion(ctx)
			require.NoError(t, err)
			require.Equal(t, sqlsink.SchemaVersion(), dv)
		})
	}
}

// TestMigrateIndexes: version 2 adds the time indexes; a database at
// version 1 is brought up to date with its data; a set-up cut short after the
// indexes and before the version's record runs again cleanly.
func TestMigrateIndexes(t *testing.T) {
	_, calls, _ := simDay(t)
	for _, dbase := range databases {
		t.Run(dbase.name, func(t *testing.T) {
			ctx := context.Background()
			s, db := migrated(t, dbase)
			_, err := s.Write(ctx, sqlsink.Batch{Calls: calls[:10]})
			require.NoError(t, err)
			d := dbase.d
			legs := &sqlsink.Table{Name: s.TableName(sqlsink.TableLegs)}
			ix := sqlsink.Index{Name: sqlsink.IndexName(legs, "start_time"), Columns: []string{"start_time"}}
			exists := func() int {
				q, args := d.IndexExists(legs, ix)
				var n int
				require.NoError(t, db.QueryRow(q, args...).Scan(&n))
				return n
			}
			require.Equal(t, 1, exists())
			for _, tc := range []struct{ table, col string }{
				{sqlsink.TableJourneys, "start_time"}, {sqlsink.TableLostCallers, "first_attempt"}, {sqlsink.TableUserLoginStates, "at"},
				{sqlsink.TableMemberLoginStates, "at"}, {sqlsink.TableLiveUsers, "at"}, {sqlsink.TableLiveQueues, "at"},
			} {
				tb := &sqlsink.Table{Name: s.TableName(tc.table)}
				q, args := d.IndexExists(tb, sqlsink.Index{Name: sqlsink.IndexName(tb, tc.col)})
				var n int
				require.NoError(t, db.QueryRow(q, args...).Scan(&n))
				require.Equal(t, 1, n, "index on %s.%s", tc.table, tc.col)
			}

			back := func() {
				_, err := db.Exec("DELETE FROM "+d.Quote(s.TableName(sqlsink.TableSchemaVersion))+" WHERE "+d.Quote("version")+" >= "+d.Placeholder(1), 2)
				require.NoError(t, err)
				v, err := s.DatabaseVersion(ctx)
				require.NoError(t, err)
				require.Equal(t, 1, v)
			}
			// Cut short: the indexes are there, the record is not.
			back()
			v, err := s.Migrate(ctx)
			require.NoError(t, err)
			require.Equal(t, sqlsink.SchemaVersion(), v)

			// A version-1 database: no index yet.
			back()
			drop := "DROP INDEX " + d.Quote(ix.Name)
			if dbase.name == "mysql" {
				drop += " ON " + d.Quote(legs.Name)
			}
			_, err = db.Exec(drop)
			require.NoError(t, err)
			require.Equal(t, 0, exists())
			v, err = s.Migrate(ctx)
			require.NoError(t, err)
			require.Equal(t, sqlsink.SchemaVersion(), v)
			require.Equal(t, 1, exists())
			require.Equal(t, legCount(calls[:10]), countRows(t, db, s, sqlsink.TableLegs))
		})
	}
}

func TestIndexName(t *testing.T) {
	short := sqlsink.IndexName(&sqlsink.Table{Name: "pbx1_CDR_Summary"}, "start_time")
	require.Equal(t, "ix_pbx1_CDR_Summary_start_time", short)
	long := &sqlsink.Table{Name: strings.Repeat("p", 40) + "_CDR_Summary"}
	a := sqlsink.IndexName(long, "start_time")
	require.LessOrEqual(t, len(a), 60)
	other := &sqlsink.Table{Name: strings.Repeat("q", 40) + "_CDR_Summary"}
	require.NotEqual(t, a, sqlsink.IndexName(other, "start_time"), "long names stay distinct")
}

// pgxCopy is the BulkCopier for pgx's stdlib, as an integrator writes it.
func pgxCopy(ctx context.Context, driverConn any, table string, columns []string, rows *sqlsink.CopyRows) (int64, error) {
	return driverConn.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, rows)
}

// driverConn is the pgx connection under database/sql's.
func driverConn(dc any) *pgx.Conn { return dc.(*stdlib.Conn).Conn() }

// TestMigrateRefusesNonUTF8MB4: a MySQL connection in a three-byte
// character set would mangle emoji; Migrate says how to fix the DSN.
func TestMigrateRefusesNonUTF8MB4(t *testing.T) {
	testdb.MySQL(t) // skips without a DSN
	dsn := os.Getenv(testdb.MySQLEnv)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	db, err := sql.Open("mysql", dsn+sep+"charset=utf8")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	s, err := sqlsink.New(db, sqlsink.MySQL{}, sqlsink.WithPseudonymiser(pseudo.Clear()), sqlsink.WithTablePrefix(testdb.Name("cs")+"_"))
	require.NoError(t, err)
	_, err = s.Migrate(context.Background())
	require.ErrorIs(t, err, sqlsink.ErrCharset)
	require.ErrorContains(t, err, "charset=utf8mb4")
	require.ErrorContains(t, err, "(it is utf8")
}
