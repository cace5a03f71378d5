package callflow_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
)

// simulated returns a few days of a simulated call centre and an
// interpreter for it.
func simulated(t testing.TB, seed uint64, days int) ([]cdr.Entry, *callflow.Interpreter, sim.Config) {
	t.Helper()
	cfg := sim.Config{Seed: seed, Start: time.Date(2026, 3, 2, 0, 0, 0, 0, berlin(t)), Days: days}
	var rows []cdr.Entry
	for e := range sim.Generate(cfg) {
		rows = append(rows, e)
	}
	require.NotEmpty(t, rows)
	dir, err := cdr.NewDirectory(cfg.Accounts()...)
	require.NoError(t, err)
	in, err := callflow.New(dir, callflow.WithNumberPlan(cdr.GermanPlan("711")))
	require.NoError(t, err)
	return rows, in, cfg
}

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	return loc
}

func TestPropertyOrderIndependent(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		rows, in, _ := simulated(t, seed, 2)
		want := in.InterpretAll(rows)
		shuffled := slices.Clone(rows)
		r := rand.New(rand.NewPCG(seed, 99))
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if diff := cmp.Diff(want, in.InterpretAll(shuffled)); diff != "" {
			t.Errorf("seed %d: output depends on row order (-sorted +shuffled):\n%s", seed, diff)
		}
	}
}

func TestPropertySameRowsTwice(t *testing.T) {
	rows, in, _ := simulated(t, 4, 2)
	want := in.InterpretAll(rows)
	twice := append(slices.Clone(rows), rows...)
	if diff := cmp.Diff(want, in.InterpretAll(twice)); diff != "" {
		t.Errorf("rows exported twice change the output (-once +twice):\n%s", diff)
	}
}

func TestPropertyLegsAndDurations(t *testing.T) {
	rows, in, _ := simulated(t, 5, 5)
	calls := in.InterpretAll(rows)
	distinct := map[int64]bool{}
	for _, e := range rows {
		distinct[e.ID] = true
	}
	total := 0
	for _, c := range calls {
		j := c.Journey
		total += j.Rows
		for _, d := range []time.Duration{j.Announcement, j.Wait, j.Talk, j.Duration} {
			if d < 0 {
				t.Fatalf("call %s: negative journey duration %v", j.CallID, d)
			}
		}
		if j.Answered && j.Direction != callflow.Outbound && !isUser(in, j.AnsweredBy) {
			t.Errorf("call %s answered by %d, not a user", j.CallID, j.AnsweredBy)
		}
		for _, l := range c.Legs {
			for _, d := range []time.Duration{l.Announcement, l.Ring, l.Wait, l.Talk, l.Call, l.AgentRing} {
				if d < 0 {
					t.Fatalf("call %s leg %d: negative duration %v", l.CallID, l.Seq, d)
				}
			}
			if l.Wait != l.Announcement+l.Ring {
				t.Errorf("call %s leg %d: wait %v != announcement %v + ring %v", l.CallID, l.Seq, l.Wait, l.Announcement, l.Ring)
			}
			if l.Answered {
				if got := l.Announcement + l.Ring + l.Talk; got != l.Call {
					t.Errorf("call %s leg %d: announcement+ring+talk = %v, call = %v", l.CallID, l.Seq, got, l.Call)
				}
				// At most one answering user per leg: the leg's account.
				if l.Incoming && (l.CausedByAccountID != l.AccountID || !isUser(in, l.AccountID)) {
					t.Errorf("call %s leg %d: answered leg of account %d (%v) caused by %d", l.CallID, l.Seq, l.AccountID, l.AccountType, l.CausedByAccountID)
				}
			}
		}
	}
	if total != len(distinct) {
		t.Errorf("journeys account for %d rows, the export has %d distinct rows", total, len(distinct))
	}
}

// isUser reports whether id is a user, or a deleted account (whose type
// is unknown) standing in for one.
func isUser(in *callflow.Interpreter, id cdr.AccountID) bool {
	a := in.Directory().Lookup(id)
	return a.Type == cdr.AccountUser || a.Placeholder
}

func TestPropertyMatchesSimulatorTruth(t *testing.T) {
	_, in, cfg := simulated(t, 6, 5)
	var rows []cdr.Entry
	for e := range sim.Generate(cfg) {
		rows = append(rows, e)
	}
	got := map[string]callflow.Journey{}
	for _, c := range in.InterpretAll(rows) {
		got[c.Journey.CallID] = c.Journey
	}
	n, wrong := 0, 0
	for tr := range sim.Truths(cfg) {
		n++
		j, ok := got[tr.CallID]
		if !ok {
			t.Errorf("call %s of the simulator has no journey", tr.CallID)
			continue
		}
		if j.Outcome != tr.Outcome || j.AnsweredBy != tr.AnsweredBy {
			wrong++
			if wrong <= 10 {
				t.Errorf("call %s (%s): got outcome %v answered by %d, simulator meant %v by %d", tr.CallID, tr.Origin, j.Outcome, j.AnsweredBy, tr.Outcome, tr.AnsweredBy)
			}
		}
	}
	if n == 0 || wrong > 0 {
		t.Errorf("%d of %d simulated calls interpreted differently from the simulator's intent", wrong, n)
	}
}

func TestPropertyStreamingEqualsBatch(t *testing.T) {
	rows, in, _ := simulated(t, 7, 3)
	want := in.InterpretAll(rows)
	for _, grace := range []time.Duration{5 * time.Minute, callflow.DefaultGrace} {
		// Rows come in id order, as the PBX appends them. A consumer that
		// upserts by call id (the last emission wins) must end up with
		// exactly the batch result, whatever the grace.
		latestByID := map[string]callflow.Call{}
		seq := func(yield func(cdr.Entry, error) bool) {
			for _, e := range rows {
				if !yield(e, nil) {
					return
				}
			}
		}
		reopened := 0
		for c, err := range in.Calls(seq, callflow.WithGrace(grace)) {
			require.NoError(t, err)
			if c.Journey.Flags.Has(callflow.FlagReopened) {
				reopened++
				c.Journey.Flags &^= callflow.FlagReopened
				for i := range c.Legs {
					c.Legs[i].Flags &^= callflow.FlagReopened
				}
			}
			latestByID[c.Journey.CallID] = c
		}
		got := make([]callflow.Call, 0, len(latestByID))
		for _, c := range latestByID {
			got = append(got, c)
		}
		slices.SortFunc(got, func(a, b callflow.Call) int {
			if c := a.Journey.Arrival.Compare(b.Journey.Arrival); c != 0 {
				return c
			}
			return strings.Compare(a.Journey.CallID, b.Journey.CallID)
		})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("grace %v: streaming differs from batch (-batch +stream):\n%s", grace, diff)
		}
		t.Logf("grace %v: %d calls re-emitted", grace, reopened)
	}
}
