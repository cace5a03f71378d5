package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
)

// sampleDataset interprets the embedded sample as run does, for tests
// that check figures against the Reporter's.
func sampleDataset(t *testing.T) *dataset {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	accounts, err := cdr.ReadAccountsCSV(bytes.NewReader(sampleAccounts))
	require.NoError(t, err)
	dir, err := cdr.NewDirectory(accounts...)
	require.NoError(t, err)
	in, err := callflow.New(dir, callflow.WithNumberPlan(cdr.GermanPlan("711")))
	require.NoError(t, err)
	var rows []cdr.Entry
	for e, err := range cdr.ReadCSV(bytes.NewReader(sampleExport), cdr.WithLocation(loc)) {
		require.NoError(t, err)
		rows = append(rows, e)
	}
	calls := in.InterpretAll(rows)
	rep, err := callflow.NewReporter(callflow.ReportConfig{Location: loc})
	require.NoError(t, err)
	r := newReport(dir, loc)
	for _, c := range calls {
		r.add(c)
	}
	return &dataset{source: "embedded sample", summary: r, rep: rep, calls: calls, interval: callflow.IntervalDay}
}
