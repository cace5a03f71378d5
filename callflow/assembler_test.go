package callflow_test

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// directCall is an answered external call to user 11: one row.
func directCall(id int64, callID string, start int) cdr.Entry {
	return cdr.Entry{ID: id, CallID: callID, CallStepID: "1", CDRAccountID: 11, CalledAccountID: 11,
		CallerCallerID: cdr.CallerID{Number: "+4971199999"}, StartTime: at(start), RingingTime: at(start),
		LinkTime: at(start + 5), CallResultTime: at(start + 60), CallResult: cdr.Connected, Answered: true, Incoming: true}
}

func newInterpreter(t *testing.T) *callflow.Interpreter {
	t.Helper()
	dir, err := cdr.NewDirectory(cdr.Account{ID: 11, Type: cdr.AccountUser, Name: "Anna Agent"},
		cdr.Account{ID: 12, Type: cdr.AccountUser, Name: "Ben Berger"})
	require.NoError(t, err)
	in, err := callflow.New(dir)
	require.NoError(t, err)
	return in
}

func callIDs(cs []callflow.Call) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Journey.CallID)
	}
	return out
}

func TestAssemblerEmitsWhenGracePassed(t *testing.T) {
	in := newInterpreter(t)
	a, err := callflow.NewAssembler(in, callflow.WithGrace(time.Minute))
	require.NoError(t, err)

	// Call a ends at 60 s, b at 90 s. The data's clock is the median of
	// the last three rows' newest times, so c (ends 260 s) alone does not
	// move it past a's and b's end plus the grace; d (ends 360 s) does.
	var got []string
	got = append(got, callIDs(a.Add(directCall(1, "a", 0)))...)
	got = append(got, callIDs(a.Add(directCall(2, "b", 30)))...)
	got = append(got, callIDs(a.Add(directCall(3, "c", 200)))...)
	if len(got) != 0 || a.Open() != 3 {
		t.Fatalf("emitted %v with %d open before the grace passed; want nothing and 3 open", got, a.Open())
	}
	got = append(got, callIDs(a.Add(directCall(4, "d", 300)))...)
	if diff := cmp.Diff([]string{"a", "b"}, got); diff != "" {
		t.Errorf("emitted calls (-want +got):\n%s", diff)
	}
	if rest := callIDs(a.Flush()); !slices.Equal(rest, []string{"c", "d"}) || a.Open() != 0 {
		t.Errorf("Flush = %v, open %d; want [c d], 0", rest, a.Open())
	}
}

func TestAssemblerIgnoresOneWrongClock(t *testing.T) {
	in := newInterpreter(t)
	a, err := callflow.NewAssembler(in, callflow.WithGrace(time.Minute))
	require.NoError(t, err)
	a.Add(directCall(1, "a", 0))
	// A row dated a year ahead must not make every later call late.
	a.Add(directCall(2, "future", 365*24*3600))
	var got []callflow.Call
	for i, start := range []int{100, 110, 120, 400, 410, 420} {
		got = append(got, a.Add(directCall(int64(10+i), fmt.Sprint("c", i), start))...)
	}
	got = append(got, a.Flush()...)
	for _, c := range got {
		if c.Journey.Flags.Has(callflow.FlagLateRows) {
			t.Errorf("call %s flagged late after one wrong clock", c.Journey.CallID)
		}
	}
	if len(got) != 8 {
		t.Errorf("got %d calls, want 8", len(got))
	}
}

func TestAssemblerKeepsLateCallsTogether(t *testing.T) {
	in := newInterpreter(t)
	a, err := callflow.NewAssembler(in, callflow.WithGrace(time.Minute), callflow.WithRetention(5*time.Minute))
	require.NoError(t, err)
	a.Add(directCall(100, "now", 2000)) // the data's clock is at 2000 s
	// Two rows of a call that is long past: they must stay one call.
	first := directCall(1, "late", 0)
	second := cdr.Entry{ID: 2, CallID: "late", CDRAccountID: 12, CallerAccountID: 12, CalledAccountID: 11, StartTime: at(0), CallResultTime: at(60)}
	got := append(a.Add(first), a.Add(second)...)
	got = slices.DeleteFunc(append(got, a.Flush()...), func(c callflow.Call) bool { return c.Journey.CallID == "now" })
	require.Len(t, got, 1, "late rows of one call split into several calls")
	if got[0].Journey.Rows != 2 || !got[0].Journey.Flags.Has(callflow.FlagLateRows) {
		t.Errorf("journey rows %d flags %v; want 2 rows, late-rows", got[0].Journey.Rows, got[0].Journey.Flags)
	}
}

func TestAssemblerReexportDoesNotReopen(t *testing.T) {
	in := newInterpreter(t)
	a, err := callflow.NewAssembler(in, callflow.WithGrace(time.Minute))
	require.NoError(t, err)
	a.Add(directCall(1, "a", 0))
	require.Len(t, a.AdvanceTo(at(200)), 1)
	if got := append(a.Add(directCall(1, "a", 0)), a.Flush()...); len(got) != 0 {
		t.Errorf("the same row again re-emitted %d calls", len(got))
	}
}

func TestAssemblerSeparatesSites(t *testing.T) {
	in := newInterpreter(t)
	a, err := callflow.NewAssembler(in)
	require.NoError(t, err)
	x, y := directCall(1, "same", 0), directCall(2, "same", 0)
	x.Site, y.Site = "Stuttgart", "Berlin"
	a.Add(x)
	a.Add(y)
	got := a.Flush()
	require.Len(t, got, 2, "two PBXs reusing a call id were merged")
	if got[0].Journey.Site == got[1].Journey.Site {
		t.Errorf("sites %q and %q", got[0].Journey.Site, got[1].Journey.Site)
	}
}

func TestAssemblerAdvanceTo(t *testing.T) {
	in := newInterpreter(t)
	a, err := callflow.NewAssembler(in, callflow.WithGrace(time.Minute))
	require.NoError(t, err)
	a.Add(directCall(1, "a", 0))
	if got := a.AdvanceTo(at(119)); len(got) != 0 {
		t.Fatalf("AdvanceTo(end+59s) emitted %v", callIDs(got))
	}
	if got := callIDs(a.AdvanceTo(at(120))); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("AdvanceTo(end+grace) = %v, want [a]", got)
	}
	if !a.Watermark().Equal(at(120)) {
		t.Errorf("Watermark = %v, want %v", a.Watermark(), at(120))
	}
}

func TestAssemblerReopensLateCall(t *testing.T) {
	in := newInterpreter(t)
	a, err := callflow.NewAssembler(in, callflow.WithGrace(time.Minute))
	require.NoError(t, err)
	a.Add(directCall(1, "a", 0))
	first := a.AdvanceTo(at(130))
	require.Len(t, first, 1)
	if first[0].Journey.Flags.Has(callflow.FlagReopened) {
		t.Fatal("first emission flagged reopened")
	}
	// A late row of call a (user 12's caller-side row) within the second
	// grace period reopens it.
	late := cdr.Entry{ID: 9, CallID: "a", CDRAccountID: 12, CallerAccountID: 12, CalledAccountID: 11,
		StartTime: at(0), CallResultTime: at(60)}
	// The row is already past the grace, so Add emits the call at once.
	again := append(a.Add(late), a.Flush()...)
	require.Len(t, again, 1)
	j := again[0].Journey
	if !j.Flags.Has(callflow.FlagReopened) {
		t.Errorf("re-emitted call flags = %v, want reopened", j.Flags)
	}
	var ids []int64
	for _, l := range again[0].Legs {
		ids = append(ids, l.EntryIDs...)
	}
	slices.Sort(ids)
	if diff := cmp.Diff([]int64{1, 9}, ids); diff != "" {
		t.Errorf("entries of the re-emitted call (-want +got):\n%s", diff)
	}
}

func TestAssemblerFlagsRowsLaterThanMemory(t *testing.T) {
	in := newInterpreter(t)
	a, err := callflow.NewAssembler(in, callflow.WithGrace(time.Minute), callflow.WithRetention(5*time.Minute))
	require.NoError(t, err)
	a.Add(directCall(1, "a", 0))
	// The data's clock moves to 1000 s (the median of the last three
	// rows): a is emitted and forgotten.
	a.Add(directCall(3, "b", 1000))
	a.Add(directCall(4, "c", 1000))
	got := append(a.Add(directCall(2, "a", 0)), a.Flush()...)
	got = slices.DeleteFunc(got, func(c callflow.Call) bool { return c.Journey.CallID != "a" })
	require.Len(t, got, 1)
	if !got[0].Journey.Flags.Has(callflow.FlagLateRows) {
		t.Errorf("flags = %v, want late-rows", got[0].Journey.Flags)
	}
}

// TestAssemblerJoinsAcrossQuietExports: AdvanceTo moves the watermark to
// the wall clock when an export goes quiet, which emits the open calls;
// it does not make the next export's rows late. A row of a call the
// previous export ended in, read a day later, reopens that call.
func TestAssemblerJoinsAcrossQuietExports(t *testing.T) {
	in := newInterpreter(t)
	a, err := callflow.NewAssembler(in, callflow.WithGrace(time.Minute), callflow.WithRetention(5*time.Minute))
	require.NoError(t, err)
	a.Add(directCall(1, "a", 0))
	emitted := a.AdvanceTo(at(86400)) // the wall clock, a day on
	require.Len(t, emitted, 1, "AdvanceTo did not emit the quiet call")
	rest := cdr.Entry{ID: 2, CallID: "a", CDRAccountID: 12, CallerAccountID: 12, CalledAccountID: 11, StartTime: at(0), CallResultTime: at(60)}
	got := append(a.Add(rest), a.Flush()...)
	require.Len(t, got, 1)
	j := got[0].Journey
	if !j.Flags.Has(callflow.FlagReopened) || j.Flags.Has(callflow.FlagLateRows) || j.Rows != 2 {
		t.Errorf("flags %v, rows %d; want reopened (not late-rows) with both rows", j.Flags, j.Rows)
	}
}

func TestNewAssemblerRejectsBadConfig(t *testing.T) {
	if _, err := callflow.NewAssembler(nil); err == nil {
		t.Error("NewAssembler(nil) succeeded")
	}
	if _, err := callflow.NewAssembler(newInterpreter(t), callflow.WithGrace(-time.Second)); err == nil {
		t.Error("negative grace accepted")
	}
	if _, err := callflow.NewAssembler(newInterpreter(t), callflow.WithGrace(time.Hour), callflow.WithRetention(time.Minute)); err == nil {
		t.Error("retention shorter than the grace accepted")
	}
}

func TestCallsPassesErrorsOnAndContinues(t *testing.T) {
	in := newInterpreter(t)
	bad := errors.New("line 3: bad row")
	rows := func(yield func(cdr.Entry, error) bool) {
		_ = yield(directCall(1, "a", 0), nil) && yield(cdr.Entry{}, bad) && yield(directCall(2, "b", 500), nil)
	}
	var calls []string
	var errs []error
	for c, err := range in.Calls(iter.Seq2[cdr.Entry, error](rows)) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		calls = append(calls, c.Journey.CallID)
	}
	if !slices.Equal(calls, []string{"a", "b"}) || len(errs) != 1 || !errors.Is(errs[0], bad) {
		t.Errorf("calls %v errors %v; want [a b] and the one bad row", calls, errs)
	}
	// Breaking out early stops the stream.
	n := 0
	for range in.Calls(iter.Seq2[cdr.Entry, error](rows)) {
		n++
		break
	}
	if n != 1 {
		t.Errorf("iterations after break = %d", n)
	}
}
