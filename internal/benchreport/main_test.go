package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

const benchOutput = `goos: linux
pkg: example
BenchmarkParse-2   	       2	 900000000 ns/op	   1100000 rows/s	394092468 B/op	 1000058 allocs/op
BenchmarkParse-2   	       1	1000000000 ns/op	    990000 rows/s	394082928 B/op	 1000028 allocs/op
BenchmarkParse-2   	       2	 950000000 ns/op	   1050000 rows/s	394082688 B/op	 1000027 allocs/op
BenchmarkParse
    bench_test.go:12: a benchmark's log line
BenchmarkLegs/postgres/copy-2  	  10	 109572698 ns/op	    182527 rows/s
BenchmarkLegs/postgres/copy-2  	  10	 109572698 ns/op	    182000 rows/s
BenchmarkTiny-2                	  1000000	 255.4 ns/op	 223 B/op	 2 allocs/op
PASS
`

// testOutput interleaves two parallel tests the way go test -v prints
// them: "=== CONT" and "=== NAME" say whose lines follow.
const testOutput = `=== RUN   TestKill
=== PAUSE TestKill
=== RUN   TestLeak
=== RUN   TestLeak/clear
    leak_test.go:133: clear: 889 bytes sent
=== CONT  TestKill
    kill_test.go:136: kill delays from seed 7
=== NAME  TestLeak/clear
    leak_test.go:140: second line of the leak test
        continued on an indented line
--- PASS: TestLeak (0.50s)
    --- PASS: TestLeak/clear (0.40s)
=== NAME  TestKill
    kill_test.go:199: 51 kills in 18 rounds
--- PASS: TestKill (0.00s)
    --- PASS: TestKill/postgres (72.40s)
    --- PASS: TestKill/sqlite (8.00s)
=== RUN   TestBrowser
    browser_test.go:20: no browser: set STARINSIGHT_CHROMIUM
--- SKIP: TestBrowser (0.00s)
PASS
`

func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "tests"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pkg.txt"), []byte(benchOutput), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tests", "root.txt"), []byte(testOutput), 0o644))
	return dir
}

func render(t *testing.T, dir, tmpl string) (out, warn string, err error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "t.tmpl")
	require.NoError(t, os.WriteFile(p, []byte(tmpl), 0o644))
	var o, w bytes.Buffer
	err = run(&o, &w, dir, p)
	return o.String(), w.String(), err
}

func TestRender(t *testing.T) {
	dir := fixture(t)
	for _, tc := range []struct{ name, tmpl, want string }{
		{"median of odd runs", `{{m "pkg" "Parse" "rows/s"}}`, "1.05 M rows/s"},
		{"median of even runs", `{{m "pkg" "Legs/postgres/copy" "rows/s"}}`, "182 k rows/s"},
		{"time", `{{m "pkg" "Parse" "ns/op"}} {{m "pkg" "Tiny" "ns/op"}}`, "950 ms 255 ns"},
		{"memory", `{{m "pkg" "Parse" "B/op"}} {{m "pkg" "Tiny" "allocs/op"}}`, "376 MiB 2"},
		{"ratio", `{{ratio "pkg" "Parse" "ns/op" "pkg" "Legs/postgres/copy" "ns/op"}}`, "8.7×"},
		{"pct", `{{pct "pkg" "Legs/postgres/copy" "rows/s" "pkg" "Parse" "rows/s"}}`, "17.4 %"},
		{"log of a parallel test", `{{log "root" "TestKill" "kills in"}}`, "51 kills in 18 rounds"},
		{"log of a subtest, after a switch", `{{log "root" "TestLeak" "second"}}`, "clear: second line of the leak test"},
		{"all lines", `{{range logs "root" "TestLeak" "clear"}}[{{.}}]{{end}}`, "[clear: clear: 889 bytes sent][clear: second line of the leak test]"},
		{"result", `{{test "root" "TestKill"}}; {{test "root" "TestLeak"}}`, "PASS in 1m12s; PASS in 1s"},
		{"skipped test", `{{log "root" "TestBrowser" "inked"}}`, "(skip: no browser: set STARINSIGHT_CHROMIUM)"},
		{"file not measured", `{{m "sqlsink" "Legs" "rows/s"}}`, notMeasured},
		{"benchmark skipped", `{{m "pkg" "Legs/mysql/copy" "rows/s"}}`, notMeasured},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := render(t, dir, tc.tmpl)
			require.NoError(t, err)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestRenderWarnsOfWhatWasNotMeasured(t *testing.T) {
	_, warn, err := render(t, fixture(t), `{{m "sqlsink" "Legs" "rows/s"}}`)
	require.NoError(t, err)
	require.Contains(t, warn, "sqlsink not measured")
}

// TestRenderRefusesUnknownNames: a figure the template names wrongly
// fails the run instead of rendering quietly.
func TestRenderRefusesUnknownNames(t *testing.T) {
	dir := fixture(t)
	for _, tmpl := range []string{
		`{{m "pkg" "Parse" "legs/s"}}`,
		`{{log "root" "TestKill" "no such line"}}`,
		`{{log "root" "TestNone" "x"}}`,
		`{{test "root" "TestNone"}}`,
		`{{logs "root" "TestKill" "no such line"}}`,
		`{{nofunc}}`,
	} {
		t.Run(tmpl, func(t *testing.T) {
			_, _, err := render(t, dir, tmpl)
			require.Error(t, err)
		})
	}
}

func TestParseBenchRejectsBrokenLines(t *testing.T) {
	_, err := parseBench([]byte("BenchmarkX-2 10 12 ns/op 5\n"))
	require.ErrorContains(t, err, "line 1")
	_, err = parseBench([]byte("BenchmarkX-2 10 twelve ns/op\n"))
	require.ErrorContains(t, err, `value "twelve" of ns/op`)
}

func TestSig(t *testing.T) {
	for v, want := range map[float64]string{
		1234567: "1230000", 0.0012345: "0.00123", 1.5: "1.5", 100: "100", 0: "0", -2.345: "-2.35",
	} {
		if got := sig(v, 3); got != want {
			t.Errorf("sig(%v, 3) = %q, want %q", v, got, want)
		}
	}
	if got := strings.TrimSpace(format("fields/s", 2752416)); got != "2.75 M fields/s" {
		t.Errorf("format = %q", got)
	}
}
