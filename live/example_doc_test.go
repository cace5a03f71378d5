package live_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/live/starfacetest"
)

// A Poller reading the fake PBX of package starfacetest in-process: the
// first snapshot runs at once; the example stops after it.
func ExamplePoller() {
	pbx := starfacetest.New()
	pbx.AddUser(starfacetest.User{ID: 1, Login: "0001", Password: "secret", FirstName: "Sam", FamilyName: "Service"})
	pbx.AddGroup(starfacetest.Group{ID: 10, Name: "Support"}, 1)
	pbx.SetGroupLogin(10, 1, true)
	pbx.StartCall(starfacetest.Call{ID: "c1", UserID: 1, State: "CONNECTED", CallerNumber: "+4971112345", GroupID: "10"})

	src, err := live.NewStarface("https://pbx.test", "0001", "secret",
		live.WithStarfaceHTTPClient(pbx.Client()), live.WithStarfaceSite("stuttgart"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := live.NewPoller(src, live.OnSnapshot(func(_ context.Context, users []live.UserState, queues []live.QueueState) error {
		for _, u := range users {
			fmt.Printf("user %d %s: %s, logged in %t, call %s\n", u.AccountID, u.Site, u.Telephony, u.LoggedIn, u.CallState)
		}
		for _, q := range queues {
			fmt.Printf("group %d: %d waiting, %d connected\n", q.AccountID, q.WaitingCalls, q.ConnectedCalls)
		}
		cancel() // one snapshot is enough here; a service runs until shut down
		return nil
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Run(ctx))
	// Output:
	// user 1 stuttgart: AVAILABLE, logged in true, call CONNECTED
	// group 10: 0 waiting, 1 connected
	// context canceled
}

// receiver is a webhook receiver in-process: an http.RoundTripper that
// answers 503 to the first request and 200 to the next.
type receiver struct {
	secret []byte
	n      int
}

func (r *receiver) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	r.n++
	status := http.StatusOK
	if r.n == 1 {
		status = http.StatusServiceUnavailable
	}
	fmt.Printf("attempt %d: key %s, signature ok %t, answer %d\n", r.n,
		req.Header.Get(live.IdempotencyKeyHeader), live.VerifySignature(r.secret, body, req.Header.Get(live.SignatureHeader)), status)
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

// A Webhook retries a 503 with the same Idempotency-Key and signs every
// body, so the receiver can drop a repeat and reject a forgery.
func ExampleWebhook() {
	secret := []byte("shared secret")
	hook, err := live.NewWebhook("https://alerts.example.com/hooks/starinsight",
		live.WithWebhookSecret(secret),
		live.WithWebhookClient(&http.Client{Transport: &receiver{secret: secret}}),
		live.WithWebhookRetry(3, time.Millisecond, 10*time.Millisecond)) // short waits for the example
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2026, 3, 2, 9, 1, 30, 0, time.UTC)
	alert := live.Alert{ID: "queue-waiting-4f1c", Kind: live.AlertQueueWaiting, AccountID: 100,
		Since: at.Add(-30 * time.Second), At: at, Summary: "4 callers waiting in queue 100 (threshold 3)"}
	fmt.Println("delivered:", hook.Notify(context.Background(), alert) == nil)
	// Output:
	// attempt 1: key queue-waiting-4f1c, signature ok true, answer 503
	// attempt 2: key queue-waiting-4f1c, signature ok true, answer 200
	// delivered: true
}
