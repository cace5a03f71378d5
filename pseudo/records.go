package pseudo

import (
	"errors"
	"fmt"
	"slices"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/live"
)

// The record methods return a concealed deep copy and never change their
// argument: one pipeline may feed several sinks with different policies,
// and no sink can change what another receives.

// Entry conceals a raw call-list entry: call id, leg uuid and channel,
// both caller ids, the callback number, the login, and a
// callresultcausedby that is not an account id. A numeric call step id is
// kept: it numbers the steps of a call, holds nothing personal, and the
// interpretation orders steps by it; any other is concealed as CallLeg.
func (p *Pseudonymiser) Entry(e cdr.Entry) cdr.Entry {
	e.CallID = p.Conceal(CallID, e.CallID)
	if !stepNumber(e.CallStepID) {
		e.CallStepID = p.Conceal(CallLeg, e.CallStepID)
	}
	e.CallLegUUID = p.Conceal(CallLeg, e.CallLegUUID)
	e.ChannelName = p.Conceal(CallLeg, e.ChannelName)
	e.CallerCallerID = p.ConcealCallerID(CallerName, CallerNumber, e.CallerCallerID)
	e.CalledCallerID = p.ConcealCallerID(CalledName, CalledNumber, e.CalledCallerID)
	e.CallbackNumber = p.Conceal(CallbackNumber, e.CallbackNumber)
	e.Login = p.Conceal(Login, e.Login)
	if !accountIDText(e.CallResultCausedBy) {
		e.CallResultCausedBy = p.Conceal(Login, e.CallResultCausedBy)
	}
	return e
}

// stepNumber reports whether a call step id is a plain step number.
func stepNumber(s string) bool {
	if s == "" || len(s) > 9 {
		return s == ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// accountIDText reports whether a callresultcausedby is plausibly an
// account id, kept in clear: "0", or up to 9 digits without a leading 0.
// Longer digit strings, or ones with a leading 0, look like phone numbers
// and are concealed.
func accountIDText(s string) bool {
	if s == "" || s == "0" {
		return true
	}
	return s[0] != '0' && stepNumber(s)
}

// Account conceals an account's name (as UserName or GroupName by its
// type), login and SAM account name.
func (p *Pseudonymiser) Account(a cdr.Account) cdr.Account {
	f := UserName
	if a.Type.IsGroup() {
		f = GroupName
	}
	a.Name = p.Conceal(f, a.Name)
	a.Login = p.Conceal(Login, a.Login)
	a.SAMAccountName = p.Conceal(Login, a.SAMAccountName)
	return a
}

// Leg conceals a leg: call id, caller ids and numbers, comment and author.
func (p *Pseudonymiser) Leg(l callflow.Leg) callflow.Leg {
	l.CallID = p.Conceal(CallID, l.CallID)
	l.CalledCallerID = p.ConcealCallerID(CalledName, CalledNumber, l.CalledCallerID)
	l.CalledNumber = p.ConcealNumber(CalledNumber, l.CalledNumber)
	l.CallerCallerID = p.ConcealCallerID(CallerName, CallerNumber, l.CallerCallerID)
	l.CallerNumber = p.ConcealNumber(CallerNumber, l.CallerNumber)
	l.Comment = p.Conceal(Comment, l.Comment)
	l.CommentAuthor = p.Conceal(CommentAuthor, l.CommentAuthor)
	l.EntryIDs = slices.Clone(l.EntryIDs)
	return l
}

// Journey conceals a journey: call id, caller id and numbers.
func (p *Pseudonymiser) Journey(j callflow.Journey) callflow.Journey {
	j.CallID = p.Conceal(CallID, j.CallID)
	j.CallerCallerID = p.ConcealCallerID(CallerName, CallerNumber, j.CallerCallerID)
	j.CallerNumber = p.ConcealNumber(CallerNumber, j.CallerNumber)
	j.CalledNumber = p.ConcealNumber(CalledNumber, j.CalledNumber)
	j.Path = slices.Clone(j.Path)
	j.Events = slices.Clone(j.Events)
	j.Queues = slices.Clone(j.Queues)
	return j
}

// Call conceals a call's journey and legs.
func (p *Pseudonymiser) Call(c callflow.Call) callflow.Call {
	return callflow.Call{Journey: p.Journey(c.Journey), Legs: mapSlice(c.Legs, p.Leg)}
}

// LostCall conceals a lost call's id and number.
func (p *Pseudonymiser) LostCall(l callflow.LostCall) callflow.LostCall {
	l.CallID = p.Conceal(CallID, l.CallID)
	l.Number = p.ConcealNumber(CallerNumber, l.Number)
	return l
}

// LostCaller conceals a lost caller's number, the ids of its attempts and
// of the call that recovered it.
func (p *Pseudonymiser) LostCaller(l callflow.LostCaller) callflow.LostCaller {
	l.Number = p.ConcealNumber(CallerNumber, l.Number)
	l.Attempts = mapSlice(l.Attempts, p.Attempt)
	l.RecoveredBy = p.Conceal(CallID, l.RecoveredBy)
	return l
}

// Attempt conceals a lost caller's attempt (its call id).
func (p *Pseudonymiser) Attempt(a callflow.Attempt) callflow.Attempt {
	a.CallID = p.Conceal(CallID, a.CallID)
	return a
}

// Party conceals an external party's number.
func (p *Pseudonymiser) Party(k callflow.PartyKPI) callflow.PartyKPI {
	k.Number = p.ConcealNumber(CallerNumber, k.Number)
	return k
}

// BestBuddy conceals a caller–agent pair's number.
func (p *Pseudonymiser) BestBuddy(b callflow.BestBuddy) callflow.BestBuddy {
	b.Number = p.ConcealNumber(CallerNumber, b.Number)
	return b
}

// RepeatCall conceals a repeat call's number and the ids of it and the
// next call.
func (p *Pseudonymiser) RepeatCall(r callflow.RepeatCall) callflow.RepeatCall {
	r.CallID = p.Conceal(CallID, r.CallID)
	r.Number = p.ConcealNumber(CallerNumber, r.Number)
	r.NextCallID = p.Conceal(CallID, r.NextCallID)
	return r
}

// BuddyReport conceals a best-buddies report's pairs.
func (p *Pseudonymiser) BuddyReport(r callflow.BuddyReport) callflow.BuddyReport {
	r.Pairs = mapSlice(r.Pairs, p.BestBuddy)
	return r
}

// RepeatReport conceals a repeat-call report's calls.
func (p *Pseudonymiser) RepeatReport(r callflow.RepeatReport) callflow.RepeatReport {
	r.Agents = slices.Clone(r.Agents)
	r.Calls = mapSlice(r.Calls, p.RepeatCall)
	return r
}

// UserState conceals a live user's name, presence message, and the id,
// caller name and number of the current call.
func (p *Pseudonymiser) UserState(u live.UserState) live.UserState {
	u.Name = p.Conceal(UserName, u.Name)
	u.ChatPresenceMessage = p.Conceal(PresenceMessage, u.ChatPresenceMessage)
	u.CallID = p.Conceal(CallID, u.CallID)
	u.CallerName = p.Conceal(CallerName, u.CallerName)
	u.CallerNumber = p.ConcealNumber(CallerNumber, u.CallerNumber)
	u.GroupIDs = slices.Clone(u.GroupIDs)
	return u
}

// QueueState conceals a live group's or iQueue's name.
func (p *Pseudonymiser) QueueState(q live.QueueState) live.QueueState {
	q.Name = p.Conceal(GroupName, q.Name)
	return q
}

// ErrUnsupportedType is wrapped by Apply for a batch of a type it does not
// know.
var ErrUnsupportedType = errors.New("pseudo: unsupported record type")

// Apply conceals a whole batch of any record type of the SDK, in one call,
// and returns the concealed deep copy: cdr.Entry and Account; callflow
// Call, Leg, Journey, LostCall, LostCaller, Attempt, PartyKPI, BestBuddy,
// BuddyReport, RepeatCall, RepeatReport; live UserState and QueueState.
// The report rows without a personal field (GroupKPI, AgentKPI,
// AgentFigures, GroupAgentFlow, HeatMap, DayCount, LostCallStats,
// LostCallerStats, LostAttemptStats, RepeatCounts, AgentRepeatCounts,
// TodayFigures, AgentToday, QueueVisit, Event, and the login states
// UserLoginState and MemberLoginState) are copied as they are, so a sink
// can send every batch through Apply. A batch of any other type is refused
// with ErrUnsupportedType rather than passed on unconcealed; so is a nil
// Pseudonymiser.
func Apply[T any](p *Pseudonymiser, batch []T) ([]T, error) {
	if p == nil {
		return nil, errors.New("pseudo: nil Pseudonymiser: pass one from pseudo.New, or pseudo.Clear() to keep data in clear")
	}
	var out any
	switch b := any(batch).(type) {
	case []cdr.Entry:
		out = mapSlice(b, p.Entry)
	case []cdr.Account:
		out = mapSlice(b, p.Account)
	case []callflow.Call:
		out = mapSlice(b, p.Call)
	case []callflow.Leg:
		out = mapSlice(b, p.Leg)
	case []callflow.Journey:
		out = mapSlice(b, p.Journey)
	case []callflow.LostCall:
		out = mapSlice(b, p.LostCall)
	case []callflow.LostCaller:
		out = mapSlice(b, p.LostCaller)
	case []callflow.Attempt:
		out = mapSlice(b, p.Attempt)
	case []callflow.PartyKPI:
		out = mapSlice(b, p.Party)
	case []callflow.BestBuddy:
		out = mapSlice(b, p.BestBuddy)
	case []callflow.BuddyReport:
		out = mapSlice(b, p.BuddyReport)
	case []callflow.RepeatCall:
		out = mapSlice(b, p.RepeatCall)
	case []callflow.RepeatReport:
		out = mapSlice(b, p.RepeatReport)
	case []live.UserState:
		out = mapSlice(b, p.UserState)
	case []live.QueueState:
		out = mapSlice(b, p.QueueState)
	case []callflow.LostCallStats:
		out = mapSlice(b, func(s callflow.LostCallStats) callflow.LostCallStats { s.Reasons = slices.Clone(s.Reasons); return s })
	case []callflow.AgentKPI:
		out = mapSlice(b, func(k callflow.AgentKPI) callflow.AgentKPI {
			if k.WithExcluded != nil {
				w := *k.WithExcluded
				k.WithExcluded = &w
			}
			return k
		})
	case []callflow.LostAttemptStats:
		out = mapSlice(b, func(s callflow.LostAttemptStats) callflow.LostAttemptStats {
			s.Counts = slices.Clone(s.Counts)
			return s
		})
	case []callflow.TodayFigures:
		out = mapSlice(b, func(f callflow.TodayFigures) callflow.TodayFigures { f.Agents = slices.Clone(f.Agents); return f })
	case []callflow.GroupKPI, []callflow.HeatMap, []callflow.LostCallerStats, []callflow.AgentFigures, []callflow.GroupAgentFlow, []callflow.DayCount,
		[]callflow.RepeatCounts, []callflow.AgentRepeatCounts, []callflow.AgentToday, []callflow.QueueVisit,
		[]callflow.Event, []live.UserLoginState, []live.MemberLoginState:
		return slices.Clone(batch), nil
	default:
		return nil, fmt.Errorf("%w %T: conceal its personal fields with Conceal, ConcealNumber and ConcealCallerID", ErrUnsupportedType, batch)
	}
	return out.([]T), nil
}

func mapSlice[T any](in []T, f func(T) T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i := range in {
		out[i] = f(in[i])
	}
	return out
}
