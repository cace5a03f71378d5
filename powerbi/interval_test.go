package powerbi

import (
	"bytes"
	"fmt"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestNewIntervalValidates(t *testing.T) {
	tests := []struct {
		name      string
		base, max time.Duration
		opts      []IntervalOption
		want      string // "" for valid
	}{
		{"valid", 30 * time.Second, 8 * time.Minute, nil, ""},
		{"fixed", time.Second, time.Second, nil, ""},
		{"base zero", 0, time.Minute, nil, "base must be positive, got 0s"},
		{"max below base", time.Minute, time.Second, nil, "ceiling (1s) is shorter than base (1m0s)"},
		{"factor 1", time.Second, time.Minute, []IntervalOption{WithIntervalFactor(1)}, "factor must be a finite number above 1, got 1"},
		{"factor NaN", time.Second, time.Minute, []IntervalOption{WithIntervalFactor(math.NaN())}, "factor must be a finite number above 1, got NaN"},
		{"factor Inf", time.Second, time.Minute, []IntervalOption{WithIntervalFactor(math.Inf(1))}, "factor must be a finite number above 1, got +Inf"},
		{"quiet negative", time.Second, time.Minute, []IntervalOption{WithIntervalQuiet(-time.Second)}, "quiet period must not be negative, got -1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, err := NewInterval(tt.base, tt.max, tt.opts...)
			if tt.want == "" {
				require.NoError(t, err)
				require.Equal(t, tt.base, i.Next())
				return
			}
			require.ErrorContains(t, err, tt.want)
			require.Nil(t, i)
		})
	}
}

func TestInterval(t *testing.T) {
	// intervalOp is a 429 (throttle true, with its Retry-After) or a
	// successful upload at epoch+at; want is Next afterwards.
	type intervalOp struct {
		at         time.Duration
		throttle   bool
		retryAfter time.Duration
		want       time.Duration
	}
	const (
		s = time.Second
		m = time.Minute
	)
	tests := []struct {
		name string
		opts []IntervalOption
		ops  []intervalOp
	}{
		{
			name: "steps up and caps",
			ops: []intervalOp{
				{at: 0, throttle: true, want: 1 * m},
				{at: 1 * m, throttle: true, want: 2 * m},
				{at: 3 * m, throttle: true, want: 4 * m},
				{at: 7 * m, throttle: true, want: 8 * m},
				{at: 15 * m, throttle: true, want: 8 * m},
			},
		},
		{
			name: "never below Retry-After",
			ops: []intervalOp{
				{at: 0, throttle: true, retryAfter: 5 * m, want: 5 * m},              // above the step to 1m
				{at: 5 * m, throttle: true, retryAfter: 10 * s, want: 8 * m},         // the step, capped
				{at: 13 * m, throttle: true, retryAfter: time.Hour, want: time.Hour}, // beyond max
				{at: 73 * m, throttle: true, retryAfter: 0, want: time.Hour},         // a 429 never shortens
			},
		},
		{
			name: "recovers step by step after quiet periods",
			ops: []intervalOp{
				{at: 0, throttle: true, want: 1 * m},
				{at: 0, throttle: true, want: 2 * m},
				{at: 0, throttle: true, want: 4 * m},
				{at: 4 * m, want: 4 * m}, // not quiet for 10 minutes yet
				{at: 10 * m, want: 2 * m},
				{at: 15 * m, want: 2 * m}, // 5 minutes since the last step
				{at: 20 * m, want: 1 * m},
				{at: 30 * m, want: 30 * s},
				{at: 40 * m, want: 30 * s}, // base
			},
		},
		{
			name: "a 429 restarts the quiet period",
			ops: []intervalOp{
				{at: 0, throttle: true, want: 1 * m},
				{at: 9 * m, throttle: true, want: 2 * m},
				{at: 12 * m, want: 2 * m},
				{at: 19 * m, want: 1 * m},
			},
		},
		{
			name: "after a Retry-After beyond max, the first step is back within max",
			ops: []intervalOp{
				{at: 0, throttle: true, retryAfter: time.Hour, want: time.Hour},
				{at: time.Hour, want: 8 * m},
				{at: time.Hour + 8*m, want: 8 * m},
				{at: time.Hour + 10*m, want: 4 * m},
			},
		},
		{
			name: "factor and quiet period",
			opts: []IntervalOption{WithIntervalFactor(1.5), WithIntervalQuiet(time.Minute)},
			ops: []intervalOp{
				{at: 0, throttle: true, want: 45 * s},
				{at: 0, throttle: true, want: 67500 * time.Millisecond},
				{at: 1 * m, want: 45 * s},
				{at: 2 * m, want: 30 * s},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, err := NewInterval(30*time.Second, 8*time.Minute, tt.opts...)
			require.NoError(t, err)
			var want, got []string
			for k, op := range tt.ops {
				now := quotaEpoch().Add(op.at)
				if op.throttle {
					i.ThrottledAt(now, op.retryAfter)
					require.GreaterOrEqual(t, i.Next(), op.retryAfter, "op %d below Retry-After", k)
				} else {
					i.SucceededAt(now)
				}
				want = append(want, fmt.Sprintf("op %d: %v", k, op.want))
				got = append(got, fmt.Sprintf("op %d: %v", k, i.Next()))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("intervals (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIntervalLogs(t *testing.T) {
	var buf bytes.Buffer
	i, err := NewInterval(30*time.Second, 8*time.Minute, WithIntervalLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	require.NoError(t, err)
	i.ThrottledAt(quotaEpoch(), 0)
	i.SucceededAt(quotaEpoch().Add(time.Hour))
	require.Contains(t, buf.String(), "upload interval lengthened")
	require.Contains(t, buf.String(), "upload interval shortened")
}

func ExampleInterval() {
	i, err := NewInterval(30*time.Second, 8*time.Minute)
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	i.ThrottledAt(now, 0)
	fmt.Println(i.Next())
	i.ThrottledAt(now, 5*time.Minute) // Retry-After: 300
	fmt.Println(i.Next())
	i.SucceededAt(now.Add(15 * time.Minute)) // quiet for 10 minutes
	fmt.Println(i.Next())
	// Output:
	// 1m0s
	// 5m0s
	// 2m30s
}
