package live

import (
	"context"

	"github.com/starinsight/starinsight/cdr"
)

// Source is what a live poller reads from a PBX on each run. Each method
// returns the state at the moment of the call; keeping the login-state
// history (appending an entry when a state changes) is the caller's job.
// [*Starface] is the implementation for STARFACE; tests can use any
// other.
//
// Where each field comes from on a STARFACE PBX (DOMAIN.md §7):
//
//	UserState
//	  AccountID, Name        REST /users (id, firstName familyName)
//	  GroupIDs               REST /groups + /groups/{id} (assignableUsers with assigned = membership)
//	  AlwaysForward          REST /redirects (trigger ALWAYS, enabled, not a group number),
//	                         or UCI getUserState redirectAlwaysActive
//	  Telephony, ChatPresence, ChatPresenceMessage
//	                         UCI ucp.v30.requests.userState.getUserState
//	  DND                    UCI getUserState, only if the PBX sends doNotDisturb (not confirmed)
//	  LoggedIn               UCI group settings: logged in to at least one group
//	  CallID, CallState, CallerName, CallerNumber
//	                         UCI ucp.v30.requests.call.getCallIds / getCallState
//	  CallStart, Talk        derived: the earliest / the CONNECTED state's timestamp seen
//	QueueState
//	  AccountID, Name        REST /groups
//	  Type                   always cdr.AccountGroup: REST does not tell iQueues from groups
//	  WaitingCalls, ConnectedCalls
//	                         derived from UCI call states that carry a groupID; a lower bound
//	  IQueueSize, MaxWait    not available (no iQueue settings in REST or UCI requests): zero
//	UserLoginState           as UserState's DND and AlwaysForward
//	MemberLoginState         UCI group settings of the logged-in UCI user
//	cdr.Account              REST /accounts (USER, GROUP; federation accounts skipped),
//	                         login from /users, group names from /groups
//
// What STARFACE does not provide: the UCI is per user, so live state
// (telephony state, calls, group login) is only visible for the users
// whose UCI sessions the source holds — a user's group login state only
// to that user. REST has no ring strategy and no iQueue settings, and no
// request reports the iQueue's waiting callers directly (only the
// queueCallEvent pushed to a callback, which this source does not
// receive).
type Source interface {
	// Users returns the live state of every user.
	Users(ctx context.Context) ([]UserState, error)
	// Queues returns the live load of every group and iQueue.
	Queues(ctx context.Context) ([]QueueState, error)
	// LoginStates returns the current login state of every user and of
	// every group membership the source can see.
	LoginStates(ctx context.Context) ([]UserLoginState, []MemberLoginState, error)
	// Accounts returns the PBX's users, groups and iQueues.
	Accounts(ctx context.Context) ([]cdr.Account, error)
}

var _ Source = (*Starface)(nil)
