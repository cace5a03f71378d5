package callflow

import "github.com/starinsight/starinsight/cdr"

// This file holds the assumptions about rows STARFACE does not document
// (docs/interpretation.md, rules marked Assumption). Each is one small
// function so that it is easy to find, to test and to change.

// answeredByUser reports whether a receiving row was answered by a user (A4).
func answeredByUser(e *cdr.Entry, link bool) bool {
	return link && e.Answered && !e.HasVoicemail
}

// takenByBox reports whether a voicemail box or another module took the
// call on this row (A5): it was linked, but not by a user.
func takenByBox(e *cdr.Entry, link bool) bool {
	return link && (e.HasVoicemail || !e.Answered)
}

// defaultForwardReason is the heuristic of A6: busy and always forwards
// never ring the original target; busy is signalled by the target itself.
func defaultForwardReason(target *cdr.Entry, rang bool) EventKind {
	if rang {
		return EventForwardedOnTimeout
	}
	if by, ok := target.CausedByAccount(); ok && by != 0 && by == target.CalledAccountID {
		return EventForwardedOnBusy
	}
	return EventForwardedAlways
}

// causedByCaller reports whether the caller ended the step (A11): the
// cause is empty, 0 or the caller's own account.
func causedByCaller(e *cdr.Entry) bool {
	if e.CallResultCausedBy == "" {
		return true
	}
	by, ok := e.CausedByAccount()
	return ok && (by == 0 || by == e.CallerAccountID)
}

// inferredGroup decides whether an account missing from the directory was a
// group (L10): at least two other accounts wrote rows for its step, which
// only a group's members do.
func inferredGroup(otherOwners int) bool { return otherOwners >= 2 }
