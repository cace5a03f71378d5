package powerbi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client is a Power BI REST client for push datasets, in My workspace or
// in a workspace. Create it with NewClient; it is safe for concurrent use.
//
// Every operation has the form Op(ctx, …) (T, *Response, error). An error
// is an *APIError (the service answered with an error status), a
// *ThrottledError (429, or refused by the client while the dataset is
// throttled), an *AuthError (from the TokenSource), or a transport error.
// After a 429 the client refuses further calls for that dataset until the
// Retry-After has passed, without sending them: the service counts
// refused requests against the caller too.
type Client struct {
	base   *url.URL
	http   *http.Client
	tokens TokenSource
	log    *slog.Logger
	now    func() time.Time
	agent  string
	cloud  Cloud

	mu        sync.Mutex
	throttled map[string]time.Time // dataset key → no calls before
}

// Option configures a Client.
type Option func(*Client) error

// WithCloud selects a national cloud (DOMAIN.md §5); default CloudPublic.
func WithCloud(c Cloud) Option {
	return func(cl *Client) error {
		if !c.Valid() {
			return fmt.Errorf("powerbi: WithCloud: unknown cloud %q", string(c))
		}
		cl.cloud = c
		return nil
	}
}

// WithBaseURL sends requests to base instead of the cloud's API, e.g. a
// powerbitest server's URL + "/v1.0/myorg". It must be absolute.
func WithBaseURL(base string) Option {
	return func(cl *Client) error {
		u, err := url.Parse(strings.TrimSuffix(base, "/"))
		if err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("powerbi: WithBaseURL: %q is not an absolute URL", base)
		}
		cl.base = u
		return nil
	}
}

// WithHTTPClient sets the HTTP client (timeouts, proxies, a fake's
// transport). Default: a client with a 2-minute timeout.
func WithHTTPClient(h *http.Client) Option {
	return func(cl *Client) error {
		if h == nil {
			return errors.New("powerbi: WithHTTPClient: nil client")
		}
		cl.http = h
		return nil
	}
}

// WithLogger logs each request at debug level (operation, status, request
// id, duration; never a token) and throttles at warn level. Default:
// nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return func(cl *Client) error {
		if l != nil {
			cl.log = l
		}
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(cl *Client) error { cl.agent = ua; return nil }
}

// WithClock sets the clock the client measures throttles with. Default:
// time.Now (which testing/synctest fakes).
func WithClock(now func() time.Time) Option {
	return func(cl *Client) error {
		if now == nil {
			return errors.New("powerbi: WithClock: nil clock")
		}
		cl.now = now
		return nil
	}
}

// NewClient returns a client that authenticates with tokens.
func NewClient(tokens TokenSource, opts ...Option) (*Client, error) {
	c := &Client{
		tokens:    tokens,
		http:      &http.Client{Timeout: 2 * time.Minute},
		log:       slog.New(slog.DiscardHandler),
		now:       time.Now,
		agent:     "starinsight-powerbi",
		throttled: map[string]time.Time{},
	}
	var errs []error
	if tokens == nil {
		errs = append(errs, errors.New("powerbi: NewClient: nil TokenSource (use msalauth, or StaticToken in tests)"))
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if c.base == nil {
		c.base, _ = url.Parse(c.cloud.BaseURL())
	}
	return c, nil
}

// Cloud returns the client's cloud.
func (c *Client) Cloud() Cloud { return c.cloud }

// Response is the service's HTTP response, and its request id (the
// RequestId header), which Microsoft support asks for.
type Response struct {
	*http.Response
	RequestID string
}

// APIError is an error status from the service. Code and Message are the
// service's ({"error":{"code":…,"message":…}}); Hint says in plain words
// what usually fixes it. It never holds a token.
type APIError struct {
	Op         string // the operation, e.g. "PostRows"
	Method     string
	Path       string // the request path, without the query
	StatusCode int
	Code       string
	Message    string
	RequestID  string
	Hint       string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "powerbi: %s (%s %s): %d %s", e.Op, e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	return b.String()
}

// ThrottledError is a 429 from the service, or a call the client refused
// without sending because the dataset is still throttled (Sent false).
// The request added no rows: it is safe to send again at Until.
type ThrottledError struct {
	Op         string
	Dataset    string // the dataset id ("" for calls outside a dataset)
	RetryAfter time.Duration
	Until      time.Time
	Sent       bool
	RequestID  string
}

func (e *ThrottledError) Error() string {
	what := "throttled by Power BI"
	if !e.Sent {
		what = "not sent: the dataset is throttled"
	}
	msg := fmt.Sprintf("powerbi: %s: %s; retry after %s (at %s)", e.Op, what, e.RetryAfter.Round(time.Second), e.Until.UTC().Format(time.RFC3339))
	if e.RequestID != "" {
		msg += " (request id " + e.RequestID + ")"
	}
	return msg
}

// Retryable reports whether sending the same request later may succeed:
// a throttle, a server error (5xx), a timeout or a broken connection. It
// says nothing of whether the first request had an effect; see
// SafeToRetry.
func Retryable(err error) bool {
	var te *ThrottledError
	var ae *APIError
	var au *AuthError
	switch {
	case errors.As(err, &te):
		return true
	case errors.As(err, &ae):
		return ae.StatusCode >= 500 || ae.StatusCode == http.StatusRequestTimeout
	case errors.As(err, &au):
		return au.Retryable()
	case errors.Is(err, context.Canceled):
		return false
	}
	var ne interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// SafeToRetry reports whether the failed request certainly had no effect,
// so that sending it again cannot duplicate rows: a 429, a call refused
// before sending, a 4xx, a sign-in failure. POST rows is not idempotent:
// after a timeout or a 5xx its rows may or may not have been added.
func SafeToRetry(err error) bool {
	var te *ThrottledError
	var ae *APIError
	var au *AuthError
	var ne *notSentError
	switch {
	case errors.As(err, &te), errors.As(err, &au), errors.As(err, &ne):
		return true
	case errors.As(err, &ae):
		return ae.StatusCode >= 400 && ae.StatusCode < 500 && ae.StatusCode != http.StatusRequestTimeout
	}
	return false
}

// notSentError is a failure before the request left the client.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// call is one request.
type call struct {
	op      string
	method  string
	path    string // below the base, e.g. "/datasets"
	query   url.Values
	body    any
	out     any
	dataset string // throttles are per dataset
}

// groupPath is the path prefix of a workspace ("" is My workspace).
func groupPath(group string) string {
	if group == "" {
		return ""
	}
	return "/groups/" + url.PathEscape(group)
}

// do sends a call and decodes the answer into c.out.
func (c *Client) do(ctx context.Context, k call) (*Response, error) {
	now := c.now()
	if until, ok := c.throttledUntil(k.dataset, now); ok {
		return nil, &ThrottledError{Op: k.op, Dataset: k.dataset, RetryAfter: until.Sub(now), Until: until}
	}
	// k.path's segments are escaped already.
	target := c.base.String() + k.path
	if len(k.query) > 0 {
		target += "?" + k.query.Encode()
	}
	var body io.Reader
	if k.body != nil {
		b, err := json.Marshal(k.body)
		if err != nil {
			return nil, &notSentError{fmt.Errorf("powerbi: %s: encoding the request: %w", k.op, err)}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, target, body)
	if err != nil {
		return nil, &notSentError{fmt.Errorf("powerbi: %s: %w", k.op, err)}
	}
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("powerbi: %s: %w", k.op, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if c.agent != "" {
		req.Header.Set("User-Agent", c.agent)
	}
	start := time.Now()
	hr, err := c.http.Do(req)
	if err != nil {
		// The URL holds no secret; the token is a header.
		return nil, fmt.Errorf("powerbi: %s (%s %s): %w", k.op, k.method, k.path, unwrapURLError(err))
	}
	defer hr.Body.Close()
	resp := &Response{Response: hr, RequestID: hr.Header.Get("RequestId")}
	data, err := io.ReadAll(io.LimitReader(hr.Body, 64<<20))
	c.log.LogAttrs(ctx, slog.LevelDebug, "powerbi: request",
		slog.String("op", k.op), slog.String("method", k.method), slog.String("path", k.path),
		slog.Int("status", hr.StatusCode), slog.String("request_id", resp.RequestID), slog.Duration("took", time.Since(start)))
	if err != nil {
		return resp, fmt.Errorf("powerbi: %s (%s %s): reading the response: %w", k.op, k.method, k.path, err)
	}
	if hr.StatusCode == http.StatusTooManyRequests {
		wait := retryAfter(hr.Header.Get("Retry-After"), c.now())
		until := c.throttle(k.dataset, c.now(), wait)
		c.log.LogAttrs(ctx, slog.LevelWarn, "powerbi: throttled",
			slog.String("op", k.op), slog.String("dataset", k.dataset), slog.Duration("retry_after", wait), slog.String("request_id", resp.RequestID))
		return resp, &ThrottledError{Op: k.op, Dataset: k.dataset, RetryAfter: wait, Until: until, Sent: true, RequestID: resp.RequestID}
	}
	if hr.StatusCode >= 300 {
		return resp, apiError(k, hr.StatusCode, resp.RequestID, data)
	}
	if k.out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, k.out); err != nil {
			return resp, fmt.Errorf("powerbi: %s (%s %s): decoding the response: %w", k.op, k.method, k.path, err)
		}
	}
	return resp, nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// defaultRetryAfter is the wait after a 429 without a usable Retry-After.
const defaultRetryAfter = time.Minute

// retryAfter parses Retry-After: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return defaultRetryAfter
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return defaultRetryAfter
		}
		if s > int64(24*time.Hour/time.Second) {
			s = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
		return time.Second
	}
	return defaultRetryAfter
}

// throttle records that dataset may not be called before now+wait, keeping
// a later time already recorded, and returns the time.
func (c *Client) throttle(dataset string, now time.Time, wait time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	until := now.Add(wait)
	if prev, ok := c.throttled[dataset]; ok && prev.After(until) {
		return prev
	}
	c.throttled[dataset] = until
	return until
}

// throttledUntil reports whether dataset is throttled at now.
func (c *Client) throttledUntil(dataset string, now time.Time) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	until, ok := c.throttled[dataset]
	if !ok {
		return time.Time{}, false
	}
	if !now.Before(until) {
		delete(c.throttled, dataset)
		return time.Time{}, false
	}
	return until, true
}

// ThrottledUntil returns the time before which the client refuses calls
// for a dataset, and whether it does at all.
func (c *Client) ThrottledUntil(datasetID string) (time.Time, bool) {
	return c.throttledUntil(datasetID, c.now())
}

// apiError decodes an error response.
func apiError(k call, status int, requestID string, body []byte) error {
	e := &APIError{Op: k.op, Method: k.method, Path: k.path, StatusCode: status, RequestID: requestID}
	var wire struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &wire) == nil {
		e.Code, e.Message = wire.Error.Code, wire.Error.Message
	}
	if e.Code == "" && e.Message == "" {
		e.Message = strings.TrimSpace(string(body))
		if len(e.Message) > 300 {
			e.Message = e.Message[:300] + "…"
		}
	}
	switch status {
	case http.StatusUnauthorized:
		e.Hint = "the access token was refused: sign in again, and check that the cloud (WithCloud) matches the account's"
	case http.StatusForbidden:
		e.Hint = "the account may not do this: check its role in the workspace, and that Power BI is enabled for the tenant (service principals: the tenant setting 'Allow service principals to use Power BI APIs' and workspace membership)"
	case http.StatusNotFound:
		e.Hint = "the workspace, dataset or table does not exist (or the account cannot see it): run the provisioning again, or check the ids"
	case http.StatusRequestEntityTooLarge:
		e.Hint = "the request is too large: send at most 10,000 rows per request"
	}
	if status >= 500 {
		e.Hint = "a service error: retry later; POST rows may or may not have been applied"
	}
	return e
}
