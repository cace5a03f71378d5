package powerbi

// Internal tests: the backfill measures the generic upload on a table of
// two columns, which the exported API does not offer (its methods take the
// SDK's records, through the Pseudonymiser).

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/powerbi/powerbitest"
	"github.com/starinsight/starinsight/pseudo"
)

const uploadToken = "upload-test-token"

var backfillRows = flag.Int("backfill.rows", 2_500_000, "rows TestBackfillQuota uploads")

type tinyRow struct {
	ID   int64  `powerbi:"id"`
	Site string `powerbi:"site"`
}

// tinyDataset creates a dataset with the tiny table on svc and returns an
// uploader to it.
func tinyDataset(t *testing.T, svc *powerbitest.Service, retention Retention, opts ...UploaderOption) (*Uploader, *Schema[tinyRow], string) {
	t.Helper()
	c, err := NewClient(StaticToken(uploadToken), WithHTTPClient(svc.Client()))
	require.NoError(t, err)
	s, err := NewSchema[tinyRow]("tiny")
	require.NoError(t, err)
	def, err := NewDatasetDefinition("backfill", s.Table())
	require.NoError(t, err)
	d, _, err := c.CreateDataset(context.Background(), "", def, retention)
	require.NoError(t, err)
	u, err := NewUploader(c, "", d.ID, append([]UploaderOption{WithPseudonymiser(pseudo.Clear())}, opts...)...)
	require.NoError(t, err)
	return u, s, d.ID
}

func tinyRows(from, n int) []tinyRow {
	rows := make([]tinyRow, n)
	for i := range rows {
		rows[i] = tinyRow{ID: int64(from + i), Site: "s"}
	}
	return rows
}

// TestBackfillQuota: on simulated time, a backfill of 2,500,000 rows runs
// at the hourly quota (1,000,000 rows per rolling hour) with no 429 from
// the fake service, which enforces the same limits. The figure: rows per
// hour over the whole backfill, from the first request to the last.
func TestBackfillQuota(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := powerbitest.New(powerbitest.WithTokens(uploadToken))
		u, s, id := tinyDataset(t, svc, RetentionFIFO) // FIFO keeps the fake's memory bounded
		n := *backfillRows
		start := time.Now()
		var posts []time.Time
		rows := tinyRows(0, n)
		u.progress = func(Progress) { posts = append(posts, time.Now()) }
		res, err := upload(context.Background(), u, s, rows)
		require.NoError(t, err)
		require.Equal(t, n, res.Rows["tiny"])
		st := svc.Stats()
		require.Zero(t, st.Throttled, "the fake sent 429s")
		require.Equal(t, n, st.RowsAccepted)
		_ = id

		// Two figures. The rate: rows per hour from the start to the last
		// acknowledged request; the rolling hour admits the first million
		// at once, so it may exceed the nominal quota. The efficiency: the
		// earliest time the quota lets the last row go (the window the
		// last rows need opens at floor((n-1)/1M) hours) over the time
		// the backfill took.
		elapsed := posts[len(posts)-1].Sub(start)
		perHour := float64(n) / elapsed.Hours()
		earliest := time.Duration((n-1)/1_000_000) * time.Hour
		efficiency := 1.0
		if elapsed > 0 {
			efficiency = min(1, (earliest.Hours()+1.0/60)/elapsed.Hours()) // a minute of posting is allowed
		}
		t.Logf("backfill of %d rows in %d requests, 0 throttled: %s simulated (earliest the quota allows: %s), %.0f rows/hour = %.1f %% of the 1,000,000 rows/hour quota; efficiency %.1f %%",
			n, res.Requests, elapsed.Round(time.Second), earliest, perHour, perHour/1e4, 100*efficiency)
		require.GreaterOrEqual(t, perHour, 0.99*1e6, "the backfill ran below 99 %% of the hourly quota")
		require.GreaterOrEqual(t, efficiency, 0.99, "the backfill took longer than the quota requires")
	})
}

// TestThrottleStorm: under a storm of 429s with Retry-After from seconds
// to an hour, every row arrives exactly once.
func TestThrottleStorm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := powerbitest.New(powerbitest.WithTokens(uploadToken))
		u, s, id := tinyDataset(t, svc, RetentionNone)
		waits := []time.Duration{time.Second, 17 * time.Second, time.Minute, 10 * time.Minute, time.Hour}
		for i := range 40 {
			svc.Inject(powerbitest.Fault{Op: "PostRows", Times: 1, Status: http.StatusTooManyRequests, RetryAfter: waits[i%len(waits)]})
		}
		const n = 123_457
		res, err := upload(context.Background(), u, s, tinyRows(0, n))
		require.NoError(t, err)
		require.Equal(t, 40, res.Throttles)
		require.Equal(t, n, res.Rows["tiny"])
		got := svc.Rows("", id, "tiny")
		require.Len(t, got, n, "rows lost or doubled")
		seen := make([]bool, n)
		for _, r := range got {
			v, err := r["id"].(json.Number).Int64()
			require.NoError(t, err)
			require.False(t, seen[v], "row %d twice", v)
			seen[v] = true
		}
		t.Logf("%d rows through %d injected 429s (Retry-After 1 s to 1 h): %d throttles counted, every row exactly once", n, 40, res.Throttles)
	})
}

// TestUploadUnsure: a 5xx or a dropped connection fails the upload with
// an *UploadError that says which rows, how many went before, and that
// the service may have added them.
func TestUploadUnsure(t *testing.T) {
	for _, f := range []powerbitest.Fault{
		{Op: "PostRows", Status: http.StatusInternalServerError},
		{Op: "PostRows", Drop: true},
	} {
		t.Run(fmt.Sprint(f.Status, f.Drop), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := powerbitest.New(powerbitest.WithTokens(uploadToken))
				u, s, _ := tinyDataset(t, svc, RetentionNone)
				_, err := upload(context.Background(), u, s, tinyRows(0, 25_000))
				require.NoError(t, err)
				f.Times = 1
				svc.Inject(f)
				_, err = upload(context.Background(), u, s, tinyRows(0, 5))
				var ue *UploadError
				require.ErrorAs(t, err, &ue)
				require.True(t, ue.Unsure)
				require.Equal(t, 0, ue.FirstRow)
				require.Equal(t, 5, ue.Rows)
				require.Contains(t, err.Error(), "rows 0 to 4 not added")
				require.Contains(t, err.Error(), "may have added them anyway")
			})
		})
	}
}

type flakyTokens struct{ fails int }

func (f *flakyTokens) Token(context.Context) (string, error) {
	if f.fails > 0 {
		f.fails--
		return "", &AuthError{Kind: AuthTransient, Hint: "network"}
	}
	return uploadToken, nil
}

// TestUploadRetriesSafe: a failure before sending (a sign-in hiccup) is
// retried with back-off; after WithRetries attempts the upload fails.
func TestUploadRetriesSafe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := powerbitest.New(powerbitest.WithTokens(uploadToken))
		u, s, id := tinyDataset(t, svc, RetentionNone, WithRetries(3))
		tokens := &flakyTokens{fails: 3}
		u.c.tokens = tokens
		start := time.Now()
		_, err := upload(context.Background(), u, s, tinyRows(0, 10))
		require.NoError(t, err)
		require.Equal(t, 7*time.Second, time.Since(start), "backs off 1 s, 2 s, 4 s")
		require.Len(t, svc.Rows("", id, "tiny"), 10)

		tokens.fails = 4
		_, err = upload(context.Background(), u, s, tinyRows(10, 10))
		var ae *AuthError
		require.ErrorAs(t, err, &ae)
		var ue *UploadError
		require.ErrorAs(t, err, &ue)
		require.False(t, ue.Unsure)
	})
}

// TestUploadContext: an upload waiting out a throttle stops at the
// context's deadline, never sleeping past it.
func TestUploadContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := powerbitest.New(powerbitest.WithTokens(uploadToken))
		u, s, _ := tinyDataset(t, svc, RetentionNone)
		svc.Inject(powerbitest.Fault{Op: "PostRows", Times: 1, Status: http.StatusTooManyRequests, RetryAfter: time.Hour})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		start := time.Now()
		_, err := upload(ctx, u, s, tinyRows(0, 10))
		require.Error(t, err)
		require.Less(t, time.Since(start), 10*time.Minute+time.Second, "slept past the deadline")
	})
}

func TestNewUploaderNeedsPseudonymiser(t *testing.T) {
	c, err := NewClient(StaticToken("x"))
	require.NoError(t, err)
	_, err = NewUploader(c, "", "d")
	require.ErrorIs(t, err, ErrNoPseudonymiser)
	_, err = NewUploader(c, "", "", WithPseudonymiser(pseudo.Clear()))
	require.ErrorContains(t, err, "empty dataset id")
}

// TestDeleteLive: the live tables are emptied, a throttled delete waits
// out its Retry-After, and the quota's row counts start again from zero.
func TestDeleteLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		svc := powerbitest.New(powerbitest.WithTokens(uploadToken))
		c, err := NewClient(StaticToken(uploadToken), WithHTTPClient(svc.Client()))
		require.NoError(t, err)
		lv, err := NewLive()
		require.NoError(t, err)
		def, err := lv.Definition("live")
		require.NoError(t, err)
		p, err := c.Provision(ctx, "", def, RetentionFIFO)
		require.NoError(t, err)
		u, err := NewUploader(c, "", p.Dataset.ID, WithPseudonymiser(pseudo.Clear()))
		require.NoError(t, err)
		at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		res, err := u.Live(ctx, []live.UserState{{At: at, AccountID: 1, Name: "Ann"}, {At: at, AccountID: 2}}, []live.QueueState{{At: at, AccountID: 9, WaitingCalls: 3}})
		require.NoError(t, err)
		require.Equal(t, map[string]int{TableLiveUsers: 2, TableLiveQueues: 1}, res.Rows)
		require.Len(t, svc.Rows("", p.Dataset.ID, TableLiveUsers), 2)
		require.Equal(t, int64(2), u.Quota().TableRows(TableLiveUsers))

		svc.Inject(powerbitest.Fault{Op: "DeleteRows", Times: 1, Status: http.StatusTooManyRequests, RetryAfter: 45 * time.Second})
		start := time.Now()
		require.NoError(t, u.DeleteLive(ctx))
		require.Equal(t, 45*time.Second, time.Since(start), "waited out the Retry-After")
		require.Empty(t, svc.Rows("", p.Dataset.ID, TableLiveUsers))
		require.Empty(t, svc.Rows("", p.Dataset.ID, TableLiveQueues))
		require.Zero(t, u.Quota().TableRows(TableLiveUsers))
	})
}
