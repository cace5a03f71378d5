package callflow_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
)

// benchRows is the size of the benchmark export: 1,000,000 rows by
// default, STARINSIGHT_BENCH_ROWS to change it.
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("STARINSIGHT_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

var benchFile struct {
	sync.Mutex
	paths map[int]string
}

// benchExport writes (once per process and size) a simulated STARFACE CSV
// export of n rows to a temporary file and returns its path and the
// simulator's config.
func benchExport(b *testing.B, n int) (string, sim.Config) {
	b.Helper()
	cfg := sim.Config{Seed: 42, Start: time.Date(2026, 1, 5, 0, 0, 0, 0, berlin(b)), Days: 3660, CallsPerDay: 600}
	benchFile.Lock()
	defer benchFile.Unlock()
	if p, ok := benchFile.paths[n]; ok {
		return p, cfg
	}
	// The export is kept in the temporary directory between runs (it
	// takes longer to simulate than to read); the name pins what made it.
	p := filepath.Join(os.TempDir(), fmt.Sprintf("starinsight-bench-v1-seed%d-%d.csv", cfg.Seed, n))
	if st, err := os.Stat(p); err == nil && st.Size() > 0 {
		if benchFile.paths == nil {
			benchFile.paths = map[int]string{}
		}
		benchFile.paths[n] = p
		return p, cfg
	}
	tmp := p + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := cdr.NewCSVWriter(bw, cdr.WithLocation(berlin(b)))
	i := 0
	for e := range sim.Generate(cfg) {
		if i == n {
			break
		}
		if err := w.Write(e); err != nil {
			b.Fatal(err)
		}
		i++
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		b.Fatal(err)
	}
	if benchFile.paths == nil {
		benchFile.paths = map[int]string{}
	}
	benchFile.paths[n] = p
	return p, cfg
}

// peakHeap samples the live heap while f runs and returns the largest
// value seen, in MB.
func peakHeap(f func()) float64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	f()
	cancel()
	<-done
	return float64(peak) / (1 << 20)
}

// BenchmarkParseCSV measures the CSV reader alone over the export.
func BenchmarkParseCSV(b *testing.B) {
	n := benchRows()
	path, _ := benchExport(b, n)
	loc := berlin(b)
	b.ReportAllocs()
	var peak float64
	for b.Loop() {
		peak = max(peak, peakHeap(func() {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			rows := 0
			for _, err := range cdr.ReadCSV(f, cdr.WithLocation(loc)) {
				if err != nil {
					b.Fatal(err)
				}
				rows++
			}
			if rows != n {
				b.Fatalf("read %d rows, want %d", rows, n)
			}
		}))
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(peak, "peak-heap-MB")
}

// BenchmarkParseAndInterpret measures reading plus the streaming
// interpretation (assembler, legs, journeys) over the same export.
func BenchmarkParseAndInterpret(b *testing.B) {
	n := benchRows()
	path, cfg := benchExport(b, n)
	loc := berlin(b)
	dir, err := cdr.NewDirectory(cfg.Accounts()...)
	if err != nil {
		b.Fatal(err)
	}
	in, err := callflow.New(dir, callflow.WithNumberPlan(cdr.GermanPlan("711")))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var peak float64
	calls := 0
	for b.Loop() {
		calls = 0
		peak = max(peak, peakHeap(func() {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			for c, err := range in.Calls(cdr.ReadCSV(f, cdr.WithLocation(loc))) {
				if err != nil {
					b.Fatal(err)
				}
				_ = c
				calls++
			}
		}))
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(calls), "calls")
	b.ReportMetric(peak, "peak-heap-MB")
}

// BenchmarkInterpretAll measures the batch interpretation alone, on rows
// already in memory (100,000 rows).
func BenchmarkInterpretAll(b *testing.B) {
	rows, in, _ := simulated(b, 42, 30)
	b.ReportAllocs()
	for b.Loop() {
		if len(in.InterpretAll(rows)) == 0 {
			b.Fatal("no calls")
		}
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkAssembler measures the streaming assembler alone, on rows
// already in memory.
func BenchmarkAssembler(b *testing.B) {
	rows, in, _ := simulated(b, 42, 30)
	b.ReportAllocs()
	for b.Loop() {
		seq := func(yield func(cdr.Entry, error) bool) {
			for _, e := range rows {
				if !yield(e, nil) {
					return
				}
			}
		}
		n := 0
		for range in.Calls(seq) {
			n++
		}
		if n == 0 {
			b.Fatal("no calls")
		}
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
