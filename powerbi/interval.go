package powerbi

import (
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"
)

// Interval is the period of a periodic upload (the product backfills 7,500
// entries every 30 s, then sends new entries every 30 s) that lengthens
// step by step after HTTP 429 responses and recovers step by step once
// Power BI has been quiet. Quota decides when each single request may go;
// Interval decides how often the job runs, so that a dataset that keeps
// being refused is asked less often.
//
// The policy:
//
//   - ThrottledAt: one step longer (×factor, default 2), at most max; and
//     never shorter than the Retry-After received, even beyond max, since
//     an earlier upload would only be refused again. A 429 never shortens
//     the interval.
//   - SucceededAt: once no 429 and no step happened for the quiet period
//     (default 10 minutes), one step shorter (÷factor), at most max and at
//     least base. Each step starts a new quiet period, so recovery from
//     max to base takes about log_factor(max/base) quiet periods.
//
// An Interval is safe for concurrent use.
type Interval struct {
	base, max time.Duration
	factor    float64
	quiet     time.Duration
	log       *slog.Logger

	mu      sync.Mutex
	next    time.Duration
	changed time.Time // last 429 or step; zero before the first
}

// IntervalOption configures an Interval.
type IntervalOption func(*Interval)

// WithIntervalFactor sets the step: ×f after a 429, ÷f on recovery.
// It must be greater than 1; the default is 2.
func WithIntervalFactor(f float64) IntervalOption { return func(i *Interval) { i.factor = f } }

// WithIntervalQuiet sets how long without a 429 the interval stays before
// each step back toward base. It must not be negative; the default is 10
// minutes.
func WithIntervalQuiet(d time.Duration) IntervalOption { return func(i *Interval) { i.quiet = d } }

// WithIntervalLogger logs each change of the interval at Info. The default
// discards.
func WithIntervalLogger(l *slog.Logger) IntervalOption {
	return func(i *Interval) {
		if l != nil {
			i.log = l
		}
	}
}

// NewInterval returns an Interval that starts at base and grows up to ceiling
// after 429s. The error names the invalid parameter.
func NewInterval(base, ceiling time.Duration, opts ...IntervalOption) (*Interval, error) {
	i := &Interval{
		base:   base,
		max:    ceiling,
		factor: 2,
		quiet:  10 * time.Minute,
		log:    slog.New(slog.DiscardHandler),
		next:   base,
	}
	for _, o := range opts {
		o(i)
	}
	switch {
	case base <= 0:
		return nil, fmt.Errorf("powerbi: interval: base must be positive, got %v", base)
	case ceiling < base:
		return nil, fmt.Errorf("powerbi: interval: ceiling (%v) is shorter than base (%v)", ceiling, base)
	case !(i.factor > 1) || math.IsInf(i.factor, 1):
		return nil, fmt.Errorf("powerbi: interval: factor must be a finite number above 1, got %v", i.factor)
	case i.quiet < 0:
		return nil, fmt.Errorf("powerbi: interval: quiet period must not be negative, got %v", i.quiet)
	}
	return i, nil
}

// Next returns the interval to wait before the next upload.
func (i *Interval) Next() time.Duration {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.next
}

// Throttled is ThrottledAt(time.Now(), retryAfter).
func (i *Interval) Throttled(retryAfter time.Duration) { i.ThrottledAt(time.Now(), retryAfter) }

// ThrottledAt records a 429 received at now with the given Retry-After
// (0 if none): the interval grows one step, capped at max, and to at least
// retryAfter.
func (i *Interval) ThrottledAt(now time.Time, retryAfter time.Duration) {
	i.mu.Lock()
	defer i.mu.Unlock()
	old := i.next
	i.next = max(old, i.scale(old, i.factor), retryAfter)
	i.changed = now
	if i.next != old {
		i.log.Info("powerbi: upload interval lengthened", "from", old, "to", i.next, "retry_after", retryAfter)
	}
}

// Succeeded is SucceededAt(time.Now()).
func (i *Interval) Succeeded() { i.SucceededAt(time.Now()) }

// SucceededAt records an upload that was not refused. After a quiet period
// since the last 429 or step, the interval shrinks one step toward base.
func (i *Interval) SucceededAt(now time.Time) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.next <= i.base || now.Sub(i.changed) < i.quiet {
		return
	}
	old := i.next
	i.next = max(i.base, i.scale(old, 1/i.factor))
	i.changed = now
	i.log.Info("powerbi: upload interval shortened", "from", old, "to", i.next)
}

// scale returns d×f, at most max.
func (i *Interval) scale(d time.Duration, f float64) time.Duration {
	if s := float64(d) * f; s < float64(i.max) {
		return time.Duration(s)
	}
	return i.max
}
