package starinsight_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight"
	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/testdb"
	"github.com/starinsight/starinsight/powerbi"
	"github.com/starinsight/starinsight/powerbi/powerbitest"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/sqlsink"
)

// switchingTokens is a sign-in whose token the test replaces, as a user
// signing in again does.
type switchingTokens struct{ tok atomic.Value }

func (s *switchingTokens) Token(context.Context) (string, error) { return s.tok.Load().(string), nil }

// downSink fails every delivery while down is set: a database that is
// unreachable.
type downSink struct {
	starinsight.Sink
	down atomic.Bool
}

var errDown = errors.New("database unreachable")

func (d *downSink) Deliver(ctx context.Context, site string, calls []callflow.Call, cursor int64, state []byte) error {
	if d.down.Load() {
		return errDown
	}
	return d.Sink.Deliver(ctx, site, calls, cursor, state)
}

// TestPipelineRun runs a pipeline into SQL and Power BI for simulated
// hours: it catches up, picks up an export dropped later, rides out a
// database outage and a revoked Power BI sign-in (reported, then resumed
// once a new token is there), and ends with every leg in both.
func TestPipelineRun(t *testing.T) {
	// The exports moved in later are read hours after the first went
	// quiet: a call with rows in both is joined, not split (the
	// Assembler's retention runs on the data's clock).
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		all := t.TempDir()
		rows, accounts := simExport(t, all, 14, 2, 1500)
		// The first export now, the rest later.
		names, err := filepath.Glob(filepath.Join(all, "*.csv"))
		require.NoError(t, err)
		require.Greater(t, len(names), 1)
		move := func(name string) {
			b, err := os.ReadFile(name)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(name)), b, 0o644))
		}
		move(names[0])
		want := legKeys(interpretAll(t, rows, accounts, "pbx1"))

		svc := powerbitest.New(powerbitest.WithTokens("token-1", "token-2"))
		tokens := &switchingTokens{}
		tokens.tok.Store("token-1")
		c, err := powerbi.NewClient(tokens, powerbi.WithHTTPClient(svc.Client()))
		require.NoError(t, err)
		ctx := context.Background()
		hist, err := powerbi.NewHistorical()
		require.NoError(t, err)
		def, err := hist.Definition("STARFACE Insight")
		require.NoError(t, err)
		prov, err := c.Provision(ctx, "", def, powerbi.RetentionNone)
		require.NoError(t, err)
		u, err := powerbi.NewUploader(c, "", prov.Dataset.ID, powerbi.WithPseudonymiser(pseudo.Clear()))
		require.NoError(t, err)
		ob, err := powerbi.NewOutbox(ctx, testdb.SQLite(t), sqlsink.SQLite{})
		require.NoError(t, err)
		var mu sync.Mutex
		var sendErrs []error
		pbi, err := powerbi.NewPipelineSink(u, ob, "cdr", powerbi.WithSendOnError(func(err error) { mu.Lock(); sendErrs = append(sendErrs, err); mu.Unlock() }))
		require.NoError(t, err)

		store, db := sqliteSink(t, pseudo.Clear())
		sqlTarget, err := starinsight.NewSQLSink(store, "cdr")
		require.NoError(t, err)
		down := &downSink{Sink: sqlTarget}
		src, err := starinsight.NewFolderSource(dir, "pbx1")
		require.NoError(t, err)
		d, err := cdr.NewDirectory(accounts...)
		require.NoError(t, err)
		var laneErrs atomic.Int64
		begin := time.Now()
		pl, err := starinsight.NewPipeline([]starinsight.Site{{Source: src, Directory: d}},
			[]starinsight.Target{{Sink: down, Pseudonymiser: pseudo.Clear(), Chunk: 500}, {Sink: pbi, Pseudonymiser: pseudo.Clear(), Chunk: 500}},
			// A wall clock long after the data: rows that come late get the
			// grace period from now.
			starinsight.WithClock(func() time.Time { return fixedNow.Add(time.Since(begin)) }),
			starinsight.WithOnError(func(site, sink string, err error) { laneErrs.Add(1) }))
		require.NoError(t, err)

		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- pl.Run(runCtx) }()

		time.Sleep(time.Minute)
		// The database goes down, and Power BI's sign-in is revoked.
		down.down.Store(true)
		svc.RevokeToken("token-1")
		for _, n := range names[1:] {
			move(n)
		}
		// The new rows are a day old: their calls close an hour (the
		// grace) after they were read.
		time.Sleep(3 * time.Hour)
		require.Positive(t, laneErrs.Load(), "the outage was not reported")
		mu.Lock()
		require.NotEmpty(t, sendErrs, "the revoked sign-in was not reported")
		var ae *powerbi.APIError
		require.ErrorAs(t, sendErrs[len(sendErrs)-1], &ae)
		mu.Unlock()
		// Back: the database is up, the user signed in again.
		down.down.Store(false)
		tokens.tok.Store("token-2")
		time.Sleep(2 * time.Hour)

		stop()
		require.ErrorIs(t, <-done, context.Canceled)
		require.Equal(t, want, fakeLegKeys(t, svc.Rows("", prov.Dataset.ID, powerbi.TableLegs)), "Power BI: every leg once")
		var n int
		require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM "+store.Dialect().Quote(store.TableName(sqlsink.TableLegs))).Scan(&n))
		require.Equal(t, sum(want), n, "SQL: every leg")
		pending, _, err := ob.Pending(ctx)
		require.NoError(t, err)
		require.Zero(t, pending)
	})
}
