package powerbitest_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/powerbi/powerbitest"
)

func TestDefaultLimits(t *testing.T) {
	want := powerbitest.Limits{
		MaxRowsPerPost: 10000, MaxRowsPerHour: 1000000, MaxPostsPerMinute: 120,
		MaxPostsPerHourLarge: 120, LargeTableRows: 250000, MaxPendingPosts: 5,
		MaxTables: 75, MaxColumns: 75, MaxRelationships: 75,
		FIFORows: 200000, MaxRowsNoRetention: 5000000, MaxStringLength: 4000,
	}
	if diff := cmp.Diff(want, powerbitest.DefaultLimits()); diff != "" {
		t.Errorf("DefaultLimits (-want +got):\n%s", diff)
	}
}

// step is one POST rows request at a moment of a limit scenario.
type step struct {
	after      time.Duration // slept before the request
	rows       int
	status     int
	retryAfter string // the Retry-After header wanted ("" for none)
}

// runSteps posts the steps to the Calls table of a fresh dataset inside a
// synctest bubble and checks each answer, and that a refused request
// stored nothing.
func runSteps(t *testing.T, lim powerbitest.Limits, retention string, steps []step) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		a := newAPI(t, powerbitest.WithLimits(lim))
		id := a.createDataset("", "Calls", retention)
		next, stored := 0, 0
		for i, s := range steps {
			time.Sleep(s.after)
			r := a.postRows("", id, "Calls", rows(next, s.rows)...)
			require.Equal(t, s.status, r.Status, "step %d: %s", i, r.Body)
			assert.Equal(t, s.retryAfter, r.Header.Get("Retry-After"), "step %d: Retry-After", i)
			if r.Status == http.StatusOK {
				next += s.rows
				stored += s.rows
			}
			assert.Len(t, a.fake.Rows("", id, "Calls"), stored, "step %d: rows stored", i)
		}
	})
}

func TestRateLimits(t *testing.T) {
	tests := []struct {
		name      string
		lim       powerbitest.Limits
		retention string
		steps     []step
	}{
		{
			name: "rows per POST",
			lim:  powerbitest.Limits{},
			steps: []step{
				{rows: 10_001, status: 400},
				{rows: 10_000, status: 200},
			},
		},
		{
			name: "POST requests per minute",
			lim:  powerbitest.Limits{MaxPostsPerMinute: 3},
			steps: []step{
				{rows: 1, status: 200},
				{after: 10 * time.Second, rows: 1, status: 200},
				{after: 10 * time.Second, rows: 1, status: 200},
				// The first leaves the window at 60s.
				{after: 10 * time.Second, rows: 1, status: 429, retryAfter: "30"},
				{after: 29 * time.Second, rows: 1, status: 429, retryAfter: "1"},
				{after: 1 * time.Second, rows: 1, status: 200},
				// The second leaves at 70s.
				{rows: 1, status: 429, retryAfter: "10"},
				{after: 10 * time.Second, rows: 1, status: 200},
			},
		},
		{
			name: "POST requests per minute, sub-second wait rounds up",
			lim:  powerbitest.Limits{MaxPostsPerMinute: 1},
			steps: []step{
				{rows: 1, status: 200},
				{after: 29*time.Second + 500*time.Millisecond, rows: 1, status: 429, retryAfter: "31"},
				{after: 29*time.Second + 600*time.Millisecond, rows: 1, status: 429, retryAfter: "1"},
				{after: 900 * time.Millisecond, rows: 1, status: 200},
			},
		},
		{
			name: "rows per hour: one old request must leave",
			lim:  powerbitest.Limits{MaxRowsPerHour: 10},
			steps: []step{
				{rows: 6, status: 200},
				{after: 10 * time.Minute, rows: 4, status: 200},
				{after: 10 * time.Minute, rows: 1, status: 429, retryAfter: "2400"},
				{after: 2399 * time.Second, rows: 1, status: 429, retryAfter: "1"},
				{after: time.Second, rows: 1, status: 200},
			},
		},
		{
			name: "rows per hour: two old requests must leave",
			lim:  powerbitest.Limits{MaxRowsPerHour: 10},
			steps: []step{
				{rows: 5, status: 200},
				{after: 10 * time.Minute, rows: 5, status: 200},
				{after: 10 * time.Minute, rows: 10, status: 429, retryAfter: "3000"},
				{after: 3000 * time.Second, rows: 10, status: 200},
			},
		},
		{
			name: "POST requests per hour once the table is large",
			lim:  powerbitest.Limits{LargeTableRows: 3, MaxPostsPerHourLarge: 2},
			steps: []step{
				{rows: 3, status: 200}, // the table was empty
				{after: time.Minute, rows: 1, status: 200},
				// Two requests in the hour, the table large: the first
				// leaves the hour at 60m.
				{after: time.Minute, rows: 1, status: 429, retryAfter: "3480"},
				{after: 58 * time.Minute, rows: 1, status: 200},
			},
		},
		{
			name: "POST requests per hour once the table is large counts the earlier ones",
			lim:  powerbitest.Limits{LargeTableRows: 4, MaxPostsPerHourLarge: 2},
			steps: []step{
				{rows: 1, status: 200},
				{after: time.Minute, rows: 1, status: 200},
				{after: time.Minute, rows: 1, status: 200},
				{after: time.Minute, rows: 1, status: 200},
				// Four requests in the hour: three must leave, the third
				// (at 2m) leaves at 62m.
				{after: time.Minute, rows: 1, status: 429, retryAfter: "3480"},
				{after: 57 * time.Minute, rows: 1, status: 429, retryAfter: "60"},
				{after: time.Minute, rows: 1, status: 200},
			},
		},
		{
			name: "the longest wait of several limits",
			lim:  powerbitest.Limits{MaxPostsPerMinute: 1, MaxRowsPerHour: 2},
			steps: []step{
				{rows: 2, status: 200},
				{after: time.Second, rows: 1, status: 429, retryAfter: "3599"},
				{after: 3599 * time.Second, rows: 1, status: 200},
			},
		},
		{
			name: "a negative limit is off",
			lim:  powerbitest.Limits{MaxPostsPerMinute: -1, MaxRowsPerHour: -1},
			steps: func() []step {
				var s []step
				for range 130 {
					s = append(s, step{rows: 1, status: 200})
				}
				return s
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSteps(t, tt.lim, tt.retention, tt.steps) })
	}
}

func TestLargeTableLimitEndsWithDelete(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newAPI(t, powerbitest.WithLimits(powerbitest.Limits{LargeTableRows: 2, MaxPostsPerHourLarge: 1}))
		id := a.createDataset("", "Calls", "")
		require.Equal(t, 200, a.postRows("", id, "Calls", rows(0, 2)...).Status)
		r := a.postRows("", id, "Calls", rows(2, 1)...)
		require.Equal(t, 429, r.Status, "%s", r.Body)
		assert.Equal(t, "3600", r.Header.Get("Retry-After"))
		// Another table of the dataset is small: the limit does not apply.
		require.Equal(t, 200, a.postRows("", id, "Accounts", rows(0, 1)...).Status)

		require.Equal(t, 200, a.do(http.MethodDelete, "/datasets/"+id+"/tables/Calls/rows", nil).Status)
		require.Equal(t, 200, a.postRows("", id, "Calls", rows(2, 1)...).Status, "the table is small again")
	})
}

func TestLimitsArePerDataset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newAPI(t, powerbitest.WithLimits(powerbitest.Limits{MaxPostsPerMinute: 1}))
		one := a.createDataset("", "One", "")
		two := a.createDataset("", "Two", "")
		require.Equal(t, 200, a.postRows("", one, "Calls", rows(0, 1)...).Status)
		require.Equal(t, 429, a.postRows("", one, "Calls", rows(0, 1)...).Status)
		require.Equal(t, 429, a.postRows("", one, "Accounts", rows(0, 1)...).Status, "another table of the same dataset")
		require.Equal(t, 200, a.postRows("", two, "Calls", rows(0, 1)...).Status)
		st := a.fake.Stats()
		assert.Equal(t, 2, st.Throttled)
		assert.Equal(t, 2, st.PostsAccepted)
	})
}

func TestPendingLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newAPI(t, powerbitest.WithLimits(powerbitest.Limits{MaxPostsPerMinute: -1}))
		id := a.createDataset("", "Calls", "")
		other := a.createDataset("", "Other", "")
		a.fake.Inject(powerbitest.Fault{Op: powerbitest.OpPostRows, Delay: 10 * time.Second, Times: -1})

		const n = 8
		type result struct {
			status     int
			retryAfter string
			at         time.Duration
		}
		results := make(chan result, n)
		start := time.Now()
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				r, err := a.send(t.Context(), http.MethodPost, "/datasets/"+id+"/tables/Calls/rows", map[string]any{"rows": rows(i, 1)})
				if err != nil {
					t.Errorf("request %d: %v", i, err)
					return
				}
				results <- result{r.Status, r.Header.Get("Retry-After"), time.Since(start)}
			})
		}
		synctest.Wait() // five are pending, three refused
		assert.Len(t, results, n-5, "answered at once")
		// A different dataset has its own five.
		r := a.postRows("", other, "Calls", rows(0, 1)...)
		assert.Equal(t, 200, r.Status, "%s", r.Body)
		wg.Wait()
		close(results)

		count := map[int]int{}
		for res := range results {
			count[res.status]++
			switch res.status {
			case 429:
				assert.Equal(t, "1", res.retryAfter)
				assert.Zero(t, res.at, "refused without waiting")
			case 200:
				assert.Equal(t, 10*time.Second, res.at, "answered after the delay")
			}
		}
		assert.Equal(t, map[int]int{200: 5, 429: 3}, count)
		assert.Len(t, a.fake.Rows("", id, "Calls"), 5)

		// Once they are answered, the dataset takes requests again.
		a.fake.ClearFaults()
		assert.Equal(t, 200, a.postRows("", id, "Calls", rows(100, 1)...).Status)
		assert.Equal(t, 3, a.fake.Stats().Throttled)
	})
}

func TestSchemaLimits(t *testing.T) {
	lim := powerbitest.WithLimits(powerbitest.Limits{MaxTables: 2, MaxColumns: 2, MaxRelationships: 1})
	cols := func(n int) []any {
		var c []any
		for i := range n {
			c = append(c, col("C"+strconv.Itoa(i), "Int64"))
		}
		return c
	}
	tests := []struct {
		name string
		body map[string]any
		want string
	}{
		{"tables", map[string]any{"name": "D", "tables": []any{
			map[string]any{"name": "A", "columns": cols(1)}, map[string]any{"name": "B", "columns": cols(1)}, map[string]any{"name": "C", "columns": cols(1)},
		}}, "tables: 3 tables, more than the limit of 2"},
		{"columns", map[string]any{"name": "D", "tables": []any{map[string]any{"name": "A", "columns": cols(3)}}}, "tables[0].columns: 3 columns, more than the limit of 2"},
		{"relationships", map[string]any{"name": "D",
			"tables": []any{map[string]any{"name": "A", "columns": cols(1)}, map[string]any{"name": "B", "columns": cols(1)}},
			"relationships": []any{
				map[string]any{"name": "R1", "fromTable": "A", "fromColumn": "C0", "toTable": "B", "toColumn": "C0"},
				map[string]any{"name": "R2", "fromTable": "B", "fromColumn": "C0", "toTable": "A", "toColumn": "C0"},
			}}, "relationships: 2 relationships, more than the limit of 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t, lim)
			r := a.do(http.MethodPost, "/datasets", tt.body)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			_, msg := r.apiError(t)
			assert.Contains(t, msg, tt.want)
		})
	}
	t.Run("at the limits", func(t *testing.T) {
		a := newAPI(t, lim)
		r := a.do(http.MethodPost, "/datasets", map[string]any{"name": "D",
			"tables": []any{map[string]any{"name": "A", "columns": cols(2)}, map[string]any{"name": "B", "columns": cols(2)}},
			"relationships": []any{
				map[string]any{"name": "R1", "fromTable": "A", "fromColumn": "C0", "toTable": "B", "toColumn": "C0"},
			}})
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		id := a.fake.Datasets("")[0].ID
		r = a.do(http.MethodPut, "/datasets/"+id+"/tables/A", map[string]any{"name": "A", "columns": cols(3)})
		require.Equal(t, http.StatusBadRequest, r.Status, "PUT: %s", r.Body)
		_, msg := r.apiError(t)
		assert.Contains(t, msg, "columns: 3 columns, more than the limit of 2")
	})
}

func TestRetention(t *testing.T) {
	lim := powerbitest.WithLimits(powerbitest.Limits{FIFORows: 5, MaxRowsNoRetention: 5})
	t.Run("basicFIFO keeps the newest", func(t *testing.T) {
		a := newAPI(t, lim)
		id := a.createDataset("", "Calls", "basicFIFO")
		require.Equal(t, 200, a.postRows("", id, "Calls", rows(1, 3)...).Status)
		require.Equal(t, 200, a.postRows("", id, "Calls", rows(4, 4)...).Status)
		if diff := cmp.Diff(seq(3, 5), callIDs(t, a.fake.Rows("", id, "Calls"))); diff != "" {
			t.Errorf("rows kept (-want +got):\n%s", diff)
		}
		require.Equal(t, 200, a.postRows("", id, "Calls", rows(8, 5)...).Status)
		assert.Equal(t, seq(8, 5), callIDs(t, a.fake.Rows("", id, "Calls")))
		st := a.fake.Stats()
		assert.Equal(t, 7, st.RowsEvicted)
		assert.Equal(t, 12, st.RowsAccepted)
	})
	t.Run("None refuses rows beyond the cap", func(t *testing.T) {
		a := newAPI(t, lim)
		id := a.createDataset("", "Calls", "None")
		require.Equal(t, 200, a.postRows("", id, "Calls", rows(1, 3)...).Status)
		r := a.postRows("", id, "Calls", rows(4, 3)...)
		require.Equal(t, 400, r.Status, "%s", r.Body)
		_, msg := r.apiError(t)
		assert.Contains(t, msg, `table "Calls" holds 3 rows; 3 more exceed the limit of 5`)
		assert.Equal(t, seq(1, 3), callIDs(t, a.fake.Rows("", id, "Calls")), "nothing stored")
		require.Equal(t, 200, a.postRows("", id, "Calls", rows(4, 2)...).Status)
		assert.Equal(t, seq(1, 5), callIDs(t, a.fake.Rows("", id, "Calls")))
		assert.Equal(t, 0, a.fake.Stats().RowsEvicted)
	})
}

func TestWithClock(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }

	a := newAPI(t, powerbitest.WithClock(clock), powerbitest.WithLimits(powerbitest.Limits{MaxPostsPerMinute: 1}))
	id := a.createDataset("", "Calls", "")
	require.Equal(t, 200, a.postRows("", id, "Calls", rows(0, 1)...).Status)
	advance(15 * time.Second)
	r := a.postRows("", id, "Calls", rows(1, 1)...)
	require.Equal(t, 429, r.Status, "%s", r.Body)
	assert.Equal(t, "45", r.Header.Get("Retry-After"))
	advance(45 * time.Second)
	require.Equal(t, 200, a.postRows("", id, "Calls", rows(1, 1)...).Status)

	reqs := a.fake.Requests()
	assert.Equal(t, now, reqs[len(reqs)-1].At, "requests are stamped by the clock")
	assert.Equal(t, time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC), a.fake.Datasets("")[0].CreatedAt)
}
