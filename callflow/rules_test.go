package callflow_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// These cases pin rules at their edges, each found by review: small
// hand-written calls whose right answer follows from docs/interpretation.md.

func rulesInterpreter(t testing.TB) *callflow.Interpreter {
	t.Helper()
	dir, err := cdr.NewDirectory(
		cdr.Account{ID: 11, Type: cdr.AccountUser, Name: "Anna Agent"},
		cdr.Account{ID: 12, Type: cdr.AccountUser, Name: "Ben Berger"},
		cdr.Account{ID: 13, Type: cdr.AccountUser, Name: "Clara Christ"},
		cdr.Account{ID: 200, Type: cdr.AccountGroup, Name: "Support"},
		cdr.Account{ID: 300, Type: cdr.AccountIQueue, Name: "Hotline"},
	)
	require.NoError(t, err)
	in, err := callflow.New(dir)
	require.NoError(t, err)
	return in
}

// row builds a receiving row of call "c": owner, called, step and times in
// seconds (-1 = empty).
func row(id int64, step string, owner, called cdr.AccountID, start, ring, link, end int) cdr.Entry {
	e := cdr.Entry{ID: id, CallID: "c", CallStepID: step, CDRAccountID: owner, CalledAccountID: called,
		CallerCallerID: cdr.CallerID{Number: "+4971199999"}, StartTime: at(start), CallResultTime: at(end), CallResult: cdr.NotConnected}
	if ring >= 0 {
		e.RingingTime = at(ring)
	}
	if link >= 0 {
		e.LinkTime = at(link)
		e.Answered = true
		e.CallResult = cdr.Connected
	}
	return e
}

func causedBy(e cdr.Entry, by string) cdr.Entry { e.CallResultCausedBy = by; return e }

func legAccounts(c callflow.Call) []cdr.AccountID {
	var out []cdr.AccountID
	for _, l := range c.Legs {
		out = append(out, l.AccountID)
	}
	return out
}

func eventKinds(j callflow.Journey) []callflow.EventKind {
	var out []callflow.EventKind
	for _, e := range j.Events {
		out = append(out, e.Kind)
	}
	return out
}

func TestRuleEdges(t *testing.T) {
	in := rulesInterpreter(t)
	tests := []struct {
		name     string
		rows     []cdr.Entry
		outcome  callflow.Outcome
		answered cdr.AccountID
		legs     []cdr.AccountID
		events   []callflow.EventKind
		check    func(t *testing.T, c callflow.Call)
	}{
		{
			name: "A2 revisit without callstepid: 11, forward to 12, back to 11 who answers",
			rows: []cdr.Entry{
				row(1, "", 11, 11, 0, 0, -1, 20),
				row(2, "", 12, 12, 20, 20, -1, 40),
				row(3, "", 11, 11, 40, 40, 45, 100),
			},
			outcome: callflow.OutcomeAnswered, answered: 11,
			legs:   []cdr.AccountID{11, 12, 11},
			events: []callflow.EventKind{callflow.EventForwardedOnTimeout},
			check: func(t *testing.T, c callflow.Call) {
				if c.Journey.Wait != 45e9 || c.Journey.Talk != 55e9 {
					t.Errorf("wait %v talk %v, want 45s and 55s", c.Journey.Wait, c.Journey.Talk)
				}
			},
		},
		{
			name: "A10 handed to a busy user after answer is a transfer, not parking",
			rows: []cdr.Entry{
				row(1, "1", 11, 11, 0, 0, 5, 60),
				causedBy(row(2, "2", 12, 12, 60, -1, -1, 60), "12"),
			},
			outcome: callflow.OutcomeAnswered, answered: 11,
			events: []callflow.EventKind{callflow.EventTransferred},
		},
		{
			name: "J4 an iQueue that gives up itself has timed out, not lost the caller",
			rows: []cdr.Entry{
				causedBy(row(1, "1", 300, 300, 0, 10, -1, 120), "300"),
			},
			outcome: callflow.OutcomeTimedOut, legs: []cdr.AccountID{300},
		},
		{
			name: "J4 the last step decides: a group module, then a forward the caller hangs up on",
			rows: []cdr.Entry{
				func() cdr.Entry { e := row(1, "1", 200, 200, 0, -1, 2, 30); e.Answered = false; return e }(),
				causedBy(row(2, "2", 12, 12, 31, 31, -1, 50), "0"),
			},
			outcome: callflow.OutcomeLostWhileRinging,
		},
		{
			name: "A7 voicemail that answers at once is no module",
			rows: []cdr.Entry{
				func() cdr.Entry { e := row(1, "1", 11, 11, 0, -1, 0, 40); e.HasVoicemail = true; return e }(),
			},
			outcome: callflow.OutcomeVoicemail,
			events:  []callflow.EventKind{callflow.EventVoicemail},
		},
		{
			name: "A13 always forward to an external number yields no leg",
			rows: []cdr.Entry{
				causedBy(row(1, "1", 11, 11, 0, -1, -1, 0), "0"),
				row(2, "2", 11, 0, 0, 1, 10, 100),
			},
			outcome: callflow.OutcomeForwardedAway,
			legs:    []cdr.AccountID{},
			events:  []callflow.EventKind{callflow.EventForwardedAlways, callflow.EventForwardedExternal},
			check: func(t *testing.T, c callflow.Call) {
				if c.Journey.Wait != 0 {
					t.Errorf("wait %v: it must stop when the call left the PBX", c.Journey.Wait)
				}
			},
		},
		{
			name: "A8 a pickup written as a step of its own",
			rows: []cdr.Entry{
				func() cdr.Entry { e := row(1, "1", 11, 11, 0, 1, -1, 9); e.AnsweredElsewhere = 12; return e }(),
				row(2, "2", 12, 11, 9, 9, 9, 120),
			},
			outcome: callflow.OutcomeAnswered, answered: 12,
			legs:   []cdr.AccountID{12},
			events: []callflow.EventKind{callflow.EventPickedUp},
			check: func(t *testing.T, c callflow.Call) {
				if c.Legs[0].Ring != 8e9 {
					t.Errorf("ring %v, want 8s from the first ring to the pickup", c.Legs[0].Ring)
				}
			},
		},
		{
			name: "A1 only the caller's row of an internal call so far is internal",
			rows: []cdr.Entry{
				{ID: 1, CallID: "c", CDRAccountID: 11, CallerAccountID: 11, CalledAccountID: 12, StartTime: at(0), RingingTime: at(0), CallResultTime: at(10)},
			},
			outcome: callflow.OutcomeNotAnswered, legs: []cdr.AccountID{11},
			check: func(t *testing.T, c callflow.Call) {
				if c.Journey.Direction != callflow.Internal {
					t.Errorf("direction %v, want internal", c.Journey.Direction)
				}
			},
		},
		{
			name: "A9 a consultation row of the transferring user does not make the caller internal",
			rows: []cdr.Entry{
				row(1, "1", 11, 11, 0, 0, 5, 60),
				{ID: 2, CallID: "c", CallStepID: "2", CDRAccountID: 11, CallerAccountID: 11, CalledAccountID: 12, StartTime: at(50), RingingTime: at(50), LinkTime: at(55), CallResultTime: at(60), Answered: true},
				func() cdr.Entry { e := row(3, "2", 12, 12, 60, 60, 62, 200); e.CallerAccountID = 11; return e }(),
			},
			outcome: callflow.OutcomeAnswered, answered: 11,
			events: []callflow.EventKind{callflow.EventTransferredAttended},
			check: func(t *testing.T, c callflow.Call) {
				if c.Journey.Direction != callflow.Inbound || c.Journey.CallerAccountID != 0 {
					t.Errorf("direction %v caller %d, want inbound from outside", c.Journey.Direction, c.Journey.CallerAccountID)
				}
				// The consultation is 11's outgoing leg, answered by 12 at 55 s.
				for _, l := range c.Legs {
					if !l.Incoming && (!l.Answered || !l.Answer.Equal(at(55)) || l.Talk != 5e9) {
						t.Errorf("consultation leg answered %v at %v talk %v, want answered at +55s, talk 5s", l.Answered, l.Answer, l.Talk)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := in.Interpret(tt.rows)
			j := c.Journey
			if j.Outcome != tt.outcome || j.AnsweredBy != tt.answered {
				t.Errorf("outcome %v answered by %d, want %v by %d", j.Outcome, j.AnsweredBy, tt.outcome, tt.answered)
			}
			if tt.legs != nil {
				if got := legAccounts(c); !slices.Equal(got, tt.legs) {
					t.Errorf("legs for %v, want %v", got, tt.legs)
				}
			}
			if tt.events != nil {
				if got := eventKinds(j); !slices.Equal(got, tt.events) {
					t.Errorf("events %v, want %v", got, tt.events)
				}
			}
			if tt.check != nil {
				tt.check(t, c)
			}
			// Whatever the order of the rows, the same result.
			rev := slices.Clone(tt.rows)
			slices.Reverse(rev)
			if got := in.Interpret(rev); !slices.Equal(legAccounts(got), legAccounts(c)) || got.Journey.Outcome != j.Outcome {
				t.Errorf("reversed rows give %v %v", got.Journey.Outcome, legAccounts(got))
			}
		})
	}
}

func TestConflictingDuplicatesDoNotDependOnOrder(t *testing.T) {
	in := rulesInterpreter(t)
	a := row(1, "1", 11, 11, 0, 1, 5, 60)
	b := a
	b.Answered = false // the same id, different content
	x, y := in.Interpret([]cdr.Entry{a, b}), in.Interpret([]cdr.Entry{b, a})
	if x.Journey.Outcome != y.Journey.Outcome || !x.Journey.Flags.Has(callflow.FlagDuplicateEntry) {
		t.Errorf("outcomes %v and %v (flags %v): conflicting duplicates must resolve the same way in any order, flagged",
			x.Journey.Outcome, y.Journey.Outcome, x.Journey.Flags)
	}
}

func TestInterpretEmpty(t *testing.T) {
	c := rulesInterpreter(t).Interpret(nil)
	if len(c.Legs) != 0 || !c.Journey.Flags.Has(callflow.FlagIncomplete) {
		t.Errorf("Interpret(nil) = %+v, want no legs and the incomplete flag", c)
	}
}
