package callflow

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// row is a raw entry with repaired times (rules X1–X4).
type row struct {
	e                      *cdr.Entry
	start, ring, link, end time.Time
	flags                  Flag
}

func newRow(e *cdr.Entry) row {
	r := row{e: e, start: e.StartTime, ring: e.RingingTime, link: e.LinkTime, end: e.CallResultTime}
	if r.start.IsZero() { // the readers require it, but hand-made entries may lack it
		r.start = earliest(r.ring, r.link, r.end)
		r.flags |= FlagRepairedTimes
	}
	if r.end.IsZero() { // X1
		r.end = latest(r.start, r.ring, r.link)
		r.flags |= FlagMissingEnd
	}
	if !r.ring.IsZero() && r.ring.Before(r.start) { // X2
		r.ring = r.start
		r.flags |= FlagRepairedTimes
	}
	if !r.link.IsZero() {
		if r.link.Before(r.start) { // X3
			r.link = r.start
			r.flags |= FlagRepairedTimes
		}
		if !r.ring.IsZero() && r.link.Before(r.ring) { // X3
			r.ring = r.link
			r.flags |= FlagRepairedTimes
		}
		if r.end.Before(r.link) { // X4
			r.end = r.link
			r.flags |= FlagRepairedTimes
		}
	}
	if r.end.Before(r.start) { // X4
		r.end = latest(r.start, r.ring, r.link)
		r.flags |= FlagRepairedTimes
	}
	if !r.ring.IsZero() && r.end.Before(r.ring) { // X2: rang after the end
		r.ring = r.end
		r.flags |= FlagRepairedTimes
	}
	return r
}

func earliest(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if !t.IsZero() && (m.IsZero() || t.Before(m)) {
			m = t
		}
	}
	return m
}

func latest(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m
}

// step is the receiving rows of one target (A2, A3).
type step struct {
	key    string
	visit  int // the how-manieth visit of a target without callstepid
	rows   []*row
	target cdr.AccountID
	acc    cdr.Account
	group  bool

	targetRow  *row // the row owned by the target; nil if it wrote none
	answerRow  *row // the row of the user who answered; nil if none or only the group row knows
	boxRow     *row // a voicemail box or module took the call (A5)
	answeredBy cdr.AccountID

	arrival, ringStart, answer, end time.Time
	causedBy                        *cdr.Entry // the row whose callresultcausedby explains an unanswered step
	flags                           Flag
}

func (s *step) answered() bool { return s.answeredBy != 0 }

// isVoicemail reports whether the box that took the step is a voicemail
// box rather than another module (A5): it left a message, or it is a user's.
func isVoicemail(s *step) bool {
	return s.boxRow != nil && (s.boxRow.e.HasVoicemail || !s.group)
}
func (s *step) rang() bool { return !s.ringStart.IsZero() }

// source is the row a leg of this step mainly reflects.
func (s *step) source() *row {
	switch {
	case s.answerRow != nil:
		return s.answerRow
	case s.boxRow != nil:
		return s.boxRow
	case s.targetRow != nil:
		return s.targetRow
	}
	return s.rows[0]
}

// transition says how the call went from one step to the next.
type transition struct {
	kind EventKind // a forward reason, a transfer, or EventParked
}

// scratch holds the temporary state of interpreting one call, reused from
// call to call by batch and streaming callers so that the hot path
// allocates little more than its results.
type scratch struct {
	es         []*cdr.Entry
	rows       []row
	callerRows []*row
	steps      []step
	order      []*step
	used       int
	trans      []transition
	legStep    []int
}

func (in *Interpreter) interpret(entries []cdr.Entry, sc *scratch) Call {
	if len(entries) == 0 {
		return Call{Journey: Journey{Path: []cdr.AccountID{}, Flags: FlagIncomplete}}
	}
	if sc == nil {
		sc = &scratch{}
	}
	rows, flags := in.prepare(entries, sc)
	sc.callerRows = sc.callerRows[:0]
	sc.order = sc.order[:0]
	sc.used = 0
	// Rows with a callstepid, and the target's own rows of steps without
	// one, open steps; the other rows without one (members, pickups) join
	// the step they fall into, in a second pass.
	for pass := 0; pass < 2; pass++ {
		for i := range rows {
			r := &rows[i]
			e := r.e
			if e.CDRAccountID != 0 && e.CDRAccountID == e.CallerAccountID && e.CDRAccountID != e.CalledAccountID {
				if pass == 0 {
					sc.callerRows = append(sc.callerRows, r)
				}
				continue
			}
			keyed := e.CallStepID != ""
			own := e.CDRAccountID == e.CalledAccountID
			if (pass == 0) != (keyed || own) {
				continue
			}
			var st *step
			if keyed {
				st = sc.stepFor(e.CallStepID, 0)
			} else {
				st = sc.unkeyedStep(r, own)
			}
			st.rows = append(st.rows, r)
		}
	}
	steps := sc.order
	for _, s := range steps {
		in.resolveStep(s)
	}
	if len(steps) > 1 {
		slices.SortFunc(steps, func(a, b *step) int {
			if c := a.arrival.Compare(b.arrival); c != 0 {
				return c
			}
			if c := compareKeys(a.key, b.key); c != 0 {
				return c
			}
			return cmp.Compare(a.visit, b.visit)
		})
		steps = in.mergePickups(steps)
	}
	return in.build(rows, sc.callerRows, steps, flags, sc)
}

// mergePickups joins a pickup that STARFACE wrote as a step of its own to
// the step of the call it picked up (A8): the called user's row says who
// answered elsewhere, and the next step, still calling that user, is the
// colleague answering.
func (in *Interpreter) mergePickups(steps []*step) []*step {
	for i := 0; i+1 < len(steps); i++ {
		s, next := steps[i], steps[i+1]
		if s.group || s.target == 0 || s.answered() || s.targetRow == nil || s.targetRow.e.AnsweredElsewhere == 0 {
			continue
		}
		if next.target != s.target || next.answeredBy != s.targetRow.e.AnsweredElsewhere {
			continue
		}
		s.rows = append(s.rows, next.rows...)
		in.resolveStep(s)
		steps = append(steps[:i+1], steps[i+2:]...)
	}
	return steps
}

// stepFor returns the step with the given key and visit, creating it.
func (sc *scratch) stepFor(key string, visit int) *step {
	// Calls have few steps: a linear search beats a map.
	for _, t := range sc.order {
		if t.key == key && t.visit == visit {
			return t
		}
	}
	if sc.used == len(sc.steps) {
		sc.steps = append(sc.steps, step{})
		// The slice may have moved: re-point the order.
		sc.order = sc.order[:0]
		for k := 0; k < sc.used; k++ {
			sc.order = append(sc.order, &sc.steps[k])
		}
	}
	s := &sc.steps[sc.used]
	*s = step{key: key, visit: visit, rows: s.rows[:0]}
	sc.used++
	sc.order = append(sc.order, s)
	return s
}

// unkeyedStep places a row of an export without callstepid (A2): a target's
// own row that starts after its earlier row ended is a new visit (the call
// came back, e.g. after a forward loop or a transfer back); any other row
// joins the visit whose time it falls into.
func (sc *scratch) unkeyedStep(r *row, own bool) *step {
	key := "@" + r.e.CalledAccountID.String()
	var last *step
	for _, t := range sc.order {
		if t.key != key {
			continue
		}
		if !own && !r.start.Before(t.rows[0].start) && (last == nil || t.rows[0].start.After(last.rows[0].start)) {
			last = t
		}
		if own && (last == nil || t.visit > last.visit) {
			last = t
		}
	}
	switch {
	case last == nil && own:
		return sc.stepFor(key, 0)
	case last == nil:
		// Before any visit of its target: its own visit, ordered by time.
		return sc.stepFor(key, -1-sc.used)
	case own && !r.start.Before(last.rows[len(last.rows)-1].end):
		return sc.stepFor(key, last.visit+1)
	}
	return last
}

// prepare sorts and deduplicates the rows of one call (L12) and repairs
// their times. Sorting first makes everything after independent of input
// order.
func (in *Interpreter) prepare(entries []cdr.Entry, sc *scratch) ([]row, Flag) {
	es := sc.es[:0]
	for i := range entries {
		es = append(es, &entries[i])
	}
	sc.es = es
	if len(es) > 1 {
		slices.SortFunc(es, compareEntries)
	}
	var flags Flag
	rows := sc.rows[:0]
	for i, e := range es {
		if i > 0 && e.ID != 0 && e.ID == es[i-1].ID {
			if compareEntries(e, es[i-1]) != 0 || inUTC(*e) != inUTC(*es[i-1]) {
				flags |= FlagDuplicateEntry
			}
			continue
		}
		if i > 0 && e.ID == 0 && inUTC(*e) == inUTC(*es[i-1]) {
			continue
		}
		rows = append(rows, newRow(e))
	}
	sc.rows = rows
	return rows, flags
}

// resolveStep finds a step's target, who answered, and its times.
func (in *Interpreter) resolveStep(s *step) {
	*s = step{key: s.key, visit: s.visit, rows: s.rows}
	// The target is the called account most rows name (normally all do).
	s.target = s.rows[0].e.CalledAccountID
	best := 0
	for _, r := range s.rows {
		id, n := r.e.CalledAccountID, 0
		for _, q := range s.rows {
			if q.e.CalledAccountID == id {
				n++
			}
		}
		if n > best || (n == best && id < s.target) {
			s.target, best = id, n
		}
	}
	s.acc = in.dir.Lookup(s.target)
	others := 0
	for _, r := range s.rows {
		s.flags |= r.flags
		if r.e.CDRAccountID == s.target && s.targetRow == nil {
			s.targetRow = r
		} else if r.e.CDRAccountID != s.target {
			others++
		}
	}
	if s.acc.Placeholder {
		s.flags |= FlagPlaceholderAccount
		if inferredGroup(others) {
			s.acc.Type = cdr.AccountGroup
		}
	}
	s.group = s.acc.Type.IsGroup()

	for _, r := range s.rows {
		link := !r.link.IsZero()
		if s.target != 0 && r.e.CDRAccountID != s.target && answeredByUser(r.e, link) {
			if s.answerRow == nil || r.link.Before(s.answerRow.link) {
				s.answerRow = r
			}
		}
	}
	if s.answerRow == nil && !s.group && s.target != 0 {
		for _, r := range s.rows {
			if r.e.CDRAccountID == s.target && answeredByUser(r.e, !r.link.IsZero()) {
				s.answerRow = r
				break
			}
		}
	}
	switch {
	case s.answerRow != nil:
		s.answeredBy = s.answerRow.e.CDRAccountID
		s.answer = s.answerRow.link
	case s.group && s.targetRow != nil && s.targetRow.e.AnsweredElsewhere != 0 && !s.targetRow.link.IsZero():
		// Only the group's row knows who answered (A3).
		s.answeredBy = s.targetRow.e.AnsweredElsewhere
		s.answer = s.targetRow.link
	}
	if !s.answered() {
		for _, r := range s.rows {
			if (r == s.targetRow || r.e.CDRAccountID == s.target) && takenByBox(r.e, !r.link.IsZero()) {
				s.boxRow = r
				break
			}
		}
	}

	s.arrival = s.rows[0].start
	s.end = s.rows[0].end
	var firstRing time.Time
	for _, r := range s.rows {
		if r.start.Before(s.arrival) {
			s.arrival = r.start
		}
		if r.end.After(s.end) {
			s.end = r.end
		}
		if !r.ring.IsZero() && (firstRing.IsZero() || r.ring.Before(firstRing)) {
			firstRing = r.ring
		}
	}
	s.ringStart = firstRing
	if s.targetRow != nil && !s.targetRow.ring.IsZero() {
		s.ringStart = s.targetRow.ring
	}
	switch {
	case s.answerRow != nil:
		s.end = s.answerRow.end
	case s.answered() && s.targetRow != nil:
		s.end = s.targetRow.end
	case s.boxRow != nil:
		s.end = s.boxRow.end
	case s.targetRow != nil:
		s.end = s.targetRow.end
	}
	if s.answered() && s.ringStart.After(s.answer) {
		s.ringStart = s.answer
	}
	if s.ringStart.After(s.end) {
		s.ringStart = s.end
	}
	if s.targetRow != nil {
		s.causedBy = s.targetRow.e
	} else {
		s.causedBy = s.rows[0].e
	}
}

// build derives legs and the journey from the resolved steps.
func (in *Interpreter) build(rows []row, callerRows []*row, steps []*step, flags Flag, sc *scratch) Call {
	j := Journey{Path: []cdr.AccountID{}, Rows: len(rows)}
	first := &rows[0]
	j.CallID = first.e.CallID
	if j.CallID == "" {
		// A row without a callid is a call of its own (GroupByCall); give it
		// a key that cannot collide with STARFACE's ids.
		j.CallID = "entry-" + strconv.FormatInt(first.e.ID, 10)
		flags |= FlagNoCallID
	}
	j.Site = first.e.Site
	j.Arrival, j.End = first.start, first.end
	for i := range rows {
		r := &rows[i]
		flags |= r.flags
		if r.start.Before(j.Arrival) {
			j.Arrival = r.start
		}
		if r.end.After(j.End) {
			j.End = r.end
		}
		if r.e.PrivateCall {
			j.Private = true
		}
	}

	// Who called: the first step says, since a caller-side row may be a
	// transferring user's consultation (A9); without steps, the caller's
	// own row.
	var callerSrc *cdr.Entry
	switch {
	case len(steps) > 0:
		callerSrc = steps[0].rows[0].e
	case len(callerRows) > 0:
		callerSrc = callerRows[0].e
	default:
		callerSrc = first.e
	}
	j.CallerAccountID = callerSrc.CallerAccountID
	j.CallerCallerID = callerSrc.CallerCallerID
	nums := numberCache{plan: &in.plan, ids: make([]int64, 0, len(rows))}
	j.CallerNumber = nums.number(callerSrc.CallerCallerID, callerSrc.CallerAccountID)

	internalTarget := false
	for _, s := range steps {
		if s.target != 0 {
			internalTarget = true
		}
	}
	if len(steps) == 0 && len(callerRows) > 0 && callerRows[0].e.CalledAccountID != 0 {
		// Only the caller's row so far (e.g. the callee's row is still
		// to come in a stream): it names an account, so it is internal.
		internalTarget = true
	}
	switch {
	case j.CallerAccountID == 0:
		j.Direction = Inbound
	case internalTarget:
		j.Direction = Internal
	default:
		j.Direction = Outbound
	}
	if len(steps) == 0 && len(callerRows) == 0 {
		flags |= FlagIncomplete
	}

	// How the call moved between steps.
	trans := sc.trans[:0]
	for range steps {
		trans = append(trans, transition{})
	}
	sc.trans = trans
	for i := 0; i+1 < len(steps); i++ {
		s, next := steps[i], steps[i+1]
		switch {
		case s.answered() && next.rang():
			trans[i].kind = EventTransferred
			if next.rows[0].e.CallerAccountID == s.answeredBy {
				trans[i].kind = EventTransferredAttended
			}
		case s.answered() && (next.answered() || causedByCaller(next.causedBy)):
			// A10: taken back from the park orbit without ringing (or the
			// caller gave up while parked).
			trans[i].kind = EventParked
		case s.answered():
			// Handed to a user who was busy or forwards always.
			trans[i].kind = EventTransferred
		default:
			src := s.source().e
			trans[i].kind = defaultForwardReason(src, s.rang())
			if in.rules.ForwardReason != nil {
				if k := in.rules.ForwardReason(*src); isForward(k) {
					trans[i].kind = k
				}
			}
		}
	}

	// L2–L9: one leg per step, except before busy and always forwards,
	// and once per account within a same-reason chain (L7). The steps
	// are chosen first so that the legs are allocated once, exactly.
	legStep := sc.legStep[:0]
	for i, s := range steps {
		if k := trans[i].kind; k == EventForwardedOnBusy || k == EventForwardedAlways {
			continue
		}
		if s.target == 0 {
			// A13: an external number is not an account; the forwarding
			// account's own leg (if its forward reason gives one) stands.
			continue
		}
		if !s.answered() && in.repeatedInChain(steps, trans, legStep, i) {
			continue
		}
		legStep = append(legStep, i)
	}
	n := len(legStep)
	if len(callerRows) > 0 {
		n++
	}
	legs := make([]Leg, 0, n)
	// L1: the caller's outgoing leg.
	if len(callerRows) > 0 {
		legs = append(legs, in.outgoingLeg(callerRows, steps, &nums))
	}
	for _, i := range legStep {
		legs = append(legs, in.stepLeg(steps[i], &nums))
	}
	sc.legStep = legStep
	for i := range legs {
		legs[i].Seq = i
		legs[i].CallID = j.CallID
		legs[i].Site = j.Site
	}

	in.journey(&j, steps, trans, callerRows, legs, &nums)
	j.Flags |= flags
	for _, s := range steps {
		j.Flags |= s.flags
	}
	return Call{Journey: j, Legs: legs}
}

// repeatedInChain reports whether step i's account already has an
// unanswered leg from an earlier step joined to i by forwards of one reason.
func (in *Interpreter) repeatedInChain(steps []*step, trans []transition, legStep []int, i int) bool {
	acc := in.legAccount(steps[i])
	for _, k := range legStep {
		if steps[k].answered() || in.legAccount(steps[k]) != acc {
			continue
		}
		same := true
		for t := k; t < i; t++ {
			if !isForward(trans[t].kind) || trans[t].kind != trans[k].kind {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

func isForward(k EventKind) bool {
	return k == EventForwardedOnBusy || k == EventForwardedAlways || k == EventForwardedOnTimeout
}

// legAccount is the account a step's leg is attributed to (L2, L8, A13).
func (in *Interpreter) legAccount(s *step) cdr.AccountID {
	switch {
	case s.answered():
		return s.answeredBy
	case s.target == 0:
		return s.source().e.CDRAccountID
	}
	return s.target
}

// numberCache normalises the numbers of one call; a call repeats the same
// caller and called numbers on most of its rows.
type numberCache struct {
	plan *cdr.NumberPlan
	n    int
	raw  [4]string
	norm [4]cdr.PhoneNumber
	// ids backs every leg's EntryIDs: one array per call.
	ids []int64
}

// entryIDs appends the ids of rs as one leg's sorted EntryIDs.
func (c *numberCache) entryIDs(rs []*row) []int64 {
	start := len(c.ids)
	for _, r := range rs {
		c.ids = append(c.ids, r.e.ID)
	}
	out := c.ids[start:len(c.ids):len(c.ids)]
	slices.Sort(out)
	return out
}

func (c *numberCache) number(id cdr.CallerID, account cdr.AccountID) cdr.PhoneNumber {
	var n cdr.PhoneNumber
	hit := false
	for i := 0; i < c.n; i++ {
		if c.raw[i] == id.Number {
			n, hit = c.norm[i], true
			break
		}
	}
	if !hit {
		n = c.plan.Normalize(id.Number)
		if c.n < len(c.raw) {
			c.raw[c.n], c.norm[c.n] = id.Number, n
			c.n++
		}
	}
	if n.IsZero() && account == 0 {
		// An external party without a number withheld it.
		return cdr.Withheld
	}
	return n
}

func (in *Interpreter) stepLeg(s *step, nums *numberCache) Leg {
	src := s.source()
	e := src.e
	l := Leg{
		AccountID:       in.legAccount(s),
		OwnerAccountID:  e.CDRAccountID,
		Incoming:        s.target != 0,
		Range:           RangeExternal,
		Answered:        s.answered(),
		Result:          ResultMissed,
		Arrival:         s.arrival,
		RingStart:       s.ringStart,
		End:             s.end,
		CalledAccountID: s.target,
		CalledCallerID:  e.CalledCallerID,
		CalledNumber:    nums.number(e.CalledCallerID, s.target),
		CallerAccountID: e.CallerAccountID,
		CallerCallerID:  e.CallerCallerID,
		CallerNumber:    nums.number(e.CallerCallerID, e.CallerAccountID),
		LineName:        e.LineName,
		Flags:           s.flags,
	}
	acc := in.dir.Lookup(l.AccountID)
	l.AccountType = acc.Type
	if l.AccountID == s.target {
		l.AccountType = s.acc.Type
	}
	if acc.Placeholder && l.AccountID != 0 {
		l.Flags |= FlagPlaceholderAccount
	}
	if s.group {
		l.GroupID = s.target
	}
	if e.CallerAccountID != 0 && s.target != 0 {
		l.Range = RangeInternal
	}
	if by, ok := e.CausedByAccount(); ok {
		l.CausedByAccountID = by
	}
	if l.Answered {
		l.Result = ResultAnswered
		l.Answer = s.answer
		l.CausedByAccountID = s.answeredBy
		if s.answerRow != nil && !s.answerRow.ring.IsZero() {
			l.AgentRing = s.answerRow.link.Sub(s.answerRow.ring)
		}
	}
	for _, r := range s.rows {
		l.Fax = l.Fax || r.e.HasFax
		l.Recorded = l.Recorded || r.e.HasMonitor
		l.Private = l.Private || r.e.PrivateCall
		l.Voicemail = l.Voicemail || r.e.HasVoicemail
		if l.LineName == "" {
			l.LineName = r.e.LineName
		}
	}
	if isVoicemail(s) {
		l.Voicemail = true
	}
	l.EntryIDs = nums.entryIDs(s.rows)
	// The moment the leg stopped waiting: a user, a voicemail box, or the end.
	stop := s.end
	switch {
	case l.Answered:
		stop = l.Answer
	case l.Voicemail && s.boxRow != nil:
		stop = s.boxRow.link
	}
	l.setDurations(stop)
	return l
}

// setDurations applies DOMAIN.md §2.4; stop is when waiting ended.
func (l *Leg) setDurations(stop time.Time) {
	ring := l.RingStart
	if ring.IsZero() {
		ring = stop
	}
	l.Announcement = nonNeg(ring.Sub(l.Arrival))
	l.Ring = nonNeg(stop.Sub(ring))
	l.Wait = l.Announcement + l.Ring
	if l.Answered {
		l.Talk = nonNeg(l.End.Sub(l.Answer))
	}
	l.Call = nonNeg(l.End.Sub(l.Arrival))
}

func nonNeg(d time.Duration) time.Duration { return max(d, 0) }

// outgoingLeg merges the caller's own rows into one outgoing leg (L1).
func (in *Interpreter) outgoingLeg(rs []*row, steps []*step, nums *numberCache) Leg {
	e := rs[0].e
	l := Leg{
		AccountID:       e.CDRAccountID,
		OwnerAccountID:  e.CDRAccountID,
		Range:           RangeExternal,
		Result:          ResultMissed,
		Arrival:         rs[0].start,
		End:             rs[0].end,
		CalledAccountID: e.CalledAccountID,
		CalledCallerID:  e.CalledCallerID,
		CalledNumber:    nums.number(e.CalledCallerID, e.CalledAccountID),
		CallerAccountID: e.CallerAccountID,
		CallerCallerID:  e.CallerCallerID,
		CallerNumber:    nums.number(e.CallerCallerID, e.CallerAccountID),
		LineName:        e.LineName,
	}
	acc := in.dir.Lookup(l.AccountID)
	l.AccountType = acc.Type
	if acc.Placeholder {
		l.Flags |= FlagPlaceholderAccount
	}
	if e.CalledAccountID != 0 {
		l.Range = RangeInternal
	}
	for _, r := range rs {
		l.Flags |= r.flags
		if r.start.Before(l.Arrival) {
			l.Arrival = r.start
		}
		if r.end.After(l.End) {
			l.End = r.end
		}
		if !r.ring.IsZero() && (l.RingStart.IsZero() || r.ring.Before(l.RingStart)) {
			l.RingStart = r.ring
		}
		if !r.link.IsZero() && (l.Answer.IsZero() || r.link.Before(l.Answer)) {
			l.Answer = r.link
		}
		l.Fax = l.Fax || r.e.HasFax
		l.Recorded = l.Recorded || r.e.HasMonitor
		l.Private = l.Private || r.e.PrivateCall
		if by, ok := r.e.CausedByAccount(); ok && l.CausedByAccountID == 0 {
			l.CausedByAccountID = by
		}
	}
	// An internal call is answered when the callee answered (not a
	// mailbox): the callee's step says. Without a step for the callee (a
	// consultation inside a transferred call, or the callee's row not
	// written yet) the caller's own row is all there is.
	if e.CalledAccountID != 0 {
		for _, s := range steps {
			if s.target != e.CalledAccountID {
				continue
			}
			if s.answered() && s.answer.Before(l.Arrival) || s.answer.After(l.End) {
				continue // another part of the call (a transfer after a consultation)
			}
			l.Answer = time.Time{}
			if s.answered() {
				l.Answer = s.answer
			}
			break
		}
	}
	l.Answered = !l.Answer.IsZero()
	if l.Answered {
		l.Result = ResultAnswered
		if l.RingStart.After(l.Answer) {
			l.RingStart = l.Answer
		}
	}
	l.EntryIDs = nums.entryIDs(rs)
	stop := l.End
	if l.Answered {
		stop = l.Answer
	}
	l.setDurations(stop)
	return l
}

// journey fills the caller's view (J1–J5).
func (in *Interpreter) journey(j *Journey, steps []*step, trans []transition, callerRows []*row, legs []Leg, nums *numberCache) {
	if len(steps) > 0 {
		j.DialledAccountID = steps[0].target
	}
	if len(callerRows) > 0 {
		e := callerRows[0].e
		j.CalledNumber = nums.number(e.CalledCallerID, e.CalledAccountID)
	}
	var firstRing, stop, away time.Time
	for _, s := range steps {
		if s.target == 0 && away.IsZero() {
			away = s.arrival // A13: the PBX loses sight of the caller here
		}
		if s.target != 0 && (len(j.Path) == 0 || j.Path[len(j.Path)-1] != s.target) {
			j.Path = append(j.Path, s.target)
		}
		if s.answered() && s.answeredBy != s.target && s.group {
			j.Path = append(j.Path, s.answeredBy)
		} else if s.answered() && s.answeredBy != s.target && (len(j.Path) == 0 || j.Path[len(j.Path)-1] != s.answeredBy) {
			j.Path = append(j.Path, s.answeredBy) // a pickup
		}
		if s.rang() && (firstRing.IsZero() || s.ringStart.Before(firstRing)) {
			firstRing = s.ringStart
		}
		if s.answered() {
			if !j.Answered {
				j.Answered = true
				j.AnsweredBy = s.answeredBy
				j.Answer = s.answer
				if s.group {
					j.AnsweredVia = s.target
				}
			}
		}
	}
	// J3, J4: a box decides only when it ended the call (the last step).
	var box *step
	if len(steps) > 0 && !j.Answered && steps[len(steps)-1].boxRow != nil {
		box = steps[len(steps)-1]
	}
	for _, l := range legs {
		if l.Answered && l.Incoming {
			j.Talk += l.Talk
		}
	}
	if j.Direction == Outbound {
		for _, l := range legs {
			if !l.Incoming && l.Answered {
				j.Answered, j.Answer = true, l.Answer
				j.Talk += l.Talk
			}
			if !l.RingStart.IsZero() && (firstRing.IsZero() || l.RingStart.Before(firstRing)) {
				firstRing = l.RingStart
			}
		}
	}
	switch {
	case j.Answered:
		stop = j.Answer
	case !away.IsZero():
		stop = away
	case box != nil && isVoicemail(box):
		stop = box.boxRow.link
	default:
		stop = j.End // nobody, or a module holding the caller to the end
	}
	if firstRing.IsZero() || firstRing.After(stop) {
		firstRing = stop
	}
	j.Announcement = nonNeg(firstRing.Sub(j.Arrival))
	j.Wait = nonNeg(stop.Sub(j.Arrival))
	j.Duration = nonNeg(j.End.Sub(j.Arrival))
	raw := in.outcome(j, steps, box)
	j.Outcome = raw
	if j.Direction == Internal && (raw == OutcomeLostInAnnouncement || raw == OutcomeLostWhileRinging) {
		j.Outcome = OutcomeNotAnswered
	}
	j.Events = in.events(steps, trans)
	j.Queues = queueVisits(steps, trans, raw, box)
}

// outcome is how the call ended; an internal caller's hang-up is still
// reported as lost here (the caller maps it to not-answered), since a group
// visit of an internal call is abandoned all the same.
func (in *Interpreter) outcome(j *Journey, steps []*step, box *step) Outcome {
	if j.Answered {
		return OutcomeAnswered
	}
	if j.Direction == Outbound || len(steps) == 0 {
		return OutcomeNotAnswered
	}
	for _, s := range steps {
		if s.target == 0 {
			return OutcomeForwardedAway
		}
	}
	if box != nil {
		if isVoicemail(box) {
			return OutcomeVoicemail
		}
		return OutcomeHandledByModule
	}
	last := steps[len(steps)-1]
	e := last.causedBy
	by, _ := e.CausedByAccount()
	var o Outcome
	switch {
	case !last.rang() && causedByCaller(e):
		o = OutcomeLostInAnnouncement
	case !last.rang() && by == last.target && last.acc.Type == cdr.AccountIQueue:
		o = OutcomeNoAgent
	case !last.rang() && by == last.target:
		o = OutcomeBusy
	case !last.rang():
		o = OutcomeLostInAnnouncement
	case !causedByCaller(e) && by != 0 && by == last.target && last.group:
		// The group or iQueue gave up itself (maximum wait, no forward):
		// a timeout is not an abandon (DOMAIN.md §3.5).
		o = OutcomeTimedOut
	case !causedByCaller(e) && by != 0 && in.dir.Lookup(by).Type != cdr.AccountIQueue && in.dir.Lookup(by).Type != cdr.AccountGroup:
		o = OutcomeRejected
	default:
		o = OutcomeLostWhileRinging
	}
	return o
}

func (in *Interpreter) events(steps []*step, trans []transition) []Event {
	var ev []Event
	for i, s := range steps {
		// A7: a module held the call before it rang.
		if s.target != 0 && s.acc.Type != cdr.AccountIQueue && (i == 0 || isForward(trans[i-1].kind)) {
			ring := s.ringStart
			switch {
			case !ring.IsZero():
			case s.boxRow != nil:
				ring = s.boxRow.link // a voicemail box answered: no module before it
			case causedByCaller(s.causedBy) && !s.answered():
				ring = s.end // the caller hung up in the module
			}
			if s.boxRow != nil && !isVoicemail(s) && ring.Equal(s.boxRow.link) {
				// A5: the module took the call itself.
				ev = append(ev, Event{Kind: EventHandledByModule, At: s.arrival, To: s.target})
			} else if !ring.IsZero() && ring.Sub(s.arrival) >= in.rules.ModuleMinAnnouncement {
				ev = append(ev, Event{Kind: EventHandledByModule, At: s.arrival, To: s.target})
			}
		}
		if s.answered() && s.answeredBy != s.target && !s.group {
			ev = append(ev, Event{Kind: EventPickedUp, At: s.answer, From: s.target, To: s.answeredBy})
		}
		if isVoicemail(s) {
			ev = append(ev, Event{Kind: EventVoicemail, At: s.boxRow.link, To: s.target})
		}
		if !s.answered() && s.boxRow == nil && s.rang() && s.causedBy != nil && !causedByCaller(s.causedBy) {
			if by, ok := s.causedBy.CausedByAccount(); ok && by != 0 && in.dir.Lookup(by).Type != cdr.AccountIQueue && in.dir.Lookup(by).Type != cdr.AccountGroup && (i+1 == len(steps) || !isForward(trans[i].kind)) {
				ev = append(ev, Event{Kind: EventRejected, At: s.end, From: by})
			}
		}
		if i+1 >= len(steps) {
			continue
		}
		next := steps[i+1]
		k := trans[i].kind
		switch {
		case isForward(k):
			// L7: a chain of forwards with the same reason is one event.
			if i > 0 && trans[i-1].kind == k {
				ev[lastIndex(ev, k)].To = next.target
			} else {
				ev = append(ev, Event{Kind: k, At: next.arrival, From: s.target, To: next.target})
			}
			if next.target == 0 {
				ev = append(ev, Event{Kind: EventForwardedExternal, At: next.arrival, From: s.target})
			}
		case k == EventParked:
			ev = append(ev, Event{Kind: EventParked, At: s.end, From: s.answeredBy, To: next.answeredBy})
		default:
			ev = append(ev, Event{Kind: k, At: next.arrival, From: s.answeredBy, To: next.target})
		}
	}
	slices.SortStableFunc(ev, func(a, b Event) int { return a.At.Compare(b.At) })
	return ev
}

func lastIndex(ev []Event, k EventKind) int {
	for i := len(ev) - 1; i >= 0; i-- {
		if ev[i].Kind == k {
			return i
		}
	}
	return len(ev) - 1
}

// compareKeys orders step ids numerically when both are numbers.
func compareKeys(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(x, y)
	}
	return cmp.Compare(a, b)
}

// compareEntries is a total order on entries used to make the
// interpretation independent of input order.
func compareEntries(a, b *cdr.Entry) int {
	if a.ID != b.ID {
		return cmp.Compare(a.ID, b.ID)
	}
	if c := a.StartTime.Compare(b.StartTime); c != 0 {
		return c
	}
	if a.CDRAccountID != b.CDRAccountID {
		return cmp.Compare(a.CDRAccountID, b.CDRAccountID)
	}
	if a.CallStepID != b.CallStepID {
		return compareKeys(a.CallStepID, b.CallStepID)
	}
	// Same id, time, owner and step: only a conflicting duplicate gets
	// here, and it must still sort the same way whatever the input order.
	return cmp.Or(
		cmp.Compare(a.CalledAccountID, b.CalledAccountID),
		cmp.Compare(a.CallerAccountID, b.CallerAccountID),
		a.CallResultTime.Compare(b.CallResultTime),
		a.RingingTime.Compare(b.RingingTime),
		a.LinkTime.Compare(b.LinkTime),
		cmp.Compare(a.CallResult, b.CallResult),
		cmp.Compare(a.CallResultCausedBy, b.CallResultCausedBy),
		cmp.Compare(a.CallerCallerID.Name, b.CallerCallerID.Name),
		cmp.Compare(a.CallerCallerID.Number, b.CallerCallerID.Number),
		cmp.Compare(a.CalledCallerID.Name, b.CalledCallerID.Name),
		cmp.Compare(a.CalledCallerID.Number, b.CalledCallerID.Number),
		cmp.Compare(a.AnsweredElsewhere, b.AnsweredElsewhere),
		cmp.Compare(a.CallLegUUID, b.CallLegUUID),
		// Every other field, so that which of two conflicting copies
		// is kept never depends on input order.
		strings.Compare(fmt.Sprintf("%+v", inUTC(*a)), fmt.Sprintf("%+v", inUTC(*b))),
	)
}

// GroupByCall splits entries into calls: rows sharing a site and a callid,
// in a deterministic order (by site, then callid). A row without a callid
// becomes a call of its own, keyed by its entry id, so that it is never
// dropped.
func GroupByCall(entries []cdr.Entry) [][]cdr.Entry {
	// Two passes: number the calls, then copy each row once into one
	// backing array where every call's rows are contiguous. Appending
	// rows to per-call slices copied each 424-byte row several times.
	idx := make(map[string]int32)
	of := make([]int32, len(entries))
	var sizes []int32
	for i := range entries {
		key := callKey(&entries[i])
		g, ok := idx[key]
		if !ok {
			g = int32(len(sizes))
			idx[key] = g
			sizes = append(sizes, 0)
		}
		of[i] = g
		sizes[g]++
	}
	backing := make([]cdr.Entry, len(entries))
	starts := make([]int32, len(sizes))
	next := int32(0)
	for g, n := range sizes {
		starts[g] = next
		next += n
	}
	fill := slices.Clone(starts)
	for i := range entries {
		g := of[i]
		backing[fill[g]] = entries[i]
		fill[g]++
	}
	groups := make([][]cdr.Entry, len(sizes))
	for g := range sizes {
		groups[g] = backing[starts[g] : starts[g]+sizes[g] : starts[g]+sizes[g]]
	}
	slices.SortFunc(groups, func(a, b []cdr.Entry) int {
		return cmp.Or(cmp.Compare(a[0].Site, b[0].Site), cmp.Compare(a[0].CallID, b[0].CallID), cmp.Compare(minID(a), minID(b)))
	})
	return groups
}

func minID(es []cdr.Entry) int64 {
	m := es[0].ID
	for _, e := range es[1:] {
		m = min(m, e.ID)
	}
	return m
}

func sortCalls(cs []Call) {
	// Sort small keys, then move each Call once: sorting the Calls
	// themselves moved large structs on every swap.
	type sortKey struct {
		arrival      time.Time
		callID, site string
		first        int64
		i            int
	}
	keys := make([]sortKey, len(cs))
	for i := range cs {
		j := &cs[i].Journey
		keys[i] = sortKey{j.Arrival, j.CallID, j.Site, firstEntryID(&cs[i]), i}
	}
	slices.SortFunc(keys, func(a, b sortKey) int {
		return cmp.Or(a.arrival.Compare(b.arrival), cmp.Compare(a.callID, b.callID), cmp.Compare(a.site, b.site), cmp.Compare(a.first, b.first))
	})
	sorted := make([]Call, len(cs))
	for k, key := range keys {
		sorted[k] = cs[key.i]
	}
	copy(cs, sorted)
}

func firstEntryID(c *Call) int64 {
	for _, l := range c.Legs {
		if len(l.EntryIDs) > 0 {
			return l.EntryIDs[0]
		}
	}
	return 0
}
