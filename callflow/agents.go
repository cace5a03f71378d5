package callflow

import (
	"cmp"
	"slices"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// AgentFigures are the figures of one agent (a user), overall or within one
// group (DOMAIN.md §3.4, user comparison).
type AgentFigures struct {
	// Handled counts the agent's answered incoming legs: every time the
	// agent took a call, directly, through a group or iQueue, by picking
	// up, or by transfer. A call the agent took twice (transferred back,
	// taken back from the park) counts twice.
	Handled int `json:"handled"`
	// Reaction is how long the agent's own phone rang before they
	// answered (Leg.AgentRing), over the handled legs with a reaction time
	// (AgentRing > 0). A call picked up from a colleague's phone, taken
	// back from the park or handed over in an attended transfer never
	// rang at the agent and has none; counting it as 0 would make agents
	// who pick up look fast. So Reaction.Count can be less than Handled
	// (an answer within the ring's own second is left out too: the call
	// list counts whole seconds). Ring buckets.
	Reaction DurationStats `json:"reaction"`
	// Ring is the caller's wait in ringing on the handled legs (Leg.Ring),
	// time in the queue included, over every handled leg. Ring buckets.
	Ring DurationStats `json:"ring"`
	// Talk is the talk time of the handled legs (Leg.Talk), over every
	// handled leg. Talk buckets. Talk time, not "AHT": the call list has no
	// hold or after-call work.
	Talk DurationStats `json:"talk"`
	// Rejected counts calls the agent explicitly rejected (an
	// EventRejected from the agent), each call once.
	Rejected int `json:"rejected"`
	// Outgoing counts the agent's answered outgoing legs (calls they made
	// that the other side answered), OutgoingTalk their summed talk time.
	// Outgoing calls belong to no group: they are 0 in per-group rows.
	Outgoing     int           `json:"outgoing"`
	OutgoingTalk time.Duration `json:"outgoingTalk"`
}

// AgentKPI is one row of the agent figures: one agent overall (GroupID 0,
// see [Reporter.Agents]) or one agent within one group or iQueue (see
// [Reporter.AgentsInGroups]).
//
// The embedded AgentFigures leave out the calls listed in
// ReportConfig.ExcludeCalls (outliers, such as a line forgotten open for
// hours). Excluded says how many of this row's calls were left out, and
// WithExcluded holds the same figures counted with every call, so the
// effect of the exclusion is visible next to the figures; it is nil when
// nothing of this row was excluded.
type AgentKPI struct {
	// Rank is the place in a leaderboard, 1 for the best; 0 outside
	// [Leaderboard].
	Rank    int           `json:"rank,omitempty"`
	AgentID cdr.AccountID `json:"agentId"`
	// GroupID is the group or iQueue the calls came through; 0 for the
	// figures over all of the agent's calls.
	GroupID cdr.AccountID `json:"groupId,omitempty"`
	AgentFigures
	// Excluded counts the calls listed in ReportConfig.ExcludeCalls that
	// would have counted in this row.
	Excluded     int           `json:"excluded,omitempty"`
	WithExcluded *AgentFigures `json:"withExcluded,omitempty"`
}

// Agents returns one row per agent: every user with a handled, rejected or
// answered outgoing call in the selected journeys, ordered by agent id.
// Accounts missing from the directory (type unknown: a deleted user) count
// as agents too, so that no answered call drops out of the figures.
//
// Agent figures count calls regardless of business hours: an agent who
// took a call at 19:00 handled it. Only the filter selects calls.
func (r *Reporter) Agents(calls []Call) []AgentKPI { return r.agentRows(calls, false) }

// AgentsInGroups returns one row per agent and group or iQueue: the legs
// the agent answered that came through the group (Leg.GroupID), and the
// calls the agent rejected while the group rang them (a rejection that
// ended the group's visit). Direct calls, and outgoing calls, belong to no
// group and appear only in [Reporter.Agents]. An agent who works in two
// groups has two rows. Ordered by group, then agent id.
//
// Like Agents, it counts calls regardless of business hours.
func (r *Reporter) AgentsInGroups(calls []Call) []AgentKPI { return r.agentRows(calls, true) }

// agentKey identifies an AgentKPI row.
type agentKey struct {
	group, agent cdr.AccountID
}

// agentAcc accumulates one AgentFigures.
type agentAcc struct {
	handled, rejected, outgoing int
	reaction, ring, talk        durations
	outgoingTalk                time.Duration
}

func (a *agentAcc) addHandled(l *Leg) {
	a.handled++
	if l.AgentRing > 0 {
		a.reaction.add(l.AgentRing)
	}
	a.ring.add(l.Ring)
	a.talk.add(l.Talk)
}

// merge adds b's values to a copy of a.
func (a *agentAcc) merge(b *agentAcc) agentAcc {
	return agentAcc{
		handled:      a.handled + b.handled,
		rejected:     a.rejected + b.rejected,
		outgoing:     a.outgoing + b.outgoing,
		outgoingTalk: a.outgoingTalk + b.outgoingTalk,
		reaction:     append(slices.Clone(a.reaction), b.reaction...),
		ring:         append(slices.Clone(a.ring), b.ring...),
		talk:         append(slices.Clone(a.talk), b.talk...),
	}
}

func (r *Reporter) figures(a *agentAcc) AgentFigures {
	return AgentFigures{
		Handled:      a.handled,
		Reaction:     a.reaction.stats(r.cfg.RingBuckets),
		Ring:         a.ring.stats(r.cfg.RingBuckets),
		Talk:         a.talk.stats(r.cfg.TalkBuckets),
		Rejected:     a.rejected,
		Outgoing:     a.outgoing,
		OutgoingTalk: a.outgoingTalk,
	}
}

// agentTally holds a row's figures without the excluded calls (kept) and
// the excluded calls' own (out), merged only when a row has any.
type agentTally struct {
	kept, out agentAcc
	excluded  int
}

// isAgent reports whether a leg's account is an agent: a user, or an
// account missing from the directory (a deleted user).
func isAgent(l *Leg) bool {
	return l.AccountID != 0 && (l.AccountType == cdr.AccountUser || l.AccountType == cdr.AccountUnknown)
}

// agentRows collects the rows of Agents (byGroup false) and AgentsInGroups.
func (r *Reporter) agentRows(calls []Call, byGroup bool) []AgentKPI {
	tallies := make(map[agentKey]*agentTally)
	var touched []agentKey // the rows an excluded call counted in, each once
	var rejected []agentKey
	for ci := range calls {
		c := &calls[ci]
		j := &c.Journey
		if !r.Selected(j) {
			continue
		}
		out := len(r.excluded) > 0 && r.excluded[j.CallID]
		touched = touched[:0]
		// acc returns the accumulator of row k for this call's figures.
		acc := func(k agentKey) *agentAcc {
			t := tallies[k]
			if t == nil {
				t = &agentTally{}
				tallies[k] = t
			}
			if !out {
				return &t.kept
			}
			if !slices.Contains(touched, k) {
				touched = append(touched, k)
				t.excluded++
			}
			return &t.out
		}
		for li := range c.Legs {
			l := &c.Legs[li]
			if !l.Answered || !isAgent(l) {
				continue
			}
			switch {
			case l.Incoming && !byGroup:
				acc(agentKey{agent: l.AccountID}).addHandled(l)
			case l.Incoming && l.GroupID != 0:
				acc(agentKey{group: l.GroupID, agent: l.AccountID}).addHandled(l)
			case !l.Incoming && !byGroup:
				a := acc(agentKey{agent: l.AccountID})
				a.outgoing++
				a.outgoingTalk += l.Talk
			}
		}
		// Rejections: each call once per row, however often the agent
		// rejected it.
		rejected = rejected[:0]
		for _, e := range j.Events {
			if e.Kind != EventRejected || e.From == 0 {
				continue
			}
			k := agentKey{agent: e.From}
			if byGroup {
				if k.group = rejectingGroup(j.Queues, e.At); k.group == 0 {
					continue
				}
			}
			if slices.Contains(rejected, k) {
				continue
			}
			rejected = append(rejected, k)
			acc(k).rejected++
		}
	}

	out := make([]AgentKPI, 0, len(tallies))
	for k, t := range tallies {
		row := AgentKPI{AgentID: k.agent, GroupID: k.group, AgentFigures: r.figures(&t.kept), Excluded: t.excluded}
		if t.excluded > 0 {
			all := t.kept.merge(&t.out)
			f := r.figures(&all)
			row.WithExcluded = &f
		}
		out = append(out, row)
	}
	slices.SortFunc(out, func(a, b AgentKPI) int {
		return cmp.Or(cmp.Compare(a.GroupID, b.GroupID), cmp.Compare(a.AgentID, b.AgentID))
	})
	return out
}

// rejectingGroup returns the group whose visit a member's rejection at t
// ended: the last visit that ended rejected and arrived no later than t;
// 0 when the rejection was not in a group (a direct call).
func rejectingGroup(vs []QueueVisit, t time.Time) cdr.AccountID {
	var g cdr.AccountID
	for _, v := range vs {
		if v.Disposition == DispositionRejected && !v.Arrival.After(t) {
			g = v.GroupID
		}
	}
	return g
}

// Leaderboard ranks agent rows (DOMAIN.md §3.4, user comparison): by
// handled calls, most first, then by mean reaction time, fastest first (a
// row without any reaction time after every row with one), then by agent
// id. Rows of different groups are ranked apart: pass [Reporter.Agents]
// for one overall ranking, or [Reporter.AgentsInGroups] for a ranking
// within each group (ordered by group, then rank).
//
// Rank is a competition rank: rows with the same handled calls and the
// same mean reaction time share a rank and the next rank is skipped
// ("1, 2, 2, 4"). The figures ranked are those without the excluded calls.
// Leaderboard returns a new slice and leaves kpis as it was.
func Leaderboard(kpis []AgentKPI) []AgentKPI {
	out := make([]AgentKPI, len(kpis))
	copy(out, kpis)
	tie := func(a, b *AgentKPI) int {
		return cmp.Or(
			cmp.Compare(a.GroupID, b.GroupID),
			cmp.Compare(b.Handled, a.Handled),
			// Count 0 sorts last: no reaction time is not a fast one.
			cmp.Compare(min(a.Reaction.Count, 1), min(b.Reaction.Count, 1))*-1,
			cmp.Compare(a.Reaction.Mean, b.Reaction.Mean),
		)
	}
	slices.SortFunc(out, func(a, b AgentKPI) int {
		return cmp.Or(tie(&a, &b), cmp.Compare(a.AgentID, b.AgentID))
	})
	first := 0 // the index of the current group's first row
	for i := range out {
		switch {
		case i == 0 || out[i].GroupID != out[i-1].GroupID:
			first = i
			out[i].Rank = 1
		case tie(&out[i], &out[i-1]) == 0:
			out[i].Rank = out[i-1].Rank
		default:
			out[i].Rank = i - first + 1 // competition rank: the place in the group's list
		}
	}
	return out
}

// GroupAgentFlow is one edge of the groups-and-agents flow diagram
// (DOMAIN.md §3.4): the calls that reached a group or iQueue and the agent
// who answered them there.
type GroupAgentFlow struct {
	GroupID cdr.AccountID   `json:"groupId"`
	Type    cdr.AccountType `json:"type"`
	// AgentID is the user who answered the calls in this group; 0 for the
	// calls nobody answered there (lost, forwarded on, voicemail, …: see
	// [Reporter.Groups] for why).
	AgentID cdr.AccountID `json:"agentId"`
	Calls   int           `json:"calls"`
	// Talk is the summed talk time of the calls in this group (0 for the
	// unanswered).
	Talk time.Duration `json:"talk"`
}

// GroupAgentFlow returns, per group or iQueue, how many calls each agent
// answered there and how many nobody answered (AgentID 0): the edges of a
// flow diagram from groups to agents. The unit is a call, as in
// [Reporter.Groups]: a call that visits a group twice counts once, for
// the visit that was answered, else the last one. So a group's calls here
// add up to its Offered + OutOfHours there: the flow counts calls
// regardless of business hours. Ordered by group, then calls (most first),
// then agent id.
func (r *Reporter) GroupAgentFlow(calls []Call) []GroupAgentFlow {
	type key struct{ group, agent cdr.AccountID }
	idx := make(map[key]int)
	out := []GroupAgentFlow{}
	for ci := range calls {
		j := &calls[ci].Journey
		if len(j.Queues) == 0 || !r.Selected(j) {
			continue
		}
		for vi := range j.Queues {
			v := &j.Queues[vi]
			if !countedVisit(j.Queues, vi) {
				continue
			}
			k := key{group: v.GroupID}
			if v.Disposition == DispositionAnswered {
				k.agent = v.AgentID
			}
			i, ok := idx[k]
			if !ok {
				i = len(out)
				idx[k] = i
				out = append(out, GroupAgentFlow{GroupID: k.group, Type: v.Type, AgentID: k.agent})
			}
			out[i].Calls++
			out[i].Talk += v.Talk
		}
	}
	slices.SortFunc(out, func(a, b GroupAgentFlow) int {
		return cmp.Or(cmp.Compare(a.GroupID, b.GroupID), cmp.Compare(b.Calls, a.Calls), cmp.Compare(a.AgentID, b.AgentID))
	})
	return out
}

// BestBuddy is a pair of an external caller and an agent (DOMAIN.md §3.4,
// best buddies): how often the caller's inbound calls reached the agent and
// how long they talked.
type BestBuddy struct {
	Number  cdr.PhoneNumber `json:"number"` // personal
	AgentID cdr.AccountID   `json:"agentId"`
	// Calls counts the inbound calls from Number the agent answered, each
	// call once; Talk sums the agent's talk time on them.
	Calls int           `json:"calls"`
	Talk  time.Duration `json:"talk"`
}

// BuddyReport is the best-buddies report: the top caller–agent pairs and
// what did not make it into a pair.
type BuddyReport struct {
	// Pairs are the top pairs, by calls (most first), then talk time
	// (longest first), then number and agent id.
	Pairs []BestBuddy `json:"pairs"`
	// TotalPairs counts every pair, also those cut off by top.
	TotalPairs int `json:"totalPairs"`
	// Withheld counts the answered inbound calls whose caller withheld the
	// number or sent none, WithheldTalk their talk time: such a caller is
	// no one to pair, so these calls are in no pair.
	Withheld     int           `json:"withheld"`
	WithheldTalk time.Duration `json:"withheldTalk"`
}

// BestBuddies pairs external callers with the agents who answered their
// inbound calls and returns the top pairs (every pair when top ≤ 0). A call
// transferred from one agent to another counts for both pairs; a caller
// who withheld the number is in no pair and is counted in Withheld instead.
// Numbers are compared as normalised (or pseudonymised) values, so the
// report works on keyed-hash numbers too. Calls count regardless of
// business hours; ReportConfig.ExcludeCalls does not apply (it is about
// agent figures).
func (r *Reporter) BestBuddies(calls []Call, top int) BuddyReport {
	type key struct {
		number cdr.PhoneNumber
		agent  cdr.AccountID
	}
	// The pairs with their number's text, the last tie-break, made once.
	type pair struct {
		BestBuddy
		text string
	}
	idx := make(map[key]int)
	var pairs []pair
	var res BuddyReport
	var agents []cdr.AccountID // the agents of one call, each once
	for ci := range calls {
		c := &calls[ci]
		j := &c.Journey
		if j.Direction != Inbound || !r.Selected(j) {
			continue
		}
		agents = agents[:0]
		answered := false
		var talk time.Duration
		for li := range c.Legs {
			l := &c.Legs[li]
			if !l.Answered || !l.Incoming || !isAgent(l) {
				continue
			}
			answered = true
			talk += l.Talk
			if !j.CallerNumber.Matchable() {
				continue
			}
			k := key{number: j.CallerNumber, agent: l.AccountID}
			i, ok := idx[k]
			if !ok {
				i = len(pairs)
				idx[k] = i
				pairs = append(pairs, pair{BestBuddy{Number: k.number, AgentID: k.agent}, k.number.String()})
			}
			if !slices.Contains(agents, l.AccountID) {
				agents = append(agents, l.AccountID)
				pairs[i].Calls++
			}
			pairs[i].Talk += l.Talk
		}
		if answered && !j.CallerNumber.Matchable() {
			res.Withheld++
			res.WithheldTalk += talk
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		return cmp.Or(
			cmp.Compare(b.Calls, a.Calls),
			cmp.Compare(b.Talk, a.Talk),
			cmp.Compare(a.text, b.text),
			cmp.Compare(a.AgentID, b.AgentID),
		)
	})
	res.TotalPairs = len(pairs)
	if top > 0 && len(pairs) > top {
		pairs = pairs[:top]
	}
	res.Pairs = make([]BestBuddy, len(pairs))
	for i := range pairs {
		res.Pairs[i] = pairs[i].BestBuddy
	}
	return res
}
