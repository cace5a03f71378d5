package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// Job is one of a [Poller]'s periodic jobs.
type Job uint8

// The Poller's jobs.
const (
	// JobSnapshot reads Source.Users and Source.Queues and hands both to
	// the OnSnapshot function: the live users and iQueues.
	JobSnapshot Job = iota
	// JobLoginStates reads Source.LoginStates for the OnLoginStates
	// function (see [LoginHistory] to keep only the changes).
	JobLoginStates
	// JobAccounts reads Source.Accounts for the OnAccounts function.
	JobAccounts
	// JobCleanup reads nothing: it calls the OnCleanup function, e.g. to
	// delete the live Power BI rows.
	JobCleanup

	numJobs = iota
)

// String returns the job's name as logs and errors show it.
func (j Job) String() string {
	switch j {
	case JobSnapshot:
		return "snapshot"
	case JobLoginStates:
		return "login-states"
	case JobAccounts:
		return "accounts"
	case JobCleanup:
		return "cleanup"
	}
	return fmt.Sprintf("Job(%d)", uint8(j))
}

// The Poller's defaults: the product's intervals (DOMAIN.md §5: live users
// and iQueues every 15 s, live rows deleted every 20 min) and the longest
// wait a failing job backs off to.
const (
	DefaultSnapshotInterval    = 15 * time.Second
	DefaultLoginStatesInterval = 15 * time.Second
	DefaultAccountsInterval    = time.Hour
	DefaultCleanupInterval     = 20 * time.Minute
	DefaultMaxBackoff          = 5 * time.Minute
)

// The functions that receive each job's result. An error counts as a
// failed run (the job backs off); wrap it with [Fatal] to stop the Poller.
type (
	// SnapshotFunc receives the users and queues of one snapshot.
	SnapshotFunc func(ctx context.Context, users []UserState, queues []QueueState) error
	// LoginStatesFunc receives the login states of one poll.
	LoginStatesFunc func(ctx context.Context, users []UserLoginState, members []MemberLoginState) error
	// AccountsFunc receives the PBX's accounts.
	AccountsFunc func(ctx context.Context, accounts []cdr.Account) error
	// CleanupFunc is called on each cleanup tick.
	CleanupFunc func(ctx context.Context) error
	// ErrorFunc is told about every failed run: the job, the error (which
	// names the job and the step) and how long the job now waits before
	// its next run.
	ErrorFunc func(job Job, err error, retryIn time.Duration)
)

// FatalError marks an error after which the Poller must stop: a handler
// returns Fatal(err) for a condition that polling again cannot mend (a
// revoked credential, a deleted dataset). Every other error only makes
// the job back off.
type FatalError struct {
	Err error
}

// Fatal wraps err in a *FatalError; Fatal(nil) is nil.
func Fatal(err error) error {
	if err == nil {
		return nil
	}
	return &FatalError{Err: err}
}

// Error returns the wrapped error's text, marked fatal.
func (e *FatalError) Error() string {
	if e.Err == nil {
		return "fatal error"
	}
	return "fatal: " + e.Err.Error()
}

// Unwrap returns the wrapped error.
func (e *FatalError) Unwrap() error { return e.Err }

// Poller runs the live jobs against a [Source] at their intervals until
// its context ends. A job runs only when a function for it is set
// ([OnSnapshot], [OnLoginStates], [OnAccounts], [OnCleanup]), so a
// consumer that does not need accounts never asks the PBX for them.
//
// Scheduling, per job:
//   - The first run starts at once, except the cleanup job's, which comes
//     one interval after Run starts: deleting at the start could race with
//     the first upload. A consumer that wants a clean start cleans before
//     Run.
//   - Runs of one job never overlap: each job is one goroutine that runs,
//     then waits. After a successful run the next one starts one interval
//     after this one started (keeping the cadence); a run slower than the
//     interval is followed at once by the next, never by a pile of them.
//     Different jobs do run at the same time.
//   - After a failed run (the Source's or the function's error) the job
//     waits, from the run's end, twice the interval, then four times, and
//     so on up to the job's maximum back-off; one successful run brings it
//     back to its interval. Every failure goes to the logger (Warn) and to
//     the [OnError] hook; it never stops the Poller. Only an error wrapped
//     with [Fatal] does: Run then cancels the other jobs and returns it.
//
// A Poller is safe for concurrent use; Run must not be called again while
// it runs.
type Poller struct {
	src     Source
	jobs    [numJobs]pollJob
	log     *slog.Logger
	onError ErrorFunc

	running atomic.Bool
	trigger [numJobs]chan struct{}
}

// pollJob is one job's settings.
type pollJob struct {
	every, ceiling time.Duration
	run            func(ctx context.Context, src Source) error // nil: job off
}

// PollerOption configures a Poller.
type PollerOption func(*Poller) error

// OnSnapshot enables the snapshot job: Users and Queues, then fn.
func OnSnapshot(fn SnapshotFunc) PollerOption {
	return func(p *Poller) error {
		if fn == nil {
			return errors.New("OnSnapshot: function is nil")
		}
		p.jobs[JobSnapshot].run = func(ctx context.Context, src Source) error {
			users, err := src.Users(ctx)
			if err != nil {
				return fmt.Errorf("users: %w", err)
			}
			queues, err := src.Queues(ctx)
			if err != nil {
				return fmt.Errorf("queues: %w", err)
			}
			if err := fn(ctx, users, queues); err != nil {
				return fmt.Errorf("handler: %w", err)
			}
			return nil
		}
		return nil
	}
}

// OnLoginStates enables the login-state job: LoginStates, then fn.
func OnLoginStates(fn LoginStatesFunc) PollerOption {
	return func(p *Poller) error {
		if fn == nil {
			return errors.New("OnLoginStates: function is nil")
		}
		p.jobs[JobLoginStates].run = func(ctx context.Context, src Source) error {
			users, members, err := src.LoginStates(ctx)
			if err != nil {
				return fmt.Errorf("login states: %w", err)
			}
			if err := fn(ctx, users, members); err != nil {
				return fmt.Errorf("handler: %w", err)
			}
			return nil
		}
		return nil
	}
}

// OnAccounts enables the accounts job: Accounts, then fn.
func OnAccounts(fn AccountsFunc) PollerOption {
	return func(p *Poller) error {
		if fn == nil {
			return errors.New("OnAccounts: function is nil")
		}
		p.jobs[JobAccounts].run = func(ctx context.Context, src Source) error {
			accounts, err := src.Accounts(ctx)
			if err != nil {
				return fmt.Errorf("accounts: %w", err)
			}
			if err := fn(ctx, accounts); err != nil {
				return fmt.Errorf("handler: %w", err)
			}
			return nil
		}
		return nil
	}
}

// OnCleanup enables the cleanup job: fn on every cleanup tick.
func OnCleanup(fn CleanupFunc) PollerOption {
	return func(p *Poller) error {
		if fn == nil {
			return errors.New("OnCleanup: function is nil")
		}
		p.jobs[JobCleanup].run = func(ctx context.Context, _ Source) error {
			if err := fn(ctx); err != nil {
				return fmt.Errorf("handler: %w", err)
			}
			return nil
		}
		return nil
	}
}

// OnError sets a hook told about every failed run, in the job's
// goroutine: it should return quickly.
func OnError(fn ErrorFunc) PollerOption {
	return func(p *Poller) error {
		p.onError = fn
		return nil
	}
}

// WithInterval sets a job's interval, which must be positive. The
// defaults are DefaultSnapshotInterval, DefaultLoginStatesInterval,
// DefaultAccountsInterval and DefaultCleanupInterval.
func WithInterval(job Job, every time.Duration) PollerOption {
	return func(p *Poller) error {
		if job >= numJobs {
			return fmt.Errorf("WithInterval: unknown job %v", job)
		}
		if every <= 0 {
			return fmt.Errorf("WithInterval: %v interval must be positive, got %v", job, every)
		}
		p.jobs[job].every = every
		return nil
	}
}

// WithMaxBackoff sets the longest wait of a failing job, which must be
// positive; a value below the job's interval means the interval (the job
// then never backs off). The default is DefaultMaxBackoff.
func WithMaxBackoff(job Job, ceiling time.Duration) PollerOption {
	return func(p *Poller) error {
		if job >= numJobs {
			return fmt.Errorf("WithMaxBackoff: unknown job %v", job)
		}
		if ceiling <= 0 {
			return fmt.Errorf("WithMaxBackoff: %v maximum back-off must be positive, got %v", job, ceiling)
		}
		p.jobs[job].ceiling = ceiling
		return nil
	}
}

// WithPollerLogger logs failed runs (Warn), recoveries (Info) and each
// run (Debug). The default discards.
func WithPollerLogger(l *slog.Logger) PollerOption {
	return func(p *Poller) error {
		if l != nil {
			p.log = l
		}
		return nil
	}
}

// NewPoller returns a Poller that reads src. At least one job must be
// enabled; src may be nil only when the cleanup job is the only one. The
// error names the invalid option.
func NewPoller(src Source, opts ...PollerOption) (*Poller, error) {
	p := &Poller{src: src, log: slog.New(slog.DiscardHandler)}
	p.jobs[JobSnapshot].every = DefaultSnapshotInterval
	p.jobs[JobLoginStates].every = DefaultLoginStatesInterval
	p.jobs[JobAccounts].every = DefaultAccountsInterval
	p.jobs[JobCleanup].every = DefaultCleanupInterval
	for j := range p.jobs {
		p.jobs[j].ceiling = DefaultMaxBackoff
		p.trigger[j] = make(chan struct{}, 1)
	}
	var errs []error
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(p); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("live: poller: %w", err)
	}
	enabled, needSource := false, false
	for j := range p.jobs {
		if p.jobs[j].run == nil {
			continue
		}
		enabled = true
		needSource = needSource || Job(j) != JobCleanup
		p.jobs[j].ceiling = max(p.jobs[j].ceiling, p.jobs[j].every)
	}
	switch {
	case !enabled:
		return nil, errors.New("live: poller: no job enabled (use OnSnapshot, OnLoginStates, OnAccounts or OnCleanup)")
	case needSource && src == nil:
		return nil, errors.New("live: poller: source is nil")
	}
	return p, nil
}

// Trigger asks for a run of job now, ahead of its schedule (e.g. the
// accounts, which the product reads on demand). The run starts at once
// if the job is idle, or right after the run in progress; requests made
// while one is already pending are merged into it. A job that is not
// enabled ignores them. The job's schedule then counts from that run.
// Trigger does not block.
func (p *Poller) Trigger(job Job) {
	if job >= numJobs || p.jobs[job].run == nil {
		return
	}
	select {
	case p.trigger[job] <- struct{}{}:
	default:
	}
}

// Run runs the enabled jobs until ctx ends, then waits for the runs in
// flight (they see ctx cancelled) and returns ctx's error. It returns
// earlier only with a job's [FatalError], after stopping the other jobs.
func (p *Poller) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("live: poller: Run called while already running")
	}
	defer p.running.Store(false)

	jobCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		fatal error
	)
	for j := range p.jobs {
		if p.jobs[j].run == nil {
			continue
		}
		wg.Go(func() {
			if err := p.loop(jobCtx, Job(j)); err != nil {
				once.Do(func() {
					fatal = err
					cancel()
				})
			}
		})
	}
	wg.Wait()
	if fatal != nil {
		return fatal
	}
	return ctx.Err()
}

// loop is one job's goroutine. It returns nil when ctx ends and the
// error of a fatal run.
func (p *Poller) loop(ctx context.Context, job Job) error {
	cfg := &p.jobs[job]
	first := time.Duration(0)
	if job == JobCleanup {
		first = cfg.every
	}
	timer := time.NewTimer(first)
	defer timer.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-p.trigger[job]:
		}
		if ctx.Err() != nil {
			return nil // select picks at random among ready cases
		}
		start := time.Now()
		err := cfg.run(ctx, p.src)
		if ctx.Err() != nil {
			// Cancelled mid-run: the error, if any, is the cancellation's.
			return nil
		}
		if err == nil {
			if failures > 0 {
				p.log.Info("live: poller: job recovered", "job", job, "failures", failures)
			}
			failures = 0
			p.log.Debug("live: poller: run done", "job", job, "took", time.Since(start))
			// From the run's start: a slow run shortens the wait, down
			// to none, but never queues extra runs.
			timer.Reset(max(cfg.every-time.Since(start), 0))
			continue
		}
		err = fmt.Errorf("live: poller: %v: %w", job, err)
		if fe := (*FatalError)(nil); errors.As(err, &fe) {
			p.log.Error("live: poller: fatal error, stopping", "job", job, "err", err)
			return err
		}
		failures++
		wait := backoff(cfg.every, cfg.ceiling, failures)
		p.log.Warn("live: poller: run failed", "job", job, "failures", failures, "retry_in", wait, "err", err)
		if p.onError != nil {
			p.onError(job, err, wait)
		}
		// From the run's end: a failing run that took long (a timeout)
		// must still be followed by a real pause.
		timer.Reset(wait)
	}
}

// backoff is the wait after the given number of consecutive failures:
// every × 2^failures, at most ceiling.
func backoff(every, ceiling time.Duration, failures int) time.Duration {
	d := every
	for range failures {
		if d >= ceiling/2 {
			return ceiling
		}
		d *= 2
	}
	return min(d, ceiling)
}
