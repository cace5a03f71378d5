// Command sqlexport copies a STARFACE PBX's call list into a SQL database
// you own: CSV exports (one file or a folder of them) or the PBX's own
// cdrdata table, interpreted into calls and legs, into a SQLite file by
// default or PostgreSQL, MySQL/MariaDB with -driver and -dsn. The tables
// are those of package sqlsink (CDR_Summary, journeys, …): the Power BI
// model's, so reports can point at the database. Run it again at any time:
// it continues where it stopped and never stores a call twice.
//
//	go run ./examples/sqlexport                                  # a simulated week → sqlexport.db
//	go run ./examples/sqlexport -csv /srv/exports -accounts accounts.csv
//	go run ./examples/sqlexport -pbx-dsn 'postgres://starface@pbx/asterisk' -accounts accounts.csv \
//	    -driver pgx -dsn 'postgres://reports@db/calls' -bulk -follow
//
// Set STARINSIGHT_PSEUDO_KEY (made once with pseudo.GenerateKey, or
// `go run ./examples/pseudonymise -genkey k1`) to store pseudonyms instead
// of names and numbers; without it the data is stored in clear, and the
// output says so.
package main

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql" // MySQL/MariaDB, -driver mysql
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // PostgreSQL, -driver pgx
	_ "modernc.org/sqlite"           // SQLite, the default

	"github.com/starinsight/starinsight"
	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/sqlsink"
)

// keyEnv holds the pseudonymisation key (pseudo.Key.Export).
const keyEnv = "STARINSIGHT_PSEUDO_KEY"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:], os.Getenv); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "sqlexport:", err)
		os.Exit(1)
	}
}

// options are the command line's.
type options struct {
	csv, accounts                 string
	pbxDriver, pbxDSN, pbxTable   string
	site, tz, area                string
	db, driver, dsn, prefix, pipe string
	bulk, follow                  bool
	poll                          time.Duration
}

func parse(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("sqlexport", flag.ContinueOnError)
	fs.StringVar(&o.csv, "csv", "", "a STARFACE CSV export, or a folder of them (every *.csv); default: a simulated week")
	fs.StringVar(&o.accounts, "accounts", "", "accounts CSV (id;type;name;…), required with -csv and -pbx-dsn")
	fs.StringVar(&o.pbxDSN, "pbx-dsn", "", "read the PBX's cdrdata table from this database instead of CSV files")
	fs.StringVar(&o.pbxDriver, "pbx-driver", "pgx", "driver for -pbx-dsn: pgx (STARFACE's PostgreSQL), mysql or sqlite")
	fs.StringVar(&o.pbxTable, "pbx-table", cdr.DefaultDBTable, "the call-list table for -pbx-dsn (schema.table allowed)")
	fs.StringVar(&o.site, "site", "pbx1", "the PBX's site name, stored with every row")
	fs.StringVar(&o.tz, "tz", "Europe/Berlin", "time zone the PBX writes its times in")
	fs.StringVar(&o.area, "area", "", "the PBX's area code, for number normalisation (e.g. 711)")
	fs.StringVar(&o.db, "db", "sqlexport.db", "SQLite file to write, when no -dsn is given")
	fs.StringVar(&o.driver, "driver", "", "driver for -dsn: pgx (PostgreSQL), mysql (MySQL/MariaDB) or sqlite")
	fs.StringVar(&o.dsn, "dsn", "", "the target database's data source name (default: the SQLite file -db)")
	fs.StringVar(&o.prefix, "prefix", "", "put this before every table name (letters, digits, _)")
	fs.StringVar(&o.pipe, "name", "cdr", "the export's name, under which its cursor is kept (one per export into one database)")
	fs.BoolVar(&o.bulk, "bulk", false, "load large tables with PostgreSQL's COPY (-driver pgx only)")
	once := fs.Bool("once", true, "catch up once and exit (the default; -once=false is -follow)")
	fs.BoolVar(&o.follow, "follow", false, "catch up, then read new entries every -poll until Ctrl-C")
	fs.DurationVar(&o.poll, "poll", 30*time.Second, "with -follow, the wait between reads once caught up")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	o.follow = o.follow || !*once
	switch {
	case !slices.Contains([]string{"", "pgx", "mysql", "sqlite"}, o.driver):
		return o, fmt.Errorf("-driver %q: pgx, mysql or sqlite", o.driver)
	case !slices.Contains([]string{"pgx", "mysql", "sqlite"}, o.pbxDriver):
		return o, fmt.Errorf("-pbx-driver %q: pgx, mysql or sqlite", o.pbxDriver)
	case o.csv != "" && o.pbxDSN != "":
		return o, errors.New("-csv and -pbx-dsn: choose one source")
	case (o.csv != "" || o.pbxDSN != "") && o.accounts == "":
		return o, errors.New("-csv and -pbx-dsn need -accounts: without them groups cannot be told from users")
	case o.dsn != "" && o.driver == "":
		return o, errors.New("-dsn needs -driver: pgx, mysql or sqlite")
	case o.dsn == "" && o.driver != "" && o.driver != "sqlite":
		return o, fmt.Errorf("-driver %s needs -dsn", o.driver)
	case o.bulk && o.driver != "pgx":
		return o, errors.New("-bulk needs -driver pgx: only PostgreSQL has COPY")
	case o.poll <= 0:
		return o, errors.New("-poll must be positive")
	}
	return o, nil
}

func run(ctx context.Context, w io.Writer, args []string, getenv func(string) string) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(o.tz)
	if err != nil {
		return fmt.Errorf("-tz %q: %w", o.tz, err)
	}
	p, privacy, err := pseudonymiser(getenv)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "privacy:", privacy)

	// The source: CSV files, the PBX's database, or a simulated week.
	src, accounts, closeSrc, err := openSource(o, loc)
	if err != nil {
		return err
	}
	defer closeSrc()
	dir, err := cdr.NewDirectory(accounts...)
	if err != nil {
		return fmt.Errorf("-accounts: %w", err)
	}
	site := starinsight.Site{Source: src, Directory: dir}
	if o.area != "" {
		site.Options = append(site.Options, callflow.WithNumberPlan(cdr.GermanPlan(o.area)))
	}

	// The target: any *sql.DB with the sqlsink dialect of its driver.
	db, store, where, err := openTarget(o, p)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := store.Migrate(ctx); err != nil {
		return fmt.Errorf("preparing the tables in %s: %w", where, err)
	}
	sink, err := starinsight.NewSQLSink(store, o.pipe)
	if err != nil {
		return err
	}

	pl, err := starinsight.NewPipeline([]starinsight.Site{site},
		[]starinsight.Target{{Sink: sink, Pseudonymiser: p}},
		starinsight.WithPoll(o.poll),
		starinsight.WithProgress(func(pr starinsight.Progress) { printProgress(w, pr) }),
		starinsight.WithOnError(func(site, sink string, err error) {
			// A bad row is skipped and named; a failed write is retried.
			fmt.Fprintf(w, "warning: %s → %s: %v\n", site, sink, err)
		}))
	if err != nil {
		return err
	}
	if o.follow {
		fmt.Fprintf(w, "following %s every %s; Ctrl-C stops (a restart continues where it stopped)\n", src.Site(), o.poll)
		return pl.Run(ctx)
	}
	if err := pl.Sync(ctx); err != nil {
		return err
	}
	return summary(ctx, w, db, store, where)
}

// pseudonymiser returns the privacy policy: pseudonyms under the key in
// $STARINSIGHT_PSEUDO_KEY, or clear data, said out loud.
func pseudonymiser(getenv func(string) string) (*pseudo.Pseudonymiser, string, error) {
	text := getenv(keyEnv)
	if text == "" {
		return pseudo.Clear(), "names and numbers stored in clear (set " + keyEnv + " to store pseudonyms)", nil
	}
	key, err := pseudo.ParseKey(text)
	if err != nil {
		return nil, "", fmt.Errorf("$%s: %w", keyEnv, err)
	}
	p, err := pseudo.New(pseudo.WithKey(key))
	if err != nil {
		return nil, "", err
	}
	return p, "pseudonymised with key " + key.ID(), nil
}

// openSource opens the call list and reads the accounts. The returned
// function releases what it opened (a database, simulated files).
func openSource(o options, loc *time.Location) (starinsight.Source, []cdr.Account, func(), error) {
	nothing := func() {}
	if o.csv == "" && o.pbxDSN == "" {
		dir, err := os.MkdirTemp("", "starinsight-sqlexport-")
		if err != nil {
			return nil, nil, nothing, err
		}
		cleanup := func() { os.RemoveAll(dir) }
		cfg, err := demoConfig(o.site)
		if err != nil {
			cleanup()
			return nil, nil, nothing, err
		}
		exports, accountsPath, err := writeDemo(dir, cfg)
		if err != nil {
			cleanup()
			return nil, nil, nothing, err
		}
		o.csv, o.accounts = exports, accountsPath
		src, accounts, _, err := openSource(o, loc)
		if err != nil {
			cleanup()
			return nil, nil, nothing, err
		}
		return src, accounts, cleanup, nil
	}
	accounts, err := readAccounts(o.accounts)
	if err != nil {
		return nil, nil, nothing, err
	}
	if o.pbxDSN != "" {
		style := cdr.Dollar // PostgreSQL, STARFACE's own database
		if o.pbxDriver != "pgx" {
			style = cdr.Question
		}
		db, err := sql.Open(o.pbxDriver, o.pbxDSN)
		if err != nil {
			return nil, nil, nothing, fmt.Errorf("-pbx-dsn: %w", err)
		}
		src, err := starinsight.NewDBSource(db, o.site, cdr.WithTable(o.pbxTable), cdr.WithPlaceholders(style), cdr.WithDBLocation(loc))
		if err != nil {
			db.Close()
			return nil, nil, nothing, err
		}
		return src, accounts, func() { db.Close() }, nil
	}
	fi, err := os.Stat(o.csv)
	if err != nil {
		return nil, nil, nothing, fmt.Errorf("-csv: %w", err)
	}
	if fi.IsDir() {
		src, err := starinsight.NewFolderSource(o.csv, o.site, cdr.WithLocation(loc))
		return src, accounts, nothing, err
	}
	return newFileSource(o.csv, o.site, cdr.WithLocation(loc)), accounts, nothing, nil
}

func readAccounts(path string) ([]cdr.Account, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("-accounts: %w", err)
	}
	defer f.Close()
	accounts, err := cdr.ReadAccountsCSV(f)
	if err != nil {
		return nil, fmt.Errorf("-accounts %s: %w", path, err)
	}
	return accounts, nil
}

// openTarget opens the database to write and its sink. where names it in
// the output without the DSN, which may hold a password.
func openTarget(o options, p *pseudo.Pseudonymiser) (*sql.DB, *sqlsink.Sink, string, error) {
	driver, dsn, where := o.driver, o.dsn, o.driver+" database"
	var dialect sqlsink.Dialect
	opts := []sqlsink.Option{sqlsink.WithPseudonymiser(p), sqlsink.WithTablePrefix(o.prefix)}
	switch driver {
	case "", "sqlite":
		driver, dialect = "sqlite", sqlsink.SQLite{}
		if dsn == "" {
			// WAL and a busy timeout: a report may read while the export writes.
			dsn, where = "file:"+filepath.ToSlash(o.db)+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)", o.db
		}
	case "pgx":
		dialect = sqlsink.Postgres{}
		if o.bulk {
			opts = append(opts, sqlsink.WithBulkCopy(pgxCopy, 0))
		}
	case "mysql":
		dialect = sqlsink.MySQL{}
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, nil, "", fmt.Errorf("-dsn: %w", err)
		}
		// sqlsink reads DATETIME columns back as time.Time (in UTC, the
		// driver's default loc, which must stay).
		cfg.ParseTime = true
		dsn = cfg.FormatDSN()
	default:
		return nil, nil, "", fmt.Errorf("-driver %q: pgx, mysql or sqlite", driver)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, nil, "", fmt.Errorf("-dsn: %w", err)
	}
	store, err := sqlsink.New(db, dialect, opts...)
	if err != nil {
		db.Close()
		return nil, nil, "", err
	}
	return db, store, where, nil
}

// pgxCopy is sqlsink's bulk copy with pgx: COPY FROM STDIN on the
// connection the sink's transaction holds.
func pgxCopy(ctx context.Context, driverConn any, table string, columns []string, rows *sqlsink.CopyRows) (int64, error) {
	c, ok := driverConn.(*stdlib.Conn)
	if !ok {
		return 0, fmt.Errorf("bulk copy into %s: the connection is a %T, not pgx's", table, driverConn)
	}
	return c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, rows)
}

func printProgress(w io.Writer, pr starinsight.Progress) {
	fmt.Fprintf(w, "%s → %s: %d entries, %d calls, cursor at entry %d", pr.Site, pr.Sink, pr.Entries, pr.Calls, pr.Cursor)
	if pr.Total > 0 {
		fmt.Fprintf(w, " (%d new at the start)", pr.Total)
	}
	if pr.CaughtUp {
		fmt.Fprint(w, ", caught up")
	}
	fmt.Fprintln(w)
}

// summary prints what the database holds: calls, legs, calls by outcome.
func summary(ctx context.Context, w io.Writer, db *sql.DB, store *sqlsink.Sink, where string) error {
	q := store.Dialect().Quote
	legsT, journeysT := q(store.TableName(sqlsink.TableLegs)), q(store.TableName(sqlsink.TableJourneys))
	var legs, calls int64
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+legsT).Scan(&legs); err != nil {
		return fmt.Errorf("counting legs: %w", err)
	}
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+journeysT).Scan(&calls); err != nil {
		return fmt.Errorf("counting calls: %w", err)
	}
	fmt.Fprintf(w, "%s holds %d calls and %d legs\n", where, calls, legs)
	byOutcome, err := outcomes(ctx, db, store)
	if err != nil {
		return err
	}
	parts := make([]string, len(byOutcome))
	for i, oc := range byOutcome {
		parts[i] = fmt.Sprintf("%s %d", oc.outcome, oc.n)
	}
	if len(parts) > 0 {
		fmt.Fprintln(w, "calls by outcome:", strings.Join(parts, ", "))
	}
	return nil
}

type outcomeCount struct {
	outcome string
	n       int64
}

// outcomes counts the stored calls by outcome, most frequent first.
func outcomes(ctx context.Context, db *sql.DB, store *sqlsink.Sink) ([]outcomeCount, error) {
	q := store.Dialect().Quote
	rows, err := db.QueryContext(ctx, "SELECT "+q("outcome")+", COUNT(*) FROM "+q(store.TableName(sqlsink.TableJourneys))+" GROUP BY "+q("outcome"))
	if err != nil {
		return nil, fmt.Errorf("counting calls by outcome: %w", err)
	}
	defer rows.Close()
	var out []outcomeCount
	for rows.Next() {
		var oc outcomeCount
		if err := rows.Scan(&oc.outcome, &oc.n); err != nil {
			return nil, fmt.Errorf("counting calls by outcome: %w", err)
		}
		out = append(out, oc)
	}
	slices.SortFunc(out, func(a, b outcomeCount) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.outcome, b.outcome))
	})
	return out, rows.Err()
}

// fileSource is one CSV export file as a pipeline source (FolderSource
// reads every *.csv of a folder). It reads the file on every call, as
// an export job may rewrite it, and yields the entries after the cursor
// in id order. Copy it to feed a pipeline from anything that has ids.
type fileSource struct {
	path, site string
	opts       []cdr.CSVOption

	mu       sync.Mutex
	reported map[string]bool // errors of lines without an id, reported once
}

func newFileSource(path, site string, opts ...cdr.CSVOption) *fileSource {
	return &fileSource{path: path, site: site, opts: append(opts, cdr.WithSite(site)), reported: map[string]bool{}}
}

// Site returns the site.
func (s *fileSource) Site() string { return s.site }

type fileEntry struct {
	e   cdr.Entry
	err error
}

// Entries yields the file's entries with an id above after, in id order,
// at most limit of them (limit ≤ 0: all).
func (s *fileSource) Entries(ctx context.Context, after int64, limit int) iter.Seq2[cdr.Entry, error] {
	return func(yield func(cdr.Entry, error) bool) {
		f, err := os.Open(s.path)
		if err != nil {
			yield(cdr.Entry{}, err)
			return
		}
		defer f.Close()
		base := filepath.Base(s.path)
		var entries []fileEntry
		seen := map[int64]bool{}
		for e, err := range cdr.ReadCSV(f, s.opts...) {
			if err := ctx.Err(); err != nil {
				yield(cdr.Entry{}, err)
				return
			}
			if err != nil {
				err = &starinsight.FileError{File: base, Err: err}
			}
			if e.ID == 0 {
				// No id, no place in the order: report it once, not at every poll.
				if err != nil && s.firstReport(err) && !yield(cdr.Entry{}, err) {
					return
				}
				continue
			}
			if e.ID <= after || seen[e.ID] {
				continue
			}
			seen[e.ID] = true
			entries = append(entries, fileEntry{e, err})
		}
		slices.SortStableFunc(entries, func(a, b fileEntry) int { return cmp.Compare(a.e.ID, b.e.ID) })
		for i, fe := range entries {
			if limit > 0 && i >= limit {
				return
			}
			if !yield(fe.e, fe.err) {
				return
			}
		}
	}
}

func (s *fileSource) firstReport(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reported[err.Error()] {
		return false
	}
	s.reported[err.Error()] = true
	return true
}

// demoConfig is the simulated week of the offline default: a small call
// centre in Stuttgart, in the past so that every call is complete.
func demoConfig(site string) (sim.Config, error) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return sim.Config{}, err
	}
	return sim.Config{Seed: 1, Start: time.Date(2026, 3, 2, 0, 0, 0, 0, loc), Days: 7, Site: site}, nil
}

// writeDemo writes cfg's simulated call list into dir as a nightly
// export job would (exports/export-<day>.csv) and its accounts
// (accounts.csv), and returns the two paths.
func writeDemo(dir string, cfg sim.Config) (exports, accounts string, err error) {
	exports = filepath.Join(dir, "exports")
	if err := os.MkdirAll(exports, 0o755); err != nil {
		return "", "", err
	}
	if err := sim.WriteDailyExports(exports, cfg); err != nil {
		return "", "", err
	}
	accounts = filepath.Join(dir, "accounts.csv")
	f, err := os.Create(accounts)
	if err != nil {
		return "", "", err
	}
	if err := cdr.WriteAccountsCSV(f, cfg.Accounts()); err != nil {
		f.Close()
		return "", "", err
	}
	return exports, accounts, f.Close()
}
