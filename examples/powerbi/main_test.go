package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
	"github.com/starinsight/starinsight/powerbi"
	"github.com/starinsight/starinsight/powerbi/powerbitest"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/pseudo/pseudotest"
	"github.com/starinsight/starinsight/sqlsink"
)

func noEnv(string) string { return "" }

// wantLegs are the legs callflow finds in the simulated week, as
// "call id/leg seq", sorted.
func wantLegs(t *testing.T, cfg sim.Config) []string {
	t.Helper()
	dir, err := cdr.NewDirectory(cfg.Accounts()...)
	require.NoError(t, err)
	in, err := callflow.New(dir)
	require.NoError(t, err)
	rows := func(yield func(cdr.Entry, error) bool) {
		for e := range sim.Generate(cfg) {
			if !yield(e, nil) {
				return
			}
		}
	}
	var legs []string
	for c, err := range in.Calls(rows) {
		require.NoError(t, err)
		for _, l := range c.Legs {
			legs = append(legs, fmt.Sprintf("%s/%d", l.CallID, l.Seq))
		}
	}
	slices.Sort(legs)
	return legs
}

// gotLegs are the legs the fake holds in CDR_Summary, the same way.
func gotLegs(svc *powerbitest.Service, datasetID string) []string {
	var legs []string
	for _, r := range svc.Rows("", datasetID, powerbi.TableLegs) {
		legs = append(legs, fmt.Sprintf("%v/%v", r["call_id"], r["leg_seq"]))
	}
	slices.Sort(legs)
	return legs
}

// TestFake: -fake end to end, run twice against the same fake service and
// outbox: each dataset is created once, every leg of the simulated export
// reaches CDR_Summary exactly once, the accounts once, the live tables
// get a snapshot per run, and the outbox ends empty.
func TestFake(t *testing.T) {
	cfg, err := demoConfig("pbx1")
	require.NoError(t, err)
	want := wantLegs(t, cfg)
	require.Greater(t, len(want), 1000)

	off := &offline{powerBI: powerbitest.New()}
	outbox := filepath.Join(t.TempDir(), "outbox.db")
	args := []string{"-fake", "-outbox", outbox}
	var outs []string
	for range 2 {
		var out bytes.Buffer
		require.NoError(t, runWith(context.Background(), &out, args, noEnv, off))
		outs = append(outs, out.String())
	}
	require.Contains(t, outs[0], `dataset "STARFACE Insight": created`)
	require.Contains(t, outs[0], fmt.Sprintf("backfill: %d rows sent", len(want)))
	require.Contains(t, outs[1], `dataset "STARFACE Insight": found`)
	require.Contains(t, outs[1], `dataset "STARFACE Insight Live": found`)
	require.Contains(t, outs[1], "backfill: 0 rows sent")
	for _, out := range outs {
		require.Contains(t, out, "names and numbers uploaded in clear", "the output says the data is clear")
		require.Contains(t, out, "outbox: 0 requests (0 rows) waiting")
		require.NotContains(t, out, "warning:")
	}

	svc := off.powerBI
	var names []string
	for _, ds := range svc.Datasets("") {
		names = append(names, ds.Name)
	}
	if diff := cmp.Diff([]string{"STARFACE Insight", "STARFACE Insight Live"}, names); diff != "" {
		t.Errorf("datasets (-want +got):\n%s", diff)
	}
	creates := 0
	for _, r := range svc.Requests() {
		if r.Op == powerbitest.OpCreateDataset {
			creates++
		}
	}
	require.Equal(t, 2, creates, "each dataset created once")

	hist, ok := svc.DatasetByName("", "STARFACE Insight")
	require.True(t, ok)
	if diff := cmp.Diff(want, gotLegs(svc, hist.ID)); diff != "" {
		t.Errorf("CDR_Summary vs the legs callflow finds (-want +got):\n%s", diff)
	}
	require.Len(t, svc.Rows("", hist.ID, powerbi.TableAccounts), len(cfg.Accounts()), "the accounts, uploaded once")

	liveDS, ok := svc.DatasetByName("", "STARFACE Insight Live")
	require.True(t, ok)
	users := svc.Rows("", liveDS.ID, powerbi.TableLiveUsers)
	queues := svc.Rows("", liveDS.ID, powerbi.TableLiveQueues)
	require.Len(t, users, 2*12, "one snapshot of the 12 agents per run")
	require.Len(t, queues, 2*4, "one snapshot of the 2 groups and 2 iQueues per run")
	waiting := 0
	for _, q := range queues {
		n, err := q["waiting_calls"].(json.Number).Int64()
		require.NoError(t, err)
		waiting += int(n)
	}
	require.Equal(t, 2*2, waiting, "the fake PBX's two waiting callers, in each snapshot")

	db, err := sql.Open("sqlite", outbox)
	require.NoError(t, err)
	defer db.Close()
	ob, err := powerbi.NewOutbox(context.Background(), db, sqlsink.SQLite{})
	require.NoError(t, err)
	reqs, rows, err := ob.Pending(context.Background())
	require.NoError(t, err)
	require.Equal(t, [2]int64{0, 0}, [2]int64{int64(reqs), rows}, "the outbox is empty")
}

// TestFakePseudonymised: with a key, nothing the fake service received
// holds a name, number or call id of the simulated PBX.
func TestFakePseudonymised(t *testing.T) {
	key, err := pseudo.GenerateKey("k1")
	require.NoError(t, err)
	env := func(name string) string {
		if name == keyEnv {
			return key.Export()
		}
		return ""
	}
	off := &offline{powerBI: powerbitest.New()}
	var out bytes.Buffer
	require.NoError(t, runWith(context.Background(), &out, []string{"-fake"}, env, off))
	require.Contains(t, out.String(), "pseudonymised with key k1")

	cfg, err := demoConfig("pbx1")
	require.NoError(t, err)
	var entries []cdr.Entry
	for e := range sim.Generate(cfg) {
		entries = append(entries, e)
	}
	corpus := pseudotest.CorpusFromEntries(entries, cfg.Accounts(), cdr.NumberPlan{})
	// The fake PBX's live callers.
	corpus.AddName("Erika Muster")
	for _, n := range []string{"+4971112345", "+4989123456", "+4930987654"} {
		corpus.AddNumber(n, cdr.NumberPlan{})
	}
	var sent []map[string]any
	for _, ds := range off.powerBI.Datasets("") {
		for _, tb := range ds.Tables {
			sent = append(sent, off.powerBI.Rows("", ds.ID, tb.Name)...)
		}
	}
	require.Greater(t, len(sent), 1000)
	b, err := json.Marshal(sent)
	require.NoError(t, err)
	pseudotest.AssertNoLeaks(t, "rows in the fake Power BI", b, corpus)
}

// syncWriter is an output safe for the pipelines' goroutines that calls
// done once it has seen every one of texts.
type syncWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	texts []string
	done  func()
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	all := true
	for _, s := range w.texts {
		all = all && strings.Contains(w.buf.String(), s)
	}
	if all {
		w.done()
	}
	return n, err
}

// TestFakeFollow: -follow keeps both pipelines running until stopped.
func TestFakeFollow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncWriter{texts: []string{"caught up", "live: snapshot"}, done: cancel}
	off := &offline{powerBI: powerbitest.New()}
	err := runWith(ctx, out, []string{"-fake", "-follow"}, noEnv, off)
	require.ErrorIs(t, err, context.Canceled, "-follow runs until stopped")
	require.Contains(t, out.buf.String(), "following:")
	liveDS, ok := off.powerBI.DatasetByName("", "STARFACE Insight Live")
	require.True(t, ok)
	require.NotEmpty(t, off.powerBI.Rows("", liveDS.ID, powerbi.TableLiveUsers))
}

// TestFlags: without -fake the example needs a tenant and a PBX; it says
// so before it talks to anyone.
func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, "needs -client-id, -tenant, -pbx, -pbx-login"},
		{[]string{"-client-id", "x", "-tenant", "y"}, nil, "needs -pbx, -pbx-login"},
		{[]string{"-client-id", "x", "-live=false"}, nil, "needs -tenant"},
		{[]string{"-client-id", "x", "-tenant", "y", "-pbx", "https://pbx.test", "-pbx-login", "0001"}, nil, "STARINSIGHT_PBX_PASSWORD"},
		{[]string{"-fake", "-exports", "dir"}, nil, "-exports needs -accounts"},
		{[]string{"-fake", "-tz", "Mars/Olympus"}, nil, `-tz "Mars/Olympus"`},
		{[]string{"-fake"}, map[string]string{keyEnv: "not a key"}, "$" + keyEnv},
		{[]string{"-fake", "stray"}, nil, `unexpected argument "stray"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			off := &offline{}
			err := runWith(context.Background(), &bytes.Buffer{}, tc.args, func(k string) string { return tc.env[k] }, off)
			require.ErrorContains(t, err, tc.want)
			require.Nil(t, off.powerBI, "no Power BI service was used")
		})
	}
}
