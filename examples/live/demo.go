package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/live/starfacetest"
)

// demo is a small call centre on a fake PBX (package live/starfacetest),
// and the simulation that moves it on: callers arrive in the groups and
// wait, ring at a ready agent, talk and hang up; agents pause for wrap-up
// and log in and out. It drives the fake through the same calls a test
// would use; the example reads the fake exactly as it reads a real PBX.
type demo struct {
	pbx    *starfacetest.PBX
	loc    *time.Location
	rng    *rand.Rand
	agents []*demoAgent
	groups map[int64][]*demoAgent
	calls  []*demoCall
	nextID int
}

type demoAgent struct {
	id       int64
	login    string
	groups   []int64
	state    string // the UCI telephony state
	loggedIn bool
}

type demoCall struct {
	id     string
	group  int64
	agent  *demoAgent // nil while waiting
	state  string
	number string
}

// The demo's logins: the supervisor reads the PBX, the agents' UCI
// sessions show their live state.
const (
	demoPassword   = "demo"
	supervisorID   = 1
	supervisorUser = "0001"
)

// newDemo builds the demo call centre: a supervisor, six agents in two
// groups, one call connected, one waiting, one agent pausing and one
// logged out. seed makes the simulation repeatable.
func newDemo(loc *time.Location, seed uint64) *demo {
	d := &demo{
		pbx:    starfacetest.New(starfacetest.WithLocation(loc)),
		loc:    loc,
		rng:    rand.New(rand.NewPCG(seed, 0x5eed)),
		groups: map[int64][]*demoAgent{},
	}
	d.pbx.AddUser(starfacetest.User{ID: supervisorID, Login: supervisorUser, Password: demoPassword,
		FirstName: "Sam", FamilyName: "Supervisor", Admin: true})
	d.pbx.SetUserState(supervisorID, starfacetest.UserState{TelephonyState: string(live.TelephonyAvailable)})
	names := [][2]string{{"Anna", "Albers"}, {"Ben", "Berger"}, {"Clara", "Claus"}, {"David", "Dorn"}, {"Eva", "Ebert"}, {"Felix", "Fink"}}
	for i, n := range names {
		a := &demoAgent{id: int64(2 + i), login: fmt.Sprintf("%04d", 2+i), state: string(live.TelephonyAvailable), loggedIn: true}
		d.pbx.AddUser(starfacetest.User{ID: a.id, Login: a.login, Password: demoPassword, FirstName: n[0], FamilyName: n[1]})
		d.agents = append(d.agents, a)
	}
	// Sales: Anna, Ben, Clara, David; Support: Clara, David, Eva, Felix.
	for _, g := range []struct {
		id      int64
		name    string
		members []int
	}{{10, "Sales", []int{0, 1, 2, 3}}, {11, "Support", []int{2, 3, 4, 5}}} {
		var ids []int64
		for _, m := range g.members {
			a := d.agents[m]
			a.groups = append(a.groups, g.id)
			d.groups[g.id] = append(d.groups[g.id], a)
			ids = append(ids, a.id)
		}
		d.pbx.AddGroup(starfacetest.Group{ID: g.id, Name: g.name}, ids...)
	}
	d.agents[3].state = string(live.TelephonyQueuePause) // David: wrap-up
	d.agents[5].loggedIn = false                         // Felix: logged out
	d.agents[5].state = string(live.TelephonyUnavailable)
	d.pbx.SetRedirect(starfacetest.Redirect{ID: "fwd-felix", UserID: d.agents[5].id, Trigger: "ALWAYS", Enabled: true, Destination: "+4915112345678"})
	for _, a := range d.agents {
		d.sync(a)
	}
	// Anna talks to a Sales caller since 83 s ago; a caller waits in Support.
	c := d.arrive(10)
	c.agent, c.state = d.agents[0], string(live.CallConnected)
	d.agents[0].state = string(live.TelephonyActive)
	d.sync(d.agents[0])
	d.publish(c, time.Now().Add(-83*time.Second))
	d.arrive(11)
	return d
}

// source returns a live.Starface client reading the demo PBX in-process,
// with a UCI session per agent.
func (d *demo) source(site string) (*live.Starface, error) {
	opts := []live.StarfaceOption{live.WithStarfaceHTTPClient(d.pbx.Client()), live.WithStarfaceSite(site), live.WithStarfaceLocation(d.loc)}
	for _, a := range d.agents {
		opts = append(opts, live.WithUCIUser(a.login, demoPassword))
	}
	return live.NewStarface("https://pbx.demo", supervisorUser, demoPassword, opts...)
}

// step moves the call centre on by one refresh.
func (d *demo) step() {
	// Talking callers hang up; the agent wraps up or is ready again.
	d.calls = slices.DeleteFunc(d.calls, func(c *demoCall) bool {
		switch {
		case c.state == string(live.CallConnected) && d.rng.Float64() < 0.3:
			c.agent.state = string(live.TelephonyAvailable)
			if d.rng.Float64() < 0.4 {
				c.agent.state = string(live.TelephonyQueuePause)
			}
			d.sync(c.agent)
			d.pbx.EndCall(c.id)
			return true
		case c.agent == nil && d.rng.Float64() < 0.1: // a waiting caller gives up
			d.pbx.EndCall(c.id)
			return true
		}
		return false
	})
	// Wrap-up ends; now and then an agent logs in or out.
	for _, a := range d.agents {
		switch {
		case a.state == string(live.TelephonyQueuePause) && d.rng.Float64() < 0.35:
			a.state = string(live.TelephonyAvailable)
		case a.state != string(live.TelephonyActive) && a.state != string(live.TelephonyRinging) && d.rng.Float64() < 0.04:
			a.loggedIn = !a.loggedIn
			a.state = string(live.TelephonyAvailable)
			if !a.loggedIn {
				a.state = string(live.TelephonyUnavailable)
			}
		}
		d.sync(a)
	}
	// A ringing call is answered; a waiting one rings at a ready member.
	for _, c := range d.calls {
		switch {
		case c.state == string(live.CallRinging):
			c.state = string(live.CallConnected)
			c.agent.state = string(live.TelephonyActive)
			d.sync(c.agent)
			d.publish(c, time.Now())
		case c.agent == nil:
			if a := d.ready(c.group); a != nil {
				c.agent, c.state = a, string(live.CallRinging)
				a.state = string(live.TelephonyRinging)
				d.sync(a)
				d.publish(c, time.Now())
			}
		}
	}
	// New callers: none, one or two.
	for range d.rng.IntN(3) {
		d.arrive(10 + int64(d.rng.IntN(2)))
	}
}

// ready returns a random ready member of a group: logged in, available.
func (d *demo) ready(group int64) *demoAgent {
	var ready []*demoAgent
	for _, a := range d.groups[group] {
		if a.loggedIn && a.state == string(live.TelephonyAvailable) {
			ready = append(ready, a)
		}
	}
	if len(ready) == 0 {
		return nil
	}
	return ready[d.rng.IntN(len(ready))]
}

// arrive adds a caller waiting in a group.
func (d *demo) arrive(group int64) *demoCall {
	d.nextID++
	c := &demoCall{id: fmt.Sprintf("demo-call-%d", d.nextID), group: group, state: string(live.CallIncoming),
		number: fmt.Sprintf("+49711%07d", d.rng.IntN(10_000_000))}
	d.calls = append(d.calls, c)
	d.publish(c, time.Now())
	return c
}

// publish shows a call on the PBX: a waiting call to the group's
// logged-in members, as a queue call is offered to them, and to the
// supervisor, who watches the queues; a ringing or connected one to its
// agent only.
func (d *demo) publish(c *demoCall, since time.Time) {
	call := starfacetest.Call{ID: c.id, State: c.state, CallerNumber: c.number,
		CalledName: "Hotline", GroupID: fmt.Sprint(c.group), Timestamp: since}
	if c.agent != nil {
		call.UserID = c.agent.id
	} else {
		call.UserID = supervisorID
		for _, a := range d.groups[c.group] {
			if a.loggedIn {
				call.SeenBy = append(call.SeenBy, a.id)
			}
		}
	}
	d.pbx.StartCall(call)
}

// sync writes an agent's state and group logins to the PBX.
func (d *demo) sync(a *demoAgent) {
	d.pbx.SetUserState(a.id, starfacetest.UserState{TelephonyState: a.state})
	for _, g := range a.groups {
		d.pbx.SetGroupLogin(g, a.id, a.loggedIn)
	}
}
