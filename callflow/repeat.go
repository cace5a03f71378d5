package callflow

import (
	"cmp"
	"slices"
	"sort"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// RepeatReport is the repeat-call and first-call-resolution report.
type RepeatReport struct {
	// AsOf is when the data ends; Window is W.
	AsOf   time.Time `json:"asOf"`
	Window Window    `json:"window"`
	RepeatCounts
	// Agents has the same figures per answering agent, by id.
	Agents []AgentRepeatCounts `json:"agents"`
	// Calls lists every answered inbound call counted, by arrival.
	Calls []RepeatCall `json:"calls"`
}

// RepeatCounts are the repeat-call figures of a set of answered inbound
// calls. Answered = Resolved + Repeated + Provisional + Unmatchable.
type RepeatCounts struct {
	Answered int `json:"answered"`
	// Resolved calls were not followed by another inbound call from the
	// number within W; Repeated calls were.
	Resolved int `json:"resolved"`
	Repeated int `json:"repeated"`
	// Provisional calls have W still open when the data ends: counted
	// neither resolved nor repeated, even when a repeat already came, so
	// that the open tail does not bias the ratio towards repeats.
	Provisional int `json:"provisional"`
	// Unmatchable calls came from a withheld or missing number: no later
	// call can be matched to them.
	Unmatchable int `json:"unmatchable"`
	// FirstCallResolution = Resolved ÷ (Resolved + Repeated), that is
	// resolved ÷ (answered − provisional − unmatchable).
	FirstCallResolution Ratio `json:"firstCallResolution"`
}

// AgentRepeatCounts are the repeat-call figures of the calls one agent
// answered.
type AgentRepeatCounts struct {
	AgentID cdr.AccountID `json:"agentId"`
	RepeatCounts
}

// RepeatCall is one answered inbound call and whether the caller called
// again within W.
type RepeatCall struct {
	CallID string          `json:"callId"`
	Site   string          `json:"site,omitempty"`
	Number cdr.PhoneNumber `json:"number,omitzero"` // personal
	At     time.Time       `json:"at"`              // arrival
	End    time.Time       `json:"end"`
	// AgentID answered the call, via group GroupID (0 for a direct call).
	AgentID cdr.AccountID `json:"agentId,omitempty"`
	GroupID cdr.AccountID `json:"groupId,omitempty"`
	// WindowEnd is when W, counted from the call's end, ends; zero for an
	// unmatchable call.
	WindowEnd   time.Time `json:"windowEnd,omitzero"`
	Repeated    bool      `json:"repeated,omitempty"`
	Provisional bool      `json:"provisional,omitempty"`
	Unmatchable bool      `json:"unmatchable,omitempty"`
	// NextCallID is the next inbound call from the number within W, and
	// Gap the time from this call's end to its arrival; set for repeated
	// calls and for provisional calls a repeat already followed.
	NextCallID string        `json:"nextCallId,omitempty"`
	Gap        time.Duration `json:"gap,omitempty"`
}

// RepeatCalls reports repeat calls and first-call resolution (DOMAIN.md
// §3.5) over the selected answered inbound calls. asOf is when the data
// ends; zero means the latest journey end in calls.
//
// An answered inbound call is repeated when another inbound call from the
// same number (answered or not) arrives after its arrival (so a second
// call during the first counts, with Gap 0) and before W, counted from its
// end, is over; otherwise it is resolved. The forward steps,
// transfers and voicemail of one call share a callid and are one journey,
// so they are never repeats. A call whose W is still open at asOf is
// provisional, and one from a withheld or missing number unmatchable:
// both are counted apart and left out of the ratio.
//
// The filter selects the answered calls counted; the next calls are looked
// up among all inbound calls (a caller who calls another group again still
// had the problem). Numbers are matched by equality only, across sites, so
// the report works unchanged on pseudonymised numbers.
func (r *Reporter) RepeatCalls(calls []Call, asOf time.Time) RepeatReport {
	if asOf.IsZero() {
		asOf = dataEnd(calls)
	}
	rep := RepeatReport{AsOf: asOf, Window: r.cfg.Window}
	// The inbound journeys per number, for the next call: only numbers an
	// answered selected call has.
	byNum := map[cdr.PhoneNumber][]*Journey{}
	answered := 0
	for i := range calls {
		j := &calls[i].Journey
		if j.Direction == Inbound && j.Answered && r.Selected(j) {
			answered++
			if j.CallerNumber.Matchable() {
				byNum[j.CallerNumber] = nil
			}
		}
	}
	for i := range calls {
		j := &calls[i].Journey
		if j.Direction != Inbound {
			continue
		}
		if js, ok := byNum[j.CallerNumber]; ok {
			byNum[j.CallerNumber] = append(js, j)
		}
	}
	for _, js := range byNum {
		slices.SortFunc(js, func(a, b *Journey) int {
			return cmp.Or(a.Arrival.Compare(b.Arrival), cmp.Compare(a.CallID, b.CallID), cmp.Compare(a.Site, b.Site))
		})
	}

	agents := map[cdr.AccountID]*RepeatCounts{}
	rep.Calls = make([]RepeatCall, 0, answered)
	for i := range calls {
		j := &calls[i].Journey
		if j.Direction != Inbound || !j.Answered || !r.Selected(j) {
			continue
		}
		rc := RepeatCall{
			CallID: j.CallID, Site: j.Site, Number: j.CallerNumber, At: j.Arrival, End: j.End,
			AgentID: j.AnsweredBy, GroupID: j.AnsweredVia,
		}
		if !j.CallerNumber.Matchable() {
			rc.Unmatchable = true
		} else {
			rc.WindowEnd = r.cfg.Window.End(j.End, r.loc, r.cfg.BusinessHours)
			js := byNum[j.CallerNumber]
			k := sort.Search(len(js), func(k int) bool { return js[k].Arrival.After(j.Arrival) })
			if k < len(js) && js[k].Arrival.Before(rc.WindowEnd) {
				rc.NextCallID = js[k].CallID
				rc.Gap = nonNeg(js[k].Arrival.Sub(j.End))
				rc.Repeated = true
			}
			rc.Provisional = rc.WindowEnd.After(asOf)
		}
		a := agents[rc.AgentID]
		if a == nil {
			a = &RepeatCounts{}
			agents[rc.AgentID] = a
		}
		rep.RepeatCounts.add(&rc)
		a.add(&rc)
		rep.Calls = append(rep.Calls, rc)
	}
	rep.RepeatCounts.ratio()
	rep.Agents = make([]AgentRepeatCounts, 0, len(agents))
	for id, a := range agents {
		a.ratio()
		rep.Agents = append(rep.Agents, AgentRepeatCounts{AgentID: id, RepeatCounts: *a})
	}
	slices.SortFunc(rep.Agents, func(a, b AgentRepeatCounts) int { return cmp.Compare(a.AgentID, b.AgentID) })
	slices.SortStableFunc(rep.Calls, func(a, b RepeatCall) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.CallID, b.CallID), cmp.Compare(a.Site, b.Site))
	})
	return rep
}

func (c *RepeatCounts) add(rc *RepeatCall) {
	c.Answered++
	switch {
	case rc.Unmatchable:
		c.Unmatchable++
	case rc.Provisional:
		c.Provisional++
	case rc.Repeated:
		c.Repeated++
	default:
		c.Resolved++
	}
}

func (c *RepeatCounts) ratio() {
	c.FirstCallResolution = Ratio{Numerator: c.Resolved, Denominator: c.Resolved + c.Repeated}
}
