package sqlsink_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/internal/testdb"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/sqlsink"
)

// benchLegs is how many legs one operation of BenchmarkLegs writes.
const benchLegs = 20_000

// benchCalls returns a simulated day's calls repeated under new call ids
// until they hold benchLegs legs, and the same legs as one call: written
// through Sink.Write that is benchLegs rows of CDR_Summary and a single
// journey, the rows COPY and INSERT write too.
func benchCalls(tb testing.TB) (calls []callflow.Call, oneCall []callflow.Call) {
	tb.Helper()
	_, day, _ := simDay(tb)
	var legs []callflow.Leg
	for copyNo := 0; len(legs) < benchLegs; copyNo++ {
		for _, c := range day {
			if len(legs)+len(c.Legs) > benchLegs {
				break
			}
			c.Journey.CallID = fmt.Sprintf("%s-%d", c.Journey.CallID, copyNo)
			c.Legs = slices.Clone(c.Legs)
			for i := range c.Legs {
				c.Legs[i].CallID = c.Journey.CallID
			}
			calls = append(calls, c)
			legs = append(legs, c.Legs...)
		}
	}
	require.Len(tb, legs, benchLegs, "the day's calls do not add up to benchLegs legs")
	return calls, []callflow.Call{{Journey: day[0].Journey, Legs: legs}}
}

// benchSink returns a migrated sink on tables of a random prefix, dropped
// when the benchmark ends.
func benchSink(b *testing.B, dbase database, db *sql.DB, opts ...sqlsink.Option) *sqlsink.Sink {
	b.Helper()
	prefix := testdb.Name("bench") + "_"
	opts = append([]sqlsink.Option{sqlsink.WithPseudonymiser(pseudo.Clear()), sqlsink.WithTablePrefix(prefix)}, opts...)
	s, err := sqlsink.New(db, dbase.d, opts...)
	require.NoError(b, err)
	b.Cleanup(func() {
		for _, name := range allTables {
			if _, err := db.Exec("DROP TABLE IF EXISTS " + dbase.d.Quote(s.TableName(name))); err != nil {
				b.Errorf("dropping %s: %v", s.TableName(name), err)
			}
		}
	})
	_, err = s.Migrate(context.Background())
	require.NoError(b, err)
	return s
}

// BenchmarkLegs measures rows/s of writing benchLegs legs into an empty
// CDR_Summary: the sink's upsert path (Sink.Write, the legs as one call),
// and, into an identically shaped table, the same rows (as the sink stored
// them) by PostgreSQL COPY and by row-by-row INSERT, one statement per row
// in one transaction. upsert-again writes the batch over itself (every row
// a conflict); upsert-calls writes the legs in their calls (about 17,000,
// so also their journeys, counted in its rows/s, and the deletion of legs
// a re-emitted call no longer has). Without a DSN the server's benchmarks
// skip.
func BenchmarkLegs(b *testing.B) {
	calls, oneCall := benchCalls(b)
	for _, dbase := range databases {
		b.Run(dbase.name, func(b *testing.B) {
			ctx := context.Background()
			db := dbase.open(b)
			s := benchSink(b, dbase, db)
			other := benchSink(b, dbase, db) // the same shape, for COPY and INSERT
			d := dbase.d
			legs, target := s.TableName(sqlsink.TableLegs), other.TableName(sqlsink.TableLegs)
			empty := func(b *testing.B, table string) {
				b.Helper()
				stmt := "DELETE FROM " + d.Quote(table)
				if d.Name() != "sqlite" {
					stmt = "TRUNCATE TABLE " + d.Quote(table)
				}
				_, err := db.ExecContext(ctx, stmt)
				require.NoError(b, err)
			}
			batch := sqlsink.Batch{Calls: oneCall}

			// The rows as the sink stores them, for COPY and INSERT, read
			// only there: held during the upserts they would be heap the
			// garbage collector scans, a cost of the benchmark, not of the
			// sink.
			readBack := func(b *testing.B) ([]string, [][]any) {
				b.Helper()
				_, err := s.Write(ctx, batch)
				require.NoError(b, err)
				cols, rows := benchReadBack(b, db, d, legs)
				require.Len(b, rows, benchLegs)
				return cols, rows
			}

			b.Run("upsert", func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					empty(b, legs)
					b.StartTimer()
					_, err := s.Write(ctx, batch)
					require.NoError(b, err)
				}
				benchRowsPerSec(b, benchLegs)
			})
			b.Run("upsert-again", func(b *testing.B) {
				_, err := s.Write(ctx, batch)
				require.NoError(b, err)
				for b.Loop() {
					_, err := s.Write(ctx, batch)
					require.NoError(b, err)
				}
				benchRowsPerSec(b, benchLegs)
			})
			// The legs in their calls, as an exporter writes them: their
			// journeys too, and the deletion of legs a call no longer has.
			b.Run("upsert-calls", func(b *testing.B) {
				journeys := s.TableName(sqlsink.TableJourneys)
				for b.Loop() {
					b.StopTimer()
					empty(b, legs)
					empty(b, journeys)
					b.StartTimer()
					_, err := s.Write(ctx, sqlsink.Batch{Calls: calls})
					require.NoError(b, err)
				}
				benchRowsPerSec(b, benchLegs+len(calls))
			})
			if d.Name() == "postgres" {
				// The sink with a bulk copy: the same upserts, from a
				// staging table COPY filled.
				withCopy := benchSink(b, dbase, db, sqlsink.WithBulkCopy(pgxCopy, 0))
				b.Run("upsert-bulkcopy", func(b *testing.B) {
					table := withCopy.TableName(sqlsink.TableLegs)
					for b.Loop() {
						b.StopTimer()
						empty(b, table)
						b.StartTimer()
						_, err := withCopy.Write(ctx, batch)
						require.NoError(b, err)
					}
					benchRowsPerSec(b, benchLegs)
				})
				b.Run("upsert-again-bulkcopy", func(b *testing.B) {
					_, err := withCopy.Write(ctx, batch)
					require.NoError(b, err)
					for b.Loop() {
						_, err := withCopy.Write(ctx, batch)
						require.NoError(b, err)
					}
					benchRowsPerSec(b, benchLegs)
				})
				b.Run("upsert-calls-bulkcopy", func(b *testing.B) {
					for b.Loop() {
						b.StopTimer()
						empty(b, withCopy.TableName(sqlsink.TableLegs))
						empty(b, withCopy.TableName(sqlsink.TableJourneys))
						b.StartTimer()
						_, err := withCopy.Write(ctx, sqlsink.Batch{Calls: calls})
						require.NoError(b, err)
					}
					benchRowsPerSec(b, benchLegs+len(calls))
				})
				b.Run("copy", func(b *testing.B) {
					cols, rows := readBack(b)
					conn, err := db.Conn(ctx)
					require.NoError(b, err)
					defer conn.Close()
					for b.Loop() {
						b.StopTimer()
						empty(b, target)
						b.StartTimer()
						err := conn.Raw(func(dc any) error {
							n, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{target}, cols, pgx.CopyFromRows(rows))
							if err == nil && n != int64(len(rows)) {
								err = fmt.Errorf("copied %d rows of %d", n, len(rows))
							}
							return err
						})
						require.NoError(b, err)
					}
					benchRowsPerSec(b, benchLegs)
				})
			}
			b.Run("row-by-row", func(b *testing.B) {
				cols, rows := readBack(b)
				var q strings.Builder
				q.WriteString("INSERT INTO " + d.Quote(target) + " (")
				for i, c := range cols {
					if i > 0 {
						q.WriteString(", ")
					}
					q.WriteString(d.Quote(c))
				}
				q.WriteString(") VALUES (")
				for i := range cols {
					if i > 0 {
						q.WriteString(", ")
					}
					q.WriteString(d.Placeholder(i + 1))
				}
				q.WriteString(")")
				for b.Loop() {
					b.StopTimer()
					empty(b, target)
					b.StartTimer()
					tx, err := db.BeginTx(ctx, nil)
					require.NoError(b, err)
					stmt, err := tx.PrepareContext(ctx, q.String())
					require.NoError(b, err)
					for _, r := range rows {
						if _, err := stmt.ExecContext(ctx, r...); err != nil {
							tx.Rollback() //nolint:errcheck
							require.NoError(b, err)
						}
					}
					require.NoError(b, stmt.Close())
					require.NoError(b, tx.Commit())
				}
				benchRowsPerSec(b, benchLegs)
			})
		})
	}
}

// benchReadBack reads a table's column names and rows.
func benchReadBack(b *testing.B, db *sql.DB, d sqlsink.Dialect, table string) ([]string, [][]any) {
	b.Helper()
	rs, err := db.Query("SELECT * FROM " + d.Quote(table))
	require.NoError(b, err)
	defer rs.Close()
	cols, err := rs.Columns()
	require.NoError(b, err)
	var out [][]any
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(b, rs.Scan(ptrs...))
		out = append(out, vals)
	}
	require.NoError(b, rs.Err())
	return cols, out
}

func benchRowsPerSec(b *testing.B, perOp int) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(perOp*b.N)/s, "rows/s")
	}
}
