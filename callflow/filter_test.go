package callflow_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// filterJourney is an inbound call on Wednesday 2026-03-04 at 10:00 Berlin
// (09:00 UTC) from +49 711 12345678 to Support (200), answered by Ben (12).
func filterJourney(t *testing.T) callflow.Journey {
	t.Helper()
	caller, err := cdr.ParsePhoneNumber("+4971112345678")
	require.NoError(t, err)
	arrival := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	return callflow.Journey{
		CallID:           "c1",
		Direction:        callflow.Inbound,
		CallerNumber:     caller,
		DialledAccountID: 200,
		Arrival:          arrival,
		End:              arrival.Add(2 * time.Minute),
		Path:             []cdr.AccountID{200, 12},
		Answered:         true,
		AnsweredBy:       12,
		AnsweredVia:      200,
		Answer:           arrival.Add(15 * time.Second),
		Outcome:          callflow.OutcomeAnswered,
	}
}

func TestFilterMatch(t *testing.T) {
	loc := berlin(t)
	utc := time.UTC
	yes, no := true, false
	arrival := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	hours := func(from, to string) callflow.ClockRange {
		f, err := callflow.ParseTimeOfDay(from)
		require.NoError(t, err)
		tt, err := callflow.ParseTimeOfDay(to)
		require.NoError(t, err)
		return callflow.ClockRange{From: f, To: tt}
	}
	number := func(s string) cdr.PhoneNumber {
		p, err := cdr.ParsePhoneNumber(s)
		require.NoError(t, err)
		return p
	}
	arrive := func(at time.Time) func(*callflow.Journey) {
		return func(j *callflow.Journey) { j.Arrival = at }
	}
	outbound := func(j *callflow.Journey) {
		j.Direction = callflow.Outbound
		j.CallerAccountID = 11
		j.CallerNumber = cdr.PhoneNumber{}
		j.DialledAccountID = 0
		j.Path = nil
		j.AnsweredBy = 0
		j.AnsweredVia = 0
	}
	internal := func(j *callflow.Journey) {
		j.Direction = callflow.Internal
		j.CallerAccountID = 11
		j.CallerNumber = number("11")
		j.DialledAccountID = 13
		j.Path = []cdr.AccountID{13}
		j.AnsweredBy = 13
		j.AnsweredVia = 0
	}
	unanswered := func(j *callflow.Journey) {
		j.Answered = false
		j.AnsweredBy = 0
		j.AnsweredVia = 0
		j.Path = []cdr.AccountID{200}
		j.Outcome = callflow.OutcomeLostWhileRinging
	}

	tests := []struct {
		name   string
		filter callflow.Filter
		change func(*callflow.Journey)
		loc    *time.Location
		want   bool
	}{
		{name: "zero filter", want: true},
		{name: "zero filter, zero journey", change: func(j *callflow.Journey) { *j = callflow.Journey{} }, want: true},

		// Date range: From ≤ arrival < To, instants whatever their zone.
		{name: "From is inclusive", filter: callflow.Filter{From: arrival}, want: true},
		{name: "before From", filter: callflow.Filter{From: arrival.Add(time.Nanosecond)}, want: false},
		{name: "To is exclusive", filter: callflow.Filter{To: arrival}, want: false},
		{name: "before To", filter: callflow.Filter{To: arrival.Add(time.Nanosecond)}, want: true},
		{name: "inside a day in Berlin", filter: callflow.Filter{From: time.Date(2026, 3, 4, 0, 0, 0, 0, loc), To: time.Date(2026, 3, 5, 0, 0, 0, 0, loc)}, want: true},
		{name: "the Berlin day after", filter: callflow.Filter{From: time.Date(2026, 3, 5, 0, 0, 0, 0, loc)}, want: false},
		{name: "From in another zone, same instant", filter: callflow.Filter{From: arrival.In(loc)}, want: true},
		{name: "zero-time journey before From", filter: callflow.Filter{From: arrival}, change: arrive(time.Time{}), want: false},

		// Hours, read in the zone passed to Match.
		{name: "hours in Berlin", filter: callflow.Filter{Hours: hours("10:00", "11:00")}, loc: loc, want: true},
		{name: "same hours in UTC", filter: callflow.Filter{Hours: hours("10:00", "11:00")}, loc: utc, want: false},
		{name: "hours end is exclusive", filter: callflow.Filter{Hours: hours("08:00", "10:00")}, loc: loc, want: false},
		{name: "summer: 08:30 CEST in 08:00–12:00", filter: callflow.Filter{Hours: hours("08:00", "12:00")},
			change: arrive(time.Date(2026, 7, 1, 6, 30, 0, 0, time.UTC)), loc: loc, want: true},
		{name: "winter: 07:30 CET not in 08:00–12:00", filter: callflow.Filter{Hours: hours("08:00", "12:00")},
			change: arrive(time.Date(2026, 1, 7, 6, 30, 0, 0, time.UTC)), loc: loc, want: false},
		{name: "spring day: 03:30 CEST in 03:00–04:00", filter: callflow.Filter{Hours: hours("03:00", "04:00")},
			change: arrive(calSpringForward.Add(30 * time.Minute)), loc: loc, want: true},
		{name: "spring day: 01:59:59 CET not in 02:00–04:00", filter: callflow.Filter{Hours: hours("02:00", "04:00")},
			change: arrive(calSpringForward.Add(-time.Second)), loc: loc, want: false},
		{name: "spring day: 03:00 CEST in 02:00–04:00", filter: callflow.Filter{Hours: hours("02:00", "04:00")},
			change: arrive(calSpringForward), loc: loc, want: true},
		{name: "autumn day: first 02:30 in 02:00–03:00", filter: callflow.Filter{Hours: hours("02:00", "03:00")},
			change: arrive(calFallBack.Add(-30 * time.Minute)), loc: loc, want: true},
		{name: "autumn day: second 02:30 in 02:00–03:00", filter: callflow.Filter{Hours: hours("02:00", "03:00")},
			change: arrive(calFallBack.Add(30 * time.Minute)), loc: loc, want: true},
		{name: "autumn day: 03:00 CET not in 02:00–03:00", filter: callflow.Filter{Hours: hours("02:00", "03:00")},
			change: arrive(calFallBack.Add(time.Hour)), loc: loc, want: false},
		{name: "night hours wrap midnight", filter: callflow.Filter{Hours: hours("22:00", "06:00")},
			change: arrive(time.Date(2026, 3, 4, 23, 30, 0, 0, time.UTC)), loc: loc, want: true},
		{name: "night hours, daytime", filter: callflow.Filter{Hours: hours("22:00", "06:00")}, loc: loc, want: false},

		// Weekdays, read in the zone passed to Match.
		{name: "Wednesday is Monday to Friday", filter: callflow.Filter{Weekdays: callflow.MondayToFriday}, loc: loc, want: true},
		{name: "Wednesday is not the weekend", filter: callflow.Filter{Weekdays: callflow.WeekdaysOf(time.Saturday, time.Sunday)}, loc: loc, want: false},
		{name: "spring Sunday is the weekend", filter: callflow.Filter{Weekdays: callflow.WeekdaysOf(time.Sunday)},
			change: arrive(calSpringForward), loc: loc, want: true},
		{name: "Friday 23:30 UTC is Saturday in Berlin", filter: callflow.Filter{Weekdays: callflow.MondayToFriday},
			change: arrive(time.Date(2026, 3, 6, 23, 30, 0, 0, time.UTC)), loc: loc, want: false},
		{name: "Friday 23:30 UTC is Friday in UTC", filter: callflow.Filter{Weekdays: callflow.MondayToFriday},
			change: arrive(time.Date(2026, 3, 6, 23, 30, 0, 0, time.UTC)), loc: utc, want: true},
		{name: "hours and weekdays both hold", filter: callflow.Filter{Hours: hours("09:00", "12:00"), Weekdays: callflow.MondayToFriday}, loc: loc, want: true},
		{name: "hours hold, weekday does not", filter: callflow.Filter{Hours: hours("09:00", "12:00"), Weekdays: callflow.WeekdaysOf(time.Monday)}, loc: loc, want: false},

		// Groups: any account on the path.
		{name: "group on the path", filter: callflow.Filter{Groups: []cdr.AccountID{200}}, want: true},
		{name: "one of several groups", filter: callflow.Filter{Groups: []cdr.AccountID{300, 200}}, want: true},
		{name: "other group", filter: callflow.Filter{Groups: []cdr.AccountID{201}}, want: false},
		{name: "group reached after a forward", filter: callflow.Filter{Groups: []cdr.AccountID{201}},
			change: func(j *callflow.Journey) { j.Path = []cdr.AccountID{200, 201, 14} }, want: true},
		{name: "no path", filter: callflow.Filter{Groups: []cdr.AccountID{200}}, change: outbound, want: false},

		// Users: made, answered or was put through to the call.
		{name: "user who answered", filter: callflow.Filter{Users: []cdr.AccountID{12}}, want: true},
		{name: "user who only rang is not on the path", filter: callflow.Filter{Users: []cdr.AccountID{11}}, want: false},
		{name: "user who made the call", filter: callflow.Filter{Users: []cdr.AccountID{11}}, change: outbound, want: true},
		{name: "user put through to", filter: callflow.Filter{Users: []cdr.AccountID{14}},
			change: func(j *callflow.Journey) { j.Path = []cdr.AccountID{200, 12, 14} }, want: true},
		{name: "answered by, not on the path", filter: callflow.Filter{Users: []cdr.AccountID{12}},
			change: func(j *callflow.Journey) { j.Path = []cdr.AccountID{200} }, want: true},
		{name: "other user", filter: callflow.Filter{Users: []cdr.AccountID{99}}, want: false},

		// Directions and range.
		{name: "inbound among inbound", filter: callflow.Filter{Directions: []callflow.Direction{callflow.Inbound}}, want: true},
		{name: "outbound among inbound", filter: callflow.Filter{Directions: []callflow.Direction{callflow.Inbound}}, change: outbound, want: false},
		{name: "internal among inbound and internal", filter: callflow.Filter{Directions: []callflow.Direction{callflow.Inbound, callflow.Internal}}, change: internal, want: true},
		{name: "range external: inbound", filter: callflow.Filter{Range: callflow.RangeExternal}, want: true},
		{name: "range external: outbound", filter: callflow.Filter{Range: callflow.RangeExternal}, change: outbound, want: true},
		{name: "range external: internal", filter: callflow.Filter{Range: callflow.RangeExternal}, change: internal, want: false},
		{name: "range internal: internal", filter: callflow.Filter{Range: callflow.RangeInternal}, change: internal, want: true},
		{name: "range internal: inbound", filter: callflow.Filter{Range: callflow.RangeInternal}, want: false},
		{name: "range internal: outbound", filter: callflow.Filter{Range: callflow.RangeInternal}, change: outbound, want: false},

		// Answered.
		{name: "answered wanted, answered", filter: callflow.Filter{Answered: &yes}, want: true},
		{name: "unanswered wanted, answered", filter: callflow.Filter{Answered: &no}, want: false},
		{name: "unanswered wanted, unanswered", filter: callflow.Filter{Answered: &no}, change: unanswered, want: true},
		{name: "answered wanted, unanswered", filter: callflow.Filter{Answered: &yes}, change: unanswered, want: false},

		// Callers: normalised numbers, also pseudonyms.
		{name: "caller number", filter: callflow.Filter{Callers: []cdr.PhoneNumber{number("+4971112345678")}}, want: true},
		{name: "caller as dialled, normalised", filter: callflow.Filter{Callers: []cdr.PhoneNumber{cdr.GermanPlan("711").Normalize("0711 / 123 456-78")}}, want: true},
		{name: "other caller", filter: callflow.Filter{Callers: []cdr.PhoneNumber{number("+4971112345679")}}, want: false},
		{name: "withheld caller", filter: callflow.Filter{Callers: []cdr.PhoneNumber{number("+4971112345678")}},
			change: func(j *callflow.Journey) { j.CallerNumber = cdr.Withheld }, want: false},
		{name: "pseudonymised caller", filter: callflow.Filter{Callers: []cdr.PhoneNumber{number("~k7f3a9")}},
			change: func(j *callflow.Journey) { j.CallerNumber = number("~k7f3a9") }, want: true},
		{name: "other pseudonym", filter: callflow.Filter{Callers: []cdr.PhoneNumber{number("~k7f3a8")}},
			change: func(j *callflow.Journey) { j.CallerNumber = number("~k7f3a9") }, want: false},

		// Called: the first account the call reached.
		{name: "called group", filter: callflow.Filter{Called: []cdr.AccountID{200}}, want: true},
		{name: "reached later, not called", filter: callflow.Filter{Called: []cdr.AccountID{12}}, want: false},
		{name: "called user of an internal call", filter: callflow.Filter{Called: []cdr.AccountID{13}}, change: internal, want: true},

		// Every set criterion must hold.
		{name: "all criteria hold", filter: callflow.Filter{
			From: arrival.Add(-time.Hour), To: arrival.Add(time.Hour), Hours: hours("09:00", "17:00"), Weekdays: callflow.MondayToFriday,
			Groups: []cdr.AccountID{200}, Users: []cdr.AccountID{12}, Directions: []callflow.Direction{callflow.Inbound},
			Range: callflow.RangeExternal, Answered: &yes, Callers: []cdr.PhoneNumber{number("+4971112345678")}, Called: []cdr.AccountID{200},
		}, loc: loc, want: true},
		{name: "all but one criterion hold", filter: callflow.Filter{
			From: arrival.Add(-time.Hour), To: arrival.Add(time.Hour), Hours: hours("09:00", "17:00"), Weekdays: callflow.MondayToFriday,
			Groups: []cdr.AccountID{200}, Users: []cdr.AccountID{12}, Directions: []callflow.Direction{callflow.Inbound},
			Range: callflow.RangeExternal, Answered: &yes, Callers: []cdr.PhoneNumber{number("+4971112345678")}, Called: []cdr.AccountID{201},
		}, loc: loc, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tt.filter.Validate())
			j := filterJourney(t)
			if tt.change != nil {
				tt.change(&j)
			}
			l := tt.loc
			if l == nil {
				l = loc
			}
			if got := tt.filter.Match(&j, l); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFilterValidate(t *testing.T) {
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		filter  callflow.Filter
		wantErr []string
	}{
		{name: "zero"},
		{name: "From only", filter: callflow.Filter{From: from}},
		{name: "To only", filter: callflow.Filter{To: from}},
		{name: "a range", filter: callflow.Filter{From: from, To: from.Add(time.Nanosecond)}},
		{name: "directions and range", filter: callflow.Filter{Directions: []callflow.Direction{callflow.Inbound, callflow.Outbound, callflow.Internal}, Range: callflow.RangeInternal}},
		{name: "empty range", filter: callflow.Filter{From: from, To: from}, wantErr: []string{"not before"}},
		{name: "reversed range", filter: callflow.Filter{From: from, To: from.Add(-time.Hour)}, wantErr: []string{"not before"}},
		{name: "hours after 24:00", filter: callflow.Filter{Hours: callflow.ClockRange{To: 24*3600 + 1}}, wantErr: []string{"hours"}},
		{name: "negative hours", filter: callflow.Filter{Hours: callflow.ClockRange{From: -1}}, wantErr: []string{"hours"}},
		{name: "invalid range", filter: callflow.Filter{Range: 3}, wantErr: []string{"range 3"}},
		{name: "zero direction", filter: callflow.Filter{Directions: []callflow.Direction{0}}, wantErr: []string{"direction 0"}},
		{name: "direction out of range", filter: callflow.Filter{Directions: []callflow.Direction{callflow.Inbound, 4}}, wantErr: []string{"direction 4"}},
		{name: "weekday bit outside the week", filter: callflow.Filter{Weekdays: callflow.MondayToFriday | 1<<7}, wantErr: []string{"weekdays 0xbe"}},
		{name: "user 0 is the external party", filter: callflow.Filter{Users: []cdr.AccountID{12, 0}}, wantErr: []string{"account id 0"}},
		{name: "group 0", filter: callflow.Filter{Groups: []cdr.AccountID{0}}, wantErr: []string{"account id 0"}},
		{name: "every error at once", filter: callflow.Filter{From: from, To: from, Hours: callflow.ClockRange{From: -1}, Range: 7, Directions: []callflow.Direction{9}},
			wantErr: []string{"not before", "hours", "range 7", "direction 9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.filter.Validate()
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}
