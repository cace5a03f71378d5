package live

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// AlertKind names an alert rule.
type AlertKind string

// The alert rules.
const (
	// AlertQueueWaiting: callers waiting in a group or iQueue reached a
	// threshold.
	AlertQueueWaiting AlertKind = "queue-waiting"
	// AlertServiceLevel: a group's service level today fell below a
	// threshold.
	AlertServiceLevel AlertKind = "service-level"
	// AlertLostCaller: a caller was lost and has not been reached.
	AlertLostCaller AlertKind = "lost-caller"
)

// Alert is one fired alert: one episode of a rule's condition. Its ID is
// stable (see [Alerter]), so a receiver that sees the same ID twice, after
// a retry or a restart, can drop the second.
type Alert struct {
	ID   string    `json:"id"`
	Kind AlertKind `json:"kind"`
	// Site and AccountID are the group or iQueue concerned; for a lost
	// caller the group of the last attempt (0 if none).
	Site      string        `json:"site,omitempty"`
	AccountID cdr.AccountID `json:"accountId,omitempty"`
	// Since is when the condition began to hold: the evaluation that
	// first saw it, or for a lost caller the end of the last lost attempt.
	// At is the evaluation that fired the alert.
	Since time.Time `json:"since"`
	At    time.Time `json:"at"`
	// Summary is one line for a person, without personal data.
	Summary string `json:"summary"`

	// WaitingCalls and MinWaiting: queue-waiting alerts.
	WaitingCalls int `json:"waitingCalls,omitempty"`
	MinWaiting   int `json:"minWaiting,omitempty"`
	// ServiceLevel and Below: service-level alerts.
	ServiceLevel *callflow.Ratio `json:"serviceLevel,omitempty"`
	Below        float64         `json:"below,omitempty"`
	// LostCaller is the episode of a lost-caller alert. Its number and
	// call ids are personal: pseudonymise the episodes (package pseudo)
	// before the Alerter sees them if alerts leave the company.
	LostCaller *callflow.LostCaller `json:"lostCaller,omitempty"`
}

// Debounce keeps a flapping condition from alerting on every poll.
type Debounce struct {
	// For is how long the condition must hold without a break before the
	// alert fires; 0 fires at the first evaluation that sees it.
	For time.Duration `json:"for,omitempty"`
	// ReArm is how long the condition must stay cleared after an alert
	// before a new episode may fire; until then a return of the condition
	// is the same episode. 0 re-arms at the first evaluation that sees it
	// cleared.
	ReArm time.Duration `json:"reArm,omitempty"`
}

// QueueWaitingRule fires when a group or iQueue has at least MinWaiting
// callers waiting (QueueState.WaitingCalls).
type QueueWaitingRule struct {
	// MinWaiting is the threshold; it must be at least 1.
	MinWaiting int `json:"minWaiting"`
	// Queues limits the rule to these accounts; empty means every queue.
	Queues []cdr.AccountID `json:"queues,omitempty"`
	Debounce
}

// ServiceLevelRule fires when a group's service level today is below a
// threshold. callflow's Reporter has no running service level for today
// (Today's figures have none), so the caller computes it and passes it to
// [Alerter.ServiceLevels], e.g. from
// Reporter.Groups(todaysCalls, callflow.IntervalDay), GroupKPI.ServiceLevel.
type ServiceLevelRule struct {
	// Below is the threshold as a fraction in (0, 1]: 0.8 alerts under 80 %.
	Below float64 `json:"below"`
	// MinCalls is the least denominator (calls counted) for the level to
	// be judged, so that the day's first missed call is not an alert; 0
	// means 1. An undefined level (no calls) never alerts: DOMAIN.md §3.5
	// makes it null, neither 100 % nor 0 %.
	MinCalls int `json:"minCalls,omitempty"`
	Debounce
}

// LostCallerRule fires once per lost-caller episode (callflow.LostCaller)
// that is still unrecovered After the end of its last lost attempt: the
// caller hung up and nobody has reached them since. An episode recovered
// before that never fires. An episode is one alert: it has no debounce
// or re-arm of its own, a new lost call of the same number within the
// window is the same episode, a later one a new episode.
type LostCallerRule struct {
	// After is the grace for a callback before alerting; 0 alerts at once.
	After time.Duration `json:"after,omitempty"`
	// OutOfHours also alerts on episodes whose attempts all arrived
	// outside business hours; Unrecoverable also on those of withheld
	// numbers, which nobody can call back.
	OutOfHours    bool `json:"outOfHours,omitempty"`
	Unrecoverable bool `json:"unrecoverable,omitempty"`
	// Retain is how long a fired episode that no longer appears in the
	// input is remembered, so that it does not fire again if it comes
	// back; 0 means DefaultLostCallerRetain. Pass the episodes of a window
	// shorter than that (e.g. today's).
	Retain time.Duration `json:"retain,omitempty"`
}

// DefaultLostCallerRetain is LostCallerRule.Retain's default.
const DefaultLostCallerRetain = 48 * time.Hour

// AlertRules are an Alerter's rules; a nil rule is off.
type AlertRules struct {
	QueueWaiting *QueueWaitingRule `json:"queueWaiting,omitempty"`
	ServiceLevel *ServiceLevelRule `json:"serviceLevel,omitempty"`
	LostCaller   *LostCallerRule   `json:"lostCaller,omitempty"`
}

// ServiceLevel is one group's service level today, the input of the
// service-level rule.
type ServiceLevel struct {
	Site    string         `json:"site,omitempty"`
	GroupID cdr.AccountID  `json:"groupId"`
	Level   callflow.Ratio `json:"level"`
}

// AlertFunc delivers one alert. An error leaves the alert unfired: the
// next evaluation that finds it still due delivers it again, with the same
// ID.
type AlertFunc func(ctx context.Context, a Alert) error

// Alerter evaluates alert rules on snapshots and lost callers and delivers
// each alert once per episode of its condition.
//
// An episode of a queue-waiting or service-level condition, per queue or
// group, goes: armed → the condition holds (pending) → it has held for
// Debounce.For (fired, delivered once) → it stops holding (clearing) → it
// has stayed cleared for Debounce.ReArm (armed again). A condition that
// clears while pending cancels the episode; one that returns while
// clearing continues it without a new alert. A queue or group missing
// from an evaluation counts as cleared.
//
// Evaluations take the time as an argument (the snapshot's time, or
// time.Now()), so the Alerter keeps no clock and fires only when it is
// evaluated: an alert comes with the first evaluation after its debounce.
//
// Alert IDs: a lost-caller alert's ID is derived from the episode itself
// (number, first attempt), so it is the same after a restart. A condition
// episode's ID is derived from the rule, the queue or group and the
// episode's start as this Alerter saw it; to keep it across a restart,
// save State and Restore it. Delivery is at least once per episode: a
// failed delivery is retried by the next evaluation that finds the episode
// still due, with the same ID.
//
// An Alerter is safe for concurrent use. Delivery runs outside its lock,
// in the evaluating goroutine, one alert after another.
type Alerter struct {
	rules  AlertRules
	queues map[cdr.AccountID]bool // QueueWaiting.Queues as a set; nil: all
	notify AlertFunc
	log    *slog.Logger

	mu  sync.Mutex
	eps map[string]*episode
}

// episode is the state of one rule for one queue, group or lost caller.
type episode struct {
	kind       AlertKind
	since      time.Time
	fired      bool
	delivering bool
	clearedAt  time.Time // fired and no longer holding since; zero while holding
	lastSeen   time.Time // lost callers: last evaluation that listed it
}

// AlerterOption configures an Alerter.
type AlerterOption func(*Alerter)

// WithAlerterLogger logs fired alerts (Info, by ID and kind, never their
// personal fields) and failed deliveries (Warn). The default discards.
func WithAlerterLogger(l *slog.Logger) AlerterOption {
	return func(a *Alerter) {
		if l != nil {
			a.log = l
		}
	}
}

// NewAlerter returns an Alerter with the rules that delivers through
// notify. The error names every invalid rule field.
func NewAlerter(rules AlertRules, notify AlertFunc, opts ...AlerterOption) (*Alerter, error) {
	var errs []error
	if notify == nil {
		errs = append(errs, errors.New("notify function is nil"))
	}
	if r := rules.QueueWaiting; r != nil {
		if r.MinWaiting < 1 {
			errs = append(errs, fmt.Errorf("QueueWaiting.MinWaiting must be at least 1, got %d", r.MinWaiting))
		}
		errs = append(errs, r.Debounce.check("QueueWaiting")...)
	}
	if r := rules.ServiceLevel; r != nil {
		if !(r.Below > 0 && r.Below <= 1) {
			errs = append(errs, fmt.Errorf("ServiceLevel.Below must be in (0, 1], got %v", r.Below))
		}
		if r.MinCalls < 0 {
			errs = append(errs, fmt.Errorf("ServiceLevel.MinCalls must not be negative, got %d", r.MinCalls))
		}
		errs = append(errs, r.Debounce.check("ServiceLevel")...)
	}
	if r := rules.LostCaller; r != nil {
		if r.After < 0 {
			errs = append(errs, fmt.Errorf("LostCaller.After must not be negative, got %v", r.After))
		}
		if r.Retain < 0 {
			errs = append(errs, fmt.Errorf("LostCaller.Retain must not be negative, got %v", r.Retain))
		}
	}
	if rules.QueueWaiting == nil && rules.ServiceLevel == nil && rules.LostCaller == nil {
		errs = append(errs, errors.New("no rule set"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("live: alerter: %w", err)
	}
	a := &Alerter{
		rules:  cloneRules(rules),
		notify: notify,
		log:    slog.New(slog.DiscardHandler),
		eps:    make(map[string]*episode),
	}
	if r := a.rules.QueueWaiting; r != nil && len(r.Queues) > 0 {
		a.queues = make(map[cdr.AccountID]bool, len(r.Queues))
		for _, id := range r.Queues {
			a.queues[id] = true
		}
	}
	if r := a.rules.LostCaller; r != nil && r.Retain == 0 {
		r.Retain = DefaultLostCallerRetain
	}
	for _, o := range opts {
		if o != nil {
			o(a)
		}
	}
	return a, nil
}

func (d Debounce) check(rule string) []error {
	var errs []error
	if d.For < 0 {
		errs = append(errs, fmt.Errorf("%s.For must not be negative, got %v", rule, d.For))
	}
	if d.ReArm < 0 {
		errs = append(errs, fmt.Errorf("%s.ReArm must not be negative, got %v", rule, d.ReArm))
	}
	return errs
}

// cloneRules copies the rules so the caller's later edits do not reach
// the Alerter.
func cloneRules(r AlertRules) AlertRules {
	if r.QueueWaiting != nil {
		q := *r.QueueWaiting
		q.Queues = slices.Clone(q.Queues)
		r.QueueWaiting = &q
	}
	if r.ServiceLevel != nil {
		s := *r.ServiceLevel
		r.ServiceLevel = &s
	}
	if r.LostCaller != nil {
		l := *r.LostCaller
		r.LostCaller = &l
	}
	return r
}

// due is an alert to deliver and the episode it belongs to.
type due struct {
	key   string
	ep    *episode
	alert Alert
}

// Queues evaluates the queue-waiting rule on a snapshot's queues at now
// and delivers the alerts that became due. Without the rule it does
// nothing. The error joins the failed deliveries.
func (a *Alerter) Queues(ctx context.Context, now time.Time, queues []QueueState) error {
	r := a.rules.QueueWaiting
	if r == nil {
		return nil
	}
	a.mu.Lock()
	seen := make(map[string]bool, len(queues))
	var out []due
	for _, q := range queues {
		if a.queues != nil && !a.queues[q.AccountID] {
			continue
		}
		key := scopeKey(AlertQueueWaiting, q.Site, q.AccountID)
		if seen[key] {
			continue // listed twice: the first counts
		}
		seen[key] = true
		ep := a.step(key, AlertQueueWaiting, q.WaitingCalls >= r.MinWaiting, now, r.Debounce)
		if ep == nil {
			continue
		}
		out = append(out, due{key, ep, Alert{
			Kind: AlertQueueWaiting, Site: q.Site, AccountID: q.AccountID,
			Since: ep.since, At: now,
			WaitingCalls: q.WaitingCalls, MinWaiting: r.MinWaiting,
			Summary: fmt.Sprintf("%d callers waiting in queue %d%s (threshold %d)",
				q.WaitingCalls, q.AccountID, siteSuffix(q.Site), r.MinWaiting),
		}})
	}
	a.clearMissing(AlertQueueWaiting, seen, now, r.Debounce)
	a.mu.Unlock()
	return a.deliver(ctx, out)
}

// ServiceLevels evaluates the service-level rule on today's levels at now
// and delivers the alerts that became due. Without the rule it does
// nothing. The error joins the failed deliveries.
func (a *Alerter) ServiceLevels(ctx context.Context, now time.Time, levels []ServiceLevel) error {
	r := a.rules.ServiceLevel
	if r == nil {
		return nil
	}
	minCalls := max(r.MinCalls, 1)
	a.mu.Lock()
	seen := make(map[string]bool, len(levels))
	var out []due
	for _, sl := range levels {
		key := scopeKey(AlertServiceLevel, sl.Site, sl.GroupID)
		if seen[key] {
			continue
		}
		seen[key] = true
		v, ok := sl.Level.Value()
		holds := ok && sl.Level.Denominator >= minCalls && v < r.Below
		ep := a.step(key, AlertServiceLevel, holds, now, r.Debounce)
		if ep == nil {
			continue
		}
		level := sl.Level
		out = append(out, due{key, ep, Alert{
			Kind: AlertServiceLevel, Site: sl.Site, AccountID: sl.GroupID,
			Since: ep.since, At: now,
			ServiceLevel: &level, Below: r.Below,
			Summary: fmt.Sprintf("service level of group %d%s today %s (%d/%d), below %.1f%%",
				sl.GroupID, siteSuffix(sl.Site), level, level.Numerator, level.Denominator, 100*r.Below),
		}})
	}
	a.clearMissing(AlertServiceLevel, seen, now, r.Debounce)
	a.mu.Unlock()
	return a.deliver(ctx, out)
}

// LostCallers evaluates the lost-caller rule at now on the current
// lost-caller episodes (e.g. Reporter.LostCallers over today's calls, as
// of now) and delivers the alerts that became due. Pass every current
// episode each time, not only new ones: an unfired episode missing from
// the input is dropped. Without the rule it does nothing. The error joins
// the failed deliveries.
func (a *Alerter) LostCallers(ctx context.Context, now time.Time, eps []callflow.LostCaller) error {
	r := a.rules.LostCaller
	if r == nil {
		return nil
	}
	a.mu.Lock()
	seen := make(map[string]bool, len(eps))
	var out []due
	for i := range eps {
		lc := &eps[i]
		key := LostCallerKey(*lc)
		if seen[key] {
			continue
		}
		seen[key] = true
		ep := a.eps[key]
		if ep != nil {
			ep.lastSeen = now
		}
		if ep != nil && (ep.fired || ep.delivering) {
			continue
		}
		since := lostCallerSince(lc)
		if !r.alerts(lc) {
			delete(a.eps, key) // recovered, or not of interest
			continue
		}
		if ep == nil {
			ep = &episode{kind: AlertLostCaller, lastSeen: now}
			a.eps[key] = ep
		}
		ep.since = since
		if now.Sub(since) < r.After {
			continue
		}
		ep.delivering = true
		c := cloneLostCaller(*lc)
		var group cdr.AccountID
		var site string
		if n := len(c.Attempts); n > 0 {
			group, site = c.Attempts[n-1].GroupID, c.Attempts[0].Site
		}
		out = append(out, due{key, ep, Alert{
			Kind: AlertLostCaller, Site: site, AccountID: group,
			Since: since, At: now, LostCaller: &c,
			Summary: fmt.Sprintf("lost caller (%s): lost attempts: %d, the last ended %s; not reached since",
				c.Outcome, len(c.Attempts), since.UTC().Format(time.RFC3339)),
		}})
	}
	for key, ep := range a.eps {
		if ep.kind != AlertLostCaller || seen[key] || ep.delivering {
			continue
		}
		if !ep.fired || now.Sub(ep.lastSeen) >= r.Retain {
			delete(a.eps, key)
		}
	}
	a.mu.Unlock()
	return a.deliver(ctx, out)
}

// alerts reports whether an episode is one the rule alerts on, as far as
// its outcome and hours go.
func (r *LostCallerRule) alerts(lc *callflow.LostCaller) bool {
	switch lc.Outcome {
	case callflow.LostCallerPending, callflow.LostCallerLost:
	case callflow.LostCallerUnrecoverable:
		if !r.Unrecoverable {
			return false
		}
	default:
		return false
	}
	return r.OutOfHours || !lc.OutOfHours
}

// lostCallerSince is when the caller gave up for the last time: the end of
// the last attempt, or Last when the episode lists none.
func lostCallerSince(lc *callflow.LostCaller) time.Time {
	since := lc.Last
	for _, at := range lc.Attempts {
		if at.End.After(since) {
			since = at.End
		}
	}
	return since
}

func cloneLostCaller(lc callflow.LostCaller) callflow.LostCaller {
	lc.Attempts = slices.Clone(lc.Attempts)
	return lc
}

// LostCallerKey is the stable key of a lost-caller episode: a hash of its
// number, its first arrival and its first attempt's site and call id, the
// things that do not change while the episode grows. It is a hash so that
// keys, alert IDs and saved state hold no phone number; it is not a
// secret-keyed pseudonym, so pseudonymise the episodes first if that
// matters.
func LostCallerKey(lc callflow.LostCaller) string {
	var b strings.Builder
	b.WriteString(lc.Number.String())
	b.WriteByte(0)
	b.WriteString(strconv.FormatInt(lc.First.UnixNano(), 10))
	if len(lc.Attempts) > 0 {
		b.WriteByte(0)
		b.WriteString(lc.Attempts[0].Site)
		b.WriteByte(0)
		b.WriteString(lc.Attempts[0].CallID)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return string(AlertLostCaller) + ":" + hex.EncodeToString(sum[:16])
}

// scopeKey is the episode key of a condition rule on one queue or group.
func scopeKey(kind AlertKind, site string, id cdr.AccountID) string {
	return string(kind) + ":" + strconv.Quote(site) + ":" + strconv.FormatInt(int64(id), 10)
}

func siteSuffix(site string) string {
	if site == "" {
		return ""
	}
	return " at " + strconv.Quote(site)
}

// alertID derives an alert's ID from its episode key and, for condition
// rules, the episode's start: hex, safe in any header.
func alertID(kind AlertKind, key string, since time.Time) string {
	s := key
	if kind != AlertLostCaller {
		s += "\x00" + strconv.FormatInt(since.UnixNano(), 10)
	}
	sum := sha256.Sum256([]byte(s))
	return string(kind) + "-" + hex.EncodeToString(sum[:16])
}

// step moves a condition episode on by one evaluation and returns it when
// an alert is due (and marks it delivering); a.mu is held.
func (a *Alerter) step(key string, kind AlertKind, holds bool, now time.Time, d Debounce) *episode {
	ep := a.eps[key]
	switch {
	case ep == nil && !holds:
		return nil
	case ep == nil:
		ep = &episode{kind: kind, since: now}
		a.eps[key] = ep
	case !holds:
		a.cleared(key, ep, now, d)
		return nil
	}
	ep.clearedAt = time.Time{}
	if ep.fired || ep.delivering || now.Sub(ep.since) < d.For {
		return nil
	}
	ep.delivering = true
	return ep
}

// cleared records an evaluation where the condition does not hold; a.mu
// is held.
func (a *Alerter) cleared(key string, ep *episode, now time.Time, d Debounce) {
	switch {
	case ep.delivering:
		// Decided after the delivery: see deliver.
	case !ep.fired:
		delete(a.eps, key) // pending: the debounce did not complete
	case ep.clearedAt.IsZero():
		ep.clearedAt = now
		if d.ReArm == 0 {
			delete(a.eps, key)
		}
	case now.Sub(ep.clearedAt) >= d.ReArm:
		delete(a.eps, key)
	}
}

// clearMissing treats the episodes of kind not seen in an evaluation as
// cleared; a.mu is held.
func (a *Alerter) clearMissing(kind AlertKind, seen map[string]bool, now time.Time, d Debounce) {
	for key, ep := range a.eps {
		if ep.kind == kind && !seen[key] {
			a.cleared(key, ep, now, d)
		}
	}
}

// deliver sends the due alerts in order and records which were delivered.
func (a *Alerter) deliver(ctx context.Context, out []due) error {
	var errs []error
	for i := range out {
		d := &out[i]
		d.alert.ID = alertID(d.alert.Kind, d.key, d.alert.Since)
		var err error
		if err = ctx.Err(); err == nil {
			err = a.notify(ctx, d.alert)
		}
		a.mu.Lock()
		// Not delivered, the episode stays unfired, so the next
		// evaluation that finds it due retries it with the same ID.
		d.ep.delivering = false
		d.ep.fired = err == nil
		a.mu.Unlock()
		if err != nil {
			a.log.Warn("live: alert delivery failed", "id", d.alert.ID, "kind", d.alert.Kind, "err", err)
			errs = append(errs, fmt.Errorf("live: alert %s (%s): %w", d.alert.ID, d.alert.Kind, err))
			continue
		}
		a.log.Info("live: alert fired", "id", d.alert.ID, "kind", d.alert.Kind, "account", d.alert.AccountID)
	}
	return errors.Join(errs...)
}

// AlerterState is what an Alerter remembers about its episodes, to be
// saved (it marshals to JSON) and given to Restore after a restart, so
// that an episode in progress keeps its alert ID and a fired one does not
// fire again. It holds no phone number: lost-caller episodes are keyed by
// hash.
type AlerterState struct {
	Episodes []AlertEpisode `json:"episodes"`
}

// AlertEpisode is one episode in an AlerterState.
type AlertEpisode struct {
	// Key names the rule and the queue, group or lost-caller episode.
	Key  string    `json:"key"`
	Kind AlertKind `json:"kind"`
	// Since is when the condition began to hold; Fired whether its alert
	// was delivered; ClearedAt when it stopped holding after that (zero
	// while it holds); LastSeen the last evaluation that listed a lost
	// caller.
	Since     time.Time `json:"since"`
	Fired     bool      `json:"fired,omitempty"`
	ClearedAt time.Time `json:"clearedAt,omitzero"`
	LastSeen  time.Time `json:"lastSeen,omitzero"`
}

// State returns the episodes the Alerter remembers, ordered by key. An
// alert being delivered at the moment is saved as not fired.
func (a *Alerter) State() AlerterState {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := AlerterState{Episodes: make([]AlertEpisode, 0, len(a.eps))}
	for key, ep := range a.eps {
		st.Episodes = append(st.Episodes, AlertEpisode{
			Key: key, Kind: ep.kind, Since: ep.since, Fired: ep.fired,
			ClearedAt: ep.clearedAt, LastSeen: ep.lastSeen,
		})
	}
	slices.SortFunc(st.Episodes, func(x, y AlertEpisode) int { return strings.Compare(x.Key, y.Key) })
	return st
}

// Restore replaces what the Alerter remembers with a saved State.
// Episodes of rules the Alerter does not have are dropped, so that
// changed rules do not leave orphans. The error names the invalid
// episodes; nothing is restored then.
func (a *Alerter) Restore(st AlerterState) error {
	eps := make(map[string]*episode, len(st.Episodes))
	var errs []error
	for i, e := range st.Episodes {
		var on bool
		switch e.Kind {
		case AlertQueueWaiting:
			on = a.rules.QueueWaiting != nil
		case AlertServiceLevel:
			on = a.rules.ServiceLevel != nil
		case AlertLostCaller:
			on = a.rules.LostCaller != nil
		default:
			errs = append(errs, fmt.Errorf("episode %d: unknown kind %q", i, e.Kind))
			continue
		}
		if !strings.HasPrefix(e.Key, string(e.Kind)+":") {
			errs = append(errs, fmt.Errorf("episode %d: key does not belong to kind %q", i, e.Kind))
			continue
		}
		if _, dup := eps[e.Key]; dup {
			errs = append(errs, fmt.Errorf("episode %d: key listed twice", i))
			continue
		}
		if on {
			eps[e.Key] = &episode{kind: e.Kind, since: e.Since, fired: e.Fired, clearedAt: e.ClearedAt, lastSeen: e.LastSeen}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("live: alerter: restore: %w", err)
	}
	a.mu.Lock()
	a.eps = eps
	a.mu.Unlock()
	return nil
}
