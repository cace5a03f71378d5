package powerbitest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/powerbi/powerbitest"
)

// apiBase is the real API's base; the Transport serves any host.
const apiBase = "https://api.powerbi.com/v1.0/myorg"

const testToken = "tok-3f9a-secret"

// response is what a test needs of an HTTP response.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// apiError decodes a Power BI error body.
func (r response) apiError(t testing.TB) (code, message string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &e), "error body %s", r.Body)
	require.NotEmpty(t, e.Error.Code, "error body %s", r.Body)
	return e.Error.Code, e.Error.Message
}

// api is a client of one fake, through the Transport or a server.
type api struct {
	t     testing.TB
	fake  *powerbitest.Service
	c     *http.Client
	base  string
	token string
}

func newAPI(t testing.TB, opts ...powerbitest.Option) *api {
	fake := powerbitest.New(opts...)
	return &api{t: t, fake: fake, c: fake.Client(), base: apiBase, token: testToken}
}

func newServerAPI(t testing.TB, opts ...powerbitest.Option) *api {
	srv := powerbitest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return &api{t: t, fake: srv.Service, c: srv.Client(), base: srv.BaseURL(), token: testToken}
}

// bothWays runs f against the Transport and against a server.
func bothWays(t *testing.T, f func(t *testing.T, a *api), opts ...powerbitest.Option) {
	t.Run("transport", func(t *testing.T) { f(t, newAPI(t, opts...)) })
	t.Run("server", func(t *testing.T) { f(t, newServerAPI(t, opts...)) })
}

// send makes a request; body is nil, a string sent verbatim, or a value
// sent as JSON.
func (a *api) send(ctx context.Context, method, path string, body any) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return response{}, err
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.c.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}, err
}

func (a *api) do(method, path string, body any) response {
	a.t.Helper()
	r, err := a.send(context.Background(), method, path, body)
	require.NoError(a.t, err)
	require.NotEmpty(a.t, r.Header.Get("RequestId"), "%s %s: no RequestId", method, path)
	return r
}

// createDataset creates the calls dataset and returns its ID.
func (a *api) createDataset(prefix, name, retention string) string {
	a.t.Helper()
	q := ""
	if retention != "" {
		q = "?defaultRetentionPolicy=" + retention
	}
	r := a.do(http.MethodPost, prefix+"/datasets"+q, callsDataset(name))
	require.Equal(a.t, http.StatusCreated, r.Status, "%s", r.Body)
	var d struct{ ID string }
	require.NoError(a.t, json.Unmarshal(r.Body, &d))
	return d.ID
}

func (a *api) postRows(prefix, id, table string, rows ...map[string]any) response {
	a.t.Helper()
	if rows == nil {
		rows = []map[string]any{}
	}
	return a.do(http.MethodPost, fmt.Sprintf("%s/datasets/%s/tables/%s/rows", prefix, id, table), map[string]any{"rows": rows})
}

// callsDataset is a two-table push dataset.
func callsDataset(name string) map[string]any {
	return map[string]any{
		"name":        name,
		"defaultMode": "Push",
		"tables": []any{
			map[string]any{"name": "Calls", "columns": []any{
				col("CallId", "Int64"), col("Start", "Datetime"), col("Duration", "Double"),
				col("Answered", "Boolean"), col("Caller", "String"), col("Cost", "Decimal"),
			}},
			map[string]any{"name": "Accounts", "columns": []any{
				col("CallId", "Int64"), col("Name", "String"),
			}},
		},
		"relationships": []any{map[string]any{
			"name": "CallAccount", "fromTable": "Calls", "fromColumn": "CallId",
			"toTable": "Accounts", "toColumn": "CallId", "crossFilteringBehavior": "OneDirection",
		}},
	}
}

func col(name, dataType string) map[string]any {
	return map[string]any{"name": name, "dataType": dataType}
}

// rows returns n rows for the Calls table with CallId from first on.
func rows(first, n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"CallId": first + i}
	}
	return out
}

// callIDs returns the CallId of each stored row.
func callIDs(t testing.TB, stored []map[string]any) []int64 {
	t.Helper()
	ids := make([]int64, len(stored))
	for i, r := range stored {
		n, ok := r["CallId"].(json.Number)
		require.True(t, ok, "row %d: CallId %T", i, r["CallId"])
		v, err := n.Int64()
		require.NoError(t, err)
		ids[i] = v
	}
	return ids
}

func seq(first, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(first + i)
	}
	return out
}
