package live_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/live"
)

// pollSource is a live.Source whose calls take a set (fake) time, fail
// as told, and are counted, concurrent ones included.
type pollSource struct {
	took time.Duration
	// fail, when set, decides whether the n-th call (from 1) of a method
	// fails.
	fail func(method string, n int) error

	mu          sync.Mutex
	n           map[string]int
	starts      map[string][]time.Duration // since t0
	t0          time.Time
	inflight    atomic.Int32
	maxInflight atomic.Int32
}

func newPollSource(took time.Duration) *pollSource {
	return &pollSource{took: took, n: map[string]int{}, starts: map[string][]time.Duration{}, t0: time.Now()}
}

func (s *pollSource) call(ctx context.Context, method string) error {
	cur := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for {
		m := s.maxInflight.Load()
		if cur <= m || s.maxInflight.CompareAndSwap(m, cur) {
			break
		}
	}
	s.mu.Lock()
	s.n[method]++
	n := s.n[method]
	s.starts[method] = append(s.starts[method], time.Since(s.t0))
	s.mu.Unlock()
	if s.took > 0 {
		t := time.NewTimer(s.took)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if s.fail != nil {
		return s.fail(method, n)
	}
	return nil
}

func (s *pollSource) Users(ctx context.Context) ([]live.UserState, error) {
	if err := s.call(ctx, "users"); err != nil {
		return nil, err
	}
	return []live.UserState{{AccountID: 1}}, nil
}

func (s *pollSource) Queues(ctx context.Context) ([]live.QueueState, error) {
	return []live.QueueState{{AccountID: 100, WaitingCalls: 2}}, nil
}

func (s *pollSource) LoginStates(ctx context.Context) ([]live.UserLoginState, []live.MemberLoginState, error) {
	if err := s.call(ctx, "login"); err != nil {
		return nil, nil, err
	}
	return []live.UserLoginState{{AccountID: 1}}, nil, nil
}

func (s *pollSource) Accounts(ctx context.Context) ([]cdr.Account, error) {
	if err := s.call(ctx, "accounts"); err != nil {
		return nil, err
	}
	return []cdr.Account{{ID: 1, Type: cdr.AccountUser}}, nil
}

func (s *pollSource) startsOf(method string) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.starts[method]...)
}

// runFor runs p for d of fake time, cancels it and returns Run's error.
func runFor(t *testing.T, p *live.Poller, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	time.Sleep(d)
	cancel()
	return <-done
}

// every lists n multiples of step from 0.
func every(step time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i) * step
	}
	return out
}

var discardSnapshot live.SnapshotFunc = func(context.Context, []live.UserState, []live.QueueState) error { return nil }

func TestPollerRunsDoNotOverlap(t *testing.T) {
	tests := []struct {
		name  string
		took  time.Duration
		run   time.Duration
		start []time.Duration
	}{
		// Fast runs keep the 15 s cadence, measured from each start.
		{"fast", 5 * time.Second, 100 * time.Second, every(15*time.Second, 7)},
		// A run slower than the interval is followed at once by the next
		// one, never by a backlog of ticks.
		{"slow", 40 * time.Second, 130 * time.Second, every(40*time.Second, 4)},
		{"exactly the interval", 15 * time.Second, 50 * time.Second, every(15*time.Second, 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				src := newPollSource(tt.took)
				var handled atomic.Int32
				p, err := live.NewPoller(src, live.OnSnapshot(func(ctx context.Context, u []live.UserState, q []live.QueueState) error {
					require.Len(t, u, 1)
					require.Len(t, q, 1)
					handled.Add(1)
					return nil
				}))
				require.NoError(t, err)
				require.ErrorIs(t, runFor(t, p, tt.run), context.Canceled)
				if diff := cmp.Diff(tt.start, src.startsOf("users")); diff != "" {
					t.Errorf("run starts (-want +got):\n%s", diff)
				}
				if got := src.maxInflight.Load(); got != 1 {
					t.Errorf("at most %d runs at once, want 1", got)
				}
				if got := int(handled.Load()); got < len(tt.start)-1 {
					t.Errorf("handler ran %d times, want at least %d", got, len(tt.start)-1)
				}
			})
		})
	}
}

func TestPollerBacksOffAndRecovers(t *testing.T) {
	boom := errors.New("pbx down")
	tests := []struct {
		name     string
		took     time.Duration
		failures int // the first calls that fail
		run      time.Duration
		start    []time.Duration
		retryIn  []time.Duration
	}{
		{
			name: "doubling up to the maximum, then back to the interval", failures: 4, run: 205 * time.Second,
			// 0 fail → 20 s, 20 fail → 40 s, 60 fail → 60 s (capped), 120 fail
			// → 60 s, 180 ok → 10 s, 190, 200.
			start:   []time.Duration{0, 20e9, 60e9, 120e9, 180e9, 190e9, 200e9},
			retryIn: []time.Duration{20e9, 40e9, 60e9, 60e9},
		},
		{
			name: "one failure", failures: 1, run: 45 * time.Second,
			start:   []time.Duration{0, 20e9, 30e9, 40e9},
			retryIn: []time.Duration{20e9},
		},
		{
			// The back-off counts from a failed run's end: a slow failure
			// is still followed by a pause.
			name: "slow failures", took: 7 * time.Second, failures: 2, run: 90 * time.Second,
			// 0–7 fail → 27, 27–34 fail → 74, 74–81 ok → 84.
			start:   []time.Duration{0, 27e9, 74e9, 84e9},
			retryIn: []time.Duration{20e9, 40e9},
		},
		{name: "no failure", run: 35 * time.Second, start: every(10*time.Second, 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				src := newPollSource(tt.took)
				src.fail = func(_ string, n int) error {
					if n <= tt.failures {
						return boom
					}
					return nil
				}
				var logs bytes.Buffer
				var mu sync.Mutex
				var retryIn []time.Duration
				p, err := live.NewPoller(src,
					live.OnSnapshot(discardSnapshot),
					live.WithInterval(live.JobSnapshot, 10*time.Second),
					live.WithMaxBackoff(live.JobSnapshot, time.Minute),
					live.WithPollerLogger(slog.New(slog.NewTextHandler(&logs, nil))),
					live.OnError(func(job live.Job, err error, d time.Duration) {
						require.Equal(t, live.JobSnapshot, job)
						require.ErrorIs(t, err, boom)
						mu.Lock()
						retryIn = append(retryIn, d)
						mu.Unlock()
					}),
				)
				require.NoError(t, err)
				require.ErrorIs(t, runFor(t, p, tt.run), context.Canceled)
				if diff := cmp.Diff(tt.start, src.startsOf("users")); diff != "" {
					t.Errorf("run starts (-want +got):\n%s", diff)
				}
				mu.Lock()
				defer mu.Unlock()
				if diff := cmp.Diff(tt.retryIn, retryIn); diff != "" {
					t.Errorf("OnError waits (-want +got):\n%s", diff)
				}
				if got := bytes.Count(logs.Bytes(), []byte("run failed")); got != tt.failures {
					t.Errorf("logged %d failures, want %d:\n%s", got, tt.failures, logs.String())
				}
				if tt.failures > 0 && !bytes.Contains(logs.Bytes(), []byte("job recovered")) {
					t.Errorf("recovery not logged:\n%s", logs.String())
				}
			})
		})
	}
}

func TestPollerDefaultSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newPollSource(0)
		var cleanups []time.Duration
		var mu sync.Mutex
		t0 := time.Now()
		p, err := live.NewPoller(src,
			live.OnSnapshot(discardSnapshot),
			live.OnLoginStates(func(context.Context, []live.UserLoginState, []live.MemberLoginState) error { return nil }),
			live.OnAccounts(func(context.Context, []cdr.Account) error { return nil }),
			live.OnCleanup(func(context.Context) error {
				mu.Lock()
				cleanups = append(cleanups, time.Since(t0))
				mu.Unlock()
				return nil
			}),
		)
		require.NoError(t, err)
		require.ErrorIs(t, runFor(t, p, time.Hour+time.Second), context.Canceled)
		got := map[string]int{
			"users":    len(src.startsOf("users")),
			"login":    len(src.startsOf("login")),
			"accounts": len(src.startsOf("accounts")),
		}
		want := map[string]int{"users": 241, "login": 241, "accounts": 2}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("runs per job (-want +got):\n%s", diff)
		}
		mu.Lock()
		defer mu.Unlock()
		// The cleanup's first run is one interval after the start.
		if diff := cmp.Diff([]time.Duration{20 * time.Minute, 40 * time.Minute, 60 * time.Minute}, cleanups); diff != "" {
			t.Errorf("cleanup runs (-want +got):\n%s", diff)
		}
	})
}

func TestPollerCancellationWaitsForRunInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var finished atomic.Bool
		blocking := &funcSource{accounts: func(ctx context.Context) ([]cdr.Account, error) {
			<-ctx.Done()
			time.Sleep(2 * time.Second) // winding down after the cancel
			finished.Store(true)
			return nil, ctx.Err()
		}}
		var errs atomic.Int32
		p, err := live.NewPoller(blocking,
			live.OnAccounts(func(context.Context, []cdr.Account) error { return nil }),
			live.OnError(func(live.Job, error, time.Duration) { errs.Add(1) }),
		)
		require.NoError(t, err)
		start := time.Now()
		require.ErrorIs(t, runFor(t, p, 30*time.Second), context.Canceled)
		if got := time.Since(start); got != 32*time.Second {
			t.Errorf("Run returned after %v, want 32s (cancel + the run's wind-down)", got)
		}
		if !finished.Load() {
			t.Error("Run returned before the run in flight ended")
		}
		if got := errs.Load(); got != 0 {
			t.Errorf("a cancelled run was reported as %d failures", got)
		}
	})
}

func TestPollerFatalErrorStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		revoked := errors.New("token revoked")
		src := newPollSource(0)
		runs := 0
		p, err := live.NewPoller(src,
			live.OnSnapshot(func(context.Context, []live.UserState, []live.QueueState) error {
				runs++
				if runs == 3 {
					return live.Fatal(revoked)
				}
				return errors.New("transient")
			}),
			live.OnLoginStates(func(context.Context, []live.UserLoginState, []live.MemberLoginState) error { return nil }),
		)
		require.NoError(t, err)
		start := time.Now()
		err = p.Run(t.Context())
		var fe *live.FatalError
		require.ErrorAs(t, err, &fe)
		require.ErrorIs(t, err, revoked)
		// Runs at 0 (fail, 30 s), 30 (fail, 60 s), 90 (fatal).
		if got := time.Since(start); got != 90*time.Second {
			t.Errorf("Run returned after %v, want 90s", got)
		}
		// The other job stopped too: its last run was before the stop.
		login := src.startsOf("login")
		require.NotEmpty(t, login)
		if last := login[len(login)-1]; last > 90*time.Second {
			t.Errorf("login job ran at %v after the fatal error", last)
		}
		// A stopped Poller can run again.
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		require.ErrorIs(t, p.Run(ctx), context.Canceled)
	})
}

func TestPollerRunTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := live.NewPoller(newPollSource(0), live.OnSnapshot(discardSnapshot))
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		synctest.Wait()
		require.ErrorContains(t, p.Run(ctx), "already running")
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
}

func TestPollerTrigger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newPollSource(time.Minute)
		p, err := live.NewPoller(src,
			live.OnAccounts(func(context.Context, []cdr.Account) error { return nil }),
			live.WithInterval(live.JobAccounts, time.Hour),
		)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		time.Sleep(10 * time.Minute)
		p.Trigger(live.JobAccounts) // runs at once, 10–11 min
		p.Trigger(live.JobSnapshot) // not enabled: ignored
		time.Sleep(30 * time.Second)
		// Requests during a run: one more run after it, not two.
		p.Trigger(live.JobAccounts)
		p.Trigger(live.JobAccounts)
		time.Sleep(62 * time.Minute)
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
		// Each run restarts the hourly schedule from its start.
		want := []time.Duration{0, 10 * time.Minute, 11 * time.Minute, 71 * time.Minute}
		if diff := cmp.Diff(want, src.startsOf("accounts")); diff != "" {
			t.Errorf("account runs (-want +got):\n%s", diff)
		}
	})
}

func TestNewPollerValidates(t *testing.T) {
	src := newPollSource(0)
	cleanup := live.OnCleanup(func(context.Context) error { return nil })
	tests := []struct {
		name string
		src  live.Source
		opts []live.PollerOption
		want string // "" means valid
	}{
		{"no job", src, nil, "no job enabled"},
		{"nil source", nil, []live.PollerOption{live.OnSnapshot(discardSnapshot)}, "source is nil"},
		{"cleanup needs no source", nil, []live.PollerOption{cleanup}, ""},
		{"nil handler", src, []live.PollerOption{live.OnSnapshot(nil)}, "OnSnapshot: function is nil"},
		{"zero interval", src, []live.PollerOption{cleanup, live.WithInterval(live.JobCleanup, 0)}, "cleanup interval must be positive"},
		{"unknown job", src, []live.PollerOption{cleanup, live.WithInterval(live.Job(9), time.Second)}, "unknown job Job(9)"},
		{"negative backoff", src, []live.PollerOption{cleanup, live.WithMaxBackoff(live.JobAccounts, -1)}, "accounts maximum back-off must be positive"},
		{"backoff below interval", src, []live.PollerOption{cleanup, live.WithMaxBackoff(live.JobCleanup, time.Second)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := live.NewPoller(tt.src, tt.opts...)
			if tt.want == "" {
				require.NoError(t, err)
				require.NotNil(t, p)
				return
			}
			require.ErrorContains(t, err, tt.want)
			require.Nil(t, p)
		})
	}
}

func TestJobString(t *testing.T) {
	tests := []struct {
		job  live.Job
		want string
	}{
		{live.JobSnapshot, "snapshot"},
		{live.JobLoginStates, "login-states"},
		{live.JobAccounts, "accounts"},
		{live.JobCleanup, "cleanup"},
		{live.Job(7), "Job(7)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			require.Equal(t, tt.want, tt.job.String())
		})
	}
}

// funcSource is a live.Source made of functions; an unset one returns
// nothing.
type funcSource struct {
	accounts func(ctx context.Context) ([]cdr.Account, error)
}

func (f *funcSource) Users(context.Context) ([]live.UserState, error)   { return nil, nil }
func (f *funcSource) Queues(context.Context) ([]live.QueueState, error) { return nil, nil }
func (f *funcSource) LoginStates(context.Context) ([]live.UserLoginState, []live.MemberLoginState, error) {
	return nil, nil, nil
}
func (f *funcSource) Accounts(ctx context.Context) ([]cdr.Account, error) {
	if f.accounts == nil {
		return nil, nil
	}
	return f.accounts(ctx)
}
