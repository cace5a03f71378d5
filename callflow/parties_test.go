package callflow_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// ptNumber parses a number in its text form ("+49…", "~pseudonym",
// "withheld", "").
func ptNumber(t testing.TB, s string) cdr.PhoneNumber {
	t.Helper()
	n, err := cdr.ParsePhoneNumber(s)
	require.NoError(t, err)
	return n
}

func ptReporter(t testing.TB, cfg callflow.ReportConfig) *callflow.Reporter {
	t.Helper()
	r, err := callflow.NewReporter(cfg)
	require.NoError(t, err)
	return r
}

// ptCall builds a journey of a direction with an external party: the
// caller of an inbound call, the called number of an outbound one.
func ptCall(id string, d callflow.Direction, party cdr.PhoneNumber, arrival time.Time, answered bool, wait, talk time.Duration) callflow.Call {
	j := callflow.Journey{
		CallID: id, Direction: d, Arrival: arrival, End: arrival.Add(wait + talk),
		Answered: answered, Wait: wait, Talk: talk,
	}
	switch d {
	case callflow.Inbound:
		j.CallerNumber = party
	case callflow.Outbound:
		j.CalledNumber = party
		j.CallerAccountID = 11
	case callflow.Internal:
		j.CallerAccountID = 11
	}
	if answered {
		j.Outcome = callflow.OutcomeAnswered
	} else {
		j.Outcome = callflow.OutcomeLostWhileRinging
	}
	return callflow.Call{Journey: j}
}

func ptCalls(t testing.TB) []callflow.Call {
	loc := berlin(t)
	at := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, loc) }
	a, b, c := ptNumber(t, "+49711111"), ptNumber(t, "+49711222"), ptNumber(t, "+49711333")
	s := time.Second
	return []callflow.Call{
		ptCall("a1", callflow.Inbound, a, at(10, 0), true, 10*s, 2*time.Minute),
		ptCall("a2", callflow.Inbound, a, at(11, 0), false, 30*s, 0),
		ptCall("a3", callflow.Inbound, a, at(12, 0), false, 20*s, 0),
		ptCall("b1", callflow.Inbound, b, at(9, 0), false, 40*s, 0),
		ptCall("w1", callflow.Inbound, cdr.Withheld, at(9, 30), true, 5*s, time.Minute),
		ptCall("n1", callflow.Inbound, cdr.PhoneNumber{}, at(9, 40), false, 3*s, 0),
		ptCall("o1", callflow.Outbound, b, at(13, 0), true, 5*s, 10*time.Minute),
		ptCall("o2", callflow.Outbound, c, at(14, 0), false, 25*s, 0),
		ptCall("i1", callflow.Internal, cdr.PhoneNumber{}, at(15, 0), true, 5*s, 20*time.Minute),
	}
}

func TestParties(t *testing.T) {
	loc := berlin(t)
	at := func(h, m, sec int) time.Time { return time.Date(2026, 3, 2, h, m, sec, 0, loc) }
	s := time.Second
	a := callflow.PartyKPI{
		Number: ptNumber(t, "+49711111"), Calls: 3, Answered: 1, Attempts: 2, EverAnswered: true,
		Wait: 60 * s, AvgWait: 20 * s, Talk: 2 * time.Minute, TotalTalk: 2 * time.Minute,
		FirstContact: at(10, 0, 0), LastContact: at(12, 0, 20),
	}
	withheld := callflow.PartyKPI{
		Number: cdr.Withheld, Calls: 2, Answered: 1, Attempts: 1, EverAnswered: true,
		Wait: 8 * s, AvgWait: 4 * s, Talk: time.Minute, TotalTalk: time.Minute,
		FirstContact: at(9, 30, 0), LastContact: at(9, 40, 3),
	}
	b := callflow.PartyKPI{
		Number: ptNumber(t, "+49711222"), Calls: 1, Attempts: 1,
		Wait: 40 * s, AvgWait: 40 * s,
		Outbound: 1, OutboundAnswered: 1, OutboundTalk: 10 * time.Minute, TotalTalk: 10 * time.Minute,
		FirstContact: at(9, 0, 0), LastContact: at(13, 10, 5),
	}
	bInboundOnly := b
	bInboundOnly.Outbound, bInboundOnly.OutboundAnswered, bInboundOnly.OutboundTalk, bInboundOnly.TotalTalk = 0, 0, 0, 0
	bInboundOnly.LastContact = at(9, 0, 40)
	c := callflow.PartyKPI{
		Number: ptNumber(t, "+49711333"), Outbound: 1,
		FirstContact: at(14, 0, 0), LastContact: at(14, 0, 25),
	}
	for _, tc := range []struct {
		name string
		cfg  callflow.ReportConfig
		want []callflow.PartyKPI
	}{
		// Sorted by calls; the withheld and the empty number share a row;
		// the internal call has no external party.
		{"all", callflow.ReportConfig{Location: loc}, []callflow.PartyKPI{a, withheld, b, c}},
		{"inbound only", callflow.ReportConfig{Location: loc, Filter: callflow.Filter{Directions: []callflow.Direction{callflow.Inbound}}},
			[]callflow.PartyKPI{a, withheld, bInboundOnly}},
		{"nothing selected", callflow.ReportConfig{Location: loc, Filter: callflow.Filter{From: at(20, 0, 0)}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ptReporter(t, tc.cfg).Parties(ptCalls(t))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parties (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPartiesEmpty(t *testing.T) {
	r := ptReporter(t, callflow.ReportConfig{})
	require.Empty(t, r.Parties(nil))
	require.Empty(t, r.ExcessiveTalkers(nil))
	// A zero call: inbound from nobody at the zero time is still counted.
	got := r.Parties([]callflow.Call{{Journey: callflow.Journey{Direction: callflow.Inbound}}})
	want := []callflow.PartyKPI{{Number: cdr.Withheld, Calls: 1, Attempts: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parties of a zero call (-want +got):\n%s", diff)
	}
}

func TestExcessiveTalkers(t *testing.T) {
	loc := berlin(t)
	names := func(ps []callflow.PartyKPI) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Number.String()+" "+p.TotalTalk.String())
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		limit time.Duration
		want  []string
	}{
		{"default 1h: nobody", 0, nil},
		// +49711111 talked 2m inbound; +49711222 10m outbound; withheld 1m.
		{"5m", 5 * time.Minute, []string{"+49711222 10m0s"}},
		{"1m is not exceeded by exactly 1m", time.Minute, []string{"+49711222 10m0s", "+49711111 2m0s"}},
		{"59s", 59 * time.Second, []string{"+49711222 10m0s", "+49711111 2m0s", "withheld 1m0s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ptReporter(t, callflow.ReportConfig{Location: loc, ExcessiveTalk: tc.limit})
			if diff := cmp.Diff(tc.want, names(r.ExcessiveTalkers(ptCalls(t)))); diff != "" {
				t.Errorf("ExcessiveTalkers (-want +got):\n%s", diff)
			}
		})
	}
}

// ptPseudonym replaces every identifying number by a keyed hash, as the
// privacy layer does: "~" followed by the HMAC's hex digits.
func ptPseudonym(t testing.TB, n cdr.PhoneNumber) cdr.PhoneNumber {
	if !n.Matchable() {
		return n
	}
	m := hmac.New(sha256.New, []byte("customer key"))
	m.Write([]byte(n.String()))
	return ptNumber(t, "~"+hex.EncodeToString(m.Sum(nil))[:20])
}

// On simulated data: the parties account for every inbound and outbound
// journey, and pseudonymised numbers give the same rows.
func TestPartiesSimulated(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		rows, in, _ := simulated(t, seed, 7)
		calls := in.InterpretAll(rows)
		r := ptReporter(t, callflow.ReportConfig{Location: berlin(t), ExcessiveTalk: 10 * time.Minute})
		parties := r.Parties(calls)
		require.NotEmpty(t, parties)

		var inbound, outbound, sumCalls, sumOut int
		for _, c := range calls {
			switch c.Journey.Direction {
			case callflow.Inbound:
				inbound++
			case callflow.Outbound:
				outbound++
			}
		}
		seen := map[cdr.PhoneNumber]bool{}
		for i, p := range parties {
			sumCalls += p.Calls
			sumOut += p.Outbound
			if p.Calls != p.Answered+p.Attempts || p.EverAnswered != (p.Answered > 0) || p.TotalTalk != p.Talk+p.OutboundTalk {
				t.Errorf("seed %d: inconsistent row %+v", seed, p)
			}
			if p.LastContact.Before(p.FirstContact) {
				t.Errorf("seed %d: %s last contact before first", seed, p.Number)
			}
			if seen[p.Number] || p.Number.IsZero() {
				t.Errorf("seed %d: number %q listed twice or empty", seed, p.Number)
			}
			seen[p.Number] = true
			if i > 0 && parties[i-1].Calls < p.Calls {
				t.Errorf("seed %d: not sorted by calls at %d", seed, i)
			}
		}
		if sumCalls != inbound || sumOut != outbound {
			t.Errorf("seed %d: parties count %d inbound / %d outbound journeys, want %d / %d", seed, sumCalls, sumOut, inbound, outbound)
		}

		// The same report over pseudonymised numbers: the same rows, with
		// the pseudonyms in place of the numbers.
		pseudo := make([]callflow.Call, len(calls))
		for i, c := range calls {
			c.Journey.CallerNumber = ptPseudonym(t, c.Journey.CallerNumber)
			c.Journey.CalledNumber = ptPseudonym(t, c.Journey.CalledNumber)
			pseudo[i] = c
		}
		byNumber := func(ps []callflow.PartyKPI, mapNumber bool) map[cdr.PhoneNumber]callflow.PartyKPI {
			m := map[cdr.PhoneNumber]callflow.PartyKPI{}
			for _, p := range ps {
				if mapNumber {
					p.Number = ptPseudonym(t, p.Number)
				}
				m[p.Number] = p
			}
			return m
		}
		if diff := cmp.Diff(byNumber(parties, true), byNumber(r.Parties(pseudo), false)); diff != "" {
			t.Errorf("seed %d: pseudonymised numbers change the parties (-clear +pseudonymised):\n%s", seed, diff)
		}
		if diff := cmp.Diff(byNumber(r.ExcessiveTalkers(calls), true), byNumber(r.ExcessiveTalkers(pseudo), false)); diff != "" {
			t.Errorf("seed %d: pseudonymised numbers change the excessive talkers (-clear +pseudonymised):\n%s", seed, diff)
		}
	}
}
