package callflow_test

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// tdLeg is a leg of an agent (user 11, 12, …) or a group (200).
type tdLeg struct {
	account            cdr.AccountID
	incoming, answered bool
	ring, agentRing    time.Duration
	talk               time.Duration
	end                time.Time
}

func tdCall(id string, d callflow.Direction, arrival time.Time, answered bool, legs ...tdLeg) callflow.Call {
	c := callflow.Call{Journey: callflow.Journey{CallID: id, Direction: d, Arrival: arrival, End: arrival, Answered: answered}}
	for i, l := range legs {
		typ := cdr.AccountUser
		if l.account >= 200 {
			typ = cdr.AccountGroup
		}
		c.Legs = append(c.Legs, callflow.Leg{CallID: id, Seq: i, AccountID: l.account, AccountType: typ,
			Incoming: l.incoming, Answered: l.answered, Arrival: arrival, End: l.end,
			Ring: l.ring, AgentRing: l.agentRing, Talk: l.talk})
		if l.end.After(c.Journey.End) {
			c.Journey.End = l.end
		}
	}
	return c
}

// tdDay is the hand-computed day of TestToday, 2026-03-02 in Berlin.
func tdDay(t testing.TB) []callflow.Call {
	loc := berlin(t)
	at := func(h, m, s int) time.Time { return time.Date(2026, 3, 2, h, m, s, 0, loc) }
	s := time.Second
	return []callflow.Call{
		// Support (200) rings; Ben (12) answers after 12 s, his own
		// phone rang 8 s of them; talk 1m30s.
		tdCall("c1", callflow.Inbound, at(10, 0, 0), true,
			tdLeg{12, true, true, 12 * s, 8 * s, 90 * s, at(10, 1, 43)}),
		// Anna (11) does not answer, the call moves on to Ben, who answers
		// after 3 s and talks 1 minute.
		tdCall("c2", callflow.Inbound, at(10, 5, 0), true,
			tdLeg{11, true, false, 15 * s, 0, 0, at(10, 5, 16)},
			tdLeg{12, true, true, 3 * s, 3 * s, 60 * s, at(10, 6, 20)}),
		// Lost in Support: a group leg, no agent's.
		tdCall("c3", callflow.Inbound, at(10, 30, 0), false,
			tdLeg{200, true, false, 30 * s, 0, 0, at(10, 30, 31)}),
		// Anna calls a customer and talks 5 minutes.
		tdCall("c4", callflow.Outbound, at(11, 0, 0), true,
			tdLeg{11, false, true, 9 * s, 0, 5 * time.Minute, at(11, 5, 9)}),
	}
}

func tdWant(t testing.TB) callflow.TodayFigures {
	loc := berlin(t)
	at := func(h, m, s int) time.Time { return time.Date(2026, 3, 2, h, m, s, 0, loc) }
	s := time.Second
	return callflow.TodayFigures{
		Date:  callflow.Date{Year: 2026, Month: 3, Day: 2},
		Calls: 4, Inbound: 3, Answered: 2, Missed: 1,
		AnsweredLegs: 2, AvgTalk: 75 * s, AvgRing: 7500 * time.Millisecond,
		Agents: []callflow.AgentToday{
			{AgentID: 11, Missed: 1, Outgoing: 1, OutgoingTalk: 5 * time.Minute, LastCallEnd: at(11, 5, 9)},
			{AgentID: 12, Handled: 2, Talk: 150 * s, AvgTalk: 75 * s, Ring: 11 * s, AvgRing: 5500 * time.Millisecond, LastCallEnd: at(10, 6, 20)},
		},
	}
}

func TestToday(t *testing.T) {
	loc := berlin(t)
	noon := time.Date(2026, 3, 2, 12, 0, 0, 0, loc)
	r := ptReporter(t, callflow.ReportConfig{Location: loc})
	want := tdWant(t)

	t.Run("hand computed", func(t *testing.T) {
		today := r.NewToday()
		for _, c := range tdDay(t) {
			require.True(t, today.Add(c))
		}
		if diff := gocmp.Diff(want, today.Figures(noon)); diff != "" {
			t.Errorf("Figures (-want +got):\n%s", diff)
		}
	})

	t.Run("re-emitted call is not double counted", func(t *testing.T) {
		today := r.NewToday()
		day := tdDay(t)
		// c2 first without Ben's row: unanswered, Anna missed it. Then the
		// Assembler re-emits it complete; c1 comes twice.
		partial := day[1]
		partial.Journey.Answered = false
		partial.Legs = partial.Legs[:1]
		today.Add(partial)
		require.Equal(t, 1, today.Figures(noon).Missed)
		complete := day[1]
		complete.Journey.Flags |= callflow.FlagReopened
		today.Add(complete)
		today.Add(day[0])
		today.Add(day[0])
		today.Add(day[2])
		today.Add(day[3])
		if diff := gocmp.Diff(want, today.Figures(noon)); diff != "" {
			t.Errorf("Figures (-want +got):\n%s", diff)
		}
	})

	t.Run("re-emitted call that ends earlier for an agent", func(t *testing.T) {
		today := r.NewToday()
		for _, c := range tdDay(t) {
			today.Add(c)
		}
		// A first version of c5 has Anna on the phone until 15:00; the
		// complete call ends her leg at 11:00: her last call end falls back
		// to c4's 11:05:09.
		c5 := tdCall("c5", callflow.Outbound, time.Date(2026, 3, 2, 10, 50, 0, 0, loc), true,
			tdLeg{11, false, true, 0, 0, 4*time.Hour + 10*time.Minute, time.Date(2026, 3, 2, 15, 0, 0, 0, loc)})
		today.Add(c5)
		require.Equal(t, time.Date(2026, 3, 2, 15, 0, 0, 0, loc), today.Figures(noon).Agents[0].LastCallEnd)
		c5.Legs[0].End, c5.Legs[0].Talk = time.Date(2026, 3, 2, 11, 0, 0, 0, loc), 10*time.Minute
		c5.Journey.Flags |= callflow.FlagReopened
		today.Add(c5)
		got := today.Figures(noon).Agents[0]
		wantAnna := want.Agents[0]
		wantAnna.Outgoing, wantAnna.OutgoingTalk = 2, 15*time.Minute
		if diff := gocmp.Diff(wantAnna, got); diff != "" {
			t.Errorf("Anna (-want +got):\n%s", diff)
		}
	})

	t.Run("re-emitted call the filter no longer selects", func(t *testing.T) {
		answered := true
		r := ptReporter(t, callflow.ReportConfig{Location: loc, Filter: callflow.Filter{Answered: &answered}})
		today := r.NewToday()
		c := tdDay(t)[0]
		require.True(t, today.Add(c))
		c.Journey.Answered = false
		require.False(t, today.Add(c))
		got := today.Figures(noon)
		if diff := gocmp.Diff(callflow.TodayFigures{Date: want.Date, Agents: []callflow.AgentToday{}}, got); diff != "" {
			t.Errorf("Figures (-want +got):\n%s", diff)
		}
	})

	t.Run("late rows are a call of their own", func(t *testing.T) {
		today := r.NewToday()
		c := tdDay(t)[2]
		today.Add(c)
		late := c
		late.Journey.Flags |= callflow.FlagLateRows
		today.Add(late)
		today.Add(late)
		require.Equal(t, 2, today.Figures(noon).Missed)
	})

	t.Run("business hours", func(t *testing.T) {
		hours := &callflow.BusinessHours{Periods: []callflow.OpeningPeriod{{Days: callflow.EveryDay, Hours: callflow.ClockRange{From: callflow.Clock(10, 15, 0), To: callflow.Clock(18, 0, 0)}}}}
		r := ptReporter(t, callflow.ReportConfig{Location: loc, BusinessHours: hours})
		today := r.NewToday()
		day := tdDay(t)
		lostEarly := tdCall("c0", callflow.Inbound, time.Date(2026, 3, 2, 7, 0, 0, 0, loc), false)
		for _, c := range append(day, lostEarly) {
			today.Add(c)
		}
		got := today.Figures(noon)
		require.Equal(t, []int{5, 4, 2, 1, 1}, []int{got.Calls, got.Inbound, got.Answered, got.Missed, got.MissedOutOfHours})
	})
}

func TestTodayDays(t *testing.T) {
	loc := berlin(t)
	r := ptReporter(t, callflow.ReportConfig{Location: loc})
	day := tdDay(t)
	s := time.Second

	t.Run("empty", func(t *testing.T) {
		got := r.NewToday().Figures(time.Date(2026, 3, 2, 12, 0, 0, 0, loc))
		want := callflow.TodayFigures{Date: callflow.Date{Year: 2026, Month: 3, Day: 2}, Agents: []callflow.AgentToday{}}
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Errorf("Figures (-want +got):\n%s", diff)
		}
	})

	t.Run("rollover", func(t *testing.T) {
		today := r.NewToday()
		for _, c := range day {
			today.Add(c)
		}
		// 00:30 on the next day in Berlin is still the 2nd in UTC: the
		// Reporter's zone decides.
		next := tdCall("d1", callflow.Inbound, time.Date(2026, 3, 3, 0, 30, 0, 0, loc), true,
			tdLeg{13, true, true, 4 * s, 4 * s, 20 * s, time.Date(2026, 3, 3, 0, 30, 24, 0, loc)})
		require.True(t, today.Add(next))
		require.False(t, today.Add(day[0]), "a call of the previous day is not counted")

		old := today.Figures(time.Date(2026, 3, 2, 23, 0, 0, 0, loc))
		require.Equal(t, callflow.TodayFigures{Date: callflow.Date{Year: 2026, Month: 3, Day: 2}, Agents: []callflow.AgentToday{}}, old)
		got := today.Figures(time.Date(2026, 3, 3, 1, 0, 0, 0, loc))
		want := callflow.TodayFigures{
			Date: callflow.Date{Year: 2026, Month: 3, Day: 3}, Calls: 1, Inbound: 1, Answered: 1,
			AnsweredLegs: 1, AvgTalk: 20 * s, AvgRing: 4 * s,
			Agents: []callflow.AgentToday{{AgentID: 13, Handled: 1, Talk: 20 * s, AvgTalk: 20 * s, Ring: 4 * s, AvgRing: 4 * s, LastCallEnd: next.Legs[0].End}},
		}
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Errorf("Figures of the new day (-want +got):\n%s", diff)
		}
		// Re-adding a call of the dropped day changes nothing.
		today.Add(day[1])
		if diff := gocmp.Diff(want, today.Figures(time.Date(2026, 3, 3, 1, 0, 0, 0, loc))); diff != "" {
			t.Errorf("a call of the dropped day changed the figures (-want +got):\n%s", diff)
		}
	})

	t.Run("the 25-hour day", func(t *testing.T) {
		today := r.NewToday()
		early := tdCall("e1", callflow.Inbound, time.Date(2026, 10, 25, 0, 30, 0, 0, loc), false)
		repeated := tdCall("e2", callflow.Inbound, time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), false) // 02:30 CET
		late := tdCall("e3", callflow.Inbound, time.Date(2026, 10, 25, 23, 30, 0, 0, loc), false)
		for _, c := range []callflow.Call{early, repeated, late} {
			require.True(t, today.Add(c))
		}
		require.Equal(t, 3, today.Figures(time.Date(2026, 10, 25, 23, 59, 0, 0, loc)).Missed)
		require.True(t, today.Add(tdCall("e4", callflow.Inbound, time.Date(2026, 10, 26, 0, 0, 0, 0, loc), false)))
		require.Equal(t, 1, today.Figures(time.Date(2026, 10, 26, 8, 0, 0, 0, loc)).Missed)
	})
}

// tdReference computes a day's figures from scratch, the way the live view
// is defined: the yardstick of the incremental Today.
func tdReference(r *callflow.Reporter, calls []callflow.Call, day callflow.Date) callflow.TodayFigures {
	f := callflow.TodayFigures{Date: day, Agents: []callflow.AgentToday{}}
	agents := map[cdr.AccountID]*callflow.AgentToday{}
	var talk, ring time.Duration
	for _, c := range calls {
		j := c.Journey
		if callflow.DateOf(j.Arrival.In(r.Location())) != day || !r.Selected(&j) {
			continue
		}
		f.Calls++
		if j.Direction == callflow.Inbound {
			f.Inbound++
			switch {
			case j.Answered:
				f.Answered++
			case r.InHours(&j):
				f.Missed++
			default:
				f.MissedOutOfHours++
			}
		}
		for _, l := range c.Legs {
			if l.AccountType.IsGroup() {
				continue
			}
			a := agents[l.AccountID]
			if a == nil {
				a = &callflow.AgentToday{AgentID: l.AccountID}
				agents[l.AccountID] = a
			}
			switch {
			case !l.Incoming:
				a.Outgoing++
				a.OutgoingTalk += l.Talk
			case l.Answered:
				a.Handled++
				a.Talk += l.Talk
				a.Ring += l.AgentRing
				f.AnsweredLegs++
				talk += l.Talk
				ring += l.Ring
			default:
				a.Missed++
			}
			if l.End.After(a.LastCallEnd) {
				a.LastCallEnd = l.End
			}
		}
	}
	if f.AnsweredLegs > 0 {
		f.AvgTalk, f.AvgRing = talk/time.Duration(f.AnsweredLegs), ring/time.Duration(f.AnsweredLegs)
	}
	for _, a := range agents {
		if a.Handled > 0 {
			a.AvgTalk, a.AvgRing = a.Talk/time.Duration(a.Handled), a.Ring/time.Duration(a.Handled)
		}
		f.Agents = append(f.Agents, *a)
	}
	slices.SortFunc(f.Agents, func(a, b callflow.AgentToday) int { return cmp.Compare(a.AgentID, b.AgentID) })
	return f
}

func tdKey(j *callflow.Journey) string {
	k := j.Site + "\x00" + j.CallID
	if j.Flags.Has(callflow.FlagLateRows) {
		k += "\x00late"
	}
	return k
}

// Property: fed call by call from an Assembler with a short grace (which
// re-emits calls whose rows come late) and with random duplicates, Today's
// figures equal a fresh computation over the latest version of every call
// of the day, at every moment a day ends and at the end.
func TestTodayIncrementalEqualsRecomputation(t *testing.T) {
	loc := berlin(t)
	hours := &callflow.BusinessHours{Periods: []callflow.OpeningPeriod{{Days: callflow.MondayToFriday, Hours: callflow.ClockRange{From: callflow.Clock(8, 0, 0), To: callflow.Clock(17, 0, 0)}}}}
	inbound := []callflow.Direction{callflow.Inbound}
	for _, tc := range []struct {
		name string
		cfg  callflow.ReportConfig
	}{
		{"all calls", callflow.ReportConfig{Location: loc}},
		{"inbound, business hours", callflow.ReportConfig{Location: loc, BusinessHours: hours, Filter: callflow.Filter{Directions: inbound}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, seed := range []uint64{7, 8} {
				rows, in, _ := simulated(t, seed, 3)
				r := ptReporter(t, tc.cfg)
				a, err := callflow.NewAssembler(in, callflow.WithGrace(30*time.Second))
				require.NoError(t, err)
				rnd := rand.New(rand.NewPCG(seed, 1))

				today := r.NewToday()
				latest := map[string]callflow.Call{}
				var current callflow.Date
				started, reopened, checks := false, 0, 0
				check := func(when string) {
					t.Helper()
					var calls []callflow.Call
					for _, c := range latest {
						calls = append(calls, c)
					}
					noon := time.Date(current.Year, current.Month, current.Day, 12, 0, 0, 0, loc)
					if diff := gocmp.Diff(tdReference(r, calls, current), today.Figures(noon)); diff != "" {
						t.Fatalf("seed %d, %s of %v: incremental figures differ from a recomputation (-recomputed +incremental):\n%s", seed, when, current, diff)
					}
					checks++
				}
				feed := func(c callflow.Call) {
					day := callflow.DateOf(c.Journey.Arrival.In(loc))
					if started && day != current && time.Date(day.Year, day.Month, day.Day, 0, 0, 0, 0, time.UTC).After(time.Date(current.Year, current.Month, current.Day, 0, 0, 0, 0, time.UTC)) {
						check("end")
						clear(latest)
						current = day
					}
					if !started {
						started, current = true, day
					}
					if c.Journey.Flags.Has(callflow.FlagReopened) {
						reopened++
					}
					counted := today.Add(c)
					if day == current {
						latest[tdKey(&c.Journey)] = c
					}
					if counted != (day == current && r.Selected(&c.Journey)) {
						t.Fatalf("seed %d: Add(%s) = %v on %v", seed, c.Journey.CallID, counted, current)
					}
					if rnd.IntN(10) == 0 { // the same call once more
						today.Add(c)
					}
					if rnd.IntN(100) == 0 {
						check("during the day")
					}
				}
				for _, e := range rows {
					for _, c := range a.Add(e) {
						feed(c)
					}
				}
				for _, c := range a.Flush() {
					feed(c)
				}
				check("last moment")
				t.Logf("seed %d: %d re-emitted calls, %d comparisons", seed, reopened, checks)
				require.NotZero(t, reopened, "the data must exercise re-emitted calls")
				require.GreaterOrEqual(t, checks, 10)
			}
		})
	}
}

func TestTodayConcurrent(t *testing.T) {
	loc := berlin(t)
	today := ptReporter(t, callflow.ReportConfig{Location: loc}).NewToday()
	noon := time.Date(2026, 3, 2, 12, 0, 0, 0, loc)
	day := tdDay(t)
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 100 {
			for _, c := range day {
				today.Add(c)
			}
		}
	})
	wg.Go(func() {
		for range 100 {
			_ = today.Figures(noon)
		}
	})
	wg.Wait()
	if diff := gocmp.Diff(tdWant(t), today.Figures(noon)); diff != "" {
		t.Errorf("Figures (-want +got):\n%s", diff)
	}
}

// BenchmarkTodayAdd adds a simulated week call by call, as a live view
// does, starting a fresh Today every time the week has been added.
func BenchmarkTodayAdd(b *testing.B) {
	rows, in, _ := simulated(b, 9, 7)
	calls := in.InterpretAll(rows)
	r := ptReporter(b, callflow.ReportConfig{Location: berlin(b)})
	today := r.NewToday()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if i == len(calls) {
			i, today = 0, r.NewToday()
		}
		today.Add(calls[i])
		i++
	}
}
