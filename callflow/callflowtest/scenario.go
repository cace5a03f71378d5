package callflowtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// The section names of a scenario file.
const (
	SectionScenario = "scenario"
	SectionAccounts = "accounts"
	SectionExport   = "export.csv"
	SectionLegs     = "legs"
	SectionJourneys = "journeys"
)

var sectionNames = []string{SectionScenario, SectionAccounts, SectionExport, SectionLegs, SectionJourneys}

// DefaultTimezone is the zone of a scenario that names none.
const DefaultTimezone = "Europe/Berlin"

// Scenario is one recorded call flow: the PBX's raw export, its accounts, and
// the legs and journeys the interpretation must yield.
type Scenario struct {
	// File is the name given to Parse (the path given to Load). Errors and
	// messages name it.
	File string
	// Name is the one-line title (key name:). Parse defaults it to the
	// file's base name without extension.
	Name string
	// Rules lists the docs/interpretation.md rule ids the scenario pins
	// (key rules:), e.g. A3 L2.
	Rules []string
	// Location is the PBX's time zone (key timezone:): the export's local
	// times are read in it and expected times are written in it. nil means
	// DefaultTimezone.
	Location *time.Location
	// Plan normalises numbers (key plan: country and area code). Only the
	// country and area code can be written; the other fields are those of
	// cdr.GermanPlan. The zero value means cdr.GermanPlan("").
	Plan cdr.NumberPlan
	// Description is the free text after the keys of the scenario section.
	Description string
	// Accounts is the accounts section: CSV with a header line, as
	// cdr.ReadAccountsCSV reads it (id;type;name;login;...). Empty means no
	// account is known: every id becomes a placeholder.
	Accounts []byte
	// Export is the export.csv section: rows exactly as the STARFACE CSV
	// export writes them, header line first.
	Export []byte
	// Legs and Journeys are the expectations, in the order the
	// interpretation returns them.
	Legs, Journeys []Record

	raw      []byte    // the parsed file; nil for a scenario built in code
	sections []section // the sections of raw, in file order
}

type section struct {
	name       string
	headerLine int // 1-based line of "-- name --"
	first, end int // 0-based line indexes of the body: lines[first:end]
}

// ParseError is an error in a scenario file. Line is 1-based; 0 when the
// error concerns the whole file or section.
type ParseError struct {
	File    string
	Section string // "" for the file's structure
	Line    int
	Err     error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Section != "" {
		fmt.Fprintf(&b, ": -- %s --", e.Section)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// Load reads and parses a scenario file.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse parses a scenario file's contents. name is used in errors, which
// name the file, the section and the line.
func Parse(name string, data []byte) (*Scenario, error) {
	s := &Scenario{File: name, raw: data}
	lines := splitLines(data)
	perr := func(sec string, line int, format string, args ...any) error {
		return &ParseError{File: name, Section: sec, Line: line, Err: fmt.Errorf(format, args...)}
	}

	// Split into sections, txtar style: a line "-- name --" starts one.
	for i, l := range lines {
		n, ok := sectionHeader(l)
		if !ok {
			continue
		}
		if !slices.Contains(sectionNames, n) {
			return nil, perr("", i+1, "unknown section %q (want %s)", "-- "+n+" --", strings.Join(sectionNames, ", "))
		}
		for _, prev := range s.sections {
			if prev.name == n {
				return nil, perr("", i+1, "section -- %s -- again (first on line %d)", n, prev.headerLine)
			}
		}
		if k := len(s.sections); k > 0 {
			s.sections[k-1].end = i
		}
		s.sections = append(s.sections, section{name: n, headerLine: i + 1, first: i + 1, end: len(lines)})
	}
	for _, n := range []string{SectionScenario, SectionExport, SectionLegs, SectionJourneys} {
		if s.section(n) == nil {
			hint := ""
			if n == SectionLegs || n == SectionJourneys {
				hint = " (write it empty and run the test with -update to fill it)"
			}
			return nil, perr("", 0, "missing section -- %s --%s", n, hint)
		}
	}

	// The scenario section first: the zone is needed to read the times.
	if err := s.parseHeader(lines, s.section(SectionScenario)); err != nil {
		return nil, err
	}
	if sec := s.section(SectionAccounts); sec != nil {
		s.Accounts = body(lines, sec)
	}
	s.Export = body(lines, s.section(SectionExport))
	if len(bytes.TrimSpace(s.Export)) == 0 {
		return nil, perr(SectionExport, s.section(SectionExport).headerLine, "the export is empty")
	}
	var err error
	if s.Legs, err = parseRecords(s, lines, s.section(SectionLegs), legDefs); err != nil {
		return nil, err
	}
	if s.Journeys, err = parseRecords(s, lines, s.section(SectionJourneys), journeyDefs); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Scenario) section(name string) *section {
	for i := range s.sections {
		if s.sections[i].name == name {
			return &s.sections[i]
		}
	}
	return nil
}

// splitLines splits data after every '\n', keeping the line endings, so that
// joining the lines gives data back.
func splitLines(data []byte) [][]byte {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// text returns a line without its line ending.
func text(l []byte) string {
	return strings.TrimRight(string(l), "\r\n")
}

func sectionHeader(l []byte) (string, bool) {
	t := text(l)
	if !strings.HasPrefix(t, "-- ") || !strings.HasSuffix(t, " --") || len(t) < 7 {
		return "", false
	}
	n := strings.TrimSpace(t[3 : len(t)-3])
	return n, n != ""
}

func body(lines [][]byte, sec *section) []byte {
	return bytes.Join(lines[sec.first:sec.end], nil)
}

var headerKeys = []string{"name", "rules", "timezone", "plan"}

// parseHeader reads the scenario section: the keys name, rules, timezone and
// plan (each once, in any order, blank and '#' lines between them skipped),
// then the free-text description.
func (s *Scenario) parseHeader(lines [][]byte, sec *section) error {
	seen := map[string]int{}
	i := sec.first
	for ; i < sec.end; i++ {
		t := strings.TrimSpace(text(lines[i]))
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		key, value, ok := strings.Cut(t, ":")
		if !ok || !isKeyword(key) {
			break // the description starts
		}
		if !slices.Contains(headerKeys, key) {
			return &ParseError{File: s.File, Section: sec.name, Line: i + 1,
				Err: fmt.Errorf("unknown key %q (want %s; the description must not start with a lower-case word and a colon)", key, strings.Join(headerKeys, ", "))}
		}
		if prev, dup := seen[key]; dup {
			return &ParseError{File: s.File, Section: sec.name, Line: i + 1, Err: fmt.Errorf("key %q again (first on line %d)", key, prev)}
		}
		seen[key] = i + 1
		v, err := headerValue(value)
		if err == nil {
			err = s.setHeader(key, v)
		}
		if err != nil {
			return &ParseError{File: s.File, Section: sec.name, Line: i + 1, Err: err}
		}
	}
	var desc []string
	for ; i < sec.end; i++ {
		desc = append(desc, text(lines[i]))
	}
	s.Description = strings.TrimSpace(strings.Join(desc, "\n"))
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(s.File), filepath.Ext(s.File))
	}
	if s.Plan == (cdr.NumberPlan{}) {
		s.Plan = cdr.GermanPlan("")
	}
	if s.Location == nil {
		loc, err := time.LoadLocation(DefaultTimezone)
		if err != nil {
			return &ParseError{File: s.File, Section: sec.name, Line: sec.headerLine, Err: err}
		}
		s.Location = loc
	}
	return nil
}

func isKeyword(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// headerValue reads a header value: plain text up to a "# comment", or a
// Go-quoted string (which Format writes when the text would not survive
// plain: a '#', a line break, surrounding space).
func headerValue(v string) (string, error) {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, `"`) {
		return stripComment(v), nil
	}
	q, err := strconv.QuotedPrefix(v)
	if err != nil {
		return "", fmt.Errorf("bad quoted value %s: %w", v, err)
	}
	if rest := strings.TrimSpace(v[len(q):]); rest != "" && !strings.HasPrefix(rest, "#") {
		return "", fmt.Errorf("text after the quoted value: %q", rest)
	}
	return strconv.Unquote(q)
}

// headerText writes a header value so that headerValue reads it back.
func headerText(v string) string {
	if v == strings.TrimSpace(v) && !strings.ContainsAny(v, "#\"\n\r") {
		return v
	}
	return strconv.Quote(v)
}

// stripComment removes a trailing "# comment" (a '#' after white space).
func stripComment(v string) string {
	for i := 1; i < len(v); i++ {
		if v[i] == '#' && (v[i-1] == ' ' || v[i-1] == '\t') {
			v = v[:i]
			break
		}
	}
	return strings.TrimSpace(v)
}

func (s *Scenario) setHeader(key, value string) error {
	switch key {
	case "name":
		if value == "" {
			return errors.New("name: is empty")
		}
		s.Name = value
	case "rules":
		s.Rules = strings.FieldsFunc(value, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' })
		for _, r := range s.Rules {
			if strings.ContainsAny(r, "#\"") {
				return fmt.Errorf("rules: %q is not a rule id (such as A3 or L12)", r)
			}
		}
	case "timezone":
		loc, err := time.LoadLocation(value)
		if err != nil || value == "" {
			return fmt.Errorf("timezone: unknown zone %q (want an IANA name such as Europe/Berlin)", value)
		}
		s.Location = loc
	case "plan":
		p, err := parsePlan(value)
		if err != nil {
			return err
		}
		s.Plan = p
	}
	return nil
}

func parsePlan(v string) (cdr.NumberPlan, error) {
	f := strings.Fields(v)
	if len(f) == 0 || len(f) > 2 {
		return cdr.NumberPlan{}, fmt.Errorf("plan: want the country code and optionally the area code, such as 49 711, got %q", v)
	}
	p := cdr.GermanPlan("")
	p.CountryCode = f[0]
	if len(f) == 2 {
		p.AreaCode = f[1]
	}
	if err := p.Validate(); err != nil {
		return cdr.NumberPlan{}, fmt.Errorf("plan: %w", err)
	}
	return p, nil
}

// parseRecords reads the expectation records of a legs or journeys section.
func parseRecords[T any](s *Scenario, lines [][]byte, sec *section, defs []fieldDef[T]) ([]Record, error) {
	recs := []Record{}
	for i := sec.first; i < sec.end; i++ {
		t := strings.TrimSpace(text(lines[i]))
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		fs, err := parseRecord(t, defs, s.location())
		if err != nil {
			return nil, &ParseError{File: s.File, Section: sec.name, Line: i + 1, Err: err}
		}
		recs = append(recs, Record{Fields: fs, Line: i + 1})
	}
	return recs, nil
}

// parseRecord reads one line of key=value pairs separated by white space. A
// value that starts with '"' is a Go quoted string.
func parseRecord[T any](line string, defs []fieldDef[T], loc *time.Location) ([]Field, error) {
	var out []Field
	rest := line
	for {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			break
		}
		eq := strings.IndexByte(rest, '=')
		sp := strings.IndexAny(rest, " \t")
		if eq < 0 || (sp >= 0 && sp < eq) {
			tok := rest
			if sp >= 0 {
				tok = rest[:sp]
			}
			return nil, fmt.Errorf("%q is not key=value", tok)
		}
		key := rest[:eq]
		kind, ok := kindOf(defs, key)
		if !ok {
			return nil, fmt.Errorf("unknown key %q (known: %s)", key, strings.Join(keys(defs), " "))
		}
		for _, f := range out {
			if f.Key == key {
				return nil, fmt.Errorf("key %q twice in one record", key)
			}
		}
		rest = rest[eq+1:]
		var value string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return nil, fmt.Errorf("%s: bad quoted value %s (want Go quoted syntax)", key, rest)
			}
			value, _ = strconv.Unquote(q)
			rest = rest[len(q):]
			if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
				return nil, fmt.Errorf("%s: text right after the closing quote", key)
			}
		} else {
			n := strings.IndexAny(rest, " \t")
			if n < 0 {
				n = len(rest)
			}
			value, rest = rest[:n], rest[n:]
		}
		norm, err := normalize(kind, value, loc)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", key, err)
		}
		out = append(out, Field{Key: key, Value: norm})
	}
	return out, nil
}

func (s *Scenario) location() *time.Location {
	if s.Location != nil {
		return s.Location
	}
	loc, err := time.LoadLocation(DefaultTimezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func (s *Scenario) plan() cdr.NumberPlan {
	if s.Plan == (cdr.NumberPlan{}) {
		return cdr.GermanPlan("")
	}
	return s.Plan
}

// Format writes the scenario in the file format. The scenario, accounts and
// export sections are written from the fields (Accounts and Export
// verbatim), the expectation records one per line. Parsing the result gives
// the same scenario (up to the records' Line numbers); comments of a parsed
// file are not kept: the -update flag rewrites a file in place instead,
// keeping every other byte.
func Format(s *Scenario) []byte {
	var b bytes.Buffer
	b.WriteString("-- scenario --\n")
	if s.Name != "" {
		fmt.Fprintf(&b, "name: %s\n", headerText(s.Name))
	}
	if len(s.Rules) > 0 {
		fmt.Fprintf(&b, "rules: %s\n", strings.Join(s.Rules, " "))
	}
	fmt.Fprintf(&b, "timezone: %s\n", s.location())
	if p := s.plan(); p != cdr.GermanPlan("") {
		fmt.Fprintf(&b, "plan: %s\n", strings.TrimSpace(p.CountryCode+" "+p.AreaCode))
	}
	if d := strings.TrimSpace(s.Description); d != "" {
		b.WriteString(d)
		b.WriteByte('\n')
	}
	writeSection := func(name string, data []byte) {
		fmt.Fprintf(&b, "-- %s --\n", name)
		b.Write(data)
		if len(data) > 0 && data[len(data)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	if s.Accounts != nil {
		writeSection(SectionAccounts, s.Accounts)
	}
	writeSection(SectionExport, s.Export)
	writeSection(SectionLegs, formatRecords(s.Legs))
	writeSection(SectionJourneys, formatRecords(s.Journeys))
	return b.Bytes()
}

func formatRecords(recs []Record) []byte {
	var b bytes.Buffer
	for _, r := range recs {
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return b.Bytes()
}
