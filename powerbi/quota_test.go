package powerbi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func quotaEpoch() time.Time { return time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC) }

// quotaLoose returns limits no test reaches, so that a test can turn on one.
func quotaLoose() Limits {
	return Limits{
		RowsPerPost:            10_000,
		RowsPerHour:            math.MaxInt32,
		PostsPerMinute:         math.MaxInt32,
		PostsPerHourLargeTable: math.MaxInt32,
		LargeTableRows:         math.MaxInt32,
		MaxPending:             math.MaxInt32,
	}
}

func newTestQuota(t testing.TB, l Limits, tables map[string]int64) *Quota {
	t.Helper()
	q, err := NewQuota(l)
	require.NoError(t, err)
	for name, n := range tables {
		q.SetTableRows(name, n)
	}
	return q
}

// quotaStep reserves n alike requests (or records a 429) at quotaEpoch+at.
type quotaStep struct {
	at       time.Duration
	table    string
	rows     int
	n        int           // 0 means 1
	throttle time.Duration // if set, ThrottledAt(at, throttle) instead
	want     time.Duration // DelayFrom(at) of each reservation
}

// runQuotaSteps returns the delays as runs "step i: n×delay" so that a
// failure shows which request of a burst went wrong.
func runQuotaSteps(t *testing.T, q *Quota, steps []quotaStep) (want, got []string) {
	t.Helper()
	for i, s := range steps {
		now := quotaEpoch().Add(s.at)
		if s.throttle != 0 {
			q.ThrottledAt(now, s.throttle)
			continue
		}
		n := max(s.n, 1)
		want = append(want, fmt.Sprintf("step %d: %d×%v", i, n, s.want))
		var runs []string
		var last time.Duration
		count := 0
		for k := range n {
			r := q.ReserveAt(now, s.table, s.rows)
			require.True(t, r.OK(), "step %d #%d", i, k)
			d := r.DelayFrom(now)
			if count > 0 && d != last {
				runs = append(runs, fmt.Sprintf("%d×%v", count, last))
				count = 0
			}
			last = d
			count++
		}
		runs = append(runs, fmt.Sprintf("%d×%v", count, last))
		got = append(got, fmt.Sprintf("step %d: %s", i, strings.Join(runs, ", ")))
	}
	return want, got
}

func TestLimitsValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Limits)
		want   string // "" for valid
	}{
		{"defaults", func(*Limits) {}, ""},
		{"RowsPerPost", func(l *Limits) { l.RowsPerPost = 0 }, "RowsPerPost must be positive, got 0"},
		{"RowsPerHour", func(l *Limits) { l.RowsPerHour = -1 }, "RowsPerHour must be positive, got -1"},
		{"PostsPerMinute", func(l *Limits) { l.PostsPerMinute = 0 }, "PostsPerMinute must be positive"},
		{"PostsPerHourLargeTable", func(l *Limits) { l.PostsPerHourLargeTable = 0 }, "PostsPerHourLargeTable must be positive"},
		{"LargeTableRows", func(l *Limits) { l.LargeTableRows = 0 }, "LargeTableRows must be positive"},
		{"MaxPending", func(l *Limits) { l.MaxPending = 0 }, "MaxPending must be positive"},
		{"post above hour", func(l *Limits) { l.RowsPerHour = 9_999 }, "RowsPerPost (10000) exceeds RowsPerHour (9999)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := DefaultLimits()
			tt.modify(&l)
			q, err := NewQuota(l)
			if tt.want == "" {
				require.NoError(t, err)
				require.NotNil(t, q)
				return
			}
			require.ErrorIs(t, err, ErrQuotaLimits)
			require.ErrorContains(t, err, tt.want)
			require.Nil(t, q)
		})
	}
}

func TestQuotaRowsPerPost(t *testing.T) {
	tests := []struct {
		rows   int
		wantOK bool
	}{
		{-1, false},
		{0, true}, // an empty POST still counts as a request
		{1, true},
		{10_000, true},
		{10_001, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.rows), func(t *testing.T) {
			q := newTestQuota(t, DefaultLimits(), nil)
			now := quotaEpoch()
			r := q.ReserveAt(now, "calls", tt.rows)
			require.Equal(t, tt.wantOK, r.OK())
			want := time.Duration(0)
			if !tt.wantOK {
				want = time.Duration(math.MaxInt64)
				require.ErrorIs(t, r.StartAt(now), ErrQuotaRows)
				_, err := q.Wait(t.Context(), "calls", tt.rows)
				require.ErrorIs(t, err, ErrQuotaRows)
				r.CancelAt(now) // no effect, no panic
				r.DoneAt(now)
			}
			if diff := cmp.Diff(want, r.DelayFrom(now)); diff != "" {
				t.Errorf("delay (-want +got):\n%s", diff)
			}
			wantStats := QuotaStats{At: now, Until: now, TableRows: map[string]int64{}}
			if tt.wantOK {
				wantStats = QuotaStats{At: now, PostsLastMinute: 1, PostsLastHour: 1, RowsLastHour: int64(tt.rows), Until: now,
					TableRows: map[string]int64{"calls": int64(tt.rows)}}
			}
			if diff := cmp.Diff(wantStats, q.StatsAt(now)); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

// TestQuotaEachLimit turns on one limit at a time; a burst beyond it must
// wait exactly until the window lets the first requests go.
func TestQuotaEachLimit(t *testing.T) {
	with := func(f func(*Limits)) Limits { l := quotaLoose(); f(&l); return l }
	tests := []struct {
		name   string
		limits Limits
		tables map[string]int64
		steps  []quotaStep
	}{
		{
			name:   "rows per hour: burst",
			limits: with(func(l *Limits) { l.RowsPerHour = 1_000_000 }),
			steps: []quotaStep{
				{at: 0, table: "a", rows: 10_000, n: 100, want: 0},
				{at: 0, table: "a", rows: 10_000, want: time.Hour},
				{at: 0, table: "b", rows: 1, want: time.Hour},
			},
		},
		{
			name:   "rows per hour: exact fill",
			limits: with(func(l *Limits) { l.RowsPerHour = 1_000_000 }),
			steps: []quotaStep{
				{at: 0, table: "a", rows: 10_000, n: 99, want: 0},
				{at: 0, table: "a", rows: 5_000, n: 2, want: 0},
				{at: 0, table: "b", rows: 1, want: time.Hour},
			},
		},
		{
			name:   "rows per hour: rolling",
			limits: with(func(l *Limits) { l.RowsPerHour = 1_000_000 }),
			steps: []quotaStep{
				{at: 0, table: "a", rows: 10_000, n: 50, want: 0},
				{at: 30 * time.Minute, table: "a", rows: 10_000, n: 50, want: 0},
				{at: 30 * time.Minute, table: "a", rows: 10_000, n: 50, want: 30 * time.Minute},
				{at: 30 * time.Minute, table: "a", rows: 10_000, want: time.Hour},
			},
		},
		{
			name:   "posts per minute: burst",
			limits: with(func(l *Limits) { l.PostsPerMinute = 120 }),
			steps: []quotaStep{
				{at: 0, table: "a", rows: 1, n: 120, want: 0},
				{at: 0, table: "b", rows: 1, want: time.Minute},
				{at: 30 * time.Second, table: "a", rows: 1, n: 119, want: 30 * time.Second},
				{at: 30 * time.Second, table: "a", rows: 1, want: 90 * time.Second},
			},
		},
		{
			name:   "posts per minute: rolling",
			limits: with(func(l *Limits) { l.PostsPerMinute = 120 }),
			steps: []quotaStep{
				{at: 0, table: "a", rows: 10_000, n: 60, want: 0},
				{at: 30 * time.Second, table: "a", rows: 10_000, n: 60, want: 0},
				{at: 30 * time.Second, table: "a", rows: 10_000, n: 60, want: 30 * time.Second},
				{at: 30 * time.Second, table: "a", rows: 10_000, want: time.Minute},
			},
		},
		{
			name: "posts per hour of a large table",
			limits: with(func(l *Limits) {
				l.LargeTableRows = 250_000
				l.PostsPerHourLargeTable = 120
			}),
			tables: map[string]int64{"big": 250_000},
			steps: []quotaStep{
				{at: 0, table: "big", rows: 1, n: 120, want: 0},
				{at: 0, table: "big", rows: 1, want: time.Hour},
				{at: 0, table: "small", rows: 1, n: 200, want: 0}, // other tables are not held up
				{at: 10 * time.Minute, table: "big", rows: 1, n: 119, want: 50 * time.Minute},
				{at: 10 * time.Minute, table: "big", rows: 1, want: 110 * time.Minute},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newTestQuota(t, tt.limits, tt.tables)
			want, got := runQuotaSteps(t, q, tt.steps)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("delays (-want +got):\n%s", diff)
			}
		})
	}
}

// TestQuotaAllLimits runs the default limits together: a table turning
// large, the minute window, the hour's rows and a 429.
func TestQuotaAllLimits(t *testing.T) {
	q := newTestQuota(t, DefaultLimits(), nil)
	want, got := runQuotaSteps(t, q, []quotaStep{
		{at: 0, table: "calls", rows: 10_000, n: 25, want: 0},                 // calls reaches 250,000 rows
		{at: 0, table: "calls", rows: 1, n: 95, want: 0},                      // 120 requests at 0
		{at: 0, table: "users", rows: 1, want: time.Minute},                   // minute window full
		{at: 0, table: "calls", rows: 1, want: time.Hour},                     // large table: 120 per hour
		{at: 10 * time.Minute, table: "users", rows: 10_000, want: 0},         // 260,096 rows in the hour
		{at: 10 * time.Minute, table: "queues", rows: 10_000, n: 73, want: 0}, // 990,096
		{at: 10 * time.Minute, table: "queues", rows: 10_000, want: 50 * time.Minute},
		{at: 20 * time.Minute, throttle: 45 * time.Minute},
		{at: 20 * time.Minute, table: "users", rows: 1, want: 45 * time.Minute},
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
}

func TestQuotaThrottled(t *testing.T) {
	type throttle struct{ at, retryAfter time.Duration }
	tests := []struct {
		name      string
		throttles []throttle
		reserveAt time.Duration
		wantDelay time.Duration
	}{
		{"one", []throttle{{0, 30 * time.Second}}, 0, 30 * time.Second},
		{"reserve during the wait", []throttle{{0, 30 * time.Second}}, 10 * time.Second, 20 * time.Second},
		{"reserve after the wait", []throttle{{0, 30 * time.Second}}, time.Minute, 0},
		{"shorter later wait keeps the longer", []throttle{{0, 30 * time.Second}, {10 * time.Second, 5 * time.Second}}, 10 * time.Second, 20 * time.Second},
		{"longer later wait extends", []throttle{{0, 30 * time.Second}, {10 * time.Second, time.Minute}}, 10 * time.Second, time.Minute},
		{"an hour", []throttle{{0, time.Hour}}, 0, time.Hour},
		{"no Retry-After", []throttle{{0, 0}, {0, -time.Second}}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newTestQuota(t, DefaultLimits(), nil)
			for _, th := range tt.throttles {
				q.ThrottledAt(quotaEpoch().Add(th.at), th.retryAfter)
			}
			now := quotaEpoch().Add(tt.reserveAt)
			if diff := cmp.Diff(now.Add(tt.wantDelay), q.UntilAt(now)); diff != "" {
				t.Errorf("UntilAt (-want +got):\n%s", diff)
			}
			for _, table := range []string{"calls", "users", "calls"} {
				r := q.ReserveAt(now, table, 10_000)
				if diff := cmp.Diff(tt.wantDelay, r.DelayFrom(now)); diff != "" {
					t.Errorf("delay of %s (-want +got):\n%s", table, diff)
				}
				// The rule itself: nothing goes before any Retry-After ran out.
				for _, th := range tt.throttles {
					if at := now.Add(r.DelayFrom(now)); at.Before(quotaEpoch().Add(th.at + th.retryAfter)) {
						t.Errorf("%s granted at %v, within the 429 wait %+v", table, at.Sub(quotaEpoch()), th)
					}
				}
			}
		})
	}
}

// TestQuotaStartDuringThrottle: a request granted before a 429 may not be
// sent until the wait is over.
func TestQuotaStartDuringThrottle(t *testing.T) {
	q := newTestQuota(t, DefaultLimits(), nil)
	now := quotaEpoch()
	r := q.ReserveAt(now, "calls", 10)
	require.Zero(t, r.DelayFrom(now))
	q.ThrottledAt(now, 30*time.Second)
	require.ErrorIs(t, r.StartAt(now.Add(29*time.Second)), ErrQuotaNotReady)
	require.NoError(t, r.StartAt(now.Add(30*time.Second)))
	require.Equal(t, 1, q.StatsAt(now.Add(30*time.Second)).Pending)
	require.ErrorContains(t, r.StartAt(now.Add(30*time.Second)), "already started")
}

func TestQuotaStartTooEarly(t *testing.T) {
	l := quotaLoose()
	l.PostsPerMinute = 1
	q := newTestQuota(t, l, nil)
	now := quotaEpoch()
	q.ReserveAt(now, "a", 1)
	r := q.ReserveAt(now, "a", 1)
	require.Equal(t, time.Minute, r.DelayFrom(now))
	require.ErrorIs(t, r.StartAt(now.Add(59*time.Second)), ErrQuotaNotReady)
	require.NoError(t, r.StartAt(now.Add(time.Minute)))
}

// TestQuotaLateStart: a request sent after its time moves there if the
// limits allow, and is refused otherwise.
func TestQuotaLateStart(t *testing.T) {
	l := quotaLoose()
	l.PostsPerMinute = 2
	q := newTestQuota(t, l, nil)
	now := quotaEpoch()
	r1 := q.ReserveAt(now, "a", 1)
	r2 := q.ReserveAt(now, "b", 1)
	r3 := q.ReserveAt(now, "c", 1)
	require.Equal(t, time.Minute, r3.DelayFrom(now))
	// r1 30 s late still leaves r3 one of the two requests in [30s, 90s).
	require.NoError(t, r1.StartAt(now.Add(30*time.Second)))
	// r2 as late would make three in [30s, 90s): refused, and it stays put.
	require.ErrorIs(t, r2.StartAt(now.Add(30*time.Second)), ErrQuotaNotReady)
	require.Equal(t, time.Minute, r3.DelayFrom(now))
	r2.CancelAt(now.Add(30 * time.Second))
	require.Equal(t, 1, q.StatsAt(now.Add(30*time.Second)).Pending)
	// Late past a later request of the same table would reorder the table.
	q2 := newTestQuota(t, quotaLoose(), nil)
	a1 := q2.ReserveAt(now, "a", 1)
	q2.ReserveAt(now.Add(time.Second), "a", 1)
	require.ErrorIs(t, a1.StartAt(now.Add(2*time.Second)), ErrQuotaNotReady)
}

func TestQuotaCancel(t *testing.T) {
	now := quotaEpoch()
	l := DefaultLimits()
	tests := []struct {
		name string
		// act reserves and gives back at now.
		act       func(t *testing.T, q *Quota)
		wantDelay time.Duration // of a 10,000-row probe at now
		wantRows  int64         // rows counted for table "calls" before the probe
		wantPosts int           // requests in the last hour before the probe
	}{
		{
			name: "granted, not sent: everything back",
			act: func(t *testing.T, q *Quota) {
				rs := make([]*Reservation, 100)
				for i := range rs {
					rs[i] = q.ReserveAt(now, "calls", 10_000)
				}
				rs[42].CancelAt(now)
			},
			wantDelay: 0, wantRows: 990_000, wantPosts: 99,
		},
		{
			name: "not cancelled: the probe waits",
			act: func(t *testing.T, q *Quota) {
				for range 100 {
					q.ReserveAt(now, "calls", 10_000)
				}
			},
			wantDelay: time.Hour, wantRows: 1_000_000, wantPosts: 100,
		},
		{
			name: "sent and refused (429): rows and slot back, still a request",
			act: func(t *testing.T, q *Quota) {
				for range 99 {
					q.ReserveAt(now, "calls", 10_000).DoneAt(now)
				}
				r := q.ReserveAt(now, "calls", 10_000)
				require.NoError(t, r.StartAt(now))
				r.CancelAt(now)
			},
			wantDelay: 0, wantRows: 990_000, wantPosts: 100,
		},
		{
			name: "done: nothing back",
			act: func(t *testing.T, q *Quota) {
				for range 100 {
					r := q.ReserveAt(now, "calls", 10_000)
					require.NoError(t, r.StartAt(now))
					r.DoneAt(now)
					r.CancelAt(now)
				}
			},
			wantDelay: time.Hour, wantRows: 1_000_000, wantPosts: 100,
		},
		{
			name: "twice: given back once",
			act: func(t *testing.T, q *Quota) {
				q.SetTableRows("calls", 5)
				r := q.ReserveAt(now, "calls", 10_000)
				r.CancelAt(now)
				r.CancelAt(now)
			},
			wantDelay: 0, wantRows: 5, wantPosts: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newTestQuota(t, l, nil)
			tt.act(t, q)
			s := q.StatsAt(now)
			require.Zero(t, s.Pending)
			if diff := cmp.Diff([]int64{tt.wantRows, int64(tt.wantPosts)}, []int64{s.TableRows["calls"], int64(s.PostsLastHour)}); diff != "" {
				t.Errorf("rows, posts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantDelay, q.ReserveAt(now, "calls", 10_000).DelayFrom(now)); diff != "" {
				t.Errorf("probe delay (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQuotaPendingStart(t *testing.T) {
	q := newTestQuota(t, DefaultLimits(), nil)
	now := quotaEpoch()
	var rs []*Reservation
	for range 5 {
		r := q.ReserveAt(now, "calls", 100)
		require.NoError(t, r.StartAt(now))
		rs = append(rs, r)
	}
	sixth := q.ReserveAt(now, "calls", 100)
	require.Zero(t, sixth.DelayFrom(now)) // the window allows it, the slots do not
	require.ErrorIs(t, sixth.StartAt(now), ErrQuotaPending)
	rs[2].DoneAt(now)
	require.NoError(t, sixth.StartAt(now))
	rs[0].CancelAt(now) // a 429 frees the slot too
	require.NoError(t, q.ReserveAt(now, "calls", 100).StartAt(now))
	require.Equal(t, 5, q.StatsAt(now).Pending)
}

// TestQuotaPendingWait: five requests in flight block the sixth Wait until
// one is done, without any time passing.
func TestQuotaPendingWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newTestQuota(t, DefaultLimits(), nil)
		start := time.Now()
		started := make(chan *Reservation, 6)
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				r, err := q.Wait(t.Context(), "calls", 100)
				if err != nil {
					t.Errorf("Wait: %v", err)
					return
				}
				started <- r
			})
		}
		synctest.Wait()
		require.Len(t, started, 5)
		require.Equal(t, 5, q.Stats().Pending)
		(<-started).Done()
		synctest.Wait()
		require.Len(t, started, 5)
		require.Equal(t, start, time.Now())
		wg.Wait()
		for range 5 {
			(<-started).Done()
		}
		require.Zero(t, q.Stats().Pending)
	})
}

func TestQuotaLargeTableSwitch(t *testing.T) {
	// 120 one-row requests at 0 (the minute's limit); the 121st waits a
	// minute if the table is still small before it, an hour if large.
	tests := []struct {
		name     string
		preset   int64
		want121  time.Duration
		want122  time.Duration
		wantRows int64
	}{
		{"reaches 250,000 with the 121st", 249_879, time.Minute, time.Hour, 250_000},
		{"reaches 250,000 with the 120th", 249_880, time.Hour, time.Hour, 250_001},
		{"far below", 0, time.Minute, time.Minute, 121},
		{"far above", 5_000_000, time.Hour, time.Hour, 5_000_121},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newTestQuota(t, DefaultLimits(), map[string]int64{"calls": tt.preset})
			want, got := runQuotaSteps(t, q, []quotaStep{
				{at: 0, table: "calls", rows: 1, n: 120, want: 0},
				{at: 0, table: "calls", rows: 1, want: tt.want121},
			})
			require.Equal(t, tt.wantRows, q.TableRows("calls"))
			w2, g2 := runQuotaSteps(t, q, []quotaStep{{at: 0, table: "calls", rows: 1, want: tt.want122}})
			if diff := cmp.Diff(append(want, w2...), append(got, g2...)); diff != "" {
				t.Errorf("delays (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("small again after the rows are deleted", func(t *testing.T) {
		q := newTestQuota(t, DefaultLimits(), map[string]int64{"calls": 300_000})
		now := quotaEpoch()
		for range 120 {
			q.ReserveAt(now, "calls", 1)
		}
		q.SetTableRows("calls", 0)
		require.Equal(t, time.Minute, q.ReserveAt(now, "calls", 1).DelayFrom(now))
	})
}

// TestQuotaWaitDeadline: Wait returns at once when the quota needs longer
// than the deadline, and leaves the quota as it was.
func TestQuotaWaitDeadline(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(q *Quota)
		timeout  time.Duration
		probe    int           // rows of a reservation right after the failed Wait
		wantWait time.Duration // in the error
	}{
		{
			name: "rows per hour",
			setup: func(q *Quota) {
				for range 99 {
					q.Reserve("calls", 10_000).Done()
				}
				q.Reserve("calls", 5_000).Done()
			},
			timeout: 10 * time.Minute, probe: 5_000, wantWait: time.Hour,
		},
		{
			name: "posts per minute",
			setup: func(q *Quota) {
				for range 119 {
					q.Reserve("users", 1).Done()
				}
			},
			timeout: 59 * time.Second, probe: 1, wantWait: 0, // not refused: the 120th goes now
		},
		{
			name:    "429",
			setup:   func(q *Quota) { q.Throttled(time.Hour) },
			timeout: 59 * time.Minute, probe: -1, wantWait: time.Hour,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				q := newTestQuota(t, DefaultLimits(), nil)
				tt.setup(q)
				before := q.Stats()
				start := time.Now()
				ctx, cancel := context.WithTimeout(t.Context(), tt.timeout)
				defer cancel()
				r, err := q.Wait(ctx, "calls", 10_000)
				require.Equal(t, start, time.Now(), "Wait slept")
				if tt.wantWait == 0 {
					require.NoError(t, err)
					r.Done()
					return
				}
				require.ErrorIs(t, err, ErrQuotaDeadline)
				require.ErrorContains(t, err, fmt.Sprintf("may be sent in %v", tt.wantWait))
				require.Nil(t, r)
				if diff := cmp.Diff(before, q.Stats()); diff != "" {
					t.Errorf("quota changed (-want +got):\n%s", diff)
				}
				if tt.probe >= 0 {
					require.Zero(t, q.Reserve("calls", tt.probe).Delay(), "delayed by the refused Wait")
				}
			})
		})
	}
}

func TestQuotaWaitSleepsExactly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newTestQuota(t, DefaultLimits(), nil)
		for range 100 {
			q.Reserve("calls", 10_000).Done()
		}
		start := time.Now()
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour+time.Second)
		defer cancel()
		r, err := q.Wait(ctx, "calls", 10_000)
		require.NoError(t, err)
		require.Equal(t, time.Hour, time.Since(start))
		require.Equal(t, 1, q.Stats().Pending)
		r.Done()
	})
}

// TestQuotaWaitContextEnds: cancelling while waiting returns at once and
// gives the reservation back.
func TestQuotaWaitContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newTestQuota(t, DefaultLimits(), nil)
		for range 100 {
			q.Reserve("calls", 10_000).Done()
		}
		start := time.Now()
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(10*time.Minute, cancel)
		before := q.StatsAt(start.Add(10 * time.Minute))
		_, err := q.Wait(ctx, "calls", 10_000)
		require.ErrorIs(t, err, context.Canceled)
		require.Equal(t, 10*time.Minute, time.Since(start))
		if diff := cmp.Diff(before, q.Stats()); diff != "" {
			t.Errorf("quota changed (-want +got):\n%s", diff)
		}
	})
}

// TestQuotaWaitThrottled: a Wait returns exactly when the 429 wait ends,
// and a longer 429 arriving while it sleeps holds it back further.
func TestQuotaWaitThrottled(t *testing.T) {
	tests := []struct {
		name  string
		later time.Duration // Retry-After of a second 429 10 s in; 0 for none
		want  time.Duration
	}{
		{"one 429", 0, 30 * time.Second},
		{"shorter second 429", 5 * time.Second, 30 * time.Second},
		{"longer second 429", time.Minute, 70 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				q := newTestQuota(t, DefaultLimits(), nil)
				start := time.Now()
				q.Throttled(30 * time.Second)
				if tt.later > 0 {
					time.AfterFunc(10*time.Second, func() { q.Throttled(tt.later) })
				}
				r, err := q.Wait(t.Context(), "calls", 10)
				require.NoError(t, err)
				require.Equal(t, tt.want, time.Since(start))
				r.Done()
			})
		})
	}
}

func TestQuotaStats(t *testing.T) {
	q := newTestQuota(t, DefaultLimits(), map[string]int64{"calls": 7})
	now := quotaEpoch()
	q.ReserveAt(now, "calls", 10_000).DoneAt(now)
	r := q.ReserveAt(now.Add(30*time.Minute), "users", 500)
	require.NoError(t, r.StartAt(now.Add(30*time.Minute)))
	q.ReserveAt(now.Add(30*time.Minute), "users", 100).CancelAt(now) // gone
	q.ThrottledAt(now.Add(30*time.Minute), 2*time.Minute)
	q.ReserveAt(now.Add(30*time.Minute), "queues", 3) // scheduled after the 429
	at := now.Add(30*time.Minute + 30*time.Second)
	want := QuotaStats{
		At:              at,
		RowsLastHour:    10_500,
		PostsLastMinute: 1,
		PostsLastHour:   2,
		Pending:         1,
		Scheduled:       1,
		ThrottledUntil:  now.Add(32 * time.Minute),
		Until:           now.Add(32 * time.Minute),
		TableRows:       map[string]int64{"calls": 10_007, "users": 500, "queues": 3},
	}
	if diff := cmp.Diff(want, q.StatsAt(at)); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestQuotaLogsThrottle(t *testing.T) {
	var buf bytes.Buffer
	q, err := NewQuota(DefaultLimits(), WithQuotaLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	require.NoError(t, err)
	q.ThrottledAt(quotaEpoch(), time.Minute)
	require.Contains(t, buf.String(), "dataset throttled")
	require.Contains(t, buf.String(), "retry_after=1m0s")
}

// TestQuotaTimeGoesBack: like rate.Limiter, an earlier time counts as the
// latest seen, so nothing is granted before a time already passed.
func TestQuotaTimeGoesBack(t *testing.T) {
	q := newTestQuota(t, DefaultLimits(), nil)
	now := quotaEpoch()
	q.ReserveAt(now.Add(time.Minute), "calls", 1)
	r := q.ReserveAt(now, "users", 1)
	require.Equal(t, time.Minute, r.DelayFrom(now))
}

// quotaSend is one POST rows request as sent, for the brute-force checker.
type quotaSend struct {
	at    time.Time
	table string
	rows  int // rows added; 0 for a request refused with 429
	seq   int // grant (or log) order, for ties and per-table order
}

// checkQuotaSends checks sends against l by brute force, independently of
// Quota's algorithm: every window that starts at a send, and for each
// request to a table holding LargeTableRows or more before it (rows of
// strictly earlier sends plus initial), the hour up to it.
func checkQuotaSends(l Limits, initial map[string]int64, sends []quotaSend) []string {
	s := slices.Clone(sends)
	sort.SliceStable(s, func(i, j int) bool {
		if !s[i].at.Equal(s[j].at) {
			return s[i].at.Before(s[j].at)
		}
		return s[i].seq < s[j].seq
	})
	var bad []string
	held := make(map[string]int64)
	for t, n := range initial {
		held[t] = n
	}
	before := make([]int64, len(s)) // rows the table held before s[i]
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j].at.Equal(s[i].at) {
			before[j] = held[s[j].table]
			j++
		}
		for ; i < j; i++ {
			held[s[i].table] += int64(s[i].rows)
		}
	}
	for i, e := range s {
		if e.rows > l.RowsPerPost {
			bad = append(bad, fmt.Sprintf("send %d: %d rows", e.seq, e.rows))
		}
		var posts, rows, largePosts int64
		for _, f := range s {
			if !f.at.Before(e.at) && f.at.Before(e.at.Add(time.Minute)) {
				posts++
			}
			if !f.at.Before(e.at) && f.at.Before(e.at.Add(time.Hour)) {
				rows += int64(f.rows)
			}
			if f.table == e.table && f.at.After(e.at.Add(-time.Hour)) && !f.at.After(e.at) {
				largePosts++
			}
		}
		if posts > int64(l.PostsPerMinute) {
			bad = append(bad, fmt.Sprintf("minute from %v: %d requests", e.at, posts))
		}
		if rows > int64(l.RowsPerHour) {
			bad = append(bad, fmt.Sprintf("hour from %v: %d rows", e.at, rows))
		}
		if before[i] >= int64(l.LargeTableRows) && largePosts > int64(l.PostsPerHourLargeTable) {
			bad = append(bad, fmt.Sprintf("hour to %v: %d requests to large table %s", e.at, largePosts, e.table))
		}
	}
	return bad
}

// TestQuotaCheckerCatches makes sure the checker can fail.
func TestQuotaCheckerCatches(t *testing.T) {
	l := Limits{RowsPerPost: 10, RowsPerHour: 20, PostsPerMinute: 2, PostsPerHourLargeTable: 2, LargeTableRows: 5, MaxPending: 1}
	t0 := quotaEpoch()
	tests := []struct {
		name  string
		sends []quotaSend
		want  int
	}{
		{"fine", []quotaSend{{t0, "a", 10, 0}, {t0.Add(time.Minute), "b", 10, 1}, {t0.Add(time.Hour), "c", 10, 2}}, 0},
		{"rows per post", []quotaSend{{t0, "a", 11, 0}}, 1},
		{"minute", []quotaSend{{t0, "a", 1, 0}, {t0.Add(59 * time.Second), "b", 1, 1}, {t0.Add(59 * time.Second), "c", 1, 2}}, 1},
		{"hour", []quotaSend{{t0, "a", 10, 0}, {t0.Add(time.Minute), "b", 10, 1}, {t0.Add(59 * time.Minute), "c", 1, 2}}, 1},
		{"large table", []quotaSend{{t0, "a", 5, 0}, {t0.Add(time.Minute), "a", 0, 1}, {t0.Add(2 * time.Minute), "a", 0, 2}}, 1},
		{"small table", []quotaSend{{t0, "a", 4, 0}, {t0.Add(time.Minute), "a", 0, 1}, {t0.Add(2 * time.Minute), "a", 0, 2}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Len(t, checkQuotaSends(l, nil, tt.sends), tt.want)
		})
	}
}

// quotaPropertyLimits are small limits, so that random streams hit all of
// them often.
func quotaPropertyLimits() Limits {
	return Limits{RowsPerPost: 100, RowsPerHour: 3_000, PostsPerMinute: 5, PostsPerHourLargeTable: 12, LargeTableRows: 5_000, MaxPending: 3}
}

// TestQuotaPropertyReserve: random streams of reservations, cancellations
// and 429s never exceed a limit in any window, and keep each table's order.
func TestQuotaPropertyReserve(t *testing.T) {
	// About 3,500 rows and 70 requests an hour on average: below the
	// limits, above them in bursts; a and b turn large halfway.
	l := quotaPropertyLimits()
	l.RowsPerHour, l.LargeTableRows, l.PostsPerHourLargeTable = 5_000, 30_000, 20
	initial := map[string]int64{"c": 29_800}
	tables := []string{"a", "b", "c"}
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			q := newTestQuota(t, l, initial)
			type grant struct {
				r         *Reservation
				send      quotaSend
				cancelled bool
			}
			var grants []*grant
			now := quotaEpoch()
			var throttled time.Time
			delayed := 0
			reserve := func() {
				table, rows := tables[rng.IntN(len(tables))], rng.IntN(l.RowsPerPost+1)
				r := q.ReserveAt(now, table, rows)
				require.True(t, r.OK())
				d := r.DelayFrom(now)
				at := now.Add(d)
				if at.Before(throttled) {
					t.Errorf("granted %v, within a 429 wait until %v", at, throttled)
				}
				if d > 0 {
					delayed++
				}
				grants = append(grants, &grant{r: r, send: quotaSend{at, table, rows, len(grants)}})
			}
			for range 3_000 {
				if rng.IntN(10) < 7 {
					now = now.Add(time.Duration(rng.IntN(200)) * time.Second)
				}
				switch p := rng.IntN(100); {
				case p < 70:
					reserve()
				case p < 78:
					for range 8 {
						reserve()
					}
				case p < 96:
					if len(grants) > 0 {
						g := grants[rng.IntN(len(grants))]
						g.r.CancelAt(now)
						g.cancelled = true
					}
				default:
					d := time.Duration(rng.IntN(180)) * time.Second
					q.ThrottledAt(now, d)
					if until := now.Add(d); until.After(throttled) {
						throttled = until
					}
				}
			}
			var sends []quotaSend
			last := map[string]time.Time{}
			for _, g := range grants {
				if g.cancelled {
					continue
				}
				sends = append(sends, g.send)
				if g.send.at.Before(last[g.send.table]) {
					t.Errorf("table %s out of order at grant %d", g.send.table, g.send.seq)
				}
				last[g.send.table] = g.send.at
			}
			if bad := checkQuotaSends(l, initial, sends); len(bad) > 0 {
				t.Errorf("%d violations, first: %v", len(bad), bad[:min(len(bad), 5)])
			}
			// The stream must have been dense enough to test something.
			require.Greater(t, len(sends), 2_000)
			require.Greater(t, delayed, len(grants)/2)
			var end time.Time
			for _, at := range last {
				end = quotaMaxTime(end, at)
			}
			t.Logf("seed %d: %d sends, %d of %d delayed, last send after %v", seed, len(sends), delayed, len(grants), end.Sub(quotaEpoch()))
		})
	}
}

// TestQuotaPropertyWait: concurrent workers with random tables, sizes,
// latencies, deadlines and 429s, all through Wait, never exceed a limit,
// never have more than MaxPending in flight and never send within a 429
// wait.
func TestQuotaPropertyWait(t *testing.T) {
	l := quotaPropertyLimits()
	initial := map[string]int64{"c": 4_800}
	tables := []string{"a", "b", "c"}
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				q := newTestQuota(t, l, initial)
				type throttle struct {
					at time.Time
					d  time.Duration
				}
				var (
					mu        sync.Mutex
					sends     []quotaSend
					throttles []throttle
					inFlight  int
					maxFlight int
					refused   int
				)
				var wg sync.WaitGroup
				for w := range 8 {
					wg.Go(func() {
						rng := rand.New(rand.NewPCG(seed, uint64(w)))
						for range 40 {
							time.Sleep(time.Duration(rng.IntN(30)) * time.Second)
							table, rows := tables[rng.IntN(len(tables))], rng.IntN(l.RowsPerPost+1)
							ctx, cancel := t.Context(), context.CancelFunc(func() {})
							if rng.IntN(5) == 0 {
								ctx, cancel = context.WithTimeout(ctx, time.Duration(rng.IntN(600))*time.Second)
							}
							r, err := q.Wait(ctx, table, rows)
							cancel()
							if err != nil {
								if !errors.Is(err, ErrQuotaDeadline) && !errors.Is(err, context.DeadlineExceeded) {
									t.Errorf("Wait: %v", err)
								}
								mu.Lock()
								refused++
								mu.Unlock()
								continue
							}
							mu.Lock()
							i := len(sends)
							sends = append(sends, quotaSend{time.Now(), table, rows, i})
							inFlight++
							maxFlight = max(maxFlight, inFlight)
							mu.Unlock()
							time.Sleep(time.Duration(rng.IntN(5000)) * time.Millisecond)
							mu.Lock() // recorded before the slot frees, see maxFlight
							inFlight--
							if rng.IntN(10) == 0 {
								d := time.Duration(rng.IntN(90)) * time.Second
								throttles = append(throttles, throttle{time.Now(), d})
								sends[i].rows = 0 // a refused request adds nothing
								mu.Unlock()
								q.Throttled(d)
								r.Cancel()
								continue
							}
							mu.Unlock()
							r.Done()
						}
					})
				}
				wg.Wait()
				if maxFlight > l.MaxPending {
					t.Errorf("%d requests in flight, limit %d", maxFlight, l.MaxPending)
				}
				for _, th := range throttles {
					for _, s := range sends {
						// Time only moves once all goroutines block, so a
						// send later than the 429 came after Throttled.
						if s.at.After(th.at) && s.at.Before(th.at.Add(th.d)) {
							t.Errorf("sent at %v within the 429 wait %v+%v", s.at, th.at, th.d)
						}
					}
				}
				if bad := checkQuotaSends(l, initial, sends); len(bad) > 0 {
					t.Errorf("%d violations, first: %v", len(bad), bad[:min(len(bad), 5)])
				}
				require.Greater(t, len(sends), 250)
				require.Equal(t, l.MaxPending, maxFlight, "the slots were never all used: the test is too thin")
				t.Logf("seed %d: %d sends, %d refused by deadline, %d 429s, %v simulated", seed, len(sends), refused, len(throttles), time.Since(quotaBubbleStart()))
			})
		})
	}
}

// quotaBubbleStart is the fake time a synctest bubble starts at.
func quotaBubbleStart() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }

// TestQuotaBackfillThroughput is the key figure: backfilling 2,500,000
// rows in 10,000-row requests through Wait, five workers, on simulated
// time.
//
// How to state the throughput honestly: the rolling hour lets the first
// 1,000,000 rows go at once, so "rows / elapsed time" flatters a short run
// and means nothing. Any schedule that honours 1,000,000 rows per rolling
// hour needs its last send at least ⌈N/1,000,000⌉−1 hours after its first,
// and uses the quota until an hour after its last send; so
//
//   - whole = N / (last send − first send + 1 h) is at most
//     N / ⌈N/1,000,000⌉ h — 833,333 rows/h for 2,500,000 rows — and the test
//     requires ≥ 99 % of that optimum;
//   - sustained = the rows sent in the second hour [first+1h, first+2h),
//     the first hour after the initial burst, is the steady rate once the
//     window rolls, and must be ≥ 99 % of 1,000,000 rows/h;
//   - no rolling hour holds more than 1,000,000 rows (the checker).
//
// The response latency is simulated; with 5 requests in flight, 2 s per
// response still allows 150 requests a minute, more than the quota needs.
func TestQuotaBackfillThroughput(t *testing.T) {
	const (
		total   = 2_500_000
		perPost = 10_000
		limit   = 1_000_000
	)
	for _, latency := range []time.Duration{0, 2 * time.Second, 5 * time.Second} {
		t.Run(latency.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				q := newTestQuota(t, DefaultLimits(), nil)
				jobs := make(chan int, total/perPost)
				for i := range total / perPost {
					jobs <- i
				}
				close(jobs)
				var (
					mu    sync.Mutex
					sends []quotaSend
				)
				var wg sync.WaitGroup
				for range 5 {
					wg.Go(func() {
						for range jobs {
							r, err := q.Wait(t.Context(), "calls", perPost)
							if err != nil {
								t.Errorf("Wait: %v", err)
								return
							}
							mu.Lock()
							sends = append(sends, quotaSend{time.Now(), "calls", perPost, len(sends)})
							mu.Unlock()
							time.Sleep(latency)
							r.Done()
						}
					})
				}
				wg.Wait()
				require.Len(t, sends, total/perPost)
				if bad := checkQuotaSends(DefaultLimits(), nil, sends); len(bad) > 0 {
					t.Fatalf("%d violations, first: %v", len(bad), bad[:min(len(bad), 5)])
				}
				first, last := sends[0].at, sends[0].at
				for _, s := range sends {
					first, last = quotaMinTime(first, s.at), quotaMaxTime(last, s.at)
				}
				var second int
				for _, s := range sends {
					if !s.at.Before(first.Add(time.Hour)) && s.at.Before(first.Add(2*time.Hour)) {
						second += s.rows
					}
				}
				hours := math.Ceil(float64(total) / limit)
				optimum := total / hours
				whole := total / (last.Sub(first) + time.Hour).Hours()
				sustained := float64(second)
				minSpan := time.Duration(hours-1) * time.Hour
				t.Logf("latency %v: first→last send %v (optimum %v, %.2f %%); whole %.0f rows/h = %.2f %% of the optimum %.0f; sustained %.0f rows/h = %.2f %% of %d",
					latency, last.Sub(first), minSpan, 100*minSpan.Hours()/last.Sub(first).Hours(),
					whole, 100*whole/optimum, optimum, sustained, 100*sustained/limit, limit)
				if whole < 0.99*optimum {
					t.Errorf("whole-backfill throughput %.0f rows/h < 99 %% of the optimum %.0f", whole, optimum)
				}
				if sustained < 0.99*limit {
					t.Errorf("sustained throughput %.0f rows/h < 99 %% of %d", sustained, limit)
				}
			})
		})
	}
}

func quotaMinTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func quotaMaxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// BenchmarkQuotaReserveAt measures ReserveAt with a full window: a
// backfill at the rows/hour limit (~100 requests in the hour) and one-row
// requests at the minute limit (~7,200 requests in the hour, the most the
// limits allow).
func BenchmarkQuotaReserveAt(b *testing.B) {
	tests := []struct {
		name   string
		tables []string
		rows   int
	}{
		{"backfill", []string{"calls"}, 10_000},
		{"saturated", []string{"users", "queues"}, 1},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			q := newTestQuota(b, DefaultLimits(), nil)
			now := quotaEpoch()
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				r := q.ReserveAt(now, tt.tables[i%len(tt.tables)], tt.rows)
				now = now.Add(r.DelayFrom(now))
				r.DoneAt(now)
				i++
			}
		})
	}
}

func ExampleQuota_ReserveAt() {
	q, err := NewQuota(DefaultLimits())
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	for range 100 { // 1,000,000 rows: the hour's quota
		q.ReserveAt(now, "calls", 10_000)
	}
	r := q.ReserveAt(now, "calls", 10_000)
	fmt.Println(r.OK(), r.DelayFrom(now))
	fmt.Println(q.ReserveAt(now, "calls", 10_001).OK())
	// Output:
	// true 1h0m0s
	// false
}
