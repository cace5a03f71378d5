package sqlsink_test

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/sqlsink"
)

// collect drains a read, failing the test at the first error.
func collect[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

// inUTC returns a deep copy of calls with every instant in UTC: what the
// read-back API returns for calls interpreted in the PBX's zone.
func inUTC(calls []callflow.Call) []callflow.Call {
	out := make([]callflow.Call, len(calls))
	for i, c := range calls {
		j := c.Journey
		j.Arrival, j.End, j.Answer = utc(j.Arrival), utc(j.End), utc(j.Answer)
		j.Path = slices.Clone(j.Path)
		j.Events = slices.Clone(j.Events)
		for k := range j.Events {
			j.Events[k].At = utc(j.Events[k].At)
		}
		j.Queues = slices.Clone(j.Queues)
		for k := range j.Queues {
			j.Queues[k].Arrival = utc(j.Queues[k].Arrival)
		}
		legs := slices.Clone(c.Legs)
		for k := range legs {
			l := &legs[k]
			l.Arrival, l.RingStart, l.Answer, l.End = utc(l.Arrival), utc(l.RingStart), utc(l.Answer), utc(l.End)
			l.EntryIDs = slices.Clone(l.EntryIDs)
		}
		out[i] = callflow.Call{Journey: j, Legs: legs}
	}
	return out
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// requireUTC fails unless every instant of calls is in UTC (or zero): cmp
// compares times with Equal, which ignores the zone.
func requireUTC(t *testing.T, calls []callflow.Call) {
	t.Helper()
	check := func(what string, tm time.Time) {
		if tm.Location() != time.UTC {
			t.Fatalf("%s: %v is in %v, want UTC", what, tm, tm.Location())
		}
	}
	for _, c := range calls {
		j := c.Journey
		check("journey "+j.CallID+" arrival", j.Arrival)
		check("journey "+j.CallID+" end", j.End)
		check("journey "+j.CallID+" answer", j.Answer)
		for _, e := range j.Events {
			check("journey "+j.CallID+" event", e.At)
		}
		for _, q := range j.Queues {
			check("journey "+j.CallID+" queue visit", q.Arrival)
		}
		for _, l := range c.Legs {
			for _, tm := range []time.Time{l.Arrival, l.RingStart, l.Answer, l.End} {
				check("leg "+l.CallID, tm)
			}
		}
	}
}

// callOpts compares calls: nil and empty lists alike (the database stores
// both as none).
var callOpts = gocmp.Options{cmpopts.EquateEmpty()}

// TestReadCalls: a simulated day written and read back gives the calls
// that were written, in InterpretAll's order, with instants in UTC; the
// KPIs and lost callers recomputed from the read-back calls equal those of
// the written calls. Sub-ranges are half-open; ReadJourneys and ReadLegs
// agree with ReadCalls.
func TestReadCalls(t *testing.T) {
	accounts, calls, _ := simDay(t)
	require.Greater(t, len(calls), 100)
	want := inUTC(calls)
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	rep, err := callflow.NewReporter(callflow.ReportConfig{Location: berlin})
	require.NoError(t, err)

	for _, dbase := range databases {
		t.Run(dbase.name, func(t *testing.T) {
			ctx := context.Background()
			s, db := newSink(t, dbase)
			_, err := s.Migrate(ctx)
			require.NoError(t, err)
			_, err = s.Write(ctx, sqlsink.Batch{Calls: calls, Accounts: accounts})
			require.NoError(t, err)

			got := collect(t, s.ReadCalls(ctx, time.Time{}, time.Time{}))
			if diff := gocmp.Diff(want, got, callOpts); diff != "" {
				t.Fatalf("ReadCalls (-want +got):\n%s", diff)
			}
			requireUTC(t, got)

			t.Run("KPIs", func(t *testing.T) {
				for _, iv := range []callflow.Interval{callflow.IntervalAll, callflow.IntervalHour} {
					if diff := gocmp.Diff(rep.Groups(calls, iv), rep.Groups(got, iv)); diff != "" {
						t.Errorf("Groups(%v) from the database (-written +read):\n%s", iv, diff)
					}
				}
				if diff := gocmp.Diff(rep.LostCallers(calls, time.Time{}), rep.LostCallers(got, time.Time{}), callOpts); diff != "" {
					t.Errorf("LostCallers from the database (-written +read):\n%s", diff)
				}
			})

			t.Run("range", func(t *testing.T) {
				// [from, to): the call arriving at from is in, the one
				// arriving at to is out.
				from, to := calls[len(calls)/4].Journey.Arrival, calls[len(calls)/2].Journey.Arrival
				var inRange []callflow.Call
				for _, c := range want {
					if !c.Journey.Arrival.Before(from) && c.Journey.Arrival.Before(to) {
						inRange = append(inRange, c)
					}
				}
				require.NotEmpty(t, inRange)
				sub := collect(t, s.ReadCalls(ctx, from, to))
				if diff := gocmp.Diff(inRange, sub, callOpts); diff != "" {
					t.Errorf("ReadCalls(%v, %v) (-want +got):\n%s", from, to, diff)
				}
				fromOn := collect(t, s.ReadCalls(ctx, from, time.Time{}))
				require.Equal(t, len(want)-len(calls)/4+countAt(want, len(calls)/4), len(fromOn), "from only")
				upTo := collect(t, s.ReadCalls(ctx, time.Time{}, from))
				require.Equal(t, len(want)-len(fromOn), len(upTo), "to only")
				empty := collect(t, s.ReadCalls(ctx, to, to))
				require.Empty(t, empty, "an empty range")
			})

			t.Run("journeys and legs", func(t *testing.T) {
				var journeys []callflow.Journey
				var legs []callflow.Leg
				for _, c := range want {
					journeys = append(journeys, c.Journey)
					legs = append(legs, c.Legs...)
				}
				if diff := gocmp.Diff(journeys, collect(t, s.ReadJourneys(ctx, time.Time{}, time.Time{})), callOpts); diff != "" {
					t.Errorf("ReadJourneys (-want +got):\n%s", diff)
				}
				slices.SortStableFunc(legs, func(a, b callflow.Leg) int {
					return cmp.Or(a.Arrival.Compare(b.Arrival), cmp.Compare(a.CallID, b.CallID), cmp.Compare(a.Site, b.Site), cmp.Compare(a.Seq, b.Seq))
				})
				if diff := gocmp.Diff(legs, collect(t, s.ReadLegs(ctx, time.Time{}, time.Time{})), callOpts); diff != "" {
					t.Errorf("ReadLegs (-want +got):\n%s", diff)
				}
			})

			t.Run("break releases the connection", func(t *testing.T) {
				n := 0
				for _, err := range s.ReadCalls(ctx, time.Time{}, time.Time{}) {
					require.NoError(t, err)
					if n++; n == 3 {
						break
					}
				}
				require.Equal(t, 3, n)
				require.Zero(t, db.Stats().InUse, "a connection is still held after the loop ended")
			})
		})
	}
}

// countAt counts the calls before index i that arrive at the same instant
// as calls[i] (they are in a range starting there too).
func countAt(calls []callflow.Call, i int) int {
	n := 0
	for k := i - 1; k >= 0 && calls[k].Journey.Arrival.Equal(calls[i].Journey.Arrival); k-- {
		n++
	}
	return n
}

// edgeCall holds values the simulation never makes: enumerations without a
// name, flags without a name, caller ids that cdr.ParseCallerID would
// split otherwise, microsecond instants in another zone, a journey without
// legs, calls of one instant whose ids sort differently by byte and by
// language.
func edgeCalls(t *testing.T) []callflow.Call {
	t.Helper()
	tokyo := time.FixedZone("JST", 9*3600)
	at := time.Date(2026, 3, 2, 18, 30, 15, 123456000, tokyo)
	num := func(s string) cdr.PhoneNumber {
		p, err := cdr.ParsePhoneNumber(s)
		require.NoError(t, err)
		return p
	}
	j := callflow.Journey{
		CallID: "b-1", Site: "pbx 2", Direction: callflow.Direction(9),
		CallerCallerID: cdr.CallerID{Name: "Anna (12)"}, CallerNumber: num("withheld"),
		Arrival: at, End: at.Add(90 * time.Second), Path: []cdr.AccountID{200, 11, 200},
		Answered: true, AnsweredBy: 11, AnsweredVia: 200, Answer: at.Add(7 * time.Second),
		Announcement: 1500 * time.Millisecond, Wait: 7 * time.Second, Talk: 83 * time.Second, Duration: 90 * time.Second,
		Outcome: callflow.Outcome(42), Rows: 3, Flags: callflow.FlagRepairedTimes | callflow.FlagLateRows | 1<<12,
		Events: []callflow.Event{{Kind: callflow.EventPickedUp, At: at.Add(time.Second), From: 12, To: 11}},
		Queues: []callflow.QueueVisit{{GroupID: 200, Type: cdr.AccountGroup, Arrival: at, Wait: 7 * time.Second, AgentID: 11, Disposition: callflow.DispositionUnknown}},
	}
	legs := []callflow.Leg{
		{CallID: "b-1", Site: "pbx 2", Seq: 0, AccountID: 11, AccountType: cdr.AccountType(7), Range: callflow.Range(0), Result: callflow.Result(5),
			Arrival: at, RingStart: at.Add(1500 * time.Millisecond), Answer: at.Add(7 * time.Second), End: at.Add(90 * time.Second),
			CalledCallerID: cdr.CallerID{Number: "Anna"}, CallerCallerID: cdr.CallerID{Name: " x ", Number: "(0711) 1"},
			CalledNumber: num("12"), CallerNumber: num("+4971112"), EntryIDs: []int64{-1, 0, 1 << 40}, Flags: 1 << 15,
			Comment: "it's \"quoted\" \\ and ümlaut, 😀", LineName: "Linie 1"},
		{CallID: "b-1", Site: "pbx 2", Seq: 1, AccountID: 200, AccountType: cdr.AccountGroup, Arrival: at, End: at.Add(90 * time.Second)},
	}
	noLegs := callflow.Journey{CallID: "B-2", Site: "pbx 2", Arrival: at, End: at, Path: []cdr.AccountID{}}
	lower := callflow.Journey{CallID: "a-3", Site: "pbx 2", Arrival: at, End: at}
	return []callflow.Call{{Journey: j, Legs: legs}, {Journey: noLegs}, {Journey: lower, Legs: []callflow.Leg{{CallID: "a-3", Site: "pbx 2", Arrival: at, End: at}}}}
}

// TestReadEdgeValues: values the simulation never produces round-trip
// exactly too, and calls of one instant come in Go's order of call ids
// ("B-2" < "a-3" < "b-1"), whatever the database's collation.
func TestReadEdgeValues(t *testing.T) {
	calls := edgeCalls(t)
	want := inUTC(calls)
	slices.SortFunc(want, func(a, b callflow.Call) int { return cmp.Compare(a.Journey.CallID, b.Journey.CallID) })
	for _, dbase := range databases {
		t.Run(dbase.name, func(t *testing.T) {
			ctx := context.Background()
			s, _ := newSink(t, dbase)
			_, err := s.Migrate(ctx)
			require.NoError(t, err)
			_, err = s.Write(ctx, sqlsink.Batch{Calls: calls})
			require.NoError(t, err)
			got := collect(t, s.ReadCalls(ctx, time.Time{}, time.Time{}))
			if diff := gocmp.Diff(want, got, callOpts); diff != "" {
				t.Fatalf("ReadCalls (-want +got):\n%s", diff)
			}
			requireUTC(t, got)
		})
	}
}

// TestReadErrors: a value that does not decode stops the read with an
// error naming the table, the row's key and the column.
func TestReadErrors(t *testing.T) {
	_, calls, _ := simDay(t)
	calls = calls[:20]
	victim := calls[10].Journey.CallID
	// The calls of earlier instants come before the error.
	before := 0
	for _, c := range calls {
		if c.Journey.Arrival.Before(calls[10].Journey.Arrival) {
			before++
		}
	}
	require.Positive(t, before)
	tests := []struct {
		name, table, column, value string
		wantIn                     []string
	}{
		{name: "journey outcome", table: sqlsink.TableJourneys, column: "outcome", value: "vanished",
			wantIn: []string{sqlsink.TableJourneys, `"` + victim + `"`, "column outcome", "vanished"}},
		{name: "journey events", table: sqlsink.TableJourneys, column: "events", value: "[{",
			wantIn: []string{sqlsink.TableJourneys, `"` + victim + `"`, "column events"}},
		{name: "leg range", table: sqlsink.TableLegs, column: "call_origin_type", value: "nowhere",
			wantIn: []string{sqlsink.TableLegs, `"` + victim + `", "0"`, "column call_origin_type", "nowhere"}},
		{name: "leg number", table: sqlsink.TableLegs, column: "caller_number", value: "+49 (bad",
			wantIn: []string{sqlsink.TableLegs, `"` + victim + `"`, "column caller_number"}},
		{name: "leg entry ids", table: sqlsink.TableLegs, column: "entry_ids", value: "1,x",
			wantIn: []string{sqlsink.TableLegs, `"` + victim + `"`, "column entry_ids"}},
	}
	for _, dbase := range databases {
		t.Run(dbase.name, func(t *testing.T) {
			ctx := context.Background()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					s, db := newSink(t, dbase)
					_, err := s.Migrate(ctx)
					require.NoError(t, err)
					_, err = s.Write(ctx, sqlsink.Batch{Calls: calls})
					require.NoError(t, err)
					d := s.Dialect()
					res, err := db.ExecContext(ctx, "UPDATE "+d.Quote(s.TableName(tt.table))+" SET "+d.Quote(tt.column)+" = "+d.Placeholder(1)+
						" WHERE "+d.Quote("call_id")+" = "+d.Placeholder(2), tt.value, victim)
					require.NoError(t, err)
					n, err := res.RowsAffected()
					require.NoError(t, err)
					require.Positive(t, n)

					read, errs := 0, 0
					var got error
					for _, err := range s.ReadCalls(ctx, time.Time{}, time.Time{}) {
						if err != nil {
							errs++
							got = err
							continue
						}
						read++
					}
					require.Equal(t, 1, errs, "the sequence stops after its first error")
					require.Equal(t, before, read, "the calls before the bad one are read")
					for _, w := range tt.wantIn {
						require.Contains(t, got.Error(), w)
					}
					require.True(t, strings.HasPrefix(got.Error(), "sqlsink: "), got.Error())
				})
			}
		})
	}
}

// TestPruneLoginStates: rows before the time are gone from both history
// tables, rows at or after it stay, other tables are untouched, and a
// second prune deletes nothing.
func TestPruneLoginStates(t *testing.T) {
	accounts, calls, _ := simDay(t)
	calls = calls[:50]
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	var users []live.UserLoginState
	var members []live.MemberLoginState
	var snapshots []live.UserState
	for i := range 10 {
		at := t0.Add(time.Duration(i) * time.Minute)
		for _, id := range []cdr.AccountID{11, 12} {
			users = append(users, live.UserLoginState{At: at, AccountID: id, DND: i%2 == 0})
			members = append(members, live.MemberLoginState{At: at, GroupID: 200, UserID: id, LoggedIn: i%3 == 0})
			snapshots = append(snapshots, live.UserState{At: at, AccountID: id, Name: "agent"})
		}
	}
	// before is the instant of the 5th minute, given in another zone: rows
	// at minutes 0–4 go, the row at minute 5 stays.
	before := t0.Add(5 * time.Minute).In(time.FixedZone("CET", 3600))
	for _, dbase := range databases {
		t.Run(dbase.name, func(t *testing.T) {
			ctx := context.Background()
			s, db := newSink(t, dbase)
			_, err := s.Migrate(ctx)
			require.NoError(t, err)
			_, err = s.Write(ctx, sqlsink.Batch{Calls: calls, Accounts: accounts, UserLoginStates: users, MemberLoginStates: members, Users: snapshots})
			require.NoError(t, err)
			others := map[string]int{}
			for _, table := range []string{sqlsink.TableLegs, sqlsink.TableJourneys, sqlsink.TableAccounts, sqlsink.TableLiveUsers} {
				others[table] = countRows(t, db, s, table)
				require.Positive(t, others[table], table)
			}

			n, err := s.PruneLoginStates(ctx, time.Time{})
			require.NoError(t, err)
			require.Zero(t, n, "a zero time prunes nothing")
			n, err = s.PruneLoginStates(ctx, t0)
			require.NoError(t, err)
			require.Zero(t, n, "nothing is before the first row")

			n, err = s.PruneLoginStates(ctx, before)
			require.NoError(t, err)
			require.Equal(t, int64(2*5+2*5), n)
			for _, table := range []string{sqlsink.TableUserLoginStates, sqlsink.TableMemberLoginStates} {
				require.Equal(t, 2*5, countRows(t, db, s, table), table)
				var oldest any
				require.NoError(t, db.QueryRowContext(ctx, "SELECT MIN("+s.Dialect().Quote("at")+") FROM "+s.Dialect().Quote(s.TableName(table))).Scan(&oldest))
				require.Equal(t, before.UTC(), asTime(t, oldest), table)
			}
			for table, want := range others {
				require.Equal(t, want, countRows(t, db, s, table), "%s is not pruned", table)
			}

			n, err = s.PruneLoginStates(ctx, before)
			require.NoError(t, err)
			require.Zero(t, n, "a second prune")
		})
	}
}

// asTime reads what a driver returns for a time column.
func asTime(t *testing.T, v any) time.Time {
	t.Helper()
	switch x := v.(type) {
	case time.Time:
		return x.UTC()
	case []byte:
		v = string(x)
	}
	s, ok := v.(string)
	require.True(t, ok, "%T", v)
	for _, layout := range []string{sqlsink.TimeLayout, "2006-01-02 15:04:05.999999", time.RFC3339Nano} {
		if tm, err := time.Parse(layout, s); err == nil {
			return tm.UTC()
		}
	}
	t.Fatalf("cannot read %q as a time", s)
	return time.Time{}
}
