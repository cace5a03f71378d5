package callflowtest

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// update is the -update flag of every test binary that imports this package:
//
//	go test -run TestScenarios/name -update
//
// rewrites the -- legs -- and -- journeys -- sections of the scenarios that
// fail with what the interpretation returned. Review the change with git
// diff before you commit it: a scenario is only worth something if its
// expectations were checked against the rules by a person.
var update = flag.Bool("update", false, "callflowtest: rewrite the -- legs -- and -- journeys -- sections of failing scenario files with the interpreted results (review the diff!)")

// Interpret reads the scenario's accounts and export (the export's local
// times in the scenario's zone) and interprets it with callflow, the number
// plan of the scenario first and then opts. A CSV error is returned as a
// *ParseError naming the section.
func (s *Scenario) Interpret(opts ...callflow.Option) ([]callflow.Call, error) {
	dir, err := s.Directory()
	if err != nil {
		return nil, err
	}
	entries, err := s.Entries()
	if err != nil {
		return nil, err
	}
	in, err := callflow.New(dir, append([]callflow.Option{callflow.WithNumberPlan(s.plan())}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.File, err)
	}
	return in.InterpretAll(entries), nil
}

// Directory reads the accounts section.
func (s *Scenario) Directory() (*cdr.Directory, error) {
	if len(bytes.TrimSpace(s.Accounts)) == 0 {
		return cdr.NewDirectory()
	}
	accounts, err := cdr.ReadAccountsCSV(bytes.NewReader(s.Accounts))
	if err != nil {
		return nil, s.sectionError(SectionAccounts, err)
	}
	dir, err := cdr.NewDirectory(accounts...)
	if err != nil {
		return nil, s.sectionError(SectionAccounts, err)
	}
	return dir, nil
}

// Entries reads the export.csv section with cdr.ReadCSV in the scenario's
// zone. The first error ends the reading.
func (s *Scenario) Entries() ([]cdr.Entry, error) {
	var entries []cdr.Entry
	for e, err := range cdr.ReadCSV(bytes.NewReader(s.Export), cdr.WithLocation(s.location())) {
		if err != nil {
			return nil, s.sectionError(SectionExport, err)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// sectionError wraps an error of cdr's readers. A *cdr.ParseError counts
// lines from the section's first line; the returned *ParseError names the
// line in the scenario file.
func (s *Scenario) sectionError(name string, err error) error {
	pe := &ParseError{File: s.File, Section: name, Err: err}
	if sec := s.section(name); sec != nil {
		pe.Line = sec.headerLine
		var ce *cdr.ParseError
		if errors.As(err, &ce) && ce.Line > 0 {
			pe.Line = sec.headerLine + ce.Line
			pe.Err = fmt.Errorf("%w (cdr counts lines from the section's first line)", err)
		}
	}
	return pe
}

// Run runs every *.scenario file in dir as a subtest named after the file
// (without the extension): it interprets the export with opts and compares
// the result with the file's expectations, reporting each difference as a
// (-want +got) diff. With -update it rewrites the expectations of failing
// scenarios instead (see the package documentation).
func Run(t *testing.T, dir string, opts ...callflow.Option) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.scenario"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("callflowtest: no *.scenario files in %s", dir)
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".scenario")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			check(t, p, *update, opts)
		})
	}
}

// tb is the part of testing.TB that check uses.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Name() string
}

// check runs one scenario file.
func check(t tb, path string, update bool, opts []callflow.Option) {
	t.Helper()
	s, err := Load(path)
	if err != nil {
		t.Fatalf("%v", err)
		return
	}
	calls, err := s.Interpret(opts...)
	if err != nil {
		t.Fatalf("%v", err)
		return
	}
	diff := s.Diff(calls)
	if diff == "" {
		return
	}
	if !update {
		t.Errorf("%s: %s\n%s\nTo write the got values into the file: go test -run '%s' -update, then review the change.",
			path, s.Name, diff, t.Name())
		return
	}
	data, err := s.Updated(calls)
	if err != nil {
		t.Fatalf("%v", err)
		return
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("%v", err)
		return
	}
	if err := os.WriteFile(path, data, info.Mode().Perm()); err != nil {
		t.Fatalf("%v", err)
		return
	}
	t.Logf("updated %s; review the change (git diff) before committing:\n%s", path, diff)
}

// Updated returns the scenario file with its -- legs -- and -- journeys --
// sections rewritten to the records calls yield; every other byte is kept.
// A section that already agrees with calls is left as it is. When a
// section's record count is unchanged, each differing record line is
// rewritten in place with the keys it already had; otherwise the lines from
// the section's first to its last record are replaced (comment lines
// before and after them stay), every record written with the keys the
// section used, in order of first use, or with the default keys
// (DefaultLegKeys, DefaultJourneyKeys) when it had no record. The result is
// parsed again and checked against calls.
//
// For a scenario built in code (not parsed), it returns Format of the
// scenario with the records replaced.
func (s *Scenario) Updated(calls []callflow.Call) ([]byte, error) {
	legs, journeys := s.Got(calls)
	var out []byte
	if s.raw == nil {
		c := *s
		c.Legs = updatedRecords(s.Legs, legs, DefaultLegKeys())
		c.Journeys = updatedRecords(s.Journeys, journeys, DefaultJourneyKeys())
		out = Format(&c)
	} else {
		lines := splitLines(s.raw)
		// Replace from the last section backwards so earlier line indexes stay valid.
		secs := slices.Clone(s.sections)
		slices.Reverse(secs)
		for _, sec := range secs {
			switch sec.name {
			case SectionLegs:
				lines = rewriteSection(lines, sec, s.Legs, legs, DefaultLegKeys())
			case SectionJourneys:
				lines = rewriteSection(lines, sec, s.Journeys, journeys, DefaultJourneyKeys())
			}
		}
		out = bytes.Join(lines, nil)
	}
	again, err := Parse(s.File, out)
	if err != nil {
		return nil, fmt.Errorf("callflowtest: the updated file does not parse: %w", err)
	}
	if d := again.Diff(calls); d != "" {
		return nil, errors.New("callflowtest: the updated file still differs:\n" + d)
	}
	return out, nil
}

// updatedRecords returns want rewritten to got (see Updated).
func updatedRecords(want []Record, got [][]Field, defaultKeys []string) []Record {
	if len(want) == len(got) {
		out := make([]Record, len(want))
		for i, w := range want {
			out[i] = Record{Fields: pick(got[i], w.Keys()), Line: w.Line}
		}
		return out
	}
	keys := unionKeys(want)
	if len(keys) == 0 {
		keys = defaultKeys
	}
	out := make([]Record, len(got))
	for i, g := range got {
		out[i] = Record{Fields: pick(g, keys)}
	}
	return out
}

// rewriteSection rewrites one expectation section of lines (see Updated).
func rewriteSection(lines [][]byte, sec section, want []Record, got [][]Field, defaultKeys []string) [][]byte {
	if DiffRecords(sec.name, want, got, defaultKeys) == "" {
		return lines
	}
	recs := updatedRecords(want, got, defaultKeys)
	if len(want) == len(got) {
		out := slices.Clone(lines)
		for i, r := range recs {
			if diffRecord(want[i], got[i]) == "" {
				continue
			}
			old := lines[r.Line-1]
			end := old[len(bytes.TrimRight(old, "\r\n")):]
			out[r.Line-1] = append([]byte(r.String()), end...)
		}
		return out
	}
	// Replace the lines from the first to the last record; comment and blank
	// lines before and after them stay. With no record yet, the records go
	// after the section's last comment line.
	from, to := -1, -1
	insert := sec.first
	for i := sec.first; i < sec.end; i++ {
		t := strings.TrimSpace(text(lines[i]))
		if t == "" {
			continue
		}
		insert = i + 1
		if strings.HasPrefix(t, "#") {
			continue
		}
		if from < 0 {
			from = i
		}
		to = i + 1
	}
	if from < 0 {
		from, to = insert, insert
	}
	eol := lineEnding(lines)
	var repl [][]byte
	for _, r := range recs {
		repl = append(repl, []byte(r.String()+eol))
	}
	out := slices.Clone(lines[:from])
	if from > 0 && !bytes.HasSuffix(out[from-1], []byte("\n")) {
		out[from-1] = append(slices.Clone(out[from-1]), eol...)
	}
	out = append(out, repl...)
	return append(out, lines[to:]...)
}

// lineEnding returns "\r\n" when the file's first line ends so, else "\n".
func lineEnding(lines [][]byte) string {
	if len(lines) > 0 && bytes.HasSuffix(lines[0], []byte("\r\n")) {
		return "\r\n"
	}
	return "\n"
}
