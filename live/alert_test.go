package live_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/live"
)

var alertT0 = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

// alertSink collects delivered alerts; fail, when set, decides whether
// a delivery fails.
type alertSink struct {
	mu     sync.Mutex
	alerts []live.Alert
	fail   func(live.Alert) error
}

func (s *alertSink) notify(_ context.Context, a live.Alert) error {
	if s.fail != nil {
		if err := s.fail(a); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alerts = append(s.alerts, a)
	return nil
}

// fired is what the tests compare of an alert: seconds since alertT0.
type fired struct {
	At, Since int
	Account   cdr.AccountID
}

func (s *alertSink) fired() []fired {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []fired
	for _, a := range s.alerts {
		out = append(out, fired{int(a.At.Sub(alertT0) / time.Second), int(a.Since.Sub(alertT0) / time.Second), a.AccountID})
	}
	return out
}

// queuePolls evaluates one waiting count per 15 s poll on queue 100; -1
// leaves the queue out of the snapshot.
func queuePolls(t *testing.T, a *live.Alerter, from int, waiting []int) {
	t.Helper()
	for i, w := range waiting {
		var qs []live.QueueState
		if w >= 0 {
			qs = append(qs, live.QueueState{AccountID: 100, WaitingCalls: w})
		}
		qs = append(qs, live.QueueState{AccountID: 200}) // never waiting
		now := alertT0.Add(time.Duration(from+i) * 15 * time.Second)
		require.NoError(t, a.Queues(t.Context(), now, qs))
	}
}

func TestAlertQueueWaiting(t *testing.T) {
	rule := live.QueueWaitingRule{MinWaiting: 3, Debounce: live.Debounce{For: 30 * time.Second, ReArm: time.Minute}}
	tests := []struct {
		name    string
		rule    live.QueueWaitingRule
		waiting []int // per 15 s poll
		want    []fired
	}{
		{"fires after the debounce", rule, []int{3, 3, 3, 3, 0}, []fired{{30, 0, 100}}},
		{"below the threshold", rule, []int{2, 2, 2, 2, 2}, nil},
		{"flapping shorter than For", rule, []int{3, 0, 3, 0, 3, 0, 4, 1}, nil},
		{"once per episode", rule, []int{3, 3, 3, 5, 9, 3, 3, 4}, []fired{{30, 0, 100}}},
		{"a return before ReArm is the same episode", rule, []int{3, 3, 3, 0, 0, 3, 3, 3, 3}, []fired{{30, 0, 100}}},
		{
			// Cleared at 45, re-armed at 105, a new episode from 120.
			"re-armed after ReArm", rule, []int{3, 3, 3, 0, 0, 0, 0, 0, 3, 3, 3},
			[]fired{{30, 0, 100}, {150, 120, 100}},
		},
		{"a missing queue counts as cleared", rule, []int{3, 3, -1, 3, 3, 3}, []fired{{75, 45, 100}}},
		{
			"no debounce", live.QueueWaitingRule{MinWaiting: 3}, []int{3, 3, 0, 3},
			[]fired{{0, 0, 100}, {45, 45, 100}},
		},
		{
			"other queues only", live.QueueWaitingRule{MinWaiting: 3, Queues: []cdr.AccountID{200}}, []int{3, 3, 3, 3},
			nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sink alertSink
			a, err := live.NewAlerter(live.AlertRules{QueueWaiting: &tt.rule}, sink.notify)
			require.NoError(t, err)
			queuePolls(t, a, 0, tt.waiting)
			if diff := cmp.Diff(tt.want, sink.fired()); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			ids := map[string]bool{}
			for _, al := range sink.alerts {
				require.Equal(t, live.AlertQueueWaiting, al.Kind)
				require.GreaterOrEqual(t, al.WaitingCalls, 3)
				require.False(t, ids[al.ID], "alert id %s repeated", al.ID)
				ids[al.ID] = true
			}
		})
	}
}

func TestAlertServiceLevel(t *testing.T) {
	r := func(num, den int) callflow.Ratio { return callflow.Ratio{Numerator: num, Denominator: den} }
	rule := live.ServiceLevelRule{Below: 0.8, MinCalls: 5, Debounce: live.Debounce{For: time.Minute, ReArm: 5 * time.Minute}}
	tests := []struct {
		name   string
		levels []callflow.Ratio // per minute
		want   []fired
	}{
		{"undefined never alerts", []callflow.Ratio{r(0, 0), r(0, 0), r(0, 0)}, nil},
		{"too few calls", []callflow.Ratio{r(0, 4), r(1, 4), r(2, 4)}, nil},
		{"at the threshold is not below", []callflow.Ratio{r(4, 5), r(8, 10), r(8, 10)}, nil},
		{"below for the debounce", []callflow.Ratio{r(3, 5), r(3, 6), r(3, 7), r(9, 10)}, []fired{{60, 0, 42}}},
		{"recovers and falls again before ReArm", []callflow.Ratio{r(3, 5), r(3, 6), r(9, 10), r(9, 12), r(9, 13), r(9, 14)}, []fired{{60, 0, 42}}},
		{
			"recovers for ReArm, then falls again",
			[]callflow.Ratio{r(3, 5), r(3, 6), r(9, 10), r(9, 10), r(9, 10), r(9, 10), r(9, 10), r(9, 10), r(9, 10), r(9, 20), r(9, 21)},
			[]fired{{60, 0, 42}, {600, 540, 42}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sink alertSink
			a, err := live.NewAlerter(live.AlertRules{ServiceLevel: &rule}, sink.notify)
			require.NoError(t, err)
			for i, l := range tt.levels {
				now := alertT0.Add(time.Duration(i) * time.Minute)
				require.NoError(t, a.ServiceLevels(t.Context(), now, []live.ServiceLevel{{GroupID: 42, Level: l}}))
			}
			if diff := cmp.Diff(tt.want, sink.fired()); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			for _, al := range sink.alerts {
				require.NotNil(t, al.ServiceLevel)
				v, ok := al.ServiceLevel.Value()
				require.True(t, ok)
				require.Less(t, v, 0.8)
			}
		})
	}
}

// lostCaller is an episode whose attempts end at the given seconds since
// alertT0.
func lostCaller(number string, outcome callflow.LostCallerOutcome, ends ...int) callflow.LostCaller {
	n, err := cdr.ParsePhoneNumber(number)
	if err != nil {
		panic(err)
	}
	lc := callflow.LostCaller{Number: n, Outcome: outcome}
	for i, e := range ends {
		end := alertT0.Add(time.Duration(e) * time.Second)
		lc.Attempts = append(lc.Attempts, callflow.Attempt{
			CallID: fmt.Sprintf("call-%s-%d", number, i), Start: end.Add(-time.Minute), End: end, GroupID: 100,
		})
	}
	lc.First, lc.Last = lc.Attempts[0].Start, lc.Attempts[len(lc.Attempts)-1].Start
	return lc
}

func TestAlertLostCaller(t *testing.T) {
	const (
		pending = callflow.LostCallerPending
		lost    = callflow.LostCallerLost
		byCall  = callflow.LostCallerRecoveredByCallback
	)
	type eval struct {
		at  int // seconds since alertT0
		eps []callflow.LostCaller
	}
	a1 := lostCaller("+4930123456", pending, 0)
	a1Again := lostCaller("+4930123456", pending, 0, 400) // a further attempt, same episode
	a1Lost := lostCaller("+4930123456", lost, 0)
	a1Back := lostCaller("+4930123456", byCall, 0)
	b := lostCaller("+4940999999", pending, 100)
	withheld := lostCaller("withheld", callflow.LostCallerUnrecoverable, 0)
	night := lostCaller("+4930555555", pending, 0)
	night.OutOfHours = true
	rule := live.LostCallerRule{After: 5 * time.Minute}
	tests := []struct {
		name  string
		rule  live.LostCallerRule
		evals []eval
		want  []fired // At and Since
	}{
		{
			"after the grace, once",
			rule,
			[]eval{{60, []callflow.LostCaller{a1}}, {299, []callflow.LostCaller{a1}}, {300, []callflow.LostCaller{a1}}, {600, []callflow.LostCaller{a1Lost}}, {900, []callflow.LostCaller{a1Again}}},
			[]fired{{300, 0, 100}},
		},
		{
			"recovered in the grace: never",
			rule,
			[]eval{{60, []callflow.LostCaller{a1}}, {200, []callflow.LostCaller{a1Back}}, {600, []callflow.LostCaller{a1Back}}},
			nil,
		},
		{
			"a further attempt restarts the grace",
			rule,
			[]eval{{60, []callflow.LostCaller{a1}}, {410, []callflow.LostCaller{a1Again}}, {600, []callflow.LostCaller{a1Again}}, {700, []callflow.LostCaller{a1Again}}},
			[]fired{{700, 400, 100}},
		},
		{
			"each episode alone",
			rule,
			[]eval{{300, []callflow.LostCaller{a1, b}}, {400, []callflow.LostCaller{a1, b}}, {500, []callflow.LostCaller{b, a1}}},
			[]fired{{300, 0, 100}, {400, 100, 100}},
		},
		{"withheld skipped", rule, []eval{{600, []callflow.LostCaller{withheld}}}, nil},
		{"withheld included", live.LostCallerRule{Unrecoverable: true}, []eval{{600, []callflow.LostCaller{withheld}}}, []fired{{600, 0, 100}}},
		{"out of hours skipped", rule, []eval{{600, []callflow.LostCaller{night}}}, nil},
		{"out of hours included", live.LostCallerRule{OutOfHours: true}, []eval{{600, []callflow.LostCaller{night}}}, []fired{{600, 0, 100}}},
		{
			"a fired episode missing for less than Retain does not fire again",
			live.LostCallerRule{Retain: time.Hour},
			[]eval{{0, []callflow.LostCaller{a1}}, {600, nil}, {3000, []callflow.LostCaller{a1}}},
			[]fired{{0, 0, 100}},
		},
		{
			"forgotten after Retain",
			live.LostCallerRule{Retain: time.Hour},
			[]eval{{0, []callflow.LostCaller{a1}}, {600, nil}, {3600, nil}, {3700, []callflow.LostCaller{a1}}},
			[]fired{{0, 0, 100}, {3700, 0, 100}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sink alertSink
			var logs bytes.Buffer
			a, err := live.NewAlerter(live.AlertRules{LostCaller: &tt.rule}, sink.notify,
				live.WithAlerterLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			require.NoError(t, err)
			for _, e := range tt.evals {
				require.NoError(t, a.LostCallers(t.Context(), alertT0.Add(time.Duration(e.at)*time.Second), e.eps))
			}
			if diff := cmp.Diff(tt.want, sink.fired()); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			for _, al := range sink.alerts {
				require.NotNil(t, al.LostCaller)
				require.Equal(t, live.AlertLostCaller, al.Kind)
				require.Regexp(t, `^lost-caller-[0-9a-f]{32}$`, al.ID)
				require.NotContains(t, al.Summary, "4930", "summary leaks the number")
			}
			require.Equal(t, len(tt.want), strings.Count(logs.String(), "alert fired"))
			require.NotContains(t, logs.String(), "4930", "log leaks the number")
			st, err := json.Marshal(a.State())
			require.NoError(t, err)
			require.NotContains(t, string(st), "4930", "saved state leaks the number")
		})
	}
}

func TestAlertJSONRoundTrip(t *testing.T) {
	lc := lostCaller("+4930123456", callflow.LostCallerLost, 0, 90)
	level := callflow.Ratio{Numerator: 3, Denominator: 5}
	tests := []struct {
		name  string
		alert live.Alert
	}{
		{"lost caller", live.Alert{ID: "lost-caller-1", Kind: live.AlertLostCaller, AccountID: 100, Since: alertT0, At: alertT0.Add(time.Hour), LostCaller: &lc}},
		{"service level", live.Alert{ID: "service-level-1", Kind: live.AlertServiceLevel, Site: "HQ", AccountID: 42, Since: alertT0, At: alertT0, ServiceLevel: &level, Below: 0.8}},
		{"queue", live.Alert{ID: "queue-waiting-1", Kind: live.AlertQueueWaiting, AccountID: 7, WaitingCalls: 4, MinWaiting: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.alert)
			require.NoError(t, err)
			var got live.Alert
			require.NoError(t, json.Unmarshal(b, &got))
			if diff := cmp.Diff(tt.alert, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAlertLostCallerIDStableAcrossRestarts(t *testing.T) {
	rule := live.LostCallerRule{}
	first := lostCaller("+4930123456", callflow.LostCallerPending, 0)
	grown := lostCaller("+4930123456", callflow.LostCallerLost, 0, 500)
	var ids []string
	for _, lc := range []callflow.LostCaller{first, grown} {
		var sink alertSink // a fresh Alerter: a restarted process
		a, err := live.NewAlerter(live.AlertRules{LostCaller: &rule}, sink.notify)
		require.NoError(t, err)
		require.NoError(t, a.LostCallers(t.Context(), alertT0.Add(time.Hour), []callflow.LostCaller{lc}))
		require.Len(t, sink.alerts, 1)
		ids = append(ids, sink.alerts[0].ID)
	}
	require.Equal(t, ids[0], ids[1], "the episode's alert id changed")
	other := lostCaller("+4930123457", callflow.LostCallerPending, 0)
	require.NotEqual(t, live.LostCallerKey(first), live.LostCallerKey(other))
}

func TestAlertDeliveryFailureIsRetriedWithSameID(t *testing.T) {
	var sink alertSink
	failures := 1
	sink.fail = func(live.Alert) error {
		if failures > 0 {
			failures--
			return errors.New("receiver down")
		}
		return nil
	}
	var attempted []string
	notify := func(ctx context.Context, al live.Alert) error {
		attempted = append(attempted, al.ID)
		return sink.notify(ctx, al)
	}
	a, err := live.NewAlerter(live.AlertRules{QueueWaiting: &live.QueueWaitingRule{MinWaiting: 1}}, notify)
	require.NoError(t, err)
	q := []live.QueueState{{AccountID: 100, WaitingCalls: 1}}
	err = a.Queues(t.Context(), alertT0, q)
	require.ErrorContains(t, err, "receiver down")
	require.NoError(t, a.Queues(t.Context(), alertT0.Add(15*time.Second), q))
	require.NoError(t, a.Queues(t.Context(), alertT0.Add(30*time.Second), q))
	require.Len(t, attempted, 2)
	require.Equal(t, attempted[0], attempted[1])
	// The delivered alert keeps the episode's start.
	if diff := cmp.Diff([]fired{{15, 0, 100}}, sink.fired()); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
}

func TestAlertConcurrentEvaluationDeliversOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var mu sync.Mutex
		delivered := 0
		notify := func(ctx context.Context, _ live.Alert) error {
			<-release
			mu.Lock()
			delivered++
			mu.Unlock()
			return nil
		}
		a, err := live.NewAlerter(live.AlertRules{QueueWaiting: &live.QueueWaitingRule{MinWaiting: 1}}, notify)
		require.NoError(t, err)
		q := []live.QueueState{{AccountID: 100, WaitingCalls: 4}}
		done := make(chan error, 1)
		go func() { done <- a.Queues(t.Context(), alertT0, q) }()
		synctest.Wait() // the first evaluation is delivering
		// A second evaluation meanwhile neither waits nor delivers again.
		require.NoError(t, a.Queues(t.Context(), alertT0.Add(time.Second), q))
		close(release)
		require.NoError(t, <-done)
		require.NoError(t, a.Queues(t.Context(), alertT0.Add(2*time.Second), q))
		require.Equal(t, 1, delivered)
	})
}

func TestAlerterStateKeepsIDsAcrossRestart(t *testing.T) {
	rule := live.AlertRules{QueueWaiting: &live.QueueWaitingRule{MinWaiting: 3, Debounce: live.Debounce{For: time.Minute, ReArm: time.Minute}}}
	before, after := []int{3, 3}, []int{3, 3, 3, 3, 0, 3}

	// Uninterrupted.
	var whole alertSink
	a, err := live.NewAlerter(rule, whole.notify)
	require.NoError(t, err)
	queuePolls(t, a, 0, append(append([]int(nil), before...), after...))
	require.Len(t, whole.alerts, 1)

	// Restarted after two polls, state saved as JSON and restored.
	var first, second alertSink
	b, err := live.NewAlerter(rule, first.notify)
	require.NoError(t, err)
	queuePolls(t, b, 0, before)
	saved, err := json.Marshal(b.State())
	require.NoError(t, err)
	var st live.AlerterState
	require.NoError(t, json.Unmarshal(saved, &st))
	c, err := live.NewAlerter(rule, second.notify)
	require.NoError(t, err)
	require.NoError(t, c.Restore(st))
	queuePolls(t, c, len(before), after)
	require.Empty(t, first.alerts)
	require.Len(t, second.alerts, 1)
	if diff := cmp.Diff(whole.alerts, second.alerts); diff != "" {
		t.Errorf("alert after restart (-uninterrupted +restarted):\n%s", diff)
	}

	// A fired episode, restored, does not fire again.
	var third alertSink
	d, err := live.NewAlerter(rule, third.notify)
	require.NoError(t, err)
	require.NoError(t, d.Restore(c.State()))
	queuePolls(t, d, 10, []int{3, 3, 3, 3, 3, 3})
	require.Empty(t, third.alerts)
}

func TestAlerterRestoreValidates(t *testing.T) {
	a, err := live.NewAlerter(live.AlertRules{QueueWaiting: &live.QueueWaitingRule{MinWaiting: 1}}, (&alertSink{}).notify)
	require.NoError(t, err)
	tests := []struct {
		name string
		eps  []live.AlertEpisode
		want string
	}{
		{"unknown kind", []live.AlertEpisode{{Key: "x:1", Kind: "x"}}, `episode 0: unknown kind "x"`},
		{"key of another kind", []live.AlertEpisode{{Key: "service-level:1", Kind: live.AlertQueueWaiting}}, "episode 0: key does not belong"},
		{"duplicate", []live.AlertEpisode{{Key: `queue-waiting:"":1`, Kind: live.AlertQueueWaiting}, {Key: `queue-waiting:"":1`, Kind: live.AlertQueueWaiting}}, "episode 1: key listed twice"},
		{"rule not set: dropped", []live.AlertEpisode{{Key: "lost-caller:ab", Kind: live.AlertLostCaller}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Restore(live.AlerterState{Episodes: tt.eps})
			if tt.want == "" {
				require.NoError(t, err)
				require.Empty(t, a.State().Episodes)
				return
			}
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestNewAlerterValidates(t *testing.T) {
	notify := (&alertSink{}).notify
	tests := []struct {
		name   string
		rules  live.AlertRules
		notify live.AlertFunc
		want   string
	}{
		{"no rule", live.AlertRules{}, notify, "no rule set"},
		{"nil notify", live.AlertRules{QueueWaiting: &live.QueueWaitingRule{MinWaiting: 1}}, nil, "notify function is nil"},
		{"zero threshold", live.AlertRules{QueueWaiting: &live.QueueWaitingRule{}}, notify, "QueueWaiting.MinWaiting must be at least 1"},
		{"negative debounce", live.AlertRules{QueueWaiting: &live.QueueWaitingRule{MinWaiting: 1, Debounce: live.Debounce{For: -1}}}, notify, "QueueWaiting.For must not be negative"},
		{"level above 1", live.AlertRules{ServiceLevel: &live.ServiceLevelRule{Below: 80}}, notify, "ServiceLevel.Below must be in (0, 1]"},
		{"level NaN", live.AlertRules{ServiceLevel: &live.ServiceLevelRule{Below: nan()}}, notify, "ServiceLevel.Below must be in (0, 1]"},
		{"negative rearm", live.AlertRules{ServiceLevel: &live.ServiceLevelRule{Below: 0.8, Debounce: live.Debounce{ReArm: -1}}}, notify, "ServiceLevel.ReArm must not be negative"},
		{"negative grace", live.AlertRules{LostCaller: &live.LostCallerRule{After: -1}}, notify, "LostCaller.After must not be negative"},
		{"valid", live.AlertRules{LostCaller: &live.LostCallerRule{}}, notify, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := live.NewAlerter(tt.rules, tt.notify)
			if tt.want == "" {
				require.NoError(t, err)
				require.NotNil(t, a)
				return
			}
			require.ErrorContains(t, err, tt.want)
			require.Nil(t, a)
		})
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}

func ExampleAlerter() {
	rules := live.AlertRules{QueueWaiting: &live.QueueWaitingRule{
		MinWaiting: 3,
		Debounce:   live.Debounce{For: 30 * time.Second, ReArm: time.Minute},
	}}
	notify := func(_ context.Context, a live.Alert) error {
		fmt.Println(a.At.Format("15:04:05"), a.Kind, a.Summary)
		return nil
	}
	alerter, err := live.NewAlerter(rules, notify)
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	// Callers waiting in iQueue 100 at each 15 s snapshot.
	for i, waiting := range []int{1, 3, 4, 2, 3, 3, 4, 5, 0} {
		now := start.Add(time.Duration(i) * 15 * time.Second)
		queues := []live.QueueState{{At: now, AccountID: 100, WaitingCalls: waiting}}
		if err := alerter.Queues(context.Background(), now, queues); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// 09:01:30 queue-waiting 4 callers waiting in queue 100 (threshold 3)
}
