package callflow

import (
	"cmp"
	"slices"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// PartyKPI is what one external party did with the hotline (DOMAIN.md
// §3.4, external party comparison): did this caller ever reach the
// hotline, how often did they call, how long did it ring for them.
//
// A party is a phone number, compared as a [cdr.PhoneNumber] value: the
// normalised number, or whatever stands in its place, so a report over
// pseudonymised (keyed-hash) numbers groups the same calls as one over the
// clear numbers. Calls from a withheld number, or with no number at all,
// cannot be told apart: they share one row whose Number is [cdr.Withheld].
type PartyKPI struct {
	Number cdr.PhoneNumber `json:"number"`

	// Calls counts the inbound journeys from the number; Answered those a
	// user answered; Attempts those nobody answered (lost, voicemail,
	// forwarded away, …): Calls == Answered + Attempts.
	Calls    int `json:"calls"`
	Answered int `json:"answered"`
	Attempts int `json:"attempts"`
	// EverAnswered reports whether the party reached a user at least once
	// in the range (Answered > 0).
	EverAnswered bool `json:"everAnswered"`

	// Wait is how long it rang for the party, summed over its inbound
	// journeys: Journey.Wait, announcement and queue included; AvgWait is
	// Wait over Calls.
	Wait    time.Duration `json:"wait"`
	AvgWait time.Duration `json:"avgWait"`
	// Talk is the talk time of its inbound journeys.
	Talk time.Duration `json:"talk"`

	// Outbound counts the outgoing journeys to the number (the party as a
	// contact), OutboundAnswered those it answered, OutboundTalk their talk.
	Outbound         int           `json:"outbound"`
	OutboundAnswered int           `json:"outboundAnswered"`
	OutboundTalk     time.Duration `json:"outboundTalk"`

	// TotalTalk is the talk volume with the party in both directions:
	// Talk + OutboundTalk. ExcessiveTalkers compares it with the limit.
	TotalTalk time.Duration `json:"totalTalk"`

	// FirstContact is the earliest arrival of a journey with the party;
	// LastContact the latest time one of them arrived or ended.
	FirstContact time.Time `json:"firstContact,omitzero"`
	LastContact  time.Time `json:"lastContact,omitzero"`
}

// partyKey maps a number to its row: numbers that identify nobody (none,
// withheld) share the withheld row, so no call is dropped.
func partyKey(n cdr.PhoneNumber) cdr.PhoneNumber {
	if n.IsZero() || n.Kind() == cdr.NumberWithheld {
		return cdr.Withheld
	}
	return n
}

// Parties returns one PartyKPI per external number of the selected
// journeys: the caller number of inbound journeys and the called number of
// outbound journeys. Internal journeys have no external party and are not
// counted. Business hours do not matter here: a party's calls outside them
// count too.
//
// Rows are sorted by Calls (descending), then by the number's text form.
func (r *Reporter) Parties(calls []Call) []PartyKPI {
	idx := make(map[cdr.PhoneNumber]int)
	var out []PartyKPI
	row := func(n cdr.PhoneNumber) *PartyKPI {
		n = partyKey(n)
		i, ok := idx[n]
		if !ok {
			i = len(out)
			idx[n] = i
			out = append(out, PartyKPI{Number: n})
		}
		return &out[i]
	}
	for i := range calls {
		j := &calls[i].Journey
		if !r.Selected(j) {
			continue
		}
		var p *PartyKPI
		switch j.Direction {
		case Inbound:
			p = row(j.CallerNumber)
			p.Calls++
			if j.Answered {
				p.Answered++
			} else {
				p.Attempts++
			}
			p.Wait += j.Wait
			p.Talk += j.Talk
		case Outbound:
			p = row(j.CalledNumber)
			p.Outbound++
			if j.Answered {
				p.OutboundAnswered++
			}
			p.OutboundTalk += j.Talk
		default:
			continue
		}
		if !j.Arrival.IsZero() && (p.FirstContact.IsZero() || j.Arrival.Before(p.FirstContact)) {
			p.FirstContact = j.Arrival
		}
		last := j.End
		if last.Before(j.Arrival) {
			last = j.Arrival
		}
		if last.After(p.LastContact) {
			p.LastContact = last
		}
	}
	for i := range out {
		p := &out[i]
		p.EverAnswered = p.Answered > 0
		p.AvgWait = meanOf(p.Wait, p.Calls)
		p.TotalTalk = p.Talk + p.OutboundTalk
	}
	slices.SortFunc(out, func(a, b PartyKPI) int {
		if c := cmp.Compare(b.Calls, a.Calls); c != 0 {
			return c
		}
		return cmp.Compare(a.Number.String(), b.Number.String())
	})
	return out
}

// ExcessiveTalkers returns the parties whose talk volume (TotalTalk, both
// directions) exceeds the configured ExcessiveTalk (default 1 h): the
// callers with excessive talk volume of DOMAIN.md §3.4. They are sorted by
// TotalTalk (descending), then by number. The withheld row is included
// when it exceeds the limit: it may be several people.
func (r *Reporter) ExcessiveTalkers(calls []Call) []PartyKPI {
	var out []PartyKPI
	for _, p := range r.Parties(calls) {
		if p.TotalTalk > r.cfg.ExcessiveTalk {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b PartyKPI) int {
		if c := cmp.Compare(b.TotalTalk, a.TotalTalk); c != 0 {
			return c
		}
		return cmp.Compare(a.Number.String(), b.Number.String())
	})
	return out
}
