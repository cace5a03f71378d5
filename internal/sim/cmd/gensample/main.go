// Command gensample writes a simulated STARFACE call list as the CSV export
// "Verbindungsdaten exportieren" writes it, and optionally the simulated
// PBX's accounts as an accounts CSV. The output is a pure function of the
// flags (see package internal/sim).
//
//	go run ./internal/sim/cmd/gensample -seed 1 -days 7 -out output.csv -accounts accounts.csv
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gensample:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gensample", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		c        sim.Config
		start    = fs.String("start", "", "first day, YYYY-MM-DD (default 2025-01-06, a Monday)")
		out      = fs.String("out", "output.csv", `call-list CSV to write; "-" for standard output`)
		accounts = fs.String("accounts", "", "accounts CSV to write (none if empty)")
	)
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed: the same seed gives the same file")
	fs.IntVar(&c.Days, "days", sim.DefaultDays, "number of days")
	fs.IntVar(&c.CallsPerDay, "calls-per-day", sim.DefaultCallsPerDay, "average inbound calls per weekday")
	fs.IntVar(&c.Agents, "agents", sim.DefaultAgents, "number of agents")
	fs.IntVar(&c.Groups, "groups", sim.DefaultGroups, "number of ring-all groups (negative: none)")
	fs.IntVar(&c.IQueues, "iqueues", sim.DefaultIQueues, "number of iQueues (negative: none)")
	fs.StringVar(&c.Site, "site", "", "site name of the accounts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	loc, err := time.LoadLocation("Europe/Berlin") // the export's times are the PBX's local times
	if err != nil {
		return err
	}
	c.Location = loc
	if *start != "" {
		if c.Start, err = time.ParseInLocation(time.DateOnly, *start, loc); err != nil {
			return fmt.Errorf("-start: %w", err)
		}
	}
	if c.Days <= 0 || c.CallsPerDay <= 0 || c.Agents <= 0 {
		return errors.New("-days, -calls-per-day and -agents must be positive")
	}

	rows := 0
	err = writeFile(*out, stdout, func(w io.Writer) error {
		cw := cdr.NewCSVWriter(w, cdr.WithLocation(loc))
		for e := range sim.Generate(c) {
			if err := cw.Write(e); err != nil {
				return err
			}
			rows++
		}
		return cw.Flush()
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "gensample: %d rows, %d days from seed %d to %s\n", rows, c.Days, c.Seed, *out)
	if *accounts == "" {
		return nil
	}
	return writeFile(*accounts, stdout, func(w io.Writer) error { return cdr.WriteAccountsCSV(w, c.Accounts()) })
}

// writeFile writes path through a temporary file renamed into place, so
// that a failed run never leaves a truncated export that looks complete.
func writeFile(path string, stdout io.Writer, write func(io.Writer) error) (err error) {
	if path == "-" {
		return write(stdout)
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil { // CreateTemp's 0600 is for secrets; this is an export
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
