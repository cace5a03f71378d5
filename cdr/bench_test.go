package cdr

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// realisticEntries returns n rows shaped like a STARFACE export: calls of
// three rows (caller-side, group, member) spread over a few weeks, with
// caller ids, line names and booleans set as the PBX writes them.
func realisticEntries(tb testing.TB, n int) []Entry {
	tb.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		tb.Fatal(err)
	}
	base := time.Date(2026, 3, 2, 8, 0, 0, 0, loc)
	out := make([]Entry, 0, n)
	for i := range n {
		call := i / 3
		start := base.Add(time.Duration(call) * 47 * time.Second)
		e := Entry{
			ID:              int64(1_000_000 + i),
			CallID:          fmt.Sprintf("SIP/trunk-%08x;%d", call, call%7),
			CallStepID:      fmt.Sprintf("%d", 500_000+call),
			CallLegUUID:     fmt.Sprintf("8c1e4a52-3f0b-4d7e-9a61-%012x", i),
			CDRAccountID:    AccountID(1000 + i%3),
			CallerAccountID: 0,
			CalledAccountID: 2001,
			CallerCallerID:  CallerID{Number: fmt.Sprintf("+49711%07d", call%100_000)},
			CalledCallerID:  CallerID{Name: "Support", Number: "200"},
			ServiceID:       3,
			StartTime:       start,
			RingingTime:     start.Add(4 * time.Second),
			CallResult:      NotConnected,
			LineName:        "Telekom SIP-Trunk",
			LineID:          "1",
			CallbackNumber:  fmt.Sprintf("0711%07d", call%100_000),
			Incoming:        true,
			Login:           fmt.Sprintf("agent%02d", i%40),
		}
		if i%3 != 2 {
			e.LinkTime = start.Add(19 * time.Second)
			e.Answered = true
			e.CallResult = Connected
			e.CallResultCausedBy = "1001"
			e.CallResultTime = start.Add(3*time.Minute + 11*time.Second)
			e.Duration = 172
		} else {
			e.CallResultTime = start.Add(19 * time.Second)
			e.AnsweredElsewhere = 1001
			e.CallResultCausedBy = "1001"
		}
		out = append(out, e)
	}
	return out
}

// encodeCSV writes entries with CSVWriter into memory.
func encodeCSV(tb testing.TB, entries []Entry, opts ...CSVOption) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := NewCSVWriter(&buf, opts...)
	for _, e := range entries {
		if err := w.Write(e); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkReadCSV(b *testing.B) {
	const rows = 100_000
	data := encodeCSV(b, realisticEntries(b, rows))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	total := 0 // rows read over all iterations
	for b.Loop() {
		n := 0
		for _, err := range ReadCSV(bytes.NewReader(data)) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != rows {
			b.Fatalf("read %d rows, want %d", n, rows)
		}
		total += n
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkWriteCSV(b *testing.B) {
	entries := realisticEntries(b, 10_000)
	b.ReportAllocs()
	var buf bytes.Buffer
	total := 0
	for b.Loop() {
		buf.Reset()
		w := NewCSVWriter(&buf)
		for _, e := range entries {
			if err := w.Write(e); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		total += len(entries)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
}
