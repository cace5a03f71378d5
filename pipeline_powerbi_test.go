package starinsight_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
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

// powerBISink provisions the historical dataset on c and returns a
// pipeline sink through an outbox in db.
func powerBISink(t testing.TB, c *powerbi.Client, db *sql.DB, p *pseudo.Pseudonymiser) (*powerbi.PipelineSink, *powerbi.Outbox, string) {
	t.Helper()
	ctx := context.Background()
	hist, err := powerbi.NewHistorical()
	require.NoError(t, err)
	def, err := hist.Definition("STARFACE Insight")
	require.NoError(t, err)
	prov, err := c.Provision(ctx, "", def, powerbi.RetentionNone)
	require.NoError(t, err)
	u, err := powerbi.NewUploader(c, "", prov.Dataset.ID, powerbi.WithPseudonymiser(p))
	require.NoError(t, err)
	ob, err := powerbi.NewOutbox(ctx, db, sqlsink.SQLite{})
	require.NoError(t, err)
	sink, err := powerbi.NewPipelineSink(u, ob, "cdr")
	require.NoError(t, err)
	return sink, ob, prov.Dataset.ID
}

// legKeys returns "callid/seq" of every leg, counted.
func legKeys(calls []callflow.Call) map[string]int {
	out := map[string]int{}
	for _, c := range calls {
		for _, l := range c.Legs {
			out[fmt.Sprintf("%s/%d", l.CallID, l.Seq)]++
		}
	}
	return out
}

func fakeLegKeys(t testing.TB, rows []map[string]any) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, r := range rows {
		out[fmt.Sprintf("%s/%v", r["call_id"], r["leg_seq"])]++
	}
	return out
}

func interpretAll(t testing.TB, rows []cdr.Entry, accounts []cdr.Account, site string) []callflow.Call {
	t.Helper()
	d, err := cdr.NewDirectory(accounts...)
	require.NoError(t, err)
	in, err := callflow.New(d)
	require.NoError(t, err)
	for i := range rows {
		rows[i].Site = site
	}
	return in.InterpretAll(rows)
}

// TestPipelinePowerBI: a backfill into Power BI goes through the outbox;
// Send posts every leg once, under a storm of 429s too, and empties the
// outbox.
func TestPipelinePowerBI(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		rows, accounts := simExport(t, dir, 9, 2, 500)
		want := legKeys(interpretAll(t, rows, accounts, "pbx1"))
		svc := powerbitest.New()
		c, err := powerbi.NewClient(powerbi.StaticToken("t"), powerbi.WithHTTPClient(svc.Client()))
		require.NoError(t, err)
		sink, ob, id := powerBISink(t, c, testdb.SQLite(t), pseudo.Clear())
		src, err := starinsight.NewFolderSource(dir, "pbx1")
		require.NoError(t, err)
		require.NoError(t, newPipeline(t, src, accounts, sink, pseudo.Clear(), 700).Sync(context.Background()))
		reqs, pendingRows, err := ob.Pending(context.Background())
		require.NoError(t, err)
		require.Positive(t, reqs)
		require.EqualValues(t, sum(want), pendingRows, "every leg waits in the outbox")
		require.Empty(t, svc.Rows("", id, powerbi.TableLegs), "nothing sent yet")

		for i := range 12 {
			svc.Inject(powerbitest.Fault{Op: powerbitest.OpPostRows, Status: http.StatusTooManyRequests, RetryAfter: time.Duration(i+1) * 7 * time.Minute})
		}
		res, err := sink.Send(context.Background())
		require.NoError(t, err)
		require.Equal(t, 12, res.Throttles)
		require.Zero(t, res.Unsure)
		require.Equal(t, want, fakeLegKeys(t, svc.Rows("", id, powerbi.TableLegs)), "every leg exactly once")
		reqs, _, err = ob.Pending(context.Background())
		require.NoError(t, err)
		require.Zero(t, reqs)

		// A second sync with nothing new adds nothing.
		require.NoError(t, newPipeline(t, src, accounts, sink, pseudo.Clear(), 700).Sync(context.Background()))
		_, err = sink.Send(context.Background())
		require.NoError(t, err)
		require.Equal(t, want, fakeLegKeys(t, svc.Rows("", id, powerbi.TableLegs)))
	})
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestPipelinePowerBIUnsure: a request whose answer is lost (stored by
// the service, the connection dropped) is sent again and counted as
// unsure: no row is lost, and the possible duplicate is reported.
func TestPipelinePowerBIUnsure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		rows, accounts := simExport(t, dir, 10, 1, 10_000)
		want := legKeys(interpretAll(t, rows, accounts, "pbx1"))
		svc := powerbitest.New()
		c, err := powerbi.NewClient(powerbi.StaticToken("t"), powerbi.WithHTTPClient(svc.Client()))
		require.NoError(t, err)
		sink, _, id := powerBISink(t, c, testdb.SQLite(t), pseudo.Clear())
		src, err := starinsight.NewFolderSource(dir, "pbx1")
		require.NoError(t, err)
		require.NoError(t, newPipeline(t, src, accounts, sink, pseudo.Clear(), 100_000).Sync(context.Background()))
		svc.Inject(powerbitest.Fault{Op: powerbitest.OpPostRows, DropAfter: true})
		_, err = sink.Send(context.Background())
		var ue *powerbi.UploadError
		require.ErrorAs(t, err, &ue)
		require.True(t, ue.Unsure)
		res, err := sink.Send(context.Background())
		require.NoError(t, err)
		require.Equal(t, 1, res.Unsure)
		got := fakeLegKeys(t, svc.Rows("", id, powerbi.TableLegs))
		for k := range want {
			require.Equal(t, 2, got[k], "leg %s: the unsure request's rows are there twice", k)
		}
	})
}

// TestPipelinePowerBILateRows: rows that came after the Assembler forgot
// their call arrive as a call of their own under the same call id. The
// outbox posts their legs under the id with callflow.LateRowsSuffix rather
// than taking them for legs it already posted. A whole call read late
// (c2) keeps its id, and its re-emission adds only its new legs.
func TestPipelinePowerBILateRows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		svc := powerbitest.New()
		c, err := powerbi.NewClient(powerbi.StaticToken("t"), powerbi.WithHTTPClient(svc.Client()))
		require.NoError(t, err)
		sink, _, id := powerBISink(t, c, testdb.SQLite(t), pseudo.Clear())
		start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		call := func(id string, arrival time.Time, legs int, flags callflow.Flag) callflow.Call {
			c := callflow.Call{Journey: callflow.Journey{CallID: id, Site: "pbx1", Arrival: arrival, End: arrival.Add(time.Minute), Flags: flags}}
			for i := range legs {
				c.Legs = append(c.Legs, callflow.Leg{CallID: id, Site: "pbx1", Seq: i, AccountID: cdr.AccountID(10 + i), Arrival: arrival, End: arrival.Add(time.Minute)})
			}
			return c
		}
		later := start.Add(5 * time.Hour)
		for i, calls := range [][]callflow.Call{
			{call("c1", start, 3, 0), call("c2", start, 1, callflow.FlagLateRows)},
			{call("c1", later, 1, callflow.FlagLateRows)},
			{call("c1", later, 2, callflow.FlagLateRows|callflow.FlagReopened), call("c2", start, 2, callflow.FlagLateRows|callflow.FlagReopened)},
		} {
			require.NoError(t, sink.Deliver(ctx, "pbx1", calls, int64(i+1), nil))
		}
		_, err = sink.Send(ctx)
		require.NoError(t, err)
		want := map[string]int{"c1/0": 1, "c1/1": 1, "c1/2": 1, "c1#late/0": 1, "c1#late/1": 1, "c2/0": 1, "c2/1": 1}
		if diff := cmp.Diff(want, fakeLegKeys(t, svc.Rows("", id, powerbi.TableLegs))); diff != "" {
			t.Errorf("legs in Power BI (-want +got):\n%s", diff)
		}
	})
}
