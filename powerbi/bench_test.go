package powerbi_test

import (
	"testing"

	"github.com/starinsight/starinsight/powerbi"
)

// BenchmarkEncodeLegs measures the encoding of CDR_Summary rows for POST
// rows: one op is one request's worth (10,000 legs of a simulated day).
func BenchmarkEncodeLegs(b *testing.B) {
	_, calls, _, _, _ := leakDay(b)
	var rows []powerbi.LegRow
	for len(rows) < powerbi.MaxRowsPerPost {
		for i := range calls {
			for j := range calls[i].Legs {
				if len(rows) < powerbi.MaxRowsPerPost {
					rows = append(rows, powerbi.NewLegRow(&calls[i].Legs[j]))
				}
			}
		}
	}
	hist, err := powerbi.NewHistorical()
	if err != nil {
		b.Fatal(err)
	}
	var size int
	b.ReportAllocs()
	for b.Loop() {
		enc, _, err := hist.Legs.Encode(rows)
		if err != nil {
			b.Fatal(err)
		}
		size = enc.Bytes()
	}
	b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(size)/float64(len(rows)), "bytes/row")
}
