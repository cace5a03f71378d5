// Package sqlsink writes the SDK's records to a SQL database the customer
// owns (the product's "Enterprise" path, DOMAIN.md §6): PostgreSQL,
// MySQL/MariaDB, Microsoft SQL Server, and SQLite as the embedded default.
// It works on any *sql.DB the caller opens and imports no driver.
//
//	db, err := sql.Open("sqlite", "calls.db")   // modernc.org/sqlite, pure Go
//	sink, err := sqlsink.New(db, sqlsink.SQLite{}, sqlsink.WithPseudonymiser(p))
//	_, err = sink.Migrate(ctx)
//	_, err = sink.Write(ctx, sqlsink.Batch{Calls: calls, Accounts: accounts,
//		Checkpoint: &sqlsink.Checkpoint{Name: "cdr", Cursor: lastEntryID}})
//
// # Schema
//
// CDR_Summary (one row per leg), Group_Call_Account and User_Call_Account
// have the names and meaning of the product's Power BI model, so reports
// built on it can point at the database. Next to them: journeys, accounts,
// lost_callers and lost_caller_attempts, user_login_states and
// member_login_states (the login-state history), live_users and live_queues
// (snapshots), export_checkpoints, and starinsight_schema, which records
// every applied version (Sink.DatabaseVersion reads it). Migrations only
// add: running Migrate again, or after an upgrade, never drops, empties or
// rewrites a table. Sink.SchemaSQL lists the statements for review.
//
// Durations are integer milliseconds, exact, so that KPIs recomputed from
// the database equal those computed from the rows. Instants are stored in
// UTC with the zone explicit where the type can say it: timestamptz
// (PostgreSQL), datetimeoffset (SQL Server), RFC 3339 text ending in "Z"
// (SQLite). MySQL has no such type: DATETIME(6) columns hold UTC (the table
// comment says so); keep go-sql-driver's default loc=UTC, so that a server
// zone like CEST cannot shift them.
//
// # Idempotency and crashes
//
// Write stores a Batch in one transaction with multi-row upserts keyed on
// natural keys (a leg: site, call id, leg number): ON CONFLICT … DO UPDATE
// (PostgreSQL, SQLite), ON DUPLICATE KEY UPDATE (MySQL), MERGE … WITH
// (HOLDLOCK) (SQL Server). Rows are chunked under each dialect's parameter
// limit and deduplicated within the batch (the last row of a key wins).
// The batch's Checkpoint is written in the same transaction, so a crash at
// any point followed by a re-run from Sink.Checkpoint leaves exactly the
// tables a clean run leaves: nothing lost, nothing twice. A re-emitted call
// (the streaming assembler's late rows) overwrites its earlier version.
//
// A call written again replaces its earlier version: legs the earlier
// version had beyond the new one's (a busy leg that late rows turn into
// part of a forward) are deleted in the same transaction. A call with
// callflow.FlagLateRows (rows that came after the assembler forgot their
// call) replaces a stored call only when that was late too; the late part
// of a call stored complete is stored beside it under the call id with
// "#late" appended (callflow.KeepLateRowsApart), so the complete call keeps
// its legs.
//
// Every value is a bound parameter: no value is ever part of SQL text. A
// failed write returns a *WriteError naming the table, the chunk and its
// first row, wrapping the driver's error; nothing of the batch is stored:
//
//	var we *sqlsink.WriteError
//	if errors.As(err, &we) {
//		log.Printf("table %s, rows from %d (%s): %v", we.Table, we.Row, we.Key, we.Err)
//	}
//
// # Speed: bulk copy
//
// The multi-row upsert writes about 40,000 legs/s into PostgreSQL, a fifth
// of what COPY loads into the same table. With WithBulkCopy the sink loads
// every large table of a batch with the caller's COPY, inside the write's
// transaction: straight into the table under a savepoint when every key
// is new (a backfill: about 60 % of plain COPY, the rest is the sink's
// own work on the rows), else, when the database refuses an existing key,
// into a temporary staging table upserted from there in one statement
// (about 25 % of plain COPY, still above the multi-row upsert). Every
// guarantee above is kept: same rows, same errors, same transaction. The
// package imports no driver, so the caller passes the copy; with pgx's
// stdlib:
//
//	copier := func(ctx context.Context, driverConn any, table string, columns []string, rows *sqlsink.CopyRows) (int64, error) {
//		return driverConn.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, rows)
//	}
//	sink, err := sqlsink.New(db, sqlsink.Postgres{}, sqlsink.WithPseudonymiser(p), sqlsink.WithBulkCopy(copier, 0))
//
// Only a StagingDialect (Postgres) takes a bulk copy.
//
// # Text
//
// Text is stored as it is, whatever it holds (quotes, backslashes, control
// characters, emoji, any length), except what a database cannot store
// exactly: invalid UTF-8, NUL on PostgreSQL, a key ending in spaces on
// MySQL and SQL Server (whose key comparison ignores them). Such a value is
// stored encoded, starting with EncodedPrefix; Sink.ReadCalls decodes it,
// and so does DecodeText for reports reading the tables. A key longer than
// its column (MySQL VARCHAR(255), SQL Server NVARCHAR(200)) fails the write
// with ErrKeyTooLong, naming the table, row and column: nothing is
// truncated or replaced silently, whatever the server's SQL mode.
// Migrate refuses (ErrCharset) a MySQL connection whose character set is
// not utf8mb4: emoji in a name would be refused or turned into "?".
//
// # Privacy
//
// New requires WithPseudonymiser: every record passes through it before it
// is written, so no path stores personal data by accident; pseudo.Clear()
// is the explicit choice of clear data.
//
// # Reading back
//
// Sink.ReadCalls loads the calls (journeys and their legs) of a time range
// again, exactly as they were written, so that KPIs can be recomputed from
// the database with callflow's Reporter; ReadJourneys and ReadLegs read
// one table.
//
// # Retention
//
// The login-state history grows fast and is never deleted automatically
// (DOMAIN.md §6). Sink.PruneLoginStates deletes what is older than a time,
// when the customer decides to.
//
// # TLS
//
// Encrypt every connection that leaves the host, and verify the server.
// Go's crypto/tls refuses anything below TLS 1.2 for clients by default.
//
//   - PostgreSQL (github.com/jackc/pgx/v5/stdlib): sslmode=verify-full
//     and sslrootcert=/path/to/ca.pem in the DSN; sslmode=require encrypts
//     without verifying the server.
//   - MySQL/MariaDB (github.com/go-sql-driver/mysql): tls=true verifies
//     against the system's CAs; for a private CA register a *tls.Config with
//     mysql.RegisterTLSConfig("pbx", cfg) and use tls=pbx. Add
//     parseTime=true; leave loc at its default, UTC.
//   - SQL Server (github.com/microsoft/go-mssqldb): encrypt=true (or
//     encrypt=strict for TDS 8.0 on SQL Server 2022 and Azure SQL), with
//     certificate=/path/to/ca.pem for a private CA; never
//     TrustServerCertificate=true in production.
//   - SQLite needs none: it is a local file.
//
// # SQL Server
//
// No SQL Server runs where this SDK is tested: the SQLServer dialect is
// pinned by golden SQL (testdata/golden/sqlserver) only. PostgreSQL,
// MariaDB and SQLite run in every test.
package sqlsink
