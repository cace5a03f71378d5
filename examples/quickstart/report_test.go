package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
)

// svgChart is one inline SVG of the report, parsed as XML.
type svgChart struct {
	title string   // the <title> element
	texts []string // every <text> element, in document order
}

var svgElement = regexp.MustCompile(`(?s)<svg\b.*?</svg>`)

// parseCharts finds the inline SVGs of page and parses each as XML: a
// chart that is not well-formed fails the test.
func parseCharts(t *testing.T, page string) []svgChart {
	t.Helper()
	var charts []svgChart
	for i, raw := range svgElement.FindAllString(page, -1) {
		dec := xml.NewDecoder(strings.NewReader(raw))
		var c svgChart
		var stack []string
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, "svg %d is not well-formed XML", i)
			switch tok := tok.(type) {
			case xml.StartElement:
				if len(stack) == 0 {
					require.Equal(t, "svg", tok.Name.Local, "svg %d: root element", i)
				}
				stack = append(stack, tok.Name.Local)
			case xml.EndElement:
				stack = stack[:len(stack)-1]
			case xml.CharData:
				switch stack[len(stack)-1] {
				case "title":
					c.title += string(tok)
				case "text":
					c.texts = append(c.texts, string(tok))
				}
			}
		}
		require.Empty(t, stack, "svg %d: unclosed elements", i)
		charts = append(charts, c)
	}
	return charts
}

func (c svgChart) has(s string) bool { return slices.Contains(c.texts, s) }

var chartTitles = []string{titleHeatMap, titleServiceLevel, titleRingTime, titleLeaderboard, titleLostCallers}

// tinyExport is a call to one user: no group, no lost caller, one agent.
const tinyExport = `"id";"callid";"cdraccountid";"calleraccountid";"calledaccountid";"callercallerid";"starttime";"ringingtime";"linktime";"callresulttime";"answered"
"1";"c1";"11";"0";"11";"+4971112345";"02.03.2026 10:00:00";"02.03.2026 10:00:01";"02.03.2026 10:00:09";"02.03.2026 10:03:00";"true"
`

func TestRunHTMLReport(t *testing.T) {
	dir := t.TempDir()
	tiny := filepath.Join(dir, "tiny.csv")
	require.NoError(t, os.WriteFile(tiny, []byte(tinyExport), 0o600))
	var plain bytes.Buffer
	require.NoError(t, run(&plain, nil))

	tests := []struct {
		name   string
		args   []string
		sample bool
	}{
		{"sample per day", nil, true},
		{"sample per hour", []string{"-interval", "hour"}, true},
		{"sample per week", []string{"-interval", "week"}, true},
		{"export without groups", []string{"-export", tiny}, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strconv.Itoa(i)+".html")
			var out bytes.Buffer
			require.NoError(t, run(&out, append(tt.args, "-html", path)))
			if tt.sample && len(tt.args) == 0 {
				// The flag adds a file and a line; the terminal report stays as it was.
				if want := plain.String() + "\nHTML report written to " + path + "\n"; out.String() != want {
					t.Errorf("output with -html:\n%s\nwant the plain report and one line:\n%s", out.String(), want)
				}
			}
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			page := string(b)
			require.True(t, strings.HasPrefix(page, "<!DOCTYPE html>"), "page starts %q", page[:min(40, len(page))])
			// Self-contained: nothing to fetch, nothing to run.
			for _, ref := range []string{"http://", "https://", "<script", "src=", "@import", "url(", "<link"} {
				if strings.Contains(page, ref) {
					t.Errorf("the report holds %q: it must work offline", ref)
				}
			}
			charts := parseCharts(t, page)
			require.Len(t, charts, len(chartTitles))
			for j, c := range charts {
				if c.title != chartTitles[j] {
					t.Errorf("chart %d: title %q, want %q", j, c.title, chartTitles[j])
				}
				if !slices.ContainsFunc(c.texts, func(s string) bool { return strings.HasPrefix(s, chartTitles[j]) }) {
					t.Errorf("chart %q does not draw its title; texts %q", chartTitles[j], c.texts)
				}
				if !strings.Contains(page, "<h2>"+chartTitles[j]+"</h2>") {
					t.Errorf("no section heading for chart %q", chartTitles[j])
				}
			}
			if tt.sample {
				checkSampleFigures(t, page, charts)
			}
		})
	}
}

// checkSampleFigures compares what the charts and tables show with what
// the Reporter computes for the sample.
func checkSampleFigures(t *testing.T, page string, charts []svgChart) {
	t.Helper()
	d := sampleDataset(t)
	page = html.UnescapeString(page) // html/template writes "+49…" as "&#43;49…"
	heat, sl, ring, board, lost := charts[0], charts[1], charts[2], charts[3], charts[4]

	// Heat map: every non-empty cell's count, and the hours as tick labels.
	hm := d.rep.HeatMap(d.calls)
	var want []int
	from, to := 24, -1
	for day := range hm.Calls {
		for h, n := range hm.Calls[day] {
			if n > 0 {
				want = append(want, n)
				from, to = min(from, h), max(to, h)
			}
		}
	}
	for h := from; h <= to; h++ {
		want = append(want, h)
	}
	var got []int
	for _, s := range heat.texts {
		if n, err := strconv.Atoi(s); err == nil {
			got = append(got, n)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("heat map numbers (-want +got):\n%s", diff)
	}
	for _, wd := range []time.Weekday{time.Monday, time.Sunday} {
		if !heat.has(callflow.English.Weekday(wd)) {
			t.Errorf("heat map lacks the row %s", wd)
		}
	}

	// Groups: the table's rates, and each group in the legends.
	for _, k := range d.rep.Groups(d.calls, callflow.IntervalAll) {
		name := d.name(k.GroupID)
		row := "<td class=\"l\">" + name + "</td><td class=\"l\">" + k.Type.String() + "</td><td>" + strconv.Itoa(k.Offered) + "</td><td>" + strconv.Itoa(k.Answered) + "</td>"
		if !strings.Contains(page, row) || !strings.Contains(page, "<td>"+k.ServiceLevel.String()+"</td>") {
			t.Errorf("group table lacks %s with service level %s", row, k.ServiceLevel)
		}
		if !sl.has(name) || !ring.has(name) {
			t.Errorf("group %q missing from the legend of the service level or ring-time chart", name)
		}
	}

	// Leaderboard: every agent with rank and count, the first on top.
	agents := callflow.Leaderboard(d.rep.Agents(d.calls))
	require.NotEmpty(t, agents)
	for _, a := range agents {
		label := strconv.Itoa(a.Rank) + ". " + d.name(a.AgentID)
		if !board.has(label) || !board.has(strconv.Itoa(a.Handled)) {
			t.Errorf("leaderboard chart lacks %q with %d calls", label, a.Handled)
		}
	}
	// The axis labels are drawn from the bottom up: the first place, on
	// top, comes after the second.
	first, second := slices.Index(board.texts, "1. "+d.name(agents[0].AgentID)), slices.Index(board.texts, strconv.Itoa(agents[1].Rank)+". "+d.name(agents[1].AgentID))
	if first < second {
		t.Errorf("the first place is drawn below the second: labels %q", board.texts)
	}

	// Lost callers: the summary's figures as bars, each episode and attempt in the table.
	episodes := d.rep.LostCallers(d.calls, time.Time{})
	sum := callflow.LostCallerSummary(episodes).InHours
	for _, n := range []int{sum.RecoveredByCallback, sum.RecoveredByCaller, sum.Lost, sum.Pending, sum.Unrecoverable} {
		if !lost.has(strconv.Itoa(n)) {
			t.Errorf("lost-caller chart lacks the figure %d; texts %q", n, lost.texts)
		}
	}
	for _, c := range sum.GaveUpAfter.Counts {
		if !lost.has(strconv.Itoa(c.Episodes)) || !lost.has(strconv.Itoa(c.Attempts)) {
			t.Errorf("lost-caller chart lacks %d callers giving up after %d attempts", c.Episodes, c.Attempts)
		}
	}
	attempts := 0
	for _, e := range episodes {
		attempts += len(e.Attempts)
		if !strings.Contains(page, "<td class=\"l\">"+numberText(e.Number)+"</td><td class=\"l\">"+lostOutcomeLabel(e.Outcome)+"</td><td>"+strconv.Itoa(len(e.Attempts))+"</td>") {
			t.Errorf("lost-caller table lacks %s (%s, %d attempts)", e.Number, e.Outcome, len(e.Attempts))
		}
	}
	if got := strings.Count(page, `<ol class="attempts">`); got != len(episodes) {
		t.Errorf("lost-caller table has %d rows, want %d episodes", got, len(episodes))
	}
	if got := strings.Count(page, "<li>"); got != attempts {
		t.Errorf("lost-caller table lists %d attempts, want %d", got, attempts)
	}
}

func TestRunReportFlagErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"interval all", []string{"-interval", "all"}, "-interval all"},
		{"unknown interval", []string{"-interval", "fortnight"}, "fortnight"},
		{"html into a missing directory", []string{"-html", filepath.Join(dir, "missing", "report.html")}, "html report"},
		{"csv into a file", []string{"-csv", file}, "csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(io.Discard, tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want an error naming %q", tt.args, err, tt.want)
			}
		})
	}
}
