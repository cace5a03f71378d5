package live

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The headers a Webhook sends besides Content-Type.
const (
	// IdempotencyKeyHeader carries the alert's ID, the same on every retry
	// and after a restart (see [Alerter]): a receiver drops a key it has
	// seen.
	IdempotencyKeyHeader = "Idempotency-Key"
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the
	// body with the shared secret, when one is set; see [VerifySignature].
	SignatureHeader = "X-Starinsight-Signature-256"
)

// The Webhook's defaults.
const (
	DefaultWebhookAttempts   = 5
	DefaultWebhookBackoff    = time.Second
	DefaultWebhookMaxBackoff = 30 * time.Second
	DefaultWebhookTimeout    = 10 * time.Second
)

// Webhook delivers alerts as JSON POST requests; its Notify method is an
// [AlertFunc]. Each request carries the alert's ID in the Idempotency-Key
// header and, with a secret, an HMAC-SHA256 signature of the body.
//
// Retries: a network error, an attempt's timeout, a 5xx, 408 or 429
// answer is retried after a back-off (1 s, doubling, at most 30 s by
// default; a Retry-After answer is honoured up to that maximum), up to the
// attempt limit. Any other 4xx is the receiver refusing the alert, which
// a retry would not change: it is returned at once. 2xx is success;
// redirects are followed by the HTTP client.
//
// The secret, extra header values and the endpoint's path and query
// (webhook URLs often embed a token) are never logged nor put into
// errors: those name only the endpoint's scheme and host.
type Webhook struct {
	endpoint string
	redacted string // scheme://host, for logs and errors
	client   *http.Client
	secret   []byte
	header   http.Header
	attempts int
	base     time.Duration
	ceiling  time.Duration
	timeout  time.Duration
	log      *slog.Logger
}

// WebhookOption configures a Webhook.
type WebhookOption func(*Webhook) error

// WithWebhookClient sets the HTTP client; the default is a client of its
// own with http.DefaultTransport. Per-attempt timeouts come from
// WithWebhookTimeout, not the client.
func WithWebhookClient(c *http.Client) WebhookOption {
	return func(w *Webhook) error {
		if c == nil {
			return errors.New("WithWebhookClient: client is nil")
		}
		w.client = c
		return nil
	}
}

// WithWebhookSecret signs every request with HMAC-SHA256 and this shared
// secret (see SignatureHeader). The secret is copied; it must not be
// empty.
func WithWebhookSecret(secret []byte) WebhookOption {
	return func(w *Webhook) error {
		if len(secret) == 0 {
			return errors.New("WithWebhookSecret: secret is empty")
		}
		w.secret = bytes.Clone(secret)
		return nil
	}
}

// WithWebhookHeader adds a header to every request, e.g. Authorization.
// Its value is never logged.
func WithWebhookHeader(name, value string) WebhookOption {
	return func(w *Webhook) error {
		switch http.CanonicalHeaderKey(name) {
		case "", "Content-Type", IdempotencyKeyHeader, SignatureHeader:
			return fmt.Errorf("WithWebhookHeader: header %q cannot be set", name)
		}
		if strings.ContainsAny(name+value, "\r\n") {
			return fmt.Errorf("WithWebhookHeader: header %q contains a line break", name)
		}
		w.header.Add(name, value)
		return nil
	}
}

// WithWebhookRetry sets the number of attempts per alert (at least 1) and
// the back-off between them: base, doubling, at most ceiling (both
// positive, ceiling not below base).
func WithWebhookRetry(attempts int, base, ceiling time.Duration) WebhookOption {
	return func(w *Webhook) error {
		switch {
		case attempts < 1:
			return fmt.Errorf("WithWebhookRetry: attempts must be at least 1, got %d", attempts)
		case base <= 0:
			return fmt.Errorf("WithWebhookRetry: base must be positive, got %v", base)
		case ceiling < base:
			return fmt.Errorf("WithWebhookRetry: ceiling %v is below base %v", ceiling, base)
		}
		w.attempts, w.base, w.ceiling = attempts, base, ceiling
		return nil
	}
}

// WithWebhookTimeout sets the time one attempt may take, which must be
// positive; the default is DefaultWebhookTimeout.
func WithWebhookTimeout(d time.Duration) WebhookOption {
	return func(w *Webhook) error {
		if d <= 0 {
			return fmt.Errorf("WithWebhookTimeout: timeout must be positive, got %v", d)
		}
		w.timeout = d
		return nil
	}
}

// WithWebhookLogger logs deliveries (Info), retries (Warn) and refusals
// (Error), naming the alert ID and the endpoint's host only. The default
// discards.
func WithWebhookLogger(l *slog.Logger) WebhookOption {
	return func(w *Webhook) error {
		if l != nil {
			w.log = l
		}
		return nil
	}
}

// NewWebhook returns a Webhook that posts to endpoint, an absolute http or
// https URL. The error names the invalid option, never the URL's path.
func NewWebhook(endpoint string, opts ...WebhookOption) (*Webhook, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		// url.Error would quote the whole URL, token and all.
		return nil, errors.New("live: webhook: endpoint is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("live: webhook: endpoint scheme must be http or https, got %q", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("live: webhook: endpoint has no host")
	}
	w := &Webhook{
		endpoint: endpoint,
		redacted: u.Scheme + "://" + u.Host,
		client:   &http.Client{},
		header:   make(http.Header),
		attempts: DefaultWebhookAttempts,
		base:     DefaultWebhookBackoff,
		ceiling:  DefaultWebhookMaxBackoff,
		timeout:  DefaultWebhookTimeout,
		log:      slog.New(slog.DiscardHandler),
	}
	var errs []error
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(w); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("live: webhook: %w", err)
	}
	return w, nil
}

// String names the webhook by its endpoint's scheme and host only.
func (w *Webhook) String() string { return "live.Webhook(" + w.redacted + ")" }

// LogValue makes slog show the webhook as String does.
func (w *Webhook) LogValue() slog.Value { return slog.StringValue(w.String()) }

// WebhookError is a delivery that failed: the receiver's last status (0
// when no answer came) and the last error, after Attempts attempts.
type WebhookError struct {
	AlertID  string
	Endpoint string // scheme and host only
	Status   int
	Attempts int
	Err      error
}

// Error describes the failure without the endpoint's path or secrets.
func (e *WebhookError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "live: webhook: alert %s: POST %s: ", e.AlertID, e.Endpoint)
	if e.Status != 0 {
		fmt.Fprintf(&b, "status %d %s", e.Status, http.StatusText(e.Status))
	} else if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	fmt.Fprintf(&b, " (%d attempts)", e.Attempts)
	return b.String()
}

// Unwrap returns the last error.
func (e *WebhookError) Unwrap() error { return e.Err }

// Notify posts the alert, retrying as the Webhook's doc says, until it
// is accepted, refused, out of attempts or ctx ends (then it returns
// ctx's error at once). Failures are *WebhookError.
func (w *Webhook) Notify(ctx context.Context, a Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("live: webhook: alert %s: encode: %w", a.ID, err)
	}
	var sig string
	if w.secret != nil {
		sig = SignBody(w.secret, body)
	}
	wait := w.base
	var last *WebhookError
	for attempt := 1; ; attempt++ {
		status, retryAfter, err := w.post(ctx, a.ID, body, sig)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil && status/100 == 2 {
			w.log.Info("live: webhook delivered", "id", a.ID, "endpoint", w.redacted, "status", status, "attempt", attempt)
			return nil
		}
		last = &WebhookError{AlertID: a.ID, Endpoint: w.redacted, Status: status, Attempts: attempt, Err: err}
		if err == nil && !retryable(status) {
			w.log.Error("live: webhook refused", "id", a.ID, "endpoint", w.redacted, "status", status)
			return last
		}
		if attempt >= w.attempts {
			w.log.Error("live: webhook failed", "id", a.ID, "endpoint", w.redacted, "attempts", attempt, "err", last)
			return last
		}
		delay := wait
		if retryAfter > delay {
			delay = min(retryAfter, w.ceiling)
		}
		w.log.Warn("live: webhook attempt failed, retrying", "id", a.ID, "endpoint", w.redacted, "attempt", attempt, "retry_in", delay, "err", last)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(wait*2, w.ceiling)
	}
}

// post makes one attempt. It returns the status (0 without an answer),
// the Retry-After it asked for, and a transport error.
func (w *Webhook) post(ctx context.Context, id string, body []byte, sig string) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, 0, errors.New("cannot build request")
	}
	req.Header = w.header.Clone()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "starinsight-live-webhook")
	if id != "" {
		req.Header.Set(IdempotencyKeyHeader, id)
	}
	if sig != "" {
		req.Header.Set(SignatureHeader, sig)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		// *url.Error quotes the whole URL: keep only its cause.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			err = fmt.Errorf("attempt timed out after %v: %w", w.timeout, err)
		}
		return 0, 0, err
	}
	// Drain a little so the connection can be reused; the body itself
	// is not needed (and might echo personal data).
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	_ = resp.Body.Close()
	return resp.StatusCode, retryAfter(resp.Header.Get("Retry-After")), nil
}

// retryable reports whether an answer is worth another attempt: the
// receiver failed (5xx) or asked to come back (408, 429).
func retryable(status int) bool {
	return status >= 500 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests
}

// retryAfter parses a Retry-After header in seconds; 0 when absent or not
// seconds (an HTTP date is rare for webhooks and not worth a clock).
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	// Capped long before time.Duration overflows; the caller caps it
	// further at the back-off ceiling.
	return time.Duration(min(n, 24*3600)) * time.Second
}

// SignBody returns the SignatureHeader value of body: "sha256=" and the
// hex HMAC-SHA256 with secret.
func SignBody(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature reports whether header is body's signature with secret,
// in constant time: what a receiver checks before trusting an alert.
func VerifySignature(secret, body []byte, header string) bool {
	got, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	mac, err := hex.DecodeString(got)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(mac, m.Sum(nil))
}
