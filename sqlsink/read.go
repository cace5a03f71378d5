package sqlsink

import (
	"cmp"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// The read-back API loads what Write stored, so that KPIs can be recomputed
// from the database alone: callflow.Reporter over ReadCalls gives the
// figures it gives over the calls that were written. Every column is
// decoded back into its Go type: instants in UTC (compare with
// time.Time.Equal, or convert with In), durations from their milliseconds,
// enumerations from their names, caller ids, numbers, paths, entry ids,
// events and queue visits from their text. A value that cannot be decoded
// is an error naming the table, the row's key and the column.
//
// The reads stream: a query stays open, holding one connection, while the
// loop runs, and rows are decoded as they come. With a pool limited to one
// connection (an SQLite file opened that way), do not write to the same
// database inside the loop.

// ReadCalls returns the calls whose journey starts in [from, to), each with
// its legs ordered by leg number, in the order callflow.InterpretAll
// gives: by arrival, then call id, then site. A zero from or to leaves
// that side unbounded. A call whose journey row is missing is not read
// (see ReadLegs). The sequence stops after the first error it yields.
func (s *Sink) ReadCalls(ctx context.Context, from, to time.Time) iter.Seq2[callflow.Call, error] {
	return s.readCalls(ctx, from, to)
}

// ReadJourneys returns the journeys that start in [from, to), in the order
// of ReadCalls, without their legs. A zero from or to leaves that side
// unbounded.
func (s *Sink) ReadJourneys(ctx context.Context, from, to time.Time) iter.Seq2[callflow.Journey, error] {
	return readTable(ctx, s, TableJourneys, journeyDecoders, "start_time", from, to,
		func(j *callflow.Journey) []any { return []any{j.Site, j.CallID} },
		func(a, b *callflow.Journey) int {
			return cmp.Or(cmp.Compare(a.CallID, b.CallID), cmp.Compare(a.Site, b.Site))
		})
}

// ReadLegs returns the rows of CDR_Summary whose own start_time (the leg's
// arrival) is in [from, to), by arrival, then call id, site and leg
// number. Unlike ReadCalls it needs no journey rows, and a forwarded leg
// that started after to is not read with the rest of its call: use
// ReadCalls to recompute KPIs.
func (s *Sink) ReadLegs(ctx context.Context, from, to time.Time) iter.Seq2[callflow.Leg, error] {
	return readTable(ctx, s, TableLegs, legDecoders, "start_time", from, to,
		func(l *callflow.Leg) []any { return []any{l.Site, l.CallID, l.Seq} },
		func(a, b *callflow.Leg) int {
			return cmp.Or(cmp.Compare(a.CallID, b.CallID), cmp.Compare(a.Site, b.Site), cmp.Compare(a.Seq, b.Seq))
		})
}

// decoder sets one field of a record from the values of its columns (one,
// or two for a caller id: the whole text and the name part).
type decoder[T any] struct {
	cols []string
	set  func(r *T, v []any) error
}

func decoderColumns[T any](ds []decoder[T]) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.cols...)
	}
	return out
}

func decText[T any](name string, set func(*T, string)) decoder[T] {
	return decoder[T]{[]string{name}, func(r *T, v []any) error {
		s, err := asString(v[0])
		if err == nil {
			set(r, s)
		}
		return err
	}}
}

// decParse decodes a text column that must parse (enumerations, numbers,
// lists).
func decParse[T any](name string, set func(*T, string) error) decoder[T] {
	return decoder[T]{[]string{name}, func(r *T, v []any) error {
		s, err := asString(v[0])
		if err != nil {
			return err
		}
		return set(r, s)
	}}
}

func decInt[T any](name string, set func(*T, int64)) decoder[T] {
	return decoder[T]{[]string{name}, func(r *T, v []any) error {
		n, err := asInt64(v[0])
		if err == nil {
			set(r, n)
		}
		return err
	}}
}

func decAccount[T any](name string, set func(*T, cdr.AccountID)) decoder[T] {
	return decInt(name, func(r *T, n int64) { set(r, cdr.AccountID(n)) })
}

func decMillis[T any](name string, set func(*T, time.Duration)) decoder[T] {
	return decInt(name, func(r *T, n int64) { set(r, time.Duration(n)*time.Millisecond) })
}

func decBool[T any](name string, set func(*T, bool)) decoder[T] {
	return decoder[T]{[]string{name}, func(r *T, v []any) error {
		b, err := asBool(v[0])
		if err == nil {
			set(r, b)
		}
		return err
	}}
}

// decTime decodes an instant in UTC; NULL (a time that did not happen) is
// the zero time.
func decTime[T any](name string, set func(*T, time.Time)) decoder[T] {
	return decoder[T]{[]string{name}, func(r *T, v []any) error {
		t, err := scanTime(v[0])
		if err == nil {
			set(r, t)
		}
		return err
	}}
}

// decCallerID decodes a caller id from its whole text and its name column.
func decCallerID[T any](whole, name string, set func(*T, cdr.CallerID)) decoder[T] {
	return decoder[T]{[]string{whole, name}, func(r *T, v []any) error {
		w, err := asString(v[0])
		if err != nil {
			return err
		}
		n, err := asString(v[1])
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		set(r, callerID(w, n))
		return nil
	}}
}

func decNumber[T any](name string, set func(*T, cdr.PhoneNumber)) decoder[T] {
	return decParse(name, func(r *T, s string) error {
		p, err := cdr.ParsePhoneNumber(s)
		if err == nil {
			set(r, p)
		}
		return err
	})
}

// legDecoders read CDR_Summary: one decoder per column of legSpec, in its
// order.
var legDecoders = []decoder[callflow.Leg]{
	decText("site", func(l *callflow.Leg, s string) { l.Site = s }),
	decText("call_id", func(l *callflow.Leg, s string) { l.CallID = s }),
	decInt("leg_seq", func(l *callflow.Leg, n int64) { l.Seq = int(n) }),
	decAccount("account_id", func(l *callflow.Leg, a cdr.AccountID) { l.AccountID = a }),
	decParse("account_type", func(l *callflow.Leg, s string) error { return parseEnum(s, "AccountType", &l.AccountType) }),
	decAccount("group_account_id", func(l *callflow.Leg, a cdr.AccountID) { l.GroupID = a }),
	decAccount("owner_account_id", func(l *callflow.Leg, a cdr.AccountID) { l.OwnerAccountID = a }),
	decParse("call_origin_type", func(l *callflow.Leg, s string) error { return parseEnum(s, "Range", &l.Range) }),
	decBool("incoming", func(l *callflow.Leg, b bool) { l.Incoming = b }),
	decBool("answered", func(l *callflow.Leg, b bool) { l.Answered = b }),
	decParse("result", func(l *callflow.Leg, s string) error { return parseEnum(s, "Result", &l.Result) }),
	decAccount("caused_by_account_id", func(l *callflow.Leg, a cdr.AccountID) { l.CausedByAccountID = a }),
	decTime("start_time", func(l *callflow.Leg, t time.Time) { l.Arrival = t }),
	decTime("ring_time", func(l *callflow.Leg, t time.Time) { l.RingStart = t }),
	decTime("answer_time", func(l *callflow.Leg, t time.Time) { l.Answer = t }),
	decTime("end_time", func(l *callflow.Leg, t time.Time) { l.End = t }),
	decMillis("announcement_ms", func(l *callflow.Leg, d time.Duration) { l.Announcement = d }),
	decMillis("ring_ms", func(l *callflow.Leg, d time.Duration) { l.Ring = d }),
	decMillis("wait_ms", func(l *callflow.Leg, d time.Duration) { l.Wait = d }),
	decMillis("talk_ms", func(l *callflow.Leg, d time.Duration) { l.Talk = d }),
	decMillis("call_ms", func(l *callflow.Leg, d time.Duration) { l.Call = d }),
	decMillis("agent_ring_ms", func(l *callflow.Leg, d time.Duration) { l.AgentRing = d }),
	decAccount("called_account_id", func(l *callflow.Leg, a cdr.AccountID) { l.CalledAccountID = a }),
	decCallerID("called_caller_id", "called_name", func(l *callflow.Leg, c cdr.CallerID) { l.CalledCallerID = c }),
	decNumber("called_number", func(l *callflow.Leg, p cdr.PhoneNumber) { l.CalledNumber = p }),
	decAccount("caller_account_id", func(l *callflow.Leg, a cdr.AccountID) { l.CallerAccountID = a }),
	decCallerID("caller_caller_id", "caller_name", func(l *callflow.Leg, c cdr.CallerID) { l.CallerCallerID = c }),
	decNumber("caller_number", func(l *callflow.Leg, p cdr.PhoneNumber) { l.CallerNumber = p }),
	decBool("fax", func(l *callflow.Leg, b bool) { l.Fax = b }),
	decBool("recorded", func(l *callflow.Leg, b bool) { l.Recorded = b }),
	decBool("voicemail", func(l *callflow.Leg, b bool) { l.Voicemail = b }),
	decBool("private", func(l *callflow.Leg, b bool) { l.Private = b }),
	decText("line_name", func(l *callflow.Leg, s string) { l.LineName = s }),
	decText("comment", func(l *callflow.Leg, s string) { l.Comment = s }),
	decText("comment_author", func(l *callflow.Leg, s string) { l.CommentAuthor = s }),
	decBool("called_back", func(l *callflow.Leg, b bool) { l.CalledBack = b }),
	decParse("flags", func(l *callflow.Leg, s string) error { return parseFlags(s, &l.Flags) }),
	decParse("entry_ids", func(l *callflow.Leg, s string) (err error) { l.EntryIDs, err = parseInt64s(s); return err }),
}

// journeyDecoders read journeys: one decoder per column of journeySpec, in
// its order.
var journeyDecoders = []decoder[callflow.Journey]{
	decText("site", func(j *callflow.Journey, s string) { j.Site = s }),
	decText("call_id", func(j *callflow.Journey, s string) { j.CallID = s }),
	decParse("direction", func(j *callflow.Journey, s string) error { return parseEnum(s, "Direction", &j.Direction) }),
	decAccount("caller_account_id", func(j *callflow.Journey, a cdr.AccountID) { j.CallerAccountID = a }),
	decCallerID("caller_caller_id", "caller_name", func(j *callflow.Journey, c cdr.CallerID) { j.CallerCallerID = c }),
	decNumber("caller_number", func(j *callflow.Journey, p cdr.PhoneNumber) { j.CallerNumber = p }),
	decAccount("dialled_account_id", func(j *callflow.Journey, a cdr.AccountID) { j.DialledAccountID = a }),
	decNumber("called_number", func(j *callflow.Journey, p cdr.PhoneNumber) { j.CalledNumber = p }),
	decTime("start_time", func(j *callflow.Journey, t time.Time) { j.Arrival = t }),
	decTime("end_time", func(j *callflow.Journey, t time.Time) { j.End = t }),
	decParse("path", func(j *callflow.Journey, s string) (err error) { j.Path, err = parseAccountIDs(s); return err }),
	decBool("answered", func(j *callflow.Journey, b bool) { j.Answered = b }),
	decAccount("answered_by", func(j *callflow.Journey, a cdr.AccountID) { j.AnsweredBy = a }),
	decAccount("answered_via", func(j *callflow.Journey, a cdr.AccountID) { j.AnsweredVia = a }),
	decTime("answer_time", func(j *callflow.Journey, t time.Time) { j.Answer = t }),
	decMillis("announcement_ms", func(j *callflow.Journey, d time.Duration) { j.Announcement = d }),
	decMillis("wait_ms", func(j *callflow.Journey, d time.Duration) { j.Wait = d }),
	decMillis("talk_ms", func(j *callflow.Journey, d time.Duration) { j.Talk = d }),
	decMillis("duration_ms", func(j *callflow.Journey, d time.Duration) { j.Duration = d }),
	decParse("outcome", func(j *callflow.Journey, s string) error { return parseEnum(s, "Outcome", &j.Outcome) }),
	decParse("events", func(j *callflow.Journey, s string) error { return parseEvents(s, &j.Events) }),
	decParse("queues", func(j *callflow.Journey, s string) error { return parseQueues(s, &j.Queues) }),
	decBool("private", func(j *callflow.Journey, b bool) { j.Private = b }),
	decInt("row_count", func(j *callflow.Journey, n int64) { j.Rows = int(n) }),
	decParse("flags", func(j *callflow.Journey, s string) error { return parseFlags(s, &j.Flags) }),
}

// decode applies the decoders to vals (their columns, in order). An error
// names the table, the row's key and the column.
func decode[T any](table string, ds []decoder[T], vals []any, r *T, key func() string) error {
	i := 0
	for _, d := range ds {
		n := len(d.cols)
		if err := d.set(r, vals[i:i+n]); err != nil {
			return fmt.Errorf("sqlsink: read %s, row %s, column %s: %w", table, key(), d.cols[0], err)
		}
		i += n
	}
	return nil
}

// rawKey formats key columns as the rows' keys are in write errors.
func rawKey(vals ...any) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		if p, ok := v.([]byte); ok {
			v = string(p)
		}
		fmt.Fprintf(&b, "%q", fmt.Sprint(v))
	}
	b.WriteByte(')')
	return b.String()
}

// selectList writes the quoted columns, each after alias (with its dot,
// or "").
func selectList(d Dialect, b *strings.Builder, alias string, cols []string) {
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(alias)
		b.WriteString(d.Quote(c))
	}
}

// timeRange writes the WHERE clause of [from, to) on col and returns its
// arguments; a zero bound is left out.
func timeRange(d Dialect, b *strings.Builder, col string, from, to time.Time) []any {
	var args []any
	for _, bound := range []struct {
		t  time.Time
		op string
	}{{from, " >= "}, {to, " < "}} {
		if bound.t.IsZero() {
			continue
		}
		if len(args) == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		args = append(args, d.BindTime(bound.t))
		b.WriteString(col + bound.op + d.Placeholder(len(args)))
	}
	return args
}

// readTable streams the records of one table whose timeCol is in [from,
// to). The database orders by time; records of one instant are ordered by
// less in Go, so that the order does not depend on the database's
// collation.
func readTable[T any](ctx context.Context, s *Sink, name string, ds []decoder[T], timeCol string, from, to time.Time, key func(*T) []any, less func(a, b *T) int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		d := s.d
		table := s.prefix + name
		cols := decoderColumns(ds)
		timeIdx := slices.Index(cols, timeCol)
		var q strings.Builder
		q.WriteString("SELECT ")
		selectList(d, &q, "", cols)
		q.WriteString(" FROM " + d.Quote(table))
		args := timeRange(d, &q, d.Quote(timeCol), from, to)
		q.WriteString(" ORDER BY " + d.Quote(timeCol))
		rows, err := s.db.QueryContext(ctx, q.String(), args...)
		if err != nil {
			var zero T
			yield(zero, fmt.Errorf("sqlsink: read %s: %w", table, err))
			return
		}
		defer rows.Close()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		var bucket []T
		var at time.Time
		flush := func() bool {
			slices.SortStableFunc(bucket, func(a, b T) int { return less(&a, &b) })
			for _, r := range bucket {
				if !yield(r, nil) {
					return false
				}
			}
			bucket = bucket[:0]
			return true
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				var zero T
				yield(zero, fmt.Errorf("sqlsink: read %s: %w", table, err))
				return
			}
			var r T
			if err := decode(table, ds, vals, &r, func() string { return rawKey(key(&r)...) }); err != nil {
				var zero T
				yield(zero, err)
				return
			}
			t, _ := scanTime(vals[timeIdx]) // decoded above without error
			if len(bucket) > 0 && !t.Equal(at) && !flush() {
				return
			}
			at = t
			bucket = append(bucket, r)
		}
		if err := rows.Err(); err != nil {
			var zero T
			yield(zero, fmt.Errorf("sqlsink: read %s: %w", table, err))
			return
		}
		flush()
	}
}

// readCalls reads journeys with their legs in one statement (journeys LEFT
// JOIN legs), so that both come from one consistent view of the database.
func (s *Sink) readCalls(ctx context.Context, from, to time.Time) iter.Seq2[callflow.Call, error] {
	return func(yield func(callflow.Call, error) bool) {
		d := s.d
		jt, lt := s.prefix+TableJourneys, s.prefix+TableLegs
		jcols, lcols := decoderColumns(journeyDecoders), decoderColumns(legDecoders)
		var q strings.Builder
		q.WriteString("SELECT ")
		selectList(d, &q, "j.", jcols)
		q.WriteString(", ")
		selectList(d, &q, "l.", lcols)
		q.WriteString(" FROM " + d.Quote(jt) + " j LEFT JOIN " + d.Quote(lt) + " l ON l." + d.Quote("site") + " = j." + d.Quote("site") +
			" AND l." + d.Quote("call_id") + " = j." + d.Quote("call_id"))
		args := timeRange(d, &q, "j."+d.Quote("start_time"), from, to)
		q.WriteString(" ORDER BY j." + d.Quote("start_time") + ", j." + d.Quote("site") + ", j." + d.Quote("call_id") + ", l." + d.Quote("leg_seq"))
		fail := func(err error) { yield(callflow.Call{}, err) }
		rows, err := s.db.QueryContext(ctx, q.String(), args...)
		if err != nil {
			fail(fmt.Errorf("sqlsink: read %s with %s: %w", jt, lt, err))
			return
		}
		defer rows.Close()

		nj := len(jcols)
		jSite, jCall, jStart := slices.Index(jcols, "site"), slices.Index(jcols, "call_id"), slices.Index(jcols, "start_time")
		lSite := nj + slices.Index(lcols, "site")
		vals := make([]any, nj+len(lcols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		// The calls of one instant, gathered by key: the database's
		// collation may not keep a call's rows together, nor order call
		// ids as Go does.
		type callKey struct{ site, callID string }
		var bucket []*callflow.Call
		index := map[callKey]*callflow.Call{}
		var at time.Time
		flush := func() bool {
			slices.SortFunc(bucket, func(a, b *callflow.Call) int {
				return cmp.Or(cmp.Compare(a.Journey.CallID, b.Journey.CallID), cmp.Compare(a.Journey.Site, b.Journey.Site))
			})
			for _, c := range bucket {
				slices.SortStableFunc(c.Legs, func(a, b callflow.Leg) int { return cmp.Compare(a.Seq, b.Seq) })
				if !yield(*c, nil) {
					return false
				}
			}
			bucket = bucket[:0]
			clear(index)
			return true
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				fail(fmt.Errorf("sqlsink: read %s with %s: %w", jt, lt, err))
				return
			}
			site, err1 := asString(vals[jSite])
			callID, err2 := asString(vals[jCall])
			start, err3 := scanTime(vals[jStart])
			if err := errors.Join(err1, err2, err3); err != nil {
				fail(fmt.Errorf("sqlsink: read %s, row %s: key: %w", jt, rawKey(vals[jSite], vals[jCall]), err))
				return
			}
			if len(bucket) > 0 && !start.Equal(at) && !flush() {
				return
			}
			at = start
			k := callKey{site, callID}
			c := index[k]
			if c == nil {
				c = &callflow.Call{}
				if err := decode(jt, journeyDecoders, vals[:nj], &c.Journey, func() string { return rawKey(site, callID) }); err != nil {
					fail(err)
					return
				}
				index[k] = c
				bucket = append(bucket, c)
			}
			if vals[lSite] == nil {
				continue // a journey without legs
			}
			var l callflow.Leg
			if err := decode(lt, legDecoders, vals[nj:], &l, func() string { return rawKey(l.Site, l.CallID, l.Seq) }); err != nil {
				fail(err)
				return
			}
			c.Legs = append(c.Legs, l)
		}
		if err := rows.Err(); err != nil {
			fail(fmt.Errorf("sqlsink: read %s with %s: %w", jt, lt, err))
			return
		}
		flush()
	}
}

// asString reads a text column, decoding what Write encoded (see
// EncodedPrefix).
func asString(v any) (string, error) {
	switch s := v.(type) {
	case string:
		return DecodeText(s), nil
	case []byte:
		return DecodeText(string(s)), nil
	case nil:
		return "", errors.New("NULL in a NOT NULL column")
	}
	return "", fmt.Errorf("unexpected %T for text", v)
}

// asInt64 reads an integer column: drivers return int64, some other
// integer types, or the text of the number.
func asInt64(v any) (int64, error) {
	switch n := v.(type) {
	case int64:
		return n, nil
	case int32:
		return int64(n), nil
	case int:
		return int64(n), nil
	case uint64:
		if n > 1<<63-1 {
			return 0, fmt.Errorf("%d overflows int64", n)
		}
		return int64(n), nil
	case float64:
		if n != float64(int64(n)) {
			return 0, fmt.Errorf("%v is not an integer", n)
		}
		return int64(n), nil
	case []byte:
		return strconv.ParseInt(string(n), 10, 64)
	case string:
		return strconv.ParseInt(n, 10, 64)
	case nil:
		return 0, errors.New("NULL in a NOT NULL column")
	}
	return 0, fmt.Errorf("unexpected %T for an integer", v)
}

// asBool reads a boolean column: a bool, or 0 / 1 where the database
// stores booleans as integers (MySQL, SQLite).
func asBool(v any) (bool, error) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case nil:
		return false, errors.New("NULL in a NOT NULL column")
	case []byte, string:
		if s, _ := asString(b); s == "true" || s == "false" || s == "t" || s == "f" {
			return s[0] == 't', nil
		}
	}
	n, err := asInt64(v)
	if err != nil || (n != 0 && n != 1) {
		return false, fmt.Errorf("%v is not a boolean", v)
	}
	return n == 1, nil
}

// parseEnum parses an enumeration's name, and the "Type(n)" form its
// String gives to values without a name, so that every value round-trips.
func parseEnum[E ~uint8, PE interface {
	*E
	encoding.TextUnmarshaler
}](s, typ string, e PE) error {
	if inner, ok := strings.CutPrefix(s, typ+"("); ok {
		if n, ok := strings.CutSuffix(inner, ")"); ok {
			if v, err := strconv.ParseUint(n, 10, 8); err == nil {
				*e = E(v)
				return nil
			}
		}
	}
	return e.UnmarshalText([]byte(s))
}

// parseFlags parses Flag.String: names joined by "|", and the hex rest of
// flags without a name.
func parseFlags(s string, f *callflow.Flag) error {
	*f = 0
	if s == "" {
		return nil
	}
	for p := range strings.SplitSeq(s, "|") {
		if h, ok := strings.CutPrefix(p, "0x"); ok {
			v, err := strconv.ParseUint(h, 16, 16)
			if err != nil {
				return fmt.Errorf("flags %q: %w", s, err)
			}
			*f |= callflow.Flag(v)
			continue
		}
		var g callflow.Flag
		if err := g.UnmarshalText([]byte(p)); err != nil {
			return err
		}
		*f |= g
	}
	return nil
}

// parseInt64s parses a comma-separated list; "" is none (nil).
func parseInt64s(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	var out []int64
	for p := range strings.SplitSeq(s, ",") {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("list %q: %w", s, err)
		}
		out = append(out, n)
	}
	return out, nil
}

func parseAccountIDs(s string) ([]cdr.AccountID, error) {
	ns, err := parseInt64s(s)
	if ns == nil {
		return nil, err
	}
	out := make([]cdr.AccountID, len(ns))
	for i, n := range ns {
		out[i] = cdr.AccountID(n)
	}
	return out, nil
}

// callerID rebuilds a caller id from its whole text (CallerID.String) and
// its name part, which together split it exactly, also where
// cdr.ParseCallerID would read a hand-built value differently. Text that
// does not fit the name (written by another tool) is split by
// cdr.ParseCallerID.
func callerID(whole, name string) cdr.CallerID {
	switch {
	case name == "":
		return cdr.CallerID{Number: whole}
	case whole == name:
		return cdr.CallerID{Name: name}
	}
	if inner, ok := strings.CutPrefix(whole, name+" ("); ok {
		if number, ok := strings.CutSuffix(inner, ")"); ok && number != "" {
			return cdr.CallerID{Name: name, Number: number}
		}
	}
	return cdr.ParseCallerID(whole)
}

// parseEvents decodes the events column (JSON; "null" or "" is none) with
// instants in UTC.
func parseEvents(s string, out *[]callflow.Event) error {
	*out = nil
	if s == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(s), out); err != nil {
		return err
	}
	for i := range *out {
		(*out)[i].At = (*out)[i].At.UTC()
	}
	return nil
}

// parseQueues decodes the queues column like parseEvents.
func parseQueues(s string, out *[]callflow.QueueVisit) error {
	*out = nil
	if s == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(s), out); err != nil {
		return err
	}
	for i := range *out {
		(*out)[i].Arrival = (*out)[i].Arrival.UTC()
	}
	return nil
}
