package callflow_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/callflow/callflowtest"
	"github.com/starinsight/starinsight/cdr"
)

// scenarioCalls interprets the named scenarios of the corpus and returns
// their calls together.
func scenarioCalls(t testing.TB, names ...string) []callflow.Call {
	t.Helper()
	var calls []callflow.Call
	for _, n := range names {
		s, err := callflowtest.Load(filepath.Join("testdata", "scenarios", n+".scenario"))
		require.NoError(t, err)
		cs, err := s.Interpret()
		require.NoError(t, err)
		calls = append(calls, cs...)
	}
	return calls
}

func reporter(t testing.TB, cfg callflow.ReportConfig) *callflow.Reporter {
	t.Helper()
	if cfg.Location == nil {
		cfg.Location = berlin(t)
	}
	r, err := callflow.NewReporter(cfg)
	require.NoError(t, err)
	return r
}

// groupCounts is the part of a GroupKPI the hand-computed cases pin.
type groupCounts struct {
	Offered, OutOfHours, Answered, Missed, Abandoned, ShortAbandoned int
	LostInAnnouncement, LostWhileRinging                             int
	ForwardedOnTimeout, ForwardedOnBusy, ForwardedAlways             int
	Voicemail, TimedOut, NoAgent, Busy, Rejected, HandledByModule    int
	AnswerRate, AbandonRate, ServiceLevel                            callflow.Ratio
	ASA, AvgAbandonTime, AvgTimeInQueue, Announcement, RingTotal     time.Duration
	RingMean, RingMedian, RingMax, TalkMean                          time.Duration
}

func countsOf(k callflow.GroupKPI) groupCounts {
	return groupCounts{
		k.Offered, k.OutOfHours, k.Answered, k.Missed, k.Abandoned, k.ShortAbandoned,
		k.LostInAnnouncement, k.LostWhileRinging,
		k.ForwardedOnTimeout, k.ForwardedOnBusy, k.ForwardedAlways,
		k.Voicemail, k.TimedOut, k.NoAgent, k.Busy, k.Rejected, k.HandledByModule,
		k.AnswerRate, k.AbandonRate, k.ServiceLevel,
		k.ASA, k.AvgAbandonTime, k.AvgTimeInQueue, k.Announcement, k.RingTotal,
		k.Ring.Mean, k.Ring.Median, k.Ring.Max, k.Talk.Mean,
	}
}

func byGroup(kpis []callflow.GroupKPI) map[cdr.AccountID]callflow.GroupKPI {
	m := map[cdr.AccountID]callflow.GroupKPI{}
	for _, k := range kpis {
		m[k.GroupID] = k
	}
	return m
}

// The Hotline iQueue (300) and the Support group (200) across the corpus's
// scenarios, computed by hand from the waits the scenarios pin:
//
//	300 iqueue-answered             answered     ann 10s ring 35s wait 45s talk 4m
//	300 iqueue-hangup-announcement  lost-in-ann  ann 6s             wait 6s
//	300 iqueue-hangup-waiting       lost-ringing ann 8s  ring 60s   wait 68s
//	300 iqueue-no-agent ×2          no-agent     wait 0 (one at 07:55)
//	300 iqueue-timed-out            timed-out    ann 10s ring 60s   wait 70s
//	200 group-ring-all-answered     answered     ann 1s  ring 12s   wait 13s talk 1m30s
//	200 group-unanswered            lost-ringing ann 1s  ring 30s   wait 31s
//	200 timeout-forward-to-group    fwd-timeout  ann 1s  ring 20s   wait 21s
//	200 group-handled-by-module     module       ann 30s            wait 30s (18:30)
func TestGroupKPIsHandComputed(t *testing.T) {
	calls := scenarioCalls(t, "iqueue-answered", "iqueue-hangup-announcement", "iqueue-hangup-waiting",
		"iqueue-no-agent", "iqueue-timed-out", "group-ring-all-answered", "group-unanswered",
		"timeout-forward-to-group", "group-handled-by-module")
	hours := &callflow.BusinessHours{Periods: []callflow.OpeningPeriod{{Days: callflow.MondayToFriday, Hours: callflow.ClockRange{From: callflow.Clock(8, 0, 0), To: callflow.Clock(18, 0, 0)}}}}
	hotline := groupCounts{
		Offered: 6, Answered: 1, Missed: 5, Abandoned: 2, LostInAnnouncement: 1, LostWhileRinging: 1,
		NoAgent: 2, TimedOut: 1,
		AnswerRate: callflow.Ratio{Numerator: 1, Denominator: 6}, AbandonRate: callflow.Ratio{Numerator: 2, Denominator: 6},
		ServiceLevel: callflow.Ratio{Numerator: 0, Denominator: 6},
		ASA:          45 * time.Second, AvgAbandonTime: 37 * time.Second, AvgTimeInQueue: 31500 * time.Millisecond,
		Announcement: 34 * time.Second, RingTotal: 155 * time.Second,
		RingMean: 155 * time.Second / 6, RingMedian: 17500 * time.Millisecond, RingMax: time.Minute, TalkMean: 4 * time.Minute,
	}
	support := groupCounts{
		Offered: 4, Answered: 1, Missed: 3, Abandoned: 1, LostWhileRinging: 1, ForwardedOnTimeout: 1, HandledByModule: 1,
		AnswerRate: callflow.Ratio{Numerator: 1, Denominator: 4}, AbandonRate: callflow.Ratio{Numerator: 1, Denominator: 4},
		ServiceLevel: callflow.Ratio{Numerator: 1, Denominator: 4},
		ASA:          13 * time.Second, AvgAbandonTime: 31 * time.Second, AvgTimeInQueue: 95 * time.Second / 4,
		Announcement: 33 * time.Second, RingTotal: 62 * time.Second,
		RingMean: 62 * time.Second / 4, RingMedian: 16 * time.Second, RingMax: 30 * time.Second, TalkMean: 90 * time.Second,
	}
	tests := []struct {
		name          string
		cfg           callflow.ReportConfig
		edit          func(h, s *groupCounts)
		hotline, supp groupCounts
	}{
		{name: "defaults", edit: func(h, s *groupCounts) {}},
		{
			name: "short abandon 7s makes the 6s hang-up short",
			cfg:  callflow.ReportConfig{ShortAbandon: 7 * time.Second},
			edit: func(h, s *groupCounts) {
				h.Abandoned, h.ShortAbandoned = 1, 1
				h.AbandonRate = callflow.Ratio{Numerator: 1, Denominator: 6}
				h.ServiceLevel = callflow.Ratio{Numerator: 0, Denominator: 5}
				h.AvgAbandonTime = 68 * time.Second
			},
		},
		{
			name: "T of 45s answers the hotline call in time",
			cfg:  callflow.ReportConfig{ServiceLevelThreshold: 45 * time.Second},
			edit: func(h, s *groupCounts) { h.ServiceLevel = callflow.Ratio{Numerator: 1, Denominator: 6} },
		},
		{
			name: "abandons within T leave the denominator",
			cfg:  callflow.ReportConfig{ServiceLevelAbandonsWithinT: true},
			edit: func(h, s *groupCounts) { h.ServiceLevel = callflow.Ratio{Numerator: 0, Denominator: 5} },
		},
		{
			name: "overflow leaves the denominator",
			cfg:  callflow.ReportConfig{ServiceLevelExcludesOverflow: true},
			edit: func(h, s *groupCounts) { s.ServiceLevel = callflow.Ratio{Numerator: 1, Denominator: 3} },
		},
		{
			name: "business hours set the 07:55 and 18:30 calls apart",
			cfg:  callflow.ReportConfig{BusinessHours: hours},
			edit: func(h, s *groupCounts) {
				h.Offered, h.OutOfHours, h.Missed, h.NoAgent = 5, 1, 4, 1
				h.AnswerRate = callflow.Ratio{Numerator: 1, Denominator: 5}
				h.AbandonRate = callflow.Ratio{Numerator: 2, Denominator: 5}
				h.ServiceLevel = callflow.Ratio{Numerator: 0, Denominator: 5}
				h.AvgTimeInQueue = 189 * time.Second / 5
				h.RingMean, h.RingMedian = 155*time.Second/5, 35*time.Second
				s.Offered, s.OutOfHours, s.Missed, s.HandledByModule = 3, 1, 2, 0
				s.AnswerRate = callflow.Ratio{Numerator: 1, Denominator: 3}
				s.AbandonRate = callflow.Ratio{Numerator: 1, Denominator: 3}
				s.ServiceLevel = callflow.Ratio{Numerator: 1, Denominator: 3}
				s.AvgTimeInQueue = 65 * time.Second / 3
				s.Announcement = 3 * time.Second
				s.RingMean, s.RingMedian = 62*time.Second/3, 20*time.Second
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, s := hotline, support
			tt.edit(&h, &s)
			got := byGroup(reporter(t, tt.cfg).Groups(calls, callflow.IntervalAll))
			if d := cmp.Diff(h, countsOf(got[300])); d != "" {
				t.Errorf("Hotline 300 (-want +got):\n%s", d)
			}
			if d := cmp.Diff(s, countsOf(got[200])); d != "" {
				t.Errorf("Support 200 (-want +got):\n%s", d)
			}
		})
	}
}

// queueCall builds a call that visits one group, for interval cases.
func queueCall(id string, group cdr.AccountID, at time.Time, d callflow.Disposition, wait time.Duration) callflow.Call {
	v := callflow.QueueVisit{GroupID: group, Type: cdr.AccountGroup, Arrival: at, Ring: wait, Wait: wait, Disposition: d}
	j := callflow.Journey{CallID: id, Direction: callflow.Inbound, Arrival: at, End: at.Add(wait + time.Minute),
		Path: []cdr.AccountID{group}, Queues: []callflow.QueueVisit{v}, Answered: d == callflow.DispositionAnswered}
	if j.Answered {
		j.Queues[0].Talk = time.Minute
	}
	return callflow.Call{Journey: j}
}

func TestGroupKPIIntervals(t *testing.T) {
	loc := berlin(t)
	at := func(day, h, m int) time.Time { return time.Date(2026, 10, day, h, m, 0, 0, loc) }
	t.Run("hours with a gap are listed empty with null rates", func(t *testing.T) {
		calls := []callflow.Call{
			queueCall("a", 200, at(20, 9, 10), callflow.DispositionAnswered, 10*time.Second),
			queueCall("b", 200, at(20, 11, 50), callflow.DispositionLostWhileRinging, 30*time.Second),
		}
		got := reporter(t, callflow.ReportConfig{}).Groups(calls, callflow.IntervalHour)
		var offered []int
		var starts []string
		for _, k := range got {
			offered = append(offered, k.Offered)
			starts = append(starts, k.Start.Format("15:04"))
		}
		require.Len(t, got, 3)
		if d := cmp.Diff([]int{1, 0, 1}, offered); d != "" {
			t.Errorf("offered per hour (-want +got):\n%s", d)
		}
		if d := cmp.Diff([]string{"09:00", "10:00", "11:00"}, starts); d != "" {
			t.Errorf("hour starts (-want +got):\n%s", d)
		}
		if _, ok := got[1].ServiceLevel.Value(); ok {
			t.Errorf("empty hour has a service level %v, want null", got[1].ServiceLevel)
		}
		b, err := json.Marshal(got[1])
		require.NoError(t, err)
		if !strings.Contains(string(b), `"serviceLevel":{"numerator":0,"denominator":0,"value":null}`) {
			t.Errorf("empty hour JSON lacks a null service level: %s", b)
		}
	})
	t.Run("the autumn DST day has 25 hours and two 02:00 hours", func(t *testing.T) {
		first := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC) // 02:30 CEST, the first 02:30
		second := first.Add(time.Hour)                          // 02:30 CET, the second
		calls := []callflow.Call{
			queueCall("a", 200, at(25, 0, 5), callflow.DispositionAnswered, 5*time.Second),
			queueCall("b", 200, first, callflow.DispositionAnswered, 5*time.Second),
			queueCall("c", 200, second, callflow.DispositionAnswered, 5*time.Second),
			queueCall("d", 200, at(25, 23, 55), callflow.DispositionAnswered, 5*time.Second),
		}
		r := reporter(t, callflow.ReportConfig{Filter: callflow.Filter{From: at(25, 0, 0), To: at(26, 0, 0)}})
		hours := r.Groups(calls, callflow.IntervalHour)
		require.Len(t, hours, 25)
		if hours[2].Offered != 1 || hours[3].Offered != 1 || hours[2].Start.Format("15:04 MST") != "02:00 CEST" || hours[3].Start.Format("15:04 MST") != "02:00 CET" {
			t.Errorf("the two 02:00 hours: %v %d, %v %d", hours[2].Start, hours[2].Offered, hours[3].Start, hours[3].Offered)
		}
		days := r.Groups(calls, callflow.IntervalDay)
		require.Len(t, days, 1)
		if days[0].Offered != 4 || days[0].End.Sub(days[0].Start) != 25*time.Hour {
			t.Errorf("day: offered %d, length %v; want 4, 25h", days[0].Offered, days[0].End.Sub(days[0].Start))
		}
	})
	t.Run("weeks start on Monday and months on the first", func(t *testing.T) {
		calls := []callflow.Call{
			queueCall("a", 200, at(4, 12, 0), callflow.DispositionAnswered, 5*time.Second), // Sunday
			queueCall("b", 200, at(5, 12, 0), callflow.DispositionAnswered, 5*time.Second), // Monday
			queueCall("c", 200, time.Date(2026, 11, 2, 9, 0, 0, 0, loc), callflow.DispositionAnswered, 5*time.Second),
		}
		r := reporter(t, callflow.ReportConfig{})
		weeks := r.Groups(calls, callflow.IntervalWeek)
		require.NotEmpty(t, weeks)
		if weeks[0].Start.Format(time.DateOnly) != "2026-09-28" || weeks[0].Offered != 1 || weeks[1].Offered != 1 {
			t.Errorf("first weeks: %v %d, %v %d", weeks[0].Start, weeks[0].Offered, weeks[1].Start, weeks[1].Offered)
		}
		months := r.Groups(calls, callflow.IntervalMonth)
		require.Len(t, months, 2)
		if months[0].Offered != 2 || months[1].Offered != 1 || months[1].Start.Format(time.DateOnly) != "2026-11-01" {
			t.Errorf("months: %+v", months)
		}
	})
	t.Run("a filtered group without calls is listed", func(t *testing.T) {
		r := reporter(t, callflow.ReportConfig{Filter: callflow.Filter{Groups: []cdr.AccountID{201}}})
		got := r.Groups(nil, callflow.IntervalAll)
		require.Len(t, got, 1)
		if got[0].GroupID != 201 || got[0].Offered != 0 {
			t.Errorf("got %+v", got[0])
		}
		if _, ok := got[0].AnswerRate.Value(); ok {
			t.Error("answer rate of nothing offered is defined")
		}
	})
	t.Run("a call visiting a group twice counts once, answered", func(t *testing.T) {
		c := queueCall("loop", 200, at(20, 9, 0), callflow.DispositionForwardedOnTimeout, 20*time.Second)
		c.Journey.Queues = append(c.Journey.Queues, callflow.QueueVisit{GroupID: 200, Type: cdr.AccountGroup, Arrival: at(20, 9, 1), Wait: 5 * time.Second, Disposition: callflow.DispositionAnswered})
		got := reporter(t, callflow.ReportConfig{}).Groups([]callflow.Call{c}, callflow.IntervalAll)
		require.Len(t, got, 1)
		if got[0].Offered != 1 || got[0].Answered != 1 || got[0].ForwardedOnTimeout != 0 {
			t.Errorf("got offered %d answered %d forwarded %d, want 1 1 0", got[0].Offered, got[0].Answered, got[0].ForwardedOnTimeout)
		}
	})
}

func TestSlowestFastest(t *testing.T) {
	kpis := []callflow.GroupKPI{
		{GroupID: 1, Answered: 3, ASA: 20 * time.Second},
		{GroupID: 2, Answered: 0, ASA: 0},
		{GroupID: 3, Answered: 1, ASA: 50 * time.Second},
		{GroupID: 4, Answered: 2, ASA: 5 * time.Second},
	}
	slow, fast, ok := callflow.SlowestFastest(kpis)
	if !ok || slow.GroupID != 3 || fast.GroupID != 4 {
		t.Errorf("slowest %d fastest %d ok %v; want 3 4 true", slow.GroupID, fast.GroupID, ok)
	}
	if _, _, ok := callflow.SlowestFastest(kpis[1:2]); ok {
		t.Error("a group without answered calls was ranked")
	}
}

// On simulated data the outcome counts add up, the service level's
// numerator never exceeds its denominator, and every hour sums to the day.
func TestGroupKPIInvariants(t *testing.T) {
	rows, in, _ := simulated(t, 11, 7)
	calls := in.InterpretAll(rows)
	hours := &callflow.BusinessHours{Periods: []callflow.OpeningPeriod{{Days: callflow.MondayToFriday, Hours: callflow.ClockRange{From: callflow.Clock(8, 0, 0), To: callflow.Clock(18, 0, 0)}}}}
	for _, cfg := range []callflow.ReportConfig{{}, {BusinessHours: hours, ServiceLevelAbandonsWithinT: true, ServiceLevelExcludesOverflow: true}} {
		r := reporter(t, cfg)
		all := r.Groups(calls, callflow.IntervalAll)
		require.NotEmpty(t, all)
		total := map[cdr.AccountID]int{}
		for _, k := range r.Groups(calls, callflow.IntervalHour) {
			total[k.GroupID] += k.Offered
			checkGroupKPI(t, k)
		}
		offered := 0
		for _, k := range all {
			checkGroupKPI(t, k)
			offered += k.Offered
			if total[k.GroupID] != k.Offered {
				t.Errorf("group %d: hours sum to %d offered, the whole range has %d", k.GroupID, total[k.GroupID], k.Offered)
			}
		}
		// Every counted visit is one call reaching one group.
		visits := 0
		for _, c := range calls {
			seen := map[cdr.AccountID]bool{}
			for _, v := range c.Journey.Queues {
				if !seen[v.GroupID] && r.InHours(&c.Journey) {
					visits++
				}
				seen[v.GroupID] = true
			}
		}
		if offered != visits {
			t.Errorf("offered %d, want %d group visits", offered, visits)
		}
	}
}

func checkGroupKPI(t *testing.T, k callflow.GroupKPI) {
	t.Helper()
	if sum := k.Answered + k.Abandoned + k.ShortAbandoned + k.Forwarded() + k.Other(); sum != k.Offered {
		t.Errorf("group %d %v: answered+abandoned+short+forwarded+other = %d, offered %d", k.GroupID, k.Start, sum, k.Offered)
	}
	if k.LostInAnnouncement+k.LostWhileRinging != k.Abandoned+k.ShortAbandoned {
		t.Errorf("group %d: lost in announcement + while ringing != abandons", k.GroupID)
	}
	if k.ServiceLevel.Numerator > k.ServiceLevel.Denominator || k.ServiceLevel.Numerator > k.Answered {
		t.Errorf("group %d: service level %d/%d", k.GroupID, k.ServiceLevel.Numerator, k.ServiceLevel.Denominator)
	}
	if k.Offered == 0 {
		if _, ok := k.ServiceLevel.Value(); ok {
			t.Errorf("group %d %v: service level defined with nothing offered", k.GroupID, k.Start)
		}
	}
	if k.Ring.Count != k.Offered || k.Talk.Count != k.Answered {
		t.Errorf("group %d: ring count %d talk count %d, offered %d answered %d", k.GroupID, k.Ring.Count, k.Talk.Count, k.Offered, k.Answered)
	}
	n := 0
	for _, b := range k.Ring.Buckets {
		n += b.Count
	}
	if n != k.Ring.Count {
		t.Errorf("group %d: ring buckets hold %d of %d", k.GroupID, n, k.Ring.Count)
	}
}
