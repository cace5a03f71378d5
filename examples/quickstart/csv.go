package main

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// The CSV tables are for Excel as German offices run it: UTF-8 with a byte
// order mark (without it Excel reads the file as Windows-1252 and mangles
// "Müller"), a semicolon between fields (Excel's list separator in a German
// locale) and a decimal comma. Times are "02.01.2006 15:04:05" in the
// report's zone, which Excel reads as a date and time. A rate over nothing
// is an empty cell, never 0: Excel then leaves it out of averages.
const (
	csvComma    = ';'
	csvBOM      = "\ufeff"
	csvTime     = "02.01.2006 15:04:05"
	csvGroups   = "groups.csv"
	csvAgents   = "agents.csv"
	csvLost     = "lost_callers.csv"
	csvHeatMap  = "heatmap.csv"
	csvNoNumber = "none"
)

// writeCSV writes one file per KPI table into dir and returns their names.
func writeCSV(dir string, d *dataset) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	tables := []struct {
		name string
		rows [][]string
	}{
		{csvGroups, groupsTable(d)},
		{csvAgents, agentsTable(d)},
		{csvLost, lostCallersTable(d)},
		{csvHeatMap, heatMapTable(d)},
	}
	var names []string
	for _, t := range tables {
		var buf bytes.Buffer
		buf.WriteString(csvBOM)
		cw := csv.NewWriter(&buf)
		cw.Comma = csvComma
		cw.UseCRLF = true // what Excel writes and expects
		if err := cw.WriteAll(t.rows); err != nil {
			return names, fmt.Errorf("csv %s: %w", t.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, t.name), buf.Bytes(), 0o644); err != nil {
			return names, fmt.Errorf("csv: %w", err)
		}
		names = append(names, t.name)
	}
	return names, nil
}

// decimal formats v with a decimal comma and the given digits.
func decimal(v float64, digits int) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', digits, 64), ".", ",", 1)
}

// seconds formats a duration in seconds, to a tenth.
func seconds(d time.Duration) string { return decimal(d.Seconds(), 1) }

// percent formats a ratio in percent, to a tenth; empty when undefined.
func percent(q callflow.Ratio) string {
	v, ok := q.Value()
	if !ok {
		return ""
	}
	return decimal(100*v, 1)
}

func csvTimeOf(t time.Time, d *dataset) string {
	if t.IsZero() {
		return ""
	}
	return t.In(d.rep.Location()).Format(csvTime)
}

var groupsHeader = []string{
	"group_id", "group", "type", "start", "end", "offered", "out_of_hours", "answered", "missed", "abandoned", "short_abandoned",
	"lost_in_announcement", "lost_while_ringing", "forwarded", "voicemail", "other",
	"answer_rate_pct", "abandon_rate_pct", "service_level_pct", "service_level_in_time", "service_level_base",
	"asa_s", "avg_abandon_time_s", "avg_time_in_queue_s", "avg_ring_s", "avg_talk_s", "talk_total_s",
}

// groupsTable holds a row per group and iQueue over the whole range, as
// Reporter.Groups returns them. The service level's parts are there too, so
// that a sum over groups or days can be weighted correctly.
func groupsTable(d *dataset) [][]string {
	rows := [][]string{groupsHeader}
	for _, k := range d.rep.Groups(d.calls, callflow.IntervalAll) {
		rows = append(rows, []string{
			strconv.FormatInt(int64(k.GroupID), 10), d.name(k.GroupID), k.Type.String(), csvTimeOf(k.Start, d), csvTimeOf(k.End, d),
			itoa(k.Offered), itoa(k.OutOfHours), itoa(k.Answered), itoa(k.Missed), itoa(k.Abandoned), itoa(k.ShortAbandoned),
			itoa(k.LostInAnnouncement), itoa(k.LostWhileRinging), itoa(k.Forwarded()), itoa(k.Voicemail), itoa(k.Other()),
			percent(k.AnswerRate), percent(k.AbandonRate), percent(k.ServiceLevel), itoa(k.ServiceLevel.Numerator), itoa(k.ServiceLevel.Denominator),
			seconds(k.ASA), seconds(k.AvgAbandonTime), seconds(k.AvgTimeInQueue), seconds(k.Ring.Mean), seconds(k.Talk.Mean), seconds(k.Talk.Total),
		})
	}
	return rows
}

var agentsHeader = []string{
	"rank", "agent_id", "agent", "handled", "reaction_count", "avg_reaction_s", "median_reaction_s", "avg_ring_s", "avg_talk_s", "talk_total_s",
	"rejected", "outgoing", "outgoing_talk_s", "excluded",
}

// agentsTable is the leaderboard (callflow.Leaderboard of Reporter.Agents).
func agentsTable(d *dataset) [][]string {
	rows := [][]string{agentsHeader}
	for _, a := range callflow.Leaderboard(d.rep.Agents(d.calls)) {
		rows = append(rows, []string{
			itoa(a.Rank), strconv.FormatInt(int64(a.AgentID), 10), d.name(a.AgentID), itoa(a.Handled),
			itoa(a.Reaction.Count), seconds(a.Reaction.Mean), seconds(a.Reaction.Median), seconds(a.Ring.Mean), seconds(a.Talk.Mean), seconds(a.Talk.Total),
			itoa(a.Rejected), itoa(a.Outgoing), seconds(a.OutgoingTalk), itoa(a.Excluded),
		})
	}
	return rows
}

var lostHeader = []string{
	"number", "outcome", "attempts", "first", "last", "window_end", "recovered_at", "recovered_by_call",
	"callback_latency_s", "agent_id", "agent", "out_of_hours", "last_group", "last_reason", "last_wait_s",
}

// lostCallersTable holds a row per lost-caller episode (Reporter.LostCallers).
// The numbers are personal data: see the README.
func lostCallersTable(d *dataset) [][]string {
	rows := [][]string{lostHeader}
	for _, e := range d.rep.LostCallers(d.calls, time.Time{}) {
		agent, agentID, latency := "", "", ""
		if e.AgentID != 0 {
			agent, agentID = d.name(e.AgentID), strconv.FormatInt(int64(e.AgentID), 10)
		}
		if e.Outcome == callflow.LostCallerRecoveredByCallback {
			latency = seconds(e.CallbackLatency)
		}
		lastGroup, lastReason, lastWait := "", "", ""
		if n := len(e.Attempts); n > 0 {
			a := e.Attempts[n-1]
			lastGroup, lastReason, lastWait = d.name(a.GroupID), a.Reason.String(), seconds(a.Wait)
		}
		rows = append(rows, []string{
			numberText(e.Number), e.Outcome.String(), itoa(len(e.Attempts)), csvTimeOf(e.First, d), csvTimeOf(e.Last, d),
			csvTimeOf(e.WindowEnd, d), csvTimeOf(e.RecoveredAt, d), e.RecoveredBy, latency, agentID, agent,
			strconv.FormatBool(e.OutOfHours), lastGroup, lastReason, lastWait,
		})
	}
	return rows
}

// heatMapTable holds Reporter.HeatMap: a row per measure and weekday
// (Monday first), a column per hour.
func heatMapTable(d *dataset) [][]string {
	header := []string{"measure", "weekday"}
	for h := range 24 {
		header = append(header, fmt.Sprintf("%02d", h))
	}
	rows := [][]string{header}
	hm := d.rep.HeatMap(d.calls)
	for _, m := range []struct {
		name string
		grid *[7][24]int
	}{{"calls", &hm.Calls}, {"answered", &hm.Answered}, {"unanswered", &hm.Unanswered}} {
		for day := range 7 {
			row := []string{m.name, callflow.English.Weekday(time.Weekday((day + 1) % 7))}
			for h := range 24 {
				row = append(row, itoa(m.grid[day][h]))
			}
			rows = append(rows, row)
		}
	}
	return rows
}

func itoa(n int) string { return strconv.Itoa(n) }

// numberText is a caller's number as the tables show it: "none" when the
// call came without one.
func numberText(n cdr.PhoneNumber) string { return cmp.Or(n.String(), csvNoNumber) }
