package starinsight

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/powerbi"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/sqlsink"
)

// LiveSink is where a [LivePipeline] delivers live data: the snapshots of
// users and groups / iQueues. A sink that stores more implements the
// optional interfaces too, and the pipeline polls the PBX only for what
// some target stores:
//
//   - [LiveLoginStateSink]: the login-state history;
//   - [LiveAccountSink]: the PBX's accounts, read hourly;
//   - [LiveCleaner]: a periodic cleanup (every 20 minutes by default);
//   - [LiveLoginSeeder]: the latest stored login states, so that a
//     restart does not record unchanged states again.
//
// The pipeline calls a sink from one goroutine at a time, one delivery
// after another, always with records its target's Pseudonymiser has
// concealed. An error is retried (see [LivePipeline]); an error wrapped
// with [live.Fatal] stops the pipeline: return it for what retrying
// cannot mend (a revoked credential, a deleted dataset).
type LiveSink interface {
	// Name names the sink in logs and errors.
	Name() string
	// Snapshot stores one snapshot: every user and queue as the PBX
	// showed them at one poll.
	Snapshot(ctx context.Context, users []live.UserState, queues []live.QueueState) error
}

// LiveLoginStateSink is a [LiveSink] that keeps the login-state history:
// LoginStates receives only the entries that changed since the last
// stored ones (see [live.LoginHistory]).
type LiveLoginStateSink interface {
	// LoginStates appends the entries to the history.
	LoginStates(ctx context.Context, users []live.UserLoginState, members []live.MemberLoginState) error
}

// LiveAccountSink is a [LiveSink] that stores the PBX's accounts.
type LiveAccountSink interface {
	// Accounts stores the accounts, replacing their earlier versions.
	Accounts(ctx context.Context, accounts []cdr.Account) error
}

// LiveCleaner is a [LiveSink] that cleans up on the pipeline's cleanup
// tick, e.g. deletes the live rows of a Power BI dataset.
type LiveCleaner interface {
	// Cleanup runs on every cleanup tick.
	Cleanup(ctx context.Context) error
}

// LiveLoginSeeder is a [LiveLoginStateSink] that can say what it holds:
// the latest stored entry of every user and group member. The pipeline
// asks once per Run and seeds the target's [live.LoginHistory] with it,
// so that states unchanged across a restart are not recorded again.
type LiveLoginSeeder interface {
	// LatestLoginStates returns the latest stored entry of every user
	// and group member.
	LatestLoginStates(ctx context.Context) ([]live.UserLoginState, []live.MemberLoginState, error)
}

// LiveTarget is one sink of a live pipeline with its own privacy policy.
type LiveTarget struct {
	Sink LiveSink
	// Pseudonymiser conceals every record before the sink sees it (and
	// before it waits in the target's queue). Required: pseudo.Clear() is
	// the written-down choice of clear data. The SQL and Power BI sinks
	// apply their own too; concealing twice with one policy changes
	// nothing more.
	Pseudonymiser *pseudo.Pseudonymiser
	// Name names the target in logs and errors; default the sink's Name.
	// Names must be unique within a pipeline: two SQL targets need one.
	Name string
}

// DefaultLiveBacklog is how many snapshots may wait for one target by
// default: 20 minutes' worth at the default interval of 15 s, one
// cleanup period of the Power BI live dataset.
const DefaultLiveBacklog = 80

// ErrSnapshotDropped is wrapped by the *LiveError reported when a
// snapshot was dropped because its target's backlog was full.
var ErrSnapshotDropped = errors.New("snapshot dropped: the target's backlog is full")

// LiveError is a failure reported to the [WithLiveOnError] hook: a failed
// poll of the PBX (Target "" and Alerts false), a failed delivery to a
// target, a dropped snapshot (wrapping [ErrSnapshotDropped]), or a failed
// alert delivery (Alerts true).
type LiveError struct {
	Job    live.Job
	Target string // the target's name; "" for the PBX and the alerts
	Alerts bool   // the alerts' delivery failed
	// RetryIn is how long until the next attempt: the poller's back-off
	// for the PBX, the target's for a delivery; 0 when nothing is retried.
	RetryIn time.Duration
	Err     error
}

// Error returns the wrapped error's text, which names the target and the
// job.
func (e *LiveError) Error() string {
	if e.Err == nil {
		return "starinsight: live: error"
	}
	return e.Err.Error()
}

// Unwrap returns the wrapped error.
func (e *LiveError) Unwrap() error { return e.Err }

// LiveDelivery is what one delivery to a target held, reported to the
// [WithLiveProgress] hook.
type LiveDelivery struct {
	Target string
	Job    live.Job
	// Polled is when the poller read the data (when the cleanup tick
	// came); the delivery happened at the hook's call.
	Polled                             time.Time
	Users, Queues                      int
	UserLoginStates, MemberLoginStates int
	Accounts                           int
	Waiting                            int // deliveries still queued for the target
}

// LiveOption configures a LivePipeline.
type LiveOption func(*LivePipeline) error

// WithLiveInterval sets a job's interval (live.JobSnapshot,
// JobLoginStates, JobAccounts, JobCleanup), which must be positive. The
// defaults are the live package's: 15 s, 15 s, 1 h and 20 min.
func WithLiveInterval(job live.Job, every time.Duration) LiveOption {
	return func(p *LivePipeline) error {
		if !knownJob(job) {
			return fmt.Errorf("WithLiveInterval: unknown job %v", job)
		}
		if every <= 0 {
			return fmt.Errorf("WithLiveInterval: %v interval must be positive, got %v", job, every)
		}
		p.every[job] = every
		return nil
	}
}

// WithLiveMaxBackoff sets the longest wait after failures, for the polls
// of the PBX and for every target's deliveries; it must be positive. The
// default is live.DefaultMaxBackoff (5 min).
func WithLiveMaxBackoff(d time.Duration) LiveOption {
	return func(p *LivePipeline) error {
		if d <= 0 {
			return fmt.Errorf("WithLiveMaxBackoff: must be positive, got %v", d)
		}
		p.ceiling = d
		return nil
	}
}

// WithLiveBacklog sets how many snapshots may wait for one target that is
// slow or failing (at least 1; default DefaultLiveBacklog). Beyond, the
// oldest waiting snapshot is dropped and reported.
func WithLiveBacklog(n int) LiveOption {
	return func(p *LivePipeline) error {
		if n < 1 {
			return fmt.Errorf("WithLiveBacklog: must be at least 1, got %d", n)
		}
		p.backlog = n
		return nil
	}
}

// WithLiveLogger logs failed polls and deliveries and dropped snapshots
// (Warn), recoveries (Info) and each delivery (Debug). The default
// discards.
func WithLiveLogger(l *slog.Logger) LiveOption {
	return func(p *LivePipeline) error {
		if l != nil {
			p.log = l
		}
		return nil
	}
}

// WithLiveOnError calls f for every failure (see [LiveError]), in the
// goroutine that saw it: f should return quickly.
func WithLiveOnError(f func(*LiveError)) LiveOption {
	return func(p *LivePipeline) error { p.onError = f; return nil }
}

// WithLiveProgress calls f after every delivery to a target, in the
// target's goroutine: f should return quickly.
func WithLiveProgress(f func(LiveDelivery)) LiveOption {
	return func(p *LivePipeline) error { p.progress = f; return nil }
}

// WithLiveAlerter evaluates a's queue rules ([live.Alerter.Queues]) on
// every snapshot's queues, as the PBX showed them (clear: alerts carry
// ids and counts, not names), after the snapshot is queued for the
// targets. Its deliveries run in the snapshot job, so a slow webhook
// delays the next snapshot; a failed one is reported and retried by the
// Alerter at the next snapshot.
func WithLiveAlerter(a *live.Alerter) LiveOption {
	return func(p *LivePipeline) error {
		if a == nil {
			return errors.New("WithLiveAlerter: nil Alerter")
		}
		p.alerter = a
		return nil
	}
}

// LivePipeline carries a PBX's live data into one or more targets, each
// with its own privacy policy, and keeps going. A [live.Poller] reads the
// source: users and groups / iQueues every 15 s, login states every 15 s,
// accounts hourly, and a cleanup tick every 20 minutes (WithLiveInterval),
// each job asked for only when a target stores its data. What it reads
// goes to every target that stores it:
//
//   - a snapshot to Snapshot;
//   - login states through a [live.LoginHistory] of the target's own:
//     only the entries that changed since the target's last ones, with
//     the time of the poll that saw them, to LoginStates;
//   - the accounts to Accounts;
//   - the cleanup tick to Cleanup.
//
// # Failures
//
// A PBX that fails (unreachable, an expired login, a bad answer) makes
// the failing job back off as the Poller does (twice the interval, then
// four times, … up to WithLiveMaxBackoff) and resume by itself; a
// snapshot not read is not made up for.
//
// Each target has a queue and a goroutine of its own, so a slow or
// failing target never holds up the others, nor the polls. A failed
// delivery is retried, the queue's order kept, after a back-off of its
// own (the snapshot interval doubled per failure, up to
// WithLiveMaxBackoff). Meanwhile: snapshots wait, up to WithLiveBacklog
// of them, beyond which the oldest is dropped and reported
// ([ErrSnapshotDropped]); login-state changes wait, all of them, and are
// stored with the times they were seen, so a database that was down for a
// while ends up with the same history; only the newest accounts wait;
// one cleanup waits.
//
// Every failure is logged and reported to the WithLiveOnError hook. An
// error wrapped with [live.Fatal], by a sink or the adapters (a Power BI
// sign-in that needs a person, a dataset that is gone, a key too long for
// a database column), stops Run, which returns it.
//
// # Restarts
//
// Live data is a stream: what waits in the queues when the process stops
// is lost, and nothing is read while it is stopped (changes of login
// state in that time are unknown; the first poll records the state it
// finds). A target whose sink is a [LiveLoginSeeder] is seeded at each
// Run, so a restart records only what changed; the SQL sink is one.
// Other targets, and one whose seeding fails, record the current state of
// every user and member once more at the first poll after a restart: an
// entry equal to the previous one, with a new time.
//
// A LivePipeline is safe for concurrent use; Run must not be called again
// while it runs.
type LivePipeline struct {
	src      live.Source
	targets  []*liveTarget
	poller   *live.Poller
	every    map[live.Job]time.Duration
	ceiling  time.Duration
	backlog  int
	log      *slog.Logger
	onError  func(*LiveError)
	progress func(LiveDelivery)
	alerter  *live.Alerter
	running  atomic.Bool
}

// NewLivePipeline returns a pipeline of src's live data into targets. It
// checks the whole configuration and names every problem.
func NewLivePipeline(src live.Source, targets []LiveTarget, opts ...LiveOption) (*LivePipeline, error) {
	p := &LivePipeline{
		src: src,
		every: map[live.Job]time.Duration{
			live.JobSnapshot:    live.DefaultSnapshotInterval,
			live.JobLoginStates: live.DefaultLoginStatesInterval,
			live.JobAccounts:    live.DefaultAccountsInterval,
			live.JobCleanup:     live.DefaultCleanupInterval,
		},
		ceiling: live.DefaultMaxBackoff,
		backlog: DefaultLiveBacklog,
		log:     slog.New(slog.DiscardHandler),
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
	if src == nil {
		errs = append(errs, errors.New("nil live.Source"))
	}
	if len(targets) == 0 {
		errs = append(errs, errors.New("needs at least one target"))
	}
	seen := map[string]int{}
	for i, lt := range targets {
		if lt.Sink == nil {
			errs = append(errs, fmt.Errorf("target %d: nil Sink", i))
			continue
		}
		if v, ok := lt.Sink.(interface{ validate() error }); ok {
			if err := v.validate(); err != nil {
				errs = append(errs, fmt.Errorf("target %d: %w", i, err))
				continue
			}
		}
		name := lt.Name
		if name == "" {
			name = lt.Sink.Name()
		}
		if lt.Pseudonymiser == nil {
			errs = append(errs, fmt.Errorf("target %d (%s): no privacy choice: set Pseudonymiser (pseudo.Clear() for clear data)", i, name))
		}
		if j, dup := seen[name]; dup {
			errs = append(errs, fmt.Errorf("target %d: name %q is target %d's too: set LiveTarget.Name", i, name, j))
		}
		seen[name] = i
		t := &liveTarget{name: name, sink: lt.Sink, pseudo: lt.Pseudonymiser, wake: make(chan struct{}, 1)}
		t.login, _ = lt.Sink.(LiveLoginStateSink)
		t.accounts, _ = lt.Sink.(LiveAccountSink)
		t.cleaner, _ = lt.Sink.(LiveCleaner)
		if t.login != nil {
			t.seeder, _ = lt.Sink.(LiveLoginSeeder)
		}
		p.targets = append(p.targets, t)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("starinsight: NewLivePipeline: %w", err)
	}

	popts := []live.PollerOption{
		live.WithPollerLogger(p.log),
		live.OnError(func(job live.Job, err error, retryIn time.Duration) {
			// The poller has logged it already.
			p.report(&LiveError{Job: job, RetryIn: retryIn, Err: err})
		}),
		live.OnSnapshot(p.onSnapshot),
	}
	var login, accounts, cleanup bool
	for _, t := range p.targets {
		login = login || t.login != nil
		accounts = accounts || t.accounts != nil
		cleanup = cleanup || t.cleaner != nil
	}
	if login {
		popts = append(popts, live.OnLoginStates(p.onLoginStates))
	}
	if accounts {
		popts = append(popts, live.OnAccounts(p.onAccounts))
	}
	if cleanup {
		popts = append(popts, live.OnCleanup(p.onCleanup))
	}
	for job, every := range p.every {
		popts = append(popts, live.WithInterval(job, every), live.WithMaxBackoff(job, p.ceiling))
	}
	poller, err := live.NewPoller(src, popts...)
	if err != nil {
		return nil, fmt.Errorf("starinsight: NewLivePipeline: %w", err)
	}
	p.poller = poller
	return p, nil
}

func knownJob(j live.Job) bool {
	switch j {
	case live.JobSnapshot, live.JobLoginStates, live.JobAccounts, live.JobCleanup:
		return true
	}
	return false
}

// Run polls the source and delivers to the targets until ctx ends, then
// returns ctx's error; what still waits in the targets' queues is
// dropped. It returns earlier only with a fatal error (see
// [LivePipeline]), after stopping everything.
func (p *LivePipeline) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("starinsight: live pipeline: Run called while already running")
	}
	defer p.running.Store(false)
	parent := ctx
	p.seed(ctx)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		fatal error
	)
	for _, t := range p.targets {
		wg.Go(func() {
			if err := p.work(ctx, t); err != nil {
				once.Do(func() {
					fatal = err
					cancel()
				})
			}
		})
	}
	err := p.poller.Run(ctx)
	cancel()
	wg.Wait()
	if fatal != nil {
		return fatal
	}
	if fe := (*live.FatalError)(nil); errors.As(err, &fe) {
		return err
	}
	return parent.Err()
}

// seed gives each seeding target's history what the target holds. A
// failure is reported and leaves the history as it is: the current
// states are then recorded once more, which loses nothing.
func (p *LivePipeline) seed(ctx context.Context) {
	for _, t := range p.targets {
		if t.seeder == nil {
			continue
		}
		users, members, err := t.seeder.LatestLoginStates(ctx)
		if err != nil {
			err = fmt.Errorf("starinsight: live: %s: reading the latest login states: %w", t.name, err)
			p.log.LogAttrs(ctx, slog.LevelWarn, "starinsight: live: seeding failed", slog.String("target", t.name), slog.String("error", err.Error()))
			p.report(&LiveError{Job: live.JobLoginStates, Target: t.name, Err: err})
			continue
		}
		t.history.Seed(users, members)
	}
}

// The poller's handlers queue what they read for each target and return
// at once, so that no target holds up the polls.

func (p *LivePipeline) onSnapshot(ctx context.Context, users []live.UserState, queues []live.QueueState) error {
	now := time.Now()
	for _, t := range p.targets {
		cu, err := pseudo.Apply(t.pseudo, users)
		if err != nil {
			return live.Fatal(fmt.Errorf("starinsight: live: %s: %w", t.name, err))
		}
		cq, err := pseudo.Apply(t.pseudo, queues)
		if err != nil {
			return live.Fatal(fmt.Errorf("starinsight: live: %s: %w", t.name, err))
		}
		if dropped := t.push(&liveItem{job: live.JobSnapshot, polled: now, users: cu, queues: cq}, p.backlog); dropped != nil {
			err := fmt.Errorf("starinsight: live: %s: snapshot polled at %s, %d users and %d queues: %w",
				t.name, dropped.polled.UTC().Format(time.RFC3339), len(dropped.users), len(dropped.queues), ErrSnapshotDropped)
			p.log.LogAttrs(ctx, slog.LevelWarn, "starinsight: live: snapshot dropped", slog.String("target", t.name), slog.Int("backlog", p.backlog))
			p.report(&LiveError{Job: live.JobSnapshot, Target: t.name, Err: err})
		}
	}
	if p.alerter != nil {
		if err := p.alerter.Queues(ctx, now, queues); err != nil && ctx.Err() == nil {
			err = fmt.Errorf("starinsight: live: alerts: %w", err)
			p.log.LogAttrs(ctx, slog.LevelWarn, "starinsight: live: alert delivery failed", slog.String("error", err.Error()))
			p.report(&LiveError{Job: live.JobSnapshot, Alerts: true, Err: err})
		}
	}
	return nil
}

func (p *LivePipeline) onLoginStates(_ context.Context, users []live.UserLoginState, members []live.MemberLoginState) error {
	now := time.Now()
	for _, t := range p.targets {
		if t.login == nil {
			continue
		}
		// Remembered at once: the changes wait in the queue, and are
		// retried, until stored.
		cu, cm := t.history.Changes(users, members)
		if len(cu) == 0 && len(cm) == 0 {
			continue
		}
		t.push(&liveItem{job: live.JobLoginStates, polled: now, userLogins: cu, memberLogins: cm}, p.backlog)
	}
	return nil
}

func (p *LivePipeline) onAccounts(_ context.Context, accounts []cdr.Account) error {
	now := time.Now()
	for _, t := range p.targets {
		if t.accounts == nil {
			continue
		}
		ca, err := pseudo.Apply(t.pseudo, accounts)
		if err != nil {
			return live.Fatal(fmt.Errorf("starinsight: live: %s: %w", t.name, err))
		}
		t.push(&liveItem{job: live.JobAccounts, polled: now, accounts: ca}, p.backlog)
	}
	return nil
}

func (p *LivePipeline) onCleanup(context.Context) error {
	now := time.Now()
	for _, t := range p.targets {
		if t.cleaner != nil {
			t.push(&liveItem{job: live.JobCleanup, polled: now}, p.backlog)
		}
	}
	return nil
}

func (p *LivePipeline) report(e *LiveError) {
	if p.onError != nil {
		p.onError(e)
	}
}

// liveTarget is a target with its history and its queue.
type liveTarget struct {
	name     string
	sink     LiveSink
	login    LiveLoginStateSink
	accounts LiveAccountSink
	cleaner  LiveCleaner
	seeder   LiveLoginSeeder
	pseudo   *pseudo.Pseudonymiser
	history  live.LoginHistory

	mu    sync.Mutex
	queue []*liveItem
	busy  *liveItem // the head while it is delivered: never dropped or replaced
	snaps int       // snapshots in queue
	wake  chan struct{}
}

// liveItem is one delivery waiting for a target, already concealed.
type liveItem struct {
	job          live.Job
	polled       time.Time
	users        []live.UserState
	queues       []live.QueueState
	userLogins   []live.UserLoginState
	memberLogins []live.MemberLoginState
	accounts     []cdr.Account
}

// push queues it and returns the snapshot it dropped to keep the backlog,
// if any. Accounts replace waiting accounts (only the newest matter); a
// cleanup already waiting makes another one pointless.
func (t *liveTarget) push(it *liveItem, backlog int) (dropped *liveItem) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch it.job {
	case live.JobSnapshot:
		if t.snaps >= backlog {
			for i, q := range t.queue {
				if q.job == live.JobSnapshot && q != t.busy {
					dropped = q
					t.queue = append(t.queue[:i], t.queue[i+1:]...)
					t.snaps--
					break
				}
			}
		}
		t.snaps++
	case live.JobAccounts:
		for i, q := range t.queue {
			if q.job == live.JobAccounts && q != t.busy {
				t.queue[i] = it
				return nil
			}
		}
	case live.JobCleanup:
		for _, q := range t.queue {
			if q.job == live.JobCleanup && q != t.busy {
				return nil
			}
		}
	}
	t.queue = append(t.queue, it)
	select {
	case t.wake <- struct{}{}:
	default:
	}
	return dropped
}

// head returns the first waiting item, marked busy, or nil.
func (t *liveTarget) head() *liveItem {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.queue) == 0 {
		return nil
	}
	t.busy = t.queue[0]
	return t.busy
}

// finish ends the delivery of it: removed when done, else left waiting
// (droppable again). It returns how many items still wait.
func (t *liveTarget) finish(it *liveItem, done bool) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.busy = nil
	if done && len(t.queue) > 0 && t.queue[0] == it {
		t.queue[0] = nil
		t.queue = t.queue[1:]
		if it.job == live.JobSnapshot {
			t.snaps--
		}
	}
	return len(t.queue)
}

// work delivers t's queue, in order, until ctx ends. It returns the
// error of a fatal delivery.
func (p *LivePipeline) work(ctx context.Context, t *liveTarget) error {
	failures := 0
	for {
		it := t.head()
		if it == nil {
			select {
			case <-ctx.Done():
				return nil
			case <-t.wake:
				continue
			}
		}
		if ctx.Err() != nil {
			t.finish(it, false)
			return nil
		}
		err := p.deliver(ctx, t, it)
		if ctx.Err() != nil {
			t.finish(it, false)
			return nil // cancelled mid-delivery: the error, if any, is the cancellation's
		}
		if err == nil {
			waiting := t.finish(it, true)
			if failures > 0 {
				p.log.LogAttrs(ctx, slog.LevelInfo, "starinsight: live: target recovered", slog.String("target", t.name), slog.Int("failures", failures))
			}
			failures = 0
			p.log.LogAttrs(ctx, slog.LevelDebug, "starinsight: live: delivered", slog.String("target", t.name), slog.String("job", it.job.String()), slog.Int("waiting", waiting))
			if p.progress != nil {
				p.progress(LiveDelivery{Target: t.name, Job: it.job, Polled: it.polled,
					Users: len(it.users), Queues: len(it.queues), UserLoginStates: len(it.userLogins),
					MemberLoginStates: len(it.memberLogins), Accounts: len(it.accounts), Waiting: waiting})
			}
			continue
		}
		t.finish(it, false)
		err = fmt.Errorf("starinsight: live: %s: %v polled at %s: %w", t.name, it.job, it.polled.UTC().Format(time.RFC3339), err)
		if fe := (*live.FatalError)(nil); errors.As(err, &fe) {
			p.log.LogAttrs(ctx, slog.LevelError, "starinsight: live: fatal error, stopping", slog.String("target", t.name), slog.String("error", err.Error()))
			return err
		}
		failures++
		wait := liveBackoff(p.every[live.JobSnapshot], p.ceiling, failures)
		p.log.LogAttrs(ctx, slog.LevelWarn, "starinsight: live: delivery failed", slog.String("target", t.name),
			slog.String("job", it.job.String()), slog.Int("failures", failures), slog.Duration("retry_in", wait), slog.String("error", err.Error()))
		p.report(&LiveError{Job: it.job, Target: t.name, RetryIn: wait, Err: err})
		if sleep(ctx, wait) != nil {
			return nil
		}
	}
}

func (p *LivePipeline) deliver(ctx context.Context, t *liveTarget, it *liveItem) error {
	switch it.job {
	case live.JobSnapshot:
		return t.sink.Snapshot(ctx, it.users, it.queues)
	case live.JobLoginStates:
		return t.login.LoginStates(ctx, it.userLogins, it.memberLogins)
	case live.JobAccounts:
		return t.accounts.Accounts(ctx, it.accounts)
	case live.JobCleanup:
		return t.cleaner.Cleanup(ctx)
	}
	return live.Fatal(fmt.Errorf("unknown job %v", it.job))
}

// liveBackoff is the wait after the given number of consecutive failures:
// every × 2^failures, at most ceiling.
func liveBackoff(every, ceiling time.Duration, failures int) time.Duration {
	d := every
	for range failures {
		if d >= ceiling/2 {
			return ceiling
		}
		d *= 2
	}
	return min(d, ceiling)
}

// LiveSQLSink delivers live data to a sqlsink.Sink: snapshots to
// live_users and live_queues, the login-state history to
// user_login_states and member_login_states, accounts to accounts (and
// the two account dimensions). Every write is one idempotent transaction
// keyed on (site, account id, time) and the like, so a retried delivery
// stores nothing twice.
//
// It has no cleanup: the database keeps every snapshot and the whole
// history (DOMAIN.md §6: never deleted automatically; see
// sqlsink.Sink.PruneLoginStates). It seeds the history with the latest
// stored entries, so a restart records only what changed.
type LiveSQLSink struct {
	s *sqlsink.Sink
}

// NewLiveSQLSink returns a live sink on s, a migrated sink. A nil s is
// reported by NewLivePipeline.
func NewLiveSQLSink(s *sqlsink.Sink) *LiveSQLSink { return &LiveSQLSink{s: s} }

var (
	_ LiveLoginStateSink = (*LiveSQLSink)(nil)
	_ LiveAccountSink    = (*LiveSQLSink)(nil)
	_ LiveLoginSeeder    = (*LiveSQLSink)(nil)
)

func (s *LiveSQLSink) validate() error {
	if s == nil || s.s == nil {
		return errors.New("NewLiveSQLSink: nil *sqlsink.Sink")
	}
	return nil
}

// Name returns "sql:" and the dialect's name.
func (s *LiveSQLSink) Name() string {
	if s.validate() != nil {
		return "sql"
	}
	return "sql:" + s.s.Dialect().Name()
}

// Snapshot writes the users and queues in one transaction.
func (s *LiveSQLSink) Snapshot(ctx context.Context, users []live.UserState, queues []live.QueueState) error {
	return s.write(ctx, sqlsink.Batch{Users: users, Queues: queues})
}

// LoginStates appends the entries to the history in one transaction.
func (s *LiveSQLSink) LoginStates(ctx context.Context, users []live.UserLoginState, members []live.MemberLoginState) error {
	return s.write(ctx, sqlsink.Batch{UserLoginStates: users, MemberLoginStates: members})
}

// Accounts writes the accounts, replacing their earlier versions.
func (s *LiveSQLSink) Accounts(ctx context.Context, accounts []cdr.Account) error {
	return s.write(ctx, sqlsink.Batch{Accounts: accounts})
}

// LatestLoginStates returns the latest stored entry of every user and
// group member.
func (s *LiveSQLSink) LatestLoginStates(ctx context.Context) ([]live.UserLoginState, []live.MemberLoginState, error) {
	if err := s.validate(); err != nil {
		return nil, nil, err
	}
	return s.s.LatestLoginStates(ctx)
}

// write writes b. A key the database cannot hold (a site name too long
// for the column) fails every write alike: fatal, a configuration error.
func (s *LiveSQLSink) write(ctx context.Context, b sqlsink.Batch) error {
	if err := s.validate(); err != nil {
		return live.Fatal(err)
	}
	_, err := s.s.Write(ctx, b)
	if errors.Is(err, sqlsink.ErrKeyTooLong) {
		return live.Fatal(err)
	}
	return err
}

// LivePowerBISink delivers live data to the Power BI live dataset
// (powerbi.NewLive, provisioned with Client.Provision) through an
// Uploader for it: snapshots to live_users and live_queues, and on each
// cleanup tick every row of both deleted (DeleteLive), so the dataset
// holds the last 20 minutes or so.
//
// It stores neither the login-state history (the live dataset has no
// table for it: keep it in SQL) nor the accounts: they belong to the
// historical dataset, whose POST rows only adds, so an hourly upload would
// add every account 24 times a day; upload them on demand with
// Uploader.Accounts.
//
// The Uploader waits out every 429 and sends the same rows again, so a
// throttle loses no snapshot; the snapshots read meanwhile wait in the
// target's backlog. A retried snapshot can add rows twice: its users
// when only its queues failed, or a request whose answer was lost
// (powerbi.UploadError.Unsure). Such a duplicate lives until the next
// cleanup. A sign-in that needs a person or a configuration change, and
// a dataset or table that is gone (404), are fatal.
type LivePowerBISink struct {
	u *powerbi.Uploader
}

// NewLivePowerBISink returns a live sink on u, an Uploader to the live
// dataset. A nil u is reported by NewLivePipeline.
func NewLivePowerBISink(u *powerbi.Uploader) *LivePowerBISink { return &LivePowerBISink{u: u} }

var _ LiveCleaner = (*LivePowerBISink)(nil)

func (s *LivePowerBISink) validate() error {
	if s == nil || s.u == nil {
		return errors.New("NewLivePowerBISink: nil *powerbi.Uploader")
	}
	return nil
}

// Name returns "powerbi".
func (s *LivePowerBISink) Name() string { return "powerbi" }

// Snapshot uploads the users and queues.
func (s *LivePowerBISink) Snapshot(ctx context.Context, users []live.UserState, queues []live.QueueState) error {
	if err := s.validate(); err != nil {
		return live.Fatal(err)
	}
	_, err := s.u.Live(ctx, users, queues)
	return powerBIFatal(err)
}

// Cleanup deletes every row of the live tables.
func (s *LivePowerBISink) Cleanup(ctx context.Context) error {
	if err := s.validate(); err != nil {
		return live.Fatal(err)
	}
	return powerBIFatal(s.u.DeleteLive(ctx))
}

// powerBIFatal marks the errors retrying cannot mend.
func powerBIFatal(err error) error {
	if err == nil {
		return nil
	}
	var ae *powerbi.AuthError
	if errors.As(err, &ae) && ae.Kind != powerbi.AuthTransient && ae.Kind != powerbi.AuthPending {
		return live.Fatal(err)
	}
	var api *powerbi.APIError
	if errors.As(err, &api) && api.StatusCode == http.StatusNotFound {
		return live.Fatal(err)
	}
	return err
}
