package powerbi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// The rolling windows of the Power BI push dataset limits.
const (
	quotaMinute = time.Minute
	quotaHour   = time.Hour
)

// quotaForever is the Delay of a reservation that can never be sent, as
// rate.InfDuration.
const quotaForever = time.Duration(math.MaxInt64)

// Errors of the quota scheduler, for errors.Is.
var (
	// ErrQuotaLimits reports a Limits value that cannot be scheduled.
	ErrQuotaLimits = errors.New("powerbi: invalid quota limits")
	// ErrQuotaRows reports a reservation for a negative number of rows or
	// for more rows than one POST rows request may carry: split first.
	ErrQuotaRows = errors.New("powerbi: rows out of range for one POST rows request")
	// ErrQuotaDeadline reports that the quota would only allow the request
	// after the context's deadline; Wait returns it at once.
	ErrQuotaDeadline = errors.New("powerbi: quota wait would exceed the context deadline")
	// ErrQuotaPending reports that all pending request slots are in use.
	ErrQuotaPending = errors.New("powerbi: too many POST rows requests in flight")
	// ErrQuotaNotReady reports a reservation that may not be sent now: too
	// early, during a 429 wait, or so late that sending now would exceed a
	// limit. Cancel it and reserve again.
	ErrQuotaNotReady = errors.New("powerbi: reservation may not be sent now")
)

// Limits are the Power BI push dataset limits on POST rows requests, all
// per dataset and all honoured at once. The windows are rolling: a limit
// "per hour" holds for every interval of one hour, not for clock hours.
type Limits struct {
	// RowsPerPost is the most rows one request may carry (10,000). A
	// reservation for more is refused: the caller splits first.
	RowsPerPost int
	// RowsPerHour is the most rows added to the dataset in any hour
	// (1,000,000).
	RowsPerHour int
	// PostsPerMinute is the most requests to the dataset in any minute (120).
	PostsPerMinute int
	// PostsPerHourLargeTable is the most requests to one table in any hour
	// once that table holds LargeTableRows or more (120).
	PostsPerHourLargeTable int
	// LargeTableRows is the size from which a table is large (250,000).
	LargeTableRows int
	// MaxPending is the most requests in flight at once (5).
	MaxPending int
}

// DefaultLimits returns the documented Power BI limits.
func DefaultLimits() Limits {
	return Limits{
		RowsPerPost:            10_000,
		RowsPerHour:            1_000_000,
		PostsPerMinute:         120,
		PostsPerHourLargeTable: 120,
		LargeTableRows:         250_000,
		MaxPending:             5,
	}
}

// Validate reports the first field that is not positive, or a RowsPerPost
// above RowsPerHour (such a request could never be sent). The error wraps
// ErrQuotaLimits.
func (l Limits) Validate() error {
	fields := [...]struct {
		name string
		v    int
	}{
		{"RowsPerPost", l.RowsPerPost},
		{"RowsPerHour", l.RowsPerHour},
		{"PostsPerMinute", l.PostsPerMinute},
		{"PostsPerHourLargeTable", l.PostsPerHourLargeTable},
		{"LargeTableRows", l.LargeTableRows},
		{"MaxPending", l.MaxPending},
	}
	for _, f := range fields {
		if f.v <= 0 {
			return fmt.Errorf("%w: %s must be positive, got %d", ErrQuotaLimits, f.name, f.v)
		}
	}
	if l.RowsPerPost > l.RowsPerHour {
		return fmt.Errorf("%w: RowsPerPost (%d) exceeds RowsPerHour (%d)", ErrQuotaLimits, l.RowsPerPost, l.RowsPerHour)
	}
	return nil
}

// QuotaOption configures a Quota.
type QuotaOption func(*Quota)

// WithQuotaLogger logs 429 waits at Info and refused waits at Debug. The
// default discards.
func WithQuotaLogger(l *slog.Logger) QuotaOption {
	return func(q *Quota) {
		if l != nil {
			q.log = l
		}
	}
}

// Quota schedules the POST rows requests of one push dataset so that they
// stay within its Limits, in the manner of golang.org/x/time/rate: Reserve
// grants a send time (a Reservation) at once, Wait sleeps until it. A
// Quota is safe for concurrent use; use one per dataset.
//
// The quota keeps a log of granted send times and rows for the last hour
// and grants each request the earliest time at which every rolling window
// containing it stays within its limit, so a delay is exact to the window:
// after 120 requests at t, the 121st goes at t+1m. A request counts from
// the time it is granted, including the rows it will add, until it is
// cancelled before it was sent.
//
// Requests for one table are granted in the order they are reserved, so a
// table's rows arrive in order and the rows a table holds when a request
// is sent are never more than the quota counted when granting it (which
// decides whether the large-table limit applies). Different tables only
// wait for each other through the shared limits.
//
// After an HTTP 429, Throttled makes the whole dataset wait at least
// Retry-After; requests granted earlier for that time are refused by
// Start, and Wait reserves them again.
//
// As with rate.Limiter, the …At methods expect non-decreasing times; an
// earlier time is treated as the latest one seen.
type Quota struct {
	lim Limits
	log *slog.Logger

	mu sync.Mutex
	// events holds granted reservations that were not cancelled before
	// being sent, sorted by send time (ties in grant order), dropped once
	// an hour old.
	events    []*Reservation
	tables    map[string]int64 // rows each table holds, counting grants
	pending   int              // started, not done
	throttled time.Time        // no request before this (429)
	latest    time.Time        // latest time seen, see the type comment
	freed     chan struct{}    // closed when a pending slot frees, made on demand

	// Scratch buffers for earliest, reused under mu so that ReserveAt
	// allocates only the Reservation.
	ptsRows, ptsPosts, ptsTable []quotaPoint
	pre, val                    []int64
	deque                       []int
}

// quotaPoint is one granted request as one window limit sees it: its send
// time and its weight (rows, or 1 for a request).
type quotaPoint struct {
	at time.Time
	w  int64
}

// NewQuota returns a Quota for one dataset. The error names the invalid
// field of l and wraps ErrQuotaLimits.
func NewQuota(l Limits, opts ...QuotaOption) (*Quota, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	q := &Quota{
		lim:    l,
		log:    slog.New(slog.DiscardHandler),
		tables: make(map[string]int64),
	}
	for _, o := range opts {
		o(q)
	}
	return q, nil
}

// Limits returns the limits the quota enforces.
func (q *Quota) Limits() Limits { return q.lim }

// SetTableRows sets the rows table holds now, e.g. from an earlier run or
// after deleting its rows; rows granted later are added to it. A negative
// n counts as 0.
func (q *Quota) SetTableRows(table string, n int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tables[table] = max(n, 0)
}

// TableRows returns the rows the quota counts for table: the last
// SetTableRows plus the rows granted since, less those given back.
func (q *Quota) TableRows(table string) int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.tables[table]
}

// Reserve is ReserveAt(time.Now(), table, rows).
func (q *Quota) Reserve(table string, rows int) *Reservation {
	return q.ReserveAt(time.Now(), table, rows)
}

// ReserveAt grants a POST of rows rows to table the earliest send time at
// or after now that keeps every limit, and counts it from then on. The
// caller waits DelayFrom(now), calls StartAt when sending and DoneAt when
// the response arrives, or CancelAt if it does not send. A request for
// rows < 0 or rows > RowsPerPost is refused: OK reports false and nothing
// is counted.
func (q *Quota) ReserveAt(now time.Time, table string, rows int) *Reservation {
	q.mu.Lock()
	defer q.mu.Unlock()
	r, _ := q.reserveLocked(now, table, rows, quotaForever)
	return r
}

// reserveLocked grants a reservation if its send time is at most maxWait
// after now. Otherwise it returns nil and the send time, and changes
// nothing, so that a refused Wait leaves no trace.
func (q *Quota) reserveLocked(now time.Time, table string, rows int, maxWait time.Duration) (*Reservation, time.Time) {
	now = q.advance(now)
	if rows < 0 || rows > q.lim.RowsPerPost {
		return &Reservation{q: q, table: table, rows: rows}, time.Time{}
	}
	t0 := now
	if q.throttled.After(t0) {
		t0 = q.throttled
	}
	if last, ok := q.lastOf(table); ok && last.After(t0) {
		t0 = last
	}
	at := q.earliest(t0, table, rows, q.large(table, 0))
	if at.Sub(now) > maxWait {
		return nil, at
	}
	r := &Reservation{q: q, ok: true, table: table, rows: rows, at: at}
	q.insert(r)
	q.tables[table] += int64(rows)
	return r, at
}

// large reports whether the table counts as large for a request, not
// counting the request's own rows (the limit applies once the table
// holds LargeTableRows).
func (q *Quota) large(table string, own int) bool {
	return q.tables[table]-int64(own) >= int64(q.lim.LargeTableRows)
}

// advance clamps now to the latest time seen and drops events an hour old,
// which no window at or after now can contain.
func (q *Quota) advance(now time.Time) time.Time {
	if now.Before(q.latest) {
		return q.latest
	}
	q.latest = now
	if k := q.after(now.Add(-quotaHour)); k > 0 {
		q.events = slices.Delete(q.events, 0, k)
	}
	return now
}

// after returns the index of the first event later than t.
func (q *Quota) after(t time.Time) int {
	return sort.Search(len(q.events), func(i int) bool { return q.events[i].at.After(t) })
}

// lastOf returns the latest granted send time for table.
func (q *Quota) lastOf(table string) (time.Time, bool) {
	for i := len(q.events) - 1; i >= 0; i-- {
		if q.events[i].table == table {
			return q.events[i].at, true
		}
	}
	return time.Time{}, false
}

// insert adds r after the events at the same time, keeping grant order.
func (q *Quota) insert(r *Reservation) {
	q.events = slices.Insert(q.events, q.after(r.at), r)
}

// index returns r's position in events, or -1 once it was dropped.
func (q *Quota) index(r *Reservation) int {
	i := sort.Search(len(q.events), func(i int) bool { return !q.events[i].at.Before(r.at) })
	for ; i < len(q.events) && q.events[i].at.Equal(r.at); i++ {
		if q.events[i] == r {
			return i
		}
	}
	return -1
}

// earliest returns the earliest time at or after t0 at which a request of
// rows rows to table keeps all window limits. Each limit alone answers
// with its own earliest time; a time one limit moves to may break another,
// so the loop runs until all agree.
func (q *Quota) earliest(t0 time.Time, table string, rows int, large bool) time.Time {
	// Events at or before t0 minus a window share no window with t ≥ t0.
	rowsPts, tablePts, postPts := q.ptsRows[:0], q.ptsTable[:0], q.ptsPosts[:0]
	var rowsSum int64
	for _, e := range q.events[q.after(t0.Add(-quotaHour)):] {
		if e.rows > 0 {
			rowsPts = append(rowsPts, quotaPoint{e.at, int64(e.rows)})
			rowsSum += int64(e.rows)
		}
		if large && e.table == table {
			tablePts = append(tablePts, quotaPoint{e.at, 1})
		}
	}
	for _, e := range q.events[q.after(t0.Add(-quotaMinute)):] {
		postPts = append(postPts, quotaPoint{e.at, 1})
	}
	q.ptsRows, q.ptsTable, q.ptsPosts = rowsPts, tablePts, postPts
	// A limit that all points together cannot reach needs no sweep: the
	// common case of small requests, where the sweep would be the cost.
	checkRows := rowsSum+int64(rows) > int64(q.lim.RowsPerHour)
	checkPosts := len(postPts) >= q.lim.PostsPerMinute
	checkTable := large && len(tablePts) >= q.lim.PostsPerHourLargeTable

	t := t0
	for {
		next := t
		if checkRows {
			next = q.earliestIn(rowsPts, next, quotaHour, int64(q.lim.RowsPerHour), int64(rows))
		}
		if checkPosts {
			next = q.earliestIn(postPts, next, quotaMinute, int64(q.lim.PostsPerMinute), 1)
		}
		if checkTable {
			next = q.earliestIn(tablePts, next, quotaHour, int64(q.lim.PostsPerHourLargeTable), 1)
		}
		if next.Equal(t) {
			return t
		}
		t = next
	}
}

// earliestIn returns the earliest time t ≥ t0 at which a new point of
// weight need keeps every window of length win containing t at most limit.
// pts is sorted by time.
//
// Points a and b share a window iff |a−b| < win. The windows containing t
// start at s ∈ (t−win, t]; the heaviest of them starts at a point or at t
// itself, because moving a start right up to the next point only adds
// points at the far end. So t fits iff V(s)+need ≤ limit for s = t and for
// every point s in (t−win, t], where V(s) is the weight in [s, s+win).
// Between the times p+win (a point leaving the back of the window) this
// only gets worse as t grows, so only t0 and those times are candidates.
// Prefix sums give V, a monotonic deque the maximum over the points in
// (t−win, t]: one pass, O(len(pts)).
func (q *Quota) earliestIn(pts []quotaPoint, t0 time.Time, win time.Duration, limit, need int64) time.Time {
	n := len(pts)
	pre := append(q.pre[:0], 0)
	for _, p := range pts {
		pre = append(pre, pre[len(pre)-1]+p.w)
	}
	val := q.val[:0]
	for j, e := 0, 0; j < n; j++ {
		end := pts[j].at.Add(win)
		e = max(e, j)
		for e < n && pts[e].at.Before(end) {
			e++
		}
		val = append(val, pre[e]-pre[j])
	}
	dq, head := q.deque[:0], 0

	lo, hi, a, b, next := 0, 0, 0, 0, 0
	t := t0
	for {
		for hi < n && !pts[hi].at.After(t) { // starts at points ≤ t
			for len(dq) > head && val[dq[len(dq)-1]] <= val[hi] {
				dq = dq[:len(dq)-1]
			}
			dq = append(dq, hi)
			hi++
		}
		for lo < n && !pts[lo].at.Add(win).After(t) { // points ≤ t−win are out
			lo++
		}
		for head < len(dq) && dq[head] < lo {
			head++
		}
		var heaviest int64
		if head < len(dq) {
			heaviest = val[dq[head]]
		}
		for a < n && pts[a].at.Before(t) { // the window [t, t+win)
			a++
		}
		end := t.Add(win)
		b = max(a, b)
		for b < n && pts[b].at.Before(end) {
			b++
		}
		heaviest = max(heaviest, pre[b]-pre[a])
		for next < n && !pts[next].at.Add(win).After(t) {
			next++
		}
		// next == n: all points have left every window containing t, so
		// only need > limit fails here, which Validate and ReserveAt rule out.
		if heaviest+need <= limit || next == n {
			q.pre, q.val, q.deque = pre, val, dq // keep the grown buffers
			return t
		}
		t = pts[next].at.Add(win)
	}
}

// ThrottledAt records an HTTP 429 received at now with the given
// Retry-After: no request of the dataset goes before now+retryAfter. A
// longer wait already in force is kept. Pass a fallback when the response
// had no usable Retry-After; a non-positive retryAfter has no effect.
func (q *Quota) ThrottledAt(now time.Time, retryAfter time.Duration) {
	until := now.Add(retryAfter)
	q.mu.Lock()
	defer q.mu.Unlock()
	if until.After(q.throttled) {
		q.throttled = until
		q.log.Info("powerbi: dataset throttled", "retry_after", retryAfter, "until", until)
	}
}

// Throttled is ThrottledAt(time.Now(), retryAfter).
func (q *Quota) Throttled(retryAfter time.Duration) { q.ThrottledAt(time.Now(), retryAfter) }

// Until returns the earliest time a new one-row request to a small table
// could be sent, for status and ETA: UntilAt(time.Now()).
func (q *Quota) Until() time.Time { return q.UntilAt(time.Now()) }

// UntilAt returns the earliest time at or after now that a new one-row
// request to a small table could be sent, counting the 429 wait and the
// window limits but not pending slots, which free when responses arrive.
func (q *Quota) UntilAt(now time.Time) time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.untilLocked(now)
}

func (q *Quota) untilLocked(now time.Time) time.Time {
	t0 := now
	if q.latest.After(t0) {
		t0 = q.latest
	}
	if q.throttled.After(t0) {
		t0 = q.throttled
	}
	return q.earliest(t0, "", 1, false)
}

// QuotaStats is a snapshot of a Quota for progress reports. The windows
// end at At and count every granted request whose send time lies in them,
// whether or not it was already sent.
type QuotaStats struct {
	At              time.Time
	RowsLastHour    int64 // rows in (At−1h, At]
	PostsLastMinute int   // requests in (At−1m, At]
	PostsLastHour   int   // requests in (At−1h, At]
	Pending         int   // requests started and not done
	Scheduled       int   // granted, not started, send time after At
	// ThrottledUntil is the end of the latest 429 wait; it may be past.
	ThrottledUntil time.Time
	// Until is UntilAt(At).
	Until time.Time
	// TableRows are the rows the quota counts per table.
	TableRows map[string]int64
}

// Stats is StatsAt(time.Now()).
func (q *Quota) Stats() QuotaStats { return q.StatsAt(time.Now()) }

// StatsAt returns a snapshot of the quota at now.
func (q *Quota) StatsAt(now time.Time) QuotaStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := QuotaStats{
		At:             now,
		Pending:        q.pending,
		ThrottledUntil: q.throttled,
		Until:          q.untilLocked(now),
		TableRows:      make(map[string]int64, len(q.tables)),
	}
	for _, e := range q.events {
		switch {
		case e.at.After(now):
			if e.state == reservationGranted {
				s.Scheduled++
			}
		case e.at.After(now.Add(-quotaHour)):
			s.RowsLastHour += int64(e.rows)
			s.PostsLastHour++
			if e.at.After(now.Add(-quotaMinute)) {
				s.PostsLastMinute++
			}
		}
	}
	for t, n := range q.tables {
		s.TableRows[t] = n
	}
	return s
}

// Wait waits until a POST of rows rows to table may be sent, including a
// free pending slot, and returns the reservation already started. The
// caller sends at once, then calls Done, or Cancel if the request was not
// sent or was refused with 429 (a refused request adds no rows).
//
// If the quota needs a wait beyond ctx's deadline, Wait returns an error
// wrapping ErrQuotaDeadline at once and keeps nothing reserved. If ctx
// ends while waiting, the reservation is cancelled and the error wraps
// ctx.Err(). rows outside [0, RowsPerPost] give ErrQuotaRows.
func (q *Quota) Wait(ctx context.Context, table string, rows int) (*Reservation, error) {
	if rows < 0 || rows > q.lim.RowsPerPost {
		return nil, fmt.Errorf("%w: table %q: %d rows, at most %d per request", ErrQuotaRows, table, rows, q.lim.RowsPerPost)
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("powerbi: quota wait for table %q: %w", table, err)
		}
		now := time.Now()
		q.mu.Lock()
		if q.pending >= q.lim.MaxPending {
			// Reserve only once a slot is free: a send time kept while
			// waiting for a response could not be used.
			if q.freed == nil {
				q.freed = make(chan struct{})
			}
			freed := q.freed
			q.mu.Unlock()
			select {
			case <-freed:
				continue
			case <-ctx.Done():
				return nil, fmt.Errorf("powerbi: quota wait for table %q (%d requests in flight): %w", table, q.lim.MaxPending, ctx.Err())
			}
		}
		maxWait := quotaForever
		if dl, ok := ctx.Deadline(); ok {
			maxWait = dl.Sub(now)
		}
		r, at := q.reserveLocked(now, table, rows, maxWait)
		if r == nil {
			q.mu.Unlock()
			q.log.Debug("powerbi: quota wait refused", "table", table, "rows", rows, "wait", at.Sub(now))
			return nil, fmt.Errorf("%w: table %q, %d rows: may be sent in %v", ErrQuotaDeadline, table, rows, at.Sub(now))
		}
		if !at.After(now) {
			r.state = reservationStarted
			q.pending++
			q.mu.Unlock()
			return r, nil
		}
		q.mu.Unlock()

		timer := time.NewTimer(at.Sub(now))
		select {
		case <-ctx.Done():
			timer.Stop()
			r.Cancel()
			return nil, fmt.Errorf("powerbi: quota wait for table %q: %w", table, ctx.Err())
		case <-timer.C:
		}
		err := r.StartAt(time.Now())
		if err == nil {
			return r, nil
		}
		// Slots taken or a 429 arrived while sleeping: start over.
		r.Cancel()
		q.log.Debug("powerbi: quota wait retries", "table", table, "reason", err)
	}
}

// reservationState is where a Reservation is in its life.
type reservationState uint8

const (
	reservationGranted reservationState = iota
	reservationStarted
	reservationDone
	reservationCancelled
)

func (s reservationState) String() string {
	switch s {
	case reservationGranted:
		return "granted"
	case reservationStarted:
		return "started"
	case reservationDone:
		return "done"
	default:
		return "cancelled"
	}
}

// Reservation is a send time granted by a Quota for one POST rows request,
// like rate.Reservation. Its methods are safe for concurrent use with the
// Quota's.
type Reservation struct {
	q     *Quota
	ok    bool
	table string
	rows  int       // rows counted; 0 once a sent request is cancelled
	at    time.Time // send time
	state reservationState
}

// OK reports whether the reservation was granted. A reservation for more
// rows than RowsPerPost (or fewer than 0) is not.
func (r *Reservation) OK() bool { return r != nil && r.ok }

// Delay is DelayFrom(time.Now()).
func (r *Reservation) Delay() time.Duration { return r.DelayFrom(time.Now()) }

// DelayFrom returns how long after now the request may be sent: 0 if it
// may go now, the maximum Duration if the reservation is not OK.
func (r *Reservation) DelayFrom(now time.Time) time.Duration {
	if !r.OK() {
		return quotaForever
	}
	r.q.mu.Lock()
	defer r.q.mu.Unlock()
	return max(r.at.Sub(now), 0)
}

// Start is StartAt(time.Now()).
func (r *Reservation) Start() error { return r.StartAt(time.Now()) }

// StartAt marks the request as sent at now: it holds a pending slot until
// DoneAt or CancelAt. It fails, changing nothing, if the reservation is
// not OK or not fresh, if now is before its send time or within a 429
// wait (ErrQuotaNotReady), or if all slots are in use (ErrQuotaPending).
// A start later than the send time moves the request to now if all limits
// still hold there, and otherwise fails with ErrQuotaNotReady.
func (r *Reservation) StartAt(now time.Time) error {
	if !r.OK() {
		return fmt.Errorf("%w: the reservation was refused", ErrQuotaRows)
	}
	q := r.q
	q.mu.Lock()
	defer q.mu.Unlock()
	if r.state != reservationGranted {
		return fmt.Errorf("powerbi: start request to table %q: reservation already %v", r.table, r.state)
	}
	now = q.advance(now)
	switch {
	case now.Before(r.at):
		return fmt.Errorf("%w: table %q: %v too early", ErrQuotaNotReady, r.table, r.at.Sub(now))
	case now.Before(q.throttled):
		return fmt.Errorf("%w: table %q: throttled for another %v", ErrQuotaNotReady, r.table, q.throttled.Sub(now))
	case q.pending >= q.lim.MaxPending:
		return fmt.Errorf("%w: table %q: %d in flight", ErrQuotaPending, r.table, q.pending)
	case now.After(r.at) && !q.move(r, now):
		return fmt.Errorf("%w: table %q: sending %v late would exceed a limit", ErrQuotaNotReady, r.table, now.Sub(r.at))
	}
	r.state = reservationStarted
	q.pending++
	return nil
}

// move moves r's send time to now if that keeps every limit and the
// table's order.
func (q *Quota) move(r *Reservation, now time.Time) bool {
	i := q.index(r)
	if i >= 0 {
		for _, e := range q.events[i+1:] {
			if e.at.After(now) {
				break
			}
			if e.table == r.table {
				return false
			}
		}
		q.events = slices.Delete(q.events, i, i+1)
	}
	if at := q.earliest(now, r.table, r.rows, q.large(r.table, r.rows)); !at.Equal(now) {
		if i >= 0 {
			q.insert(r)
		}
		return false
	}
	r.at = now
	q.insert(r)
	return true
}

// Done is DoneAt(time.Now()).
func (r *Reservation) Done() { r.DoneAt(time.Now()) }

// DoneAt marks the response as received and frees the pending slot. The
// request keeps counting: its rows were (or may have been) added. A
// reservation that was never started is taken as sent at its send time.
// The time is accepted for symmetry; the quota needs none.
func (r *Reservation) DoneAt(now time.Time) {
	if !r.OK() {
		return
	}
	q := r.q
	q.mu.Lock()
	defer q.mu.Unlock()
	switch r.state {
	case reservationStarted:
		q.release()
		fallthrough
	case reservationGranted:
		r.state = reservationDone
	}
}

// Cancel is CancelAt(time.Now()).
func (r *Reservation) Cancel() { r.CancelAt(time.Now()) }

// CancelAt gives back what the request did not use. Not yet started, it
// gives back everything: the send time (later requests may move into it)
// and the rows. Started, i.e. refused with 429 or not sent after all, it
// frees the pending slot and gives back the rows but still counts as a
// request, since Power BI may have counted it. Done or cancelled
// reservations are left alone. The time is accepted for symmetry; the
// quota knows from StartAt what was used.
func (r *Reservation) CancelAt(now time.Time) {
	if !r.OK() {
		return
	}
	q := r.q
	q.mu.Lock()
	defer q.mu.Unlock()
	switch r.state {
	case reservationGranted:
		if i := q.index(r); i >= 0 {
			q.events = slices.Delete(q.events, i, i+1)
		}
	case reservationStarted:
		q.release()
	default:
		return
	}
	q.tables[r.table] = max(q.tables[r.table]-int64(r.rows), 0)
	r.rows = 0
	r.state = reservationCancelled
}

// release frees a pending slot and wakes the waiters for one.
func (q *Quota) release() {
	q.pending--
	if q.freed != nil {
		close(q.freed)
		q.freed = nil
	}
}
