package callflow

import (
	"cmp"
	"slices"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// LostCall is an inbound call to a group or iQueue that no user answered
// (DOMAIN.md §3.5): the unit the lost-calls page lists and lost callers
// are built from.
type LostCall struct {
	CallID  string    `json:"callId"`
	Site    string    `json:"site,omitempty"`
	Arrival time.Time `json:"arrival"`
	End     time.Time `json:"end"`
	// Number is the caller's normalised number (personal); withheld or
	// none when the caller sent none.
	Number cdr.PhoneNumber `json:"number,omitzero"`
	// Wait is how long the caller waited (announcement and ringing) before
	// hanging up, a voicemail box answering, or the call ending.
	Wait time.Duration `json:"wait"`
	// DialledAccountID is the account the caller dialled; GroupID the last
	// group or iQueue the call visited.
	DialledAccountID cdr.AccountID `json:"dialledAccountId"`
	GroupID          cdr.AccountID `json:"groupId"`
	// Reason is how the last group visit ended: lost-in-announcement,
	// lost-while-ringing, forwarded-on-timeout (and then nobody answered),
	// timed-out, busy, no-agent, voicemail, …
	Reason Disposition `json:"reason"`
	// Outcome is how the whole call ended for the caller.
	Outcome Outcome `json:"outcome"`
	// OutOfHours is set when the call arrived outside business hours.
	// Such calls are listed, but counted apart from the lost calls of
	// opening hours, never mixed with them.
	OutOfHours bool `json:"outOfHours,omitempty"`
}

// isLostCall reports whether the journey is a lost call: inbound, it
// reached a group or iQueue, and no user answered it. Voicemail counts as
// lost: a box is not a person. A call forwarded to an external number is
// not lost: the PBX lost sight of it, and someone may have answered there.
func isLostCall(j *Journey) bool {
	return j.Direction == Inbound && len(j.Queues) > 0 && !j.Answered && j.Outcome != OutcomeForwardedAway
}

// LostCalls lists the lost calls among the selected journeys, ordered by
// arrival and call id.
//
// A lost call is an inbound call to a group or iQueue that no user
// answered (DOMAIN.md §3.5); a call that reached a voicemail box is lost,
// a call forwarded to an external number is not (the PBX cannot tell
// whether someone answered there). Its reason is how its last group visit
// ended. Calls outside business hours are marked OutOfHours and counted
// apart by LostCallSummary.
func (r *Reporter) LostCalls(calls []Call) []LostCall {
	var out []LostCall
	for i := range calls {
		j := &calls[i].Journey
		if !r.Selected(j) || !isLostCall(j) {
			continue
		}
		out = append(out, r.lostCall(j))
	}
	slices.SortStableFunc(out, func(a, b LostCall) int {
		return cmp.Or(a.Arrival.Compare(b.Arrival), cmp.Compare(a.CallID, b.CallID), cmp.Compare(a.Site, b.Site))
	})
	return out
}

// LostCallStats counts lost calls by reason, within and outside business
// hours apart.
type LostCallStats struct {
	// Lost counts the lost calls within business hours (all of them
	// without business hours); OutOfHours those outside.
	Lost       int `json:"lost"`
	OutOfHours int `json:"outOfHours"`
	// Reasons has one entry per reason that occurred, in the order of the
	// Disposition constants.
	Reasons []LostCallReason `json:"reasons"`
}

// LostCallReason counts the lost calls that ended one way.
type LostCallReason struct {
	Reason     Disposition `json:"reason"`
	Lost       int         `json:"lost"`       // within business hours
	OutOfHours int         `json:"outOfHours"` // outside business hours
}

// LostCallSummary counts lost calls by reason: lost in the announcement,
// lost while ringing, timed out or forwarded and then not answered, busy or
// no agent, voicemail. Calls outside business hours are counted apart.
func LostCallSummary(lost []LostCall) LostCallStats {
	var s LostCallStats
	idx := map[Disposition]int{}
	for _, l := range lost {
		i, ok := idx[l.Reason]
		if !ok {
			i = len(s.Reasons)
			idx[l.Reason] = i
			s.Reasons = append(s.Reasons, LostCallReason{Reason: l.Reason})
		}
		if l.OutOfHours {
			s.OutOfHours++
			s.Reasons[i].OutOfHours++
		} else {
			s.Lost++
			s.Reasons[i].Lost++
		}
	}
	slices.SortFunc(s.Reasons, func(a, b LostCallReason) int { return cmp.Compare(a.Reason, b.Reason) })
	return s
}

// LostCallerOutcome is how a lost-caller episode ended (DOMAIN.md §3.5).
type LostCallerOutcome uint8

// The outcomes of a lost-caller episode.
const (
	LostCallerUnknown             LostCallerOutcome = iota
	LostCallerRecoveredByCallback                   // an agent called the number back and the caller answered, within W
	LostCallerRecoveredByCaller                     // the caller called again and a user answered, within W
	LostCallerLost                                  // W ended with neither: the caller reached nobody
	LostCallerPending                               // W is still open at the data's end: it may yet be recovered
	LostCallerUnrecoverable                         // the number was withheld or missing: nothing can be matched
)

var lostCallerOutcomeNames = []string{"unknown", "recovered-by-callback", "recovered-by-caller", "lost", "pending", "unrecoverable"}

func (o LostCallerOutcome) String() string {
	return name(lostCallerOutcomeNames, int(o), "LostCallerOutcome")
}

// MarshalText implements encoding.TextMarshaler.
func (o LostCallerOutcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *LostCallerOutcome) UnmarshalText(b []byte) error {
	v, err := parseName(lostCallerOutcomeNames, string(b), "lost-caller outcome")
	*o = LostCallerOutcome(v)
	return err
}

// Recovered reports whether the episode ended with the caller reached.
func (o LostCallerOutcome) Recovered() bool {
	return o == LostCallerRecoveredByCallback || o == LostCallerRecoveredByCaller
}

// LostCaller is one lost-caller episode: a number whose call was lost,
// with every lost attempt it made while the episode was open and how the
// episode ended.
type LostCaller struct {
	// Number is the caller's normalised number (personal), or withheld /
	// none for an unrecoverable episode. Pseudonymised numbers work the
	// same: only equality is used.
	Number   cdr.PhoneNumber   `json:"number,omitzero"`
	Outcome  LostCallerOutcome `json:"outcome"`
	Attempts []Attempt         `json:"attempts"`
	// First and Last are the arrivals of the first and the last attempt.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// WindowEnd is when W, restarted by every attempt, ends; zero for an
	// unrecoverable episode.
	WindowEnd time.Time `json:"windowEnd,omitzero"`
	// RecoveredBy is the call that recovered the caller and RecoveredAt
	// its start; empty unless recovered.
	RecoveredBy string    `json:"recoveredBy,omitempty"`
	RecoveredAt time.Time `json:"recoveredAt,omitzero"`
	// CallbackLatency is the end of the last lost attempt → the start of
	// the connected callback; 0 unless recovered by callback.
	CallbackLatency time.Duration `json:"callbackLatency,omitempty"`
	// AgentID is the user who recovered the caller: who called back, or
	// who answered the caller's new call; 0 if not recovered or unknown.
	AgentID cdr.AccountID `json:"agentId,omitempty"`
	// OutOfHours is set when every attempt arrived outside business hours;
	// LostCallerSummary counts such episodes apart.
	OutOfHours bool `json:"outOfHours,omitempty"`
}

// Attempt is one lost call of a lost caller.
type Attempt struct {
	CallID string    `json:"callId"`
	Site   string    `json:"site,omitempty"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	// Wait is how long the caller waited before giving up (or a box took
	// the call).
	Wait time.Duration `json:"wait"`
	// CalledAccountID is the account the caller dialled; GroupID the last
	// group or iQueue the call visited.
	CalledAccountID cdr.AccountID `json:"calledAccountId"`
	GroupID         cdr.AccountID `json:"groupId"`
	Reason          Disposition   `json:"reason"`
	OutOfHours      bool          `json:"outOfHours,omitempty"`
}

// contact is a journey that takes part in a lost-caller episode: a lost
// call (an attempt) or a recovery.
type contact struct {
	j        *Journey
	lost     bool
	callback bool // an answered outbound call to the number
}

// LostCallers groups the lost calls into lost-caller episodes per caller
// number and says how each ended (DOMAIN.md §3.5). asOf is when the data
// ends; zero means the latest journey end in calls.
//
// An episode opens at a lost call (see LostCalls) of a number. The window
// W (the Reporter's Window) runs from the lost call's end; a further lost
// call from the number while the episode is open is one more attempt and
// restarts W from its end. The episode ends, whichever comes first:
//   - recovered by callback: an answered outbound call to the number
//     starts after the first attempt's arrival and before W ends;
//   - recovered by caller: an answered inbound call from the number
//     starts in that time;
//   - lost: W ends with neither;
//   - pending: W ends after asOf with neither, so a recovery may yet come.
//
// A withheld or missing number cannot be matched: each such lost call is
// an episode of its own, unrecoverable, never silently left out.
//
// Numbers are matched by equality of the normalised number only, across
// sites, so the result is the same on keyed-hash pseudonymised numbers.
// The Reporter's filter selects which lost calls open episodes and count
// as attempts; recoveries are looked up among all calls, because the
// filter would otherwise hide them (a Groups or Directions filter removes
// the outbound callbacks). Episodes are ordered by their first attempt,
// then number.
func (r *Reporter) LostCallers(calls []Call, asOf time.Time) []LostCaller {
	if asOf.IsZero() {
		asOf = dataEnd(calls)
	}
	var eps []LostCaller
	// First the lost calls, so that the recoveries are only kept for
	// numbers that were lost: most answered calls are of other numbers.
	byNum := map[cdr.PhoneNumber][]contact{}
	for i := range calls {
		j := &calls[i].Journey
		if !r.Selected(j) || !isLostCall(j) {
			continue
		}
		if !j.CallerNumber.Matchable() {
			a := r.attempt(j)
			eps = append(eps, LostCaller{
				Number: j.CallerNumber, Outcome: LostCallerUnrecoverable,
				Attempts: []Attempt{a}, First: a.Start, Last: a.Start, OutOfHours: a.OutOfHours,
			})
			continue
		}
		byNum[j.CallerNumber] = append(byNum[j.CallerNumber], contact{j: j, lost: true})
	}
	for i := range calls {
		j := &calls[i].Journey
		if !j.Answered {
			continue
		}
		switch j.Direction {
		case Inbound:
			if cs, ok := byNum[j.CallerNumber]; ok {
				byNum[j.CallerNumber] = append(cs, contact{j: j})
			}
		case Outbound:
			if cs, ok := byNum[j.CalledNumber]; ok {
				byNum[j.CalledNumber] = append(cs, contact{j: j, callback: true})
			}
		}
	}
	for num, cs := range byNum {
		eps = r.episodes(eps, num, cs, asOf)
	}
	slices.SortFunc(eps, func(a, b LostCaller) int {
		if c := a.First.Compare(b.First); c != 0 {
			return c // the usual case: no need to format the numbers
		}
		return cmp.Or(cmp.Compare(a.Number.String(), b.Number.String()),
			cmp.Compare(a.Attempts[0].CallID, b.Attempts[0].CallID), cmp.Compare(a.Attempts[0].Site, b.Attempts[0].Site))
	})
	return eps
}

// episodes walks the contacts of one number in time order and appends its
// episodes to eps.
func (r *Reporter) episodes(eps []LostCaller, num cdr.PhoneNumber, cs []contact, asOf time.Time) []LostCaller {
	// On equal starts a lost call comes first: a recovery must start after
	// the episode opened.
	slices.SortFunc(cs, func(a, b contact) int {
		return cmp.Or(a.j.Arrival.Compare(b.j.Arrival), -cmpBool(a.lost, b.lost),
			cmp.Compare(a.j.CallID, b.j.CallID), cmp.Compare(a.j.Site, b.j.Site))
	})
	var ep *LostCaller
	closeAs := func(o LostCallerOutcome) {
		ep.Outcome = o
		eps = append(eps, *ep)
		ep = nil
	}
	for _, c := range cs {
		j := c.j
		if ep != nil && !j.Arrival.Before(ep.WindowEnd) {
			closeAs(pendingOrLost(ep.WindowEnd, asOf))
		}
		switch {
		case c.lost:
			a := r.attempt(j)
			end := r.cfg.Window.End(j.End, r.loc, r.cfg.BusinessHours)
			if ep == nil {
				ep = &LostCaller{Number: num, First: a.Start, WindowEnd: end, OutOfHours: true}
			}
			ep.Attempts = append(ep.Attempts, a)
			ep.Last = a.Start
			ep.OutOfHours = ep.OutOfHours && a.OutOfHours
			// W restarts from the attempt's end; it never shrinks (a
			// business-day window of an earlier attempt may end later).
			if end.After(ep.WindowEnd) {
				ep.WindowEnd = end
			}
		case ep != nil && j.Arrival.After(ep.First):
			ep.RecoveredBy, ep.RecoveredAt = j.CallID, j.Arrival
			if c.callback {
				ep.CallbackLatency = nonNeg(j.Arrival.Sub(ep.Attempts[len(ep.Attempts)-1].End))
				ep.AgentID = j.CallerAccountID
				closeAs(LostCallerRecoveredByCallback)
			} else {
				ep.AgentID = j.AnsweredBy
				closeAs(LostCallerRecoveredByCaller)
			}
		}
	}
	if ep != nil {
		closeAs(pendingOrLost(ep.WindowEnd, asOf))
	}
	return eps
}

func pendingOrLost(windowEnd, asOf time.Time) LostCallerOutcome {
	if windowEnd.After(asOf) {
		return LostCallerPending
	}
	return LostCallerLost
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// lostCall describes a lost call (isLostCall is true for j).
func (r *Reporter) lostCall(j *Journey) LostCall {
	last := j.Queues[len(j.Queues)-1]
	return LostCall{
		CallID: j.CallID, Site: j.Site, Arrival: j.Arrival, End: j.End,
		Number: j.CallerNumber, Wait: j.Wait,
		DialledAccountID: j.DialledAccountID, GroupID: last.GroupID,
		Reason: last.Disposition, Outcome: j.Outcome,
		OutOfHours: !r.InHours(j),
	}
}

// attempt describes a lost call as an attempt of a lost caller: the lost
// call without what its episode already says (the number).
func (r *Reporter) attempt(j *Journey) Attempt {
	l := r.lostCall(j)
	return Attempt{
		CallID: l.CallID, Site: l.Site, Start: l.Arrival, End: l.End, Wait: l.Wait,
		CalledAccountID: l.DialledAccountID, GroupID: l.GroupID, Reason: l.Reason,
		OutOfHours: l.OutOfHours,
	}
}

// dataEnd returns the latest journey end in calls: when the data ends.
func dataEnd(calls []Call) time.Time {
	var end time.Time
	for i := range calls {
		if e := calls[i].Journey.End; e.After(end) {
			end = e
		}
	}
	return end
}

// LostCallerStats summarises lost-caller episodes, within and outside
// business hours apart: a caller who tried only while the hotline was
// closed is a different matter from one who got no answer while it was
// open.
type LostCallerStats struct {
	// InHours are the episodes with at least one attempt within business
	// hours (all episodes without business hours); OutOfHours the rest.
	InHours    LostCallerFigures `json:"inHours"`
	OutOfHours LostCallerFigures `json:"outOfHours"`
}

// LostCallerFigures are the figures of a set of lost-caller episodes.
type LostCallerFigures struct {
	Episodes            int `json:"episodes"`
	RecoveredByCallback int `json:"recoveredByCallback"`
	RecoveredByCaller   int `json:"recoveredByCaller"`
	Lost                int `json:"lost"`
	Pending             int `json:"pending"`
	Unrecoverable       int `json:"unrecoverable"`
	// RecoveryRate = recovered ÷ (recovered + lost). Pending episodes are
	// not decided yet and unrecoverable ones could not be matched: both
	// are left out rather than counted as lost.
	RecoveryRate Ratio `json:"recoveryRate"`
	// CallbackLatency is the end of the last lost attempt → the start of
	// the connected callback, over the episodes recovered by callback.
	// Buckets: 5, 15, 30 min, 1, 4, 24 h.
	CallbackLatency DurationStats `json:"callbackLatency"`
	// GaveUpAfter is how many attempts the callers whose episode ended
	// lost made before giving up.
	GaveUpAfter LostAttemptStats `json:"gaveUpAfter"`
}

// LostAttemptStats is a distribution of attempt counts.
type LostAttemptStats struct {
	Episodes int `json:"episodes"`
	// Mean attempts per episode; 0 when there is no episode.
	Mean float64 `json:"mean"`
	// Counts has one entry per attempt count that occurred, ascending.
	Counts []LostAttemptCount `json:"counts,omitempty"`
}

// LostAttemptCount is how many episodes had a number of attempts.
type LostAttemptCount struct {
	Attempts int `json:"attempts"`
	Episodes int `json:"episodes"`
}

var callbackBuckets = []time.Duration{5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 4 * time.Hour, 24 * time.Hour}

// LostCallerSummary counts the episodes per outcome, the recovery rate,
// the callback latency (mean, median, buckets) and how many attempts
// lost callers made before giving up; episodes outside business hours
// apart.
func LostCallerSummary(eps []LostCaller) LostCallerStats {
	type acc struct {
		latency durations
		gaveUp  map[int]int
	}
	var s LostCallerStats
	var accs [2]acc
	for _, e := range eps {
		f, a := &s.InHours, &accs[0]
		if e.OutOfHours {
			f, a = &s.OutOfHours, &accs[1]
		}
		f.Episodes++
		switch e.Outcome {
		case LostCallerRecoveredByCallback:
			f.RecoveredByCallback++
			a.latency.add(e.CallbackLatency)
		case LostCallerRecoveredByCaller:
			f.RecoveredByCaller++
		case LostCallerLost:
			f.Lost++
			if a.gaveUp == nil {
				a.gaveUp = map[int]int{}
			}
			a.gaveUp[len(e.Attempts)]++
		case LostCallerPending:
			f.Pending++
		case LostCallerUnrecoverable:
			f.Unrecoverable++
		}
	}
	for i, f := range []*LostCallerFigures{&s.InHours, &s.OutOfHours} {
		rec := f.RecoveredByCallback + f.RecoveredByCaller
		f.RecoveryRate = Ratio{Numerator: rec, Denominator: rec + f.Lost}
		f.CallbackLatency = accs[i].latency.stats(callbackBuckets)
		g := &f.GaveUpAfter
		total := 0
		for n, c := range accs[i].gaveUp {
			g.Counts = append(g.Counts, LostAttemptCount{Attempts: n, Episodes: c})
			g.Episodes += c
			total += n * c
		}
		slices.SortFunc(g.Counts, func(a, b LostAttemptCount) int { return cmp.Compare(a.Attempts, b.Attempts) })
		if g.Episodes > 0 {
			g.Mean = float64(total) / float64(g.Episodes)
		}
	}
	return s
}
