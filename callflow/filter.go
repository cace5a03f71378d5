package callflow

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// Filter selects journeys by when they arrived and what they were. Every
// set criterion must hold; the zero value selects everything. Times of day
// and weekdays are read in the zone passed to Match (the Reporter's), so
// "08:00–12:00" means the same wall-clock hours on both sides of a DST
// change.
type Filter struct {
	// From and To bound the arrival: From ≤ arrival < To. Zero is open.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Hours keeps calls that arrived in this time of day (zero: all day).
	Hours ClockRange `json:"hours,omitzero"`
	// Weekdays keeps calls that arrived on these days (empty: every day).
	Weekdays Weekdays `json:"weekdays,omitempty"`
	// Groups keeps calls that reached one of these groups or iQueues. It
	// selects whole calls, so Reporter.Groups also lists the other groups
	// those calls visited (one that forwarded into a selected group, say);
	// pick the selected groups' rows from its result.
	Groups []cdr.AccountID `json:"groups,omitempty"`
	// Users keeps calls one of these users made, answered or was put
	// through to.
	Users []cdr.AccountID `json:"users,omitempty"`
	// Directions keeps calls of these directions (empty: all).
	Directions []Direction `json:"directions,omitempty"`
	// Range keeps internal calls (RangeInternal) or calls with an
	// external party (RangeExternal, inbound and outbound); 0 keeps both.
	Range Range `json:"range,omitempty"`
	// Answered keeps answered calls (true) or unanswered ones (false).
	Answered *bool `json:"answered,omitempty"`
	// Callers keeps calls from these numbers (compared normalised; works
	// on pseudonymised numbers too).
	Callers []cdr.PhoneNumber `json:"callers,omitempty"`
	// Called keeps calls whose first target was one of these accounts.
	Called []cdr.AccountID `json:"called,omitempty"`
}

// Validate reports an empty date range, an invalid time of day, weekday,
// range or direction, and account id 0 among the users or groups.
func (f *Filter) Validate() error {
	var errs []error
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		errs = append(errs, fmt.Errorf("filter: From %v is not before To %v", f.From, f.To))
	}
	if err := f.Hours.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("filter: hours: %w", err))
	}
	// Stray bits would select no day at all while the text form, which
	// drops them, reads as every day.
	if f.Weekdays&^EveryDay != 0 {
		errs = append(errs, fmt.Errorf("filter: invalid weekdays %#x", uint8(f.Weekdays)))
	}
	// 0 is the external party, never a user or group: Users{0} would keep
	// every call from outside.
	if slices.Contains(f.Users, 0) || slices.Contains(f.Groups, 0) {
		errs = append(errs, errors.New("filter: account id 0 among users or groups"))
	}
	if f.Range > RangeInternal {
		errs = append(errs, fmt.Errorf("filter: invalid range %d", f.Range))
	}
	for _, d := range f.Directions {
		if d < Inbound || d > Internal {
			errs = append(errs, fmt.Errorf("filter: invalid direction %d", d))
		}
	}
	return errors.Join(errs...)
}

// Match reports whether the journey passes the filter; times of day and
// weekdays are read in loc.
func (f *Filter) Match(j *Journey, loc *time.Location) bool {
	if !f.From.IsZero() && j.Arrival.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !j.Arrival.Before(f.To) {
		return false
	}
	if f.Hours != (ClockRange{}) || f.Weekdays != 0 {
		lt := j.Arrival.In(loc)
		if !f.Hours.Contains(ClockOf(lt)) {
			return false
		}
		if f.Weekdays != 0 && !f.Weekdays.Has(lt.Weekday()) {
			return false
		}
	}
	if len(f.Directions) > 0 && !slices.Contains(f.Directions, j.Direction) {
		return false
	}
	switch f.Range {
	case RangeInternal:
		if j.Direction != Internal {
			return false
		}
	case RangeExternal:
		if j.Direction == Internal {
			return false
		}
	}
	if f.Answered != nil && j.Answered != *f.Answered {
		return false
	}
	if len(f.Groups) > 0 && !slices.ContainsFunc(f.Groups, func(g cdr.AccountID) bool { return slices.Contains(j.Path, g) }) {
		return false
	}
	if len(f.Users) > 0 && !slices.ContainsFunc(f.Users, func(u cdr.AccountID) bool {
		return u == j.CallerAccountID || u == j.AnsweredBy || slices.Contains(j.Path, u)
	}) {
		return false
	}
	if len(f.Callers) > 0 && !slices.ContainsFunc(f.Callers, j.CallerNumber.Equal) {
		return false
	}
	if len(f.Called) > 0 && !slices.Contains(f.Called, j.DialledAccountID) {
		return false
	}
	return true
}
