package sqlsink

import (
	"strings"
	"time"
)

// MySQL is the MySQL / MariaDB dialect: backquoted identifiers, ?
// placeholders, INSERT … ON DUPLICATE KEY UPDATE c = VALUES(c) (the form
// both MariaDB and MySQL accept). Tables are utf8mb4 with a binary
// collation, so emoji fit and keys that differ only in case stay apart.
// MySQL has no instant type: times are DATETIME(6) in UTC (the table
// comment says so) and the driver must bind in UTC (go-sql-driver's
// default loc=UTC; keep it), so a server zone like CEST cannot shift them.
type MySQL struct{}

// Name returns "mysql".
func (MySQL) Name() string { return "mysql" }

// Quote backquotes an identifier.
func (MySQL) Quote(ident string) string { return quoteWith(ident, '`', '`') }

// Placeholder returns ?.
func (MySQL) Placeholder(int) string { return "?" }

// MaxParams is 65535, the prepared-statement limit.
func (MySQL) MaxParams() int { return 65535 }

// MaxRows is 0: only the parameter limit applies.
func (MySQL) MaxRows() int { return 0 }

// ColumnType maps the portable types. Key text columns are VARCHAR(255):
// MySQL cannot index TEXT without a prefix length.
func (MySQL) ColumnType(c Column, key bool) string {
	switch c.Type {
	case TypeInt:
		return "BIGINT"
	case TypeBool:
		return "BOOLEAN"
	case TypeTime:
		return "DATETIME(6)"
	case TypeDouble:
		return "DOUBLE"
	}
	if key {
		return "VARCHAR(255)"
	}
	return "LONGTEXT"
}

// CreateTable returns CREATE TABLE IF NOT EXISTS with utf8mb4_bin.
func (d MySQL) CreateTable(t *Table) string {
	comment := t.Comment
	if comment == "" {
		comment = "times in UTC"
	}
	return createTable(d, t, true, " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT="+mysqlString(comment))
}

// Upsert returns INSERT … ON DUPLICATE KEY UPDATE c = VALUES(c).
func (d MySQL) Upsert(t *Table, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(d.Quote(t.Name))
	b.WriteString(" (")
	columnList(d, &b, t, "")
	b.WriteString(") VALUES ")
	valuesList(d, &b, t, rows)
	rest := nonKey(t)
	if len(rest) == 0 {
		rest = t.Columns[:1] // a no-op update keeps the row
	}
	b.WriteString(" ON DUPLICATE KEY UPDATE ")
	for i, c := range rest {
		if i > 0 {
			b.WriteString(", ")
		}
		q := d.Quote(c.Name)
		b.WriteString(q)
		b.WriteString(" = VALUES(")
		b.WriteString(q)
		b.WriteByte(')')
	}
	return b.String()
}

// BindTime binds the instant in UTC.
func (MySQL) BindTime(t time.Time) any { return t.UTC() }

// mysqlText: keys are VARCHAR(255) compared with PAD SPACE.
var mysqlText = textNeeds{keyTrailing: true, maxKeyLength: runeCount, maxKey: 255, keyType: "VARCHAR(255)"}

// BindText encodes invalid UTF-8 and keys ending in spaces (see
// EncodedPrefix), and refuses a key longer than 255 characters, which the
// server would refuse in strict mode and truncate outside it.
func (MySQL) BindText(s string, key bool) (any, error) { return mysqlText.bindText(s, key) }

// mysqlString quotes a constant string literal (only for fixed comments).
func mysqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}

// CreateIndex returns CREATE INDEX (MySQL 8 has no IF NOT EXISTS for
// indexes; IndexExists stands in).
func (d MySQL) CreateIndex(t *Table, ix Index) string { return createIndex(d, t, ix, false) }

// IndexExists counts the index in information_schema.
func (MySQL) IndexExists(t *Table, ix Index) (string, []any) {
	return "SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?", []any{t.Name, ix.Name}
}
