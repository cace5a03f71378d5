package callflow

import (
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// Disposition is how one visit of a call to a group or iQueue ended for that
// group: the unit group KPIs count (DOMAIN.md §3.5).
type Disposition uint8

// The dispositions. Abandons are the caller's doing; timeouts and forwards
// are the PBX's and are never abandons.
const (
	DispositionUnknown            Disposition = iota
	DispositionAnswered                       // a member (or a colleague picking up) talked to the caller
	DispositionLostInAnnouncement             // the caller hung up before any phone rang
	DispositionLostWhileRinging               // the caller hung up while waiting or ringing
	DispositionForwardedOnTimeout             // nobody answered in time; the call moved on
	DispositionForwardedOnBusy                // the group was busy; the call moved on
	DispositionForwardedAlways                // the group forwards always; the call moved on
	DispositionVoicemail                      // a voicemail box took the call
	DispositionTimedOut                       // the group gave up itself, no forward
	DispositionNoAgent                        // an iQueue refused the call: full or nobody logged in
	DispositionBusy                           // busy, nothing took the call
	DispositionRejected                       // a member rejected the call and it ended
	DispositionHandledByModule                // a module took the call and ended it
)

var dispositionNames = []string{"unknown", "answered", "lost-in-announcement", "lost-while-ringing", "forwarded-on-timeout", "forwarded-on-busy", "forwarded-always", "voicemail", "timed-out", "no-agent", "busy", "rejected", "handled-by-module"}

func (d Disposition) String() string { return name(dispositionNames, int(d), "Disposition") }

// MarshalText implements encoding.TextMarshaler.
func (d Disposition) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Disposition) UnmarshalText(b []byte) error {
	v, err := parseName(dispositionNames, string(b), "disposition")
	*d = Disposition(v)
	return err
}

// Abandoned reports whether the caller hung up during this visit.
func (d Disposition) Abandoned() bool {
	return d == DispositionLostInAnnouncement || d == DispositionLostWhileRinging
}

// Forwarded reports whether the call left the group by a forward.
func (d Disposition) Forwarded() bool {
	return d == DispositionForwardedOnTimeout || d == DispositionForwardedOnBusy || d == DispositionForwardedAlways
}

// QueueVisit is one visit of a call to a group or iQueue (rule Q1 in
// docs/interpretation.md). Unlike legs, a visit exists for every group the
// call reached, also when a busy or always forward moved it on at once.
type QueueVisit struct {
	GroupID cdr.AccountID   `json:"groupId"`
	Type    cdr.AccountType `json:"type"`
	Arrival time.Time       `json:"arrival"`
	// Announcement is arrival → first ring; Ring is first ring → answer (or
	// the voicemail box's answer, or the end); Wait is their sum, the time
	// the caller waited in this group.
	Announcement time.Duration `json:"announcement"`
	Ring         time.Duration `json:"ring"`
	Wait         time.Duration `json:"wait"`
	Talk         time.Duration `json:"talk"`
	// AgentID is the user who answered; AgentRing how long their own phone
	// rang before they did (reaction time).
	AgentID     cdr.AccountID `json:"agentId,omitempty"`
	AgentRing   time.Duration `json:"agentRing,omitempty"`
	Disposition Disposition   `json:"disposition"`
}

// queueVisits derives the visits of a call to groups and iQueues from its
// resolved steps. last is the last step's outcome before the internal-call
// mapping (see outcome).
func queueVisits(steps []*step, trans []transition, last Outcome, box *step) []QueueVisit {
	n := 0
	for _, s := range steps {
		if s.group {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	vs := make([]QueueVisit, 0, n)
	for i, s := range steps {
		if !s.group {
			continue
		}
		v := QueueVisit{GroupID: s.target, Type: s.acc.Type, Arrival: s.arrival}
		stop := s.end
		switch {
		case s.answered():
			stop = s.answer
			v.AgentID = s.answeredBy
			v.Talk = nonNeg(s.end.Sub(s.answer))
			v.Disposition = DispositionAnswered
			if s.answerRow != nil && !s.answerRow.ring.IsZero() {
				v.AgentRing = nonNeg(s.answerRow.link.Sub(s.answerRow.ring))
			}
		case i+1 < len(steps):
			switch trans[i].kind {
			case EventForwardedOnTimeout:
				v.Disposition = DispositionForwardedOnTimeout
			case EventForwardedOnBusy:
				v.Disposition = DispositionForwardedOnBusy
			case EventForwardedAlways:
				v.Disposition = DispositionForwardedAlways
			}
		case s == box && isVoicemail(s):
			stop = s.boxRow.link
			v.Disposition = DispositionVoicemail
		default:
			v.Disposition = lastDisposition(last)
		}
		ring := s.ringStart
		if ring.IsZero() || ring.After(stop) {
			ring = stop
		}
		v.Announcement = nonNeg(ring.Sub(s.arrival))
		v.Ring = nonNeg(stop.Sub(ring))
		v.Wait = v.Announcement + v.Ring
		vs = append(vs, v)
	}
	return vs
}

// lastDisposition maps the outcome of a call's last step to the visit's
// disposition.
func lastDisposition(o Outcome) Disposition {
	switch o {
	case OutcomeVoicemail:
		return DispositionVoicemail
	case OutcomeLostInAnnouncement:
		return DispositionLostInAnnouncement
	case OutcomeLostWhileRinging:
		return DispositionLostWhileRinging
	case OutcomeBusy:
		return DispositionBusy
	case OutcomeNoAgent:
		return DispositionNoAgent
	case OutcomeRejected:
		return DispositionRejected
	case OutcomeHandledByModule:
		return DispositionHandledByModule
	case OutcomeTimedOut:
		return DispositionTimedOut
	}
	return DispositionUnknown
}
