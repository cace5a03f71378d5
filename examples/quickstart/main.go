// Command quickstart is starinsight's main job: it reads a STARFACE call-list
// export (by default a week of a small call centre embedded in the binary),
// interprets every call and prints a short report: calls by outcome, calls
// per group and iQueue, answered and lost, average ring and talk time, and
// the busiest agents.
//
//	go run ./examples/quickstart
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
	if err := fs.Parse(args); err != nil {
		return err
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
	r := newReport(dir, loc)
	r.badRows = badRows
	for _, id := range order {
		r.add(calls[id])
	}
	return r.print(w, source, *top)
}

type groupStats struct {
	offered, answered, lost int
	ring, talk              time.Duration
}

type agentStats struct {
	answered       int
	reaction, talk time.Duration
	outgoing       int
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
	groups     map[cdr.AccountID]*groupStats
	agents     map[cdr.AccountID]*agentStats
}

func newReport(dir *cdr.Directory, loc *time.Location) *report {
	return &report{dir: dir, loc: loc, outcomes: map[callflow.Outcome]int{}, directions: map[callflow.Direction]int{},
		groups: map[cdr.AccountID]*groupStats{}, agents: map[cdr.AccountID]*agentStats{}}
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
	for _, l := range c.Legs {
		if l.GroupID != 0 && l.Incoming {
			g := r.groups[l.GroupID]
			if g == nil {
				g = &groupStats{}
				r.groups[l.GroupID] = g
			}
			g.offered++
			if l.Answered {
				g.answered++
				g.ring += l.Ring
				g.talk += l.Talk
			} else {
				g.lost++
			}
		}
		if r.dir.Lookup(l.AccountID).Type != cdr.AccountUser {
			continue
		}
		a := r.agents[l.AccountID]
		if a == nil {
			a = &agentStats{}
			r.agents[l.AccountID] = a
		}
		switch {
		case !l.Incoming:
			a.outgoing++
		case l.Answered:
			a.answered++
			a.reaction += l.AgentRing
			a.talk += l.Talk
		}
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

func (r *report) print(w io.Writer, source string, top int) error {
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

	fmt.Fprintln(w, "\nGroups and iQueues")
	fmt.Fprintf(w, "  %-26s %8s %8s %6s %11s %9s %9s\n", "", "offered", "answered", "lost", "answer rate", "avg ring", "avg talk")
	ids := make([]cdr.AccountID, 0, len(r.groups))
	for id := range r.groups {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		g, a := r.groups[id], r.dir.Lookup(id)
		fmt.Fprintf(w, "  %-26s %8d %8d %6d %11s %9s %9s\n", a.Name+" ("+a.Type.String()+")", g.offered, g.answered, g.lost,
			pct(g.answered, g.offered), avg(g.ring, g.answered), avg(g.talk, g.answered))
	}

	fmt.Fprintln(w, "\nBusiest agents (answered calls)")
	fmt.Fprintf(w, "  %-26s %8s %12s %9s %10s %8s\n", "", "answered", "avg reaction", "avg talk", "talk total", "outgoing")
	agents := make([]cdr.AccountID, 0, len(r.agents))
	for id := range r.agents {
		agents = append(agents, id)
	}
	slices.SortFunc(agents, func(a, b cdr.AccountID) int {
		return cmp.Or(cmp.Compare(r.agents[b].answered, r.agents[a].answered), cmp.Compare(a, b))
	})
	for _, id := range agents[:min(top, len(agents))] {
		s := r.agents[id]
		fmt.Fprintf(w, "  %-26s %8d %12s %9s %10s %8d\n", r.dir.Lookup(id).Name, s.answered, avg(s.reaction, s.answered),
			avg(s.talk, s.answered), s.talk.Round(time.Minute), s.outgoing)
	}
	return nil
}
