package sim

import (
	"strconv"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// Origin says why a simulated call happened.
type Origin uint8

// The origins.
const (
	OriginInbound      Origin = iota + 1 // an external party calls the company
	OriginRecall                         // a caller whose earlier call was lost calls again
	OriginOutbound                       // an agent calls an external party
	OriginCallback                       // an agent calls back a caller whose earlier call was lost
	OriginInternal                       // an agent calls a colleague
	OriginConsultation                   // the consultation call of an attended transfer
)

var originNames = []string{"", "inbound", "recall", "outbound", "callback", "internal", "consultation"}

// String returns the origin's name.
func (o Origin) String() string {
	if int(o) < len(originNames) && o != 0 {
		return originNames[o]
	}
	return "Origin(" + strconv.Itoa(int(o)) + ")"
}

// Truth is what the generator meant one call to be: the answer an
// interpretation of its rows should arrive at, following
// docs/interpretation.md. It is built together with the rows, so the two
// cannot drift apart.
type Truth struct {
	CallID    string
	Origin    Origin
	Direction callflow.Direction
	Start     time.Time // the call's first starttime
	End       time.Time // the latest callresulttime of its rows
	Rows      int       // how many rows the call wrote

	// CallerAccountID is the calling agent of outbound and internal calls.
	CallerAccountID cdr.AccountID
	// Number is the external party's number as written in the rows: the
	// caller's for inbound calls, the called number for outbound ones.
	// Empty for withheld callers and internal calls.
	Number string
	// DialledAccountID is the first account the call reached; 0 for
	// outbound calls.
	DialledAccountID cdr.AccountID

	// Outcome is the journey outcome of J4. For outbound calls Answered
	// means the external party answered.
	Outcome callflow.Outcome
	// AnsweredBy is the first user who talked to an external or internal
	// caller (J3); 0 if none, and 0 for outbound calls.
	AnsweredBy cdr.AccountID
	// AnsweredVia is the group or iQueue through which AnsweredBy got the
	// call; 0 for direct calls.
	AnsweredVia cdr.AccountID
	// Answer is when AnsweredBy answered; zero when AnsweredBy is 0.
	Answer time.Time
	// Legs are the accounts that get a leg (L1–L9), ascending, each once.
	Legs []cdr.AccountID
	// Events are the journey's events (J5) in the order they happened;
	// consecutive forwards with the same reason appear once (L7).
	Events []callflow.EventKind

	// OutOfHours is true when the call arrived outside Monday–Friday
	// 08:00–18:00 local time: nobody is logged in to groups and iQueues.
	OutOfHours bool
	// Related is, for a recall or callback, the id of the lost call it
	// follows up; for a consultation, the id of the call it transfers.
	Related string
}

// Has reports whether the truth lists an event of kind k.
func (t *Truth) Has(k callflow.EventKind) bool {
	for _, e := range t.Events {
		if e == k {
			return true
		}
	}
	return false
}
