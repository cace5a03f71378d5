package callflow

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// Today keeps today's figures for the live view (DOMAIN.md §3.4: today's
// average talk, average ring, missed calls and agent activity), updated
// call by call as an [Assembler] emits them: Add costs O(1) amortised plus
// a few operations per leg, and never recounts the day. (The one exception
// is rare: when a re-emitted call ends an agent's day earlier than its first
// version did, that agent's latest call end is looked up again.) Create it
// with [Reporter.NewToday]; the zero value is not usable.
//
// "Today" is the calendar day in the Reporter's zone of the calls' arrival.
// A call of a later day starts that day and drops everything older; a call
// of an earlier day is not counted (Add returns false).
//
// Add is an upsert by site and callid: a call emitted again — the
// Assembler's FlagReopened re-emission with its complete rows, or the same
// call added twice — replaces its earlier contribution instead of adding
// to it. A call with FlagLateRows (rows that came after the Assembler
// forgot their call) is a call of its own, as the Assembler emits it.
// Today therefore remembers a small summary of every call of the day.
//
// Today is safe for concurrent use: a mutex guards it, so one goroutine
// may Add while others read Figures.
type Today struct {
	r *Reporter

	mu      sync.Mutex
	started bool
	day     Date
	sum     todaySums
	agents  map[cdr.AccountID]*agentSums
	calls   map[string]*todayCall
}

// todaySums are the day-level counters; a call's contribution has the
// same shape, so it can be subtracted.
type todaySums struct {
	calls, inbound, answered, missed, missedOutOfHours int
	legs                                               int // answered incoming legs of agents
	talk, ring                                         time.Duration
}

func (s *todaySums) add(o *todaySums, sign int) {
	s.calls += sign * o.calls
	s.inbound += sign * o.inbound
	s.answered += sign * o.answered
	s.missed += sign * o.missed
	s.missedOutOfHours += sign * o.missedOutOfHours
	s.legs += sign * o.legs
	s.talk += time.Duration(sign) * o.talk
	s.ring += time.Duration(sign) * o.ring
}

// agentSums is one agent's activity: the day's total, or one call's
// contribution.
type agentSums struct {
	id                        cdr.AccountID
	legs                      int // every leg of the agent, to know when it has none left
	handled, missed, outgoing int
	talk, ring, outgoingTalk  time.Duration
	lastEnd                   time.Time
}

func (a *agentSums) add(o *agentSums, sign int) {
	a.legs += sign * o.legs
	a.handled += sign * o.handled
	a.missed += sign * o.missed
	a.outgoing += sign * o.outgoing
	a.talk += time.Duration(sign) * o.talk
	a.ring += time.Duration(sign) * o.ring
	a.outgoingTalk += time.Duration(sign) * o.outgoingTalk
	if sign > 0 && o.lastEnd.After(a.lastEnd) {
		a.lastEnd = o.lastEnd
	}
}

// todayCall is what one call added to the day.
type todayCall struct {
	sums   todaySums
	agents []agentSums
}

// TodayFigures are the live view's figures of one day.
type TodayFigures struct {
	// Date is the day in the Reporter's zone.
	Date Date `json:"date"`
	// Calls counts the day's selected journeys of every direction.
	Calls int `json:"calls"`
	// Inbound counts the inbound journeys; Answered those a user answered;
	// Missed those nobody answered that arrived in business hours (all of
	// them without business hours), MissedOutOfHours the others, counted
	// apart (DOMAIN.md §3.5): Inbound == Answered + Missed + MissedOutOfHours.
	Inbound          int `json:"inbound"`
	Answered         int `json:"answered"`
	Missed           int `json:"missed"`
	MissedOutOfHours int `json:"missedOutOfHours"`
	// AnsweredLegs counts the answered incoming legs of agents (a
	// transferred call has one per agent who talked); AvgTalk is their mean
	// talk time and AvgRing their mean ring time (Leg.Ring: from the first
	// ring of that leg to the answer, time in an iQueue included).
	AnsweredLegs int           `json:"answeredLegs"`
	AvgTalk      time.Duration `json:"avgTalk"`
	AvgRing      time.Duration `json:"avgRing"`
	// Agents is the activity of every agent with a leg today, by id.
	Agents []AgentToday `json:"agents"`
}

// AgentToday is one agent's activity today. An agent is any account a leg
// is attributed to that is not a group or iQueue (a deleted user's
// placeholder too).
type AgentToday struct {
	AgentID cdr.AccountID `json:"agentId"`
	// Handled counts the agent's answered incoming legs: calls handled.
	// Talk is their talk time; Ring their reaction time (Leg.AgentRing:
	// how long the agent's own phone rang before they answered). AvgRing
	// divides Ring by every handled leg, pickups and unparks (AgentRing 0)
	// included, unlike AgentFigures.Reaction, which leaves those out.
	Handled int           `json:"handled"`
	Talk    time.Duration `json:"talk"`
	AvgTalk time.Duration `json:"avgTalk"`
	Ring    time.Duration `json:"ring"`
	AvgRing time.Duration `json:"avgRing"`
	// Missed counts incoming legs of the agent nobody answered: a call put
	// through to them (directly, or forwarded) that they did not take. A
	// group call a colleague answered is not missed for the others.
	Missed int `json:"missed"`
	// Outgoing counts the calls the agent made, OutgoingTalk their talk.
	Outgoing     int           `json:"outgoing"`
	OutgoingTalk time.Duration `json:"outgoingTalk"`
	// LastCallEnd is when the agent's latest leg of the day ended.
	LastCallEnd time.Time `json:"lastCallEnd,omitzero"`
}

// NewToday returns an empty Today that counts in the Reporter's zone, with
// its filter and business hours.
func (r *Reporter) NewToday() *Today {
	return &Today{
		r:      r,
		agents: make(map[cdr.AccountID]*agentSums),
		calls:  make(map[string]*todayCall),
	}
}

// todayKey is the key Add upserts by: the site and the callid, as the
// Assembler keys calls.
func todayKey(j *Journey) string {
	k := j.CallID
	if j.Site != "" {
		k = j.Site + "\x00" + k
	}
	if j.Flags&FlagLateRows != 0 {
		k += "\x00late"
	}
	return k
}

func dateBefore(a, b Date) bool {
	if a.Year != b.Year {
		return a.Year < b.Year
	}
	if a.Month != b.Month {
		return a.Month < b.Month
	}
	return a.Day < b.Day
}

// Add counts the call, or replaces what the same call (site and callid)
// counted before. It reports whether the call counts today: false for a
// call of an earlier day than the one Today holds, or one the Reporter's
// filter does not select (which still removes an earlier version of it).
func (t *Today) Add(c Call) bool {
	j := &c.Journey
	day := DateOf(j.Arrival.In(t.r.loc))
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case !t.started || dateBefore(t.day, day):
		t.started, t.day = true, day
		t.sum = todaySums{}
		clear(t.agents)
		clear(t.calls)
	case day != t.day:
		return false
	}
	key := todayKey(j)
	var stale []staleEnd
	if old := t.calls[key]; old != nil {
		stale = t.remove(old)
		delete(t.calls, key)
	}
	selected := t.r.Selected(j)
	var tc *todayCall
	if selected {
		tc = t.contribution(&c)
		t.calls[key] = tc
		t.sum.add(&tc.sums, 1)
		for i := range tc.agents {
			d := &tc.agents[i]
			a := t.agents[d.id]
			if a == nil {
				a = &agentSums{id: d.id}
				t.agents[d.id] = a
			}
			a.add(d, 1)
		}
	}
	// An agent whose latest end came from the replaced version keeps it
	// unless the new version ends as late: rescan that agent's calls. This
	// only happens when a re-emitted call ends earlier for an agent.
	for _, s := range stale {
		a := t.agents[s.id]
		if a == nil || !a.lastEnd.Equal(s.end) {
			continue
		}
		if tc != nil && slices.ContainsFunc(tc.agents, func(d agentSums) bool { return d.id == s.id && !d.lastEnd.Before(s.end) }) {
			continue
		}
		a.lastEnd = time.Time{}
		for _, other := range t.calls {
			for i := range other.agents {
				if d := &other.agents[i]; d.id == s.id && d.lastEnd.After(a.lastEnd) {
					a.lastEnd = d.lastEnd
				}
			}
		}
	}
	return selected
}

// staleEnd is an agent's latest end that a removed call may have set.
type staleEnd struct {
	id  cdr.AccountID
	end time.Time
}

// remove subtracts a call's contribution and returns the agents whose
// latest end it may have set.
func (t *Today) remove(tc *todayCall) []staleEnd {
	var stale []staleEnd
	t.sum.add(&tc.sums, -1)
	for i := range tc.agents {
		d := &tc.agents[i]
		a := t.agents[d.id]
		if a == nil {
			continue
		}
		a.add(d, -1)
		if a.legs <= 0 {
			delete(t.agents, d.id)
			continue
		}
		if !d.lastEnd.IsZero() && d.lastEnd.Equal(a.lastEnd) {
			stale = append(stale, staleEnd{d.id, d.lastEnd})
		}
	}
	return stale
}

// contribution computes what a selected call adds to the day.
func (t *Today) contribution(c *Call) *todayCall {
	j := &c.Journey
	tc := &todayCall{}
	s := &tc.sums
	s.calls = 1
	if j.Direction == Inbound {
		s.inbound = 1
		switch {
		case j.Answered:
			s.answered = 1
		case t.r.InHours(j):
			s.missed = 1
		default:
			s.missedOutOfHours = 1
		}
	}
	for i := range c.Legs {
		l := &c.Legs[i]
		if l.AccountType.IsGroup() {
			continue
		}
		var d *agentSums
		for k := range tc.agents {
			if tc.agents[k].id == l.AccountID {
				d = &tc.agents[k]
				break
			}
		}
		if d == nil {
			tc.agents = append(tc.agents, agentSums{id: l.AccountID})
			d = &tc.agents[len(tc.agents)-1]
		}
		d.legs++
		switch {
		case !l.Incoming:
			d.outgoing++
			d.outgoingTalk += l.Talk
		case l.Answered:
			d.handled++
			d.talk += l.Talk
			d.ring += l.AgentRing
			s.legs++
			s.talk += l.Talk
			s.ring += l.Ring
		default:
			d.missed++
		}
		if l.End.After(d.lastEnd) {
			d.lastEnd = l.End
		}
	}
	return tc
}

// Figures returns the figures of now's day in the Reporter's zone; when
// Today holds another day (or nothing yet) they are empty: no call of that
// day has been added.
func (t *Today) Figures(now time.Time) TodayFigures {
	f := TodayFigures{Date: DateOf(now.In(t.r.loc)), Agents: []AgentToday{}}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.started || t.day != f.Date {
		return f
	}
	s := &t.sum
	f.Calls, f.Inbound, f.Answered = s.calls, s.inbound, s.answered
	f.Missed, f.MissedOutOfHours = s.missed, s.missedOutOfHours
	f.AnsweredLegs = s.legs
	f.AvgTalk, f.AvgRing = meanOf(s.talk, s.legs), meanOf(s.ring, s.legs)
	f.Agents = make([]AgentToday, 0, len(t.agents))
	for _, a := range t.agents {
		f.Agents = append(f.Agents, AgentToday{
			AgentID:      a.id,
			Handled:      a.handled,
			Talk:         a.talk,
			AvgTalk:      meanOf(a.talk, a.handled),
			Ring:         a.ring,
			AvgRing:      meanOf(a.ring, a.handled),
			Missed:       a.missed,
			Outgoing:     a.outgoing,
			OutgoingTalk: a.outgoingTalk,
			LastCallEnd:  a.lastEnd,
		})
	}
	slices.SortFunc(f.Agents, func(a, b AgentToday) int { return cmp.Compare(a.AgentID, b.AgentID) })
	return f
}
