package callflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ReportConfig configures the reports of a [Reporter]: KPIs, lost callers,
// repeat calls, heat maps. The zero value means the documented defaults;
// [NewReporter] validates it.
type ReportConfig struct {
	// Location is the zone days, hours, weeks, business hours and filters
	// are counted in. Default: UTC. Use the PBX's zone (Europe/Berlin).
	Location *time.Location `json:"-"`

	// ServiceLevelThreshold is T of the service level: a call answered
	// within T counts as answered in time. Default 20 s.
	ServiceLevelThreshold time.Duration `json:"serviceLevelThreshold,omitempty"`
	// ShortAbandon is the short-abandon limit: a caller who hung up sooner
	// is counted apart from the abandons and leaves the service level's
	// denominator. Default 5 s; negative means no call is a short abandon.
	ShortAbandon time.Duration `json:"shortAbandon,omitempty"`
	// ServiceLevelAbandonsWithinT, when set, also removes abandons within
	// T from the service level's denominator (a caller who gave up before
	// T could be answered in time does not count against it).
	ServiceLevelAbandonsWithinT bool `json:"serviceLevelAbandonsWithinT,omitempty"`
	// ServiceLevelExcludesOverflow, when set, removes calls forwarded away
	// (timeout, busy, always) from the service level's denominator: the
	// next group is measured on them instead.
	ServiceLevelExcludesOverflow bool `json:"serviceLevelExcludesOverflow,omitempty"`

	// RingBuckets and TalkBuckets are the upper bounds of the value buckets
	// of ring and talk times, ascending; a last open bucket holds the rest.
	// Defaults: 5 s, 10 s, 20 s, 30 s, 60 s and 1, 3, 5, 10, 20 min.
	RingBuckets []time.Duration `json:"ringBuckets,omitempty"`
	TalkBuckets []time.Duration `json:"talkBuckets,omitempty"`

	// BusinessHours, when set, sets calls that arrive outside them apart:
	// they are counted as out of hours, never as offered.
	BusinessHours *BusinessHours `json:"businessHours,omitempty"`
	// Filter selects the calls every report counts.
	Filter Filter `json:"filter"`

	// ExcludeCalls lists call ids left out of agent figures as outliers
	// (a forgotten line open for hours); AgentKPI shows the effect.
	ExcludeCalls []string `json:"excludeCalls,omitempty"`
	// ExcessiveTalk is the total talk time above which an external party
	// is listed among the callers with excessive talk volume. Default 1 h.
	ExcessiveTalk time.Duration `json:"excessiveTalk,omitempty"`
	// Window is W of lost callers and repeat calls. Default 60 minutes.
	Window Window `json:"window"`
}

// Reporter computes reports over interpreted calls. It holds only
// configuration: its methods are pure functions of their arguments, safe
// for concurrent use.
type Reporter struct {
	cfg      ReportConfig
	loc      *time.Location
	excluded map[string]bool
}

// Default report settings (DOMAIN.md §3.5).
const (
	DefaultServiceLevelThreshold = 20 * time.Second
	DefaultShortAbandon          = 5 * time.Second
	DefaultExcessiveTalk         = time.Hour
)

var (
	defaultRingBuckets = []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 30 * time.Second, time.Minute}
	defaultTalkBuckets = []time.Duration{time.Minute, 3 * time.Minute, 5 * time.Minute, 10 * time.Minute, 20 * time.Minute}
)

// NewReporter validates cfg and returns a Reporter.
func NewReporter(cfg ReportConfig) (*Reporter, error) {
	var errs []error
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.ServiceLevelThreshold < 0 {
		errs = append(errs, fmt.Errorf("ServiceLevelThreshold %v is negative", cfg.ServiceLevelThreshold))
	}
	if cfg.ServiceLevelThreshold == 0 {
		cfg.ServiceLevelThreshold = DefaultServiceLevelThreshold
	}
	if cfg.ShortAbandon == 0 {
		cfg.ShortAbandon = DefaultShortAbandon
	}
	if cfg.ExcessiveTalk < 0 {
		errs = append(errs, fmt.Errorf("ExcessiveTalk %v is negative", cfg.ExcessiveTalk))
	}
	if cfg.ExcessiveTalk == 0 {
		cfg.ExcessiveTalk = DefaultExcessiveTalk
	}
	for _, b := range []struct {
		name string
		v    *[]time.Duration
		def  []time.Duration
	}{{"RingBuckets", &cfg.RingBuckets, defaultRingBuckets}, {"TalkBuckets", &cfg.TalkBuckets, defaultTalkBuckets}} {
		if len(*b.v) == 0 {
			*b.v = b.def
			continue
		}
		*b.v = slices.Clone(*b.v)
		for i, d := range *b.v {
			if d <= 0 || (i > 0 && d <= (*b.v)[i-1]) {
				errs = append(errs, fmt.Errorf("%s[%d] = %v: bounds must be positive and ascending", b.name, i, d))
				break
			}
		}
	}
	if cfg.BusinessHours != nil {
		if err := cfg.BusinessHours.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := cfg.Filter.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := cfg.Window.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("callflow: report config: %w", errors.Join(errs...))
	}
	r := &Reporter{cfg: cfg, loc: cfg.Location}
	if len(cfg.ExcludeCalls) > 0 {
		r.excluded = make(map[string]bool, len(cfg.ExcludeCalls))
		for _, id := range cfg.ExcludeCalls {
			r.excluded[id] = true
		}
	}
	return r, nil
}

// Config returns the configuration with the defaults filled in.
func (r *Reporter) Config() ReportConfig { return r.cfg }

// Location returns the zone the Reporter counts in.
func (r *Reporter) Location() *time.Location { return r.loc }

// Selected reports whether the Reporter counts the journey: it passes the
// filter. Business hours are not a filter: see InHours.
func (r *Reporter) Selected(j *Journey) bool { return r.cfg.Filter.Match(j, r.loc) }

// InHours reports whether the journey arrived within business hours
// (always true without business hours).
func (r *Reporter) InHours(j *Journey) bool {
	return r.cfg.BusinessHours == nil || r.cfg.BusinessHours.Open(j.Arrival.In(r.loc))
}

// Ratio is a KPI quotient that keeps its parts: a rate over nothing is
// undefined, never 0 % or 100 %. Its JSON form is
// {"numerator":n,"denominator":d,"value":n/d or null}.
type Ratio struct {
	Numerator   int `json:"numerator"`
	Denominator int `json:"denominator"`
}

// Value returns the quotient; ok is false when the denominator is 0.
func (q Ratio) Value() (v float64, ok bool) {
	if q.Denominator == 0 {
		return 0, false
	}
	return float64(q.Numerator) / float64(q.Denominator), true
}

// String formats the ratio as a percentage with one decimal, or "n/a".
func (q Ratio) String() string {
	v, ok := q.Value()
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

// MarshalJSON writes the parts and the value (null when undefined).
func (q Ratio) MarshalJSON() ([]byte, error) {
	type parts struct {
		Numerator   int      `json:"numerator"`
		Denominator int      `json:"denominator"`
		Value       *float64 `json:"value"`
	}
	p := parts{Numerator: q.Numerator, Denominator: q.Denominator}
	if v, ok := q.Value(); ok {
		p.Value = &v
	}
	return json.Marshal(p)
}

// UnmarshalJSON reads the parts; the value is derived from them.
func (q *Ratio) UnmarshalJSON(b []byte) error {
	var p struct {
		Numerator   int `json:"numerator"`
		Denominator int `json:"denominator"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*q = Ratio{Numerator: p.Numerator, Denominator: p.Denominator}
	return nil
}

// DurationStats summarises a set of durations: count, total, mean, median,
// minimum, maximum and how many fall in each bucket.
type DurationStats struct {
	Count  int           `json:"count"`
	Total  time.Duration `json:"total"`
	Mean   time.Duration `json:"mean"`
	Median time.Duration `json:"median"`
	Min    time.Duration `json:"min"`
	Max    time.Duration `json:"max"`
	// Buckets counts the values per bucket; Buckets[i].UpTo is the
	// inclusive upper bound, 0 on the last, open bucket.
	Buckets []Bucket `json:"buckets,omitempty"`
}

// Bucket is one value bucket of a DurationStats.
type Bucket struct {
	UpTo  time.Duration `json:"upTo"` // inclusive; 0 for the last, open bucket
	Count int           `json:"count"`
}

// durations collects values for a DurationStats. The zero value is empty.
type durations []time.Duration

func (d *durations) add(v time.Duration) { *d = append(*d, v) }

// stats summarises the values; bounds may be nil (no buckets). It sorts
// the values in place.
func (d durations) stats(bounds []time.Duration) DurationStats {
	var s DurationStats
	if bounds != nil {
		s.Buckets = make([]Bucket, len(bounds)+1)
		for i, b := range bounds {
			s.Buckets[i].UpTo = b
		}
	}
	if len(d) == 0 {
		return s
	}
	slices.Sort(d)
	s.Count = len(d)
	s.Min, s.Max = d[0], d[len(d)-1]
	for _, v := range d {
		s.Total += v
	}
	s.Mean = s.Total / time.Duration(len(d))
	// The median of an even count is the mean of the middle two.
	if n := len(d); n%2 == 1 {
		s.Median = d[n/2]
	} else {
		s.Median = d[n/2-1] + (d[n/2]-d[n/2-1])/2
	}
	if bounds != nil {
		// The values are sorted: walk the bounds once.
		b := 0
		for _, v := range d {
			for b < len(bounds) && v > bounds[b] {
				b++
			}
			s.Buckets[b].Count++
		}
	}
	return s
}

// meanOf returns total/n, or 0 for n == 0.
func meanOf(total time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return total / time.Duration(n)
}
