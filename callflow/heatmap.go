package callflow

import (
	"time"
)

// HeatMap counts the selected journeys per weekday and hour of arrival in
// the Reporter's zone (DOMAIN.md §3.4, overview heat map). The first index
// is the weekday, Monday first (0 = Monday … 6 = Sunday); the second the
// wall-clock hour, 0–23. On the day DST starts the skipped hour stays
// empty; on the day it ends the repeated hour counts twice under its
// wall-clock hour (02:00–02:59 in Europe/Berlin).
type HeatMap struct {
	// Calls counts the journeys of every direction.
	Calls [7][24]int `json:"calls"`
	// Answered counts those a user answered.
	Answered [7][24]int `json:"answered"`
	// Unanswered counts the inbound journeys no user answered, in
	// business hours or not: the map shows when they came. It is wider
	// than the lost calls of LostCalls (any target, voicemail and forwards
	// away included), which only group visits make.
	Unanswered [7][24]int `json:"unanswered"`
	// Undated counts journeys without an arrival time (zero), which have
	// no cell. The interpreter always sets one; hand-built input may not.
	Undated int `json:"undated,omitempty"`
}

// At returns the calls of weekday d at the hour (0 outside 0–23).
func (h *HeatMap) At(d time.Weekday, hour int) int {
	if hour < 0 || hour > 23 || d < time.Sunday || d > time.Saturday {
		return 0
	}
	return h.Calls[mondayFirst(d)][hour]
}

// mondayFirst maps Sunday=0 … Saturday=6 to Monday=0 … Sunday=6.
func mondayFirst(d time.Weekday) int { return (int(d) + 6) % 7 }

// HeatMap counts the selected journeys per weekday and hour of arrival.
func (r *Reporter) HeatMap(calls []Call) HeatMap {
	var h HeatMap
	for i := range calls {
		j := &calls[i].Journey
		if !r.Selected(j) {
			continue
		}
		if j.Arrival.IsZero() {
			h.Undated++
			continue
		}
		lt := j.Arrival.In(r.loc)
		d, hr := mondayFirst(lt.Weekday()), lt.Hour()
		h.Calls[d][hr]++
		if j.Answered {
			h.Answered[d][hr]++
		} else if j.Direction == Inbound {
			h.Unanswered[d][hr]++
		}
	}
	return h
}

// DayCount is one calendar day of CallsPerDay.
type DayCount struct {
	Date Date `json:"date"`
	// Calls counts the journeys of every direction that arrived that day;
	// Answered those a user answered.
	Calls    int `json:"calls"`
	Answered int `json:"answered"`
	// Inbound counts the inbound journeys; Unanswered those no user
	// answered that arrived in business hours (all of them without
	// business hours), and UnansweredOutOfHours those outside, counted
	// apart as DOMAIN.md §3.5 asks. As in HeatMap, this is wider than the
	// lost calls of LostCalls.
	Inbound              int `json:"inbound"`
	Unanswered           int `json:"unanswered"`
	UnansweredOutOfHours int `json:"unansweredOutOfHours,omitempty"`
}

// CallsPerDay counts the selected journeys per calendar day of arrival in
// the Reporter's zone (the calls-per-day view of a month). Every day from
// the first to the last is listed, days without calls as zeros; the range
// runs from the filter's From (else the first call's day) to the day
// before the filter's To (else the last call's day). Without calls and
// without both bounds the result is empty. Journeys with a zero arrival
// have no day and are not listed (HeatMap.Undated counts them).
func (r *Reporter) CallsPerDay(calls []Call) []DayCount {
	var first, last time.Time
	for i := range calls {
		j := &calls[i].Journey
		if j.Arrival.IsZero() || !r.Selected(j) {
			continue
		}
		if first.IsZero() || j.Arrival.Before(first) {
			first = j.Arrival
		}
		if last.IsZero() || j.Arrival.After(last) {
			last = j.Arrival
		}
	}
	f := &r.cfg.Filter
	if !f.From.IsZero() {
		first = f.From
	}
	if !f.To.IsZero() {
		last = f.To.Add(-1) // To is exclusive
	}
	if first.IsZero() || last.IsZero() || last.Before(first) {
		return nil
	}
	var out []DayCount
	idx := make(map[Date]int)
	end := IntervalDay.Start(last, r.loc)
	for d := IntervalDay.Start(first, r.loc); !d.After(end); d = IntervalDay.Next(d, r.loc) {
		date := DateOf(d)
		idx[date] = len(out)
		out = append(out, DayCount{Date: date})
	}
	for i := range calls {
		j := &calls[i].Journey
		if j.Arrival.IsZero() || !r.Selected(j) {
			continue
		}
		k, ok := idx[DateOf(j.Arrival.In(r.loc))]
		if !ok {
			continue // cannot happen: the range covers every selected arrival
		}
		c := &out[k]
		c.Calls++
		if j.Answered {
			c.Answered++
		}
		if j.Direction != Inbound {
			continue
		}
		c.Inbound++
		if !j.Answered {
			if r.InHours(j) {
				c.Unanswered++
			} else {
				c.UnansweredOutOfHours++
			}
		}
	}
	return out
}
