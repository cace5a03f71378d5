package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

func TestRunSampleReport(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, nil))
	report := out.String()
	for _, section := range []string{"Inbound calls by outcome", "Groups and iQueues", "service level", "Lost callers", "Busiest agents"} {
		if !strings.Contains(report, section) {
			t.Errorf("report lacks section %q:\n%s", section, report)
		}
	}

	// Recompute the headline figures independently with InterpretAll.
	accounts, err := cdr.ReadAccountsCSV(bytes.NewReader(sampleAccounts))
	require.NoError(t, err)
	dir, err := cdr.NewDirectory(accounts...)
	require.NoError(t, err)
	in, err := callflow.New(dir, callflow.WithNumberPlan(cdr.GermanPlan("711")))
	require.NoError(t, err)
	var rows []cdr.Entry
	for e, err := range cdr.ReadCSV(bytes.NewReader(sampleExport)) {
		require.NoError(t, err)
		rows = append(rows, e)
	}
	calls := in.InterpretAll(rows)
	inbound, answered := 0, 0
	for _, c := range calls {
		if c.Journey.Direction == callflow.Inbound {
			inbound++
			if c.Journey.Outcome == callflow.OutcomeAnswered {
				answered++
			}
		}
	}
	if want := strconv.Itoa(len(calls)) + " calls (" + strconv.Itoa(inbound) + " inbound"; !strings.Contains(report, want) {
		t.Errorf("report does not say %q:\n%s", want, report)
	}
	if m := regexp.MustCompile(`(?m)^  answered\s+(\d+)`).FindStringSubmatch(report); m == nil || m[1] != strconv.Itoa(answered) {
		t.Errorf("answered line = %v, want %d", m, answered)
	}
	// The outcome lines add up to the inbound calls.
	sum := 0
	section := report[strings.Index(report, "Inbound calls by outcome"):strings.Index(report, "Groups and iQueues")]
	for _, m := range regexp.MustCompile(`(?m)^  \S+\s+(\d+)\s`).FindAllStringSubmatch(section, -1) {
		n, _ := strconv.Atoi(m[1])
		sum += n
	}
	if sum != inbound {
		t.Errorf("outcomes add up to %d, want %d inbound calls", sum, inbound)
	}
}

// The service level and lost-caller figures the report prints are the
// SDK's, and they add up.
func TestRunSampleServiceLevelAndLostCallers(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, nil))
	report := out.String()
	groups := regexp.MustCompile(`(?m)^  .+\((?:group|iqueue)\)\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+[\d.]+ %\s+([\d.]+) %`).FindAllStringSubmatch(report, -1)
	if len(groups) == 0 {
		t.Fatalf("no group rows with a service level:\n%s", report)
	}
	for _, g := range groups {
		offered, _ := strconv.Atoi(g[1])
		answered, _ := strconv.Atoi(g[2])
		missed, _ := strconv.Atoi(g[3])
		sl, _ := strconv.ParseFloat(g[4], 64)
		if offered != answered+missed || sl <= 0 || sl > 100 {
			t.Errorf("group row %q: offered %d != answered %d + missed %d, or service level %v outside (0, 100]", g[0], offered, answered, missed, sl)
		}
	}
	m := regexp.MustCompile(`(\d+) callers: (\d+) called back, (\d+) got through themselves, (\d+) lost, (\d+) pending, (\d+) withheld`).FindStringSubmatch(report)
	if m == nil {
		t.Fatalf("no lost-caller line:\n%s", report)
	}
	n := make([]int, len(m))
	for i := 1; i < len(m); i++ {
		n[i], _ = strconv.Atoi(m[i])
	}
	if n[1] == 0 || n[1] != n[2]+n[3]+n[4]+n[5]+n[6] || n[2] == 0 || n[4] == 0 {
		t.Errorf("lost callers %v do not add up, or the sample has no callbacks or no lost callers", n[1:])
	}
}

func TestRunOwnExportWithBadRow(t *testing.T) {
	dir := t.TempDir()
	export := filepath.Join(dir, "output.csv")
	csv := `"id";"callid";"cdraccountid";"calleraccountid";"calledaccountid";"callercallerid";"starttime";"ringingtime";"linktime";"callresulttime";"answered"
"1";"c1";"11";"0";"11";"+4971112345";"02.03.2026 10:00:00";"02.03.2026 10:00:01";"02.03.2026 10:00:09";"02.03.2026 10:03:00";"true"
"2";"c2";"11";"0";"11";"+4971112345";"31.02.2026 10:00:00";"";"";"02.03.2026 10:03:00";"false"
`
	require.NoError(t, os.WriteFile(export, []byte(csv), 0o600))
	accounts := filepath.Join(dir, "accounts.csv")
	require.NoError(t, os.WriteFile(accounts, []byte("id;type;name\n11;user;Anna Agent\n"), 0o600))
	var out bytes.Buffer
	require.NoError(t, run(&out, []string{"-export", export, "-accounts", accounts}))
	// The bad row is reported, and what parsed of it is still interpreted
	// (its start repaired and flagged), so it is not lost.
	if !strings.Contains(out.String(), "2 calls (2 inbound") || !strings.Contains(out.String(), "1 flagged, 1 bad rows") || !strings.Contains(out.String(), "Anna Agent") {
		t.Errorf("report:\n%s", out.String())
	}
}

func TestRunMissingColumnFails(t *testing.T) {
	export := filepath.Join(t.TempDir(), "output.csv")
	require.NoError(t, os.WriteFile(export, []byte("\"id\";\"callid\"\n\"1\";\"c1\"\n"), 0o600))
	err := run(&bytes.Buffer{}, []string{"-export", export})
	if err == nil || !strings.Contains(err.Error(), "starttime") {
		t.Errorf("run with a missing column: err = %v, want one naming starttime", err)
	}
}
