// Command quickstart is starinsight's main job: it reads a STARFACE call-list
// export (by default a week of a small call centre embedded in the binary),
// interprets every call and prints a short report: calls by outcome; per
// group and iQueue the calls offered, answered, missed and abandoned, the
// answer rate, the service level and the average speed of answer; the lost
// callers and whether they were called back; and the busiest agents.
//
// With -html it also writes a self-contained HTML report with charts (calls
// heat map, service level over time, ring-time distribution, agent
// leaderboard, lost callers), and with -csv the KPI tables as CSV files for
// Excel. Every figure comes from a callflow.Reporter.
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -html report.html -csv kpis
//	go run ./examples/quickstart -export output.csv -accounts accounts.csv -area 711
package main

import (
	"bytes"
	"cmp"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

//go:embed sample/export.csv
var sampleExport []byte

//go:embed sample/accounts.csv
var sampleAccounts []byte

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	exportPath := fs.String("export", "", "STARFACE CSV export to read (default: the embedded sample)")
	accountsPath := fs.String("accounts", "", "accounts CSV (id;type;name;…) for -export")
	tz := fs.String("tz", "Europe/Berlin", "time zone of the PBX")
	area := fs.String("area", "711", "the PBX's area code, for number normalisation")
	top := fs.Int("top", 5, "how many agents to list")
	htmlPath := fs.String("html", "", "also write an HTML report with charts to this file")
	csvDir := fs.String("csv", "", "also write the KPI tables as CSV files for Excel into this directory")
	interval := callflow.IntervalDay
	fs.TextVar(&interval, "interval", callflow.IntervalDay, "interval of the service-level chart: hour, day, week or month")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if interval == callflow.IntervalAll {
		return errors.New("-interval all: the service-level chart needs hour, day, week or month")
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("time zone %q: %w", *tz, err)
	}
	export, accountsCSV, source := io.Reader(bytes.NewReader(sampleExport)), io.Reader(bytes.NewReader(sampleAccounts)), "embedded sample"
	if *exportPath != "" {
		f, err := os.Open(*exportPath)
		if err != nil {
			return err
		}
		defer f.Close()
		export, source = f, *exportPath
		accountsCSV = nil
		if *accountsPath != "" {
			a, err := os.Open(*accountsPath)
			if err != nil {
				return err
			}
			defer a.Close()
			accountsCSV = a
		}
	}
	var accounts []cdr.Account
	if accountsCSV != nil {
		if accounts, err = cdr.ReadAccountsCSV(accountsCSV); err != nil {
			return err
		}
	}
	dir, err := cdr.NewDirectory(accounts...)
	if err != nil {
		return err
	}
	in, err := callflow.New(dir, callflow.WithNumberPlan(cdr.GermanPlan(*area)))
	if err != nil {
		return err
	}

	// A call the stream emits again (late rows completed it) replaces the
	// earlier version: keep the last one per call id, as a database
	// upsert would.
	calls := map[string]callflow.Call{}
	var order []string
	badRows := 0
	for call, err := range in.Calls(cdr.ReadCSV(export, cdr.WithLocation(loc))) {
		if err != nil {
			// A bad row is reported and skipped; a missing column ends the run.
			var mc *cdr.MissingColumnError
			if errors.As(err, &mc) {
				return err
			}
			badRows++
			fmt.Fprintln(os.Stderr, "quickstart:", err)
			continue
		}
		if _, seen := calls[call.Journey.CallID]; !seen {
			order = append(order, call.Journey.CallID)
		}
		calls[call.Journey.CallID] = call
	}
	ordered := make([]callflow.Call, 0, len(order))
	for _, id := range order {
		ordered = append(ordered, calls[id])
	}
	rep, err := callflow.NewReporter(callflow.ReportConfig{Location: loc})
	if err != nil {
		return err
	}
	r := newReport(dir, loc)
	r.badRows = badRows
	for _, c := range ordered {
		r.add(c)
	}
	if err := r.print(w, source, *top, rep, ordered); err != nil {
		return err
	}
	d := &dataset{source: source, summary: r, rep: rep, calls: ordered, interval: interval}
	if *htmlPath != "" {
		if err := writeHTML(*htmlPath, d); err != nil {
			return err
		}
		fmt.Fprintf(w, "\nHTML report written to %s\n", *htmlPath)
	}
	if *csvDir != "" {
		files, err := writeCSV(*csvDir, d)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\nCSV tables written to %s: %s\n", *csvDir, strings.Join(files, ", "))
	}
	return nil
}

type report struct {
	dir        *cdr.Directory
	loc        *time.Location
	calls      int
	legs       int
	badRows    int
	flagged    int
	first, end time.Time
	outcomes   map[callflow.Outcome]int
	directions map[callflow.Direction]int
}

func newReport(dir *cdr.Directory, loc *time.Location) *report {
	return &report{dir: dir, loc: loc, outcomes: map[callflow.Outcome]int{}, directions: map[callflow.Direction]int{}}
}

func (r *report) add(c callflow.Call) {
	j := c.Journey
	r.calls++
	r.legs += len(c.Legs)
	if j.Flags != 0 {
		r.flagged++
	}
	if r.first.IsZero() || j.Arrival.Before(r.first) {
		r.first = j.Arrival
	}
	if j.End.After(r.end) {
		r.end = j.End
	}
	r.directions[j.Direction]++
	if j.Direction == callflow.Inbound {
		r.outcomes[j.Outcome]++
	}
}

func avg(d time.Duration, n int) string {
	if n == 0 {
		return "-"
	}
	return (d / time.Duration(n)).Round(time.Second).String()
}

func pct(n, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f %%", 100*float64(n)/float64(of))
}

func (r *report) print(w io.Writer, source string, top int, rep *callflow.Reporter, calls []callflow.Call) error {
	fmt.Fprintf(w, "starinsight quickstart: %s\n", source)
	if r.calls == 0 {
		fmt.Fprintln(w, "no calls")
		return nil
	}
	fmt.Fprintf(w, "%s to %s (%s)\n", r.first.In(r.loc).Format("Mon 02.01.2006 15:04"), r.end.In(r.loc).Format("Mon 02.01.2006 15:04"), r.loc)
	fmt.Fprintf(w, "%d calls (%d inbound, %d outbound, %d internal), %d legs, %d flagged, %d bad rows\n\n",
		r.calls, r.directions[callflow.Inbound], r.directions[callflow.Outbound], r.directions[callflow.Internal], r.legs, r.flagged, r.badRows)

	inbound := r.directions[callflow.Inbound]
	fmt.Fprintln(w, "Inbound calls by outcome")
	outcomes := make([]callflow.Outcome, 0, len(r.outcomes))
	for o := range r.outcomes {
		outcomes = append(outcomes, o)
	}
	slices.SortFunc(outcomes, func(a, b callflow.Outcome) int {
		return cmp.Or(cmp.Compare(r.outcomes[b], r.outcomes[a]), cmp.Compare(a, b))
	})
	for _, o := range outcomes {
		fmt.Fprintf(w, "  %-26s %6d %8s\n", o, r.outcomes[o], pct(r.outcomes[o], inbound))
	}

	cfg := rep.Config()
	fmt.Fprintf(w, "\nGroups and iQueues (service level: answered within %v, short abandons under %v left out)\n", cfg.ServiceLevelThreshold, cfg.ShortAbandon)
	fmt.Fprintf(w, "  %-26s %7s %8s %6s %9s %11s %13s %8s %9s\n", "", "offered", "answered", "missed", "abandoned", "answer rate", "service level", "ASA", "avg talk")
	for _, k := range rep.Groups(calls, callflow.IntervalAll) {
		a := r.dir.Lookup(k.GroupID)
		fmt.Fprintf(w, "  %-26s %7d %8d %6d %9d %11s %13s %8s %9s\n", a.Name+" ("+a.Type.String()+")", k.Offered, k.Answered, k.Missed,
			k.Abandoned+k.ShortAbandoned, ratio(k.AnswerRate), ratio(k.ServiceLevel), k.ASA.Round(time.Second), k.Talk.Mean.Round(time.Second))
	}

	episodes := rep.LostCallers(calls, time.Time{})
	sum := callflow.LostCallerSummary(episodes)
	lc := sum.InHours // without business hours every episode counts as in hours
	fmt.Fprintf(w, "\nLost callers (a lost group call, then no answered call within %v)\n", cfg.Window)
	fmt.Fprintf(w, "  %d callers: %d called back, %d got through themselves, %d lost, %d pending, %d withheld\n",
		lc.Episodes, lc.RecoveredByCallback, lc.RecoveredByCaller, lc.Lost, lc.Pending, lc.Unrecoverable)
	if sum.InHours.CallbackLatency.Count > 0 {
		fmt.Fprintf(w, "  callback after %v on average (median %v)\n", sum.InHours.CallbackLatency.Mean.Round(time.Second), sum.InHours.CallbackLatency.Median.Round(time.Second))
	}
	shown := 0
	for _, e := range episodes {
		if e.Outcome != callflow.LostCallerLost || shown == top {
			continue
		}
		shown++
		fmt.Fprintf(w, "  %-16s %d attempt(s), last %s, waited %v\n", e.Number, len(e.Attempts),
			e.Last.In(r.loc).Format("Mon 15:04"), e.Attempts[len(e.Attempts)-1].Wait.Round(time.Second))
	}

	fmt.Fprintln(w, "\nBusiest agents (answered calls)")
	fmt.Fprintf(w, "  %-26s %8s %12s %9s %10s %8s\n", "", "answered", "avg reaction", "avg talk", "talk total", "outgoing")
	board := callflow.Leaderboard(rep.Agents(calls))
	for _, a := range board[:min(top, len(board))] {
		fmt.Fprintf(w, "  %-26s %8d %12s %9s %10s %8d\n", r.dir.Lookup(a.AgentID).Name, a.Handled, avg(a.Reaction.Total, a.Reaction.Count),
			avg(a.Talk.Total, a.Talk.Count), a.Talk.Total.Round(time.Minute), a.Outgoing)
	}
	return nil
}

func ratio(q callflow.Ratio) string {
	v, ok := q.Value()
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.1f %%", 100*v)
}
