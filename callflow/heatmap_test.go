package callflow_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
)

// hmCall is a journey arriving at t; lost means inbound and not answered (Unanswered).
func hmCall(id string, d callflow.Direction, t time.Time, answered bool) callflow.Call {
	return callflow.Call{Journey: callflow.Journey{CallID: id, Direction: d, Arrival: t, End: t.Add(time.Minute), Answered: answered}}
}

// hmCell is one non-zero cell of a heat map: weekday (Monday = 0), hour
// and the three counts.
type hmCell struct{ Day, Hour, Calls, Answered, Lost int }

func hmCells(h callflow.HeatMap) []hmCell {
	var out []hmCell
	for d := range 7 {
		for hr := range 24 {
			if h.Calls[d][hr] != 0 || h.Answered[d][hr] != 0 || h.Unanswered[d][hr] != 0 {
				out = append(out, hmCell{d, hr, h.Calls[d][hr], h.Answered[d][hr], h.Unanswered[d][hr]})
			}
		}
	}
	return out
}

func TestHeatMap(t *testing.T) {
	loc := berlin(t)
	in, out := callflow.Inbound, callflow.Outbound
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	for _, tc := range []struct {
		name  string
		loc   *time.Location
		calls []callflow.Call
		want  []hmCell
	}{
		{"weekdays and hours in Berlin", loc, []callflow.Call{
			hmCall("1", in, time.Date(2026, 3, 2, 10, 15, 0, 0, loc), true),   // Monday
			hmCall("2", in, time.Date(2026, 3, 2, 10, 45, 0, 0, loc), false),  // Monday, lost
			hmCall("3", out, time.Date(2026, 3, 8, 23, 30, 0, 0, loc), false), // Sunday, not lost: outbound
		}, []hmCell{{0, 10, 2, 1, 1}, {6, 23, 1, 0, 0}}},
		{"the same calls in UTC", time.UTC, []callflow.Call{
			hmCall("1", in, time.Date(2026, 3, 2, 10, 15, 0, 0, loc), true),
			hmCall("2", in, time.Date(2026, 3, 2, 10, 45, 0, 0, loc), false),
			hmCall("3", out, time.Date(2026, 3, 8, 23, 30, 0, 0, loc), false),
		}, []hmCell{{0, 9, 2, 1, 1}, {6, 22, 1, 0, 0}}},
		// Sunday 2026-10-25: 02:00–02:59 happens twice (CEST, then CET);
		// both count under hour 2.
		{"DST ends: the repeated hour", loc, []callflow.Call{
			hmCall("1", in, utc("2026-10-24T23:30:00Z"), true),  // 01:30 CEST
			hmCall("2", in, utc("2026-10-25T00:15:00Z"), true),  // 02:15 CEST
			hmCall("3", in, utc("2026-10-25T01:15:00Z"), false), // 02:15 CET
			hmCall("4", in, utc("2026-10-25T02:30:00Z"), true),  // 03:30 CET
		}, []hmCell{{6, 1, 1, 1, 0}, {6, 2, 2, 1, 1}, {6, 3, 1, 1, 0}}},
		// Sunday 2026-03-29: 02:00–02:59 does not exist.
		{"DST starts: the skipped hour", loc, []callflow.Call{
			hmCall("1", in, utc("2026-03-29T00:59:00Z"), true), // 01:59 CET
			hmCall("2", in, utc("2026-03-29T01:00:00Z"), true), // 03:00 CEST
		}, []hmCell{{6, 1, 1, 1, 0}, {6, 3, 1, 1, 0}}},
		{"empty", loc, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := ptReporter(t, callflow.ReportConfig{Location: tc.loc}).HeatMap(tc.calls)
			if diff := cmp.Diff(tc.want, hmCells(h)); diff != "" {
				t.Errorf("HeatMap cells (-want +got):\n%s", diff)
			}
			if h.Undated != 0 {
				t.Errorf("Undated = %d, want 0", h.Undated)
			}
		})
	}
}

func TestHeatMapAtAndUndated(t *testing.T) {
	loc := berlin(t)
	r := ptReporter(t, callflow.ReportConfig{Location: loc})
	h := r.HeatMap([]callflow.Call{
		hmCall("1", callflow.Inbound, time.Date(2026, 3, 3, 8, 0, 0, 0, loc), true), // Tuesday
		hmCall("2", callflow.Inbound, time.Time{}, false),
	})
	require.Equal(t, 1, h.At(time.Tuesday, 8))
	require.Equal(t, 0, h.At(time.Monday, 8))
	require.Equal(t, 0, h.At(time.Tuesday, 24))
	require.Equal(t, 0, h.At(time.Weekday(9), 8))
	require.Equal(t, 1, h.Undated, "a call without arrival is counted apart")
	require.Empty(t, r.CallsPerDay([]callflow.Call{hmCall("2", callflow.Inbound, time.Time{}, false)}))
}

func TestCallsPerDay(t *testing.T) {
	loc := berlin(t)
	in, out := callflow.Inbound, callflow.Outbound
	day := func(m time.Month, d int) callflow.Date { return callflow.Date{Year: 2026, Month: m, Day: d} }
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, loc) }
	hours := &callflow.BusinessHours{Periods: []callflow.OpeningPeriod{{Days: callflow.EveryDay, Hours: callflow.ClockRange{From: callflow.Clock(8, 0, 0), To: callflow.Clock(18, 0, 0)}}}}
	for _, tc := range []struct {
		name  string
		cfg   callflow.ReportConfig
		calls []callflow.Call
		want  []callflow.DayCount
	}{
		{"gap days are zero, across the autumn DST change", callflow.ReportConfig{Location: loc}, []callflow.Call{
			hmCall("1", in, at(10, 24, 23, 59), true),
			hmCall("2", in, at(10, 26, 0, 0), false),
			hmCall("3", out, at(10, 26, 9, 0), true),
			hmCall("4", out, at(10, 26, 10, 0), false),
		}, []callflow.DayCount{
			{Date: day(10, 24), Calls: 1, Answered: 1, Inbound: 1},
			{Date: day(10, 25)},
			{Date: day(10, 26), Calls: 3, Answered: 1, Inbound: 1, Unanswered: 1},
		}},
		{"the 25-hour day holds both 02:00 hours", callflow.ReportConfig{Location: loc}, []callflow.Call{
			hmCall("1", in, time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC), true),   // 02:00 CEST
			hmCall("2", in, time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC), true),   // 02:00 CET
			hmCall("3", in, time.Date(2026, 10, 25, 22, 59, 0, 0, time.UTC), true), // 23:59 CET
			hmCall("4", in, time.Date(2026, 10, 25, 23, 0, 0, 0, time.UTC), true),  // 00:00 next day
		}, []callflow.DayCount{
			{Date: day(10, 25), Calls: 3, Answered: 3, Inbound: 3},
			{Date: day(10, 26), Calls: 1, Answered: 1, Inbound: 1},
		}},
		{"the 23-hour day", callflow.ReportConfig{Location: loc}, []callflow.Call{
			hmCall("1", in, time.Date(2026, 3, 28, 22, 59, 0, 0, time.UTC), true), // 23:59 CET on the 28th
			hmCall("2", in, time.Date(2026, 3, 29, 21, 59, 0, 0, time.UTC), true), // 23:59 CEST on the 29th
		}, []callflow.DayCount{
			{Date: day(3, 28), Calls: 1, Answered: 1, Inbound: 1},
			{Date: day(3, 29), Calls: 1, Answered: 1, Inbound: 1},
		}},
		{"filter bounds widen the range; To is exclusive", callflow.ReportConfig{Location: loc,
			Filter: callflow.Filter{From: at(3, 1, 0, 0), To: at(3, 4, 0, 0)}}, []callflow.Call{
			hmCall("1", in, at(3, 2, 12, 0), false),
			hmCall("2", in, at(3, 4, 0, 0), false), // outside: To is exclusive
		}, []callflow.DayCount{
			{Date: day(3, 1)},
			{Date: day(3, 2), Calls: 1, Inbound: 1, Unanswered: 1},
			{Date: day(3, 3)},
		}},
		{"filter bounds and no calls", callflow.ReportConfig{Location: loc,
			Filter: callflow.Filter{From: at(3, 1, 12, 0), To: at(3, 2, 12, 0)}}, nil, []callflow.DayCount{
			{Date: day(3, 1)},
			{Date: day(3, 2)},
		}},
		{"out of hours lost calls apart", callflow.ReportConfig{Location: loc, BusinessHours: hours}, []callflow.Call{
			hmCall("1", in, at(3, 2, 7, 59), false),
			hmCall("2", in, at(3, 2, 8, 0), false),
			hmCall("3", in, at(3, 2, 18, 0), true),
		}, []callflow.DayCount{
			{Date: day(3, 2), Calls: 3, Answered: 1, Inbound: 3, Unanswered: 1, UnansweredOutOfHours: 1},
		}},
		{"no calls", callflow.ReportConfig{Location: loc}, nil, nil},
		{"only From and no calls", callflow.ReportConfig{Location: loc, Filter: callflow.Filter{From: at(3, 1, 0, 0)}}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ptReporter(t, tc.cfg).CallsPerDay(tc.calls)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CallsPerDay (-want +got):\n%s", diff)
			}
		})
	}
}

// On simulated data the heat map and the days count every selected journey
// once, and the days are consecutive.
// A second data set spans the autumn DST change.
func TestHeatMapSimulated(t *testing.T) {
	rows, in, _ := simulated(t, 5, 10)
	calls := in.InterpretAll(rows)
	loc := berlin(t)
	autumn := hmSimulated(t, sim.Config{Seed: 6, Start: time.Date(2026, 10, 23, 0, 0, 0, 0, loc), Days: 5})
	for _, tc := range []struct {
		name  string
		cfg   callflow.ReportConfig
		calls []callflow.Call
	}{
		{"all", callflow.ReportConfig{Location: loc}, calls},
		{"inbound, weekdays", callflow.ReportConfig{Location: loc, Filter: callflow.Filter{Directions: []callflow.Direction{callflow.Inbound}, Weekdays: callflow.MondayToFriday}}, calls},
		{"UTC", callflow.ReportConfig{Location: time.UTC}, calls},
		{"autumn DST", callflow.ReportConfig{Location: loc}, autumn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := tc.calls
			r := ptReporter(t, tc.cfg)
			var selected, answered, lost int
			for i := range calls {
				j := &calls[i].Journey
				if r.Selected(j) {
					selected++
					if j.Answered {
						answered++
					} else if j.Direction == callflow.Inbound {
						lost++
					}
				}
			}
			require.NotZero(t, selected)
			h := r.HeatMap(calls)
			var hc, ha, hl int
			for d := range 7 {
				for hr := range 24 {
					hc += h.Calls[d][hr]
					ha += h.Answered[d][hr]
					hl += h.Unanswered[d][hr]
				}
			}
			if hc != selected || ha != answered || hl != lost {
				t.Errorf("heat map counts %d/%d/%d calls/answered/lost, want %d/%d/%d", hc, ha, hl, selected, answered, lost)
			}
			days := r.CallsPerDay(calls)
			var dc, dl int
			for i, d := range days {
				dc += d.Calls
				dl += d.Unanswered + d.UnansweredOutOfHours
				if i > 0 {
					next := time.Date(days[i-1].Date.Year, days[i-1].Date.Month, days[i-1].Date.Day+1, 0, 0, 0, 0, time.UTC)
					if callflow.DateOf(next) != d.Date {
						t.Errorf("day %v follows %v", d.Date, days[i-1].Date)
					}
				}
			}
			if dc != selected || dl != lost {
				t.Errorf("days count %d calls, %d lost, want %d, %d", dc, dl, selected, lost)
			}
		})
	}
}

// hmSimulated interprets the simulation of cfg.
func hmSimulated(t testing.TB, cfg sim.Config) []callflow.Call {
	t.Helper()
	var rows []cdr.Entry
	for e := range sim.Generate(cfg) {
		rows = append(rows, e)
	}
	require.NotEmpty(t, rows)
	dir, err := cdr.NewDirectory(cfg.Accounts()...)
	require.NoError(t, err)
	in, err := callflow.New(dir, callflow.WithNumberPlan(cdr.GermanPlan("711")))
	require.NoError(t, err)
	return in.InterpretAll(rows)
}
