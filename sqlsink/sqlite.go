package sqlsink

import (
	"time"
)

// SQLite is the SQLite dialect (modernc.org/sqlite, pure Go, the embedded
// default): double-quoted identifiers, ? placeholders, INSERT … ON
// CONFLICT … DO UPDATE. Instants are stored as RFC 3339 text in UTC, with
// the "Z" that makes the zone explicit.
type SQLite struct{}

// Name returns "sqlite".
func (SQLite) Name() string { return "sqlite" }

// Quote double-quotes an identifier.
func (SQLite) Quote(ident string) string { return quoteWith(ident, '"', '"') }

// Placeholder returns ?: parameters bind in order. Not ?i: SQLite looks
// each numbered parameter up in a list, so a statement with thousands of
// them parses in quadratic time (a day of legs wrote 25 times slower).
func (SQLite) Placeholder(int) string { return "?" }

// MaxParams is 32766, SQLITE_MAX_VARIABLE_NUMBER since SQLite 3.32.
func (SQLite) MaxParams() int { return 32766 }

// MaxRows is 0: only the parameter limit applies.
func (SQLite) MaxRows() int { return 0 }

// ColumnType maps the portable types to SQLite's storage classes.
func (SQLite) ColumnType(c Column, key bool) string {
	switch c.Type {
	case TypeInt, TypeBool:
		return "INTEGER"
	case TypeDouble:
		return "REAL"
	}
	return "TEXT" // times too: RFC 3339 in UTC
}

// CreateTable returns CREATE TABLE IF NOT EXISTS.
func (d SQLite) CreateTable(t *Table) string { return createTable(d, t, true, "") }

// Upsert returns INSERT … ON CONFLICT (key) DO UPDATE SET c = excluded.c.
func (d SQLite) Upsert(t *Table, rows int) string { return onConflict(d, t, rows, "excluded.") }

// BindText encodes only invalid UTF-8 (see EncodedPrefix): SQLite stores
// any bytes, but tools reading the file as text fail on invalid UTF-8.
func (SQLite) BindText(s string, key bool) (any, error) { return textNeeds{}.bindText(s, key) }

// TimeLayout is how the SQLite dialect writes instants: RFC 3339 with
// nanoseconds, always in UTC ("Z"), so that text order is time order.
const TimeLayout = "2006-01-02T15:04:05.000000000Z"

// BindTime formats the instant as TimeLayout.
func (SQLite) BindTime(t time.Time) any { return t.UTC().Format(TimeLayout) }

// CreateIndex returns CREATE INDEX IF NOT EXISTS.
func (d SQLite) CreateIndex(t *Table, ix Index) string { return createIndex(d, t, ix, true) }

// IndexExists counts the index in sqlite_master.
func (SQLite) IndexExists(t *Table, ix Index) (string, []any) {
	return "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name = ?", []any{t.Name, ix.Name}
}
