package main

import (
	"bytes"
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/pseudo/pseudotest"
)

const (
	sampleExport   = "../quickstart/sample/export.csv"
	sampleAccounts = "../quickstart/sample/accounts.csv"
)

func testKey(t *testing.T) string {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, run(&out, []string{"-genkey", "k7"}, nil))
	return strings.TrimSpace(out.String())
}

func env(key string) func(string) string {
	return func(name string) string {
		if name == "STARINSIGHT_PSEUDO_KEY" {
			return key
		}
		return ""
	}
}

func readExport(t *testing.T, path string) []cdr.Entry {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var rows []cdr.Entry
	for e, err := range cdr.ReadCSV(f) {
		require.NoError(t, err)
		rows = append(rows, e)
	}
	return rows
}

func readAccounts(t *testing.T, path string) []cdr.Account {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	accounts, err := cdr.ReadAccountsCSV(f)
	require.NoError(t, err)
	return accounts
}

func interpret(t *testing.T, accounts []cdr.Account, rows []cdr.Entry) []callflow.Call {
	t.Helper()
	dir, err := cdr.NewDirectory(accounts...)
	require.NoError(t, err)
	in, err := callflow.New(dir, callflow.WithNumberPlan(cdr.GermanPlan("711")))
	require.NoError(t, err)
	return in.InterpretAll(rows)
}

// The pseudonymised export interprets exactly like the clear one,
// pseudonymised: the same calls, legs, durations and lost callers.
func TestPseudonymiseSample(t *testing.T) {
	key := testKey(t)
	out := t.TempDir()
	var msg bytes.Buffer
	require.NoError(t, run(&msg, []string{"-export", sampleExport, "-accounts", sampleAccounts, "-out", out, "-area", "711"}, env(key)))

	clearRows, clearAccounts := readExport(t, sampleExport), readAccounts(t, sampleAccounts)
	rows, accounts := readExport(t, filepath.Join(out, "export.csv")), readAccounts(t, filepath.Join(out, "accounts.csv"))
	require.Len(t, rows, len(clearRows), "every row is written")
	require.Len(t, accounts, len(clearAccounts))
	require.Contains(t, msg.String(), "rows and")

	k, err := pseudo.ParseKey(key)
	require.NoError(t, err)
	p, err := pseudo.New(pseudo.WithKey(k), pseudo.WithNumberPlan(cdr.GermanPlan("711")))
	require.NoError(t, err)
	want, err := pseudo.Apply(p, interpret(t, clearAccounts, clearRows))
	require.NoError(t, err)
	// Calls that arrive at the same second are ordered by call id, so
	// order the pseudonymised ids the way InterpretAll does.
	slices.SortStableFunc(want, func(a, b callflow.Call) int {
		return cmp.Or(a.Journey.Arrival.Compare(b.Journey.Arrival), strings.Compare(a.Journey.CallID, b.Journey.CallID))
	})
	got := interpret(t, accounts, rows)
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Fatalf("interpreting the pseudonymised export differs from pseudonymising the interpretation (-want +got):\n%s", diff)
	}

	r, err := callflow.NewReporter(callflow.ReportConfig{})
	require.NoError(t, err)
	wantLost, err := pseudo.Apply(p, r.LostCallers(interpret(t, clearAccounts, clearRows), clearRows[len(clearRows)-1].CallResultTime))
	require.NoError(t, err)
	gotLost := r.LostCallers(got, clearRows[len(clearRows)-1].CallResultTime)
	require.NotEmpty(t, gotLost, "the sample has lost callers")
	if diff := gocmp.Diff(wantLost, gotLost); diff != "" {
		t.Fatalf("lost callers differ (-want +got):\n%s", diff)
	}

	// No name, number, call id or login of the clear files survives; the
	// clear files themselves show every kind, so the scan can see them.
	corpus := pseudotest.CorpusFromEntries(clearRows, clearAccounts, cdr.GermanPlan("711"))
	for _, name := range []string{"export.csv", "accounts.csv"} {
		b, err := os.ReadFile(filepath.Join(out, name))
		require.NoError(t, err)
		pseudotest.AssertNoLeaks(t, name, b, corpus)
	}
	clearExport, err := os.ReadFile(sampleExport)
	require.NoError(t, err)
	pseudotest.AssertFinds(t, "the clear sample", clearExport, corpus, []pseudotest.Kind{pseudotest.KindName, pseudotest.KindNumber, pseudotest.KindCallID})
}

func TestPseudonymiseErrors(t *testing.T) {
	key := testKey(t)
	bad := filepath.Join(t.TempDir(), "bad.csv")
	sample, err := os.ReadFile(sampleExport)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(sample), "\n")
	lines[3] = strings.Replace(lines[3], ".2026 ", ".2026x", 1) // a broken time on line 4
	require.NoError(t, os.WriteFile(bad, []byte(strings.Join(lines, "")), 0o600))

	tests := []struct {
		name string
		args []string
		key  string
		want string
	}{
		{"no key", []string{"-export", sampleExport, "-out", "OUT"}, "", "no key in $STARINSIGHT_PSEUDO_KEY"},
		{"weak key", []string{"-export", sampleExport, "-out", "OUT"}, "k1:" + strings.Repeat("ab", 32), "too weak"},
		{"bad policy", []string{"-export", sampleExport, "-out", "OUT", "-policy", "callId=mask"}, key, "callId cannot be masked"},
		{"no input", []string{"-out", "OUT"}, key, "need -export and -out"},
		{"bad row", []string{"-export", bad, "-out", "OUT"}, key, "line 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "OUT", out)
			}
			err := run(&bytes.Buffer{}, args, env(tt.key))
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
			_, statErr := os.Stat(filepath.Join(out, "export.csv"))
			require.True(t, os.IsNotExist(statErr), "a failed run leaves no half-written export")
		})
	}
}
