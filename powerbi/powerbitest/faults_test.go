package powerbitest_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/powerbi/powerbitest"
)

func TestStatusFaults(t *testing.T) {
	tests := []struct {
		name       string
		fault      powerbitest.Fault
		statuses   []int // of successive POST rows requests
		retryAfter string
		body       string
	}{
		{"once by default", powerbitest.Fault{Op: powerbitest.OpPostRows, Status: 503}, []int{503, 200, 200}, "", ""},
		{"twice", powerbitest.Fault{Op: powerbitest.OpPostRows, Status: 500, Times: 2}, []int{500, 500, 200}, "", ""},
		{"any op", powerbitest.Fault{Status: 502}, []int{502, 200}, "", ""},
		{"another op", powerbitest.Fault{Op: powerbitest.OpGetDatasets, Status: 500}, []int{200, 200}, "", ""},
		{"until cleared", powerbitest.Fault{Op: powerbitest.OpPostRows, Status: 500, Times: -1}, []int{500, 500, 500, 500}, "", ""},
		{"long throttle", powerbitest.Fault{Op: powerbitest.OpPostRows, Status: 429, RetryAfter: time.Hour}, []int{429, 200}, "3600", ""},
		{"retry-after rounds up", powerbitest.Fault{Status: 429, RetryAfter: 1500 * time.Millisecond}, []int{429, 200}, "2", ""},
		{"verbatim body", powerbitest.Fault{Status: 400, Body: `{"error":{"code":"DMTS_DatasetNotFound"}}`}, []int{400, 200}, "", `{"error":{"code":"DMTS_DatasetNotFound"}}`},
		{"status out of range", powerbitest.Fault{Status: 42}, []int{500, 200}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bothWays(t, func(t *testing.T, a *api) {
				id := a.createDataset("", "Calls", "")
				a.fake.Inject(tt.fault)
				stored := 0
				for i, want := range tt.statuses {
					r := a.postRows("", id, "Calls", rows(i, 1)...)
					require.Equal(t, want, r.Status, "request %d: %s", i, r.Body)
					if want == http.StatusOK {
						stored++
						continue
					}
					if i == 0 {
						assert.Equal(t, tt.retryAfter, r.Header.Get("Retry-After"))
						if tt.body != "" {
							assert.Equal(t, tt.body, string(r.Body))
						} else {
							r.apiError(t)
						}
					}
				}
				assert.Len(t, a.fake.Rows("", id, "Calls"), stored, "a fault stores nothing")
				faults := 0
				for _, s := range tt.statuses {
					if s != 200 {
						faults++
					}
				}
				st := a.fake.Stats()
				assert.Equal(t, faults, st.Faults)
				assert.Equal(t, faults, st.Throttled+st.Rejected)
			})
		})
	}
}

func TestFaultOrder(t *testing.T) {
	a := newAPI(t)
	a.fake.Inject(powerbitest.Fault{Op: powerbitest.OpGetDatasets, Status: 500})
	a.fake.Inject(powerbitest.Fault{Status: 503})
	assert.Equal(t, 500, a.do(http.MethodGet, "/datasets", nil).Status)
	assert.Equal(t, 503, a.do(http.MethodGet, "/datasets", nil).Status)
	assert.Equal(t, 200, a.do(http.MethodGet, "/datasets", nil).Status)

	// A 401 or a 404 uses up no fault.
	a.fake.Inject(powerbitest.Fault{Status: 503})
	a.token = ""
	assert.Equal(t, 401, a.do(http.MethodGet, "/datasets", nil).Status)
	a.token = testToken
	assert.Equal(t, 404, a.do(http.MethodGet, "/reports", nil).Status)
	assert.Equal(t, 503, a.do(http.MethodGet, "/datasets", nil).Status)
}

func TestDropThroughTransport(t *testing.T) {
	tests := []struct {
		name   string
		fault  powerbitest.Fault
		stored int
	}{
		{"before serving", powerbitest.Fault{Op: powerbitest.OpPostRows, Drop: true}, 0},
		{"after serving", powerbitest.Fault{Op: powerbitest.OpPostRows, DropAfter: true}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t)
			id := a.createDataset("", "Calls", "")
			a.fake.Inject(tt.fault)
			_, err := a.send(t.Context(), http.MethodPost, "/datasets/"+id+"/tables/Calls/rows", map[string]any{"rows": rows(0, 2)})
			require.ErrorIs(t, err, powerbitest.ErrDropped)
			var ne net.Error
			assert.ErrorAs(t, err, &ne, "a network error")
			assert.Len(t, a.fake.Rows("", id, "Calls"), tt.stored)
			last := a.fake.Requests()[len(a.fake.Requests())-1]
			assert.Equal(t, 0, last.Status, "no response sent")
			assert.Equal(t, 2, last.Rows)

			r := a.postRows("", id, "Calls", rows(2, 1)...)
			assert.Equal(t, 200, r.Status, "the next request is served")
		})
	}
}

func TestDropThroughServer(t *testing.T) {
	tests := []struct {
		name   string
		fault  powerbitest.Fault
		stored int
	}{
		{"before serving", powerbitest.Fault{Op: powerbitest.OpPostRows, Drop: true}, 0},
		{"after serving", powerbitest.Fault{Op: powerbitest.OpPostRows, DropAfter: true}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newServerAPI(t)
			id := a.createDataset("", "Calls", "")
			a.fake.Inject(tt.fault)
			_, err := a.send(t.Context(), http.MethodPost, "/datasets/"+id+"/tables/Calls/rows", map[string]any{"rows": rows(0, 2)})
			require.Error(t, err, "the connection is closed without a response")
			assert.Len(t, a.fake.Rows("", id, "Calls"), tt.stored)
			assert.Equal(t, 200, a.postRows("", id, "Calls", rows(2, 1)...).Status)
		})
	}
}

func TestDropWithoutHijack(t *testing.T) {
	// A handler served where it can neither hijack nor reach the
	// Transport aborts the way net/http's servers expect.
	fake := powerbitest.New()
	fake.Inject(powerbitest.Fault{Drop: true})
	req, err := http.NewRequest(http.MethodGet, apiBase+"/datasets", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer x")
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { fake.Handler().ServeHTTP(nopWriter{}, req) })
	assert.Equal(t, 1, fake.Stats().Requests, "still recorded")
}

type nopWriter struct{}

func (nopWriter) Header() http.Header         { return http.Header{} }
func (nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (nopWriter) WriteHeader(int)             {}

func TestDelay(t *testing.T) {
	t.Run("then served", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a := newAPI(t)
			id := a.createDataset("", "Calls", "")
			a.fake.Inject(powerbitest.Fault{Op: powerbitest.OpPostRows, Delay: 5 * time.Second})
			start := time.Now()
			r := a.postRows("", id, "Calls", rows(0, 1)...)
			assert.Equal(t, 200, r.Status)
			assert.Equal(t, 5*time.Second, time.Since(start))
			assert.Len(t, a.fake.Rows("", id, "Calls"), 1)
			assert.Equal(t, 1, a.fake.Stats().Faults)
		})
	})
	t.Run("then a status", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a := newAPI(t)
			a.fake.Inject(powerbitest.Fault{Delay: time.Minute, Status: 504})
			start := time.Now()
			assert.Equal(t, 504, a.do(http.MethodGet, "/datasets", nil).Status)
			assert.Equal(t, time.Minute, time.Since(start))
		})
	})
	t.Run("cancelled by the client", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a := newAPI(t)
			id := a.createDataset("", "Calls", "")
			a.fake.Inject(powerbitest.Fault{Op: powerbitest.OpPostRows, Delay: time.Minute})
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			start := time.Now()
			_, err := a.send(ctx, http.MethodPost, "/datasets/"+id+"/tables/Calls/rows", map[string]any{"rows": rows(0, 1)})
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Equal(t, time.Second, time.Since(start), "stopped waiting at the deadline")
			assert.Empty(t, a.fake.Rows("", id, "Calls"), "a cancelled request stores nothing")
			reqs := a.fake.Requests()
			assert.Equal(t, 0, reqs[len(reqs)-1].Status)
		})
	})
}

func TestTransportContext(t *testing.T) {
	a := newAPI(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := a.send(ctx, http.MethodPost, "/datasets", callsDataset("Calls"))
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, a.fake.Datasets(""))
	assert.Empty(t, a.fake.Requests(), "the request never reached the service")
	assert.False(t, errors.Is(err, powerbitest.ErrDropped))
}
