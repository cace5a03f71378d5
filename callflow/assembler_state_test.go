package callflow_test

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
)

// assemble feeds rows to a and returns the calls emitted, then flushes.
func assemble(a *callflow.Assembler, rows []cdr.Entry) []callflow.Call {
	var out []callflow.Call
	for _, e := range rows {
		out = append(out, a.Add(e)...)
	}
	return out
}

// roundTrip passes a's state through JSON and restores it.
func roundTrip(t *testing.T, in *callflow.Interpreter, a *callflow.Assembler, opts ...callflow.AssemblerOption) *callflow.Assembler {
	t.Helper()
	b, err := json.Marshal(a.State())
	require.NoError(t, err)
	var st callflow.AssemblerState
	require.NoError(t, json.Unmarshal(b, &st))
	r, err := callflow.RestoreAssembler(in, st, opts...)
	require.NoError(t, err)
	return r
}

// TestAssemblerStateResumes: an Assembler stopped at any row, its state
// stored as JSON and restored, emits exactly the calls the uninterrupted
// one emits, in the same order; also when stopped several times.
func TestAssemblerStateResumes(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	cfg := sim.Config{Seed: 21, Start: time.Date(2026, 3, 2, 0, 0, 0, 0, loc), Days: 2}
	var rows []cdr.Entry
	for e := range sim.Generate(cfg) {
		rows = append(rows, e)
	}
	// Disorder the export as real ones are: some rows come again later
	// (re-exported, L12), some come late (the call is reopened, or, later
	// still, forms a call of its own).
	var disordered []cdr.Entry
	var late []cdr.Entry
	for i, e := range rows {
		switch {
		case i%53 == 0:
			late = append(late, e) // comes 400 rows later
		case i%31 == 0:
			disordered = append(disordered, e)
			late = append(late, e) // and again later
		default:
			disordered = append(disordered, e)
		}
		if i%400 == 399 {
			disordered = append(disordered, late...)
			late = late[:0]
		}
	}
	rows = append(disordered, late...)
	dir, err := cdr.NewDirectory(cfg.Accounts()...)
	require.NoError(t, err)
	in, err := callflow.New(dir)
	require.NoError(t, err)
	// A short grace and retention, so that the state holds calls of every
	// kind (open, remembered, reopened) at many stops.
	opts := []callflow.AssemblerOption{callflow.WithGrace(10 * time.Minute), callflow.WithRetention(time.Hour)}

	whole, err := callflow.NewAssembler(in, opts...)
	require.NoError(t, err)
	want := assemble(whole, rows)
	want = append(want, whole.Flush()...)
	require.Greater(t, len(want), 500)
	var reopened, lateRows int
	for _, c := range want {
		if c.Journey.Flags&callflow.FlagReopened != 0 {
			reopened++
		}
		if c.Journey.Flags&callflow.FlagLateRows != 0 {
			lateRows++
		}
	}
	require.Positive(t, reopened, "no call was reopened: the test would not see remembered calls")
	require.Positive(t, lateRows, "no row came later than the retention")
	t.Logf("%d rows, %d calls, %d reopened, %d with rows later than the retention", len(rows), len(want), reopened, lateRows)

	rng := rand.New(rand.NewPCG(7, 21))
	for trial := range 40 {
		stops := []int{rng.IntN(len(rows))}
		if trial%4 == 0 {
			stops = append(stops, stops[0]+rng.IntN(len(rows)-stops[0]))
		}
		a, err := callflow.NewAssembler(in, opts...)
		require.NoError(t, err)
		var got []callflow.Call
		from := 0
		for _, stop := range stops {
			got = append(got, assemble(a, rows[from:stop])...)
			a = roundTrip(t, in, a, opts...)
			from = stop
		}
		got = append(got, assemble(a, rows[from:])...)
		got = append(got, a.Flush()...)
		if diff := cmp.Diff(want, got, cmp.Comparer(func(x, y time.Time) bool { return x.Equal(y) })); diff != "" {
			t.Fatalf("stopped at rows %v of %d: calls differ from an uninterrupted run (-want +got):\n%s", stops, len(rows), diff)
		}
	}
}

func TestRestoreAssemblerRefuses(t *testing.T) {
	in := newInterpreter(t)
	a, err := callflow.NewAssembler(in)
	require.NoError(t, err)
	a.Add(directCall(1, "c1", 0))
	good := a.State()
	require.Len(t, good.Calls, 1)

	fresh, err := callflow.RestoreAssembler(in, callflow.AssemblerState{})
	require.NoError(t, err, "the zero state is a fresh assembler")
	require.Zero(t, fresh.Open())

	tests := []struct {
		name   string
		change func(*callflow.AssemblerState)
		want   string
	}{
		{"version", func(s *callflow.AssemblerState) { s.Version = 99 }, "version 99"},
		{"no rows", func(s *callflow.AssemblerState) { s.Calls[0].Rows = nil }, "call 0 has no rows"},
		{"mixed calls", func(s *callflow.AssemblerState) {
			s.Calls[0].Rows = append(s.Calls[0].Rows, directCall(2, "c2", 0))
		}, "mixes rows"},
		{"twice", func(s *callflow.AssemblerState) { s.Calls = append(s.Calls, s.Calls[0]) }, "twice"},
		{"clock", func(s *callflow.AssemblerState) { s.Recent = make([]time.Time, 4) }, "recent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(good)
			require.NoError(t, err)
			var st callflow.AssemblerState
			require.NoError(t, json.Unmarshal(b, &st))
			tt.change(&st)
			_, err = callflow.RestoreAssembler(in, st)
			require.ErrorIs(t, err, callflow.ErrAssemblerState)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// TestRestoreAssemblerDataMark: the data clock's mark survives a restore;
// a state written before it existed forgets as those SDKs did, by the
// watermark, so no call is joined that they would have kept apart.
func TestRestoreAssemblerDataMark(t *testing.T) {
	in := newInterpreter(t)
	opts := []callflow.AssemblerOption{callflow.WithGrace(time.Minute), callflow.WithRetention(5 * time.Minute)}
	a, err := callflow.NewAssembler(in, opts...)
	require.NoError(t, err)
	a.Add(directCall(1, "a", 0))
	a.AdvanceTo(at(86400))
	st := a.State()
	require.True(t, st.Watermark.Equal(at(86400)))
	require.False(t, st.DataMark.IsZero())
	require.True(t, st.DataMark.Before(at(3600)), "AdvanceTo moved the data mark")

	rest := cdr.Entry{ID: 2, CallID: "a", CDRAccountID: 12, CallerAccountID: 12, CalledAccountID: 11, StartTime: at(0), CallResultTime: at(60)}
	for _, tc := range []struct {
		name string
		st   callflow.AssemblerState
		want callflow.Flag
	}{
		{"current state", st, callflow.FlagReopened},
		// Those SDKs forgot a at AdvanceTo: their state holds no calls.
		{"state without a data mark", func() callflow.AssemblerState { old := st; old.DataMark, old.Calls = time.Time{}, nil; return old }(), callflow.FlagLateRows},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := callflow.RestoreAssembler(in, tc.st, opts...)
			require.NoError(t, err)
			got := append(r.Add(rest), r.Flush()...)
			require.Len(t, got, 1)
			if f := got[0].Journey.Flags & (callflow.FlagReopened | callflow.FlagLateRows); f != tc.want {
				t.Errorf("flags %v, want %v", f, tc.want)
			}
		})
	}
}
