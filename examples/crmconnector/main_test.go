package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/pseudo/pseudotest"
)

// receiver is the test's CRM: it counts the tasks per Idempotency-Key, so
// that a duplicate delivery is seen rather than hidden, and can fail.
type receiver struct {
	mu sync.Mutex
	// failBefore answers this many requests 503 without looking at them;
	// failAfter takes this many requests and answers 500 anyway (the
	// answer was lost: the sender must retry, the receiver must dedupe);
	// down answers every request 503.
	failBefore, failAfter int
	down                  bool

	requests int
	perKey   map[string]int
	alerts   map[string]live.Alert
	bodies   [][]byte
}

func newReceiver(t *testing.T) (*receiver, string) {
	t.Helper()
	r := &receiver{perKey: map[string]int{}, alerts: map[string]live.Alert{}}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv.URL + "/hooks/tasks?token=t0ps3cret"
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if r.down || r.failBefore > 0 {
		if !r.down {
			r.failBefore--
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	key := req.Header.Get(live.IdempotencyKeyHeader)
	var a live.Alert
	if err := json.Unmarshal(body, &a); err != nil || key == "" || a.ID != key || a.LostCaller == nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.perKey[key]++
	r.alerts[key] = a
	r.bodies = append(r.bodies, body)
	if r.failAfter > 0 {
		r.failAfter--
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// tasks returns the lost callers received, by episode key, sorted.
func (r *receiver) tasks() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var keys []string
	for _, a := range r.alerts {
		keys = append(keys, live.LostCallerKey(*a.LostCaller))
	}
	slices.Sort(keys)
	return keys
}

// duplicates counts the deliveries beyond the first per key.
func (r *receiver) duplicates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.perKey {
		n += c - 1
	}
	return n
}

func (r *receiver) requestCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

func (r *receiver) setDown(down bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = down
}

func (r *receiver) allBodies() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Join(r.bodies, []byte("\n"))
}

// fixture is three simulated days, one export per day, and the accounts.
type fixture struct {
	staging  string
	days     []string // export file names, in order
	accounts string
	cfg      sim.Config
	entries  []cdr.Entry
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	cfg, err := demoConfig(3)
	require.NoError(t, err)
	f := &fixture{staging: t.TempDir(), cfg: cfg}
	require.NoError(t, writeExports(f.staging, cfg))
	names, err := filepath.Glob(filepath.Join(f.staging, "*.csv"))
	require.NoError(t, err)
	require.Len(t, names, 3)
	for _, n := range names {
		f.days = append(f.days, filepath.Base(n))
	}
	f.accounts = filepath.Join(t.TempDir(), "accounts.csv")
	a, err := os.Create(f.accounts)
	require.NoError(t, err)
	require.NoError(t, cdr.WriteAccountsCSV(a, cfg.Accounts()))
	require.NoError(t, a.Close())
	for e := range sim.Generate(cfg) {
		e.Site = "pbx1" // as the connector reads them, for its -site
		f.entries = append(f.entries, e)
	}
	return f
}

// folder returns a folder holding the first n daily exports.
func (f *fixture) folder(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	f.addDays(t, dir, 0, n)
	return dir
}

func (f *fixture) addDays(t *testing.T, dir string, from, to int) {
	t.Helper()
	for _, name := range f.days[from:to] {
		b, err := os.ReadFile(filepath.Join(f.staging, name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
}

// due restates the connector's rule independently: the lost callers in
// the first n days that are lost or pending, with a number to call back,
// whose last attempt ended at least after before the data's end — as
// episode keys, concealed with p.
func (f *fixture) due(t *testing.T, n int, after time.Duration, p *pseudo.Pseudonymiser) []string {
	t.Helper()
	loc := f.cfg.Start.Location()
	end := f.cfg.Start.AddDate(0, 0, n)
	var entries []cdr.Entry
	for _, e := range f.entries {
		if e.StartTime.In(loc).Before(end) {
			entries = append(entries, e)
		}
	}
	dir, err := cdr.NewDirectory(f.cfg.Accounts()...)
	require.NoError(t, err)
	in, err := callflow.New(dir, callflow.WithNumberPlan(cdr.GermanPlan("711")))
	require.NoError(t, err)
	calls := in.InterpretAll(entries)
	rep, err := callflow.NewReporter(callflow.ReportConfig{Location: loc})
	require.NoError(t, err)
	asOf := latestEnd(calls)
	lost, err := pseudo.Apply(p, rep.LostCallers(calls, asOf))
	require.NoError(t, err)
	var keys []string
	for _, lc := range lost {
		if lc.Outcome != callflow.LostCallerLost && lc.Outcome != callflow.LostCallerPending {
			continue
		}
		last := lc.Attempts[len(lc.Attempts)-1].End
		if asOf.Sub(last) >= after {
			keys = append(keys, live.LostCallerKey(lc))
		}
	}
	slices.Sort(keys)
	require.NotEmpty(t, keys, "the simulated days have lost callers")
	return keys
}

func noEnv(string) string { return "" }

func envWith(name, value string) func(string) string {
	return func(n string) string {
		if n == name {
			return value
		}
		return ""
	}
}

func union(a, b []string) []string {
	u := slices.Concat(a, b)
	slices.Sort(u)
	return slices.Compact(u)
}

// TestRestart: the first run sends one task per due lost caller; a
// restart on the same exports sends nothing; a restart after a new
// day's export sends the new lost callers only.
func TestRestart(t *testing.T) {
	f := newFixture(t)
	recv, url := newReceiver(t)
	folder := f.folder(t, 2)
	statePath := filepath.Join(t.TempDir(), "state.json")
	args := []string{"-folder", folder, "-accounts", f.accounts, "-webhook", url, "-state", statePath}

	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, args, noEnv))
	want := f.due(t, 2, 15*time.Minute, pseudo.Clear())
	if diff := gocmp.Diff(want, recv.tasks()); diff != "" {
		t.Fatalf("first run: tasks (-want +got):\n%s", diff)
	}
	require.Contains(t, out.String(), "sent "+strconv.Itoa(len(want))+" new follow-up tasks")
	require.Equal(t, len(want), recv.requestCount(), "one request per task")

	out.Reset()
	require.NoError(t, run(context.Background(), &out, args, noEnv))
	require.Equal(t, len(want), recv.requestCount(), "a restart on the same exports sends nothing:\n%s", out.String())
	require.Contains(t, out.String(), "sent 0 new follow-up tasks")

	f.addDays(t, folder, 2, 3)
	out.Reset()
	require.NoError(t, run(context.Background(), &out, args, noEnv))
	want = union(want, f.due(t, 3, 15*time.Minute, pseudo.Clear()))
	if diff := gocmp.Diff(want, recv.tasks()); diff != "" {
		t.Fatalf("after a new day: tasks (-want +got):\n%s", diff)
	}
	require.Zero(t, recv.duplicates(), "no task twice")
	require.Equal(t, len(want), recv.requestCount())

	// A crash before the state was saved, simulated by losing it: every
	// task is sent again, with the same ID, and the receiver drops them.
	require.NoError(t, os.Remove(statePath))
	require.NoError(t, run(context.Background(), io.Discard, args, noEnv))
	require.Equal(t, 2*len(want), recv.requestCount())
	require.Equal(t, len(want), recv.duplicates(), "the same IDs again")
	if diff := gocmp.Diff(want, recv.tasks()); diff != "" {
		t.Fatalf("after losing the state: tasks (-want +got):\n%s", diff)
	}
}

// TestDemo: without flags the example simulates two days and posts to a
// demo CRM it starts itself; a second run sends nothing.
func TestDemo(t *testing.T) {
	statePath := filepath.Join(t.TempDir(), "state.json")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, []string{"-state", statePath}, noEnv))
	m := regexp.MustCompile(`sent (\d+) new follow-up tasks`).FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	n, _ := strconv.Atoi(m[1])
	require.Positive(t, n, out.String())
	require.Regexp(t, `CRM task [0-9a-f]{8}: call back \+49\d+`, out.String())

	out.Reset()
	require.NoError(t, run(context.Background(), &out, []string{"-state", statePath}, noEnv))
	require.Contains(t, out.String(), "sent 0 new follow-up tasks")
	require.NotContains(t, out.String(), "CRM task")
}

// TestFlakyReceiver: whatever the receiver does wrong for a while, each
// task arrives, and with the Idempotency-Key it makes one task.
func TestFlakyReceiver(t *testing.T) {
	f := newFixture(t)
	want := f.due(t, 2, 15*time.Minute, pseudo.Clear())
	tests := []struct {
		name                  string
		failBefore, failAfter int
		downFirstRun          bool
		wantDuplicates        int
	}{
		// 503 before taking the task: the retry is the first delivery.
		{name: "503 then recovers", failBefore: 2},
		// The task was taken but the answer says 500: the retry repeats
		// it, with the same key, and only the key tells them apart.
		{name: "500 after taking the task", failAfter: 2, wantDuplicates: 2},
		// Down through a whole run: the run fails, the state keeps the
		// tasks unsent, and the next run sends them.
		{name: "down for a run", downFirstRun: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv, url := newReceiver(t)
			recv.failBefore, recv.failAfter, recv.down = tt.failBefore, tt.failAfter, tt.downFirstRun
			args := []string{"-folder", f.folder(t, 2), "-accounts", f.accounts, "-webhook", url,
				"-state", filepath.Join(t.TempDir(), "state.json"), "-attempts", "3", "-backoff", "1ms"}

			err := run(context.Background(), io.Discard, args, noEnv)
			if tt.downFirstRun {
				require.ErrorContains(t, err, strconv.Itoa(len(want))+" tasks not delivered")
				require.ErrorContains(t, err, "status 503")
				require.NotContains(t, err.Error(), "t0ps3cret", "errors do not show the webhook's token")
				require.Empty(t, recv.tasks())
				recv.setDown(false)
				err = run(context.Background(), io.Discard, args, noEnv)
			}
			require.NoError(t, err)
			if diff := gocmp.Diff(want, recv.tasks()); diff != "" {
				t.Fatalf("tasks (-want +got):\n%s", diff)
			}
			dups := recv.duplicates()
			t.Logf("%d tasks, %d repeated deliveries dropped by Idempotency-Key, %d requests", len(want), dups, recv.requestCount())
			require.Equal(t, tt.wantDuplicates, dups, "repeated deliveries")

			before := recv.requestCount()
			require.NoError(t, run(context.Background(), io.Discard, args, noEnv))
			require.Equal(t, before, recv.requestCount(), "a restart sends nothing again")
		})
	}
}

// TestPseudonymised: with a key the tasks and the state file hold no
// number or call id of the exports; in clear the tasks hold them (a CRM
// calls the number back) and the state file still holds none.
func TestPseudonymised(t *testing.T) {
	f := newFixture(t)
	corpus := pseudotest.CorpusFromEntries(f.entries, f.cfg.Accounts(), cdr.GermanPlan("711"))
	key, err := pseudo.GenerateKey("k1")
	require.NoError(t, err)
	p, err := pseudo.New(pseudo.WithKey(key), pseudo.WithNumberPlan(cdr.GermanPlan("711")))
	require.NoError(t, err)

	tests := []struct {
		name  string
		env   func(string) string
		p     *pseudo.Pseudonymiser
		clear bool
	}{
		{"clear", noEnv, pseudo.Clear(), true},
		{"pseudonymised", envWith("STARINSIGHT_PSEUDO_KEY", key.Export()), p, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv, url := newReceiver(t)
			statePath := filepath.Join(t.TempDir(), "state.json")
			args := []string{"-folder", f.folder(t, 2), "-accounts", f.accounts, "-webhook", url, "-state", statePath}
			require.NoError(t, run(context.Background(), io.Discard, args, tt.env))
			if diff := gocmp.Diff(f.due(t, 2, 15*time.Minute, tt.p), recv.tasks()); diff != "" {
				t.Fatalf("tasks (-want +got):\n%s", diff)
			}
			bodies := recv.allBodies()
			if tt.clear {
				pseudotest.AssertFinds(t, "the tasks in clear", bodies, corpus, []pseudotest.Kind{pseudotest.KindNumber, pseudotest.KindCallID})
			} else {
				pseudotest.AssertNoLeaks(t, "the pseudonymised tasks", bodies, corpus)
			}
			st, err := os.ReadFile(statePath)
			require.NoError(t, err)
			pseudotest.AssertNoLeaks(t, "the state file", st, corpus)
		})
	}
}

func TestErrors(t *testing.T) {
	f := newFixture(t)
	_, url := newReceiver(t)
	folder := f.folder(t, 1)
	clearState := filepath.Join(t.TempDir(), "state.json")
	require.NoError(t, run(context.Background(), io.Discard, []string{"-folder", folder, "-accounts", f.accounts, "-webhook", url, "-state", clearState}, noEnv))
	key, err := pseudo.GenerateKey("k2")
	require.NoError(t, err)
	corrupt := filepath.Join(t.TempDir(), "state.json")
	require.NoError(t, os.WriteFile(corrupt, []byte("{"), 0o600))

	tests := []struct {
		name string
		args []string
		env  func(string) string
		want string
	}{
		{"folder without accounts", []string{"-folder", folder, "-state", filepath.Join(t.TempDir(), "s.json")}, noEnv, "-folder needs -accounts"},
		{"bad key", []string{"-folder", folder, "-accounts", f.accounts, "-state", filepath.Join(t.TempDir(), "s.json")}, envWith("STARINSIGHT_PSEUDO_KEY", "k1:short"), "$STARINSIGHT_PSEUDO_KEY"},
		{"mode changed", []string{"-folder", folder, "-accounts", f.accounts, "-webhook", url, "-state", clearState},
			envWith("STARINSIGHT_PSEUDO_KEY", key.Export()), `written in mode "clear"`},
		{"site changed", []string{"-folder", folder, "-accounts", f.accounts, "-webhook", url, "-state", clearState, "-site", "pbx2"}, noEnv, `belongs to site "pbx1"`},
		{"corrupt state", []string{"-state", corrupt}, noEnv, "state file"},
		{"bad webhook", []string{"-folder", folder, "-accounts", f.accounts, "-webhook", "ftp://crm.example.com/x", "-state", filepath.Join(t.TempDir(), "s.json")}, noEnv, "scheme must be http or https"},
		{"bad zone", []string{"-tz", "Mars/Olympus", "-state", filepath.Join(t.TempDir(), "s.json")}, noEnv, `-tz "Mars/Olympus"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), io.Discard, tt.args, tt.env)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}
