package sqlsink

import (
	"context"
	"database/sql"
	"fmt"
)

// A bulk copy lets the sink load large tables the fastest way a database
// has (PostgreSQL's COPY) without this package importing a driver: the
// caller passes the few lines that call its driver's copy, and the sink
// copies each large table's rows into a temporary staging table inside the
// write's transaction, then upserts them from there with one statement.
// Everything else (deduplication, the transaction, the checkpoint, the
// errors) stays as without it.

// BulkCopier copies rows into table (a staging table the sink created, in
// the transaction the sink holds on driverConn) and returns how many it
// copied. driverConn is what (*sql.Conn).Raw hands over: for pgx's stdlib,
// a *stdlib.Conn. rows is a pgx.CopyFromSource as it is. With pgx:
//
//	func(ctx context.Context, driverConn any, table string, columns []string, rows *sqlsink.CopyRows) (int64, error) {
//		return driverConn.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, rows)
//	}
type BulkCopier func(ctx context.Context, driverConn any, table string, columns []string, rows *CopyRows) (int64, error)

// StagingDialect is a Dialect whose upserts can read from a staging table:
// the dialects a BulkCopier works with (Postgres).
type StagingDialect interface {
	Dialect
	// CreateStaging returns the statement creating a temporary table
	// shaped like t, named staging, dropped when the transaction ends.
	CreateStaging(t *Table, staging string) string
	// UpsertFrom returns the statement upserting every row of staging
	// into t.
	UpsertFrom(t *Table, staging string) string
	// Savepoint returns the statements that set a savepoint, roll back to
	// it, and release it.
	Savepoint(name string) (set, rollback, release string)
	// IsDuplicateKey reports whether err is the database refusing a row
	// whose key exists (PostgreSQL's unique_violation).
	IsDuplicateKey(err error) bool
}

// WithBulkCopy makes the sink load tables of at least minRows rows in a
// write (0: 1,000) through copy and a staging table. The dialect must be
// a StagingDialect. Smaller tables keep the multi-row upsert: creating a
// staging table costs more than a few statements.
func WithBulkCopy(copy BulkCopier, minRows int) Option {
	return func(s *Sink) {
		if minRows <= 0 {
			minRows = 1000
		}
		s.copier, s.copyMin = copy, minRows
	}
}

// CopyRows is the rows of one bulk copy, as the database will store them
// (already bound: encoded text, times in UTC). It has the methods of
// pgx.CopyFromSource.
type CopyRows struct {
	vals []any
	ncol int
	next int // the row Values returns, from 1 after the first Next
}

// Next advances to the next row and reports whether there is one.
func (r *CopyRows) Next() bool {
	if r.next*r.ncol >= len(r.vals) {
		return false
	}
	r.next++
	return true
}

// Values returns the current row's values, one per column.
func (r *CopyRows) Values() ([]any, error) {
	if r.next == 0 {
		return nil, fmt.Errorf("sqlsink: CopyRows.Values before Next")
	}
	at := (r.next - 1) * r.ncol
	return r.vals[at : at+r.ncol : at+r.ncol], nil
}

// Err is always nil: the rows are in memory.
func (r *CopyRows) Err() error { return nil }

// Len returns how many rows there are.
func (r *CopyRows) Len() int { return len(r.vals) / r.ncol }

// copyUpsert loads the deduplicated rows vals (ncol per row) of table t
// through the sink's BulkCopier. Rows whose keys are all new, the common
// case of a large batch (a backfill), are copied straight into t under a
// savepoint, as fast as a plain COPY. When a key exists, the database
// refuses the copy; the savepoint is rolled back and the rows are copied
// into a staging table and upserted from there.
func (s *Sink) copyUpsert(ctx context.Context, w *writer, t *Table, vals []any, ncol int, keyIdx []int) error {
	d := s.d.(StagingDialect)
	staging := "starinsight_staging"
	fail := func(err error) error {
		return &WriteError{Table: t.Name, Row: 0, Key: printableKey(vals, ncol, keyIdx, 0), Err: err}
	}
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = c.Name
	}
	copyInto := func(table string) error {
		rows := &CopyRows{vals: vals, ncol: ncol}
		return w.conn.Raw(func(dc any) error {
			n, err := s.copier(ctx, dc, table, cols, rows)
			if err == nil && n != int64(rows.Len()) {
				err = fmt.Errorf("copied %d rows of %d", n, rows.Len())
			}
			return err
		})
	}
	set, rollback, release := d.Savepoint("starinsight_copy")
	if _, err := w.tx.ExecContext(ctx, set); err != nil {
		return fail(fmt.Errorf("savepoint before the bulk copy: %w", err))
	}
	err := copyInto(t.Name)
	if err == nil {
		if _, err := w.tx.ExecContext(ctx, release); err != nil {
			return fail(fmt.Errorf("releasing the savepoint after the bulk copy: %w", err))
		}
		return nil
	}
	if !d.IsDuplicateKey(err) {
		return fail(fmt.Errorf("bulk copy: %w", err))
	}
	if _, err := w.tx.ExecContext(ctx, rollback); err != nil {
		return fail(fmt.Errorf("rolling back the bulk copy that met an existing key: %w", err))
	}
	if _, err := w.tx.ExecContext(ctx, d.CreateStaging(t, staging)); err != nil {
		return fail(fmt.Errorf("creating the staging table: %w", err))
	}
	if err := copyInto(staging); err != nil {
		return fail(fmt.Errorf("bulk copy: %w", err))
	}
	if _, err := w.tx.ExecContext(ctx, d.UpsertFrom(t, staging)); err != nil {
		return fail(fmt.Errorf("upsert from the staging table: %w", err))
	}
	// The next table's staging table takes the same name.
	if _, err := w.tx.ExecContext(ctx, "DROP TABLE "+d.Quote(staging)); err != nil {
		return fail(fmt.Errorf("dropping the staging table: %w", err))
	}
	return nil
}

// writer is one Write's transaction, and the connection it holds when a
// bulk copy needs it.
type writer struct {
	conn *sql.Conn // nil without a BulkCopier
	tx   *sql.Tx
}

// begin starts a write's transaction: on a connection of its own when a
// bulk copy may need to reach the driver under it.
func (s *Sink) begin(ctx context.Context) (*writer, error) {
	w := &writer{}
	if s.copier == nil {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("sqlsink: begin: %w", err)
		}
		w.tx = tx
		return w, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlsink: begin: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("sqlsink: begin: %w", err)
	}
	w.conn, w.tx = conn, tx
	return w, nil
}

// rollback ends the transaction if it did not commit, and returns the
// connection to the pool.
func (w *writer) rollback() {
	w.tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if w.conn != nil {
		w.conn.Close()
	}
}
