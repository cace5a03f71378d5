package callflow_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/callflow/callflowtest"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
)

// Helpers of the lost-caller and repeat-call tests are prefixed lc.

const (
	lcGroup  cdr.AccountID = 200
	lcGroup2 cdr.AccountID = 300
	lcAnna   cdr.AccountID = 11
	lcBen    cdr.AccountID = 12
)

func lcReporter(t testing.TB, cfg callflow.ReportConfig) *callflow.Reporter {
	t.Helper()
	if cfg.Location == nil {
		cfg.Location = berlin(t)
	}
	r, err := callflow.NewReporter(cfg)
	require.NoError(t, err)
	return r
}

// lcNum parses a number in PhoneNumber's text form.
func lcNum(t testing.TB, s string) cdr.PhoneNumber {
	t.Helper()
	n, err := cdr.ParsePhoneNumber(s)
	require.NoError(t, err)
	return n
}

// lcLost is an inbound call from num to group that nobody answered: the
// caller hung up after waiting wait.
func lcLost(t testing.TB, id, num string, at time.Time, wait time.Duration, group cdr.AccountID) callflow.Call {
	return callflow.Call{Journey: callflow.Journey{
		CallID: id, Direction: callflow.Inbound, CallerNumber: lcNum(t, num), DialledAccountID: group,
		Arrival: at, End: at.Add(wait), Path: []cdr.AccountID{group},
		Wait: wait, Duration: wait, Outcome: callflow.OutcomeLostWhileRinging,
		Queues: []callflow.QueueVisit{{GroupID: group, Type: cdr.AccountGroup, Arrival: at, Ring: wait, Wait: wait, Disposition: callflow.DispositionLostWhileRinging}},
	}}
}

// lcAnswered is an inbound call from num that agent answered through group
// after 10 s and talked for talk.
func lcAnswered(t testing.TB, id, num string, at time.Time, talk time.Duration, group, agent cdr.AccountID) callflow.Call {
	const wait = 10 * time.Second
	return callflow.Call{Journey: callflow.Journey{
		CallID: id, Direction: callflow.Inbound, CallerNumber: lcNum(t, num), DialledAccountID: group,
		Arrival: at, End: at.Add(wait + talk), Path: []cdr.AccountID{group, agent},
		Answered: true, AnsweredBy: agent, AnsweredVia: group, Answer: at.Add(wait),
		Wait: wait, Talk: talk, Duration: wait + talk, Outcome: callflow.OutcomeAnswered,
		Queues: []callflow.QueueVisit{{GroupID: group, Type: cdr.AccountGroup, Arrival: at, Ring: wait, Wait: wait, Talk: talk, AgentID: agent, Disposition: callflow.DispositionAnswered}},
	}}
}

// lcOutbound is agent calling num; the party answers after 15 s and talks
// for talk, or does not answer (talk 0).
func lcOutbound(t testing.TB, id, num string, at time.Time, talk time.Duration, agent cdr.AccountID) callflow.Call {
	const ring = 15 * time.Second
	j := callflow.Journey{
		CallID: id, Direction: callflow.Outbound, CallerAccountID: agent, CalledNumber: lcNum(t, num),
		Arrival: at, End: at.Add(ring + talk), Path: []cdr.AccountID{agent},
		Wait: ring, Talk: talk, Duration: ring + talk, Outcome: callflow.OutcomeNotAnswered,
	}
	if talk > 0 {
		j.Answered, j.Answer, j.Outcome = true, at.Add(ring), callflow.OutcomeAnswered
	}
	return callflow.Call{Journey: j}
}

// lcAttempt is the attempt lcLost(…, id, …, at, wait, group) makes.
func lcAttempt(id string, at time.Time, wait time.Duration, group cdr.AccountID) callflow.Attempt {
	return callflow.Attempt{CallID: id, Start: at, End: at.Add(wait), Wait: wait, CalledAccountID: group, GroupID: group, Reason: callflow.DispositionLostWhileRinging}
}

func lcSort(calls []callflow.Call) []callflow.Call {
	slices.SortFunc(calls, func(a, b callflow.Call) int { return a.Journey.Arrival.Compare(b.Journey.Arrival) })
	return calls
}

func TestLostCallsScenarios(t *testing.T) {
	var calls []callflow.Call
	for _, n := range []string{"iqueue-hangup-announcement", "iqueue-hangup-waiting", "group-unanswered", "iqueue-no-agent", "iqueue-timed-out", "group-ring-all-answered", "voicemail", "forward-external"} {
		s, err := callflowtest.Load(filepath.Join("testdata", "scenarios", n+".scenario"))
		require.NoError(t, err)
		cs, err := s.Interpret()
		require.NoError(t, err)
		calls = append(calls, cs...)
	}
	loc := berlin(t)
	at := func(h, m, s int) time.Time { return time.Date(2026, 3, 2, h, m, s, 0, loc) }
	caller := lcNum(t, "+4971112345678")
	hours := &callflow.BusinessHours{Periods: []callflow.OpeningPeriod{{Days: callflow.MondayToFriday, Hours: callflow.ClockRange{From: callflow.Clock(8, 0, 0), To: callflow.Clock(18, 0, 0)}}}}
	r := lcReporter(t, callflow.ReportConfig{BusinessHours: hours})
	// Not lost: the answered group call; the voicemail and the external
	// forward of calls to a user, which reached no group (and the
	// external forward would not be lost anyway).
	want := []callflow.LostCall{
		{CallID: "1772442000.304", Arrival: at(7, 55, 0), End: at(7, 55, 0), Number: caller, DialledAccountID: 300, GroupID: 300, Reason: callflow.DispositionNoAgent, Outcome: callflow.OutcomeNoAgent, OutOfHours: true},
		{CallID: "1772442000.203", Arrival: at(10, 0, 0), End: at(10, 0, 31), Number: caller, Wait: 31 * time.Second, DialledAccountID: 200, GroupID: 200, Reason: callflow.DispositionLostWhileRinging, Outcome: callflow.OutcomeLostWhileRinging},
		{CallID: "1772442000.302", Arrival: at(10, 0, 0), End: at(10, 0, 6), Number: caller, Wait: 6 * time.Second, DialledAccountID: 300, GroupID: 300, Reason: callflow.DispositionLostInAnnouncement, Outcome: callflow.OutcomeLostInAnnouncement},
		{CallID: "1772442000.303", Arrival: at(10, 0, 0), End: at(10, 1, 8), Number: caller, Wait: 68 * time.Second, DialledAccountID: 300, GroupID: 300, Reason: callflow.DispositionLostWhileRinging, Outcome: callflow.OutcomeLostWhileRinging},
		{CallID: "1772442000.305", Arrival: at(10, 0, 0), End: at(10, 0, 0), Number: lcNum(t, "+4989123456"), DialledAccountID: 300, GroupID: 300, Reason: callflow.DispositionNoAgent, Outcome: callflow.OutcomeNoAgent},
		{CallID: "1772442000.308", Arrival: at(10, 0, 0), End: at(10, 1, 10), Number: caller, Wait: 70 * time.Second, DialledAccountID: 300, GroupID: 300, Reason: callflow.DispositionTimedOut, Outcome: callflow.OutcomeTimedOut},
	}
	got := r.LostCalls(calls)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LostCalls (-want +got):\n%s", diff)
	}
	wantStats := callflow.LostCallStats{Lost: 5, OutOfHours: 1, Reasons: []callflow.LostCallReason{
		{Reason: callflow.DispositionLostInAnnouncement, Lost: 1},
		{Reason: callflow.DispositionLostWhileRinging, Lost: 2},
		{Reason: callflow.DispositionTimedOut, Lost: 1},
		{Reason: callflow.DispositionNoAgent, Lost: 1, OutOfHours: 1},
	}}
	if diff := cmp.Diff(wantStats, callflow.LostCallSummary(got)); diff != "" {
		t.Errorf("LostCallSummary (-want +got):\n%s", diff)
	}
	// The filter selects: only iQueue 300.
	r300 := lcReporter(t, callflow.ReportConfig{Filter: callflow.Filter{Groups: []cdr.AccountID{300}}})
	var ids []string
	for _, l := range r300.LostCalls(calls) {
		ids = append(ids, l.CallID)
		if l.OutOfHours {
			t.Errorf("%s is out of hours without business hours", l.CallID)
		}
	}
	if diff := cmp.Diff([]string{"1772442000.304", "1772442000.302", "1772442000.303", "1772442000.305", "1772442000.308"}, ids); diff != "" {
		t.Errorf("LostCalls with a group filter (-want +got):\n%s", diff)
	}
}

func TestLostCallsReasonIsLastVisit(t *testing.T) {
	at := time.Date(2026, 3, 3, 10, 0, 0, 0, berlin(t))
	// Group 200 forwards on timeout to group 300, which forwards to
	// Anna's voicemail box.
	c := lcLost(t, "c1", "+4971110001", at, 40*time.Second, lcGroup)
	j := &c.Journey
	j.Outcome = callflow.OutcomeVoicemail
	j.Path = []cdr.AccountID{lcGroup, lcGroup2, lcAnna}
	j.Queues = []callflow.QueueVisit{
		{GroupID: lcGroup, Disposition: callflow.DispositionForwardedOnTimeout},
		{GroupID: lcGroup2, Disposition: callflow.DispositionForwardedOnTimeout},
	}
	away := lcLost(t, "c2", "+4971110001", at.Add(time.Hour), 20*time.Second, lcGroup)
	away.Journey.Outcome = callflow.OutcomeForwardedAway
	away.Journey.Queues[0].Disposition = callflow.DispositionForwardedOnTimeout
	got := lcReporter(t, callflow.ReportConfig{}).LostCalls([]callflow.Call{c, away})
	want := []callflow.LostCall{{
		CallID: "c1", Arrival: at, End: at.Add(40 * time.Second), Number: lcNum(t, "+4971110001"), Wait: 40 * time.Second,
		DialledAccountID: lcGroup, GroupID: lcGroup2, Reason: callflow.DispositionForwardedOnTimeout, Outcome: callflow.OutcomeVoicemail,
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LostCalls (-want +got):\n%s", diff)
	}
}

// lcCase is a hand-computed lost-caller case.
type lcCase struct {
	name  string
	cfg   callflow.ReportConfig
	calls []callflow.Call
	asOf  time.Time
	want  []callflow.LostCaller
}

func lcCases(t *testing.T) []lcCase {
	loc := berlin(t)
	// Tuesday 3 March 2026.
	at := func(h, m, s int) time.Time { return time.Date(2026, 3, 3, h, m, s, 0, loc) }
	const a, b, c = "+4971110001", "+4971110002", "+4971110003"
	na, nb := lcNum(t, a), lcNum(t, b)
	hours := &callflow.BusinessHours{Periods: []callflow.OpeningPeriod{{Days: callflow.MondayToFriday, Hours: callflow.ClockRange{From: callflow.Clock(8, 0, 0), To: callflow.Clock(18, 0, 0)}}}}
	w30 := 30 * time.Second

	// DST: Saturday 24 October 2026 12:00 CEST is 10:00 UTC; 24 hours
	// after the lost call's end (10:01 UTC) is Sunday 10:01 UTC, which is
	// 11:01 CET: not 12:01 on the wall clock.
	sat := time.Date(2026, 10, 24, 12, 0, 0, 0, loc)
	sun := func(h, m int) time.Time { return time.Date(2026, 10, 25, h, m, 0, 0, loc) }

	return []lcCase{
		{
			name: "callback within W",
			calls: []callflow.Call{
				lcLost(t, "L1", a, at(10, 0, 0), w30, lcGroup),
				lcOutbound(t, "O1", a, at(10, 20, 0), 2*time.Minute, lcAnna),
			},
			want: []callflow.LostCaller{{
				Number: na, Outcome: callflow.LostCallerRecoveredByCallback,
				Attempts: []callflow.Attempt{lcAttempt("L1", at(10, 0, 0), w30, lcGroup)},
				First:    at(10, 0, 0), Last: at(10, 0, 0), WindowEnd: at(11, 0, 30),
				RecoveredBy: "O1", RecoveredAt: at(10, 20, 0), CallbackLatency: 19*time.Minute + 30*time.Second, AgentID: lcAnna,
			}},
		},
		{
			name: "callback after W, unanswered callback within W",
			calls: []callflow.Call{
				lcLost(t, "L1", a, at(10, 0, 0), w30, lcGroup),
				lcOutbound(t, "O0", a, at(10, 10, 0), 0, lcAnna), // not answered: no recovery
				lcOutbound(t, "O1", a, at(11, 10, 0), 2*time.Minute, lcAnna),
			},
			want: []callflow.LostCaller{{
				Number: na, Outcome: callflow.LostCallerLost,
				Attempts: []callflow.Attempt{lcAttempt("L1", at(10, 0, 0), w30, lcGroup)},
				First:    at(10, 0, 0), Last: at(10, 0, 0), WindowEnd: at(11, 0, 30),
			}},
		},
		{
			name: "caller retries then gets through",
			calls: []callflow.Call{
				lcAnswered(t, "A0", a, at(9, 0, 0), time.Minute, lcGroup, lcBen), // before: no recovery
				lcLost(t, "L1", a, at(10, 0, 0), time.Minute, lcGroup),
				lcLost(t, "L2", a, at(10, 30, 0), time.Minute, lcGroup2),
				lcAnswered(t, "A1", a, at(10, 50, 0), 3*time.Minute, lcGroup, lcBen),
				lcOutbound(t, "O1", a, at(10, 55, 0), time.Minute, lcAnna), // after the recovery
			},
			want: []callflow.LostCaller{{
				Number: na, Outcome: callflow.LostCallerRecoveredByCaller,
				Attempts: []callflow.Attempt{
					lcAttempt("L1", at(10, 0, 0), time.Minute, lcGroup),
					lcAttempt("L2", at(10, 30, 0), time.Minute, lcGroup2),
				},
				First: at(10, 0, 0), Last: at(10, 30, 0), WindowEnd: at(11, 31, 0),
				RecoveredBy: "A1", RecoveredAt: at(10, 50, 0), AgentID: lcBen,
			}},
		},
		{
			name: "a second attempt restarts W: callback after the first W",
			calls: []callflow.Call{
				lcLost(t, "L1", a, at(10, 0, 0), time.Minute, lcGroup),
				lcLost(t, "L2", a, at(10, 50, 0), time.Minute, lcGroup),
				lcOutbound(t, "O1", a, at(11, 30, 0), time.Minute, lcAnna),
			},
			want: []callflow.LostCaller{{
				Number: na, Outcome: callflow.LostCallerRecoveredByCallback,
				Attempts: []callflow.Attempt{
					lcAttempt("L1", at(10, 0, 0), time.Minute, lcGroup),
					lcAttempt("L2", at(10, 50, 0), time.Minute, lcGroup),
				},
				First: at(10, 0, 0), Last: at(10, 50, 0), WindowEnd: at(11, 51, 0),
				RecoveredBy: "O1", RecoveredAt: at(11, 30, 0), CallbackLatency: 39 * time.Minute, AgentID: lcAnna,
			}},
		},
		{
			name: "two lost attempts then lost; a later lost call is a new, pending episode",
			calls: []callflow.Call{
				lcLost(t, "L1", a, at(10, 0, 0), time.Minute, lcGroup),
				lcLost(t, "L2", a, at(10, 40, 0), time.Minute, lcGroup),
				lcLost(t, "L3", a, at(12, 0, 0), time.Minute, lcGroup),
				lcAnswered(t, "X", b, at(12, 10, 0), time.Minute, lcGroup, lcBen), // another number
			},
			// The data ends at 12:11:10, the end of X.
			want: []callflow.LostCaller{
				{
					Number: na, Outcome: callflow.LostCallerLost,
					Attempts: []callflow.Attempt{
						lcAttempt("L1", at(10, 0, 0), time.Minute, lcGroup),
						lcAttempt("L2", at(10, 40, 0), time.Minute, lcGroup),
					},
					First: at(10, 0, 0), Last: at(10, 40, 0), WindowEnd: at(11, 41, 0),
				},
				{
					Number: na, Outcome: callflow.LostCallerPending,
					Attempts: []callflow.Attempt{lcAttempt("L3", at(12, 0, 0), time.Minute, lcGroup)},
					First:    at(12, 0, 0), Last: at(12, 0, 0), WindowEnd: at(13, 1, 0),
				},
			},
		},
		{
			name: "pending at an explicit asOf, lost at the data's end",
			calls: []callflow.Call{
				lcLost(t, "L1", a, at(10, 0, 0), w30, lcGroup),
				lcLost(t, "L2", b, at(10, 30, 0), w30, lcGroup),
			},
			asOf: at(11, 0, 30), // L1's W ends exactly then: lost; L2's is open
			want: []callflow.LostCaller{
				{
					Number: na, Outcome: callflow.LostCallerLost,
					Attempts: []callflow.Attempt{lcAttempt("L1", at(10, 0, 0), w30, lcGroup)},
					First:    at(10, 0, 0), Last: at(10, 0, 0), WindowEnd: at(11, 0, 30),
				},
				{
					Number: nb, Outcome: callflow.LostCallerPending,
					Attempts: []callflow.Attempt{lcAttempt("L2", at(10, 30, 0), w30, lcGroup)},
					First:    at(10, 30, 0), Last: at(10, 30, 0), WindowEnd: at(11, 30, 30),
				},
			},
		},
		{
			name: "withheld and missing numbers are unrecoverable, one episode per call",
			calls: []callflow.Call{
				lcLost(t, "W1", "withheld", at(10, 0, 0), w30, lcGroup),
				lcLost(t, "W2", "withheld", at(10, 5, 0), w30, lcGroup),
				lcLost(t, "N1", "", at(10, 10, 0), w30, lcGroup),
				lcAnswered(t, "W3", "withheld", at(10, 20, 0), time.Minute, lcGroup, lcBen),
			},
			want: []callflow.LostCaller{
				{Number: cdr.Withheld, Outcome: callflow.LostCallerUnrecoverable, Attempts: []callflow.Attempt{lcAttempt("W1", at(10, 0, 0), w30, lcGroup)}, First: at(10, 0, 0), Last: at(10, 0, 0)},
				{Number: cdr.Withheld, Outcome: callflow.LostCallerUnrecoverable, Attempts: []callflow.Attempt{lcAttempt("W2", at(10, 5, 0), w30, lcGroup)}, First: at(10, 5, 0), Last: at(10, 5, 0)},
				{Outcome: callflow.LostCallerUnrecoverable, Attempts: []callflow.Attempt{lcAttempt("N1", at(10, 10, 0), w30, lcGroup)}, First: at(10, 10, 0), Last: at(10, 10, 0)},
			},
		},
		{
			name: "the filter selects lost calls, recoveries come from all calls",
			cfg:  callflow.ReportConfig{Filter: callflow.Filter{Groups: []cdr.AccountID{lcGroup}}},
			calls: []callflow.Call{
				lcLost(t, "L1", a, at(10, 0, 0), w30, lcGroup),
				lcLost(t, "L2", b, at(10, 0, 0), w30, lcGroup2), // not selected: no episode
				lcOutbound(t, "O1", a, at(10, 5, 0), time.Minute, lcAnna),
			},
			want: []callflow.LostCaller{{
				Number: na, Outcome: callflow.LostCallerRecoveredByCallback,
				Attempts: []callflow.Attempt{lcAttempt("L1", at(10, 0, 0), w30, lcGroup)},
				First:    at(10, 0, 0), Last: at(10, 0, 0), WindowEnd: at(11, 0, 30),
				RecoveredBy: "O1", RecoveredAt: at(10, 5, 0), CallbackLatency: 4*time.Minute + 30*time.Second, AgentID: lcAnna,
			}},
		},
		{
			name: "business-day window with business hours",
			cfg:  callflow.ReportConfig{BusinessHours: hours, Window: callflow.WindowBusinessDay},
			calls: []callflow.Call{
				lcLost(t, "L1", a, at(17, 0, 0), time.Minute, lcGroup),
				lcOutbound(t, "O1", a, at(17, 50, 0), time.Minute, lcAnna), // before closing: recovered
				lcLost(t, "L2", b, at(17, 0, 0), time.Minute, lcGroup),
				lcOutbound(t, "O2", b, at(18, 10, 0), time.Minute, lcAnna), // after closing: lost
				// Out of hours: W runs to midnight, the callback next
				// morning is too late.
				lcLost(t, "L3", c, at(19, 0, 0), time.Minute, lcGroup),
				lcOutbound(t, "O3", c, time.Date(2026, 3, 4, 8, 30, 0, 0, loc), time.Minute, lcAnna),
			},
			want: []callflow.LostCaller{
				{
					Number: na, Outcome: callflow.LostCallerRecoveredByCallback,
					Attempts: []callflow.Attempt{lcAttempt("L1", at(17, 0, 0), time.Minute, lcGroup)},
					First:    at(17, 0, 0), Last: at(17, 0, 0), WindowEnd: at(18, 0, 0),
					RecoveredBy: "O1", RecoveredAt: at(17, 50, 0), CallbackLatency: 49 * time.Minute, AgentID: lcAnna,
				},
				{
					Number: nb, Outcome: callflow.LostCallerLost,
					Attempts: []callflow.Attempt{lcAttempt("L2", at(17, 0, 0), time.Minute, lcGroup)},
					First:    at(17, 0, 0), Last: at(17, 0, 0), WindowEnd: at(18, 0, 0),
				},
				{
					Number: lcNum(t, c), Outcome: callflow.LostCallerLost,
					Attempts: []callflow.Attempt{func() callflow.Attempt {
						a := lcAttempt("L3", at(19, 0, 0), time.Minute, lcGroup)
						a.OutOfHours = true
						return a
					}()},
					First: at(19, 0, 0), Last: at(19, 0, 0), WindowEnd: time.Date(2026, 3, 4, 0, 0, 0, 0, loc), OutOfHours: true,
				},
			},
		},
		{
			name: "24-hour window across the autumn DST change",
			cfg:  callflow.ReportConfig{Window: callflow.WindowDay},
			calls: []callflow.Call{
				lcLost(t, "L1", a, sat, time.Minute, lcGroup),
				lcOutbound(t, "O1", a, sun(11, 0), time.Minute, lcAnna), // 23 h 59 min later: recovered
				lcLost(t, "L2", b, sat, time.Minute, lcGroup),
				lcOutbound(t, "O2", b, sun(11, 30), time.Minute, lcAnna), // before 12:01 on the wall clock, but 24 h 29 min later
			},
			want: []callflow.LostCaller{
				{
					Number: na, Outcome: callflow.LostCallerRecoveredByCallback,
					Attempts: []callflow.Attempt{lcAttempt("L1", sat, time.Minute, lcGroup)},
					First:    sat, Last: sat, WindowEnd: sun(11, 1),
					RecoveredBy: "O1", RecoveredAt: sun(11, 0), CallbackLatency: 23*time.Hour + 59*time.Minute, AgentID: lcAnna,
				},
				{
					Number: nb, Outcome: callflow.LostCallerLost,
					Attempts: []callflow.Attempt{lcAttempt("L2", sat, time.Minute, lcGroup)},
					First:    sat, Last: sat, WindowEnd: sun(11, 1),
				},
			},
		},
		{
			name: "a recovery must start after the lost call's arrival",
			calls: []callflow.Call{
				lcOutbound(t, "O0", a, at(9, 59, 59), time.Minute, lcAnna), // connected before, talks over the lost call
				lcLost(t, "L1", a, at(10, 0, 0), w30, lcGroup),
				lcAnswered(t, "A1", a, at(10, 0, 0), time.Minute, lcGroup, lcBen), // a second line, same second
			},
			asOf: at(12, 0, 0),
			want: []callflow.LostCaller{{
				Number: na, Outcome: callflow.LostCallerLost,
				Attempts: []callflow.Attempt{lcAttempt("L1", at(10, 0, 0), w30, lcGroup)},
				First:    at(10, 0, 0), Last: at(10, 0, 0), WindowEnd: at(11, 0, 30),
			}},
		},
		{
			name: "empty input",
		},
	}
}

func TestLostCallers(t *testing.T) {
	for _, tc := range lcCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			r := lcReporter(t, tc.cfg)
			got := r.LostCallers(lcSort(slices.Clone(tc.calls)), tc.asOf)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("LostCallers (-want +got):\n%s", diff)
			}
			// The order of the input does not matter.
			rev := slices.Clone(tc.calls)
			slices.Reverse(rev)
			if diff := cmp.Diff(got, r.LostCallers(rev, tc.asOf)); diff != "" {
				t.Errorf("LostCallers depends on the order of calls (-sorted +reversed):\n%s", diff)
			}
		})
	}
}

// lcPseudonym replaces a number by an opaque keyed hash of it, as a
// pseudonymised export would; none and withheld stay what they are.
func lcPseudonym(t testing.TB, n cdr.PhoneNumber) cdr.PhoneNumber {
	if !n.Matchable() {
		return n
	}
	m := hmac.New(sha256.New, []byte("test key"))
	m.Write([]byte(n.String()))
	return lcNum(t, "~"+hex.EncodeToString(m.Sum(nil)))
}

func lcPseudonymise(t testing.TB, calls []callflow.Call) []callflow.Call {
	out := make([]callflow.Call, len(calls))
	for i, c := range calls {
		c.Journey.CallerNumber = lcPseudonym(t, c.Journey.CallerNumber)
		c.Journey.CalledNumber = lcPseudonym(t, c.Journey.CalledNumber)
		out[i] = c
	}
	return out
}

// lcByFirst orders episodes by their first attempt, not by number:
// pseudonyms sort differently from the numbers they replace.
func lcByFirst(eps []callflow.LostCaller) []callflow.LostCaller {
	out := slices.Clone(eps)
	slices.SortStableFunc(out, func(a, b callflow.LostCaller) int {
		if c := a.First.Compare(b.First); c != 0 {
			return c
		}
		return strings.Compare(a.Attempts[0].CallID, b.Attempts[0].CallID)
	})
	return out
}

// lcWithoutNumbers blanks the numbers of episodes, in attempt order.
func lcWithoutNumbers(eps []callflow.LostCaller) []callflow.LostCaller {
	out := lcByFirst(eps)
	for i := range out {
		out[i].Number = cdr.PhoneNumber{}
	}
	return out
}

func TestLostCallersPseudonymised(t *testing.T) {
	for _, tc := range lcCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			r := lcReporter(t, tc.cfg)
			got := r.LostCallers(lcPseudonymise(t, tc.calls), tc.asOf)
			want := slices.Clone(tc.want)
			for i := range want {
				want[i].Number = lcPseudonym(t, want[i].Number)
			}
			if diff := cmp.Diff(lcByFirst(want), lcByFirst(got)); diff != "" {
				t.Errorf("LostCallers on pseudonymised numbers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLostCallerSummary(t *testing.T) {
	at := time.Date(2026, 3, 3, 10, 0, 0, 0, berlin(t))
	ep := func(o callflow.LostCallerOutcome, attempts int, latency time.Duration, ooh bool) callflow.LostCaller {
		return callflow.LostCaller{Outcome: o, Attempts: make([]callflow.Attempt, attempts), First: at, CallbackLatency: latency, OutOfHours: ooh}
	}
	eps := []callflow.LostCaller{
		ep(callflow.LostCallerRecoveredByCallback, 1, 10*time.Minute, false),
		ep(callflow.LostCallerRecoveredByCallback, 2, 20*time.Minute, false),
		ep(callflow.LostCallerRecoveredByCallback, 1, 2*time.Hour, false),
		ep(callflow.LostCallerRecoveredByCaller, 3, 0, false),
		ep(callflow.LostCallerLost, 1, 0, false),
		ep(callflow.LostCallerLost, 3, 0, false),
		ep(callflow.LostCallerLost, 1, 0, false),
		ep(callflow.LostCallerPending, 1, 0, false),
		ep(callflow.LostCallerUnrecoverable, 1, 0, false),
		ep(callflow.LostCallerLost, 2, 0, true),
		ep(callflow.LostCallerRecoveredByCallback, 1, 14*time.Hour, true),
	}
	got := callflow.LostCallerSummary(eps)
	buckets := func(counts ...int) []callflow.Bucket {
		bs := []callflow.Bucket{{UpTo: 5 * time.Minute}, {UpTo: 15 * time.Minute}, {UpTo: 30 * time.Minute}, {UpTo: time.Hour}, {UpTo: 4 * time.Hour}, {UpTo: 24 * time.Hour}, {}}
		for i, c := range counts {
			bs[i].Count = c
		}
		return bs
	}
	want := callflow.LostCallerStats{
		InHours: callflow.LostCallerFigures{
			Episodes: 9, RecoveredByCallback: 3, RecoveredByCaller: 1, Lost: 3, Pending: 1, Unrecoverable: 1,
			RecoveryRate: callflow.Ratio{Numerator: 4, Denominator: 7},
			CallbackLatency: callflow.DurationStats{
				Count: 3, Total: 2*time.Hour + 30*time.Minute, Mean: 50 * time.Minute, Median: 20 * time.Minute,
				Min: 10 * time.Minute, Max: 2 * time.Hour, Buckets: buckets(0, 1, 1, 0, 1, 0, 0),
			},
			// 1, 3, 1 attempts: mean 5/3.
			GaveUpAfter: callflow.LostAttemptStats{Episodes: 3, Mean: 5.0 / 3, Counts: []callflow.LostAttemptCount{{Attempts: 1, Episodes: 2}, {Attempts: 3, Episodes: 1}}},
		},
		OutOfHours: callflow.LostCallerFigures{
			Episodes: 2, RecoveredByCallback: 1, Lost: 1,
			RecoveryRate: callflow.Ratio{Numerator: 1, Denominator: 2},
			CallbackLatency: callflow.DurationStats{
				Count: 1, Total: 14 * time.Hour, Mean: 14 * time.Hour, Median: 14 * time.Hour,
				Min: 14 * time.Hour, Max: 14 * time.Hour, Buckets: buckets(0, 0, 0, 0, 0, 1, 0),
			},
			GaveUpAfter: callflow.LostAttemptStats{Episodes: 1, Mean: 2, Counts: []callflow.LostAttemptCount{{Attempts: 2, Episodes: 1}}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LostCallerSummary (-want +got):\n%s", diff)
	}
	empty := callflow.LostCallerSummary(nil)
	if _, ok := empty.InHours.RecoveryRate.Value(); ok || empty.InHours.GaveUpAfter.Mean != 0 {
		t.Errorf("summary of nothing: %+v", empty)
	}
}

func TestLostCallerOutcomeText(t *testing.T) {
	for o := callflow.LostCallerUnknown; o <= callflow.LostCallerUnrecoverable; o++ {
		b, err := json.Marshal(o)
		require.NoError(t, err)
		var back callflow.LostCallerOutcome
		require.NoError(t, json.Unmarshal(b, &back))
		if back != o {
			t.Errorf("%v → %s → %v", o, b, back)
		}
	}
	if got := callflow.LostCallerRecoveredByCallback.String(); got != "recovered-by-callback" {
		t.Errorf("String = %q", got)
	}
	if got := callflow.LostCallerOutcome(42).String(); got != "LostCallerOutcome(42)" {
		t.Errorf("String of an invalid value = %q", got)
	}
	var o callflow.LostCallerOutcome
	if err := o.UnmarshalText([]byte("found")); err == nil {
		t.Error("unknown outcome accepted")
	}
}

// lcSimulated returns simulated calls, the simulator's truths and a
// Reporter in the simulator's zone.
func lcSimulated(t *testing.T, seed uint64, days int) ([]callflow.Call, []sim.Truth, *callflow.Reporter) {
	rows, in, cfg := simulated(t, seed, days)
	var truths []sim.Truth
	for tr := range sim.Truths(cfg) {
		truths = append(truths, tr)
	}
	return in.InterpretAll(rows), truths, lcReporter(t, callflow.ReportConfig{})
}

func TestLostCallersSimulated(t *testing.T) {
	calls, truths, r := lcSimulated(t, 21, 7)
	lost := r.LostCalls(calls)
	eps := r.LostCallers(calls, time.Time{})
	require.NotEmpty(t, lost)
	require.NotEmpty(t, eps)
	var asOf time.Time
	for _, c := range calls {
		if c.Journey.End.After(asOf) {
			asOf = c.Journey.End
		}
	}

	// Every lost call is an attempt of exactly one episode, and every
	// attempt is a lost call.
	lostByID := map[string]callflow.LostCall{}
	for _, l := range lost {
		lostByID[l.CallID] = l
	}
	episodeOf := map[string]int{}
	counts := map[callflow.LostCallerOutcome]int{}
	for i, e := range eps {
		counts[e.Outcome]++
		if len(e.Attempts) == 0 {
			t.Fatalf("episode %d has no attempt: %+v", i, e)
		}
		for _, a := range e.Attempts {
			l, ok := lostByID[a.CallID]
			if !ok {
				t.Errorf("episode %d: attempt %s is not a lost call", i, a.CallID)
			}
			if prev, dup := episodeOf[a.CallID]; dup {
				t.Errorf("lost call %s is in episodes %d and %d", a.CallID, prev, i)
			}
			episodeOf[a.CallID] = i
			if e.Outcome != callflow.LostCallerUnrecoverable && l.Number != e.Number {
				t.Errorf("episode %d of %s has an attempt from %s", i, e.Number, l.Number)
			}
		}
	}
	if len(episodeOf) != len(lost) {
		t.Errorf("%d lost calls, %d of them in episodes", len(lost), len(episodeOf))
	}
	t.Logf("%d lost calls, %d episodes: %v", len(lost), len(eps), counts)
	for _, o := range []callflow.LostCallerOutcome{callflow.LostCallerRecoveredByCallback, callflow.LostCallerRecoveredByCaller, callflow.LostCallerLost, callflow.LostCallerUnrecoverable} {
		if counts[o] == 0 {
			t.Errorf("no episode is %v: the simulation should produce every outcome", o)
		}
	}

	// Contacts that would recover a number, by brute force.
	recovers := func(j *callflow.Journey, n cdr.PhoneNumber) bool {
		return j.Answered && (j.Direction == callflow.Inbound && j.CallerNumber == n || j.Direction == callflow.Outbound && j.CalledNumber == n)
	}
	byID := map[string]*callflow.Journey{}
	for i := range calls {
		byID[calls[i].Journey.CallID] = &calls[i].Journey
	}
	for i, e := range eps {
		switch e.Outcome {
		case callflow.LostCallerLost, callflow.LostCallerPending:
			// No answered inbound call from the number and no connected
			// outbound call to it in the window.
			for k := range calls {
				j := &calls[k].Journey
				if recovers(j, e.Number) && j.Arrival.After(e.First) && j.Arrival.Before(e.WindowEnd) {
					t.Errorf("episode %d (%v, %s–%s) has %s %s in its window", i, e.Outcome, e.First, e.WindowEnd, j.Direction, j.CallID)
				}
			}
			if (e.Outcome == callflow.LostCallerPending) != e.WindowEnd.After(asOf) {
				t.Errorf("episode %d is %v with W ending %v, data ends %v", i, e.Outcome, e.WindowEnd, asOf)
			}
		case callflow.LostCallerRecoveredByCallback, callflow.LostCallerRecoveredByCaller:
			j := byID[e.RecoveredBy]
			if j == nil || !recovers(j, e.Number) || !j.Arrival.After(e.First) || !j.Arrival.Before(e.WindowEnd) || !j.Arrival.Equal(e.RecoveredAt) {
				t.Errorf("episode %d: recovered by %s, which does not recover it: %+v", i, e.RecoveredBy, e)
			}
			if (e.Outcome == callflow.LostCallerRecoveredByCallback) != (j != nil && j.Direction == callflow.Outbound) {
				t.Errorf("episode %d is %v by a %v call", i, e.Outcome, j.Direction)
			}
			if e.CallbackLatency < 0 || (e.Outcome == callflow.LostCallerRecoveredByCaller && e.CallbackLatency != 0) {
				t.Errorf("episode %d: callback latency %v", i, e.CallbackLatency)
			}
		case callflow.LostCallerUnrecoverable:
			if e.Number.Matchable() || len(e.Attempts) != 1 {
				t.Errorf("episode %d unrecoverable: %+v", i, e)
			}
		default:
			t.Errorf("episode %d: outcome %v", i, e.Outcome)
		}
	}

	// The simulator's answered callbacks and recalls of a lost call, made
	// within W of it, recover the caller.
	checked := 0
	for _, tr := range truths {
		if (tr.Origin != sim.OriginCallback && tr.Origin != sim.OriginRecall) || tr.Outcome != callflow.OutcomeAnswered {
			continue
		}
		l, ok := lostByID[tr.Related]
		j := byID[tr.CallID]
		if !ok || j == nil || !j.Arrival.After(l.Arrival) || !j.Arrival.Before(l.End.Add(time.Hour)) {
			continue
		}
		checked++
		i, ok := episodeOf[l.CallID]
		if !ok {
			t.Errorf("lost call %s is in no episode", l.CallID)
		} else if !eps[i].Outcome.Recovered() {
			t.Errorf("%s %s of lost call %s within W, but the episode is %+v", tr.Origin, tr.CallID, l.CallID, eps[i])
		}
	}
	require.Positive(t, checked, "no simulated callback or recall within W")
	t.Logf("%d simulated callbacks and recalls within W checked", checked)

	// Pseudonymised numbers give the same episodes.
	pseudo := r.LostCallers(lcPseudonymise(t, calls), time.Time{})
	if diff := cmp.Diff(lcWithoutNumbers(eps), lcWithoutNumbers(pseudo)); diff != "" {
		t.Errorf("episodes differ on pseudonymised numbers (-plain +pseudonymised):\n%s", diff)
	}
}
