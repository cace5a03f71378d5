package cdr

import (
	"time"
)

// CallResult is the callresult column: the result of one row's step.
// Unknown values are kept verbatim so that nothing is lost.
type CallResult string

// The call results STARFACE writes. AnsweredElsewhere has been seen in one
// public project; it is treated like NotConnected with answeredelswhere set.
const (
	Connected         CallResult = "CONNECTED"
	NotConnected      CallResult = "NOT_CONNECTED"
	AnsweredElsewhere CallResult = "ANSWERED_ELSEWHERE"
)

// Entry is one raw STARFACE call-list row: one account's view of one step of
// one physical call. Every column of the CSV export and the cdrdata table is
// a typed field; empty times are the zero time.Time.
//
// The json tags define the JSON form of entries (see WriteJSON / ReadJSON);
// it round-trips every field.
type Entry struct {
	ID          int64  `json:"id"`
	CallID      string `json:"callid"`
	CallStepID  string `json:"callstepid,omitempty"`
	CallLegUUID string `json:"callleguuid,omitempty"`
	ChannelName string `json:"channelname,omitempty"`

	// CDRAccountID is the account whose call list this row belongs to.
	CDRAccountID    AccountID `json:"cdraccountid"`
	CallerAccountID AccountID `json:"calleraccountid"`
	CalledAccountID AccountID `json:"calledaccountid"`
	// CallerCallerID and CalledCallerID are the caller-id strings, split
	// into name and number. They hold personal data.
	CallerCallerID CallerID `json:"callercallerid,omitzero"`
	CalledCallerID CallerID `json:"calledcallerid,omitzero"`
	ServiceID      int64    `json:"serviceid,omitempty"`

	StartTime      time.Time `json:"starttime,omitzero"`      // the call arrives
	RingingTime    time.Time `json:"ringingtime,omitzero"`    // ringing starts
	LinkTime       time.Time `json:"linktime,omitzero"`       // answered / connected; zero when not answered
	CallResultTime time.Time `json:"callresulttime,omitzero"` // the call (step) ends

	CallResult CallResult `json:"callresult,omitempty"`
	// CallResultCausedBy is the account or instance that caused the result
	// (hung up, rejected, answered). Usually an account id; kept as text
	// because module instances are named otherwise.
	CallResultCausedBy string `json:"callresultcausedby,omitempty"`

	LineID               string `json:"lineid,omitempty"`
	LineName             string `json:"linename,omitempty"`
	CallbackNumber       string `json:"callbacknumber,omitempty"`
	CallbackNumberExtern bool   `json:"callbacknumberextern,omitempty"`

	// AnsweredElsewhere is the user who answered a group call
	// (CSV column answeredelswhere, DB column answeredelsewhere).
	AnsweredElsewhere AccountID `json:"answeredelsewhere,omitempty"`

	Incoming     bool `json:"incoming,omitempty"` // unreliable: callflow derives direction from account ids
	Answered     bool `json:"answered,omitempty"`
	HasVoicemail bool `json:"hasvoicemail,omitempty"`
	HasMonitor   bool `json:"hasmonitor,omitempty"`
	HasFax       bool `json:"hasfax,omitempty"`
	Deleted      bool `json:"deleted,omitempty"`
	PrivateCall  bool `json:"privatecall,omitempty"`
	SummaryStep  bool `json:"summarystep,omitempty"`

	// Duration is the duration column as written; its unit is undocumented,
	// so callflow computes durations from the timestamps instead.
	Duration int64  `json:"duration,omitempty"`
	Login    string `json:"login,omitempty"`
	// StartTimeFormatted is the starttimeformatted column of older exports.
	StartTimeFormatted string `json:"starttimeformatted,omitempty"`

	// Site names the PBX the row came from. It is not a STARFACE column:
	// readers set it (WithSite) so that several PBXs can feed one pipeline.
	Site string `json:"site,omitempty"`
}

// CausedByAccount returns CallResultCausedBy as an account id, and false
// when it is empty or not a number.
func (e *Entry) CausedByAccount() (AccountID, bool) {
	s := e.CallResultCausedBy
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return AccountID(n), true
}
