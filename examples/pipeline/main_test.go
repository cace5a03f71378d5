package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/pseudo/pseudotest"
)

func noEnv(string) string { return "" }

// TestRun: the example catches up on a simulated week, reports it, and a
// second run from the same database adds nothing.
func TestRun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pipeline.db")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, []string{"-once", "-db", db, "-powerbi-fake"}, noEnv))
	first := out.String()
	require.Contains(t, first, "caught up")
	m := regexp.MustCompile(`holds (\d+) calls and (\d+) legs`).FindStringSubmatch(first)
	require.NotNil(t, m, first)
	calls, _ := strconv.Atoi(m[1])
	legs, _ := strconv.Atoi(m[2])
	require.Greater(t, calls, 1000)
	require.Greater(t, legs, calls)
	pbi := regexp.MustCompile(`Power BI \(fake\): (\d+) rows`).FindStringSubmatch(first)
	require.NotNil(t, pbi, first)
	require.Equal(t, strconv.Itoa(legs), pbi[1], "every leg went to Power BI too")

	out.Reset()
	require.NoError(t, run(context.Background(), &out, []string{"-once", "-db", db}, noEnv))
	require.Contains(t, out.String(), m[0], "a second run changes nothing")
}

// TestRunPseudonymised: with a key, the database file holds no name,
// number or call id of the simulated week; in clear it holds them all.
func TestRunPseudonymised(t *testing.T) {
	cfg, err := demoConfig()
	require.NoError(t, err)
	var entries []cdr.Entry
	for e := range sim.Generate(cfg) {
		entries = append(entries, e)
	}
	corpus := pseudotest.CorpusFromEntries(entries, cfg.Accounts(), cdr.NumberPlan{})
	// In the SQLite file a journey's duration can end in the byte 'H'
	// right before its outcome "answered": "Hans" then stands in
	// "Hanswered" by chance.
	corpus.Ignore("hanswered")
	key, err := pseudo.GenerateKey("k1")
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		env  func(string) string
	}{
		{"clear", noEnv},
		{"pseudonymised", func(name string) string {
			if name == "STARINSIGHT_PSEUDO_KEY" {
				return key.Export()
			}
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "pipeline.db")
			require.NoError(t, run(context.Background(), &bytes.Buffer{}, []string{"-once", "-db", db}, tc.env))
			b, err := os.ReadFile(db)
			require.NoError(t, err)
			if wal, err := os.ReadFile(db + "-wal"); err == nil {
				b = append(b, wal...)
			}
			if tc.name == "clear" {
				pseudotest.AssertFinds(t, "clear database", b, corpus, []pseudotest.Kind{pseudotest.KindName, pseudotest.KindNumber, pseudotest.KindCallID}, pseudotest.Binary())
				return
			}
			pseudotest.AssertNoLeaks(t, "pseudonymised database", b, corpus, pseudotest.Binary())
		})
	}
}

func TestRunNeedsAccounts(t *testing.T) {
	err := run(context.Background(), &bytes.Buffer{}, []string{"-once", "-folder", t.TempDir()}, noEnv)
	require.ErrorContains(t, err, "-folder needs -accounts")
}
