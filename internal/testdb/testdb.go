// Package testdb opens the databases that tests across the repository run
// against: a real PostgreSQL and MySQL/MariaDB server named by environment
// variables, and a fresh SQLite file.
//
//	STARINSIGHT_TEST_POSTGRES_DSN  e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable
//	STARINSIGHT_TEST_MYSQL_DSN     e.g. root@tcp(127.0.0.1:3306)/test?parseTime=true
//	STARINSIGHT_REQUIRE_DB=1       fail instead of skipping when a DSN is unset
//
// A test whose DSN is unset is skipped (or fails under
// STARINSIGHT_REQUIRE_DB=1, as in .ci/run); a DSN naming a server that does
// not answer within 10 seconds fails the test. Several test packages run in
// parallel against the same servers, so tests must isolate their objects:
// PostgresSchema creates a schema of their own, Table a table name of their
// own; both are dropped when the test ends.
//
// Only tests import this package: it registers the database drivers, which
// library packages never do.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
	_ "modernc.org/sqlite"             // driver "sqlite"
)

// The environment variables read by this package.
const (
	PostgresEnv = "STARINSIGHT_TEST_POSTGRES_DSN"
	MySQLEnv    = "STARINSIGHT_TEST_MYSQL_DSN"
	RequireEnv  = "STARINSIGHT_REQUIRE_DB"
)

// PingTimeout is how long Postgres and MySQL wait for the server.
const PingTimeout = 10 * time.Second

// Postgres returns a connection pool to the PostgreSQL server named by
// STARINSIGHT_TEST_POSTGRES_DSN (driver pgx), closed when the test ends.
func Postgres(t testing.TB) *sql.DB {
	t.Helper()
	dsn := dsnOrSkip(t, PostgresEnv, "PostgreSQL")
	host := "(unparsable DSN)"
	if cfg, err := pgx.ParseConfig(dsn); err == nil {
		host = cfg.Host
		if cfg.Port != 0 {
			host += ":" + strconv.Itoa(int(cfg.Port))
		}
	}
	return open(t, "pgx", dsn, PostgresEnv, "PostgreSQL", host)
}

// MySQL returns a connection pool to the MySQL or MariaDB server named by
// STARINSIGHT_TEST_MYSQL_DSN (github.com/go-sql-driver/mysql), closed when
// the test ends. Add parseTime=true to the DSN to scan DATETIME columns as
// time.Time.
func MySQL(t testing.TB) *sql.DB {
	t.Helper()
	dsn := dsnOrSkip(t, MySQLEnv, "MySQL/MariaDB")
	host := "(unparsable DSN)"
	if cfg, err := mysql.ParseDSN(dsn); err == nil {
		host = cfg.Net + " " + cfg.Addr
	}
	return open(t, "mysql", dsn, MySQLEnv, "MySQL/MariaDB", host)
}

// SQLite returns a connection pool to a new SQLite database file in
// t.TempDir() (driver modernc.org/sqlite), closed when the test ends. It
// needs no server and is never skipped.
func SQLite(t testing.TB) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.sqlite")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatalf("testdb: opening SQLite file %s: %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), PingTimeout)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("testdb: SQLite file %s: %v", path, err)
	}
	return db
}

// PostgresSchema creates a schema named si_test_<random> on db and drops it
// with everything in it when the test ends. Qualify table names with it
// (schema + ".cdrdata") so that parallel tests do not collide.
func PostgresSchema(t testing.TB, db *sql.DB) string {
	t.Helper()
	name := Name("si_test")
	ctx, cancel := context.WithTimeout(context.Background(), PingTimeout)
	defer cancel()
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("testdb: creating schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), PingTimeout)
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+name+` CASCADE`); err != nil {
			t.Errorf("testdb: dropping schema %s: %v", name, err)
		}
	})
	return name
}

// Table returns a table name unique to this test, prefix_<random>, and drops
// the table (if the test created it) when the test ends. It works on all
// three databases; on MySQL, which has no schemas, it is the way to isolate
// tests.
func Table(t testing.TB, db *sql.DB, prefix string) string {
	t.Helper()
	name := Name(prefix)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), PingTimeout)
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP TABLE IF EXISTS `+name); err != nil {
			t.Errorf("testdb: dropping table %s: %v", name, err)
		}
	})
	return name
}

// Name returns prefix_<16 random hex digits>, lower case, usable unquoted as
// an identifier on every database.
func Name(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return strings.ToLower(prefix) + "_" + hex.EncodeToString(b[:])
}

// dsnOrSkip returns the DSN in env, or skips the test (fails it under
// STARINSIGHT_REQUIRE_DB=1).
func dsnOrSkip(t testing.TB, env, what string) string {
	t.Helper()
	dsn := strings.TrimSpace(os.Getenv(env))
	if dsn != "" {
		return dsn
	}
	msg := env + " not set: skipping " + what + " test; run with .ci/run or export the DSN"
	if os.Getenv(RequireEnv) == "1" {
		t.Fatal(env + " not set but " + RequireEnv + "=1: a " + what + " server is required; export the DSN")
	}
	t.Skip(msg)
	return ""
}

// open opens and pings the database. Errors name the host, never the DSN,
// which may hold a password.
func open(t testing.TB, driver, dsn, env, what, host string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("testdb: %s: opening %s at %s: %v", env, what, host, redact(err, dsn))
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), PingTimeout)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("testdb: %s: %s at %s unreachable (ping, %v timeout): %v", env, what, host, PingTimeout, redact(err, dsn))
	}
	return db
}

// redact returns err's text without the DSN, in case a driver quotes it.
func redact(err error, dsn string) string {
	return strings.ReplaceAll(err.Error(), dsn, "<DSN>")
}
