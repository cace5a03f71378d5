package sim

import (
	"strconv"
	"time"

	// The default location must resolve to the same rules on every machine,
	// with or without a system zoneinfo database: the output is part of the
	// tests' expectations.
	_ "time/tzdata"

	"github.com/starinsight/starinsight/cdr"
)

// Sizes and volumes used for zero Config fields.
const (
	DefaultGroups      = 2
	DefaultIQueues     = 2
	DefaultAgents      = 12
	DefaultCallsPerDay = 400
	DefaultDays        = 7
)

// Account id ranges. STARFACE numbers all accounts from one sequence; the
// simulator keeps users, groups and iQueues in separate thousands so that an
// id in a test failure says what it is.
const (
	firstUserID   = 1001
	firstGroupID  = 2001
	firstIQueueID = 3001
	maxAgents     = 999
	maxGroups     = 99
)

// DeletedUserID is the account of a former agent who still receives about 1 %
// of the inbound calls in the simulated history but is missing from
// Accounts: the directory is read today, the call list is history
// (docs/interpretation.md L10).
const DeletedUserID cdr.AccountID = 1000

// Config describes the simulated call centre. The zero value is usable: every
// zero field takes its default. The output is a pure function of Config.
type Config struct {
	Seed uint64
	// Start is the first simulated day; only its date in Location counts
	// (the simulation starts at that local midnight). Zero means Monday
	// 2025-01-06.
	Start time.Time
	Days  int // default DefaultDays
	// Location is the PBX's time zone; default Europe/Berlin.
	Location *time.Location
	// Site is copied to Account.Site and Entry.Site.
	Site string

	// Groups (ring-all), IQueues and Agents size the call centre. Zero
	// means the default; a negative Groups or IQueues means none. Agents
	// is at least 2 (internal calls need two) and at most 999.
	Groups, IQueues, Agents int
	// CallsPerDay is the average number of inbound calls on a weekday;
	// Saturdays get 6 % and Sundays 3 % of it. Internal and outbound calls
	// come on top (Mix.Internal, Mix.Outbound).
	CallsPerDay int
	// Mix holds the scenario probabilities. The zero Mix means DefaultMix;
	// to change one knob start from DefaultMix.
	Mix Mix
}

// Mix holds the probabilities of the simulated scenarios. Each is the chance
// of the scenario at the point in the call flow where it can happen, so the
// knobs are independent of each other; Generate does not renormalise them
// except the four entry weights.
type Mix struct {
	// Where an inbound call goes first: relative weights of an iQueue, a
	// ring-all group, an agent's direct number and the deleted agent
	// (DeletedUserID).
	ToIQueue, ToGroup, ToUser, ToDeleted float64

	// Internal and outbound calls per inbound call.
	Internal, Outbound float64

	// iQueue. QueueNoAgent: refused for no reason the simulation shows (no
	// agent logged in, A12); an iQueue also refuses callers beyond its
	// IQueueSize and every caller out of hours.
	// QueueAbandonAnnouncement: the caller hangs up during the greeting.
	// QueueAbandonWaiting: the caller is impatient and hangs up after 5 s
	// to 3 min of waiting unless an agent answered first, so how many
	// actually abandon depends on the load. QueueTimeout: no agent frees
	// up before the maximum wait (timeout forward to an overflow group).
	// QueueRingNoAnswer: an offered agent lets it ring and the queue
	// offers it to the next.
	QueueNoAgent, QueueAbandonAnnouncement, QueueAbandonWaiting, QueueTimeout, QueueRingNoAnswer float64

	// Ring-all group: nobody answers and the caller hangs up.
	GroupNoAnswer float64
	// IVR: a call to a group or a direct number first passes an IVR module
	// (A7: no row, a gap before ringing).
	IVR float64

	// Direct calls to an agent. UserBusy: the agent is busy on top of the
	// simulated occupancy (a call not in this simulation). BusyForward: a
	// busy agent has a busy forward. AlwaysForward: the first target has an
	// always forward; ChainForward: a forward target forwards again.
	// TimeoutForward: nobody answers and the timeout forward takes it.
	// ForwardExternal: a forward goes to an external number (A13). NoAnswer:
	// the caller hangs up while it rings. Reject: the agent rejects it.
	// Voicemail: the voicemail box takes it. Pickup: a colleague picks it up.
	UserBusy, BusyForward, AlwaysForward, ChainForward, TimeoutForward, ForwardExternal float64
	NoAnswer, Reject, Voicemail, Pickup                                                 float64

	// After an agent answered: blind transfer, attended transfer (with a
	// consultation call), park and unpark; Recorded sets hasmonitor.
	TransferBlind, TransferAttended, Park, Recorded float64
	// Pause: after a call an agent pauses their group and iQueue
	// memberships for 3–20 minutes; direct calls still reach them.
	Pause float64

	// Callers: Withheld number; Private marks an outbound call as private;
	// OutboundNoAnswer: the called party of an outbound call does not
	// answer. Of the lost inbound callers with a number, Callback are called
	// back by an agent and Recall call again themselves; the rest never
	// come back.
	Withheld, Private, OutboundNoAnswer, Callback, Recall float64
}

// DefaultMix returns the default scenario probabilities. With the default
// sizes and volume, four weeks (seeds 1 and 2) give for iQueue calls in
// business hours: 93 % answered, 57–60 % within 20 s (the greeting of
// 5–14 s included), 5 % abandoned, an average speed of answer of 28–30 s;
// about 30 % of the direct calls in business hours find the agent busy.
func DefaultMix() Mix {
	return Mix{
		ToIQueue: 0.55, ToGroup: 0.25, ToUser: 0.19, ToDeleted: 0.01,
		Internal: 0.12, Outbound: 0.25,
		QueueNoAgent: 0.02, QueueAbandonAnnouncement: 0.03, QueueAbandonWaiting: 0.15, QueueTimeout: 0.03, QueueRingNoAnswer: 0.08,
		GroupNoAnswer: 0.08, IVR: 0.15,
		UserBusy: 0.04, BusyForward: 0.5, AlwaysForward: 0.05, ChainForward: 0.2, TimeoutForward: 0.07, ForwardExternal: 0.15,
		NoAnswer: 0.06, Reject: 0.03, Voicemail: 0.08, Pickup: 0.04,
		TransferBlind: 0.04, TransferAttended: 0.03, Park: 0.02, Recorded: 0.02, Pause: 0.15,
		Withheld: 0.05, Private: 0.01, OutboundNoAnswer: 0.3, Callback: 0.45, Recall: 0.35,
	}
}

// normalized returns c with every default filled in and every size clamped.
func (c Config) normalized() Config {
	if c.Location == nil {
		loc, err := time.LoadLocation("Europe/Berlin")
		if err != nil { // cannot happen: time/tzdata is embedded
			loc = time.FixedZone("CET", 3600)
		}
		c.Location = loc
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2025, 1, 6, 0, 0, 0, 0, c.Location)
	} else {
		y, m, d := c.Start.In(c.Location).Date()
		c.Start = time.Date(y, m, d, 0, 0, 0, 0, c.Location)
	}
	if c.Days <= 0 {
		c.Days = DefaultDays
	}
	c.Groups = size(c.Groups, DefaultGroups, 0, maxGroups)
	c.IQueues = size(c.IQueues, DefaultIQueues, 0, maxGroups)
	c.Agents = size(c.Agents, DefaultAgents, 2, maxAgents)
	if c.CallsPerDay <= 0 {
		c.CallsPerDay = DefaultCallsPerDay
	}
	if c.Mix == (Mix{}) {
		c.Mix = DefaultMix()
	}
	if c.IQueues == 0 {
		c.Mix.ToIQueue = 0
	}
	if c.Groups == 0 {
		c.Mix.ToGroup = 0
	}
	if c.Mix.ToIQueue+c.Mix.ToGroup+c.Mix.ToUser+c.Mix.ToDeleted <= 0 {
		c.Mix.ToUser = 1
	}
	return c
}

func size(v, def, lo, hi int) int {
	switch {
	case v == 0:
		v = def
	case v < 0:
		v = 0
	}
	return max(lo, min(v, hi))
}

// Accounts returns the directory of the simulated PBX: the agents (ids from
// 1001), the ring-all groups (from 2001) and the iQueues (from 3001), ordered
// by id. DeletedUserID is not among them.
func (c Config) Accounts() []cdr.Account {
	w := newWorld(c.normalized())
	out := make([]cdr.Account, 0, len(w.agents)+len(w.groups)+len(w.queues))
	for _, list := range [][]*acct{w.agents, w.groups, w.queues} {
		for _, a := range list {
			out = append(out, a.account(c.Site))
		}
	}
	return out
}

// acct is a simulated account with what the generator needs to write rows.
type acct struct {
	id           cdr.AccountID
	idStr        string // the id as callresultcausedby writes it
	typ          cdr.AccountType
	name         string
	login        string // users only
	cid          cdr.CallerID
	idx          int   // index in world.agents; -1 for groups, iQueues and the deleted user
	members      []int // groups and iQueues: agent indexes
	home         int   // users: index of their first group or iQueue in world.targets, -1 if none
	mobile       string
	maxWait      int // iQueues: seconds
	qsize        int // iQueues
	announcement int // iQueues: the greeting's usual length, seconds
}

func (a *acct) account(site string) cdr.Account {
	acc := cdr.Account{ID: a.id, Type: a.typ, Name: a.name, Login: a.login, Site: site}
	if a.typ == cdr.AccountIQueue {
		acc.IQueueSize = a.qsize
		acc.MaxWait = time.Duration(a.maxWait) * time.Second
	}
	return acc
}

// world is the simulated PBX's accounts: a pure function of the sizes.
type world struct {
	agents, groups, queues []*acct
	targets                []*acct // groups then iQueues: the membership index space
	deleted                *acct
}

func newWorld(c Config) *world {
	w := &world{}
	for i := range c.Agents {
		first, last := personName(i)
		ext := strconv.Itoa(101 + i)
		w.agents = append(w.agents, &acct{
			id: firstUserID + cdr.AccountID(i), typ: cdr.AccountUser, idx: i, home: -1,
			name: first + " " + last, login: loginName(first, last, i),
			cid: cdr.CallerID{Name: first + " " + last, Number: ext}, mobile: mobileNumber(uint64(i)),
		})
	}
	for k := range c.Groups {
		name := nth(groupNames, k, "Gruppe ")
		ext := strconv.Itoa(600 + k)
		w.groups = append(w.groups, &acct{id: firstGroupID + cdr.AccountID(k), typ: cdr.AccountGroup, idx: -1, name: name, cid: cdr.CallerID{Name: name, Number: ext}})
	}
	for k := range c.IQueues {
		name := nth(queueNames, k, "iQueue ")
		ext := strconv.Itoa(700 + k)
		w.queues = append(w.queues, &acct{
			id: firstIQueueID + cdr.AccountID(k), typ: cdr.AccountIQueue, idx: -1, name: name,
			cid: cdr.CallerID{Name: name, Number: ext}, maxWait: 180 + 60*(k%3), qsize: 10 + 5*(k%2), announcement: 5 + 3*(k%3),
		})
	}
	w.deleted = &acct{id: DeletedUserID, typ: cdr.AccountUser, idx: -1, home: -1, name: "Markus Alt", login: "markus.alt",
		cid: cdr.CallerID{Name: "Markus Alt", Number: "100"}}
	w.targets = append(append([]*acct{}, w.groups...), w.queues...)
	// Every agent is in one group or iQueue, every other agent in a second
	// one, so that every target has members and some agents serve two.
	if n := len(w.targets); n > 0 {
		for i, a := range w.agents {
			a.home = i % n
			w.targets[a.home].members = append(w.targets[a.home].members, i)
			if second := (i + 1 + i/n) % n; i%2 == 0 && second != a.home {
				w.targets[second].members = append(w.targets[second].members, i)
			}
		}
	}
	for _, a := range w.all() {
		a.idStr = a.id.String()
	}
	return w
}

func (w *world) all() []*acct {
	out := append(append(append([]*acct{}, w.agents...), w.groups...), w.queues...)
	return append(out, w.deleted)
}
