package sqlsink

import (
	"strings"
	"time"
)

// SQLServer is the Microsoft SQL Server dialect: bracketed identifiers,
// @pn placeholders, datetimeoffset, MERGE … WITH (HOLDLOCK) as the upsert
// (the lock keeps two writers from inserting one key twice). No SQL Server
// runs where this SDK is tested: the dialect is pinned by golden SQL only.
// Connect with TLS 1.2 or later (see the package documentation).
type SQLServer struct{}

// Name returns "sqlserver".
func (SQLServer) Name() string { return "sqlserver" }

// Quote brackets an identifier.
func (SQLServer) Quote(ident string) string { return quoteWith(ident, '[', ']') }

// Placeholder returns @pi.
func (SQLServer) Placeholder(i int) string { return "@p" + itoa(i) }

// MaxParams is 2098: SQL Server takes at most 2100 parameters per request,
// and the driver's sp_executesql call spends two of them on the statement
// and the parameter list.
func (SQLServer) MaxParams() int { return 2098 }

// MaxRows is 1000, the limit of a table value constructor in INSERT (MERGE's
// source has none; the cap keeps statements small).
func (SQLServer) MaxRows() int { return 1000 }

// ColumnType maps the portable types. Key text columns are NVARCHAR(200)
// with a binary collation: a clustered primary key is at most 900 bytes
// over all its columns (two text columns and a bigint or a time: 818), and
// keys that differ only in case must stay apart, as on the other databases
// (the default collation is case-insensitive; MySQL uses utf8mb4_bin).
func (SQLServer) ColumnType(c Column, key bool) string {
	switch c.Type {
	case TypeInt:
		return "BIGINT"
	case TypeBool:
		return "BIT"
	case TypeTime:
		return "DATETIMEOFFSET(6)"
	case TypeDouble:
		return "FLOAT"
	}
	if key {
		return "NVARCHAR(200) COLLATE Latin1_General_100_BIN2"
	}
	return "NVARCHAR(MAX)"
}

// CreateTable creates the table only if it does not exist (SQL Server
// has no CREATE TABLE IF NOT EXISTS).
func (d SQLServer) CreateTable(t *Table) string {
	return "IF OBJECT_ID(N" + sqlServerString(d.Quote(t.Name)) + ", N'U') IS NULL\n" + createTable(d, t, false, "")
}

// Upsert returns MERGE INTO t WITH (HOLDLOCK) USING (VALUES …) ON key
// WHEN MATCHED THEN UPDATE … WHEN NOT MATCHED THEN INSERT ….
func (d SQLServer) Upsert(t *Table, rows int) string {
	var b strings.Builder
	b.WriteString("MERGE INTO ")
	b.WriteString(d.Quote(t.Name))
	b.WriteString(" WITH (HOLDLOCK) AS [t] USING (VALUES ")
	valuesList(d, &b, t, rows)
	b.WriteString(") AS [s] (")
	columnList(d, &b, t, "")
	b.WriteString(") ON ")
	for i, k := range t.Key {
		if i > 0 {
			b.WriteString(" AND ")
		}
		q := d.Quote(k)
		b.WriteString("[t]." + q + " = [s]." + q)
	}
	if rest := nonKey(t); len(rest) > 0 {
		b.WriteString(" WHEN MATCHED THEN UPDATE SET ")
		for i, c := range rest {
			if i > 0 {
				b.WriteString(", ")
			}
			q := d.Quote(c.Name)
			b.WriteString("[t]." + q + " = [s]." + q)
		}
	}
	b.WriteString(" WHEN NOT MATCHED THEN INSERT (")
	columnList(d, &b, t, "")
	b.WriteString(") VALUES (")
	columnList(d, &b, t, "[s].")
	b.WriteString(");")
	return b.String()
}

// BindTime binds the instant in UTC.
func (SQLServer) BindTime(t time.Time) any { return t.UTC() }

// sqlServerText: keys are NVARCHAR(200), compared with trailing spaces
// ignored.
var sqlServerText = textNeeds{keyTrailing: true, maxKeyLength: utf16Length, maxKey: 200, keyType: "NVARCHAR(200)"}

// BindText encodes invalid UTF-8, which the driver would replace with
// U+FFFD, and keys ending in spaces (see EncodedPrefix), and refuses a key
// longer than 200 UTF-16 code units, which the server would truncate or
// refuse.
func (SQLServer) BindText(s string, key bool) (any, error) { return sqlServerText.bindText(s, key) }

// sqlServerString quotes a constant string literal (only for the quoted
// table names in OBJECT_ID, which parses its argument as a name).
func sqlServerString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// CreateIndex returns CREATE INDEX.
func (d SQLServer) CreateIndex(t *Table, ix Index) string { return createIndex(d, t, ix, false) }

// IndexExists counts the index in sys.indexes.
func (SQLServer) IndexExists(t *Table, ix Index) (string, []any) {
	return "SELECT COUNT(*) FROM sys.indexes WHERE object_id = OBJECT_ID(QUOTENAME(@p1)) AND name = @p2", []any{t.Name, ix.Name}
}
