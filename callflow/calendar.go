package callflow

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Interval is the period KPIs are counted per. The zero value is the whole
// range.
type Interval uint8

// The intervals. Hours, days, weeks (ISO, from Monday) and months are
// counted in the Reporter's zone: a day of a DST change has 23 or 25 hours,
// and the hour repeated in autumn is two hours.
const (
	IntervalAll Interval = iota
	IntervalHour
	IntervalDay
	IntervalWeek
	IntervalMonth
)

var intervalNames = []string{"all", "hour", "day", "week", "month"}

func (iv Interval) String() string { return name(intervalNames, int(iv), "Interval") }

// MarshalText implements encoding.TextMarshaler.
func (iv Interval) MarshalText() ([]byte, error) { return []byte(iv.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (iv *Interval) UnmarshalText(b []byte) error {
	v, err := parseName(intervalNames, string(b), "interval")
	*iv = Interval(v)
	return err
}

// Start returns the start of the interval that holds t, in loc. For
// IntervalAll it returns the zero time.
func (iv Interval) Start(t time.Time, loc *time.Location) time.Time {
	lt := t.In(loc)
	switch iv {
	case IntervalHour:
		// Subtracting the wall clock's minutes keeps the two 02:00 hours
		// of an autumn DST change apart; time.Date would merge them.
		return lt.Add(-(time.Duration(lt.Minute())*time.Minute + time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())))
	case IntervalDay:
		return midnight(lt.Year(), lt.Month(), lt.Day(), loc)
	case IntervalWeek:
		back := (int(lt.Weekday()) + 6) % 7 // days since Monday
		return midnight(lt.Year(), lt.Month(), lt.Day()-back, loc)
	case IntervalMonth:
		return midnight(lt.Year(), lt.Month(), 1, loc)
	}
	return time.Time{}
}

// Next returns the start of the interval after the one starting at start.
func (iv Interval) Next(start time.Time, loc *time.Location) time.Time {
	lt := start.In(loc)
	switch iv {
	case IntervalHour:
		return lt.Add(time.Hour)
	case IntervalDay:
		return midnight(lt.Year(), lt.Month(), lt.Day()+1, loc)
	case IntervalWeek:
		return midnight(lt.Year(), lt.Month(), lt.Day()+7, loc)
	case IntervalMonth:
		return midnight(lt.Year(), lt.Month()+1, 1, loc)
	}
	return time.Time{}
}

// midnight returns the first instant of the day y-m-d (normalised as
// time.Date does) in loc. Where DST starts at midnight (America/Sao_Paulo
// until 2018, America/Havana, America/Santiago) 00:00 does not exist and
// time.Date returns 23:00 of the day before; the day then starts when the
// new offset does, else Next would not advance past that day.
func midnight(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if DateOf(t) != DateOf(time.Date(y, m, d, 12, 0, 0, 0, time.UTC)) {
		if _, end := t.ZoneBounds(); !end.IsZero() {
			return end
		}
	}
	return t
}

// TimeOfDay is a wall-clock time, seconds since midnight from 00:00 to 24:00
// (24:00 is only useful as the end of a range). Its text form is "15:04" or
// "15:04:05".
type TimeOfDay int32

// Clock returns the time of day of hour, minute and second.
func Clock(hour, minute, second int) TimeOfDay {
	return TimeOfDay(hour*3600 + minute*60 + second)
}

// ClockOf returns the wall-clock time of t in its own location.
func ClockOf(t time.Time) TimeOfDay {
	h, m, s := t.Clock()
	return Clock(h, m, s)
}

// ParseTimeOfDay parses "15:04" or "15:04:05" (up to "24:00").
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("callflow: time of day %q: want HH:MM or HH:MM:SS", s)
	}
	var v [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		// Two digits each: Atoi alone would take "+1" and "-0".
		if err != nil || len(p) != 2 || p[0] < '0' || p[0] > '9' || (i > 0 && n > 59) {
			return 0, fmt.Errorf("callflow: time of day %q: want HH:MM or HH:MM:SS", s)
		}
		v[i] = n
	}
	t := Clock(v[0], v[1], v[2])
	if t > 24*3600 {
		return 0, fmt.Errorf("callflow: time of day %q is after 24:00", s)
	}
	return t, nil
}

// String returns "15:04", or "15:04:05" when the seconds are not 0.
func (t TimeOfDay) String() string {
	if t < 0 || t > 24*3600 {
		return "TimeOfDay(" + strconv.Itoa(int(t)) + ")"
	}
	h, m, s := int(t)/3600, int(t)/60%60, int(t)%60
	if s != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%02d:%02d", h, m)
}

// MarshalText implements encoding.TextMarshaler.
func (t TimeOfDay) MarshalText() ([]byte, error) {
	if t < 0 || t > 24*3600 {
		return nil, fmt.Errorf("callflow: invalid time of day %d", int(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *TimeOfDay) UnmarshalText(b []byte) error {
	v, err := ParseTimeOfDay(string(b))
	*t = v
	return err
}

// ClockRange is a half-open range of the day [From, To). From == To is the
// whole day (the zero value); From > To wraps midnight (22:00–06:00).
type ClockRange struct {
	From TimeOfDay `json:"from"`
	To   TimeOfDay `json:"to"`
}

// Contains reports whether the time of day is in the range.
func (r ClockRange) Contains(t TimeOfDay) bool {
	switch {
	case r.From == r.To:
		return true
	case r.From < r.To:
		return t >= r.From && t < r.To
	}
	return t >= r.From || t < r.To
}

// Validate reports a bound outside 00:00–24:00.
func (r ClockRange) Validate() error {
	for _, t := range []TimeOfDay{r.From, r.To} {
		if t < 0 || t > 24*3600 {
			return fmt.Errorf("time of day %d s is outside 00:00–24:00", int(t))
		}
	}
	return nil
}

// Weekdays is a set of weekdays. The zero value is the empty set, which
// filters treat as every day. Its text form is "Mon,Tue,…".
type Weekdays uint8

// The usual sets.
const (
	MondayToFriday Weekdays = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday
	EveryDay       Weekdays = MondayToFriday | 1<<time.Saturday | 1<<time.Sunday
)

// WeekdaysOf returns the set of the given days.
func WeekdaysOf(days ...time.Weekday) Weekdays {
	var w Weekdays
	for _, d := range days {
		w |= 1 << d
	}
	return w
}

// Has reports whether d is in the set.
func (w Weekdays) Has(d time.Weekday) bool { return w&(1<<d) != 0 }

// String lists the days Monday first, as "Mon,Tue", or "" for none.
func (w Weekdays) String() string {
	var parts []string
	for i := range 7 {
		d := time.Weekday((i + 1) % 7)
		if w.Has(d) {
			parts = append(parts, d.String()[:3])
		}
	}
	return strings.Join(parts, ",")
}

// MarshalText implements encoding.TextMarshaler.
func (w Weekdays) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (w *Weekdays) UnmarshalText(b []byte) error {
	*w = 0
	if len(b) == 0 {
		return nil
	}
	for p := range strings.SplitSeq(string(b), ",") {
		found := false
		for d := time.Sunday; d <= time.Saturday; d++ {
			if strings.EqualFold(p, d.String()[:3]) || strings.EqualFold(p, d.String()) {
				*w |= 1 << d
				found = true
			}
		}
		if !found {
			return fmt.Errorf("callflow: unknown weekday %q", p)
		}
	}
	return nil
}

// Date is a calendar day, as a holiday. Its text form is "2006-01-02".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar day of t in its own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("callflow: date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	*d = v
	return err
}

// BusinessHours are the opening hours of the hotline. Calls outside them are
// counted apart (out of hours), not as offered.
type BusinessHours struct {
	// Periods are the opening hours; a period applies on its days, in the
	// Reporter's zone. An instant is open when any period contains it.
	Periods []OpeningPeriod `json:"periods"`
	// Closed lists days closed all day (public holidays).
	Closed []Date `json:"closed,omitempty"`
}

// OpeningPeriod is one range of opening hours on some weekdays.
type OpeningPeriod struct {
	Days  Weekdays   `json:"days"`
	Hours ClockRange `json:"hours"`
}

// Validate reports empty or invalid periods and invalid closed days.
func (b *BusinessHours) Validate() error {
	if len(b.Periods) == 0 {
		return fmt.Errorf("business hours: no opening period")
	}
	for i, p := range b.Periods {
		if p.Days == 0 {
			return fmt.Errorf("business hours: period %d has no days", i)
		}
		if p.Days&^EveryDay != 0 {
			return fmt.Errorf("business hours: period %d: invalid weekdays %#x", i, uint8(p.Days))
		}
		if err := p.Hours.Validate(); err != nil {
			return fmt.Errorf("business hours: period %d: %w", i, err)
		}
	}
	for _, c := range b.Closed {
		if _, err := ParseDate(c.String()); err != nil {
			return fmt.Errorf("business hours: closed day %+v is not a date", c)
		}
	}
	return nil
}

// Open reports whether the hotline is open at t, read in t's own location
// (a Reporter passes t in its zone). A period that crosses midnight
// counts by the weekday of t itself: a Friday 22:00–06:00 period covers
// Friday 03:00, not Saturday 03:00.
func (b *BusinessHours) Open(t time.Time) bool {
	day := DateOf(t)
	for _, c := range b.Closed {
		if c == day {
			return false
		}
	}
	clock, wd := ClockOf(t), t.Weekday()
	for _, p := range b.Periods {
		if p.Days.Has(wd) && p.Hours.Contains(clock) {
			return true
		}
	}
	return false
}

// closeOn returns the latest closing time on t's day that is after t, and
// false when the hotline does not close again that day.
func (b *BusinessHours) closeOn(t time.Time) (time.Time, bool) {
	day := DateOf(t)
	for _, c := range b.Closed {
		if c == day {
			return time.Time{}, false // a holiday: the window runs to midnight
		}
	}
	clock, wd := ClockOf(t), t.Weekday()
	best := TimeOfDay(-1)
	for _, p := range b.Periods {
		if p.Days.Has(wd) && p.Hours.From < p.Hours.To && p.Hours.To > clock && p.Hours.To > best {
			best = p.Hours.To
		}
	}
	if best < 0 {
		return time.Time{}, false
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, int(best), 0, t.Location()), true
}

// Window is W of lost callers and repeat calls: how long after a call the
// next contact still belongs to it. The zero value is 60 minutes.
type Window struct {
	// Length is a fixed window (60 min, 24 h, any custom length).
	Length time.Duration
	// BusinessDay, when set, makes the window run to the end of the
	// business day of the call: the latest closing time of that day when
	// the Reporter has business hours, else midnight.
	BusinessDay bool
}

// The usual windows.
var (
	WindowHour        = Window{Length: time.Hour}
	WindowDay         = Window{Length: 24 * time.Hour}
	WindowBusinessDay = Window{BusinessDay: true}
)

// Validate reports a negative length or both kinds set.
func (w Window) Validate() error {
	if w.Length < 0 {
		return fmt.Errorf("window %v is negative", w.Length)
	}
	if w.BusinessDay && w.Length != 0 {
		return fmt.Errorf("window sets both a length and business-day")
	}
	return nil
}

// String returns "business-day" or the length in Go syntax ("1h0m0s").
func (w Window) String() string {
	if w.BusinessDay {
		return "business-day"
	}
	if w.Length == 0 {
		return time.Hour.String()
	}
	return w.Length.String()
}

// MarshalText implements encoding.TextMarshaler.
func (w Window) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: "business-day" or a
// positive Go duration.
func (w *Window) UnmarshalText(b []byte) error {
	if string(b) == "business-day" {
		*w = WindowBusinessDay
		return nil
	}
	d, err := time.ParseDuration(string(b))
	if err != nil || d <= 0 {
		return fmt.Errorf("callflow: window %q: want business-day or a positive duration such as 1h", b)
	}
	*w = Window{Length: d}
	return nil
}

// End returns when the window opened at t closes; t is read in loc. A
// business-day window ignores periods that cross midnight and ends at
// midnight at the latest.
func (w Window) End(t time.Time, loc *time.Location, hours *BusinessHours) time.Time {
	if !w.BusinessDay {
		if w.Length == 0 {
			return t.Add(time.Hour)
		}
		return t.Add(w.Length)
	}
	lt := t.In(loc)
	if hours != nil {
		if end, ok := hours.closeOn(lt); ok {
			return end
		}
	}
	return IntervalDay.Next(IntervalDay.Start(lt, loc), loc)
}
