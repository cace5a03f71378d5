package callflow_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// The accounts of the hand-built agent data.
const (
	agAnna    cdr.AccountID = 11
	agBen     cdr.AccountID = 12
	agClara   cdr.AccountID = 13
	agSupport cdr.AccountID = 200 // a ring-all group
	agSales   cdr.AccountID = 201 // an iQueue
)

const agS = time.Second // short for the many durations below

var agStart = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func agReporter(t testing.TB, cfg callflow.ReportConfig) *callflow.Reporter {
	t.Helper()
	r, err := callflow.NewReporter(cfg)
	require.NoError(t, err)
	return r
}

func agNumber(t testing.TB, text string) cdr.PhoneNumber {
	t.Helper()
	n, err := cdr.ParsePhoneNumber(text)
	require.NoError(t, err)
	return n
}

// agCall is an inbound call number i (call id c<i>, arriving i hours
// after agStart) from caller.
func agCall(i int, caller cdr.PhoneNumber) callflow.Call {
	arrival := agStart.Add(time.Duration(i) * time.Hour)
	return callflow.Call{Journey: callflow.Journey{
		CallID: fmt.Sprintf("c%02d", i), Direction: callflow.Inbound,
		CallerNumber: caller, Arrival: arrival, End: arrival.Add(time.Hour),
	}}
}

// answered adds an answered incoming leg of agent (through group, 0 for a
// direct call) to c.
func (c agCallBuilder) answered(agent, group cdr.AccountID, ring, agentRing, talk time.Duration) agCallBuilder {
	c.Legs = append(c.Legs, callflow.Leg{
		CallID: c.Journey.CallID, Seq: len(c.Legs), AccountID: agent, AccountType: cdr.AccountUser, GroupID: group,
		Incoming: true, Answered: true, Result: callflow.ResultAnswered,
		Ring: ring, AgentRing: agentRing, Talk: talk,
	})
	if !c.Journey.Answered {
		c.Journey.Answered, c.Journey.AnsweredBy, c.Journey.AnsweredVia = true, agent, group
	}
	c.Journey.Talk += talk
	return c
}

func (c agCallBuilder) visit(group cdr.AccountID, typ cdr.AccountType, d callflow.Disposition, agent cdr.AccountID, talk time.Duration) agCallBuilder {
	c.Journey.Queues = append(c.Journey.Queues, callflow.QueueVisit{
		GroupID: group, Type: typ, Arrival: c.Journey.Arrival, Disposition: d, AgentID: agent, Talk: talk,
	})
	return c
}

func (c agCallBuilder) event(k callflow.EventKind, after time.Duration, from, to cdr.AccountID) agCallBuilder {
	c.Journey.Events = append(c.Journey.Events, callflow.Event{Kind: k, At: c.Journey.Arrival.Add(after), From: from, To: to})
	return c
}

type agCallBuilder callflow.Call

func agBuild(c callflow.Call) agCallBuilder { return agCallBuilder(c) }

// agCalls is the hand-built agent data; the figures the tests expect are
// worked out in the comments.
func agCalls(t testing.TB) []callflow.Call {
	n10, n20, n30, n40 := agNumber(t, "+4971110"), agNumber(t, "+4971120"), agNumber(t, "+4971130"), agNumber(t, "+4971140")
	cs := []agCallBuilder{
		// c01: Support rings, Anna answers after her phone rang 12 s.
		agBuild(agCall(1, n10)).answered(agAnna, agSupport, 12*agS, 12*agS, 90*agS).
			visit(agSupport, cdr.AccountGroup, callflow.DispositionAnswered, agAnna, 90*agS),
		// c02: the Sales iQueue holds the caller 27 s, then Anna's phone
		// rings 5 s.
		agBuild(agCall(2, n10)).answered(agAnna, agSales, 32*agS, 5*agS, 3*time.Minute).
			visit(agSales, cdr.AccountIQueue, callflow.DispositionAnswered, agAnna, 3*time.Minute),
		// c03: a direct call to Ben.
		agBuild(agCall(3, n20)).answered(agBen, 0, 4*agS, 4*agS, time.Minute),
		// c04: withheld caller rings at Anna, Ben picks it up: no ring of
		// his own phone, so no reaction time.
		agBuild(agCall(4, cdr.Withheld)).answered(agBen, 0, 8*agS, 0, 2*time.Minute).
			event(callflow.EventPickedUp, 8*agS, agAnna, agBen),
		// c05: the outlier: Ben forgot the line open for 3 hours.
		agBuild(agCall(5, n20)).answered(agBen, agSupport, 6*agS, 6*agS, 3*time.Hour).
			visit(agSupport, cdr.AccountGroup, callflow.DispositionAnswered, agBen, 3*time.Hour),
		// c06: Ben rejects a direct call (his missed leg is no handled
		// call); the journey lists his rejection.
		agBuild(agCall(6, n30)).event(callflow.EventRejected, 5*agS, agBen, 0),
		// c08: Clara rejects a Support call, which ends it.
		agBuild(agCall(8, n10)).visit(agSupport, cdr.AccountGroup, callflow.DispositionRejected, 0, 0).
			event(callflow.EventRejected, 5*agS, agClara, 0),
		// c09: the caller hangs up in the Sales queue.
		agBuild(agCall(9, n40)).visit(agSales, cdr.AccountIQueue, callflow.DispositionLostWhileRinging, 0, 0),
	}
	// c07: Anna calls a customer, who answers; 2 minutes.
	out := agBuild(agCall(7, cdr.PhoneNumber{}))
	out.Journey.Direction = callflow.Outbound
	out.Journey.CalledNumber = n40
	out.Legs = []callflow.Leg{{CallID: "c07", AccountID: agAnna, AccountType: cdr.AccountUser, Answered: true, Result: callflow.ResultAnswered, Talk: 2 * time.Minute}}
	// c10: Ben calls Anna, whose phone rings 4 s: an internal call is
	// handled too, and it is Ben's answered outgoing leg.
	internal := agBuild(agCall(10, agNumber(t, "2012"))).answered(agAnna, 0, 4*agS, 4*agS, 30*agS)
	internal.Journey.Direction = callflow.Internal
	internal.Journey.CallerAccountID = agBen
	internal.Legs = append(internal.Legs, callflow.Leg{CallID: "c10", Seq: 1, AccountID: agBen, AccountType: cdr.AccountUser, Range: callflow.RangeInternal, Answered: true, Result: callflow.ResultAnswered, Talk: 30 * agS})
	// A leg of no account and a group's missed leg are no agent's.
	cs[7].Legs = append(cs[7].Legs, callflow.Leg{CallID: "c08", AccountID: agSupport, AccountType: cdr.AccountGroup, Incoming: true, Result: callflow.ResultMissed, Ring: 5 * agS})

	calls := make([]callflow.Call, 0, len(cs)+2)
	for _, c := range cs {
		calls = append(calls, callflow.Call(c))
	}
	return append(calls, callflow.Call(out), callflow.Call(internal))
}

var (
	agRingBounds = []time.Duration{5 * agS, 10 * agS, 20 * agS, 30 * agS, time.Minute}
	agTalkBounds = []time.Duration{time.Minute, 3 * time.Minute, 5 * time.Minute, 10 * time.Minute, 20 * time.Minute}
)

// agStats writes a DurationStats out; counts are the bucket counts, the
// rest of the buckets 0.
func agStats(bounds []time.Duration, n int, total, mean, median, lo, hi time.Duration, counts ...int) callflow.DurationStats {
	st := callflow.DurationStats{Count: n, Total: total, Mean: mean, Median: median, Min: lo, Max: hi}
	for i, b := range bounds {
		st.Buckets = append(st.Buckets, callflow.Bucket{UpTo: b})
		if i < len(counts) {
			st.Buckets[i].Count = counts[i]
		}
	}
	st.Buckets = append(st.Buckets, callflow.Bucket{})
	if len(counts) > len(bounds) {
		st.Buckets[len(bounds)].Count = counts[len(bounds)]
	}
	return st
}

func agOne(bounds []time.Duration, v time.Duration, counts ...int) callflow.DurationStats {
	return agStats(bounds, 1, v, v, v, v, v, counts...)
}

var (
	agNoRing = agStats(agRingBounds, 0, 0, 0, 0, 0, 0)
	agNoTalk = agStats(agTalkBounds, 0, 0, 0, 0, 0, 0)
)

func TestAgents(t *testing.T) {
	calls := agCalls(t)
	// Anna handled c01, c02 and c10: reactions 12, 5, 4 s; rings 12, 32,
	// 4 s; talk 90 s, 3 min, 30 s; one outgoing call of 2 min (c07).
	anna := callflow.AgentKPI{AgentID: agAnna, AgentFigures: callflow.AgentFigures{
		Handled:  3,
		Reaction: agStats(agRingBounds, 3, 21*agS, 7*agS, 5*agS, 4*agS, 12*agS, 2, 0, 1),
		Ring:     agStats(agRingBounds, 3, 48*agS, 16*agS, 12*agS, 4*agS, 32*agS, 1, 0, 1, 0, 1),
		Talk:     agStats(agTalkBounds, 3, 5*time.Minute, 100*agS, 90*agS, 30*agS, 3*time.Minute, 1, 2),
		Outgoing: 1, OutgoingTalk: 2 * time.Minute,
	}}
	// Ben without c05: c03 (reaction 4 s) and the pickup c04 (no
	// reaction); the rejection c06; Ben's outgoing internal call c10.
	benKept := callflow.AgentFigures{
		Handled:  2,
		Reaction: agOne(agRingBounds, 4*agS, 1),
		Ring:     agStats(agRingBounds, 2, 12*agS, 6*agS, 6*agS, 4*agS, 8*agS, 1, 1),
		Talk:     agStats(agTalkBounds, 2, 3*time.Minute, 90*agS, 90*agS, time.Minute, 2*time.Minute, 1, 1),
		Rejected: 1, Outgoing: 1, OutgoingTalk: 30 * agS,
	}
	// Ben with c05: reaction 4, 6 s; ring 4, 6, 8 s; talk 1 min, 2 min,
	// 3 h.
	benAll := callflow.AgentFigures{
		Handled:  3,
		Reaction: agStats(agRingBounds, 2, 10*agS, 5*agS, 5*agS, 4*agS, 6*agS, 1, 1),
		Ring:     agStats(agRingBounds, 3, 18*agS, 6*agS, 6*agS, 4*agS, 8*agS, 1, 2),
		Talk:     agStats(agTalkBounds, 3, 3*time.Hour+3*time.Minute, 61*time.Minute, 2*time.Minute, time.Minute, 3*time.Hour, 1, 1, 0, 0, 0, 1),
		Rejected: 1, Outgoing: 1, OutgoingTalk: 30 * agS,
	}
	clara := callflow.AgentKPI{AgentID: agClara, AgentFigures: callflow.AgentFigures{
		Reaction: agNoRing, Ring: agNoRing, Talk: agNoTalk, Rejected: 1,
	}}
	inbound := []callflow.Direction{callflow.Inbound}
	for _, tc := range []struct {
		name string
		cfg  callflow.ReportConfig
		want []callflow.AgentKPI
	}{
		{"every call", callflow.ReportConfig{}, []callflow.AgentKPI{anna, {AgentID: agBen, AgentFigures: benAll}, clara}},
		{"outlier excluded, both figures shown", callflow.ReportConfig{ExcludeCalls: []string{"c05"}},
			[]callflow.AgentKPI{anna, {AgentID: agBen, AgentFigures: benKept, Excluded: 1, WithExcluded: &benAll}, clara}},
		{"excluding an unknown call changes nothing", callflow.ReportConfig{ExcludeCalls: []string{"nope"}},
			[]callflow.AgentKPI{anna, {AgentID: agBen, AgentFigures: benAll}, clara}},
		{"an agent whose every call is excluded keeps a row", callflow.ReportConfig{ExcludeCalls: []string{"c08"}},
			[]callflow.AgentKPI{anna, {AgentID: agBen, AgentFigures: benAll}, {AgentID: agClara, AgentFigures: callflow.AgentFigures{
				Reaction: agNoRing, Ring: agNoRing, Talk: agNoTalk,
			}, Excluded: 1, WithExcluded: &clara.AgentFigures}}},
		{"business hours do not matter", callflow.ReportConfig{BusinessHours: &callflow.BusinessHours{Periods: []callflow.OpeningPeriod{{
			Days: callflow.WeekdaysOf(time.Sunday), Hours: callflow.ClockRange{From: callflow.Clock(3, 0, 0), To: callflow.Clock(4, 0, 0)},
		}}}}, []callflow.AgentKPI{anna, {AgentID: agBen, AgentFigures: benAll}, clara}},
		{"filter: inbound only", callflow.ReportConfig{Filter: callflow.Filter{Directions: inbound}}, []callflow.AgentKPI{
			{AgentID: agAnna, AgentFigures: callflow.AgentFigures{
				Handled:  2,
				Reaction: agStats(agRingBounds, 2, 17*agS, 8500*time.Millisecond, 8500*time.Millisecond, 5*agS, 12*agS, 1, 0, 1),
				Ring:     agStats(agRingBounds, 2, 44*agS, 22*agS, 22*agS, 12*agS, 32*agS, 0, 0, 1, 0, 1),
				Talk:     agStats(agTalkBounds, 2, 4*time.Minute+30*agS, 135*agS, 135*agS, 90*agS, 3*time.Minute, 0, 2),
			}},
			{AgentID: agBen, AgentFigures: func() callflow.AgentFigures { f := benAll; f.Outgoing, f.OutgoingTalk = 0, 0; return f }()},
			clara,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := agReporter(t, tc.cfg).Agents(calls)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Agents (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("no calls", func(t *testing.T) {
		got := agReporter(t, callflow.ReportConfig{}).Agents(nil)
		require.NotNil(t, got)
		require.Empty(t, got)
	})
}

func TestAgentsInGroups(t *testing.T) {
	calls := agCalls(t)
	r := agReporter(t, callflow.ReportConfig{ExcludeCalls: []string{"c05"}})
	// Anna works in Support (c01) and Sales (c02): two rows. Ben's only
	// Support call is the outlier c05. Clara rejected c08 in Support.
	// Direct, internal and outgoing calls are in no group.
	benAll := callflow.AgentFigures{
		Handled: 1, Reaction: agOne(agRingBounds, 6*agS, 0, 1), Ring: agOne(agRingBounds, 6*agS, 0, 1),
		Talk: agOne(agTalkBounds, 3*time.Hour, 0, 0, 0, 0, 0, 1),
	}
	want := []callflow.AgentKPI{
		{AgentID: agAnna, GroupID: agSupport, AgentFigures: callflow.AgentFigures{
			Handled: 1, Reaction: agOne(agRingBounds, 12*agS, 0, 0, 1), Ring: agOne(agRingBounds, 12*agS, 0, 0, 1), Talk: agOne(agTalkBounds, 90*agS, 0, 1),
		}},
		{AgentID: agBen, GroupID: agSupport, AgentFigures: callflow.AgentFigures{Reaction: agNoRing, Ring: agNoRing, Talk: agNoTalk},
			Excluded: 1, WithExcluded: &benAll},
		{AgentID: agClara, GroupID: agSupport, AgentFigures: callflow.AgentFigures{Reaction: agNoRing, Ring: agNoRing, Talk: agNoTalk, Rejected: 1}},
		{AgentID: agAnna, GroupID: agSales, AgentFigures: callflow.AgentFigures{
			Handled: 1, Reaction: agOne(agRingBounds, 5*agS, 1), Ring: agOne(agRingBounds, 32*agS, 0, 0, 0, 0, 1), Talk: agOne(agTalkBounds, 3*time.Minute, 0, 1),
		}},
	}
	if diff := cmp.Diff(want, r.AgentsInGroups(calls)); diff != "" {
		t.Errorf("AgentsInGroups (-want +got):\n%s", diff)
	}
}

func TestAgentsRejectedOnceAndOnlyInItsGroup(t *testing.T) {
	n := agNumber(t, "+4971110")
	calls := []callflow.Call{
		// Clara rejects twice in one call (a forward loop back to her):
		// one rejected call. The group visit before did not end in her
		// rejection.
		callflow.Call(agBuild(agCall(1, n)).
			visit(agSupport, cdr.AccountGroup, callflow.DispositionForwardedOnTimeout, 0, 0).
			event(callflow.EventRejected, 30*agS, agClara, 0).
			event(callflow.EventRejected, 60*agS, agClara, 0)),
		// A rejection with no account (an external party) is no agent's.
		callflow.Call(agBuild(agCall(2, n)).event(callflow.EventRejected, 5*agS, 0, 0)),
	}
	r := agReporter(t, callflow.ReportConfig{})
	want := []callflow.AgentKPI{{AgentID: agClara, AgentFigures: callflow.AgentFigures{Reaction: agNoRing, Ring: agNoRing, Talk: agNoTalk, Rejected: 1}}}
	if diff := cmp.Diff(want, r.Agents(calls)); diff != "" {
		t.Errorf("Agents (-want +got):\n%s", diff)
	}
	if got := r.AgentsInGroups(calls); len(got) != 0 {
		t.Errorf("AgentsInGroups = %+v, want no row: the rejections were not in a group", got)
	}
}

func TestLeaderboard(t *testing.T) {
	row := func(agent, group cdr.AccountID, handled int, reactions ...time.Duration) callflow.AgentKPI {
		k := callflow.AgentKPI{AgentID: agent, GroupID: group}
		k.Handled = handled
		k.Reaction.Count = len(reactions)
		for _, r := range reactions {
			k.Reaction.Total += r
		}
		if len(reactions) > 0 {
			k.Reaction.Mean = k.Reaction.Total / time.Duration(len(reactions))
		}
		return k
	}
	ranked := func(rank int, k callflow.AgentKPI) callflow.AgentKPI { k.Rank = rank; return k }
	a := row(11, 0, 5, 10*agS)
	b := row(12, 0, 5, 6*agS, 10*agS) // mean 8 s
	c := row(13, 0, 7, 20*agS)        // most handled, slow
	d := row(14, 0, 5, 8*agS)         // ties with b
	e := row(15, 0, 5)                // no reaction time: after every reaction time
	f := row(16, 0, 0)                // only rejected calls
	g1 := row(11, agSupport, 3, 9*agS)
	g2 := row(12, agSupport, 1, 2*agS)
	g3 := row(11, agSales, 2, 4*agS)
	for _, tc := range []struct {
		name string
		in   []callflow.AgentKPI
		want []callflow.AgentKPI
	}{
		{"none", nil, []callflow.AgentKPI{}},
		{"handled, then reaction, ties share a rank",
			[]callflow.AgentKPI{a, b, c, d, e, f},
			[]callflow.AgentKPI{ranked(1, c), ranked(2, b), ranked(2, d), ranked(4, a), ranked(5, e), ranked(6, f)}},
		{"groups are ranked apart",
			[]callflow.AgentKPI{g3, g2, g1},
			[]callflow.AgentKPI{ranked(1, g1), ranked(2, g2), ranked(1, g3)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.in)
			got := callflow.Leaderboard(in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Leaderboard (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.in, in); diff != "" {
				t.Errorf("Leaderboard changed its input (-before +after):\n%s", diff)
			}
		})
	}
}

func TestGroupAgentFlow(t *testing.T) {
	n := agNumber(t, "+4971110")
	visit := func(i int, vs ...callflow.QueueVisit) callflow.Call {
		c := agCall(i, n)
		c.Journey.Queues = vs
		return c
	}
	answered := func(g cdr.AccountID, typ cdr.AccountType, agent cdr.AccountID, talk time.Duration) callflow.QueueVisit {
		return callflow.QueueVisit{GroupID: g, Type: typ, AgentID: agent, Talk: talk, Disposition: callflow.DispositionAnswered}
	}
	not := func(g cdr.AccountID, typ cdr.AccountType, d callflow.Disposition) callflow.QueueVisit {
		return callflow.QueueVisit{GroupID: g, Type: typ, Disposition: d}
	}
	calls := []callflow.Call{
		visit(1, answered(agSupport, cdr.AccountGroup, agAnna, time.Minute)),
		visit(2, answered(agSupport, cdr.AccountGroup, agAnna, 2*time.Minute)),
		visit(3, answered(agSupport, cdr.AccountGroup, agBen, 30*agS)),
		visit(4, not(agSupport, cdr.AccountGroup, callflow.DispositionLostWhileRinging)),
		// Sales forwards on timeout to Support, where Ben answers: a
		// call nobody answered in Sales, one Ben answered in Support.
		visit(5, not(agSales, cdr.AccountIQueue, callflow.DispositionForwardedOnTimeout), answered(agSupport, cdr.AccountGroup, agBen, time.Minute)),
		// Sales twice (a loop), Clara answers the second visit: one call.
		visit(6, not(agSales, cdr.AccountIQueue, callflow.DispositionForwardedOnTimeout), answered(agSales, cdr.AccountIQueue, agClara, 45*agS)),
		// No group at all.
		agCall(7, n),
	}
	want := []callflow.GroupAgentFlow{
		{GroupID: agSupport, Type: cdr.AccountGroup, AgentID: agAnna, Calls: 2, Talk: 3 * time.Minute},
		{GroupID: agSupport, Type: cdr.AccountGroup, AgentID: agBen, Calls: 2, Talk: 90 * agS},
		{GroupID: agSupport, Type: cdr.AccountGroup, AgentID: 0, Calls: 1},
		{GroupID: agSales, Type: cdr.AccountIQueue, AgentID: 0, Calls: 1},
		{GroupID: agSales, Type: cdr.AccountIQueue, AgentID: agClara, Calls: 1, Talk: 45 * agS},
	}
	r := agReporter(t, callflow.ReportConfig{})
	if diff := cmp.Diff(want, r.GroupAgentFlow(calls)); diff != "" {
		t.Errorf("GroupAgentFlow (-want +got):\n%s", diff)
	}
	t.Run("filter", func(t *testing.T) {
		r := agReporter(t, callflow.ReportConfig{Filter: callflow.Filter{Groups: []cdr.AccountID{agSales}}})
		want := []callflow.GroupAgentFlow{
			// c05 reached Sales, so its Support visit is selected too.
			{GroupID: agSupport, Type: cdr.AccountGroup, AgentID: agBen, Calls: 1, Talk: time.Minute},
			{GroupID: agSales, Type: cdr.AccountIQueue, AgentID: 0, Calls: 1},
			{GroupID: agSales, Type: cdr.AccountIQueue, AgentID: agClara, Calls: 1, Talk: 45 * agS},
		}
		for i := range calls {
			for _, v := range calls[i].Journey.Queues {
				calls[i].Journey.Path = append(calls[i].Journey.Path, v.GroupID)
			}
		}
		if diff := cmp.Diff(want, r.GroupAgentFlow(calls)); diff != "" {
			t.Errorf("GroupAgentFlow (-want +got):\n%s", diff)
		}
	})
	t.Run("no calls", func(t *testing.T) {
		got := r.GroupAgentFlow(nil)
		require.NotNil(t, got)
		require.Empty(t, got)
	})
}

func TestBestBuddies(t *testing.T) {
	n10, n20 := agNumber(t, "+4971110"), agNumber(t, "+4971120")
	// c13: +4971110 reaches Anna (1 min), who hands over to Ben (2 min),
	// who hands back to Anna (30 s): one call for each pair.
	transferred := callflow.Call(agBuild(agCall(13, n10)).
		answered(agAnna, 0, 3*agS, 3*agS, time.Minute).
		answered(agBen, 0, 0, 0, 2*time.Minute).
		answered(agAnna, 0, 0, 0, 30*agS))
	base := agCalls(t)
	for _, tc := range []struct {
		name  string
		calls []callflow.Call
		top   int
		want  callflow.BuddyReport
	}{
		// Inbound only: c01, c02 (+4971110, Anna), c03, c05 (+4971120,
		// Ben; the outlier counts here), c04 withheld. Equal calls: the
		// longer talk first.
		{"calls, then talk", base, 0, callflow.BuddyReport{
			Pairs: []callflow.BestBuddy{
				{Number: n20, AgentID: agBen, Calls: 2, Talk: 3*time.Hour + time.Minute},
				{Number: n10, AgentID: agAnna, Calls: 2, Talk: 4*time.Minute + 30*agS},
			},
			TotalPairs: 2, Withheld: 1, WithheldTalk: 2 * time.Minute,
		}},
		{"top", base, 1, callflow.BuddyReport{
			Pairs:      []callflow.BestBuddy{{Number: n20, AgentID: agBen, Calls: 2, Talk: 3*time.Hour + time.Minute}},
			TotalPairs: 2, Withheld: 1, WithheldTalk: 2 * time.Minute,
		}},
		{"a transferred call counts once for each agent", append(slices.Clone(base), transferred), 0, callflow.BuddyReport{
			Pairs: []callflow.BestBuddy{
				{Number: n10, AgentID: agAnna, Calls: 3, Talk: 6 * time.Minute},
				{Number: n20, AgentID: agBen, Calls: 2, Talk: 3*time.Hour + time.Minute},
				{Number: n10, AgentID: agBen, Calls: 1, Talk: 2 * time.Minute},
			},
			TotalPairs: 3, Withheld: 1, WithheldTalk: 2 * time.Minute,
		}},
		{"pseudonymised numbers pair alike", []callflow.Call{
			callflow.Call(agBuild(agCall(1, agNumber(t, "~k3f9a"))).answered(agBen, 0, 4*agS, 4*agS, time.Minute)),
			callflow.Call(agBuild(agCall(2, agNumber(t, "~k3f9a"))).answered(agBen, agSupport, 4*agS, 4*agS, time.Minute)),
			callflow.Call(agBuild(agCall(3, agNumber(t, "~k0000"))).answered(agBen, 0, 4*agS, 4*agS, time.Minute)),
		}, 0, callflow.BuddyReport{
			Pairs: []callflow.BestBuddy{
				{Number: agNumber(t, "~k3f9a"), AgentID: agBen, Calls: 2, Talk: 2 * time.Minute},
				{Number: agNumber(t, "~k0000"), AgentID: agBen, Calls: 1, Talk: time.Minute},
			},
			TotalPairs: 2,
		}},
		{"no calls", nil, 3, callflow.BuddyReport{Pairs: []callflow.BestBuddy{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := agReporter(t, callflow.ReportConfig{ExcludeCalls: []string{"c05"}}).BestBuddies(tc.calls, tc.top)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("BestBuddies (-want +got):\n%s", diff)
			}
		})
	}
}

// isAgentLeg is the agents' leg predicate, written out independently.
func isAgentLeg(l *callflow.Leg) bool {
	return l.AccountID != 0 && (l.AccountType == cdr.AccountUser || l.AccountType == cdr.AccountUnknown)
}

func TestAgentsSimulatedInvariants(t *testing.T) {
	for _, seed := range []uint64{1, 7} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { agSimulatedInvariants(t, seed) })
	}
}

func agSimulatedInvariants(t *testing.T, seed uint64) {
	rows, in, _ := simulated(t, seed, 7)
	calls := in.InterpretAll(rows)
	require.NotEmpty(t, calls)

	// Exclude every 40th answered call as an outlier.
	var exclude []string
	answered := 0
	for _, c := range calls {
		if c.Journey.Answered {
			if answered%40 == 0 {
				exclude = append(exclude, c.Journey.CallID)
			}
			answered++
		}
	}
	require.NotEmpty(t, exclude)
	excluded := make(map[string]bool)
	for _, id := range exclude {
		excluded[id] = true
	}
	r := agReporter(t, callflow.ReportConfig{Location: berlin(t), ExcludeCalls: exclude})

	// What the legs say, counted directly.
	legs, keptLegs := map[cdr.AccountID]int{}, map[cdr.AccountID]int{}
	groupLegs := map[[2]cdr.AccountID]int{}
	answeredVisits := map[[2]cdr.AccountID]int{}
	pairCalls, withheld := 0, 0
	var inboundTalk time.Duration
	for _, c := range calls {
		var agents []cdr.AccountID
		for _, l := range c.Legs {
			if !l.Answered || !l.Incoming || !isAgentLeg(&l) {
				continue
			}
			legs[l.AccountID]++
			if !excluded[c.Journey.CallID] {
				keptLegs[l.AccountID]++
			}
			if l.GroupID != 0 {
				groupLegs[[2]cdr.AccountID{l.GroupID, l.AccountID}]++
			}
			if c.Journey.Direction == callflow.Inbound {
				inboundTalk += l.Talk
				if !slices.Contains(agents, l.AccountID) {
					agents = append(agents, l.AccountID)
				}
			}
		}
		if c.Journey.Direction == callflow.Inbound && len(agents) > 0 {
			if c.Journey.CallerNumber.Matchable() {
				pairCalls += len(agents)
			} else {
				withheld++
			}
		}
		for _, v := range c.Journey.Queues {
			if v.Disposition == callflow.DispositionAnswered {
				require.NotZero(t, v.AgentID, "call %s: an answered visit names its agent", c.Journey.CallID)
				answeredVisits[[2]cdr.AccountID{v.GroupID, v.AgentID}]++
			}
		}
	}
	require.NotEmpty(t, groupLegs)

	all := func(k callflow.AgentKPI) callflow.AgentFigures {
		if k.WithExcluded != nil {
			return *k.WithExcluded
		}
		return k.AgentFigures
	}
	check := func(t *testing.T, k callflow.AgentKPI) {
		t.Helper()
		for _, f := range []callflow.AgentFigures{k.AgentFigures, all(k)} {
			if f.Ring.Count != f.Handled || f.Talk.Count != f.Handled || f.Reaction.Count > f.Handled {
				t.Errorf("agent %d group %d: counts %d/%d/%d do not fit handled %d", k.AgentID, k.GroupID, f.Reaction.Count, f.Ring.Count, f.Talk.Count, f.Handled)
			}
		}
		if (k.Excluded > 0) != (k.WithExcluded != nil) {
			t.Errorf("agent %d group %d: Excluded %d but WithExcluded %v", k.AgentID, k.GroupID, k.Excluded, k.WithExcluded)
		}
		if k.WithExcluded != nil && k.WithExcluded.Handled < k.Handled {
			t.Errorf("agent %d group %d: more handled without the excluded calls", k.AgentID, k.GroupID)
		}
	}

	t.Run("agents", func(t *testing.T) {
		gotAll, gotKept := map[cdr.AccountID]int{}, map[cdr.AccountID]int{}
		excludedRows := 0
		for _, k := range r.Agents(calls) {
			check(t, k)
			gotAll[k.AgentID] += all(k).Handled
			gotKept[k.AgentID] += k.Handled
			excludedRows += k.Excluded
		}
		if diff := cmp.Diff(legs, gotAll); diff != "" {
			t.Errorf("handled with every call != answered incoming agent legs (-legs +handled):\n%s", diff)
		}
		if diff := cmp.Diff(keptLegs, withoutZeros(gotKept)); diff != "" {
			t.Errorf("handled without outliers != their legs (-legs +handled):\n%s", diff)
		}
		if excludedRows == 0 {
			t.Errorf("no row shows an excluded call")
		}
	})
	t.Run("agents in groups", func(t *testing.T) {
		got := map[[2]cdr.AccountID]int{}
		for _, k := range r.AgentsInGroups(calls) {
			check(t, k)
			require.NotZero(t, k.GroupID)
			got[[2]cdr.AccountID{k.GroupID, k.AgentID}] += all(k).Handled
		}
		if diff := cmp.Diff(groupLegs, withoutZeros(got)); diff != "" {
			t.Errorf("handled per group != group-answered legs (-legs +handled):\n%s", diff)
		}
		if diff := cmp.Diff(answeredVisits, withoutZeros(got)); diff != "" {
			t.Errorf("handled per group != answered group visits (-visits +handled):\n%s", diff)
		}
	})
	t.Run("leaderboard", func(t *testing.T) {
		lb := callflow.Leaderboard(r.Agents(calls))
		require.NotEmpty(t, lb)
		require.Equal(t, 1, lb[0].Rank)
		for i := 1; i < len(lb); i++ {
			if lb[i].Handled > lb[i-1].Handled || lb[i].Rank < lb[i-1].Rank || lb[i].Rank > i+1 {
				t.Errorf("place %d out of order: %+v after %+v", i, lb[i], lb[i-1])
			}
		}
	})
	t.Run("flow", func(t *testing.T) {
		flowCalls := map[cdr.AccountID]int{}
		flowAgents := map[[2]cdr.AccountID]int{}
		for _, f := range r.GroupAgentFlow(calls) {
			flowCalls[f.GroupID] += f.Calls
			if f.AgentID != 0 {
				flowAgents[[2]cdr.AccountID{f.GroupID, f.AgentID}] += f.Calls
			}
		}
		offered := map[cdr.AccountID]int{}
		for _, k := range r.Groups(calls, callflow.IntervalAll) {
			offered[k.GroupID] += k.Offered + k.OutOfHours
		}
		if diff := cmp.Diff(offered, flowCalls); diff != "" {
			t.Errorf("flow calls per group != offered + out of hours (-groups +flow):\n%s", diff)
		}
		if diff := cmp.Diff(answeredVisits, flowAgents); diff != "" {
			t.Errorf("flow per agent != answered visits (-visits +flow):\n%s", diff)
		}
	})
	t.Run("best buddies", func(t *testing.T) {
		b := r.BestBuddies(calls, 0)
		sum, talk := 0, b.WithheldTalk
		for _, p := range b.Pairs {
			sum += p.Calls
			talk += p.Talk
		}
		require.Equal(t, len(b.Pairs), b.TotalPairs)
		if sum != pairCalls || b.Withheld != withheld || talk != inboundTalk {
			t.Errorf("pairs %d calls, withheld %d, talk %v; want %d, %d, %v", sum, b.Withheld, talk, pairCalls, withheld, inboundTalk)
		}
		if b.Withheld == 0 {
			t.Errorf("no withheld caller in a week of calls: the check cannot fail")
		}
		top := r.BestBuddies(calls, 5)
		if diff := cmp.Diff(b.Pairs[:5], top.Pairs); diff != "" {
			t.Errorf("top 5 are not the first five (-all +top):\n%s", diff)
		}
	})
}

func withoutZeros[K comparable](m map[K]int) map[K]int {
	out := make(map[K]int, len(m))
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}
