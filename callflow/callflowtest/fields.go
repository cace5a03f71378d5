package callflowtest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// Field is one key=value pair of an expectation record, with the value in
// the scenario format's text form (see LegFields and JourneyFields).
type Field struct {
	Key, Value string
}

// String returns the field as it is written in a scenario file: key=value,
// the value in Go quoted syntax when it holds a space, a quote, a backslash,
// a '#' or a control character.
func (f Field) String() string { return f.Key + "=" + quoteValue(f.Value) }

func quoteValue(v string) string {
	for _, r := range v {
		if r <= ' ' || r == '"' || r == '\\' || r == '#' || r == 0x7f || !strconv.IsPrint(r) {
			return strconv.Quote(v)
		}
	}
	return v
}

// Record is one expectation: the fields written on one line of a
// -- legs -- or -- journeys -- section. Only the fields a record holds are
// compared.
type Record struct {
	Fields []Field
	// Line is the record's 1-based line in the scenario file; 0 for a
	// record that was not parsed from a file.
	Line int
}

// Get returns the value of key and whether the record holds it.
func (r Record) Get(key string) (string, bool) {
	for _, f := range r.Fields {
		if f.Key == key {
			return f.Value, true
		}
	}
	return "", false
}

// Keys returns the record's keys in the order they are written.
func (r Record) Keys() []string {
	keys := make([]string, len(r.Fields))
	for i, f := range r.Fields {
		keys[i] = f.Key
	}
	return keys
}

// String returns the record in the scenario file's syntax.
func (r Record) String() string { return formatFields(r.Fields) }

func formatFields(fs []Field) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.String()
	}
	return strings.Join(parts, " ")
}

// valueKind says how a value is written, checked and normalised.
type valueKind uint8

const (
	kindString      valueKind = iota // free text (call ids, caller ids, line names)
	kindInt                          // a decimal integer: account ids (0 = external), seq
	kindBool                         // true / false
	kindDuration                     // Go syntax: 1m30s, 0s
	kindTime                         // RFC 3339 in the scenario's zone; empty = no time
	kindNumber                       // cdr.PhoneNumber text form: +4971112345, 12, withheld, ~*21#
	kindAccountType                  // user, group, iqueue, unknown
	kindDirection                    // inbound, outbound, internal
	kindRange                        // internal, external
	kindResult                       // answered, missed
	kindOutcome                      // callflow.Outcome names
	kindFlags                        // callflow.Flag names joined by |
	kindIDList                       // account or entry ids joined by ,
	kindEvents                       // kind:from>to@HH:MM:SS joined by ,
	kindQueues                       // group:disposition joined by ,
)

type fieldDef[T any] struct {
	key  string
	kind valueKind
	get  func(v *T, loc *time.Location) string
}

func id(a cdr.AccountID) string { return a.String() }

func fmtTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc != nil {
		t = t.In(loc)
	}
	return t.Format(time.RFC3339)
}

func fmtIDs[T ~int64](ids []T) string {
	parts := make([]string, len(ids))
	for i, v := range ids {
		parts[i] = strconv.FormatInt(int64(v), 10)
	}
	return strings.Join(parts, ",")
}

// FormatEvent returns an event in the scenario format: kind:from>to@HH:MM:SS,
// the time as wall-clock time in loc (nil: the event time's own location).
func FormatEvent(e callflow.Event, loc *time.Location) string {
	at := e.At
	if loc != nil {
		at = at.In(loc)
	}
	return fmt.Sprintf("%s:%d>%d@%s", e.Kind, e.From, e.To, at.Format(time.TimeOnly))
}

func fmtQueues(vs []callflow.QueueVisit) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.GroupID.String() + ":" + v.Disposition.String()
	}
	return strings.Join(parts, ",")
}

func fmtEvents(evs []callflow.Event, loc *time.Location) string {
	parts := make([]string, len(evs))
	for i, e := range evs {
		parts[i] = FormatEvent(e, loc)
	}
	return strings.Join(parts, ",")
}

var legDefs = []fieldDef[callflow.Leg]{
	{"callid", kindString, func(l *callflow.Leg, _ *time.Location) string { return l.CallID }},
	{"seq", kindInt, func(l *callflow.Leg, _ *time.Location) string { return strconv.Itoa(l.Seq) }},
	{"account", kindInt, func(l *callflow.Leg, _ *time.Location) string { return id(l.AccountID) }},
	{"type", kindAccountType, func(l *callflow.Leg, _ *time.Location) string { return l.AccountType.String() }},
	{"group", kindInt, func(l *callflow.Leg, _ *time.Location) string { return id(l.GroupID) }},
	{"owner", kindInt, func(l *callflow.Leg, _ *time.Location) string { return id(l.OwnerAccountID) }},
	{"incoming", kindBool, func(l *callflow.Leg, _ *time.Location) string { return strconv.FormatBool(l.Incoming) }},
	{"range", kindRange, func(l *callflow.Leg, _ *time.Location) string { return l.Range.String() }},
	{"answered", kindBool, func(l *callflow.Leg, _ *time.Location) string { return strconv.FormatBool(l.Answered) }},
	{"result", kindResult, func(l *callflow.Leg, _ *time.Location) string { return l.Result.String() }},
	{"causedby", kindInt, func(l *callflow.Leg, _ *time.Location) string { return id(l.CausedByAccountID) }},
	{"arrival", kindTime, func(l *callflow.Leg, loc *time.Location) string { return fmtTime(l.Arrival, loc) }},
	{"ringstart", kindTime, func(l *callflow.Leg, loc *time.Location) string { return fmtTime(l.RingStart, loc) }},
	{"answer", kindTime, func(l *callflow.Leg, loc *time.Location) string { return fmtTime(l.Answer, loc) }},
	{"end", kindTime, func(l *callflow.Leg, loc *time.Location) string { return fmtTime(l.End, loc) }},
	{"announcement", kindDuration, func(l *callflow.Leg, _ *time.Location) string { return l.Announcement.String() }},
	{"ring", kindDuration, func(l *callflow.Leg, _ *time.Location) string { return l.Ring.String() }},
	{"wait", kindDuration, func(l *callflow.Leg, _ *time.Location) string { return l.Wait.String() }},
	{"talk", kindDuration, func(l *callflow.Leg, _ *time.Location) string { return l.Talk.String() }},
	{"call", kindDuration, func(l *callflow.Leg, _ *time.Location) string { return l.Call.String() }},
	{"agentring", kindDuration, func(l *callflow.Leg, _ *time.Location) string { return l.AgentRing.String() }},
	{"called", kindInt, func(l *callflow.Leg, _ *time.Location) string { return id(l.CalledAccountID) }},
	{"calledcid", kindString, func(l *callflow.Leg, _ *time.Location) string { return l.CalledCallerID.String() }},
	{"callednumber", kindNumber, func(l *callflow.Leg, _ *time.Location) string { return l.CalledNumber.String() }},
	{"caller", kindInt, func(l *callflow.Leg, _ *time.Location) string { return id(l.CallerAccountID) }},
	{"callercid", kindString, func(l *callflow.Leg, _ *time.Location) string { return l.CallerCallerID.String() }},
	{"callernumber", kindNumber, func(l *callflow.Leg, _ *time.Location) string { return l.CallerNumber.String() }},
	{"fax", kindBool, func(l *callflow.Leg, _ *time.Location) string { return strconv.FormatBool(l.Fax) }},
	{"recorded", kindBool, func(l *callflow.Leg, _ *time.Location) string { return strconv.FormatBool(l.Recorded) }},
	{"voicemail", kindBool, func(l *callflow.Leg, _ *time.Location) string { return strconv.FormatBool(l.Voicemail) }},
	{"private", kindBool, func(l *callflow.Leg, _ *time.Location) string { return strconv.FormatBool(l.Private) }},
	{"line", kindString, func(l *callflow.Leg, _ *time.Location) string { return l.LineName }},
	{"flags", kindFlags, func(l *callflow.Leg, _ *time.Location) string { return l.Flags.String() }},
	{"entries", kindIDList, func(l *callflow.Leg, _ *time.Location) string { return fmtIDs(l.EntryIDs) }},
}

var journeyDefs = []fieldDef[callflow.Journey]{
	{"callid", kindString, func(j *callflow.Journey, _ *time.Location) string { return j.CallID }},
	{"direction", kindDirection, func(j *callflow.Journey, _ *time.Location) string { return j.Direction.String() }},
	{"caller", kindInt, func(j *callflow.Journey, _ *time.Location) string { return id(j.CallerAccountID) }},
	{"callercid", kindString, func(j *callflow.Journey, _ *time.Location) string { return j.CallerCallerID.String() }},
	{"callernumber", kindNumber, func(j *callflow.Journey, _ *time.Location) string { return j.CallerNumber.String() }},
	{"dialled", kindInt, func(j *callflow.Journey, _ *time.Location) string { return id(j.DialledAccountID) }},
	{"callednumber", kindNumber, func(j *callflow.Journey, _ *time.Location) string { return j.CalledNumber.String() }},
	{"arrival", kindTime, func(j *callflow.Journey, loc *time.Location) string { return fmtTime(j.Arrival, loc) }},
	{"end", kindTime, func(j *callflow.Journey, loc *time.Location) string { return fmtTime(j.End, loc) }},
	{"path", kindIDList, func(j *callflow.Journey, _ *time.Location) string { return fmtIDs(j.Path) }},
	{"answered", kindBool, func(j *callflow.Journey, _ *time.Location) string { return strconv.FormatBool(j.Answered) }},
	{"answeredby", kindInt, func(j *callflow.Journey, _ *time.Location) string { return id(j.AnsweredBy) }},
	{"via", kindInt, func(j *callflow.Journey, _ *time.Location) string { return id(j.AnsweredVia) }},
	{"answer", kindTime, func(j *callflow.Journey, loc *time.Location) string { return fmtTime(j.Answer, loc) }},
	{"announcement", kindDuration, func(j *callflow.Journey, _ *time.Location) string { return j.Announcement.String() }},
	{"wait", kindDuration, func(j *callflow.Journey, _ *time.Location) string { return j.Wait.String() }},
	{"talk", kindDuration, func(j *callflow.Journey, _ *time.Location) string { return j.Talk.String() }},
	{"duration", kindDuration, func(j *callflow.Journey, _ *time.Location) string { return j.Duration.String() }},
	{"outcome", kindOutcome, func(j *callflow.Journey, _ *time.Location) string { return j.Outcome.String() }},
	{"events", kindEvents, func(j *callflow.Journey, loc *time.Location) string { return fmtEvents(j.Events, loc) }},
	{"queues", kindQueues, func(j *callflow.Journey, _ *time.Location) string { return fmtQueues(j.Queues) }},
	{"private", kindBool, func(j *callflow.Journey, _ *time.Location) string { return strconv.FormatBool(j.Private) }},
	{"flags", kindFlags, func(j *callflow.Journey, _ *time.Location) string { return j.Flags.String() }},
}

// LegFields returns every field of a leg in the scenario format, in the
// order of LegKeys. Times are written as wall-clock time in loc (nil: each
// time's own location).
//
// The keys and their values:
//
//	callid        Leg.CallID
//	seq           Leg.Seq
//	account       Leg.AccountID (0 = external)
//	type          Leg.AccountType: user, group, iqueue, unknown (placeholder)
//	group         Leg.GroupID: the group or iQueue the call came through, 0 if none
//	owner         Leg.OwnerAccountID: whose call list the leg was read from
//	incoming      Leg.Incoming: true / false
//	range         Leg.Range: internal, external
//	answered      Leg.Answered: true / false
//	result        Leg.Result: answered, missed
//	causedby      Leg.CausedByAccountID
//	arrival       Leg.Arrival, RFC 3339 in the zone: 2026-03-02T10:00:05+01:00
//	ringstart     Leg.RingStart; empty when it never rang
//	answer        Leg.Answer; empty when not answered
//	end           Leg.End
//	announcement  Leg.Announcement, Go syntax: 1m30s, 0s
//	ring          Leg.Ring
//	wait          Leg.Wait
//	talk          Leg.Talk
//	call          Leg.Call
//	agentring     Leg.AgentRing
//	called        Leg.CalledAccountID
//	calledcid     Leg.CalledCallerID, as cdr.CallerID.String: Anna Agent (2011)
//	callednumber  Leg.CalledNumber, as cdr.PhoneNumber.String: +4971112345, 2011, withheld
//	caller        Leg.CallerAccountID
//	callercid     Leg.CallerCallerID
//	callernumber  Leg.CallerNumber
//	fax           Leg.Fax
//	recorded      Leg.Recorded
//	voicemail     Leg.Voicemail
//	private       Leg.Private
//	line          Leg.LineName
//	flags         Leg.Flags, as callflow.Flag.String: repaired-times|missing-end; empty for none
//	entries       Leg.EntryIDs joined by ",": 1001,1002
func LegFields(l callflow.Leg, loc *time.Location) []Field {
	return fields(legDefs, &l, loc)
}

// JourneyFields returns every field of a journey in the scenario format, in
// the order of JourneyKeys. Times are written as wall-clock time in loc
// (nil: each time's own location).
//
// The keys and their values:
//
//	callid        Journey.CallID
//	direction     Journey.Direction: inbound, outbound, internal
//	caller        Journey.CallerAccountID (0 = external)
//	callercid     Journey.CallerCallerID, as cdr.CallerID.String
//	callernumber  Journey.CallerNumber, as cdr.PhoneNumber.String
//	dialled       Journey.DialledAccountID: the first account the call reached
//	callednumber  Journey.CalledNumber
//	arrival       Journey.Arrival, RFC 3339 in the zone
//	end           Journey.End
//	path          Journey.Path joined by ",": 200,11
//	answered      Journey.Answered
//	answeredby    Journey.AnsweredBy
//	via           Journey.AnsweredVia
//	answer        Journey.Answer; empty when not answered
//	announcement  Journey.Announcement, Go syntax
//	wait          Journey.Wait
//	talk          Journey.Talk
//	duration      Journey.Duration
//	outcome       Journey.Outcome: answered, voicemail, lost-in-announcement, lost-while-ringing,
//	              busy, no-agent, rejected, forwarded-away, not-answered, handled-by-module
//	events        Journey.Events joined by ",", each kind:from>to@HH:MM:SS with the wall-clock
//	              time in the zone: forwarded-on-timeout:11>12@10:00:20; empty for none
//	queues        Journey.Queues joined by ",", each group:disposition such as
//	              200:forwarded-on-timeout,201:answered; empty for none
//	private       Journey.Private
//	flags         Journey.Flags, as callflow.Flag.String
func JourneyFields(j callflow.Journey, loc *time.Location) []Field {
	return fields(journeyDefs, &j, loc)
}

func fields[T any](defs []fieldDef[T], v *T, loc *time.Location) []Field {
	out := make([]Field, len(defs))
	for i, d := range defs {
		out[i] = Field{Key: d.key, Value: d.get(v, loc)}
	}
	return out
}

// LegKeys returns the keys of leg records in the order LegFields writes them.
func LegKeys() []string { return keys(legDefs) }

// JourneyKeys returns the keys of journey records in the order JourneyFields
// writes them.
func JourneyKeys() []string { return keys(journeyDefs) }

func keys[T any](defs []fieldDef[T]) []string {
	out := make([]string, len(defs))
	for i, d := range defs {
		out[i] = d.key
	}
	return out
}

// DefaultLegKeys returns the keys -update writes for legs when the
// -- legs -- section holds no record yet.
func DefaultLegKeys() []string {
	return []string{"account", "type", "group", "range", "answered", "result", "announcement", "ring", "wait", "talk", "voicemail", "flags"}
}

// DefaultJourneyKeys returns the keys -update writes for journeys when the
// -- journeys -- section holds no record yet.
func DefaultJourneyKeys() []string {
	return []string{"direction", "outcome", "answeredby", "via", "path", "announcement", "wait", "talk", "events", "flags"}
}

// pick returns the fields of all named keys, in the order of keys.
func pick(all []Field, keys []string) []Field {
	out := make([]Field, 0, len(keys))
	for _, k := range keys {
		for _, f := range all {
			if f.Key == k {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

func kindOf[T any](defs []fieldDef[T], key string) (valueKind, bool) {
	for _, d := range defs {
		if d.key == key {
			return d.kind, true
		}
	}
	return 0, false
}

// normalize checks a written value and returns it in the form LegFields and
// JourneyFields produce, so that "90s" matches "1m30s" and "200, 11" matches
// "200,11".
func normalize(kind valueKind, v string, loc *time.Location) (string, error) {
	switch kind {
	case kindString:
		return v, nil
	case kindInt:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return "", fmt.Errorf("want a decimal number, got %q", v)
		}
		return strconv.FormatInt(n, 10), nil
	case kindBool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return "", fmt.Errorf("want true or false, got %q", v)
		}
		return strconv.FormatBool(b), nil
	case kindDuration:
		d, err := time.ParseDuration(v)
		if err != nil {
			return "", fmt.Errorf("want a Go duration such as 1m30s or 0s, got %q", v)
		}
		return d.String(), nil
	case kindTime:
		if v == "" {
			return "", nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return "", fmt.Errorf("want an RFC 3339 time such as 2026-03-02T10:00:05+01:00 (or nothing), got %q", v)
		}
		// The written form must read back as the same instant: RFC 3339
		// has no seconds in offsets (old local mean times) and only
		// four-digit years.
		out := fmtTime(t, loc)
		if back, err := time.Parse(time.RFC3339, out); err != nil || !back.Equal(t) {
			return "", fmt.Errorf("time %q cannot be written back exactly in the scenario's zone (offset with seconds or a year outside 0000-9999)", v)
		}
		return out, nil
	case kindNumber:
		p, err := cdr.ParsePhoneNumber(v)
		if err != nil {
			return "", fmt.Errorf("want a number such as +4971112345, 2011, withheld or nothing, got %q", v)
		}
		return p.String(), nil
	case kindAccountType:
		t, err := cdr.ParseAccountType(v)
		if err != nil || v == "" {
			return "", fmt.Errorf("want user, group, iqueue or unknown, got %q", v)
		}
		return t.String(), nil
	case kindDirection:
		return normalizeEnum[callflow.Direction](v, "inbound, outbound or internal")
	case kindRange:
		return normalizeEnum[callflow.Range](v, "internal or external")
	case kindResult:
		return normalizeEnum[callflow.Result](v, "answered or missed")
	case kindOutcome:
		return normalizeEnum[callflow.Outcome](v, "an outcome such as answered or lost-while-ringing")
	case kindFlags:
		var f callflow.Flag
		if err := f.UnmarshalText([]byte(v)); err != nil {
			return "", fmt.Errorf("want flags such as repaired-times|missing-end (or nothing), got %q", v)
		}
		return f.String(), nil
	case kindIDList:
		if strings.TrimSpace(v) == "" {
			return "", nil
		}
		parts := strings.Split(v, ",")
		for i, p := range parts {
			n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
			if err != nil {
				return "", fmt.Errorf("want ids joined by commas such as 200,11, got %q", v)
			}
			parts[i] = strconv.FormatInt(n, 10)
		}
		return strings.Join(parts, ","), nil
	case kindEvents:
		if strings.TrimSpace(v) == "" {
			return "", nil
		}
		parts := strings.Split(v, ",")
		for i, p := range parts {
			e, err := parseEvent(strings.TrimSpace(p))
			if err != nil {
				return "", err
			}
			parts[i] = e
		}
		return strings.Join(parts, ","), nil
	case kindQueues:
		if strings.TrimSpace(v) == "" {
			return "", nil
		}
		parts := strings.Split(v, ",")
		for i, p := range parts {
			g, d, ok := strings.Cut(strings.TrimSpace(p), ":")
			n, err := strconv.ParseInt(g, 10, 64)
			var disp callflow.Disposition
			if !ok || err != nil || disp.UnmarshalText([]byte(d)) != nil {
				return "", fmt.Errorf("want queue visits written as group:disposition, such as 200:forwarded-on-timeout, got %q", p)
			}
			parts[i] = strconv.FormatInt(n, 10) + ":" + disp.String()
		}
		return strings.Join(parts, ","), nil
	}
	return "", fmt.Errorf("unknown value kind %d", kind)
}

type enum interface {
	callflow.Direction | callflow.Range | callflow.Result | callflow.Outcome
	String() string
}

// normalizeEnum accepts the names the enum's UnmarshalText accepts, and the
// String form of an invalid value ("Range(0)") so that -update output of an
// unset field parses again.
func normalizeEnum[E enum](v, want string) (string, error) {
	var e E
	var err error
	switch p := any(&e).(type) {
	case *callflow.Direction:
		err = p.UnmarshalText([]byte(v))
	case *callflow.Range:
		err = p.UnmarshalText([]byte(v))
	case *callflow.Result:
		err = p.UnmarshalText([]byte(v))
	case *callflow.Outcome:
		err = p.UnmarshalText([]byte(v))
	}
	if err == nil {
		return e.String(), nil
	}
	if i := strings.IndexByte(v, '('); i > 0 && strings.HasSuffix(v, ")") {
		if n, perr := strconv.ParseUint(v[i+1:len(v)-1], 10, 8); perr == nil && E(n).String() == v {
			return v, nil
		}
	}
	return "", fmt.Errorf("want %s, got %q", want, v)
}

// parseEvent checks one event written as kind:from>to@HH:MM:SS.
func parseEvent(s string) (string, error) {
	bad := func() (string, error) {
		return "", fmt.Errorf("want events written as kind:from>to@HH:MM:SS, such as forwarded-on-timeout:11>12@10:00:20, got %q", s)
	}
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		return bad()
	}
	var k callflow.EventKind
	if err := k.UnmarshalText([]byte(kind)); err != nil {
		return "", fmt.Errorf("unknown event kind %q in %q", kind, s)
	}
	from, rest, ok := strings.Cut(rest, ">")
	if !ok {
		return bad()
	}
	to, at, ok := strings.Cut(rest, "@")
	if !ok {
		return bad()
	}
	f, err1 := strconv.ParseInt(from, 10, 64)
	t, err2 := strconv.ParseInt(to, 10, 64)
	clock, err3 := time.Parse(time.TimeOnly, at)
	if err1 != nil || err2 != nil || err3 != nil {
		return bad()
	}
	return fmt.Sprintf("%s:%d>%d@%s", k, f, t, clock.Format(time.TimeOnly)), nil
}
