package sqlsink

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Postgres is the PostgreSQL dialect: double-quoted identifiers, $n
// placeholders, timestamptz, INSERT … ON CONFLICT … DO UPDATE.
type Postgres struct{}

// Name returns "postgres".
func (Postgres) Name() string { return "postgres" }

// Quote double-quotes an identifier.
func (Postgres) Quote(ident string) string { return quoteWith(ident, '"', '"') }

// Placeholder returns $i.
func (Postgres) Placeholder(i int) string { return "$" + strconv.Itoa(i) }

// MaxParams is 65535: the wire protocol counts parameters in 16 bits.
func (Postgres) MaxParams() int { return 65535 }

// MaxRows is 0: only the parameter limit applies.
func (Postgres) MaxRows() int { return 0 }

// ColumnType maps the portable types.
func (Postgres) ColumnType(c Column, key bool) string {
	switch c.Type {
	case TypeInt:
		return "bigint"
	case TypeBool:
		return "boolean"
	case TypeTime:
		return "timestamptz"
	case TypeDouble:
		return "double precision"
	}
	return "text"
}

// CreateTable returns CREATE TABLE IF NOT EXISTS.
func (d Postgres) CreateTable(t *Table) string { return createTable(d, t, true, "") }

// Upsert returns INSERT … ON CONFLICT (key) DO UPDATE SET c = EXCLUDED.c.
func (d Postgres) Upsert(t *Table, rows int) string {
	return onConflict(d, t, rows, "EXCLUDED.")
}

// BindTime binds the instant as it is: pgx sends timestamptz in UTC.
func (Postgres) BindTime(t time.Time) any { return t.UTC() }

// postgresText: text cannot hold NUL.
var postgresText = textNeeds{nul: true}

// BindText encodes text holding NUL or invalid UTF-8 (see EncodedPrefix).
// Keys are not checked here: a key beyond the btree limit (about 2,700
// bytes after compression) is refused by the server.
func (Postgres) BindText(s string, key bool) (any, error) { return postgresText.bindText(s, key) }

// CreateStaging returns CREATE TEMPORARY TABLE staging (LIKE t) ON COMMIT
// DROP: the table a bulk copy fills inside the write's transaction, gone
// with it whether it commits or not.
func (d Postgres) CreateStaging(t *Table, staging string) string {
	return "CREATE TEMPORARY TABLE " + d.Quote(staging) + " (LIKE " + d.Quote(t.Name) + ") ON COMMIT DROP"
}

// UpsertFrom returns INSERT … SELECT … FROM staging ON CONFLICT … DO
// UPDATE: every row of the staging table upserted into t.
func (d Postgres) UpsertFrom(t *Table, staging string) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	columnList(d, &b, t, "")
	b.WriteString(" FROM ")
	b.WriteString(d.Quote(staging))
	return upsertConflict(d, t, b.String(), "EXCLUDED.")
}

// Savepoint returns SAVEPOINT, ROLLBACK TO SAVEPOINT and RELEASE SAVEPOINT.
func (d Postgres) Savepoint(name string) (set, rollback, release string) {
	q := d.Quote(name)
	return "SAVEPOINT " + q, "ROLLBACK TO SAVEPOINT " + q, "RELEASE SAVEPOINT " + q
}

// IsDuplicateKey reports whether err carries SQLSTATE 23505
// (unique_violation), as pgx's and lib/pq's errors do through a
// SQLState method.
func (Postgres) IsDuplicateKey(err error) bool {
	var se interface{ SQLState() string }
	return errors.As(err, &se) && se.SQLState() == "23505"
}

// onConflict is the upsert of PostgreSQL and SQLite.
func onConflict(d Dialect, t *Table, rows int, excluded string) string {
	var b strings.Builder
	b.WriteString("VALUES ")
	valuesList(d, &b, t, rows)
	return upsertConflict(d, t, b.String(), excluded)
}

// upsertConflict is INSERT INTO t (columns) source ON CONFLICT ….
func upsertConflict(d Dialect, t *Table, source, excluded string) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(d.Quote(t.Name))
	b.WriteString(" (")
	columnList(d, &b, t, "")
	b.WriteString(") ")
	b.WriteString(source)
	b.WriteString(" ON CONFLICT (")
	for i, k := range t.Key {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.Quote(k))
	}
	rest := nonKey(t)
	if len(rest) == 0 {
		b.WriteString(") DO NOTHING")
		return b.String()
	}
	b.WriteString(") DO UPDATE SET ")
	for i, c := range rest {
		if i > 0 {
			b.WriteString(", ")
		}
		q := d.Quote(c.Name)
		b.WriteString(q)
		b.WriteString(" = ")
		b.WriteString(excluded)
		b.WriteString(q)
	}
	return b.String()
}

// CreateIndex returns CREATE INDEX IF NOT EXISTS.
func (d Postgres) CreateIndex(t *Table, ix Index) string { return createIndex(d, t, ix, true) }

// IndexExists counts the index in the current schema.
func (Postgres) IndexExists(t *Table, ix Index) (string, []any) {
	return "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 AND indexname = $2", []any{t.Name, ix.Name}
}
