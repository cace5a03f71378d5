// Command pipeline runs starinsight's historical pipeline: STARFACE CSV
// exports dropped into a folder → calls → a SQLite database (and, with
// -powerbi-fake, a Power BI dataset through an outbox). Stop it at any
// moment (Ctrl-C, kill -9) and start it again: it continues where it
// stopped, and the database ends up as if it had never stopped.
//
//	go run ./examples/pipeline -once                  # a simulated week, into pipeline.db
//	go run ./examples/pipeline -folder /srv/exports -accounts accounts.csv
//
// Without -folder it writes a simulated week of exports into a temporary
// folder first. Set STARINSIGHT_PSEUDO_KEY (pseudo.GenerateKey) to store
// pseudonymised data; without it the data is stored in clear.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the embedded database

	"github.com/starinsight/starinsight"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
	"github.com/starinsight/starinsight/powerbi"
	"github.com/starinsight/starinsight/powerbi/powerbitest"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/sqlsink"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:], os.Getenv); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("pipeline", flag.ContinueOnError)
	folder := fs.String("folder", "", "folder of STARFACE CSV exports (default: a simulated week)")
	accountsPath := fs.String("accounts", "", "accounts CSV (id;type;name;…) for -folder")
	site := fs.String("site", "pbx1", "the PBX's site name")
	dbPath := fs.String("db", "pipeline.db", "SQLite database to write")
	once := fs.Bool("once", false, "catch up once and exit, instead of polling every 30 s")
	fake := fs.Bool("powerbi-fake", false, "also upload to an in-process fake Power BI service")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p := pseudo.Clear()
	if k := getenv("STARINSIGHT_PSEUDO_KEY"); k != "" {
		key, err := pseudo.ParseKey(k)
		if err != nil {
			return err
		}
		if p, err = pseudo.New(pseudo.WithKey(key)); err != nil {
			return err
		}
	}
	given := *folder
	accounts, err := sources(*folder, *accountsPath, folder)
	if err != nil {
		return err
	}
	if given == "" {
		defer os.RemoveAll(*folder) // the simulated exports
	}

	// The database: SQLite here; any *sql.DB with its sqlsink dialect.
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(*dbPath)+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return err
	}
	defer db.Close()
	store, err := sqlsink.New(db, sqlsink.SQLite{}, sqlsink.WithPseudonymiser(p))
	if err != nil {
		return err
	}
	if _, err := store.Migrate(ctx); err != nil {
		return err
	}

	// The pipeline: a site, its accounts, and the targets.
	src, err := starinsight.NewFolderSource(*folder, *site)
	if err != nil {
		return err
	}
	dir, err := cdr.NewDirectory(accounts...)
	if err != nil {
		return err
	}
	sqlTarget, err := starinsight.NewSQLSink(store, "cdr")
	if err != nil {
		return err
	}
	targets := []starinsight.Target{{Sink: sqlTarget, Pseudonymiser: p}}
	var pbi *powerbi.PipelineSink
	if *fake {
		if pbi, err = fakePowerBI(ctx, db, p); err != nil {
			return err
		}
		targets = append(targets, starinsight.Target{Sink: pbi, Pseudonymiser: p})
	}
	progress := starinsight.WithProgress(func(pr starinsight.Progress) {
		fmt.Fprintf(w, "%s → %s: %d entries, %d calls, entry %d", pr.Site, pr.Sink, pr.Entries, pr.Calls, pr.Cursor)
		if pr.Total > 0 {
			fmt.Fprintf(w, " of %d", pr.Total)
		}
		if pr.CaughtUp {
			fmt.Fprint(w, ", caught up")
		}
		fmt.Fprintln(w)
	})
	pl, err := starinsight.NewPipeline([]starinsight.Site{{Source: src, Directory: dir}}, targets, progress)
	if err != nil {
		return err
	}
	if !*once {
		return pl.Run(ctx) // until Ctrl-C; Run also sends Power BI's outbox
	}
	if err := pl.Sync(ctx); err != nil {
		return err
	}
	if pbi != nil {
		res, err := pbi.Send(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "Power BI (fake): %d rows in %d requests\n", res.Rows, res.Requests)
	}
	var legs, journeys int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM "CDR_Summary"`).Scan(&legs); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM "journeys"`).Scan(&journeys); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s holds %d calls and %d legs\n", *dbPath, journeys, legs)
	return nil
}

// sources returns the accounts, and with no folder given writes a
// simulated week of exports into a temporary one (set in *folderOut).
func sources(folder, accountsPath string, folderOut *string) ([]cdr.Account, error) {
	if folder != "" {
		if accountsPath == "" {
			return nil, errors.New("-folder needs -accounts")
		}
		f, err := os.Open(accountsPath)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return cdr.ReadAccountsCSV(f)
	}
	dir, err := os.MkdirTemp("", "starinsight-exports-")
	if err != nil {
		return nil, err
	}
	cfg, err := demoConfig()
	if err != nil {
		return nil, err
	}
	// One export file per day, as a nightly export job drops them.
	if err := sim.WriteDailyExports(dir, cfg); err != nil {
		return nil, err
	}
	*folderOut = dir
	return cfg.Accounts(), nil
}

// demoConfig is the simulated week.
func demoConfig() (sim.Config, error) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return sim.Config{}, err
	}
	return sim.Config{Seed: 1, Start: time.Date(2026, 3, 2, 0, 0, 0, 0, loc), Days: 7}, nil
}

// fakePowerBI provisions the historical dataset on an in-process fake
// service and returns a pipeline sink through an outbox in db. With a
// real tenant: powerbi.NewClient(msalauth.NewDeviceCode(…)) instead.
func fakePowerBI(ctx context.Context, db *sql.DB, p *pseudo.Pseudonymiser) (*powerbi.PipelineSink, error) {
	svc := powerbitest.New()
	c, err := powerbi.NewClient(powerbi.StaticToken("fake"), powerbi.WithHTTPClient(svc.Client()))
	if err != nil {
		return nil, err
	}
	hist, err := powerbi.NewHistorical()
	if err != nil {
		return nil, err
	}
	def, err := hist.Definition("STARFACE Insight")
	if err != nil {
		return nil, err
	}
	ds, err := c.Provision(ctx, "", def, powerbi.RetentionNone)
	if err != nil {
		return nil, err
	}
	u, err := powerbi.NewUploader(c, "", ds.Dataset.ID, powerbi.WithPseudonymiser(p))
	if err != nil {
		return nil, err
	}
	ob, err := powerbi.NewOutbox(ctx, db, sqlsink.SQLite{})
	if err != nil {
		return nil, err
	}
	return powerbi.NewPipelineSink(u, ob, "cdr")
}
