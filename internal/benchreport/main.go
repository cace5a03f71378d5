// Command benchreport renders BENCHMARKS.md's prose from a template and
// the raw results scripts/benchmarks keeps: `go test -bench` outputs
// (bench/results/<name>.txt) and `go test -v` logs of the tests that
// measure what a benchmark cannot, such as the kill tests
// (bench/results/tests/<name>.txt).
//
// The template names each figure by file, benchmark and unit, so the
// prose cannot drift from the results it is rendered from: a figure that
// was not measured renders as "(not measured)" and is reported on
// standard error, and a figure name that matches nothing fails the run.
//
//	go run ./internal/benchreport -results bench/results -template bench/BENCHMARKS.md.tmpl
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
)

func main() {
	results := flag.String("results", "bench/results", "directory of raw benchmark outputs (<name>.txt) and test logs (tests/<name>.txt)")
	tmpl := flag.String("template", "bench/BENCHMARKS.md.tmpl", "template of the prose")
	flag.Parse()
	if err := run(os.Stdout, os.Stderr, *results, *tmpl); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(out, warn io.Writer, resultsDir, tmplPath string) error {
	text, err := os.ReadFile(tmplPath)
	if err != nil {
		return err
	}
	r, err := load(resultsDir)
	if err != nil {
		return err
	}
	r.warn = warn
	t, err := template.New(filepath.Base(tmplPath)).Option("missingkey=error").Funcs(r.funcs()).Parse(string(text))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, nil); err != nil {
		return err
	}
	_, err = out.Write(buf.Bytes())
	return err
}

// results holds every measurement, keyed by the file's name without
// ".txt" (e.g. "callflow", "sqlsink", "tests/root").
type results struct {
	bench map[string]map[string]map[string][]float64 // file → benchmark → unit → values
	tests map[string]map[string]*testRun             // file → top-level test → run
	warn  io.Writer
}

type testRun struct {
	Status  string // PASS, FAIL or SKIP
	Elapsed time.Duration
	Logs    []string // t.Log lines of the test and its subtests ("sub: line"), in order
}

func load(dir string) (*results, error) {
	r := &results{bench: map[string]map[string]map[string][]float64{}, tests: map[string]map[string]*testRun{}}
	for _, sub := range []string{"", "tests"} {
		files, err := filepath.Glob(filepath.Join(dir, sub, "*.txt"))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			name := strings.TrimSuffix(filepath.Base(f), ".txt")
			if sub == "" {
				b, err := parseBench(data)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", f, err)
				}
				r.bench[name] = b
			} else {
				r.tests[name] = parseTestLog(data)
			}
		}
	}
	return r, nil
}

var gomaxprocsSuffix = regexp.MustCompile(`-\d+$`)

// parseBench reads `go test -bench` output: every "Benchmark…" line's
// value/unit pairs, by benchmark name without "Benchmark" and the
// GOMAXPROCS suffix.
func parseBench(data []byte) (map[string]map[string][]float64, error) {
	out := map[string]map[string][]float64{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // a benchmark's own log line
		}
		if len(f)%2 != 0 {
			return nil, fmt.Errorf("line %d: odd number of value/unit fields: %q", n, sc.Text())
		}
		name := gomaxprocsSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		if out[name] == nil {
			out[name] = map[string][]float64{}
		}
		for i := 2; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: value %q of %s: %w", n, f[i], f[i+1], err)
			}
			out[name][f[i+1]] = append(out[name][f[i+1]], v)
		}
	}
	return out, sc.Err()
}

var (
	switchLine = regexp.MustCompile(`^=== (?:RUN|CONT|NAME|PAUSE)\s+(\S+)`)
	endLine    = regexp.MustCompile(`^\s*--- (PASS|FAIL|SKIP): (\S+) \(([\d.]+)s\)`)
	logLine    = regexp.MustCompile(`^\s+[\w.]+_test\.go:\d+: (.*)$`)
)

// parseTestLog reads `go test -v` output: each top-level test's result
// and the lines it (or a subtest) logged, attributed by the "=== RUN",
// "=== CONT" and "=== NAME" lines go test prints when output switches
// between tests.
func parseTestLog(data []byte) map[string]*testRun {
	out := map[string]*testRun{}
	get := func(name string) *testRun {
		top, _, _ := strings.Cut(name, "/")
		if out[top] == nil {
			out[top] = &testRun{}
		}
		return out[top]
	}
	current := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := switchLine.FindStringSubmatch(line); m != nil {
			current = m[1]
			get(current)
			continue
		}
		if m := endLine.FindStringSubmatch(line); m != nil {
			t := get(m[2])
			secs, _ := strconv.ParseFloat(m[3], 64)
			// A test whose subtests run in parallel reports the time
			// before they ran; it took at least as long as the longest.
			t.Elapsed = max(t.Elapsed, time.Duration(secs*float64(time.Second)))
			if !strings.Contains(m[2], "/") {
				t.Status = m[1]
			}
			continue
		}
		if m := logLine.FindStringSubmatch(line); m != nil && current != "" {
			t := get(current)
			msg := m[1]
			if _, sub, ok := strings.Cut(current, "/"); ok {
				msg = sub + ": " + msg // which case of a table-driven test
			}
			t.Logs = append(t.Logs, msg)
		}
	}
	return out
}

func (r *results) funcs() template.FuncMap {
	return template.FuncMap{
		"m":     r.metric,
		"ratio": r.ratio,
		"pct":   r.pct,
		"log":   r.log,
		"logs":  r.logs,
		"test":  r.test,
	}
}

const notMeasured = "(not measured)"

// value is the median of a benchmark's runs in a unit. It fails for a
// file that was measured but has no such benchmark or unit: the template
// names something that does not exist.
func (r *results) value(file, bench, unit string) (float64, bool, error) {
	f, ok := r.bench[file]
	if !ok {
		fmt.Fprintf(r.warn, "benchreport: %s not measured (no %s.txt)\n", file, file)
		return 0, false, nil
	}
	b, ok := f[bench]
	if !ok {
		// A database benchmark skipped for want of a server leaves no line.
		fmt.Fprintf(r.warn, "benchreport: %s: no benchmark %s\n", file, bench)
		return 0, false, nil
	}
	vs, ok := b[unit]
	if !ok {
		return 0, false, fmt.Errorf("%s: benchmark %s has no unit %q", file, bench, unit)
	}
	return median(vs), true, nil
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	n := len(s)
	return (s[n/2-1] + s[n/2]) / 2
}

// metric renders a benchmark's median in a unit, in the unit's words.
func (r *results) metric(file, bench, unit string) (string, error) {
	v, ok, err := r.value(file, bench, unit)
	if err != nil || !ok {
		return notMeasured, err
	}
	return format(unit, v), nil
}

// ratio renders a/b of two medians as "3.2×".
func (r *results) ratio(fileA, benchA, unitA, fileB, benchB, unitB string) (string, error) {
	return r.quotient(fileA, benchA, unitA, fileB, benchB, unitB, func(q float64) string { return sig(q, 2) + "×" })
}

// pct renders a/b of two medians as a percentage.
func (r *results) pct(fileA, benchA, unitA, fileB, benchB, unitB string) (string, error) {
	return r.quotient(fileA, benchA, unitA, fileB, benchB, unitB, func(q float64) string { return strconv.FormatFloat(100*q, 'f', 1, 64) + " %" })
}

func (r *results) quotient(fileA, benchA, unitA, fileB, benchB, unitB string, format func(float64) string) (string, error) {
	a, okA, err := r.value(fileA, benchA, unitA)
	if err != nil {
		return "", err
	}
	b, okB, err := r.value(fileB, benchB, unitB)
	if err != nil || !okA || !okB || b == 0 {
		return notMeasured, err
	}
	return format(a / b), nil
}

// log renders the first line the test logged that contains substr.
func (r *results) log(file, test, substr string) (string, error) {
	t, err := r.testRun(file, test)
	if err != nil || t == nil {
		return notMeasured, err
	}
	for _, l := range t.Logs {
		if strings.Contains(l, substr) {
			return l, nil
		}
	}
	if t.Status == "SKIP" || t.Status == "FAIL" {
		return fmt.Sprintf("(%s: %s)", strings.ToLower(t.Status), strings.Join(t.Logs, "; ")), nil
	}
	return "", fmt.Errorf("%s: %s logged no line containing %q", file, test, substr)
}

// logs renders every line the test logged that contains substr, for a
// table-driven test's cases.
func (r *results) logs(file, test, substr string) ([]string, error) {
	t, err := r.testRun(file, test)
	if err != nil || t == nil {
		return []string{notMeasured}, err
	}
	var out []string
	for _, l := range t.Logs {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		one, err := r.log(file, test, substr)
		return []string{one}, err
	}
	return out, nil
}

// test renders a test's result: "PASS in 1m12s" or "SKIP: reason".
func (r *results) test(file, test string) (string, error) {
	t, err := r.testRun(file, test)
	if err != nil || t == nil {
		return notMeasured, err
	}
	if t.Status == "" {
		return "", fmt.Errorf("%s: %s has no result line (did the run stop?)", file, test)
	}
	return fmt.Sprintf("%s in %s", t.Status, t.Elapsed.Round(time.Second)), nil
}

func (r *results) testRun(file, test string) (*testRun, error) {
	f, ok := r.tests["tests/"+file]
	if !ok {
		f, ok = r.tests[file]
	}
	if !ok {
		fmt.Fprintf(r.warn, "benchreport: tests/%s not measured\n", file)
		return nil, nil
	}
	t, ok := f[test]
	if !ok {
		return nil, fmt.Errorf("tests/%s: no test %s", file, test)
	}
	return t, nil
}

// format renders a value in its unit's words with three significant
// digits: ns/op as a duration, B/op in binary multiples, rates with k/M.
func format(unit string, v float64) string {
	switch unit {
	case "ns/op":
		return formatDuration(v)
	case "B/op":
		return binary(v)
	case "allocs/op":
		return sigSI(v)
	case "peak-heap-MB":
		return sig(v, 3) + " MB"
	}
	if per, ok := strings.CutSuffix(unit, "/s"); ok {
		return sigSI(v) + " " + per + "/s"
	}
	return sigSI(v) + " " + unit
}

// unitScale renders values from min up divided by div, with suffix.
type unitScale struct {
	min, div float64
	suffix   string
}

var (
	durations = []unitScale{{1e9, 1e9, " s"}, {1e6, 1e6, " ms"}, {1e3, 1e3, " µs"}, {0, 1, " ns"}}
	binaries  = []unitScale{{1 << 30, 1 << 30, " GiB"}, {1 << 20, 1 << 20, " MiB"}, {1 << 10, 1 << 10, " KiB"}, {0, 1, " B"}}
	// Below 10,000 a count reads better whole ("9460") than as "9.46 k".
	counts = []unitScale{{1e9, 1e9, " G"}, {1e6, 1e6, " M"}, {1e4, 1e3, " k"}, {0, 1, ""}}
)

func scaled(v float64, scales []unitScale) string {
	for _, s := range scales {
		if math.Abs(v) >= s.min {
			return sig(v/s.div, 3) + s.suffix
		}
	}
	return sig(v, 3)
}

func formatDuration(ns float64) string { return scaled(ns, durations) }
func binary(b float64) string          { return scaled(b, binaries) }
func sigSI(v float64) string           { return scaled(v, counts) }

// sig renders v with n significant digits, without an exponent and
// without trailing zeros after the point.
func sig(v float64, n int) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	digits := n - 1 - int(math.Floor(math.Log10(math.Abs(v))))
	if digits < 0 {
		p := math.Pow(10, float64(-digits))
		return strconv.FormatFloat(math.Round(v/p)*p, 'f', 0, 64)
	}
	s := strconv.FormatFloat(v, 'f', digits, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
