package callflow_test

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// The KPI benchmarks compare every report over the benchmark export
// (1,000,000 rows by default) with the interpretation of the same rows:
//
//	go test -run '^$' -bench 'KPI' -benchtime 3x ./callflow
//
// The target is BenchmarkKPIAll ≤ 2 × BenchmarkKPIInterpret.
var kpiData struct {
	sync.Once
	rows  []cdr.Entry
	calls []callflow.Call
	in    *callflow.Interpreter
	err   error
}

func kpiInput(b *testing.B) ([]cdr.Entry, []callflow.Call, *callflow.Interpreter) {
	b.Helper()
	path, cfg := benchExport(b, benchRows())
	kpiData.Do(func() {
		f, err := os.Open(path)
		if err != nil {
			kpiData.err = err
			return
		}
		defer f.Close()
		for e, err := range cdr.ReadCSV(f, cdr.WithLocation(berlin(b))) {
			if err != nil {
				kpiData.err = err
				return
			}
			kpiData.rows = append(kpiData.rows, e)
		}
		dir, err := cdr.NewDirectory(cfg.Accounts()...)
		if err != nil {
			kpiData.err = err
			return
		}
		kpiData.in, kpiData.err = callflow.New(dir, callflow.WithNumberPlan(cdr.GermanPlan("711")))
		if kpiData.err == nil {
			kpiData.calls = kpiData.in.InterpretAll(kpiData.rows)
		}
	})
	if kpiData.err != nil {
		b.Fatal(kpiData.err)
	}
	return kpiData.rows, kpiData.calls, kpiData.in
}

// BenchmarkKPIInterpret is the yardstick: InterpretAll over the rows.
func BenchmarkKPIInterpret(b *testing.B) {
	rows, _, in := kpiInput(b)
	b.ReportAllocs()
	for b.Loop() {
		if len(in.InterpretAll(rows)) == 0 {
			b.Fatal("no calls")
		}
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// allReports runs every report of the package once over calls and returns
// a count so that nothing is optimised away.
func allReports(r *callflow.Reporter, calls []callflow.Call, asOf time.Time) int {
	n := 0
	for _, iv := range []callflow.Interval{callflow.IntervalAll, callflow.IntervalHour, callflow.IntervalDay, callflow.IntervalWeek, callflow.IntervalMonth} {
		n += len(r.Groups(calls, iv))
	}
	n += len(r.Agents(calls)) + len(r.AgentsInGroups(calls)) + len(callflow.Leaderboard(r.Agents(calls)))
	n += len(r.GroupAgentFlow(calls)) + len(r.BestBuddies(calls, 20).Pairs)
	n += len(r.Parties(calls)) + len(r.ExcessiveTalkers(calls))
	h := r.HeatMap(calls)
	n += h.At(time.Monday, 10) + len(r.CallsPerDay(calls))
	lost := r.LostCalls(calls)
	n += len(lost) + callflow.LostCallSummary(lost).Lost
	eps := r.LostCallers(calls, asOf)
	n += len(eps) + callflow.LostCallerSummary(eps).InHours.Episodes
	n += r.RepeatCalls(calls, asOf).Answered
	today := r.NewToday()
	for i := range calls {
		today.Add(calls[i])
	}
	n += today.Figures(asOf).Calls + 1
	return n
}

// BenchmarkKPIAll runs every report over the interpreted calls.
func BenchmarkKPIAll(b *testing.B) {
	rows, calls, _ := kpiInput(b)
	hours := &callflow.BusinessHours{Periods: []callflow.OpeningPeriod{{Days: callflow.MondayToFriday, Hours: callflow.ClockRange{From: callflow.Clock(8, 0, 0), To: callflow.Clock(18, 0, 0)}}}}
	r, err := callflow.NewReporter(callflow.ReportConfig{Location: berlin(b), BusinessHours: hours})
	if err != nil {
		b.Fatal(err)
	}
	asOf := calls[len(calls)-1].Journey.End
	b.ReportAllocs()
	for b.Loop() {
		if allReports(r, calls, asOf) == 0 {
			b.Fatal("no reports")
		}
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
