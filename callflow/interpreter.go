package callflow

import (
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// Rules holds the interpretation's changeable assumptions (the rules marked
// Assumption in docs/interpretation.md). The zero value means the defaults.
type Rules struct {
	// ModuleMinAnnouncement is the shortest time between a step's arrival
	// and its first ring on a user or plain group that counts as a module
	// (IVR, announcement) holding the call (A7). Default 2 s.
	ModuleMinAnnouncement time.Duration
	// ForwardReason, when set, replaces the forward-reason heuristic (A6).
	// It gets the unanswered step's main row (the box's, else the target's
	// own, else the step's first) and returns EventForwardedOnBusy,
	// EventForwardedAlways or EventForwardedOnTimeout; any other answer
	// falls back to the heuristic.
	ForwardReason func(target cdr.Entry) EventKind
}

// Option configures an Interpreter.
type Option func(*Interpreter)

// WithNumberPlan sets how caller and called numbers are normalised.
// Default: cdr.GermanPlan("").
func WithNumberPlan(p cdr.NumberPlan) Option { return func(in *Interpreter) { in.plan = p } }

// WithRules replaces the default assumptions.
func WithRules(r Rules) Option { return func(in *Interpreter) { in.rules = r } }

// Interpreter turns raw rows into legs and journeys. It holds only
// configuration: its methods are pure functions of their arguments, safe for
// concurrent use.
type Interpreter struct {
	dir   *cdr.Directory
	plan  cdr.NumberPlan
	rules Rules
}

// New returns an Interpreter that looks accounts up in dir (nil means no
// known accounts: every id becomes a placeholder).
func New(dir *cdr.Directory, opts ...Option) (*Interpreter, error) {
	in := &Interpreter{dir: dir, plan: cdr.GermanPlan("")}
	for _, o := range opts {
		o(in)
	}
	if err := in.plan.Validate(); err != nil {
		return nil, err
	}
	if in.rules.ModuleMinAnnouncement == 0 {
		in.rules.ModuleMinAnnouncement = 2 * time.Second
	}
	if in.rules.ModuleMinAnnouncement < 0 {
		in.rules.ModuleMinAnnouncement = 0
	}
	return in, nil
}

// Call is the interpretation of one physical call: the caller's journey and
// the legs attributed to accounts.
type Call struct {
	Journey Journey `json:"journey"`
	Legs    []Leg   `json:"legs"`
}

// Interpret interprets the rows of one physical call (rows sharing a
// callid, in any order). It never fails and never drops a row: what it had
// to repair or guess is flagged.
func (in *Interpreter) Interpret(rows []cdr.Entry) Call {
	return in.interpret(rows, nil)
}

// InterpretAll groups entries by callid and interprets every call. The
// result does not depend on the order of entries: calls are ordered by
// arrival, then call id.
func (in *Interpreter) InterpretAll(entries []cdr.Entry) []Call {
	groups := GroupByCall(entries)
	out := make([]Call, 0, len(groups))
	var sc scratch
	for _, g := range groups {
		out = append(out, in.interpret(g, &sc))
	}
	sortCalls(out)
	return out
}

// Directory returns the directory the Interpreter looks accounts up in.
func (in *Interpreter) Directory() *cdr.Directory { return in.dir }
