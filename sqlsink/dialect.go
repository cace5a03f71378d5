package sqlsink

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// ColumnType is the portable type of a column; each Dialect maps it to its
// own SQL type.
type ColumnType uint8

// The column types.
const (
	TypeText   ColumnType = iota // a string; a key column gets a bounded type where the database needs one
	TypeInt                      // a 64-bit integer (ids, counts, durations in milliseconds)
	TypeBool                     // a boolean
	TypeTime                     // an instant, stored in UTC with the zone explicit where the database can say it
	TypeDouble                   // a float64
)

// Column is one column of a Table.
type Column struct {
	Name string
	Type ColumnType
	// Null allows NULL: times that did not happen (a leg never answered).
	Null bool
}

// Table is a table of the schema: its name as the database sees it (with
// the sink's prefix), its columns, and the natural key the upserts use.
type Table struct {
	Name    string
	Columns []Column
	Key     []string // column names, in Columns order
	Comment string
}

// Index is a secondary index of a table: reports and the read-back API
// filter by time.
type Index struct {
	Name    string // unique in the database; see IndexName
	Columns []string
}

// IndexName returns the name of t's index on columns: the table's name
// and the columns, or, where that would pass the 60 bytes every database
// here accepts, a name made from a hash of it.
func IndexName(t *Table, columns ...string) string {
	name := "ix_" + t.Name + "_" + strings.Join(columns, "_")
	if len(name) <= 60 {
		return name
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	hashed := fmt.Sprintf("ix_%x_%s", h.Sum64(), strings.Join(columns, "_"))
	return hashed[:min(60, len(hashed))]
}

// IsKey reports whether the named column is part of the key.
func (t *Table) IsKey(name string) bool {
	for _, k := range t.Key {
		if k == name {
			return true
		}
	}
	return false
}

// Dialect is what the sink needs to know of a database: how it quotes and
// binds, its types, its limits, and its upsert. A dialect is a small value
// returning SQL text; it never talks to the database. One file per
// dialect: postgres.go, mysql.go, sqlserver.go, sqlite.go.
type Dialect interface {
	// Name is the dialect's name ("postgres", "mysql", "sqlserver", "sqlite").
	Name() string
	// Quote quotes an identifier so that any name is safe in SQL text.
	Quote(ident string) string
	// Placeholder returns the bind placeholder of the i-th parameter (from 1).
	Placeholder(i int) string
	// MaxParams is the most bind parameters one statement may have.
	MaxParams() int
	// MaxRows is the most rows one multi-row statement may have (0: no
	// limit but MaxParams).
	MaxRows() int
	// ColumnType is the SQL type of a column.
	ColumnType(c Column, key bool) string
	// CreateTable returns the statement that creates t if it does not
	// exist; it never drops or changes an existing table.
	CreateTable(t *Table) string
	// Upsert returns the statement that inserts rows rows of t (every
	// column, in order) and, for a key that exists, updates the other
	// columns: ON CONFLICT, ON DUPLICATE KEY UPDATE or MERGE.
	Upsert(t *Table, rows int) string
	// CreateIndex returns the statement that creates index ix of t.
	CreateIndex(t *Table, ix Index) string
	// IndexExists returns a query, and its arguments, whose one row and
	// column counts the indexes named ix.Name on t (0 or 1): Migrate
	// skips an index that exists, so that a set-up cut short between an
	// index and the version's record runs again cleanly.
	IndexExists(t *Table, ix Index) (string, []any)
	// BindTime returns the value to bind for an instant (in UTC).
	BindTime(t time.Time) any
	// BindText returns the value to bind for a text value: s itself, or s
	// encoded (see EncodedPrefix) when the database could not store it
	// exactly; an error wrapping ErrKeyTooLong for a key the column cannot
	// hold.
	BindText(s string, key bool) (any, error)
}

// quoteWith quotes ident between open and close, doubling close inside.
func quoteWith(ident string, open, close byte) string {
	var b strings.Builder
	b.Grow(len(ident) + 2)
	b.WriteByte(open)
	for i := 0; i < len(ident); i++ {
		if ident[i] == close {
			b.WriteByte(close)
		}
		b.WriteByte(ident[i])
	}
	b.WriteByte(close)
	return b.String()
}

// columnList writes the quoted column names of t, comma-separated.
func columnList(d Dialect, b *strings.Builder, t *Table, prefix string) {
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(prefix)
		b.WriteString(d.Quote(c.Name))
	}
}

// valuesList writes rows parenthesised placeholder tuples.
func valuesList(d Dialect, b *strings.Builder, t *Table, rows int) {
	n := 1
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for i := range t.Columns {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(d.Placeholder(n))
			n++
		}
		b.WriteByte(')')
	}
}

// createTable writes the common CREATE TABLE form; suffix ends it (table
// options).
func createTable(d Dialect, t *Table, ifNotExists bool, suffix string) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE ")
	if ifNotExists {
		b.WriteString("IF NOT EXISTS ")
	}
	b.WriteString(d.Quote(t.Name))
	b.WriteString(" (\n")
	for _, c := range t.Columns {
		b.WriteString("  ")
		b.WriteString(d.Quote(c.Name))
		b.WriteByte(' ')
		b.WriteString(d.ColumnType(c, t.IsKey(c.Name)))
		if !c.Null {
			b.WriteString(" NOT NULL")
		}
		b.WriteString(",\n")
	}
	b.WriteString("  PRIMARY KEY (")
	for i, k := range t.Key {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.Quote(k))
	}
	b.WriteString(")\n)")
	b.WriteString(suffix)
	return b.String()
}

// nonKey returns the columns of t that are not part of the key.
func nonKey(t *Table) []Column {
	var out []Column
	for _, c := range t.Columns {
		if !t.IsKey(c.Name) {
			out = append(out, c)
		}
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

// createIndex is CREATE INDEX name ON table (columns), with ifNotExists
// where the database has it.
func createIndex(d Dialect, t *Table, ix Index, ifNotExists bool) string {
	var b strings.Builder
	b.WriteString("CREATE INDEX ")
	if ifNotExists {
		b.WriteString("IF NOT EXISTS ")
	}
	b.WriteString(d.Quote(ix.Name) + " ON " + d.Quote(t.Name) + " (")
	for i, c := range ix.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.Quote(c))
	}
	b.WriteString(")")
	return b.String()
}
