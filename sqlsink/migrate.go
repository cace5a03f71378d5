package sqlsink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
)

// migration is one version of the schema. Migrations only add: a table
// created if it does not exist, a column added. Running Migrate again, or
// on a database another version set up, never drops or empties anything.
type migration struct {
	version     int
	description string
	tables      func(prefix string) []*Table
	indexes     func(prefix string) []tableIndex
}

// tableIndex is an index and its table.
type tableIndex struct {
	table *Table
	index Index
}

// timeIndex is the index of t on one time column.
func timeIndex(t *Table, column string) tableIndex {
	return tableIndex{t, Index{Name: IndexName(t, column), Columns: []string{column}}}
}

var migrations = []migration{
	{1, "legs (CDR_Summary), journeys, accounts with Group_Call_Account and User_Call_Account, lost callers and attempts, login-state history, live snapshots, export checkpoints", func(p string) []*Table {
		return []*Table{
			legSpec.table(p), journeySpec.table(p), accountSpec.table(p),
			groupCallAccountSpec.table(p), userCallAccountSpec.table(p),
			lostCallerSpec.table(p), attemptSpec.table(p),
			userLoginSpec.table(p), memberLoginSpec.table(p),
			liveUserSpec.table(p), liveQueueSpec.table(p),
			checkpointSpec.table(p),
		}
	}, nil},
	{2, "indexes on the time columns that reports, the read-back API and the retention helper filter by", func(string) []*Table { return nil }, func(p string) []tableIndex {
		return []tableIndex{
			timeIndex(legSpec.table(p), "start_time"),
			timeIndex(journeySpec.table(p), "start_time"),
			timeIndex(lostCallerSpec.table(p), "first_attempt"),
			timeIndex(userLoginSpec.table(p), "at"),
			timeIndex(memberLoginSpec.table(p), "at"),
			timeIndex(liveUserSpec.table(p), "at"),
			timeIndex(liveQueueSpec.table(p), "at"),
		}
	}},
	{3, "pipeline_states: the cursor and call-assembler state of each pipeline and site", func(p string) []*Table {
		return []*Table{pipelineStateSpec.table(p)}
	}, nil},
}

// SchemaVersion is the version Migrate brings a database to.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// SchemaSQL returns the statements Migrate runs on an empty database, in
// order: what a database administrator reviews, and what the golden files
// of each dialect pin.
func (s *Sink) SchemaSQL() []string {
	out := []string{s.d.CreateTable(schemaVersionSpec.table(s.prefix))}
	for _, m := range migrations {
		for _, t := range m.tables(s.prefix) {
			out = append(out, s.d.CreateTable(t))
		}
		if m.indexes != nil {
			for _, ti := range m.indexes(s.prefix) {
				out = append(out, s.d.CreateIndex(ti.table, ti.index))
			}
		}
	}
	return out
}

// Migrate creates what is missing of the schema and records each applied
// version in starinsight_schema. It returns the version the database is at
// now. It never drops, empties or rewrites a table.
func (s *Sink) Migrate(ctx context.Context) (int, error) {
	if err := s.checkSession(ctx); err != nil {
		return 0, err
	}
	if _, err := s.db.ExecContext(ctx, s.d.CreateTable(schemaVersionSpec.table(s.prefix))); err != nil {
		return 0, fmt.Errorf("sqlsink: migrate: table %s: %w", s.prefix+TableSchemaVersion, err)
	}
	have, err := s.DatabaseVersion(ctx)
	if err != nil {
		return 0, err
	}
	for _, m := range migrations {
		if m.version <= have {
			continue
		}
		for _, t := range m.tables(s.prefix) {
			if _, err := s.db.ExecContext(ctx, s.d.CreateTable(t)); err != nil {
				return have, fmt.Errorf("sqlsink: migrate to version %d: table %s: %w", m.version, t.Name, err)
			}
		}
		if m.indexes != nil {
			for _, ti := range m.indexes(s.prefix) {
				if err := s.createIndex(ctx, ti); err != nil {
					return have, fmt.Errorf("sqlsink: migrate to version %d: %w", m.version, err)
				}
			}
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return have, fmt.Errorf("sqlsink: migrate: %w", err)
		}
		row := []schemaVersionRow{{version: m.version, appliedAt: s.now(), description: m.description}}
		if err := upsert(ctx, s, &writer{tx: tx}, &schemaVersionSpec, row, Result{Rows: map[string]int{}}); err != nil {
			tx.Rollback() //nolint:errcheck
			return have, fmt.Errorf("sqlsink: migrate to version %d: %w", m.version, err)
		}
		if err := tx.Commit(); err != nil {
			return have, fmt.Errorf("sqlsink: migrate to version %d: %w", m.version, err)
		}
		have = m.version
		s.log.LogAttrs(ctx, slog.LevelInfo, "sqlsink: schema migrated", slog.Int("version", m.version), slog.String("description", m.description))
	}
	return have, nil
}

// DatabaseVersion returns the schema version the database is at: 0 when
// the version table is empty; an error (the driver's "no such table") when
// Migrate never ran on it.
func (s *Sink) DatabaseVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	q := "SELECT MAX(" + s.d.Quote("version") + ") FROM " + s.d.Quote(s.prefix+TableSchemaVersion)
	if err := s.db.QueryRowContext(ctx, q).Scan(&v); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return 0, fmt.Errorf("sqlsink: schema version: %w", err)
	}
	return int(v.Int64), nil
}

// ErrCharset is returned by Migrate on a MySQL or MariaDB connection whose
// character set is not utf8mb4.
var ErrCharset = errors.New("sqlsink: the connection's character set is not utf8mb4")

// checkSession refuses a MySQL connection that does not speak utf8mb4:
// a name with an emoji (four bytes in UTF-8) would be refused or turned
// into question marks, and only in production, where the names are.
func (s *Sink) checkSession(ctx context.Context) error {
	if s.d.Name() != "mysql" {
		return nil
	}
	var cs string
	if err := s.db.QueryRowContext(ctx, "SELECT @@character_set_connection").Scan(&cs); err != nil {
		return fmt.Errorf("sqlsink: migrate: reading the connection's character set: %w", err)
	}
	if cs != "utf8mb4" {
		return fmt.Errorf("%w (it is %s): text of four bytes per character (emoji) would be refused or mangled; add charset=utf8mb4 to the DSN, or leave charset out (the driver's default)", ErrCharset, cs)
	}
	return nil
}

// createIndex creates an index unless it exists.
func (s *Sink) createIndex(ctx context.Context, ti tableIndex) error {
	q, args := s.d.IndexExists(ti.table, ti.index)
	var n int
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return fmt.Errorf("index %s on %s: looking it up: %w", ti.index.Name, ti.table.Name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, s.d.CreateIndex(ti.table, ti.index)); err != nil {
		return fmt.Errorf("index %s on %s: %w", ti.index.Name, ti.table.Name, err)
	}
	return nil
}
