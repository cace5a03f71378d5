package callflow

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// Direction is a call's direction seen from the PBX. It is derived from the
// account ids, never from the unreliable incoming column.
type Direction uint8

// The directions.
const (
	Inbound  Direction = iota + 1 // an external party calls an account
	Outbound                      // a user calls an external party
	Internal                      // a user calls another account
)

// Range is whether the other party of a leg is internal or external.
type Range uint8

// The ranges.
const (
	RangeExternal Range = iota + 1
	RangeInternal
)

// Result is a leg's result for its account.
type Result uint8

// The results. For an outgoing leg, Missed means the called party did not
// answer.
const (
	ResultAnswered Result = iota + 1
	ResultMissed
)

// Outcome is how a journey ended for the caller.
type Outcome uint8

// The outcomes, from the caller's side.
const (
	OutcomeUnknown            Outcome = iota
	OutcomeAnswered                   // a user talked to the caller
	OutcomeVoicemail                  // a voicemail box took the call, no user did
	OutcomeLostInAnnouncement         // the caller hung up before anything rang (announcement, IVR, queue greeting)
	OutcomeLostWhileRinging           // the caller hung up while waiting in a queue or while phones rang
	OutcomeBusy                       // the target was busy and nothing took the call
	OutcomeNoAgent                    // an iQueue refused the call: full, or no agent logged in
	OutcomeRejected                   // the called user rejected the call
	OutcomeForwardedAway              // forwarded to an external number; the PBX lost sight of it
	OutcomeNotAnswered                // an outgoing or internal call the other side did not answer
	OutcomeHandledByModule            // a module (IVR, announcement) took the call and ended it
	OutcomeTimedOut                   // a group or iQueue gave up itself (maximum wait reached, no forward)
)

// EventKind is something that happened during a journey.
type EventKind uint8

// The event kinds.
const (
	EventForwardedOnTimeout EventKind = iota + 1
	EventForwardedOnBusy
	EventForwardedAlways
	EventPickedUp
	EventTransferred // blind transfer after answer
	EventTransferredAttended
	EventHandledByModule // an IVR or announcement module held the call before it rang
	EventParked          // parked and picked up again (unparked)
	EventVoicemail
	EventRejected
	EventForwardedExternal
)

// Flag marks something the interpretation noticed or repaired.
type Flag uint16

// The flags. Repairs never drop a row; they are documented in
// docs/interpretation.md (rules X1–X5).
const (
	FlagRepairedTimes      Flag = 1 << iota // a timestamp was out of order and was repaired
	FlagMissingEnd                          // the end time was empty and was taken from the other times
	FlagPlaceholderAccount                  // an account id was not in the directory
	FlagDuplicateEntry                      // the same entry id came twice with different content; the copy that sorts first (by every field) was kept
	FlagNoCallID                            // the row had no callid and became a call of its own
	FlagIncomplete                          // the rows do not describe a full call (no receiving row)
	FlagReopened                            // the Assembler emitted this call before; late rows completed it
	FlagLateRows                            // rows came after their call was forgotten by the Assembler
)

var flagNames = []string{"repaired-times", "missing-end", "placeholder-account", "duplicate-entry", "no-callid", "incomplete", "reopened", "late-rows"}

var (
	directionNames = []string{"", "inbound", "outbound", "internal"}
	rangeNames     = []string{"", "external", "internal"}
	resultNames    = []string{"", "answered", "missed"}
	outcomeNames   = []string{"unknown", "answered", "voicemail", "lost-in-announcement", "lost-while-ringing", "busy", "no-agent", "rejected", "forwarded-away", "not-answered", "handled-by-module", "timed-out"}
	eventNames     = []string{"", "forwarded-on-timeout", "forwarded-on-busy", "forwarded-always", "picked-up", "transferred", "transferred-attended", "handled-by-module", "parked", "voicemail", "rejected", "forwarded-external"}
)

func name(names []string, v int, typ string) string {
	if v >= 0 && v < len(names) && names[v] != "" {
		return names[v]
	}
	return typ + "(" + strconv.Itoa(v) + ")"
}

func parseName(names []string, s, typ string) (int, error) {
	for i, n := range names {
		if n != "" && n == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("callflow: unknown %s %q", typ, s)
}

func (d Direction) String() string { return name(directionNames, int(d), "Direction") }
func (r Range) String() string     { return name(rangeNames, int(r), "Range") }
func (r Result) String() string    { return name(resultNames, int(r), "Result") }
func (o Outcome) String() string   { return name(outcomeNames, int(o), "Outcome") }
func (k EventKind) String() string { return name(eventNames, int(k), "EventKind") }

// MarshalText implements encoding.TextMarshaler.
func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// MarshalText implements encoding.TextMarshaler.
func (r Range) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// MarshalText implements encoding.TextMarshaler.
func (r Result) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// MarshalText implements encoding.TextMarshaler.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// MarshalText implements encoding.TextMarshaler.
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Direction) UnmarshalText(b []byte) error {
	v, err := parseName(directionNames, string(b), "direction")
	*d = Direction(v)
	return err
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Range) UnmarshalText(b []byte) error {
	v, err := parseName(rangeNames, string(b), "range")
	*r = Range(v)
	return err
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Result) UnmarshalText(b []byte) error {
	v, err := parseName(resultNames, string(b), "result")
	*r = Result(v)
	return err
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *Outcome) UnmarshalText(b []byte) error {
	v, err := parseName(outcomeNames, string(b), "outcome")
	*o = Outcome(v)
	return err
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *EventKind) UnmarshalText(b []byte) error {
	v, err := parseName(eventNames, string(b), "event")
	*k = EventKind(v)
	return err
}

// Has reports whether all of g is set in f.
func (f Flag) Has(g Flag) bool { return f&g == g }

// String lists the set flags joined by "|", or "" when none is set.
func (f Flag) String() string {
	var parts []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if rest := f &^ (1<<len(flagNames) - 1); rest != 0 {
		parts = append(parts, "0x"+strconv.FormatUint(uint64(rest), 16))
	}
	return strings.Join(parts, "|")
}

// MarshalText implements encoding.TextMarshaler.
func (f Flag) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (f *Flag) UnmarshalText(b []byte) error {
	*f = 0
	if len(b) == 0 {
		return nil
	}
	for p := range strings.SplitSeq(string(b), "|") {
		v, err := parseName(flagNames, p, "flag")
		if err != nil {
			return err
		}
		*f |= 1 << v
	}
	return nil
}

// Leg is one cleaned call-list entry: one call as one account's record, after
// attribution (DOMAIN.md §3.1). A physical call yields one or more legs:
// the answering user of a group call, the original and the forward target of
// a timeout forward, the caller's outgoing leg of an internal call, and so on.
//
// Durations follow DOMAIN.md §2.4 and are never negative. For an answered
// leg, Announcement + Ring + Talk == Call.
type Leg struct {
	CallID string `json:"callId"`
	Site   string `json:"site,omitempty"`
	// Seq orders the legs of one call (0, 1, …); with CallID it is the leg's
	// natural key.
	Seq int `json:"seq"`

	// AccountID is the account the leg is attributed to: the answering user
	// of a group call, else the group; the forward target; the caller of an
	// outgoing leg.
	AccountID   cdr.AccountID   `json:"accountId"`
	AccountType cdr.AccountType `json:"accountType"`
	// GroupID is the group or iQueue the call came through (0 if none).
	GroupID cdr.AccountID `json:"groupId,omitempty"`
	// OwnerAccountID is the call list the leg was read from.
	OwnerAccountID cdr.AccountID `json:"ownerAccountId"`

	Incoming bool   `json:"incoming"`
	Range    Range  `json:"range"`
	Answered bool   `json:"answered"`
	Result   Result `json:"result"`
	// CausedByAccountID is the account that caused the result (answered,
	// rejected, hung up); 0 for the external party or a module.
	CausedByAccountID cdr.AccountID `json:"causedByAccountId,omitempty"`

	Arrival   time.Time `json:"arrival"`
	RingStart time.Time `json:"ringStart,omitzero"` // zero if it never rang
	Answer    time.Time `json:"answer,omitzero"`    // zero if not answered
	End       time.Time `json:"end"`

	Announcement time.Duration `json:"announcement"`
	Ring         time.Duration `json:"ring"`
	Wait         time.Duration `json:"wait"`
	Talk         time.Duration `json:"talk"`
	Call         time.Duration `json:"call"`
	// AgentRing is how long the answering user's own phone rang (reaction
	// time). For a group call it is shorter than Ring, which includes the
	// time in the queue.
	AgentRing time.Duration `json:"agentRing"`

	CalledAccountID cdr.AccountID   `json:"calledAccountId"`
	CalledCallerID  cdr.CallerID    `json:"calledCallerId,omitzero"` // personal
	CalledNumber    cdr.PhoneNumber `json:"calledNumber,omitzero"`   // personal
	CallerAccountID cdr.AccountID   `json:"callerAccountId"`
	CallerCallerID  cdr.CallerID    `json:"callerCallerId,omitzero"` // personal
	CallerNumber    cdr.PhoneNumber `json:"callerNumber,omitzero"`   // personal

	Fax       bool   `json:"fax,omitempty"`
	Recorded  bool   `json:"recorded,omitempty"`
	Voicemail bool   `json:"voicemail,omitempty"`
	Private   bool   `json:"private,omitempty"`
	LineName  string `json:"lineName,omitempty"`

	// Comment, CommentAuthor and CalledBack are part of the call list users
	// see, but STARFACE's storage of them is not public: the readers leave
	// them empty and integrators may fill them.
	Comment       string `json:"comment,omitempty"`
	CommentAuthor string `json:"commentAuthor,omitempty"`
	CalledBack    bool   `json:"calledBack,omitempty"`

	// EntryIDs are the ids of the raw rows the leg was built from.
	EntryIDs []int64 `json:"entryIds,omitempty"`
	Flags    Flag    `json:"flags,omitempty"`
}

// Event is something that happened during a journey.
type Event struct {
	Kind EventKind `json:"kind"`
	At   time.Time `json:"at"`
	// From and To are the accounts involved: the forwarding and the target
	// account, the called and the picking-up user, the transferring and the
	// receiving user. 0 is an external party or none.
	From cdr.AccountID `json:"from,omitempty"`
	To   cdr.AccountID `json:"to,omitempty"`
}

// Journey is one physical call from the caller's side.
type Journey struct {
	CallID    string    `json:"callId"`
	Site      string    `json:"site,omitempty"`
	Direction Direction `json:"direction"`

	CallerAccountID cdr.AccountID   `json:"callerAccountId,omitempty"`
	CallerCallerID  cdr.CallerID    `json:"callerCallerId,omitzero"` // personal
	CallerNumber    cdr.PhoneNumber `json:"callerNumber,omitzero"`   // personal
	// DialledAccountID is the first account the call reached (0 for an
	// outgoing call to an external party).
	DialledAccountID cdr.AccountID   `json:"dialledAccountId,omitempty"`
	CalledNumber     cdr.PhoneNumber `json:"calledNumber,omitzero"` // personal; outgoing calls

	Arrival time.Time `json:"arrival"`
	End     time.Time `json:"end"`
	// Path lists the accounts the call passed, in order: every step's
	// target, each followed by the user who answered it when that is not
	// the target (a group's member, a colleague who picked up). External
	// numbers are not accounts and are left out.
	Path []cdr.AccountID `json:"path"`

	Answered   bool          `json:"answered"`
	AnsweredBy cdr.AccountID `json:"answeredBy,omitempty"` // the first user who talked to the caller
	// AnsweredVia is the group or iQueue through which AnsweredBy got the call.
	AnsweredVia cdr.AccountID `json:"answeredVia,omitempty"`
	Answer      time.Time     `json:"answer,omitzero"`

	// Announcement is the time before anything first rang; Wait is the time
	// until a user answered, a voicemail box answered, or the call left the
	// PBX; otherwise until the end (J3).
	Announcement time.Duration `json:"announcement"`
	Wait         time.Duration `json:"wait"`
	Talk         time.Duration `json:"talk"` // summed over every answered step (transfers)
	Duration     time.Duration `json:"duration"`

	Outcome Outcome `json:"outcome"`
	Events  []Event `json:"events,omitempty"`
	// Queues lists the call's visits to groups and iQueues, in order: what
	// group KPIs count.
	Queues  []QueueVisit `json:"queues,omitempty"`
	Private bool         `json:"private,omitempty"`
	// Rows is how many distinct raw rows the call had; none is dropped, so
	// summed over journeys it equals the distinct rows read.
	Rows  int  `json:"rows"`
	Flags Flag `json:"flags,omitempty"`
}

// Has reports whether the journey has an event of kind k.
func (j *Journey) Has(k EventKind) bool {
	for _, e := range j.Events {
		if e.Kind == k {
			return true
		}
	}
	return false
}
