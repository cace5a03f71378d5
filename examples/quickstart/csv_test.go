package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
)

// readCSV reads a table as Excel would: a BOM, then ';'-separated rows.
// It returns the rows as maps from header to cell.
func readCSV(t *testing.T, path string, header []string) []map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(b, []byte("\ufeff")), "%s: no UTF-8 byte order mark", path)
	r := csv.NewReader(bytes.NewReader(b[len("\ufeff"):]))
	r.Comma = ';'
	rows, err := r.ReadAll()
	require.NoError(t, err, path)
	require.NotEmpty(t, rows, path)
	if diff := cmp.Diff(header, rows[0]); diff != "" {
		t.Errorf("%s: header (-want +got):\n%s", path, diff)
	}
	var out []map[string]string
	for _, row := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = row[i]
		}
		out = append(out, m)
	}
	return out
}

// pick returns the named cells of each row, for cmp.Diff.
func pick(rows []map[string]string, cols ...string) [][]string {
	out := [][]string{}
	for _, r := range rows {
		var cells []string
		for _, c := range cols {
			cells = append(cells, r[c])
		}
		out = append(out, cells)
	}
	return out
}

// germanFloat parses a number with a decimal comma.
func germanFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	require.NoError(t, err, "%q is not a number with a decimal comma", s)
	return v
}

func TestRunCSVTables(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kpis")
	var out bytes.Buffer
	require.NoError(t, run(&out, []string{"-csv", dir}))
	require.Contains(t, out.String(), "CSV tables written to "+dir+": groups.csv, agents.csv, lost_callers.csv, heatmap.csv")
	d := sampleDataset(t)
	itoa := strconv.Itoa

	t.Run("groups", func(t *testing.T) {
		rows := readCSV(t, filepath.Join(dir, "groups.csv"), groupsHeader)
		want := [][]string{}
		kpis := d.rep.Groups(d.calls, callflow.IntervalAll)
		for _, k := range kpis {
			want = append(want, []string{strconv.FormatInt(int64(k.GroupID), 10), d.name(k.GroupID), itoa(k.Offered), itoa(k.Answered), itoa(k.Missed),
				itoa(k.Abandoned), itoa(k.ShortAbandoned), itoa(k.ServiceLevel.Numerator), itoa(k.ServiceLevel.Denominator)})
		}
		if diff := cmp.Diff(want, pick(rows, "group_id", "group", "offered", "answered", "missed", "abandoned", "short_abandoned", "service_level_in_time", "service_level_base")); diff != "" {
			t.Errorf("groups (-want +got):\n%s", diff)
		}
		require.Len(t, rows, len(kpis))
		for i, k := range kpis {
			sl, _ := k.ServiceLevel.Value()
			if got := germanFloat(t, rows[i]["service_level_pct"]); got < 100*sl-0.05 || got > 100*sl+0.05 {
				t.Errorf("%s: service level %v %%, want %.2f %%", k.GroupID, got, 100*sl)
			}
			if got := germanFloat(t, rows[i]["asa_s"]); time.Duration(got*float64(time.Second)).Round(time.Second) != k.ASA.Round(time.Second) {
				t.Errorf("%s: ASA %v s, want %v", k.GroupID, got, k.ASA)
			}
			if _, err := time.ParseInLocation(csvTime, rows[i]["start"], d.rep.Location()); err != nil {
				t.Errorf("%s: start %q: %v", k.GroupID, rows[i]["start"], err)
			}
		}
	})

	t.Run("agents", func(t *testing.T) {
		rows := readCSV(t, filepath.Join(dir, "agents.csv"), agentsHeader)
		want := [][]string{}
		for _, a := range callflow.Leaderboard(d.rep.Agents(d.calls)) {
			want = append(want, []string{itoa(a.Rank), strconv.FormatInt(int64(a.AgentID), 10), d.name(a.AgentID), itoa(a.Handled), itoa(a.Reaction.Count), itoa(a.Outgoing)})
		}
		if diff := cmp.Diff(want, pick(rows, "rank", "agent_id", "agent", "handled", "reaction_count", "outgoing")); diff != "" {
			t.Errorf("agents (-want +got):\n%s", diff)
		}
	})

	t.Run("lost callers", func(t *testing.T) {
		rows := readCSV(t, filepath.Join(dir, "lost_callers.csv"), lostHeader)
		want := [][]string{}
		for _, e := range d.rep.LostCallers(d.calls, time.Time{}) {
			want = append(want, []string{numberText(e.Number), e.Outcome.String(), itoa(len(e.Attempts)), e.First.In(d.rep.Location()).Format(csvTime), e.RecoveredBy})
		}
		if diff := cmp.Diff(want, pick(rows, "number", "outcome", "attempts", "first", "recovered_by_call")); diff != "" {
			t.Errorf("lost callers (-want +got):\n%s", diff)
		}
		// The sample has callbacks: their latency is there, in seconds.
		i := slices.IndexFunc(rows, func(r map[string]string) bool { return r["outcome"] == callflow.LostCallerRecoveredByCallback.String() })
		require.GreaterOrEqual(t, i, 0, "no callback in the sample")
		if germanFloat(t, rows[i]["callback_latency_s"]) <= 0 {
			t.Errorf("callback without a latency: %v", rows[i])
		}
	})

	t.Run("heat map", func(t *testing.T) {
		header := []string{"measure", "weekday"}
		for h := range 24 {
			header = append(header, strconv.Itoa(h/10)+strconv.Itoa(h%10))
		}
		rows := readCSV(t, filepath.Join(dir, "heatmap.csv"), header)
		hm := d.rep.HeatMap(d.calls)
		want := [][]string{}
		for _, m := range []struct {
			name string
			grid [7][24]int
		}{{"calls", hm.Calls}, {"answered", hm.Answered}, {"unanswered", hm.Unanswered}} {
			for day, wd := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
				row := []string{m.name, callflow.English.Weekday(wd)}
				for h := range 24 {
					row = append(row, itoa(m.grid[day][h]))
				}
				want = append(want, row)
			}
		}
		if diff := cmp.Diff(want, pick(rows, header...)); diff != "" {
			t.Errorf("heat map (-want +got):\n%s", diff)
		}
	})
}
