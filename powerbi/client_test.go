package powerbi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/powerbi"
	"github.com/starinsight/starinsight/powerbi/powerbitest"
)

const testToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-test-token"

// newFake returns a client on a fresh fake service, talking through its
// in-process transport (so it works inside synctest bubbles), and the
// service.
func newFake(t *testing.T, svcOpts []powerbitest.Option, opts ...powerbi.Option) (*powerbi.Client, *powerbitest.Service) {
	t.Helper()
	svc := powerbitest.New(append([]powerbitest.Option{powerbitest.WithTokens(testToken)}, svcOpts...)...)
	opts = append([]powerbi.Option{powerbi.WithHTTPClient(svc.Client())}, opts...)
	c, err := powerbi.NewClient(powerbi.StaticToken(testToken), opts...)
	require.NoError(t, err)
	return c, svc
}

// testTable is a small table of every column type.
var testTable = powerbi.Table{Name: "calls", Columns: []powerbi.Column{
	{Name: "id", DataType: powerbi.Int64}, {Name: "name", DataType: powerbi.String},
	{Name: "at", DataType: powerbi.Datetime}, {Name: "ok", DataType: powerbi.Boolean}, {Name: "ratio", DataType: powerbi.Double},
}}

func createTestDataset(t *testing.T, c *powerbi.Client, group string) powerbi.Dataset {
	t.Helper()
	def, err := powerbi.NewDatasetDefinition("Insight", testTable)
	require.NoError(t, err)
	d, resp, err := c.CreateDataset(context.Background(), group, def, powerbi.RetentionNone)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.NotEmpty(t, resp.RequestID)
	require.NotEmpty(t, d.ID)
	return d
}

func rowsOf(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"id": i, "name": fmt.Sprint("row ", i), "at": "2026-03-02T08:00:00.000Z", "ok": i%2 == 0, "ratio": 0.5}
	}
	return out
}

// TestEndpoints runs every endpoint against the fake, in My workspace and
// in a workspace.
func TestEndpoints(t *testing.T) {
	ctx := context.Background()
	c, svc := newFake(t, nil)
	g, resp, err := c.CreateGroup(ctx, "Call analytics")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	groups, _, err := c.Groups(ctx)
	require.NoError(t, err)
	require.Len(t, groups, 1)
	require.Equal(t, g, groups[0])

	for _, group := range []string{"", g.ID} {
		t.Run("group="+group, func(t *testing.T) {
			list, _, err := c.Datasets(ctx, group)
			require.NoError(t, err)
			require.Empty(t, list)
			d := createTestDataset(t, c, group)
			list, _, err = c.Datasets(ctx, group)
			require.NoError(t, err)
			require.Len(t, list, 1)
			require.Equal(t, "Insight", list[0].Name)
			require.Equal(t, d.ID, list[0].ID)

			tables, _, err := c.Tables(ctx, group, d.ID)
			require.NoError(t, err)
			require.Equal(t, []string{"calls"}, names(tables))

			_, err = c.PostRows(ctx, group, d.ID, "calls", rowsOf(3))
			require.NoError(t, err)
			got := svc.Rows(group, d.ID, "calls")
			require.Len(t, got, 3)
			require.Equal(t, "row 2", got[2]["name"])

			wider := testTable
			wider.Columns = append(append([]powerbi.Column(nil), testTable.Columns...), powerbi.Column{Name: "extra", DataType: powerbi.String})
			_, err = c.PutTable(ctx, group, d.ID, wider)
			require.NoError(t, err)
			_, err = c.PostRows(ctx, group, d.ID, "calls", []map[string]any{{"id": 9, "extra": "x"}})
			require.NoError(t, err, "the new column takes values")
			require.Len(t, svc.Rows(group, d.ID, "calls"), 4, "PutTable keeps the rows")

			_, err = c.DeleteRows(ctx, group, d.ID, "calls")
			require.NoError(t, err)
			require.Empty(t, svc.Rows(group, d.ID, "calls"))
		})
	}
}

func names(ts []powerbi.Table) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

// TestAPIErrors: the service's error statuses come back as *APIError with
// the code, message, request id and a hint, never with the token.
func TestAPIErrors(t *testing.T) {
	ctx := context.Background()
	c, _ := newFake(t, nil)
	d := createTestDataset(t, c, "")
	tests := []struct {
		name     string
		call     func() error
		status   int
		contains string
	}{
		{"unknown dataset", func() error {
			_, err := c.PostRows(ctx, "", "00000000-0000-0000-0000-000000000000", "calls", rowsOf(1))
			return err
		}, 404, "does not exist"},
		{"unknown table", func() error { _, err := c.PostRows(ctx, "", d.ID, "nope", rowsOf(1)); return err }, 404, "PostRows"},
		{"unknown column", func() error {
			_, err := c.PostRows(ctx, "", d.ID, "calls", []map[string]any{{"id": 1, "colour": "red"}})
			return err
		}, 400, "colour"},
		{"too many rows", func() error { _, err := c.PostRows(ctx, "", d.ID, "calls", rowsOf(10_001)); return err }, 400, "10"},
		{"bad table name", func() error {
			_, _, err := c.CreateDataset(ctx, "", powerbi.DatasetDefinition{Name: "x", Tables: []powerbi.Table{{Name: "a/b", Columns: testTable.Columns}}}, "")
			return err
		}, 400, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var ae *powerbi.APIError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, tt.status, ae.StatusCode, err.Error())
			require.NotEmpty(t, ae.RequestID)
			require.Contains(t, err.Error(), tt.contains)
			require.True(t, powerbi.SafeToRetry(err), "a 4xx added nothing")
			require.False(t, powerbi.Retryable(err), "a 4xx does not pass by itself")
			require.NotContains(t, err.Error(), testToken)
		})
	}
}

// TestTokenRefused: a token the service refuses gives a 401 *APIError
// whose message says to sign in again; the token is in no error and no
// log line.
func TestTokenRefused(t *testing.T) {
	svc := powerbitest.New(powerbitest.WithTokens(testToken))
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	const wrong = "wrong-token-7f3a9"
	c, err := powerbi.NewClient(powerbi.StaticToken(wrong), powerbi.WithHTTPClient(svc.Client()), powerbi.WithLogger(log))
	require.NoError(t, err)
	_, _, err = c.Datasets(context.Background(), "")
	var ae *powerbi.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, http.StatusUnauthorized, ae.StatusCode)
	require.Contains(t, ae.Hint, "sign in again")
	require.NotContains(t, err.Error(), wrong)
	require.NotContains(t, logs.String(), wrong)
	require.Contains(t, logs.String(), "status=401", "the request is logged")

	svc.RevokeToken(testToken)
	good, err := powerbi.NewClient(powerbi.StaticToken(testToken), powerbi.WithHTTPClient(svc.Client()))
	require.NoError(t, err)
	_, _, err = good.Datasets(context.Background(), "")
	require.ErrorAs(t, err, &ae)
	require.Equal(t, http.StatusForbidden, ae.StatusCode)
	require.NotContains(t, err.Error(), testToken)
}

type failingTokens struct{ err error }

func (f failingTokens) Token(context.Context) (string, error) { return "", f.err }

// TestTokenSourceError: a sign-in failure reaches the caller as the
// *AuthError the TokenSource returned, and no request is sent.
func TestTokenSourceError(t *testing.T) {
	svc := powerbitest.New()
	authErr := &powerbi.AuthError{Kind: powerbi.AuthReloginNeeded, Code: "AADSTS700082", Hint: "run the login again"}
	c, err := powerbi.NewClient(failingTokens{authErr}, powerbi.WithHTTPClient(svc.Client()))
	require.NoError(t, err)
	_, _, err = c.Datasets(context.Background(), "")
	var ae *powerbi.AuthError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, powerbi.AuthReloginNeeded, ae.Kind)
	require.Contains(t, err.Error(), "GetDatasets")
	require.Empty(t, svc.Requests())
	require.False(t, powerbi.Retryable(err))
	require.True(t, powerbi.SafeToRetry(err))
}

// TestThrottle: a 429 gives a *ThrottledError with the Retry-After; until
// it has passed the client refuses calls for that dataset without sending
// them, other datasets go on, and afterwards the call goes through.
func TestThrottle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		c, svc := newFake(t, nil)
		d := createTestDataset(t, c, "")
		other := createTestDataset(t, c, "")
		svc.Inject(powerbitest.Fault{Op: "PostRows", Times: 1, Status: http.StatusTooManyRequests, RetryAfter: 30 * time.Second})

		_, err := c.PostRows(ctx, "", d.ID, "calls", rowsOf(2))
		var te *powerbi.ThrottledError
		require.ErrorAs(t, err, &te)
		require.True(t, te.Sent)
		require.Equal(t, 30*time.Second, te.RetryAfter)
		require.Equal(t, d.ID, te.Dataset)
		require.True(t, powerbi.SafeToRetry(err))
		require.True(t, powerbi.Retryable(err))
		require.Empty(t, svc.Rows("", d.ID, "calls"), "a throttled request adds nothing")

		sent := len(svc.Requests())
		time.Sleep(29 * time.Second)
		_, err = c.PostRows(ctx, "", d.ID, "calls", rowsOf(2))
		require.ErrorAs(t, err, &te)
		require.False(t, te.Sent)
		require.Equal(t, time.Second, te.RetryAfter)
		require.Contains(t, err.Error(), "not sent")
		require.Len(t, svc.Requests(), sent, "refused without sending")
		until, ok := c.ThrottledUntil(d.ID)
		require.True(t, ok)
		require.Equal(t, time.Now().Add(time.Second), until)

		_, err = c.PostRows(ctx, "", other.ID, "calls", rowsOf(1))
		require.NoError(t, err, "another dataset is not throttled")

		time.Sleep(time.Second)
		_, err = c.PostRows(ctx, "", d.ID, "calls", rowsOf(2))
		require.NoError(t, err)
		require.Len(t, svc.Rows("", d.ID, "calls"), 2)
		_, ok = c.ThrottledUntil(d.ID)
		require.False(t, ok)
	})
}

// TestServerErrors: 5xx and broken connections are retryable but not
// safe to retry for POST rows.
func TestServerErrors(t *testing.T) {
	ctx := context.Background()
	c, svc := newFake(t, nil)
	d := createTestDataset(t, c, "")
	svc.Inject(powerbitest.Fault{Op: "PostRows", Times: 1, Status: http.StatusServiceUnavailable})
	_, err := c.PostRows(ctx, "", d.ID, "calls", rowsOf(1))
	var ae *powerbi.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, http.StatusServiceUnavailable, ae.StatusCode)
	require.Contains(t, ae.Hint, "may or may not")
	require.True(t, powerbi.Retryable(err))
	require.False(t, powerbi.SafeToRetry(err))

	svc.Inject(powerbitest.Fault{Op: "PostRows", Times: 1, Drop: true})
	_, err = c.PostRows(ctx, "", d.ID, "calls", rowsOf(1))
	require.Error(t, err)
	require.False(t, errors.As(err, &ae), "a dropped connection has no status")
	require.True(t, powerbi.Retryable(err))
	require.False(t, powerbi.SafeToRetry(err))
	require.Contains(t, err.Error(), "PostRows")
}

// TestTimeout: a request beyond the context's deadline fails retryable,
// not safe to retry.
func TestTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, svc := newFake(t, nil)
		d := createTestDataset(t, c, "")
		svc.Inject(powerbitest.Fault{Op: "PostRows", Times: 1, Delay: time.Minute})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := c.PostRows(ctx, "", d.ID, "calls", rowsOf(1))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.True(t, powerbi.Retryable(err))
		require.False(t, powerbi.SafeToRetry(err))
	})
}

// TestClouds: each cloud's client talks to its own API host.
func TestClouds(t *testing.T) {
	for _, cloud := range powerbi.Clouds() {
		t.Run(cloud.String(), func(t *testing.T) {
			var host string
			rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				host = r.URL.Host + r.URL.EscapedPath()
				require.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"))
				return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
			})
			c, err := powerbi.NewClient(powerbi.StaticToken(testToken), powerbi.WithCloud(cloud), powerbi.WithHTTPClient(&http.Client{Transport: rt}))
			require.NoError(t, err)
			_, _, err = c.Datasets(context.Background(), "g 1")
			require.NoError(t, err)
			require.Equal(t, cloud.APIHost()+"/v1.0/myorg/groups/g%201/datasets", host)
			require.True(t, strings.HasSuffix(cloud.Scope(), "/powerbi/api/.default"))
		})
	}
	_, err := powerbi.NewClient(powerbi.StaticToken("x"), powerbi.WithCloud("mars"))
	require.ErrorContains(t, err, `unknown cloud "mars"`)
	_, err = powerbi.NewClient(nil)
	require.ErrorContains(t, err, "nil TokenSource")
	_, err = powerbi.NewClient(powerbi.StaticToken("x"), powerbi.WithBaseURL("/relative"))
	require.ErrorContains(t, err, "not an absolute URL")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestStaticTokenHidden(t *testing.T) {
	tok := powerbi.StaticToken(testToken)
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok)} {
		require.NotContains(t, s, "secret-test-token")
	}
}

func TestServerOverNetwork(t *testing.T) {
	srv := powerbitest.NewServer(powerbitest.WithTokens(testToken))
	defer srv.Close()
	c, err := powerbi.NewClient(powerbi.StaticToken(testToken), powerbi.WithBaseURL(srv.BaseURL()), powerbi.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	d := createTestDataset(t, c, "")
	_, err = c.PostRows(context.Background(), "", d.ID, "calls", rowsOf(5))
	require.NoError(t, err)
	require.Len(t, srv.Rows("", d.ID, "calls"), 5)
}
