package sim_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
)

// TestWriteDailyExports: the files hold every entry once, each in the
// file of its day, and read back equal.
func TestWriteDailyExports(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	cfg := sim.Config{Seed: 3, Start: time.Date(2026, 3, 2, 0, 0, 0, 0, loc), Days: 3}
	dir := t.TempDir()
	require.NoError(t, sim.WriteDailyExports(dir, cfg))
	names, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	require.NoError(t, err)
	require.Len(t, names, 3)
	var got []cdr.Entry
	for _, name := range names {
		f, err := os.Open(name)
		require.NoError(t, err)
		for e, err := range cdr.ReadCSV(f, cdr.WithLocation(loc)) {
			require.NoError(t, err)
			require.Equal(t, "export-"+e.StartTime.In(loc).Format("2006-01-02")+".csv", filepath.Base(name))
			got = append(got, e)
		}
		require.NoError(t, f.Close())
	}
	var want []cdr.Entry
	for e := range sim.Generate(cfg) {
		want = append(want, e)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries read back (-want +got):\n%s", diff)
	}
}
