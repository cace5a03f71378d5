package sqlsink_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/internal/testdb"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/sqlsink"
)

func TestBulkCopyNeedsStagingDialect(t *testing.T) {
	for _, d := range []sqlsink.Dialect{sqlsink.MySQL{}, sqlsink.SQLite{}, sqlsink.SQLServer{}} {
		_, err := sqlsink.New(testdb.SQLite(t), d, sqlsink.WithPseudonymiser(pseudo.Clear()), sqlsink.WithBulkCopy(pgxCopy, 0))
		require.ErrorContains(t, err, "WithBulkCopy: dialect "+d.Name()+" has no staging table")
	}
	_, err := sqlsink.New(testdb.SQLite(t), sqlsink.Postgres{}, sqlsink.WithPseudonymiser(pseudo.Clear()), sqlsink.WithBulkCopy(pgxCopy, 0))
	require.NoError(t, err, "New does not connect")
}

// TestBulkCopy: the tables of at least minRows rows go through the
// copier, the others through the multi-row upsert; a copier that fails
// or copies too few rows fails the write, which then stored nothing.
func TestBulkCopy(t *testing.T) {
	accounts, calls, _ := simDay(t)
	pg := databases[1]
	require.Equal(t, "postgres", pg.name)
	batch := func(cursor int64) sqlsink.Batch {
		return sqlsink.Batch{Calls: calls, Accounts: accounts, Checkpoint: &sqlsink.Checkpoint{Name: "cdr", Cursor: cursor, UpdatedAt: fixedAt}}
	}
	legs := legCount(calls)
	require.Greater(t, len(calls), len(accounts))

	t.Run("threshold", func(t *testing.T) {
		var copied []int
		counting := func(ctx context.Context, dc any, table string, cols []string, rows *sqlsink.CopyRows) (int64, error) {
			copied = append(copied, rows.Len())
			return pgxCopy(ctx, dc, table, cols, rows)
		}
		// Above the journeys' count, below the legs'.
		s, db := migrated(t, pg, sqlsink.WithBulkCopy(counting, len(calls)+1))
		res, err := s.Write(context.Background(), batch(1))
		require.NoError(t, err)
		require.Equal(t, []int{legs}, copied, "only the legs are copied")
		require.Equal(t, legs, res.Rows[sqlsink.TableLegs])
		require.Equal(t, legs, countRows(t, db, s, sqlsink.TableLegs))
		require.Equal(t, len(calls), countRows(t, db, s, sqlsink.TableJourneys))

		// Again: the copy straight into the table meets existing keys and
		// is rolled back; the rows go through the staging table.
		before := dump(t, db, s)
		copied = nil
		_, err = s.Write(context.Background(), batch(1))
		require.NoError(t, err)
		require.Equal(t, []int{legs, legs}, copied, "a refused direct copy, then the staging copy")
		if diff := cmp.Diff(before, dump(t, db, s)); diff != "" {
			t.Errorf("writing the batch again changed the tables (-want +got):\n%s", diff)
		}
	})

	failures := []struct {
		name string
		copy sqlsink.BulkCopier
		want string
	}{
		{"copier fails", func(ctx context.Context, dc any, table string, cols []string, rows *sqlsink.CopyRows) (int64, error) {
			rows.Next()
			return 0, errCopy
		}, "bulk copy: copy refused"},
		{"copier copies too few", func(ctx context.Context, dc any, table string, cols []string, rows *sqlsink.CopyRows) (int64, error) {
			n, err := pgxCopy(ctx, dc, table, cols, rows)
			return n - 1, err
		}, "rows of"},
		{"copier returns its own error", func(ctx context.Context, dc any, table string, cols []string, rows *sqlsink.CopyRows) (int64, error) {
			return 0, errors.New("not a pgx connection")
		}, "not a pgx connection"},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			var fail atomic.Bool
			copier := func(ctx context.Context, dc any, table string, cols []string, rows *sqlsink.CopyRows) (int64, error) {
				if fail.Load() {
					return f.copy(ctx, dc, table, cols, rows)
				}
				return pgxCopy(ctx, dc, table, cols, rows)
			}
			s, db := migrated(t, pg, sqlsink.WithBulkCopy(copier, 1))
			ctx := context.Background()
			_, err := s.Write(ctx, batch(1))
			require.NoError(t, err)
			before := dump(t, db, s)

			fail.Store(true)
			_, err = s.Write(ctx, batch(2))
			var we *sqlsink.WriteError
			require.ErrorAs(t, err, &we)
			require.Equal(t, s.TableName(sqlsink.TableLegs), we.Table, "the first table copied")
			require.ErrorContains(t, err, f.want)
			require.Equal(t, before, dump(t, db, s), "a failed write changed the tables")

			fail.Store(false)
			_, err = s.Write(ctx, batch(2))
			require.NoError(t, err, "the sink recovers")
			cp, ok, err := s.Checkpoint(ctx, "cdr", "")
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, int64(2), cp.Cursor)
		})
	}
}

var errCopy = errors.New("copy refused")

func TestCopyRows(t *testing.T) {
	var got [][]any
	collect := func(ctx context.Context, dc any, table string, cols []string, rows *sqlsink.CopyRows) (int64, error) {
		if _, err := rows.Values(); err == nil {
			return 0, errors.New("Values before Next gave no error")
		}
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				return 0, err
			}
			if len(v) != len(cols) {
				return 0, errors.New("a row's width is not the columns'")
			}
			got = append(got, v)
		}
		if err := rows.Err(); err != nil {
			return 0, err
		}
		return driverConn(dc).CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(got[len(got)-rows.Len():]))
	}
	s, db := migrated(t, databases[1], sqlsink.WithBulkCopy(collect, 1))
	_, calls, _ := simDay(t)
	call := calls[0]
	for _, c := range calls {
		if len(c.Legs) > len(call.Legs) {
			call = c
		}
	}
	require.Greater(t, len(call.Legs), 1)
	_, err := s.Write(context.Background(), sqlsink.Batch{Calls: []callflow.Call{call}})
	require.NoError(t, err)
	require.Len(t, got, len(call.Legs)+1, "the legs, then the journey")
	require.Equal(t, len(call.Legs), countRows(t, db, s, sqlsink.TableLegs))
	require.Equal(t, 1, countRows(t, db, s, sqlsink.TableJourneys))
}
