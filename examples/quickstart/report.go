package main

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// dataset is what the HTML report and the CSV tables are drawn from: the
// interpreted calls and the Reporter that computes every figure. Nothing
// here counts calls itself, so the report cannot drift from the SDK's KPI
// definitions.
type dataset struct {
	source   string
	summary  *report // the terminal report's overview (range, call counts)
	rep      *callflow.Reporter
	calls    []callflow.Call
	interval callflow.Interval // of the service-level chart
}

func (d *dataset) dir() *cdr.Directory { return d.summary.dir }

// name returns the account's name (a placeholder's names its id).
func (d *dataset) name(id cdr.AccountID) string {
	if a := d.dir().Lookup(id); a.Name != "" {
		return a.Name
	}
	return fmt.Sprintf("account %d", id)
}

// The chart titles: in the plot, in the SVG's <title> and as the section
// heading, so that a reader, a screen reader and a test find the same name.
const (
	titleHeatMap      = "Calls by weekday and hour"
	titleServiceLevel = "Service level over time"
	titleRingTime     = "Ring-time distribution"
	titleLeaderboard  = "Agent leaderboard"
	titleLostCallers  = "Lost callers and their attempts"
)

// writeHTML renders the report into memory first, so that a failed chart
// leaves no half-written file behind.
func writeHTML(path string, d *dataset) error {
	var buf bytes.Buffer
	if err := renderHTML(&buf, d); err != nil {
		return fmt.Errorf("html report %s: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}

type htmlChart struct {
	ID, Title, Note string
	SVG             template.HTML
}

type htmlGroupRow struct {
	Name, Type                                       string
	Offered, Answered, Missed, Abandoned, OutOfHours int
	AnswerRate, ServiceLevel, ASA, AvgTalk           string
}

type htmlAgentRow struct {
	Rank                        int
	Name                        string
	Handled, Outgoing, Rejected int
	Reaction, Talk, TalkTotal   string
}

type htmlEpisode struct {
	Number, Outcome, First, Last, Recovery string
	Attempts                               []string
}

type htmlPage struct {
	Source, Range, Overview, SLNote, LostNote string
	Charts                                    map[string]htmlChart
	Groups                                    []htmlGroupRow
	Agents                                    []htmlAgentRow
	Episodes                                  []htmlEpisode
}

func renderHTML(w io.Writer, d *dataset) error {
	loc := d.rep.Location()
	cfg := d.rep.Config()
	s := d.summary
	page := htmlPage{
		Source: d.source,
		Charts: map[string]htmlChart{},
		SLNote: fmt.Sprintf("Share of the offered calls answered within %v; callers who hung up within %v are left out. A gap is an interval without such calls.",
			cfg.ServiceLevelThreshold, cfg.ShortAbandon),
	}
	if s.calls > 0 {
		page.Range = fmt.Sprintf("%s to %s (%s)", s.first.In(loc).Format("Mon 02.01.2006 15:04"), s.end.In(loc).Format("Mon 02.01.2006 15:04"), loc)
	}
	page.Overview = fmt.Sprintf("%d calls (%d inbound, %d outbound, %d internal), %d flagged, %d bad rows",
		s.calls, s.directions[callflow.Inbound], s.directions[callflow.Outbound], s.directions[callflow.Internal], s.flagged, s.badRows)

	total := d.rep.Groups(d.calls, callflow.IntervalAll)
	for _, k := range total {
		page.Groups = append(page.Groups, htmlGroupRow{
			Name: d.name(k.GroupID), Type: k.Type.String(),
			Offered: k.Offered, Answered: k.Answered, Missed: k.Missed, Abandoned: k.Abandoned + k.ShortAbandoned, OutOfHours: k.OutOfHours,
			AnswerRate: k.AnswerRate.String(), ServiceLevel: k.ServiceLevel.String(),
			ASA: k.ASA.Round(time.Second).String(), AvgTalk: k.Talk.Mean.Round(time.Second).String(),
		})
	}
	board := callflow.Leaderboard(d.rep.Agents(d.calls))
	for _, a := range board {
		page.Agents = append(page.Agents, htmlAgentRow{
			Rank: a.Rank, Name: d.name(a.AgentID), Handled: a.Handled, Outgoing: a.Outgoing, Rejected: a.Rejected,
			Reaction: durationOrDash(a.Reaction), Talk: durationOrDash(a.Talk), TalkTotal: a.Talk.Total.Round(time.Minute).String(),
		})
	}
	episodes := d.rep.LostCallers(d.calls, time.Time{})
	sum := callflow.LostCallerSummary(episodes)
	lc := sum.InHours // without business hours every episode counts as in hours
	page.LostNote = fmt.Sprintf("%d lost callers (a lost group call, then no answered call within %v): %d called back, %d got through themselves, %d lost, %d pending, %d withheld; recovery rate %s.",
		lc.Episodes, cfg.Window, lc.RecoveredByCallback, lc.RecoveredByCaller, lc.Lost, lc.Pending, lc.Unrecoverable, lc.RecoveryRate)
	for _, e := range episodes {
		page.Episodes = append(page.Episodes, d.episodeRow(e))
	}

	charts := []struct {
		id, title, note string
		w, h            vg.Length
		draw            func(draw.Canvas) error
	}{
		{"heatmap", titleHeatMap, "Calls of every direction by weekday and hour of arrival (" + loc.String() + ").", 720, 300,
			heatMapChart(d.rep.HeatMap(d.calls))},
		{"service-level", titleServiceLevel, page.SLNote, 720, 320,
			serviceLevelChart(d, d.rep.Groups(d.calls, d.interval))},
		{"ring-time", titleRingTime, "Ring time (first ring to answer or hang-up) of every offered call, per group and iQueue, in the Reporter's buckets.", 720, 320,
			ringTimeChart(d, total)},
		{"leaderboard", titleLeaderboard, "Answered calls per agent, ranked by callflow.Leaderboard (ties broken by the faster reaction).", 720, vg.Length(90 + 22*min(len(board), maxBoardBars)),
			leaderboardChart(d, board)},
		{"lost-callers", titleLostCallers, page.LostNote, 720, 300,
			lostCallersChart(lc)},
	}
	for _, c := range charts {
		svg, err := renderSVG(c.title, c.w, c.h, c.draw)
		if err != nil {
			return err
		}
		page.Charts[c.id] = htmlChart{ID: c.id, Title: c.title, Note: c.note, SVG: svg}
	}
	return pageTemplate.Execute(w, page)
}

func (d *dataset) episodeRow(e callflow.LostCaller) htmlEpisode {
	loc := d.rep.Location()
	row := htmlEpisode{
		Number: numberText(e.Number), Outcome: lostOutcomeLabel(e.Outcome),
		First: e.First.In(loc).Format("Mon 02.01. 15:04"), Last: e.Last.In(loc).Format("Mon 02.01. 15:04"),
	}
	for _, a := range e.Attempts {
		row.Attempts = append(row.Attempts, fmt.Sprintf("%s, %s, waited %v, %s", a.Start.In(loc).Format("Mon 15:04"),
			d.name(a.GroupID), a.Wait.Round(time.Second), a.Reason))
	}
	switch e.Outcome {
	case callflow.LostCallerRecoveredByCallback:
		row.Recovery = fmt.Sprintf("called back by %s after %v", d.name(e.AgentID), e.CallbackLatency.Round(time.Second))
	case callflow.LostCallerRecoveredByCaller:
		row.Recovery = "answered by " + d.name(e.AgentID) + " at " + e.RecoveredAt.In(loc).Format("Mon 15:04")
	case callflow.LostCallerPending:
		row.Recovery = "open until " + e.WindowEnd.In(loc).Format("Mon 15:04")
	}
	return row
}

// lostOutcomeLabel names an episode's outcome as the terminal report does.
func lostOutcomeLabel(o callflow.LostCallerOutcome) string {
	switch o {
	case callflow.LostCallerRecoveredByCallback:
		return "called back"
	case callflow.LostCallerRecoveredByCaller:
		return "got through"
	case callflow.LostCallerLost:
		return "lost"
	case callflow.LostCallerPending:
		return "pending"
	case callflow.LostCallerUnrecoverable:
		return "withheld"
	}
	return o.String()
}

func durationOrDash(s callflow.DurationStats) string {
	if s.Count == 0 {
		return "-"
	}
	return s.Mean.Round(time.Second).String()
}

// renderSVG draws one chart into an SVG fit for inlining into HTML: no XML
// prolog, no namespace declarations (the HTML parser puts <svg> into the
// SVG namespace itself, and the file then names no URL at all), and a
// <title> for screen readers. A panic inside the charting library becomes
// an error naming the chart rather than ending the program.
func renderSVG(title string, w, h vg.Length, drawChart func(draw.Canvas) error) (svg template.HTML, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("chart %q: %v", title, r)
		}
	}()
	c := vgsvg.New(w, h)
	if err := drawChart(draw.New(c)); err != nil {
		return "", fmt.Errorf("chart %q: %w", title, err)
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("chart %q: %w", title, err)
	}
	s := buf.String()
	start := strings.Index(s, "<svg")
	if start < 0 {
		return "", fmt.Errorf("chart %q: the renderer wrote no <svg> element", title)
	}
	s = s[start:]
	end := strings.IndexByte(s, '>')
	if end < 0 {
		return "", fmt.Errorf("chart %q: the renderer wrote an unterminated <svg> tag", title)
	}
	tag := xmlnsAttr.ReplaceAllString(s[:end], "")
	s = tag + ` role="img">` + "\n<title>" + template.HTMLEscapeString(title) + "</title>" + s[end+1:]
	return template.HTML(s), nil // the renderer escapes every text it draws
}

// xmlnsAttr matches the namespace declarations of the SVG's start tag.
var xmlnsAttr = regexp.MustCompile(`\s+xmlns(:\w+)?="[^"]*"`)

var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>starinsight report: {{.Source}}</title>
<style>
body{font-family:"Liberation Sans",Arial,Helvetica,sans-serif;color:#222;margin:0 auto;max-width:1000px;padding:1em 1.5em 3em;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}
h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.sub{color:#555;margin:.2em 0}
figure{margin:.5em 0}
figure svg{display:block;width:100%;height:auto;max-width:960px}
/* The charts measure their text in Liberation Sans; Arial and Helvetica share its metrics. */
figure svg text{font-family:"Liberation Sans",Arial,Helvetica,sans-serif!important}
figcaption,.note{color:#555;font-size:.9em}
table{border-collapse:collapse;font-size:.9em;margin:.8em 0}
th,td{padding:.25em .6em;border-bottom:1px solid #eee;text-align:right;vertical-align:top}
th{background:#f4f6f8}
td.l,th.l{text-align:left}
ol.attempts{margin:0;padding-left:1.2em;text-align:left}
footer{margin-top:3em;color:#777;font-size:.85em}
</style>
</head>
<body>
<h1>Call report</h1>
<p class="sub">{{.Source}}{{with .Range}} · {{.}}{{end}}</p>
<p class="sub">{{.Overview}}</p>

<h2>Groups and iQueues</h2>
{{if .Groups}}<table>
<tr><th class="l">group</th><th class="l">type</th><th>offered</th><th>answered</th><th>missed</th><th>abandoned</th><th>out of hours</th><th>answer rate</th><th>service level</th><th>ASA</th><th>avg talk</th></tr>
{{range .Groups}}<tr><td class="l">{{.Name}}</td><td class="l">{{.Type}}</td><td>{{.Offered}}</td><td>{{.Answered}}</td><td>{{.Missed}}</td><td>{{.Abandoned}}</td><td>{{.OutOfHours}}</td><td>{{.AnswerRate}}</td><td>{{.ServiceLevel}}</td><td>{{.ASA}}</td><td>{{.AvgTalk}}</td></tr>
{{end}}</table>{{else}}<p class="note">No calls reached a group or iQueue.</p>{{end}}

{{with index .Charts "heatmap"}}<section id="{{.ID}}"><h2>{{.Title}}</h2><figure>{{.SVG}}<figcaption>{{.Note}}</figcaption></figure></section>{{end}}

{{with index .Charts "service-level"}}<section id="{{.ID}}"><h2>{{.Title}}</h2><figure>{{.SVG}}<figcaption>{{.Note}}</figcaption></figure></section>{{end}}

{{with index .Charts "ring-time"}}<section id="{{.ID}}"><h2>{{.Title}}</h2><figure>{{.SVG}}<figcaption>{{.Note}}</figcaption></figure></section>{{end}}

{{with index .Charts "leaderboard"}}<section id="{{.ID}}"><h2>{{.Title}}</h2><figure>{{.SVG}}<figcaption>{{.Note}}</figcaption></figure>{{end}}
{{if .Agents}}<table>
<tr><th>rank</th><th class="l">agent</th><th>answered</th><th>avg reaction</th><th>avg talk</th><th>talk total</th><th>rejected</th><th>outgoing</th></tr>
{{range .Agents}}<tr><td>{{.Rank}}</td><td class="l">{{.Name}}</td><td>{{.Handled}}</td><td>{{.Reaction}}</td><td>{{.Talk}}</td><td>{{.TalkTotal}}</td><td>{{.Rejected}}</td><td>{{.Outgoing}}</td></tr>
{{end}}</table>{{end}}</section>

{{with index .Charts "lost-callers"}}<section id="{{.ID}}"><h2>{{.Title}}</h2><figure>{{.SVG}}<figcaption>{{.Note}}</figcaption></figure>{{end}}
{{if .Episodes}}<table>
<tr><th class="l">number</th><th class="l">outcome</th><th>attempts</th><th class="l">first</th><th class="l">last</th><th class="l">each attempt</th><th class="l">recovery</th></tr>
{{range .Episodes}}<tr><td class="l">{{.Number}}</td><td class="l">{{.Outcome}}</td><td>{{len .Attempts}}</td><td class="l">{{.First}}</td><td class="l">{{.Last}}</td><td class="l"><ol class="attempts">{{range .Attempts}}<li>{{.}}</li>{{end}}</ol></td><td class="l">{{.Recovery}}</td></tr>
{{end}}</table>{{end}}</section>

<footer>Made by the starinsight quickstart: every figure is computed by callflow.Reporter. The file needs no network.</footer>
</body>
</html>
`))
