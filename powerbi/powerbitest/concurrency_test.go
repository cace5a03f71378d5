package powerbitest_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/powerbi/powerbitest"
)

// TestConcurrentUse runs writers, readers and inspectors at once through
// a real server; with -race it checks the service's locking.
func TestConcurrentUse(t *testing.T) {
	a := newServerAPI(t, powerbitest.WithLimits(powerbitest.Limits{MaxPostsPerMinute: -1, MaxPendingPosts: -1}))
	const datasets, writers, posts = 3, 8, 10
	ids := make([]string, datasets)
	for i := range ids {
		ids[i] = a.createDataset("", "Calls", "basicFIFO")
	}
	var wg sync.WaitGroup
	for w := range writers {
		for _, id := range ids {
			wg.Go(func() {
				for p := range posts {
					r, err := a.send(t.Context(), http.MethodPost, "/datasets/"+id+"/tables/Calls/rows",
						map[string]any{"rows": rows(w*posts+p, 2)})
					if err != nil || r.Status != http.StatusOK {
						t.Errorf("post: %v %d %s", err, r.Status, r.Body)
						return
					}
				}
			})
		}
	}
	for range 4 {
		wg.Go(func() {
			for range posts {
				_ = a.fake.Stats()
				_ = a.fake.Requests()
				_ = a.fake.Datasets("")
				_ = a.fake.Rows("", ids[0], "Calls")
				if _, err := a.send(t.Context(), http.MethodGet, "/datasets", nil); err != nil {
					t.Errorf("get: %v", err)
				}
			}
		})
	}
	wg.Go(func() {
		put := map[string]any{"name": "Calls", "columns": []any{col("CallId", "Int64"), col("Caller", "String")}}
		if _, err := a.send(t.Context(), http.MethodPut, "/datasets/"+ids[1]+"/tables/Calls", put); err != nil {
			t.Errorf("put: %v", err)
		}
	})
	wg.Wait()

	st := a.fake.Stats()
	assert.Equal(t, datasets*writers*posts, st.PostsAccepted)
	assert.Equal(t, datasets*writers*posts*2, st.RowsAccepted)
	for _, id := range ids {
		require.Len(t, a.fake.Rows("", id, "Calls"), writers*posts*2)
	}
}

func BenchmarkPostRows(b *testing.B) {
	a := newAPI(b, powerbitest.WithLimits(powerbitest.Limits{MaxPostsPerMinute: -1, MaxRowsPerHour: -1, FIFORows: 10_000}))
	id := a.createDataset("", "Calls", "basicFIFO")
	batch := make([]map[string]any, 10_000)
	for i := range batch {
		batch[i] = map[string]any{"CallId": i, "Start": "2025-03-01T08:00:00Z", "Duration": 12.5, "Answered": true, "Caller": "+49 30 1234"}
	}
	body, err := json.Marshal(map[string]any{"rows": batch})
	require.NoError(b, err)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r := a.do(http.MethodPost, "/datasets/"+id+"/tables/Calls/rows", string(body))
		if r.Status != http.StatusOK {
			b.Fatalf("status %d: %s", r.Status, r.Body)
		}
	}
}
