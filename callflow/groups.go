package callflow

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// GroupKPI holds the KPIs of one group or iQueue in one interval
// (DOMAIN.md §3.5). The unit is a call: a call that rang many members is
// offered once, and a call a colleague answered is not missed for the
// others. A call that visits the same group twice (a forward loop) is
// counted once, answered if either visit was.
//
// The outcome counts add up:
//
//	Offered = Answered + Abandoned + ShortAbandoned + Forwarded() + Other()
//
// and LostInAnnouncement + LostWhileRinging = Abandoned + ShortAbandoned.
type GroupKPI struct {
	GroupID  cdr.AccountID   `json:"groupId"`
	Type     cdr.AccountType `json:"type"`
	Interval Interval        `json:"interval"`
	// Start and End bound the interval [Start, End) in the Reporter's
	// zone. For IntervalAll they are the filter's range, else the first
	// arrival and the last end of the calls counted.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`

	// Offered counts calls that reached the group within business hours;
	// OutOfHours those that arrived outside them, counted apart.
	Offered    int `json:"offered"`
	OutOfHours int `json:"outOfHours"`
	Answered   int `json:"answered"`
	// Missed is Offered − Answered: every offered call no member answered.
	Missed int `json:"missed"`
	// Abandoned counts callers who hung up after waiting at least the
	// short-abandon limit; ShortAbandoned those who hung up sooner.
	Abandoned      int `json:"abandoned"`
	ShortAbandoned int `json:"shortAbandoned"`
	// LostInAnnouncement and LostWhileRinging split the abandons (short
	// ones included) by when the caller hung up.
	LostInAnnouncement int `json:"lostInAnnouncement"`
	LostWhileRinging   int `json:"lostWhileRinging"`
	// The forwards: the call left the group unanswered and moved on.
	// Timeouts and overflow are not abandons.
	ForwardedOnTimeout int `json:"forwardedOnTimeout"`
	ForwardedOnBusy    int `json:"forwardedOnBusy"`
	ForwardedAlways    int `json:"forwardedAlways"`
	// The other ends of an unanswered call.
	Voicemail       int `json:"voicemail"`
	TimedOut        int `json:"timedOut"` // the group gave up itself, no forward
	NoAgent         int `json:"noAgent"`  // an iQueue refused: full or nobody logged in
	Busy            int `json:"busy"`
	Rejected        int `json:"rejected"`
	HandledByModule int `json:"handledByModule"`
	Unknown         int `json:"unknown"`

	// AnswerRate = Answered ÷ Offered.
	AnswerRate Ratio `json:"answerRate"`
	// AbandonRate = Abandoned ÷ Offered; short abandons are not in it.
	AbandonRate Ratio `json:"abandonRate"`
	// ServiceLevel = answered within T ÷ (Offered − ShortAbandoned), with
	// the switches of ReportConfig. Its value is null when nothing counts.
	ServiceLevel Ratio `json:"serviceLevel"`

	// ASA, the average speed of answer, is the mean wait of answered
	// calls only. AvgAbandonTime is the mean wait of abandoned calls
	// (short ones excluded); AvgTimeInQueue the mean wait of every
	// offered call.
	ASA            time.Duration `json:"asa"`
	AvgAbandonTime time.Duration `json:"avgAbandonTime"`
	AvgTimeInQueue time.Duration `json:"avgTimeInQueue"`

	// Ring is the ring time (first ring → answer or end) of every offered
	// call; Talk the talk time of answered calls. Both with the
	// configured buckets.
	Ring DurationStats `json:"ring"`
	Talk DurationStats `json:"talk"`
	// Announcement and RingTotal split the summed wait of every offered
	// call into the time before anything rang and the ringing.
	Announcement time.Duration `json:"announcement"`
	RingTotal    time.Duration `json:"ringTotal"`
}

// Forwarded returns the calls that left the group by a forward.
func (k *GroupKPI) Forwarded() int {
	return k.ForwardedOnTimeout + k.ForwardedOnBusy + k.ForwardedAlways
}

// Other returns the unanswered calls that were neither abandoned nor
// forwarded: voicemail, timed out, no agent, busy, rejected, a module.
func (k *GroupKPI) Other() int {
	return k.Voicemail + k.TimedOut + k.NoAgent + k.Busy + k.Rejected + k.HandledByModule + k.Unknown
}

// AnnouncementShare returns the announcement's share of the summed wait
// (the ring's is 1 − it); ok is false when nobody waited.
func (k *GroupKPI) AnnouncementShare() (share float64, ok bool) {
	w := k.Announcement + k.RingTotal
	if w == 0 {
		return 0, false
	}
	return float64(k.Announcement) / float64(w), true
}

// MarshalJSON adds the derived figures (forwarded, other, announcement
// share) so that JSON consumers need not recompute them.
func (k GroupKPI) MarshalJSON() ([]byte, error) {
	type plain GroupKPI
	var share *float64
	if v, ok := k.AnnouncementShare(); ok {
		share = &v
	}
	return json.Marshal(struct {
		plain
		Forwarded         int      `json:"forwarded"`
		Other             int      `json:"other"`
		AnnouncementShare *float64 `json:"announcementShare"`
	}{plain(k), k.Forwarded(), k.Other(), share})
}

// groupAcc accumulates one GroupKPI.
type groupAcc struct {
	k                             GroupKPI
	waitAnswered, waitAbandon     time.Duration
	waitAll                       time.Duration
	answeredInTime, abandonWithin int
	ring, talk                    durations
}

type groupKey struct {
	group cdr.AccountID
	start int64 // interval start, Unix nanoseconds; 0 for IntervalAll
}

// Groups returns the KPIs of every group and iQueue per interval, ordered by
// group, then start. Between the first and the last interval (the filter's
// From and To when set) every interval is listed, an empty one with zero
// counts and null rates, so that series chart without gaps. A group named
// in the filter is listed even without calls.
//
// A visit is counted in the interval of its arrival at the group. Calls
// outside business hours count only as OutOfHours. Internal calls to a
// group are offered like external ones; set Filter.Range to
// RangeExternal to leave them out.
func (r *Reporter) Groups(calls []Call, iv Interval) []GroupKPI {
	accs := make(map[groupKey]*groupAcc)
	types := make(map[cdr.AccountID]cdr.AccountType)
	var first, last time.Time
	for ci := range calls {
		j := &calls[ci].Journey
		if len(j.Queues) == 0 || !r.Selected(j) {
			continue
		}
		inHours := r.InHours(j)
		for vi := range j.Queues {
			v := &j.Queues[vi]
			if !countedVisit(j.Queues, vi) {
				continue
			}
			types[v.GroupID] = v.Type
			if first.IsZero() || v.Arrival.Before(first) {
				first = v.Arrival
			}
			if j.End.After(last) {
				last = j.End
			}
			key := groupKey{group: v.GroupID}
			if iv != IntervalAll {
				key.start = iv.Start(v.Arrival, r.loc).UnixNano()
			}
			a := accs[key]
			if a == nil {
				a = &groupAcc{}
				accs[key] = a
			}
			if !inHours {
				a.k.OutOfHours++
				continue
			}
			r.countVisit(a, v)
		}
	}
	for _, g := range r.cfg.Filter.Groups {
		if _, ok := types[g]; !ok {
			types[g] = cdr.AccountGroup
		}
	}

	// The interval starts to list.
	var starts []time.Time
	if iv != IntervalAll {
		lo, hi := first, last
		if !r.cfg.Filter.From.IsZero() {
			lo = r.cfg.Filter.From
		}
		if !r.cfg.Filter.To.IsZero() {
			hi = r.cfg.Filter.To.Add(-1)
		}
		if !lo.IsZero() && !hi.Before(lo) {
			for s := iv.Start(lo, r.loc); !s.After(hi); s = iv.Next(s, r.loc) {
				starts = append(starts, s)
			}
		}
	}
	groups := make([]cdr.AccountID, 0, len(types))
	for g := range types {
		groups = append(groups, g)
	}
	slices.Sort(groups)

	out := make([]GroupKPI, 0, len(groups)*max(1, len(starts)))
	for _, g := range groups {
		if iv == IntervalAll {
			start, end := first, last
			if !r.cfg.Filter.From.IsZero() {
				start = r.cfg.Filter.From
			}
			if !r.cfg.Filter.To.IsZero() {
				end = r.cfg.Filter.To
			}
			out = append(out, r.finishGroup(accs[groupKey{group: g}], g, types[g], iv, start.In(r.loc), end.In(r.loc)))
			continue
		}
		for _, s := range starts {
			out = append(out, r.finishGroup(accs[groupKey{group: g, start: s.UnixNano()}], g, types[g], iv, s, iv.Next(s, r.loc)))
		}
	}
	return out
}

// countedVisit reports whether visit i is the one a call's figures for its
// group come from: the answered visit, else the last one.
func countedVisit(vs []QueueVisit, i int) bool {
	g := vs[i].GroupID
	answered := -1
	last := -1
	for k := range vs {
		if vs[k].GroupID != g {
			continue
		}
		if vs[k].Disposition == DispositionAnswered && answered < 0 {
			answered = k
		}
		last = k
	}
	if answered >= 0 {
		return i == answered
	}
	return i == last
}

func (r *Reporter) countVisit(a *groupAcc, v *QueueVisit) {
	k := &a.k
	k.Offered++
	a.waitAll += v.Wait
	k.Announcement += v.Announcement
	k.RingTotal += v.Ring
	a.ring.add(v.Ring)
	switch d := v.Disposition; d {
	case DispositionAnswered:
		k.Answered++
		a.waitAnswered += v.Wait
		a.talk.add(v.Talk)
		if v.Wait <= r.cfg.ServiceLevelThreshold {
			a.answeredInTime++
		}
	case DispositionLostInAnnouncement, DispositionLostWhileRinging:
		if d == DispositionLostInAnnouncement {
			k.LostInAnnouncement++
		} else {
			k.LostWhileRinging++
		}
		if r.cfg.ShortAbandon > 0 && v.Wait < r.cfg.ShortAbandon {
			k.ShortAbandoned++
			break
		}
		k.Abandoned++
		a.waitAbandon += v.Wait
		if v.Wait <= r.cfg.ServiceLevelThreshold {
			a.abandonWithin++
		}
	case DispositionForwardedOnTimeout:
		k.ForwardedOnTimeout++
	case DispositionForwardedOnBusy:
		k.ForwardedOnBusy++
	case DispositionForwardedAlways:
		k.ForwardedAlways++
	case DispositionVoicemail:
		k.Voicemail++
	case DispositionTimedOut:
		k.TimedOut++
	case DispositionNoAgent:
		k.NoAgent++
	case DispositionBusy:
		k.Busy++
	case DispositionRejected:
		k.Rejected++
	case DispositionHandledByModule:
		k.HandledByModule++
	default:
		k.Unknown++
	}
}

func (r *Reporter) finishGroup(a *groupAcc, g cdr.AccountID, t cdr.AccountType, iv Interval, start, end time.Time) GroupKPI {
	if a == nil {
		a = &groupAcc{}
	}
	k := a.k
	k.GroupID, k.Type, k.Interval, k.Start, k.End = g, t, iv, start, end
	k.Missed = k.Offered - k.Answered
	k.AnswerRate = Ratio{k.Answered, k.Offered}
	k.AbandonRate = Ratio{k.Abandoned, k.Offered}
	den := k.Offered - k.ShortAbandoned
	if r.cfg.ServiceLevelAbandonsWithinT {
		den -= a.abandonWithin
	}
	if r.cfg.ServiceLevelExcludesOverflow {
		den -= k.Forwarded()
	}
	k.ServiceLevel = Ratio{a.answeredInTime, max(den, 0)}
	k.ASA = meanOf(a.waitAnswered, k.Answered)
	k.AvgAbandonTime = meanOf(a.waitAbandon, k.Abandoned)
	k.AvgTimeInQueue = meanOf(a.waitAll, k.Offered)
	k.Ring = a.ring.stats(r.cfg.RingBuckets)
	k.Talk = a.talk.stats(r.cfg.TalkBuckets)
	return k
}

// SlowestFastest returns the groups with the longest and the shortest
// average speed of answer (ASA) among kpis, considering only rows with
// answered calls; ties go to the lower group id. ok is false when no row
// has an answered call. Pass the rows of one interval (IntervalAll).
func SlowestFastest(kpis []GroupKPI) (slowest, fastest GroupKPI, ok bool) {
	for _, k := range kpis {
		if k.Answered == 0 {
			continue
		}
		if !ok {
			slowest, fastest, ok = k, k, true
			continue
		}
		if c := cmp.Compare(k.ASA, slowest.ASA); c > 0 || (c == 0 && k.GroupID < slowest.GroupID) {
			slowest = k
		}
		if c := cmp.Compare(k.ASA, fastest.ASA); c < 0 || (c == 0 && k.GroupID < fastest.GroupID) {
			fastest = k
		}
	}
	return slowest, fastest, ok
}
