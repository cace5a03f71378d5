package live

import (
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// TelephonyState is a user's telephony state as STARFACE's UCI reports it
// (userState.telephonyState). Values this package does not list are kept as
// written, so a newer PBX never breaks a reader.
type TelephonyState string

// The telephony states STARFACE documents.
const (
	TelephonyAvailable   TelephonyState = "AVAILABLE"
	TelephonyRinging     TelephonyState = "RINGING"
	TelephonyActive      TelephonyState = "ACTIVE" // in a call
	TelephonyQueuePause  TelephonyState = "QUEUE_PAUSE"
	TelephonyUnavailable TelephonyState = "UNAVAILABLE"
)

// CallState is the state of a user's current call as the UCI reports it.
// Unknown values are kept as written.
type CallState string

// The call states STARFACE documents.
const (
	CallIncoming  CallState = "INCOMING"
	CallRinging   CallState = "RINGING"
	CallConnected CallState = "CONNECTED"
	CallParked    CallState = "PARKED"
	CallHangup    CallState = "HANGUP"
)

// UserState is one user's live state at one moment (DOMAIN.md §3.3). Fields
// marked personal are what package pseudo conceals.
type UserState struct {
	At        time.Time     `json:"at"`
	Site      string        `json:"site,omitempty"`
	AccountID cdr.AccountID `json:"accountId"`
	Name      string        `json:"name,omitempty"` // personal

	Telephony TelephonyState `json:"telephonyState,omitempty"`
	LoggedIn  bool           `json:"loggedIn"`
	// DND is STARFACE's "Ruhe" (do not disturb).
	DND           bool `json:"dnd"`
	AlwaysForward bool `json:"alwaysForward"`
	// ChatPresence is the chat presence; its message is free text
	// (personal).
	ChatPresence        string          `json:"chatPresence,omitempty"`
	ChatPresenceMessage string          `json:"chatPresenceMessage,omitempty"`
	GroupIDs            []cdr.AccountID `json:"groupIds,omitempty"`

	// The current call, if any: its id, state and the other party's name
	// and number (all personal), when it started, and how long it has been
	// connected so far.
	CallID       string          `json:"callId,omitempty"`
	CallState    CallState       `json:"callState,omitempty"`
	CallerName   string          `json:"callerName,omitempty"`
	CallerNumber cdr.PhoneNumber `json:"callerNumber,omitzero"`
	CallStart    time.Time       `json:"callStart,omitzero"`
	Talk         time.Duration   `json:"talk,omitempty"`
}

// QueueState is one group's or iQueue's live load at one moment.
type QueueState struct {
	At        time.Time       `json:"at"`
	Site      string          `json:"site,omitempty"`
	AccountID cdr.AccountID   `json:"accountId"`
	Type      cdr.AccountType `json:"type"`
	Name      string          `json:"name,omitempty"` // personal: an account name
	// WaitingCalls are callers waiting now; ConnectedCalls those talking
	// to a member. IQueueSize and MaxWait are the iQueue's settings.
	WaitingCalls   int           `json:"waitingCalls"`
	ConnectedCalls int           `json:"connectedCalls"`
	IQueueSize     int           `json:"iqueueSize,omitempty"`
	MaxWait        time.Duration `json:"maxWait,omitempty"`
}

// UserLoginState is one entry of a user's login-state history: DND and the
// always-forward at a moment.
type UserLoginState struct {
	At            time.Time     `json:"at"`
	Site          string        `json:"site,omitempty"`
	AccountID     cdr.AccountID `json:"accountId"`
	DND           bool          `json:"dnd"`
	AlwaysForward bool          `json:"alwaysForward"`
}

// MemberLoginState is one entry of a group member's login-state history:
// whether the user was logged in to the group at a moment.
type MemberLoginState struct {
	At       time.Time     `json:"at"`
	Site     string        `json:"site,omitempty"`
	GroupID  cdr.AccountID `json:"groupId"`
	UserID   cdr.AccountID `json:"userId"`
	LoggedIn bool          `json:"loggedIn"`
}
