package powerbitest

import (
	"time"
)

// Limits are the push dataset limits the fake enforces, all at once and
// per dataset (Microsoft's "Push semantic model limitations"; DOMAIN.md
// §5). [DefaultLimits] are the real service's; tests shrink them with
// [WithLimits] to hit a limit with a handful of rows.
//
// A zero field takes its default, so a Limits literal need only name the
// fields it changes; a negative field switches that limit off.
type Limits struct {
	// MaxRowsPerPost is the most rows one POST rows request may carry;
	// more is a 400.
	MaxRowsPerPost int
	// MaxRowsPerHour is the most rows a dataset takes in any rolling
	// hour; beyond it, 429.
	MaxRowsPerHour int
	// MaxPostsPerMinute is the most POST rows requests a dataset takes
	// in any rolling minute; beyond it, 429.
	MaxPostsPerMinute int
	// MaxPostsPerHourLarge is the most POST rows requests a dataset takes
	// in any rolling hour once the target table holds LargeTableRows
	// rows or more; beyond it, 429.
	MaxPostsPerHourLarge int
	// LargeTableRows is the table size from which MaxPostsPerHourLarge
	// applies.
	LargeTableRows int
	// MaxPendingPosts is the most POST rows requests a dataset has in
	// flight at once; one more is a 429 with Retry-After: 1.
	MaxPendingPosts int
	// MaxTables, MaxColumns (per table) and MaxRelationships are checked
	// when a dataset is created or a table is put; more is a 400.
	MaxTables        int
	MaxColumns       int
	MaxRelationships int
	// FIFORows is how many rows a basicFIFO table keeps: the newest; the
	// oldest are dropped as new ones arrive.
	FIFORows int
	// MaxRowsNoRetention is how many rows a table of a dataset with
	// retention policy None may hold; a POST that would exceed it is a
	// 400 and stores nothing.
	MaxRowsNoRetention int
	// MaxStringLength is the longest String value, in UTF-16 code units
	// (the service's characters); longer is a 400.
	MaxStringLength int
}

// DefaultLimits returns the real service's limits.
func DefaultLimits() Limits {
	return Limits{
		MaxRowsPerPost:       10_000,
		MaxRowsPerHour:       1_000_000,
		MaxPostsPerMinute:    120,
		MaxPostsPerHourLarge: 120,
		LargeTableRows:       250_000,
		MaxPendingPosts:      5,
		MaxTables:            75,
		MaxColumns:           75,
		MaxRelationships:     75,
		FIFORows:             200_000,
		MaxRowsNoRetention:   5_000_000,
		MaxStringLength:      4_000,
	}
}

// withDefaults fills l's zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	for _, f := range []struct{ v, def *int }{
		{&l.MaxRowsPerPost, &d.MaxRowsPerPost},
		{&l.MaxRowsPerHour, &d.MaxRowsPerHour},
		{&l.MaxPostsPerMinute, &d.MaxPostsPerMinute},
		{&l.MaxPostsPerHourLarge, &d.MaxPostsPerHourLarge},
		{&l.LargeTableRows, &d.LargeTableRows},
		{&l.MaxPendingPosts, &d.MaxPendingPosts},
		{&l.MaxTables, &d.MaxTables},
		{&l.MaxColumns, &d.MaxColumns},
		{&l.MaxRelationships, &d.MaxRelationships},
		{&l.FIFORows, &d.FIFORows},
		{&l.MaxRowsNoRetention, &d.MaxRowsNoRetention},
		{&l.MaxStringLength, &d.MaxStringLength},
	} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	return l
}

// The rolling windows of the rate limits.
const (
	minute = time.Minute
	hour   = time.Hour
)

// event is one accepted POST rows request of a dataset.
type event struct {
	at   time.Time
	rows int
}

// window is a dataset's accepted POST rows requests of the last hour,
// oldest first: enough to answer every rolling limit.
type window struct{ events []event }

// prune forgets events older than the longest window.
func (w *window) prune(now time.Time) {
	i := 0
	for i < len(w.events) && !now.Before(w.events[i].at.Add(hour)) {
		i++
	}
	w.events = w.events[i:]
}

func (w *window) add(now time.Time, rows int) { w.events = append(w.events, event{now, rows}) }

// inWindow returns the events of the last d.
func (w *window) inWindow(now time.Time, d time.Duration) []event {
	i := 0
	for i < len(w.events) && !now.Before(w.events[i].at.Add(d)) {
		i++
	}
	return w.events[i:]
}

// waitForCount returns how long until fewer than limit requests remain
// in the rolling window d, so one more fits; 0 if one fits now.
func (w *window) waitForCount(now time.Time, d time.Duration, limit int) time.Duration {
	evs := w.inWindow(now, d)
	if limit <= 0 || len(evs) < limit {
		return 0
	}
	// The request fits once len(evs)-limit+1 of them have left the
	// window: the oldest ones first.
	return evs[len(evs)-limit].at.Add(d).Sub(now)
}

// waitForRows returns how long until n more rows fit in the rolling hour
// under limit; 0 if they fit now.
func (w *window) waitForRows(now time.Time, n, limit int) time.Duration {
	evs := w.inWindow(now, hour)
	sum := 0
	for _, e := range evs {
		sum += e.rows
	}
	if limit <= 0 || sum+n <= limit {
		return 0
	}
	for _, e := range evs {
		sum -= e.rows
		if sum+n <= limit {
			return e.at.Add(hour).Sub(now)
		}
	}
	// n alone exceeds the limit: the caller refuses it outright.
	return hour
}

// retryAfterSeconds is the Retry-After value for a wait: whole seconds,
// rounded up, at least 1.
func retryAfterSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}
