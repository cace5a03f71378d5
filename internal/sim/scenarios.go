package sim

import (
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// This file writes the rows of each scenario. Every rule of
// docs/interpretation.md that a row depends on is named where the row is
// written, so that a change of the model can be followed here.
//
// causedby, as written by the simulator (A11):
//   - answered rows: the answering user;
//   - the caller hung up: "0" for an external caller, the caller's id for an
//     internal one;
//   - rejected (rang) or busy (never rang): the target;
//   - iQueue full / no agent (A12): the iQueue;
//   - always forward: "0"; a timer ended the step (timeout forward, an
//     agent's ring timeout in a queue): empty;
//   - members who rang while a colleague answered: the answering member.

// entryPoint is where an inbound call goes first.
type entryPoint struct {
	kind epKind
	idx  int
}

type epKind uint8

const (
	epQueue epKind = iota + 1
	epGroup
	epUser
	epDeleted
)

func (g *gen) pickEntry() entryPoint {
	m := g.mix
	r := g.rng.Float64() * (m.ToIQueue + m.ToGroup + m.ToUser + m.ToDeleted)
	switch {
	case r < m.ToIQueue:
		return entryPoint{epQueue, g.rng.IntN(len(g.w.queues))}
	case r < m.ToIQueue+m.ToGroup:
		return entryPoint{epGroup, g.rng.IntN(len(g.w.groups))}
	case r < m.ToIQueue+m.ToGroup+m.ToUser:
		return entryPoint{epUser, g.rng.IntN(len(g.w.agents))}
	}
	return entryPoint{epDeleted, 0}
}

// builder collects one call's rows and truth.
type builder struct {
	g    *gen
	c    *call
	step int

	caller   *acct        // nil: an external caller
	callerID cdr.CallerID // as shown on the rows
	number   string       // the external party's number; "" if none or withheld
	line     int          // trunk line of an external call, 0 for internal calls

	terminal    callflow.Outcome // how the last step ended when no user answered
	transferred bool             // one transfer or park per call keeps calls readable
	recorded    bool             // hasmonitor on the call's answered rows
}

func (g *gen) newCall(t time.Time, d callflow.Direction, o Origin) *builder {
	b := &builder{g: g, c: &call{rows: make([]cdr.Entry, 0, 4)}, recorded: g.chance(g.mix.Recorded)}
	b.c.truth = Truth{CallID: g.uuid(), Origin: o, Direction: d, Start: t}
	return b
}

// lineNames are the trunk lines of the simulated PBX, by line id.
var lineNames = [...]string{"", "Telekom SIP 1", "Telekom SIP 2"}

func (b *builder) nextStep() int { b.step++; return b.step }

// at returns t plus s seconds.
func at(t time.Time, s int) time.Time { return t.Add(time.Duration(s) * time.Second) }

// rowSpec is one row to write. Times that stay zero are empty columns.
type rowSpec struct {
	step                   int
	owner, called          *acct // called nil: an external number (calledID)
	calledID               cdr.CallerID
	caller                 *acct // nil: the call's caller (b.caller)
	start, ring, link, end time.Time
	causedBy               string
	elsewhere              *acct
	answered               bool
	callerSide             bool
}

// add writes a row and returns its index in the call's rows.
func (b *builder) add(s rowSpec) int {
	caller, callerID := b.caller, b.callerID
	if s.caller != nil {
		caller, callerID = s.caller, s.caller.cid
	}
	e := cdr.Entry{
		CallID:             b.c.truth.CallID,
		CallStepID:         strconv.Itoa(s.step),
		CallLegUUID:        b.g.uuid(),
		CDRAccountID:       s.owner.id,
		CallerCallerID:     callerID,
		StartTime:          s.start,
		RingingTime:        s.ring,
		LinkTime:           s.link,
		CallResultTime:     s.end,
		CallResult:         cdr.NotConnected,
		CallResultCausedBy: s.causedBy,
		Incoming:           !s.callerSide,
		Answered:           s.answered,
		Duration:           int64(s.end.Sub(s.start) / time.Second),
		Login:              s.owner.login,
		Site:               b.g.cfg.Site,
	}
	if caller != nil {
		e.CallerAccountID = caller.id
	}
	if s.called != nil {
		e.CalledAccountID, e.CalledCallerID = s.called.id, s.called.cid
	} else {
		e.CalledCallerID = s.calledID
	}
	if s.answered {
		e.CallResult = cdr.Connected
		e.HasMonitor = b.recorded
	}
	if s.elsewhere != nil {
		e.AnsweredElsewhere = s.elsewhere.id
	}
	// The callback number is the other party's: the external party for
	// external calls, else the other account's extension.
	switch {
	case b.line != 0:
		e.LineID, e.LineName = strconv.Itoa(b.line), lineNames[b.line]
		e.CallbackNumber, e.CallbackNumberExtern = b.number, b.number != ""
	case s.callerSide && s.called != nil:
		e.CallbackNumber = s.called.cid.Number
	case caller != nil:
		e.CallbackNumber = caller.cid.Number
	}
	b.c.rows = append(b.c.rows, e)
	return len(b.c.rows) - 1
}

func (b *builder) leg(a *acct) { b.c.truth.Legs = append(b.c.truth.Legs, a.id) }

// event records an event; a forward with the same reason as the event just
// before it continues the same chain and is recorded once (L7).
func (b *builder) event(k callflow.EventKind) {
	ev := b.c.truth.Events
	if n := len(ev); n > 0 && ev[n-1] == k && isForward(k) {
		return
	}
	b.c.truth.Events = append(ev, k)
}

func isForward(k callflow.EventKind) bool {
	return k == callflow.EventForwardedOnTimeout || k == callflow.EventForwardedOnBusy || k == callflow.EventForwardedAlways
}

func (b *builder) dialled(a *acct) {
	if b.c.truth.DialledAccountID == 0 {
		b.c.truth.DialledAccountID = a.id
	}
}

// hangup is callresultcausedby when the caller hung up (A11).
func (b *builder) hangup() string {
	if b.caller != nil {
		return b.caller.idStr
	}
	return "0"
}

// finish completes the truth: the outcome (J4), the legs as a set, the
// row count and the end.
func (b *builder) finish() *call {
	t := &b.c.truth
	switch {
	case t.AnsweredBy != 0:
		t.Outcome = callflow.OutcomeAnswered
	default:
		t.Outcome = b.terminal
	}
	slices.Sort(t.Legs)
	t.Legs = slices.Compact(t.Legs)
	t.Rows = len(b.c.rows)
	for i := range b.c.rows {
		if e := b.c.rows[i].CallResultTime; e.After(t.End) {
			t.End = e
		}
	}
	return b.c
}

// inbound simulates a call of an external party (party < 0: withheld) to ep.
func (g *gen) inbound(t time.Time, ep entryPoint, party int64, o Origin, related string) *call {
	b := g.newCall(t, callflow.Inbound, o)
	b.number, b.callerID = g.party(party)
	b.line = 1
	if g.rng.IntN(10) < 3 {
		b.line = 2
	}
	tr := &b.c.truth
	tr.Number, tr.Related, tr.OutOfHours = b.number, related, !g.open(t)
	ivr := g.chance(g.mix.IVR)
	switch ep.kind {
	case epQueue:
		b.toQueue(g.w.queues[ep.idx], t, 0)
	case epGroup:
		b.toGroup(g.w.groups[ep.idx], t, 0, ivr)
	case epUser:
		b.toUser(g.w.agents[ep.idx], t, 0, ivr)
	default:
		b.toDeleted(t)
	}
	c := b.finish()
	if c.truth.AnsweredBy == 0 && party >= 0 && c.truth.Outcome != callflow.OutcomeForwardedAway {
		g.lost(c, ep, party)
	}
	return c
}

// lost schedules what happens after a lost call of a known number: an agent
// calls back within 5–90 minutes of business time, the caller calls again
// within 2 hours, or nothing.
func (g *gen) lost(c *call, ep entryPoint, party int64) {
	if ep.kind == epDeleted {
		return // nobody feels responsible for a former colleague's calls
	}
	f := &followUp{ep: ep, party: party, related: c.truth.CallID}
	switch r := g.rng.Float64(); {
	case r < g.mix.Callback:
		f.kind = followCallback
		when := at(c.truth.End, 60*g.secs(5, 90))
		if !g.open(when) { // nobody there to call back: after the next opening
			when = at(g.nextOpening(when), 60*g.secs(5, 90))
		}
		f.at = when.Unix()
	case r < g.mix.Callback+g.mix.Recall:
		f.kind = followRecall
		f.at = c.truth.End.Unix() + int64(60*g.secs(2, 120))
	default:
		return
	}
	g.schedule(f)
}

// toQueue simulates a step to an iQueue: announcement, waiting for a free
// agent, offers to agents (A3 member rows), and the ways it can fail.
func (b *builder) toQueue(q *acct, t0 time.Time, depth int) {
	g := b.g
	b.dialled(q)
	step := b.nextStep()
	qi := int(q.id - firstIQueueID)
	if !g.open(t0) || g.queueFull(qi, t0.Unix(), q.qsize) || g.chance(g.mix.QueueNoAgent) {
		// A12: never rang, ended by the iQueue itself.
		b.add(rowSpec{step: step, owner: q, called: q, start: t0, end: at(t0, g.secs(0, 1)), causedBy: q.idStr})
		b.leg(q)
		b.terminal = callflow.OutcomeNoAgent
		return
	}
	var leave time.Time // when the caller leaves the queue, for its size
	defer func() { g.waiting[qi] = append(g.waiting[qi], leave.Unix()) }()
	// The iQueue's own greeting (not a module, A7): its usual length,
	// sometimes a longer notice.
	ann := q.announcement + g.secs(0, 3)
	if g.chance(0.1) {
		ann = g.secs(15, 30)
	}
	if g.chance(g.mix.QueueAbandonAnnouncement) {
		leave = at(t0, g.secs(1, ann-1))
		b.add(rowSpec{step: step, owner: q, called: q, start: t0, end: leave, causedBy: b.hangup()})
		b.leg(q)
		b.terminal = callflow.OutcomeLostInAnnouncement
		return
	}
	ringStart := at(t0, ann) // waiting starts: the iQueue row's ringingtime
	deadline := at(t0, q.maxWait)
	stop, stopCause := deadline, "" // the queue's timer
	abandon := g.chance(g.mix.QueueAbandonWaiting)
	overflow := len(g.w.groups) > 0 && depth == 0
	switch {
	case abandon:
		stop, stopCause = at(ringStart, g.secs(5, min(180, q.maxWait-ann-5))), b.hangup()
	case !overflow:
		stopCause = b.hangup() // no overflow target: the caller gives up at the maximum wait
	}
	type offer struct {
		agent      *acct
		ring, end  time.Time
		answeredAt time.Time
	}
	var offers []offer
	if !g.chance(g.mix.QueueTimeout) { // else no agent frees up before the deadline
		offerAt := at(ringStart, g.secs(0, 2)) // offered at once when an agent is free
		tried := -1
		for attempt := 0; attempt < 3; attempt++ {
			i, freeAt := g.earliestFree(q.members, offerAt.Unix(), tried)
			if i < 0 {
				break
			}
			if freeAt > offerAt.Unix() {
				offerAt = g.time(freeAt)
			}
			if !offerAt.Before(stop) {
				break
			}
			a := g.w.agents[i]
			if attempt < 2 && g.chance(g.mix.QueueRingNoAnswer) {
				// The agent lets it ring until the queue's ring timeout
				// and the queue offers it to the next one.
				end := at(offerAt, 15)
				if !end.Before(stop) {
					offers = append(offers, offer{agent: a, ring: offerAt, end: stop})
					break
				}
				offers = append(offers, offer{agent: a, ring: offerAt, end: end})
				offerAt, tried = at(end, g.secs(1, 3)), i
				continue
			}
			link := at(offerAt, g.agentRing())
			if link.After(stop) {
				offers = append(offers, offer{agent: a, ring: offerAt, end: stop})
				break
			}
			offers = append(offers, offer{agent: a, ring: offerAt, answeredAt: link})
			break
		}
	}
	if n := len(offers); n > 0 && !offers[n-1].answeredAt.IsZero() {
		win := offers[n-1]
		a := win.agent
		leave = win.answeredAt
		end := b.answered(a, q, win.answeredAt)
		for _, o := range offers[:n-1] {
			b.add(rowSpec{step: step, owner: o.agent, called: q, start: t0, ring: o.ring, end: o.end, elsewhere: a})
		}
		b.add(rowSpec{step: step, owner: a, called: q, start: t0, ring: win.ring, link: win.answeredAt, end: end, causedBy: a.idStr, answered: true})
		b.add(rowSpec{step: step, owner: q, called: q, start: t0, ring: ringStart, link: win.answeredAt, end: end, causedBy: a.idStr, elsewhere: a, answered: true})
		return
	}
	// Nobody answered before the caller gave up or the maximum wait.
	leave = stop
	for _, o := range offers {
		cause := ""
		if o.end.Equal(stop) {
			cause = stopCause
		}
		b.add(rowSpec{step: step, owner: o.agent, called: q, start: t0, ring: o.ring, end: o.end, causedBy: cause})
	}
	b.leg(q)
	if abandon || !overflow {
		b.add(rowSpec{step: step, owner: q, called: q, start: t0, ring: ringStart, end: stop, causedBy: stopCause})
		b.terminal = callflow.OutcomeLostWhileRinging
		return
	}
	// The maximum wait: the iQueue rang, so A6 reads a timeout forward.
	b.add(rowSpec{step: step, owner: q, called: q, start: t0, ring: ringStart, end: deadline})
	b.event(callflow.EventForwardedOnTimeout)
	b.toGroup(g.w.groups[int(q.id-firstIQueueID)%len(g.w.groups)], deadline, depth+1, false)
}

// queueFull reports whether iQueue qi holds size callers at t: callers who
// came earlier and have not left yet (answered or gone).
func (g *gen) queueFull(qi int, t int64, size int) bool {
	keep := g.waiting[qi][:0]
	for _, until := range g.waiting[qi] {
		if until > t {
			keep = append(keep, until)
		}
	}
	g.waiting[qi] = keep
	return len(keep) >= size
}

// earliestFree returns the member that is free first at or after t (never
// exclude) and when; -1 if there are no members.
func (g *gen) earliestFree(members []int, t int64, exclude int) (int, int64) {
	best, bestAt := -1, int64(math.MaxInt64)
	n := len(members)
	if n == 0 {
		return -1, 0
	}
	off := g.rng.IntN(n) // ties go to a random member
	for k := range n {
		i := members[(off+k)%n]
		if i == exclude {
			continue
		}
		if f := max(g.busy[i], g.paused[i], t); f < bestAt {
			best, bestAt = i, f
		}
	}
	return best, bestAt
}

// toGroup simulates a step to a ring-all group (A3): the logged-in free
// members ring together; one answers, the others get answeredelswhere.
func (b *builder) toGroup(grp *acct, t0 time.Time, depth int, ivr bool) {
	g := b.g
	b.dialled(grp)
	step := b.nextStep()
	if !g.open(t0) {
		// Out of hours an announcement module takes group calls: linked,
		// not answered, no voicemail (A5 on a group: handled by module).
		// It never rings, so the whole step is announcement (A7).
		link := at(t0, g.secs(1, 2))
		b.add(rowSpec{step: step, owner: grp, called: grp, start: t0, link: link, end: at(link, g.secs(8, 25)), causedBy: b.hangup()})
		b.leg(grp)
		b.event(callflow.EventHandledByModule)
		b.terminal = callflow.OutcomeHandledByModule
		return
	}
	ringStart := at(t0, g.secs(0, 1))
	if ivr {
		// A7: the IVR writes no row; it shows as the gap before ringing.
		ringStart = at(t0, g.secs(5, 20))
		b.event(callflow.EventHandledByModule)
	}
	// Not every member is logged in: ring up to four free members.
	ringing := g.freeMembers(grp.members, ringStart.Unix(), 2+g.rng.IntN(3))
	if len(ringing) == 0 || g.chance(g.mix.GroupNoAnswer) {
		end := at(ringStart, g.secs(8, 60))
		for _, m := range ringing {
			b.add(rowSpec{step: step, owner: m, called: grp, start: t0, ring: ringStart, end: end, causedBy: b.hangup()})
		}
		b.add(rowSpec{step: step, owner: grp, called: grp, start: t0, ring: ringStart, end: end, causedBy: b.hangup()})
		b.leg(grp) // L2: nobody answered, the group's leg
		b.terminal = callflow.OutcomeLostWhileRinging
		return
	}
	// L2: the answering user's leg (answered); the members who only rang
	// get none (L3).
	a := ringing[g.rng.IntN(len(ringing))]
	link := at(ringStart, g.agentRing())
	end := b.answered(a, grp, link)
	for _, m := range ringing {
		if m != a {
			b.add(rowSpec{step: step, owner: m, called: grp, start: t0, ring: ringStart, end: link, causedBy: a.idStr, elsewhere: a})
		}
	}
	b.add(rowSpec{step: step, owner: a, called: grp, start: t0, ring: ringStart, link: link, end: end, causedBy: a.idStr, answered: true})
	b.add(rowSpec{step: step, owner: grp, called: grp, start: t0, ring: ringStart, link: link, end: end, causedBy: a.idStr, elsewhere: a, answered: true})
}

// freeMembers returns up to n members ready at t, from a random position.
func (g *gen) freeMembers(members []int, t int64, n int) []*acct {
	var out []*acct
	if len(members) == 0 {
		return nil
	}
	off := g.rng.IntN(len(members))
	for k := range members {
		if i := members[(off+k)%len(members)]; g.ready(i, t) {
			out = append(out, g.w.agents[i])
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// toUser simulates a step to an agent's direct number and whatever follows
// it: forwards (A6), voicemail (A5), pickup (A8), rejection, answer.
func (b *builder) toUser(u *acct, t0 time.Time, depth int, ivr bool) {
	g := b.g
	m := g.mix
	b.dialled(u)
	step := b.nextStep()
	canForward := depth < 2
	if !g.open(t0) {
		// Logged out: the phone rings until the voicemail box takes it or
		// the caller gives up.
		ring := at(t0, g.secs(0, 1))
		b.leg(u)
		if g.chance(0.6) {
			b.voicemail(step, u, t0, ring)
			return
		}
		b.add(rowSpec{step: step, owner: u, called: u, start: t0, ring: ring, end: at(ring, g.secs(5, 40)), causedBy: b.hangup()})
		b.terminal = callflow.OutcomeLostWhileRinging
		return
	}
	pAlways := m.AlwaysForward
	if depth > 0 {
		pAlways = m.ChainForward
	}
	if canForward && g.chance(pAlways) {
		// Always forward: the target never rings, "0" caused it (A6);
		// no leg for it (L4).
		b.add(rowSpec{step: step, owner: u, called: u, start: t0, end: t0, causedBy: "0"})
		b.event(callflow.EventForwardedAlways)
		b.forward(u, t0, depth)
		return
	}
	if !g.free(u.idx, t0.Unix()) || g.chance(m.UserBusy) {
		if canForward && g.chance(m.BusyForward) {
			// Busy forward: never rang, caused by the target (A6); L4.
			b.add(rowSpec{step: step, owner: u, called: u, start: t0, end: t0, causedBy: u.idStr})
			b.event(callflow.EventForwardedOnBusy)
			b.forward(u, t0, depth)
			return
		}
		b.add(rowSpec{step: step, owner: u, called: u, start: t0, end: at(t0, g.secs(0, 1)), causedBy: u.idStr})
		b.leg(u)
		b.terminal = callflow.OutcomeBusy
		return
	}
	ring := at(t0, g.secs(0, 1))
	if ivr && depth == 0 {
		ring = at(t0, g.secs(5, 20)) // A7
		b.event(callflow.EventHandledByModule)
	}
	r := g.rng.Float64()
	switch {
	case r < m.NoAnswer:
		b.add(rowSpec{step: step, owner: u, called: u, start: t0, ring: ring, end: at(ring, g.secs(5, 40)), causedBy: b.hangup()})
		b.leg(u)
		b.terminal = callflow.OutcomeLostWhileRinging
	case r < m.NoAnswer+m.Reject:
		b.add(rowSpec{step: step, owner: u, called: u, start: t0, ring: ring, end: at(ring, g.secs(2, 10)), causedBy: u.idStr})
		b.leg(u)
		b.event(callflow.EventRejected)
		b.terminal = callflow.OutcomeRejected
	case r < m.NoAnswer+m.Reject+m.Voicemail:
		b.leg(u)
		b.voicemail(step, u, t0, ring)
	case r < m.NoAnswer+m.Reject+m.Voicemail+m.TimeoutForward && canForward:
		// Timeout forward: it rang (A6); the original target keeps a
		// missed leg (L5).
		end := at(ring, 20)
		b.add(rowSpec{step: step, owner: u, called: u, start: t0, ring: ring, end: end})
		b.leg(u)
		b.event(callflow.EventForwardedOnTimeout)
		b.forward(u, end, depth)
	case r < m.NoAnswer+m.Reject+m.Voicemail+m.TimeoutForward+m.Pickup:
		pi := g.pickFree(g.homeMembers(u), ring.Unix(), u.idx)
		if pi < 0 {
			pi = g.pickFree(nil, ring.Unix(), u.idx)
		}
		if pi < 0 {
			b.add(rowSpec{step: step, owner: u, called: u, start: t0, ring: ring, end: at(ring, g.secs(5, 40)), causedBy: b.hangup()})
			b.leg(u)
			b.terminal = callflow.OutcomeLostWhileRinging
			return
		}
		// A8: the colleague's row names the called user and is linked;
		// the called user's row is answered elsewhere. L8: only P's leg.
		p := g.w.agents[pi]
		pick := at(ring, g.secs(3, 15))
		b.event(callflow.EventPickedUp)
		end := b.answered(p, nil, pick)
		b.add(rowSpec{step: step, owner: u, called: u, start: t0, ring: ring, end: pick, causedBy: p.idStr, elsewhere: p})
		b.add(rowSpec{step: step, owner: p, called: u, start: t0, ring: ring, link: pick, end: end, causedBy: p.idStr, answered: true})
	default:
		link := at(ring, g.agentRing())
		end := b.answered(u, nil, link)
		b.add(rowSpec{step: step, owner: u, called: u, start: t0, ring: ring, link: link, end: end, causedBy: u.idStr, answered: true})
	}
}

// homeMembers returns the members of u's first group or iQueue: the
// colleagues who would pick up u's calls.
func (g *gen) homeMembers(u *acct) []int {
	if u.home < 0 {
		return nil
	}
	return g.w.targets[u.home].members
}

// voicemail writes a row taken by u's voicemail box (A5): rang until the box
// answered, linked, not answered. Most callers leave a message.
func (b *builder) voicemail(step int, u *acct, t0, ring time.Time) {
	g := b.g
	link := at(ring, 20)
	i := b.add(rowSpec{step: step, owner: u, called: u, start: t0, ring: ring, link: link, end: at(link, g.secs(8, 60)), causedBy: b.hangup()})
	b.c.rows[i].HasVoicemail = g.chance(0.85)
	b.event(callflow.EventVoicemail)
	b.terminal = callflow.OutcomeVoicemail
}

// forward sends the call on from u: to an external number (A13), a group or
// a colleague, as a new step starting at t.
func (b *builder) forward(u *acct, t time.Time, depth int) {
	g := b.g
	r := g.rng.Float64()
	switch {
	case r < g.mix.ForwardExternal:
		b.forwardAway(u, t)
	case r < g.mix.ForwardExternal+float64(0.4*(1-g.mix.ForwardExternal)) && len(g.w.groups) > 0: // float64(): no FMA, see talk
		b.toGroup(g.w.groups[g.rng.IntN(len(g.w.groups))], t, depth+1, false)
	default:
		i := g.rng.IntN(len(g.w.agents) - 1)
		if i >= u.idx && u.idx >= 0 {
			i++
		}
		b.toUser(g.w.agents[i], t, depth+1, false)
	}
}

// forwardAway writes the step of a forward to u's mobile (A13): a receiving
// row owned by the forwarding account with calledaccountid 0. The PBX loses
// sight of the call; an answer there is no user's answer.
func (b *builder) forwardAway(u *acct, t time.Time) {
	g := b.g
	step := b.nextStep()
	ring := at(t, g.secs(0, 1))
	spec := rowSpec{step: step, owner: u, calledID: cdr.CallerID{Number: u.mobile}, start: t, ring: ring, causedBy: "0"}
	if g.chance(0.8) {
		spec.link = at(ring, g.secs(3, 20))
		spec.end = at(spec.link, g.talk())
		spec.answered = true
	} else {
		spec.end = at(ring, g.secs(10, 30))
	}
	b.add(spec)
	// No leg: an external number is no account (A13); u's own step has
	// its leg if its forward reason gives one.
	b.event(callflow.EventForwardedExternal)
	b.terminal = callflow.OutcomeForwardedAway
}

// toDeleted simulates a direct call to the former agent DeletedUserID.
func (b *builder) toDeleted(t0 time.Time) {
	g := b.g
	u := g.w.deleted
	b.dialled(u)
	step := b.nextStep()
	ring := at(t0, g.secs(0, 1))
	b.leg(u)
	if g.chance(0.3) {
		b.add(rowSpec{step: step, owner: u, called: u, start: t0, ring: ring, end: at(ring, g.secs(5, 40)), causedBy: b.hangup()})
		b.terminal = callflow.OutcomeLostWhileRinging
		return
	}
	link := at(ring, g.agentRing())
	end := b.answered(u, nil, link)
	b.add(rowSpec{step: step, owner: u, called: u, start: t0, ring: ring, link: link, end: end, causedBy: u.idStr, answered: true})
}

// answered records that agent a answered at link (through group via, if
// not nil), decides what happens after the answer, and returns the end of
// a's row: the hang-up, or the moment a transferred or parked the call.
func (b *builder) answered(a, via *acct, link time.Time) time.Time {
	g := b.g
	m := g.mix
	tr := &b.c.truth
	if tr.AnsweredBy == 0 {
		tr.AnsweredBy, tr.Answer = a.id, link
		if via != nil {
			tr.AnsweredVia = via.id
		}
	}
	b.leg(a)
	talk := g.talk()
	if a.idx >= 0 && !b.transferred && g.open(link) {
		r := g.rng.Float64()
		part := max(80, talk/3) // talk before the hand-over; room for a consultation
		switch {
		case r < m.TransferBlind+m.TransferAttended:
			if end, ok := b.transfer(a, at(link, part), link, r < m.TransferBlind); ok {
				return end
			}
		case r < m.TransferBlind+m.TransferAttended+m.Park:
			return b.park(a, at(link, part))
		}
	}
	end := at(link, talk)
	g.occupy(a.idx, end)
	return end
}

// transfer hands the call from a to a free colleague at tx (A9): a new step
// whose row rings. Attended: a consulted the colleague first in a call of
// its own, and the new step names a as the caller. It returns tx, the end of
// a's row, and false if no colleague is free.
func (b *builder) transfer(a *acct, tx, link time.Time, blind bool) (time.Time, bool) {
	g := b.g
	consultRing, consultTalk := g.secs(2, 8), g.secs(10, 60)
	tc := at(tx, -(consultRing + consultTalk + 1))
	if blind {
		tc = tx
	}
	if !tc.After(link) {
		return tx, false
	}
	bi := g.pickFree(g.homeMembers(a), tc.Unix(), a.idx)
	if bi < 0 {
		bi = g.pickFree(nil, tc.Unix(), a.idx)
	}
	if bi < 0 {
		return tx, false
	}
	target := g.w.agents[bi]
	b.transferred = true
	step := b.nextStep()
	spec := rowSpec{step: step, owner: target, called: target, start: tx, ring: at(tx, g.secs(0, 1))}
	if blind {
		b.event(callflow.EventTransferred)
	} else {
		b.event(callflow.EventTransferredAttended)
		spec.caller = a // the consultation made a the caller (A9)
		g.schedule(&followUp{at: tc.Unix(), kind: followPrebuilt, prebuilt: g.consultation(a, target, tc, consultRing, tx, b.c.truth.CallID)})
	}
	if g.chance(0.9) {
		spec.link = at(spec.ring, g.secs(2, 12))
		spec.end = at(spec.link, g.talk())
		spec.causedBy, spec.answered = target.idStr, true
		g.occupy(target.idx, spec.end)
	} else {
		spec.end = at(spec.ring, g.secs(10, 30))
		spec.causedBy = "0"
	}
	b.add(spec)
	b.leg(target) // L9: every answered step has its own leg
	g.occupy(a.idx, tx)
	return tx, true
}

// consultation builds the internal call in which a asks target to take the
// call before an attended transfer; it ends when the transfer happens.
func (g *gen) consultation(a, target *acct, tc time.Time, ring int, tx time.Time, related string) *call {
	b := g.newCall(tc, callflow.Internal, OriginConsultation)
	b.caller, b.callerID = a, a.cid
	b.c.truth.CallerAccountID, b.c.truth.Related = a.id, related
	b.dialled(target)
	step := b.nextStep()
	r, link := at(tc, g.secs(0, 1)), at(tc, ring)
	b.c.truth.AnsweredBy, b.c.truth.Answer = target.id, link
	b.add(rowSpec{step: step, owner: a, called: target, start: tc, ring: r, link: link, end: tx, causedBy: target.idStr, answered: true, callerSide: true})
	b.add(rowSpec{step: step, owner: target, called: target, start: tc, ring: r, link: link, end: tx, causedBy: target.idStr, answered: true})
	b.leg(a) // L1: the caller's outgoing leg
	b.leg(target)
	return b.finish()
}

// park parks the call at tp (A10): a's step ends; the unpark step starts at
// tp, never rings, and is linked when a (mostly) or a colleague takes the
// call back.
func (b *builder) park(a *acct, tp time.Time) time.Time {
	g := b.g
	b.transferred = true
	tu := at(tp, g.secs(10, 120))
	who := a
	if g.chance(0.2) {
		if i := g.pickFree(g.homeMembers(a), tu.Unix(), a.idx); i >= 0 {
			who = g.w.agents[i]
		}
	}
	step := b.nextStep()
	end := at(tu, g.secs(20, 300))
	b.add(rowSpec{step: step, owner: who, called: who, start: tp, link: tu, end: end, causedBy: who.idStr, answered: true})
	b.event(callflow.EventParked)
	b.leg(who)
	g.occupy(a.idx, tp)
	g.occupy(who.idx, end)
	return tp
}

// internal simulates a call from a free agent to a colleague: the caller's
// own row (caller-side, L1) and the callee's receiving row.
func (g *gen) internal(t time.Time) *call {
	ai := g.pickFree(nil, t.Unix(), -1)
	if ai < 0 {
		return nil
	}
	a := g.w.agents[ai]
	bi := g.rng.IntN(len(g.w.agents) - 1)
	if bi >= ai {
		bi++
	}
	callee := g.w.agents[bi]
	b := g.newCall(t, callflow.Internal, OriginInternal)
	b.caller, b.callerID = a, a.cid
	b.c.truth.CallerAccountID = a.id
	b.dialled(callee)
	step := b.nextStep()
	spec := rowSpec{step: step, owner: callee, called: callee, start: t}
	switch r := g.rng.Float64(); {
	case !g.free(bi, t.Unix()) || r < 0.04:
		spec.end, spec.causedBy = at(t, g.secs(0, 1)), callee.idStr
		b.terminal = callflow.OutcomeBusy
	case r < 0.09:
		spec.ring = at(t, g.secs(0, 1))
		spec.end, spec.causedBy = at(spec.ring, g.secs(2, 8)), callee.idStr
		b.event(callflow.EventRejected)
		b.terminal = callflow.OutcomeRejected
	case r < 0.27:
		spec.ring = at(t, g.secs(0, 1))
		spec.end, spec.causedBy = at(spec.ring, g.secs(8, 30)), a.idStr
		b.terminal = callflow.OutcomeNotAnswered
	default:
		spec.ring = at(t, g.secs(0, 1))
		spec.link = at(spec.ring, g.agentRing())
		spec.end = at(spec.link, g.secs(15, 300))
		spec.causedBy, spec.answered = callee.idStr, true
		b.c.truth.AnsweredBy, b.c.truth.Answer = callee.id, spec.link
		g.occupy(bi, spec.end)
	}
	g.occupy(ai, spec.end)
	b.add(spec)
	caller := spec
	caller.owner, caller.callerSide = a, true
	b.add(caller)
	b.leg(a)
	b.leg(callee)
	return b.finish()
}

// outbound simulates agent ai (-1: any free agent) calling external party
// idx: the caller-side row only, calledaccountid 0 (L1).
func (g *gen) outbound(t time.Time, party int64, ai int, o Origin, related string) *call {
	if ai < 0 {
		ai = g.pickFree(nil, t.Unix(), -1)
	}
	if ai < 0 {
		return nil
	}
	a := g.w.agents[ai]
	b := g.newCall(t, callflow.Outbound, o)
	b.caller, b.callerID = a, a.cid
	b.line = 1 + g.rng.IntN(2)
	number, name := externalParty(g.seed, uint64(party))
	b.number = number
	tr := &b.c.truth
	tr.CallerAccountID, tr.Number, tr.Related, tr.OutOfHours = a.id, number, related, !g.open(t)
	step := b.nextStep()
	spec := rowSpec{step: step, owner: a, calledID: cdr.CallerID{Name: name, Number: number}, start: t, ring: at(t, g.secs(1, 4)), callerSide: true}
	if g.chance(g.mix.OutboundNoAnswer) {
		spec.end, spec.causedBy = at(spec.ring, g.secs(10, 45)), a.idStr
		b.terminal = callflow.OutcomeNotAnswered
	} else {
		spec.link = at(spec.ring, g.secs(3, 25))
		spec.end = at(spec.link, g.talk())
		spec.causedBy, spec.answered = "0", true
		b.terminal = callflow.OutcomeAnswered
	}
	i := b.add(spec)
	b.c.rows[i].PrivateCall = g.chance(g.mix.Private)
	b.leg(a)
	g.occupy(ai, spec.end)
	return b.finish()
}
