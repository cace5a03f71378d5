package callflow_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
)

// In Europe/Berlin, 2026-03-29 02:00 CET jumps to 03:00 CEST (a day of 23
// hours) and 2026-10-25 03:00 CEST falls back to 02:00 CET (25 hours, the
// hour from 02:00 twice).
var (
	calSpringForward = time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)  // 03:00 CEST
	calFallBack      = time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC) // the second 02:00, CET
)

func TestParseTimeOfDay(t *testing.T) {
	tests := []struct {
		in      string
		want    callflow.TimeOfDay
		wantErr bool
	}{
		{in: "00:00", want: 0},
		{in: "08:30", want: callflow.Clock(8, 30, 0)},
		{in: "07:05:09", want: callflow.Clock(7, 5, 9)},
		{in: "23:59:59", want: 24*3600 - 1},
		{in: "24:00", want: 24 * 3600},
		{in: "24:00:00", want: 24 * 3600},
		{in: "", wantErr: true},
		{in: "8:00", wantErr: true},
		{in: "08:0", wantErr: true},
		{in: "08", wantErr: true},
		{in: "0800", wantErr: true},
		{in: "08:00:00:00", wantErr: true},
		{in: "08:00:", wantErr: true},
		{in: "24:01", wantErr: true},
		{in: "24:00:01", wantErr: true},
		{in: "25:00", wantErr: true},
		{in: "99:99", wantErr: true},
		{in: "08:60", wantErr: true},
		{in: "08:00:60", wantErr: true},
		{in: "+1:00", wantErr: true},
		{in: "-0:00", wantErr: true},
		{in: "08:+5", wantErr: true},
		{in: "08:-1", wantErr: true},
		{in: " 8:00", wantErr: true},
		{in: "08:00 ", wantErr: true},
		{in: "ab:cd", wantErr: true},
		{in: "08h30", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := callflow.ParseTimeOfDay(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseTimeOfDay(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			require.NoError(t, err)
			if got != tt.want {
				t.Errorf("ParseTimeOfDay(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestTimeOfDayText(t *testing.T) {
	tests := []struct {
		in   callflow.TimeOfDay
		want string
		ok   bool // MarshalText succeeds
	}{
		{0, "00:00", true},
		{callflow.Clock(8, 30, 0), "08:30", true},
		{callflow.Clock(8, 30, 5), "08:30:05", true},
		{callflow.Clock(23, 59, 59), "23:59:59", true},
		{callflow.Clock(24, 0, 0), "24:00", true},
		{-1, "TimeOfDay(-1)", false},
		{24*3600 + 1, "TimeOfDay(86401)", false},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			b, err := tt.in.MarshalText()
			if !tt.ok {
				if err == nil {
					t.Errorf("MarshalText() = %q, want an error", b)
				}
				return
			}
			require.NoError(t, err)
			var back callflow.TimeOfDay
			require.NoError(t, back.UnmarshalText(b))
			if back != tt.in {
				t.Errorf("%q reads back as %d, want %d", b, back, tt.in)
			}
		})
	}
}

// Every valid time of day prints to a text that parses back to it.
func TestTimeOfDayEverySecond(t *testing.T) {
	for v := callflow.TimeOfDay(0); v <= 24*3600; v++ {
		got, err := callflow.ParseTimeOfDay(v.String())
		if err != nil || got != v {
			t.Fatalf("%d → %q → %d, %v", v, v.String(), got, err)
		}
	}
}

// parse → print → parse gives the same time of day, and the printed form is
// canonical: it prints to itself.
func FuzzTimeOfDay(f *testing.F) {
	for _, s := range []string{"08:30", "08:30:00", "24:00", "23:59:59", "+1:00", "00:00:01", "7:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := callflow.ParseTimeOfDay(s)
		if err != nil {
			return
		}
		if v < 0 || v > 24*3600 {
			t.Fatalf("ParseTimeOfDay(%q) = %d, outside 00:00–24:00", s, v)
		}
		printed := v.String()
		back, err := callflow.ParseTimeOfDay(printed)
		if err != nil || back != v {
			t.Fatalf("%q → %d → %q → %d, %v", s, v, printed, back, err)
		}
		if back.String() != printed {
			t.Fatalf("%q is not canonical: prints as %q", printed, back.String())
		}
		if printed != s && printed+":00" != s {
			t.Fatalf("%q parses to %q: a second spelling of one time", s, printed)
		}
	})
}

func TestClockOf(t *testing.T) {
	loc := berlin(t)
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 1, 5, 7, 30, 0, 0, time.UTC).In(loc), "08:30"},
		{time.Date(2026, 7, 6, 7, 30, 0, 0, time.UTC).In(loc), "09:30"},
		{calSpringForward.Add(-time.Second).In(loc), "01:59:59"},
		{calSpringForward.In(loc), "03:00"},
		{calFallBack.Add(-30 * time.Minute).In(loc), "02:30"},
		{calFallBack.Add(30 * time.Minute).In(loc), "02:30"},
		{time.Date(2026, 1, 5, 7, 30, 0, 0, time.UTC), "07:30"}, // read in t's own location
	}
	for _, tt := range tests {
		if got := callflow.ClockOf(tt.at).String(); got != tt.want {
			t.Errorf("ClockOf(%v) = %s, want %s", tt.at, got, tt.want)
		}
	}
}

func TestClockRangeContains(t *testing.T) {
	c := func(s string) callflow.TimeOfDay {
		v, err := callflow.ParseTimeOfDay(s)
		require.NoError(t, err)
		return v
	}
	morning := callflow.ClockRange{From: c("08:00"), To: c("12:00")}
	night := callflow.ClockRange{From: c("22:00"), To: c("06:00")}
	evening := callflow.ClockRange{From: c("22:00"), To: c("24:00")}
	allDay := callflow.ClockRange{From: c("00:00"), To: c("24:00")}
	same := callflow.ClockRange{From: c("09:00"), To: c("09:00")}
	tests := []struct {
		name string
		r    callflow.ClockRange
		at   string
		want bool
	}{
		{"zero is all day: midnight", callflow.ClockRange{}, "00:00", true},
		{"zero is all day: late", callflow.ClockRange{}, "23:59:59", true},
		{"From == To is all day", same, "03:00", true},
		{"before", morning, "07:59:59", false},
		{"From is in", morning, "08:00", true},
		{"inside", morning, "11:59:59", true},
		{"To is out", morning, "12:00", false},
		{"after", morning, "18:00", false},
		{"wrap: From is in", night, "22:00", true},
		{"wrap: before midnight", night, "23:59:59", true},
		{"wrap: midnight", night, "00:00", true},
		{"wrap: early morning", night, "05:59:59", true},
		{"wrap: To is out", night, "06:00", false},
		{"wrap: daytime", night, "12:00", false},
		{"wrap: just before From", night, "21:59:59", false},
		{"to 24:00: late", evening, "23:59:59", true},
		{"to 24:00: midnight is out", evening, "00:00", false},
		{"00:00-24:00: midnight", allDay, "00:00", true},
		{"00:00-24:00: late", allDay, "23:59:59", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tt.r.Validate())
			if got := tt.r.Contains(c(tt.at)); got != tt.want {
				t.Errorf("%v–%v contains %s = %v, want %v", tt.r.From, tt.r.To, tt.at, got, tt.want)
			}
		})
	}
}

func TestClockRangeValidate(t *testing.T) {
	for _, r := range []callflow.ClockRange{{From: -1}, {To: 24*3600 + 1}, {From: 8 * 3600, To: -5}} {
		if err := r.Validate(); err == nil {
			t.Errorf("%+v: want an error", r)
		}
	}
}

func TestClockRangeJSON(t *testing.T) {
	r := callflow.ClockRange{From: callflow.Clock(22, 0, 0), To: callflow.Clock(6, 30, 0)}
	b, err := json.Marshal(r)
	require.NoError(t, err)
	if string(b) != `{"from":"22:00","to":"06:30"}` {
		t.Errorf("JSON: got %s", b)
	}
	var back callflow.ClockRange
	require.NoError(t, json.Unmarshal(b, &back))
	if back != r {
		t.Errorf("round trip: got %+v, want %+v", back, r)
	}
	if err := json.Unmarshal([]byte(`{"from":"25:00"}`), &back); err == nil {
		t.Error("25:00 accepted")
	}
}

func TestWeekdaysText(t *testing.T) {
	tests := []struct {
		w    callflow.Weekdays
		text string
	}{
		{0, ""},
		{callflow.WeekdaysOf(time.Monday), "Mon"},
		{callflow.WeekdaysOf(time.Sunday, time.Saturday), "Sat,Sun"},
		{callflow.MondayToFriday, "Mon,Tue,Wed,Thu,Fri"},
		{callflow.EveryDay, "Mon,Tue,Wed,Thu,Fri,Sat,Sun"},
		{callflow.WeekdaysOf(time.Wednesday, time.Monday, time.Wednesday), "Mon,Wed"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			b, err := tt.w.MarshalText()
			require.NoError(t, err)
			if string(b) != tt.text {
				t.Errorf("MarshalText() = %q, want %q", b, tt.text)
			}
			back := callflow.EveryDay // UnmarshalText must reset it
			require.NoError(t, back.UnmarshalText(b))
			if back != tt.w {
				t.Errorf("%q reads back as %v", b, back)
			}
		})
	}

	lenient := []struct {
		in   string
		want callflow.Weekdays
	}{
		{"monday,SUN", callflow.WeekdaysOf(time.Monday, time.Sunday)},
		{"Mon,Mon", callflow.WeekdaysOf(time.Monday)},
		{"fri,Thursday", callflow.WeekdaysOf(time.Thursday, time.Friday)},
	}
	for _, tt := range lenient {
		var got callflow.Weekdays
		require.NoError(t, got.UnmarshalText([]byte(tt.in)), tt.in)
		if got != tt.want {
			t.Errorf("%q: got %v, want %v", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"Mon,", ",", "Mo", "Mon Tue", "Mon;Tue", " Mon", "Montag", "Sunday,x"} {
		var w callflow.Weekdays
		if err := w.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q: want an error, got %v", bad, w)
		}
	}
}

func TestWeekdaysHas(t *testing.T) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		weekday := d != time.Saturday && d != time.Sunday
		if callflow.MondayToFriday.Has(d) != weekday {
			t.Errorf("MondayToFriday.Has(%v) = %v", d, !weekday)
		}
		if !callflow.EveryDay.Has(d) || callflow.Weekdays(0).Has(d) {
			t.Errorf("EveryDay or the empty set wrong on %v", d)
		}
	}
}

// Every set of days prints to a text that reads back to it; every text
// that reads prints to a canonical form that reads back the same.
func FuzzWeekdays(f *testing.F) {
	for _, s := range []string{"", "Mon", "Mon,Tue,Wed,Thu,Fri", "sunday,Sat", "Mon,,Tue", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var w callflow.Weekdays
		if err := w.UnmarshalText([]byte(s)); err != nil {
			return
		}
		if w&^callflow.EveryDay != 0 {
			t.Fatalf("%q: bits outside the week set: %08b", s, w)
		}
		var back callflow.Weekdays
		if err := back.UnmarshalText([]byte(w.String())); err != nil || back != w {
			t.Fatalf("%q → %v → %q → %v, %v", s, uint8(w), w.String(), uint8(back), err)
		}
	})
}

func TestWeekdaysAllSets(t *testing.T) {
	for v := range callflow.EveryDay + 1 {
		if v&^callflow.EveryDay != 0 {
			continue
		}
		var back callflow.Weekdays
		if err := back.UnmarshalText([]byte(v.String())); err != nil || back != v {
			t.Fatalf("%08b → %q → %08b, %v", v, v.String(), back, err)
		}
	}
}

func TestDate(t *testing.T) {
	tests := []struct {
		in      string
		want    callflow.Date
		wantErr bool
	}{
		{in: "2026-04-03", want: callflow.Date{Year: 2026, Month: time.April, Day: 3}},
		{in: "2024-02-29", want: callflow.Date{Year: 2024, Month: time.February, Day: 29}},
		{in: "0001-01-01", want: callflow.Date{Year: 1, Month: time.January, Day: 1}},
		{in: "2026-02-29", wantErr: true},
		{in: "2026-13-01", wantErr: true},
		{in: "2026-3-1", wantErr: true},
		{in: "26-03-01", wantErr: true},
		{in: "03.04.2026", wantErr: true},
		{in: "2026-04-03T00:00:00Z", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := callflow.ParseDate(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseDate(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			require.NoError(t, err)
			if got != tt.want {
				t.Errorf("ParseDate(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			b, err := got.MarshalText()
			require.NoError(t, err)
			if string(b) != tt.in {
				t.Errorf("MarshalText() = %q, want %q", b, tt.in)
			}
			var back callflow.Date
			require.NoError(t, back.UnmarshalText(b))
			if back != got {
				t.Errorf("round trip: %+v", back)
			}
		})
	}

	// DateOf reads the day in t's own location.
	loc := berlin(t)
	late := time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC)
	if got := callflow.DateOf(late).String(); got != "2026-03-28" {
		t.Errorf("DateOf in UTC = %s", got)
	}
	if got := callflow.DateOf(late.In(loc)).String(); got != "2026-03-29" {
		t.Errorf("DateOf in Berlin = %s", got)
	}
}

func FuzzDate(f *testing.F) {
	for _, s := range []string{"2026-04-03", "2024-02-29", "2026-02-29", "9999-12-31", "0000-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := callflow.ParseDate(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q) prints as %q", s, d.String())
		}
		back, err := callflow.ParseDate(d.String())
		if err != nil || back != d {
			t.Fatalf("%q → %+v → %+v, %v", s, d, back, err)
		}
	})
}

func TestWindowText(t *testing.T) {
	tests := []struct {
		w    callflow.Window
		text string
		back callflow.Window // what the text reads back as
	}{
		{callflow.Window{}, "1h0m0s", callflow.WindowHour},
		{callflow.WindowHour, "1h0m0s", callflow.WindowHour},
		{callflow.WindowDay, "24h0m0s", callflow.WindowDay},
		{callflow.WindowBusinessDay, "business-day", callflow.WindowBusinessDay},
		{callflow.Window{Length: 90 * time.Minute}, "1h30m0s", callflow.Window{Length: 90 * time.Minute}},
		{callflow.Window{Length: 1500 * time.Millisecond}, "1.5s", callflow.Window{Length: 1500 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			require.NoError(t, tt.w.Validate())
			b, err := tt.w.MarshalText()
			require.NoError(t, err)
			if string(b) != tt.text {
				t.Errorf("MarshalText() = %q, want %q", b, tt.text)
			}
			var back callflow.Window
			require.NoError(t, back.UnmarshalText(b))
			if back != tt.back {
				t.Errorf("%q reads back as %+v, want %+v", b, back, tt.back)
			}
		})
	}

	for _, in := range []string{"90m", "2h", "24h", "45s"} {
		var w callflow.Window
		require.NoError(t, w.UnmarshalText([]byte(in)))
		d, _ := time.ParseDuration(in)
		if w != (callflow.Window{Length: d}) {
			t.Errorf("%q: got %+v", in, w)
		}
	}
	for _, bad := range []string{"", "0s", "0", "-1h", "business day", "Business-Day", "tomorrow", "1d"} {
		w := callflow.WindowDay
		if err := w.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q: want an error, got %+v", bad, w)
		}
	}

	type cfg struct {
		W callflow.Window `json:"w"`
	}
	var c cfg
	require.NoError(t, json.Unmarshal([]byte(`{"w":"business-day"}`), &c))
	if c.W != callflow.WindowBusinessDay {
		t.Errorf("JSON: got %+v", c.W)
	}
}

func TestWindowValidate(t *testing.T) {
	tests := []struct {
		name    string
		w       callflow.Window
		wantErr string
	}{
		{"zero", callflow.Window{}, ""},
		{"business day", callflow.WindowBusinessDay, ""},
		{"custom", callflow.Window{Length: 3 * time.Hour}, ""},
		{"negative", callflow.Window{Length: -time.Minute}, "negative"},
		{"both", callflow.Window{Length: time.Hour, BusinessDay: true}, "both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.w.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %v, want an error about %q", err, tt.wantErr)
			}
		})
	}
}

// officeHours: Monday to Friday 08:00–17:00, Saturday 09:00–12:00, and on
// the two DST Sundays a night shift, each day's wall clock.
func officeHours() *callflow.BusinessHours {
	return &callflow.BusinessHours{
		Periods: []callflow.OpeningPeriod{
			{Days: callflow.MondayToFriday, Hours: callflow.ClockRange{From: callflow.Clock(8, 0, 0), To: callflow.Clock(17, 0, 0)}},
			{Days: callflow.WeekdaysOf(time.Saturday), Hours: callflow.ClockRange{From: callflow.Clock(9, 0, 0), To: callflow.Clock(12, 0, 0)}},
			{Days: callflow.WeekdaysOf(time.Sunday), Hours: callflow.ClockRange{From: callflow.Clock(1, 0, 0), To: callflow.Clock(5, 0, 0)}},
		},
		Closed: []callflow.Date{{Year: 2026, Month: time.April, Day: 3}}, // Good Friday
	}
}

func TestWindowEnd(t *testing.T) {
	loc := berlin(t)
	at := func(y int, m time.Month, d, h, mi int) time.Time { return time.Date(y, m, d, h, mi, 0, 0, loc) }
	split := &callflow.BusinessHours{Periods: []callflow.OpeningPeriod{
		{Days: callflow.EveryDay, Hours: callflow.ClockRange{From: callflow.Clock(8, 0, 0), To: callflow.Clock(12, 0, 0)}},
		{Days: callflow.MondayToFriday, Hours: callflow.ClockRange{From: callflow.Clock(13, 0, 0), To: callflow.Clock(17, 30, 0)}},
	}}
	toMidnight := &callflow.BusinessHours{Periods: []callflow.OpeningPeriod{
		{Days: callflow.EveryDay, Hours: callflow.ClockRange{From: callflow.Clock(18, 0, 0), To: callflow.Clock(24, 0, 0)}},
	}}
	nights := &callflow.BusinessHours{Periods: []callflow.OpeningPeriod{
		{Days: callflow.EveryDay, Hours: callflow.ClockRange{From: callflow.Clock(22, 0, 0), To: callflow.Clock(6, 0, 0)}},
	}}
	tests := []struct {
		name  string
		w     callflow.Window
		t     time.Time
		hours *callflow.BusinessHours
		want  time.Time
	}{
		{"zero window is an hour", callflow.Window{}, at(2026, 3, 4, 10, 0), nil, at(2026, 3, 4, 11, 0)},
		{"60 min", callflow.WindowHour, at(2026, 3, 4, 10, 0), nil, at(2026, 3, 4, 11, 0)},
		// A fixed window is elapsed time: across the spring change an
		// hour after 01:30 CET is 03:30 CEST.
		{"60 min across spring change", callflow.WindowHour, at(2026, 3, 29, 1, 30), nil, at(2026, 3, 29, 3, 30)},
		{"24 h across spring change", callflow.WindowDay, at(2026, 3, 28, 12, 0), nil, at(2026, 3, 29, 13, 0)},
		{"24 h across autumn change", callflow.WindowDay, at(2026, 10, 24, 12, 0), nil, at(2026, 10, 25, 11, 0)},
		{"60 min from the first 02:30", callflow.WindowHour, calFallBack.Add(-30 * time.Minute), nil, calFallBack.Add(30 * time.Minute)},
		{"fixed ignores business hours", callflow.WindowHour, at(2026, 3, 4, 16, 30), officeHours(), at(2026, 3, 4, 17, 30)},

		{"business day without hours: midnight", callflow.WindowBusinessDay, at(2026, 3, 4, 10, 0), nil, at(2026, 3, 5, 0, 0)},
		{"business day without hours: spring day", callflow.WindowBusinessDay, at(2026, 3, 29, 10, 0), nil, at(2026, 3, 30, 0, 0)},
		{"business day without hours: autumn day", callflow.WindowBusinessDay, at(2026, 10, 25, 10, 0), nil, at(2026, 10, 26, 0, 0)},
		{"business day without hours: first 02:30 of autumn", callflow.WindowBusinessDay, calFallBack.Add(-30 * time.Minute), nil, at(2026, 10, 26, 0, 0)},
		{"business day, t in UTC, read in Berlin", callflow.WindowBusinessDay, time.Date(2026, 3, 4, 23, 30, 0, 0, time.UTC), nil, at(2026, 3, 6, 0, 0)},

		{"business day: closes 17:00", callflow.WindowBusinessDay, at(2026, 3, 4, 10, 0), officeHours(), at(2026, 3, 4, 17, 0)},
		{"business day: before opening", callflow.WindowBusinessDay, at(2026, 3, 4, 7, 0), officeHours(), at(2026, 3, 4, 17, 0)},
		{"business day: Saturday closes 12:00", callflow.WindowBusinessDay, at(2026, 3, 28, 10, 0), officeHours(), at(2026, 3, 28, 12, 0)},
		{"business day: after closing, midnight", callflow.WindowBusinessDay, at(2026, 3, 4, 17, 0), officeHours(), at(2026, 3, 5, 0, 0)},
		{"business day: spring Sunday closes 05:00 CEST", callflow.WindowBusinessDay, at(2026, 3, 29, 1, 30), officeHours(), at(2026, 3, 29, 5, 0)},
		{"business day: autumn Sunday, first 02:30", callflow.WindowBusinessDay, calFallBack.Add(-30 * time.Minute), officeHours(), at(2026, 10, 25, 5, 0)},
		{"business day: autumn Sunday, second 02:30", callflow.WindowBusinessDay, calFallBack.Add(30 * time.Minute), officeHours(), at(2026, 10, 25, 5, 0)},
		{"business day: spring Sunday after closing", callflow.WindowBusinessDay, at(2026, 3, 29, 6, 0), officeHours(), at(2026, 3, 30, 0, 0)},
		{"business day: latest of split hours", callflow.WindowBusinessDay, at(2026, 3, 4, 12, 30), split, at(2026, 3, 4, 17, 30)},
		{"business day: split hours, Sunday", callflow.WindowBusinessDay, at(2026, 3, 8, 9, 0), split, at(2026, 3, 8, 12, 0)},
		{"business day: open to 24:00", callflow.WindowBusinessDay, at(2026, 10, 25, 19, 0), toMidnight, at(2026, 10, 26, 0, 0)},
		{"business day: a holiday runs to midnight", callflow.WindowBusinessDay, at(2026, 4, 3, 10, 0), officeHours(), at(2026, 4, 4, 0, 0)},
		{"business day: night shift wraps, midnight", callflow.WindowBusinessDay, at(2026, 3, 4, 23, 0), nights, at(2026, 3, 5, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tt.w.Validate())
			got := tt.w.End(tt.t, loc, tt.hours)
			if !got.Equal(tt.want) {
				t.Errorf("End(%v) = %v, want %v", tt.t.In(loc), got.In(loc), tt.want)
			}
			if !got.After(tt.t) {
				t.Errorf("End(%v) = %v is not after the call", tt.t, got)
			}
		})
	}
}

func TestIntervalStartNext(t *testing.T) {
	loc := berlin(t)
	at := func(y int, m time.Month, d, h, mi int) time.Time { return time.Date(y, m, d, h, mi, 0, 0, loc) }
	tests := []struct {
		name      string
		iv        callflow.Interval
		t         time.Time
		start     time.Time
		next      time.Time
		wantHours float64 // length of the interval
	}{
		{"hour", callflow.IntervalHour, at(2026, 3, 4, 10, 42), at(2026, 3, 4, 10, 0), at(2026, 3, 4, 11, 0), 1},
		{"hour on the hour", callflow.IntervalHour, at(2026, 3, 4, 10, 0), at(2026, 3, 4, 10, 0), at(2026, 3, 4, 11, 0), 1},
		{"hour before spring gap", callflow.IntervalHour, at(2026, 3, 29, 1, 59), at(2026, 3, 29, 1, 0), calSpringForward, 1},
		{"hour after spring gap", callflow.IntervalHour, calSpringForward.Add(10 * time.Minute), calSpringForward, calSpringForward.Add(time.Hour), 1},
		{"first 02:00 hour of autumn", callflow.IntervalHour, calFallBack.Add(-30 * time.Minute), calFallBack.Add(-time.Hour), calFallBack, 1},
		{"second 02:00 hour of autumn", callflow.IntervalHour, calFallBack.Add(30 * time.Minute), calFallBack, calFallBack.Add(time.Hour), 1},
		{"hour, t in UTC", callflow.IntervalHour, time.Date(2026, 3, 4, 9, 42, 0, 0, time.UTC), at(2026, 3, 4, 10, 0), at(2026, 3, 4, 11, 0), 1},

		{"day", callflow.IntervalDay, at(2026, 3, 4, 10, 42), at(2026, 3, 4, 0, 0), at(2026, 3, 5, 0, 0), 24},
		{"day at midnight", callflow.IntervalDay, at(2026, 3, 4, 0, 0), at(2026, 3, 4, 0, 0), at(2026, 3, 5, 0, 0), 24},
		{"spring day has 23 hours", callflow.IntervalDay, at(2026, 3, 29, 12, 0), at(2026, 3, 29, 0, 0), at(2026, 3, 30, 0, 0), 23},
		{"autumn day has 25 hours", callflow.IntervalDay, calFallBack, at(2026, 10, 25, 0, 0), at(2026, 10, 26, 0, 0), 25},
		{"day, t in UTC belongs to the Berlin day", callflow.IntervalDay, time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC), at(2026, 3, 29, 0, 0), at(2026, 3, 30, 0, 0), 23},

		{"week from Monday", callflow.IntervalWeek, at(2026, 3, 4, 10, 0), at(2026, 3, 2, 0, 0), at(2026, 3, 9, 0, 0), 168},
		{"week: Monday itself", callflow.IntervalWeek, at(2026, 3, 2, 0, 0), at(2026, 3, 2, 0, 0), at(2026, 3, 9, 0, 0), 168},
		{"week: Sunday belongs to the week before", callflow.IntervalWeek, at(2026, 3, 8, 23, 59), at(2026, 3, 2, 0, 0), at(2026, 3, 9, 0, 0), 168},
		{"spring week", callflow.IntervalWeek, at(2026, 3, 29, 12, 0), at(2026, 3, 23, 0, 0), at(2026, 3, 30, 0, 0), 167},
		{"autumn week", callflow.IntervalWeek, at(2026, 10, 25, 12, 0), at(2026, 10, 19, 0, 0), at(2026, 10, 26, 0, 0), 169},
		{"week across the year", callflow.IntervalWeek, at(2027, 1, 1, 12, 0), at(2026, 12, 28, 0, 0), at(2027, 1, 4, 0, 0), 168},

		{"month", callflow.IntervalMonth, at(2026, 2, 14, 10, 0), at(2026, 2, 1, 0, 0), at(2026, 3, 1, 0, 0), 28 * 24},
		{"spring month", callflow.IntervalMonth, at(2026, 3, 31, 23, 59), at(2026, 3, 1, 0, 0), at(2026, 4, 1, 0, 0), 31*24 - 1},
		{"autumn month", callflow.IntervalMonth, at(2026, 10, 25, 2, 30), at(2026, 10, 1, 0, 0), at(2026, 11, 1, 0, 0), 31*24 + 1},
		{"December", callflow.IntervalMonth, at(2026, 12, 31, 23, 0), at(2026, 12, 1, 0, 0), at(2027, 1, 1, 0, 0), 31 * 24},

		{"all", callflow.IntervalAll, at(2026, 3, 4, 10, 0), time.Time{}, time.Time{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := tt.iv.Start(tt.t, loc)
			if !start.Equal(tt.start) {
				t.Errorf("Start(%v) = %v, want %v", tt.t.In(loc), start, tt.start)
			}
			next := tt.iv.Next(start, loc)
			if !next.Equal(tt.next) {
				t.Errorf("Next(%v) = %v, want %v", start, next, tt.next)
			}
			if got := next.Sub(start).Hours(); got != tt.wantHours {
				t.Errorf("interval has %v hours, want %v", got, tt.wantHours)
			}
		})
	}
}

// hourStarts walks the hour intervals of the Berlin day that holds t.
func hourStarts(t *testing.T, day time.Time) []time.Time {
	t.Helper()
	loc := berlin(t)
	var starts []time.Time
	end := callflow.IntervalDay.Next(callflow.IntervalDay.Start(day, loc), loc)
	for s := callflow.IntervalHour.Start(callflow.IntervalDay.Start(day, loc), loc); s.Before(end); s = callflow.IntervalHour.Next(s, loc) {
		starts = append(starts, s)
		require.Less(t, len(starts), 30, "hours do not advance")
	}
	return starts
}

func TestIntervalHoursOfDSTDays(t *testing.T) {
	loc := berlin(t)
	clocks := func(starts []time.Time) []string {
		var out []string
		for _, s := range starts {
			out = append(out, s.In(loc).Format("15"))
		}
		return out
	}

	spring := hourStarts(t, calSpringForward)
	wantSpring := []string{"00", "01", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23"}
	if diff := cmp.Diff(wantSpring, clocks(spring)); diff != "" {
		t.Errorf("spring day hours (-want +got):\n%s", diff)
	}

	autumn := hourStarts(t, calFallBack)
	wantAutumn := []string{"00", "01", "02", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23"}
	if diff := cmp.Diff(wantAutumn, clocks(autumn)); diff != "" {
		t.Errorf("autumn day hours (-want +got):\n%s", diff)
	}
	require.Len(t, autumn, 25)
	if autumn[2].Equal(autumn[3]) || autumn[3].Sub(autumn[2]) != time.Hour {
		t.Errorf("the two 02:00 hours are not distinct: %v, %v", autumn[2], autumn[3])
	}
	if _, off := autumn[2].In(loc).Zone(); off != 2*3600 {
		t.Errorf("first 02:00 hour is not CEST: offset %d", off)
	}
	if _, off := autumn[3].In(loc).Zone(); off != 3600 {
		t.Errorf("second 02:00 hour is not CET: offset %d", off)
	}
	// Each call of the repeated hour lands in its own interval.
	if s := callflow.IntervalHour.Start(calFallBack.Add(-time.Minute), loc); !s.Equal(autumn[2]) {
		t.Errorf("02:59 CEST in hour %v, want %v", s, autumn[2])
	}
	if s := callflow.IntervalHour.Start(calFallBack.Add(time.Minute), loc); !s.Equal(autumn[3]) {
		t.Errorf("02:01 CET in hour %v, want %v", s, autumn[3])
	}
}

// Over a year in Berlin, every instant lies in the interval Start gives,
// intervals tile time (Start of a start is itself, Next is the start of
// the following interval) and never get stuck.
func TestIntervalInvariants(t *testing.T) {
	zones := []string{"Europe/Berlin", "UTC", "America/New_York", "Asia/Kolkata"}
	for _, zone := range zones {
		loc, err := time.LoadLocation(zone)
		require.NoError(t, err)
		for _, iv := range []callflow.Interval{callflow.IntervalHour, callflow.IntervalDay, callflow.IntervalWeek, callflow.IntervalMonth} {
			for x := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); x.Year() < 2027; x = x.Add(37 * time.Minute) {
				s := iv.Start(x, loc)
				n := iv.Next(s, loc)
				if s.After(x) || !n.After(x) || !iv.Start(s, loc).Equal(s) || !iv.Start(n, loc).Equal(n) {
					t.Fatalf("%s %v: t %v, start %v, next %v, Start(start) %v, Start(next) %v",
						zone, iv, x.In(loc), s, n, iv.Start(s, loc), iv.Start(n, loc))
				}
			}
		}
	}
}

// Where DST begins at midnight, 00:00 does not exist: the day starts at
// 01:00 and Next still advances. (Before the fix, Next returned 23:00 of
// the day before and a loop over days never ended.)
func TestIntervalMidnightGap(t *testing.T) {
	loc, err := time.LoadLocation("America/Sao_Paulo")
	require.NoError(t, err)
	// 2018-11-04 00:00 -03 became 01:00 -02.
	gapDay := time.Date(2018, 11, 4, 1, 0, 0, 0, loc)
	require.Equal(t, 1, gapDay.Hour())

	if s := callflow.IntervalDay.Start(time.Date(2018, 11, 4, 10, 0, 0, 0, loc), loc); !s.Equal(gapDay) {
		t.Errorf("Start of the gap day = %v, want %v", s, gapDay)
	}
	if n := callflow.IntervalDay.Next(time.Date(2018, 11, 3, 0, 0, 0, 0, loc), loc); !n.Equal(gapDay) {
		t.Errorf("Next of the day before = %v, want %v", n, gapDay)
	}
	if w := callflow.IntervalWeek.Start(time.Date(2018, 11, 5, 10, 0, 0, 0, loc), loc); !w.Equal(time.Date(2018, 11, 5, 0, 0, 0, 0, loc)) {
		t.Errorf("week start = %v", w)
	}
	var days []string
	for s := callflow.IntervalDay.Start(time.Date(2018, 11, 2, 12, 0, 0, 0, loc), loc); s.Before(time.Date(2018, 11, 6, 12, 0, 0, 0, loc)); s = callflow.IntervalDay.Next(s, loc) {
		days = append(days, s.Format("01-02 15:04"))
		require.Less(t, len(days), 10, "days do not advance")
	}
	want := []string{"11-02 00:00", "11-03 00:00", "11-04 01:00", "11-05 00:00", "11-06 00:00"}
	if diff := cmp.Diff(want, days); diff != "" {
		t.Errorf("days (-want +got):\n%s", diff)
	}
	if got := callflow.WindowBusinessDay.End(time.Date(2018, 11, 3, 20, 0, 0, 0, loc), loc, nil); !got.Equal(gapDay) {
		t.Errorf("business-day window of the day before ends %v, want %v", got, gapDay)
	}
}

func TestIntervalText(t *testing.T) {
	for _, iv := range []callflow.Interval{callflow.IntervalAll, callflow.IntervalHour, callflow.IntervalDay, callflow.IntervalWeek, callflow.IntervalMonth} {
		b, err := iv.MarshalText()
		require.NoError(t, err)
		var back callflow.Interval
		require.NoError(t, back.UnmarshalText(b))
		if back != iv {
			t.Errorf("%v → %q → %v", iv, b, back)
		}
	}
	var iv callflow.Interval
	for _, bad := range []string{"", "year", "Hour", "hours"} {
		if err := iv.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
	if got := callflow.Interval(9).String(); got != "Interval(9)" {
		t.Errorf("Interval(9) = %q", got)
	}
}

func TestBusinessHoursOpen(t *testing.T) {
	loc := berlin(t)
	at := func(y int, m time.Month, d, h, mi, s int) time.Time { return time.Date(y, m, d, h, mi, s, 0, loc) }
	nightLine := &callflow.BusinessHours{Periods: []callflow.OpeningPeriod{
		{Days: callflow.WeekdaysOf(time.Friday), Hours: callflow.ClockRange{From: callflow.Clock(22, 0, 0), To: callflow.Clock(6, 0, 0)}},
	}}
	allSunday := &callflow.BusinessHours{Periods: []callflow.OpeningPeriod{{Days: callflow.WeekdaysOf(time.Sunday)}}}
	tests := []struct {
		name  string
		hours *callflow.BusinessHours
		t     time.Time
		want  bool
	}{
		{"Wednesday before opening", officeHours(), at(2026, 3, 4, 7, 59, 59), false},
		{"Wednesday opening", officeHours(), at(2026, 3, 4, 8, 0, 0), true},
		{"Wednesday last second", officeHours(), at(2026, 3, 4, 16, 59, 59), true},
		{"Wednesday closing", officeHours(), at(2026, 3, 4, 17, 0, 0), false},
		{"Saturday morning", officeHours(), at(2026, 3, 28, 11, 59, 0), true},
		{"Saturday noon", officeHours(), at(2026, 3, 28, 12, 0, 0), false},
		{"Sunday noon", officeHours(), at(2026, 3, 8, 12, 0, 0), false},
		{"Good Friday is closed", officeHours(), at(2026, 4, 3, 10, 0, 0), false},
		{"the Thursday before is open", officeHours(), at(2026, 4, 2, 10, 0, 0), true},
		{"spring Sunday 01:59 CET", officeHours(), at(2026, 3, 29, 1, 59, 0), true},
		{"spring Sunday 03:00 CEST", officeHours(), calSpringForward.In(loc), true},
		{"spring Sunday 05:00 CEST", officeHours(), at(2026, 3, 29, 5, 0, 0), false},
		{"autumn Sunday, first 02:30", officeHours(), calFallBack.Add(-30 * time.Minute).In(loc), true},
		{"autumn Sunday, second 02:30", officeHours(), calFallBack.Add(30 * time.Minute).In(loc), true},
		{"autumn Sunday 04:59 CET", officeHours(), at(2026, 10, 25, 4, 59, 0), true},
		// Open reads t in its own location: 07:30 UTC is 09:30 CEST.
		{"read in t's location: UTC", officeHours(), time.Date(2026, 7, 1, 7, 30, 0, 0, time.UTC), false},
		{"read in t's location: Berlin", officeHours(), time.Date(2026, 7, 1, 7, 30, 0, 0, time.UTC).In(loc), true},
		// A period's days are the days of the instant: Friday's 22:00–06:00
		// holds Friday night and Friday's early morning, not Saturday's.
		{"night line: Friday night", nightLine, at(2026, 3, 6, 23, 0, 0), true},
		{"night line: Friday early morning", nightLine, at(2026, 3, 6, 3, 0, 0), true},
		{"night line: Saturday early morning", nightLine, at(2026, 3, 7, 3, 0, 0), false},
		{"night line: Friday noon", nightLine, at(2026, 3, 6, 12, 0, 0), false},
		{"whole-day period", allSunday, at(2026, 10, 25, 23, 59, 59), true},
		{"whole-day period, Monday", allSunday, at(2026, 10, 26, 0, 0, 0), false},
		{"no periods", &callflow.BusinessHours{}, at(2026, 3, 4, 10, 0, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.hours.Open(tt.t); got != tt.want {
				t.Errorf("Open(%v) = %v, want %v", tt.t, got, tt.want)
			}
		})
	}
}

func TestBusinessHoursValidate(t *testing.T) {
	tests := []struct {
		name    string
		hours   callflow.BusinessHours
		wantErr string
	}{
		{"valid", *officeHours(), ""},
		{"no periods", callflow.BusinessHours{}, "no opening period"},
		{"no periods, only holidays", callflow.BusinessHours{Closed: []callflow.Date{{Year: 2026, Month: 12, Day: 25}}}, "no opening period"},
		{"period without days", callflow.BusinessHours{Periods: []callflow.OpeningPeriod{
			{Days: callflow.MondayToFriday},
			{Hours: callflow.ClockRange{From: callflow.Clock(8, 0, 0), To: callflow.Clock(12, 0, 0)}},
		}}, "period 1 has no days"},
		{"hours after 24:00", callflow.BusinessHours{Periods: []callflow.OpeningPeriod{
			{Days: callflow.MondayToFriday, Hours: callflow.ClockRange{From: callflow.Clock(8, 0, 0), To: callflow.Clock(25, 0, 0)}},
		}}, "period 0"},
		{"weekday bit outside the week", callflow.BusinessHours{Periods: []callflow.OpeningPeriod{
			{Days: 1 << 7},
		}}, "period 0: invalid weekdays 0x80"},
		{"zero closed day", callflow.BusinessHours{Periods: officeHours().Periods, Closed: []callflow.Date{{}}}, "closed day"},
		{"closed day that does not exist", callflow.BusinessHours{Periods: officeHours().Periods,
			Closed: []callflow.Date{{Year: 2026, Month: time.February, Day: 30}}}, "closed day"},
		{"negative hours", callflow.BusinessHours{Periods: []callflow.OpeningPeriod{
			{Days: callflow.MondayToFriday, Hours: callflow.ClockRange{From: -1}},
		}}, "outside 00:00–24:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.hours.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

func TestBusinessHoursJSON(t *testing.T) {
	in := officeHours()
	b, err := json.Marshal(in)
	require.NoError(t, err)
	want := `{"periods":[{"days":"Mon,Tue,Wed,Thu,Fri","hours":{"from":"08:00","to":"17:00"}},` +
		`{"days":"Sat","hours":{"from":"09:00","to":"12:00"}},{"days":"Sun","hours":{"from":"01:00","to":"05:00"}}],` +
		`"closed":["2026-04-03"]}`
	if string(b) != want {
		t.Errorf("JSON:\n got %s\nwant %s", b, want)
	}
	var back callflow.BusinessHours
	require.NoError(t, json.Unmarshal(b, &back))
	if diff := cmp.Diff(in, &back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
