package live

import (
	"context"
	"sync"

	"github.com/starinsight/starinsight/cdr"
)

// LoginHistory turns successive polls of login states into the login-state
// history of DOMAIN.md §3.3: an entry for a user only when their DND or
// always-forward changes, and for a group member only when their logged-in
// state changes, plus one entry for the first observation of each. So the
// high-volume history stores changes, not every 15-second poll.
//
// What the history can and cannot tell: nothing is lost only while capture
// runs. An entry's At is when the poll saw the new state, not when it
// changed (the change happened since the previous poll); a change undone
// between two polls is not seen at all; and while nothing polls (the
// service stopped, the PBX unreachable) changes are unknown: the first
// poll afterwards records only the state it finds. A restarted process
// starts with an empty memory and so records every state once more, unless
// it is given the last stored entries with Seed.
//
// Users are told apart by site and account id; members by site, group and
// user. A user or member missing from a poll keeps its last state (a
// source that sees only some users is not a logout), so when it reappears
// unchanged nothing is recorded.
//
// The zero value is ready to use. A LoginHistory is safe for concurrent
// use.
type LoginHistory struct {
	mu      sync.Mutex
	users   map[userKey]userFlags
	members map[memberKey]bool

	// record serialises Record's diff–store–commit, which must not run
	// twice at once or a commit could overwrite a newer one.
	record sync.Mutex
}

type userKey struct {
	site string
	id   cdr.AccountID
}

type userFlags struct{ dnd, alwaysForward bool }

type memberKey struct {
	site        string
	group, user cdr.AccountID
}

// Seed records states as already stored, without reporting them: give it
// the latest history entry of each user and member when the process
// starts, so that unchanged states are not recorded again.
func (h *LoginHistory) Seed(users []UserLoginState, members []MemberLoginState) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.commit(users, members)
}

// Changes compares a poll with the states seen before and returns the
// entries to append to the history: the users and members whose state
// changed or that are seen for the first time, in the order of the poll.
// They are remembered at once; use Record when storing them may fail.
func (h *LoginHistory) Changes(users []UserLoginState, members []MemberLoginState) ([]UserLoginState, []MemberLoginState) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cu, cm := h.diff(users, members)
	h.commit(cu, cm)
	return cu, cm
}

// Record is Changes with storage: it hands the changes to store (skipped
// when there are none) and remembers them only once store succeeded, so a
// failed store is retried with the next poll's changes instead of being
// lost. Its signature fits [OnLoginStates] once store is bound:
//
//	live.OnLoginStates(func(ctx context.Context, u []live.UserLoginState, m []live.MemberLoginState) error {
//		return history.Record(ctx, u, m, func(ctx context.Context, u []live.UserLoginState, m []live.MemberLoginState) error {
//			_, err := sink.Write(ctx, sqlsink.Batch{UserLoginStates: u, MemberLoginStates: m}) // a *sqlsink.Sink
//			return err
//		})
//	})
func (h *LoginHistory) Record(ctx context.Context, users []UserLoginState, members []MemberLoginState, store LoginStatesFunc) error {
	h.record.Lock()
	defer h.record.Unlock()
	h.mu.Lock()
	cu, cm := h.diff(users, members)
	h.mu.Unlock()
	if len(cu) == 0 && len(cm) == 0 {
		return nil
	}
	if err := store(ctx, cu, cm); err != nil {
		return err
	}
	h.mu.Lock()
	h.commit(cu, cm)
	h.mu.Unlock()
	return nil
}

// diff returns the entries that differ from the remembered state. An
// entry listed twice in one poll is compared with the earlier one.
func (h *LoginHistory) diff(users []UserLoginState, members []MemberLoginState) ([]UserLoginState, []MemberLoginState) {
	var cu []UserLoginState
	var seenU map[userKey]userFlags
	for _, u := range users {
		k := userKey{u.Site, u.AccountID}
		f := userFlags{u.DND, u.AlwaysForward}
		old, ok := seenU[k]
		if !ok {
			old, ok = h.users[k]
		}
		if ok && old == f {
			continue
		}
		if seenU == nil {
			seenU = make(map[userKey]userFlags)
		}
		seenU[k] = f
		cu = append(cu, u)
	}
	var cm []MemberLoginState
	var seenM map[memberKey]bool
	for _, m := range members {
		k := memberKey{m.Site, m.GroupID, m.UserID}
		old, ok := seenM[k]
		if !ok {
			old, ok = h.members[k]
		}
		if ok && old == m.LoggedIn {
			continue
		}
		if seenM == nil {
			seenM = make(map[memberKey]bool)
		}
		seenM[k] = m.LoggedIn
		cm = append(cm, m)
	}
	return cu, cm
}

// commit remembers the entries as the latest states; h.mu is held.
func (h *LoginHistory) commit(users []UserLoginState, members []MemberLoginState) {
	if h.users == nil {
		h.users = make(map[userKey]userFlags)
		h.members = make(map[memberKey]bool)
	}
	for _, u := range users {
		h.users[userKey{u.Site, u.AccountID}] = userFlags{u.DND, u.AlwaysForward}
	}
	for _, m := range members {
		h.members[memberKey{m.Site, m.GroupID, m.UserID}] = m.LoggedIn
	}
}
