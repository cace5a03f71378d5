package live_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/live"
)

const (
	hookSecret = "s3cr3t-shared-key"
	hookToken  = "T0KEN-in-the-path"
	hookAuth   = "Bearer auth-value-42"
)

// hookURL embeds a token in its path, as many webhook URLs do.
var hookURL = "https://hooks.example.test/alerts/" + hookToken + "?sig=1"

// handlerTransport serves requests with a handler in the calling
// goroutine's synctest bubble, through httptest.ResponseRecorder: no
// network, so fake time advances while the handler waits.
type handlerTransport struct{ h http.Handler }

func (tr handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		tr.h.ServeHTTP(rec, req)
	}()
	select {
	case <-done:
		return rec.Result(), nil
	case <-req.Context().Done():
		<-done // the handler sees the same context
		return nil, req.Context().Err()
	}
}

// hookAttempt is what the receiver saw of one request.
type hookAttempt struct {
	At          time.Duration // since the first request's bubble start
	Key         string
	SignatureOK bool
	ContentType string
	Auth        string
	Alert       live.Alert
}

// hookReceiver answers each attempt with the next status of a script;
// 0 means "hang until the client gives up".
type hookReceiver struct {
	t          *testing.T
	t0         time.Time
	statuses   []int
	retryAfter string

	mu       sync.Mutex
	attempts []hookAttempt
}

func (r *hookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	require.NoError(r.t, err)
	var a live.Alert
	require.NoError(r.t, json.Unmarshal(body, &a))
	r.mu.Lock()
	n := len(r.attempts)
	r.attempts = append(r.attempts, hookAttempt{
		At:          time.Since(r.t0),
		Key:         req.Header.Get(live.IdempotencyKeyHeader),
		SignatureOK: live.VerifySignature([]byte(hookSecret), body, req.Header.Get(live.SignatureHeader)),
		ContentType: req.Header.Get("Content-Type"),
		Auth:        req.Header.Get("Authorization"),
		Alert:       a,
	})
	r.mu.Unlock()
	status := http.StatusOK
	if n < len(r.statuses) {
		status = r.statuses[n]
	}
	if status == 0 {
		<-req.Context().Done()
		return
	}
	if r.retryAfter != "" {
		w.Header().Set("Retry-After", r.retryAfter)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"echo":"`+hookSecret+`"}`)
}

func hookAlert() live.Alert {
	return live.Alert{
		ID: "queue-waiting-0123456789abcdef0123456789abcdef", Kind: live.AlertQueueWaiting,
		AccountID: 100, Since: alertT0, At: alertT0.Add(30 * time.Second),
		WaitingCalls: 4, MinWaiting: 3, Summary: "4 callers waiting in queue 100 (threshold 3)",
	}
}

func TestWebhookRetries(t *testing.T) {
	s := time.Second
	tests := []struct {
		name       string
		attempts   int // 0 means 5
		statuses   []int
		retryAfter string
		wantAt     []time.Duration // attempt times
		wantStatus int             // of the *WebhookError; -1 means success
	}{
		{"accepted at once", 0, []int{http.StatusOK}, "", []time.Duration{0}, -1},
		{"202 is success", 0, []int{http.StatusAccepted}, "", []time.Duration{0}, -1},
		{"5xx retried with doubling back-off", 0, []int{500, 502, 503, 200}, "", []time.Duration{0, 1 * s, 3 * s, 7 * s}, -1},
		{"gives up after the attempts", 0, []int{500, 500, 500, 500, 500}, "", []time.Duration{0, 1 * s, 3 * s, 7 * s, 15 * s}, 500},
		{"back-off capped", 7, []int{500, 500, 500, 500, 500, 500, 500}, "", []time.Duration{0, 1 * s, 3 * s, 7 * s, 15 * s, 23 * s, 31 * s}, 500},
		{"400 not retried", 0, []int{400}, "", []time.Duration{0}, 400},
		{"404 not retried", 0, []int{404, 200}, "", []time.Duration{0}, 404},
		{"409 not retried", 0, []int{409, 200}, "", []time.Duration{0}, 409},
		{"429 retried after Retry-After", 0, []int{429, 200}, "5", []time.Duration{0, 5 * s}, -1},
		{"Retry-After capped at the maximum back-off", 0, []int{503, 200}, "3600", []time.Duration{0, 8 * s}, -1},
		{"408 retried", 0, []int{408, 200}, "", []time.Duration{0, 1 * s}, -1},
		// An attempt that hangs times out after 10 s and is retried 1 s later.
		{"timeout retried", 0, []int{0, 200}, "", []time.Duration{0, 11 * s}, -1},
		{"timeouts until the end", 2, []int{0, 0}, "", []time.Duration{0, 11 * s}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				recv := &hookReceiver{t: t, t0: time.Now(), statuses: tt.statuses, retryAfter: tt.retryAfter}
				attempts := tt.attempts
				if attempts == 0 {
					attempts = 5
				}
				var logs bytes.Buffer
				w, err := live.NewWebhook(hookURL,
					live.WithWebhookClient(&http.Client{Transport: handlerTransport{recv}}),
					live.WithWebhookSecret([]byte(hookSecret)),
					live.WithWebhookHeader("Authorization", hookAuth),
					live.WithWebhookRetry(attempts, time.Second, 8*time.Second),
					live.WithWebhookLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
				)
				require.NoError(t, err)
				a := hookAlert()
				err = w.Notify(t.Context(), a)

				var got []time.Duration
				for _, at := range recv.attempts {
					got = append(got, at.At)
					// Every attempt: the same key, a valid signature, JSON,
					// the extra header, the alert intact.
					require.Equal(t, a.ID, at.Key)
					require.True(t, at.SignatureOK, "signature does not verify")
					require.Equal(t, "application/json", at.ContentType)
					require.Equal(t, hookAuth, at.Auth)
					if diff := cmp.Diff(a, at.Alert); diff != "" {
						t.Errorf("alert received (-want +got):\n%s", diff)
					}
				}
				if diff := cmp.Diff(tt.wantAt, got); diff != "" {
					t.Errorf("attempt times (-want +got):\n%s", diff)
				}
				if tt.wantStatus < 0 {
					require.NoError(t, err)
				} else {
					var we *live.WebhookError
					require.ErrorAs(t, err, &we)
					require.Equal(t, tt.wantStatus, we.Status)
					require.Equal(t, len(tt.wantAt), we.Attempts)
					require.Equal(t, a.ID, we.AlertID)
					if tt.wantStatus == 0 {
						require.ErrorIs(t, err, context.DeadlineExceeded)
					}
				}
				// Nothing secret in the logs or the error.
				text := logs.String()
				if err != nil {
					text += err.Error()
				}
				for _, secret := range []string{hookSecret, hookToken, hookAuth, "sig=1"} {
					require.NotContains(t, text, secret)
				}
				require.Contains(t, logs.String(), "https://hooks.example.test")
			})
		})
	}
}

func TestWebhookCancelDuringBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		recv := &hookReceiver{t: t, t0: time.Now(), statuses: []int{500, 500, 500}}
		w, err := live.NewWebhook(hookURL, live.WithWebhookClient(&http.Client{Transport: handlerTransport{recv}}))
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			time.Sleep(2 * time.Second) // after the second attempt, in its back-off
			cancel()
		}()
		start := time.Now()
		err = w.Notify(ctx, hookAlert())
		require.ErrorIs(t, err, context.Canceled)
		require.Equal(t, 2*time.Second, time.Since(start), "Notify did not return at the cancel")
		require.Len(t, recv.attempts, 2)
	})
}

// TestWebhookRealServer posts over a real loopback connection; no retry
// is involved, so no time passes.
func TestWebhookRealServer(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		secret  bool
		wantErr bool
	}{
		{"signed", http.StatusNoContent, true, false},
		{"unsigned", http.StatusOK, false, false},
		{"refused", http.StatusUnprocessableEntity, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var got []http.Header
			var bodies [][]byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				got = append(got, r.Header.Clone())
				bodies = append(bodies, body)
				mu.Unlock()
				require.Equal(t, http.MethodPost, r.Method)
				require.Equal(t, "/hook/"+hookToken, r.URL.Path)
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			opts := []live.WebhookOption{live.WithWebhookClient(srv.Client())}
			if tt.secret {
				opts = append(opts, live.WithWebhookSecret([]byte(hookSecret)))
			}
			w, err := live.NewWebhook(srv.URL+"/hook/"+hookToken, opts...)
			require.NoError(t, err)
			err = w.Notify(t.Context(), hookAlert())
			require.Equal(t, tt.wantErr, err != nil, "err = %v", err)
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, got, 1)
			require.Equal(t, hookAlert().ID, got[0].Get(live.IdempotencyKeyHeader))
			sig := got[0].Get(live.SignatureHeader)
			if !tt.secret {
				require.Empty(t, sig)
				return
			}
			require.Equal(t, live.SignBody([]byte(hookSecret), bodies[0]), sig)
			require.True(t, live.VerifySignature([]byte(hookSecret), bodies[0], sig))
			if err != nil {
				require.NotContains(t, err.Error(), hookToken)
			}
		})
	}
}

func TestVerifySignature(t *testing.T) {
	key, body := []byte(hookSecret), []byte(`{"id":"x"}`)
	good := live.SignBody(key, body)
	tests := []struct {
		name   string
		key    []byte
		body   []byte
		header string
		want   bool
	}{
		{"good", key, body, good, true},
		{"wrong secret", []byte("other"), body, good, false},
		{"tampered body", key, []byte(`{"id":"y"}`), good, false},
		{"no prefix", key, body, good[len("sha256="):], false},
		{"not hex", key, body, "sha256=zz", false},
		{"empty", key, body, "", false},
		{"truncated", key, body, good[:len(good)-2], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, live.VerifySignature(tt.key, tt.body, tt.header))
		})
	}
}

func TestNewWebhookValidates(t *testing.T) {
	tests := []struct {
		name     string
		endpoint string
		opts     []live.WebhookOption
		want     string
	}{
		{"not a URL", "https://exa mple.test/" + hookToken + "\x7f", nil, "endpoint is not a valid URL"},
		{"wrong scheme", "ftp://example.test/x", nil, `scheme must be http or https, got "ftp"`},
		{"relative", "/alerts/" + hookToken, nil, "scheme must be http or https"},
		{"no host", "https:///alerts", nil, "endpoint has no host"},
		{"nil client", hookURL, []live.WebhookOption{live.WithWebhookClient(nil)}, "client is nil"},
		{"empty secret", hookURL, []live.WebhookOption{live.WithWebhookSecret(nil)}, "secret is empty"},
		{"reserved header", hookURL, []live.WebhookOption{live.WithWebhookHeader("idempotency-key", "x")}, `header "idempotency-key" cannot be set`},
		{"header injection", hookURL, []live.WebhookOption{live.WithWebhookHeader("X-A", "v\r\nX-B: w")}, "line break"},
		{"zero attempts", hookURL, []live.WebhookOption{live.WithWebhookRetry(0, time.Second, time.Second)}, "attempts must be at least 1"},
		{"ceiling below base", hookURL, []live.WebhookOption{live.WithWebhookRetry(3, time.Second, time.Millisecond)}, "ceiling 1ms is below base 1s"},
		{"zero timeout", hookURL, []live.WebhookOption{live.WithWebhookTimeout(0)}, "timeout must be positive"},
		{"valid", hookURL, []live.WebhookOption{live.WithWebhookTimeout(time.Second)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := live.NewWebhook(tt.endpoint, tt.opts...)
			if tt.want == "" {
				require.NoError(t, err)
				require.Equal(t, "live.Webhook(https://hooks.example.test)", w.String())
				return
			}
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), hookToken)
			require.Nil(t, w)
		})
	}
}

// TestPollerAlertsThroughWebhook wires the pieces as a service would:
// the poller's snapshots feed the alerter, which posts to a webhook.
func TestPollerAlertsThroughWebhook(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		recv := &hookReceiver{t: t, t0: time.Now(), statuses: []int{503}}
		hook, err := live.NewWebhook(hookURL,
			live.WithWebhookClient(&http.Client{Transport: handlerTransport{recv}}),
			live.WithWebhookSecret([]byte(hookSecret)))
		require.NoError(t, err)
		alerter, err := live.NewAlerter(live.AlertRules{QueueWaiting: &live.QueueWaitingRule{
			MinWaiting: 2, Debounce: live.Debounce{For: 30 * time.Second},
		}}, hook.Notify)
		require.NoError(t, err)
		src := newPollSource(0) // two callers always waiting in queue 100
		p, err := live.NewPoller(src, live.OnSnapshot(func(ctx context.Context, _ []live.UserState, q []live.QueueState) error {
			return alerter.Queues(ctx, time.Now(), q)
		}))
		require.NoError(t, err)
		require.ErrorIs(t, runFor(t, p, 5*time.Minute), context.Canceled)
		// Fired at 30 s; the first attempt got 503, the retry 1 s later
		// went through; later snapshots did not fire again.
		var at []time.Duration
		keys := map[string]bool{}
		for _, a := range recv.attempts {
			at = append(at, a.At)
			keys[a.Key] = true
			require.Equal(t, cdr.AccountID(100), a.Alert.AccountID)
		}
		if diff := cmp.Diff([]time.Duration{30 * time.Second, 31 * time.Second}, at); diff != "" {
			t.Errorf("webhook attempts (-want +got):\n%s", diff)
		}
		require.Len(t, keys, 1, "attempts of one alert must share the idempotency key")
	})
}

// TestWebhookRetryAfterSeconds checks the header forms Retry-After takes.
func TestWebhookRetryAfterSeconds(t *testing.T) {
	tests := []struct {
		header string
		want   time.Duration // the wait before the second attempt
	}{
		{"2", 2 * time.Second},
		{" 3 ", 3 * time.Second},
		{"0", time.Second},                             // the back-off
		{"-5", time.Second},                            // ignored
		{"Wed, 21 Oct 2015 07:28:00 GMT", time.Second}, // dates ignored
		{strconv.Itoa(1 << 40), 30 * time.Second},      // capped
		{"99999999999999999999999999", time.Second},    // unparsable
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				recv := &hookReceiver{t: t, t0: time.Now(), statuses: []int{429, 200}, retryAfter: tt.header}
				w, err := live.NewWebhook(hookURL, live.WithWebhookClient(&http.Client{Transport: handlerTransport{recv}}))
				require.NoError(t, err)
				require.NoError(t, w.Notify(t.Context(), hookAlert()))
				require.Len(t, recv.attempts, 2)
				require.Equal(t, tt.want, recv.attempts[1].At)
			})
		})
	}
}
