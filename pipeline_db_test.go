package starinsight_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/testdb"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/sqlsink"
)

// TestPipelineDBSource: the PBX's cdrdata table, read by id in chunks,
// gives the calls the CSV export of the same rows gives.
func TestPipelineDBSource(t *testing.T) {
	dir := t.TempDir()
	_, accounts := simExport(t, dir, 13, 1, 100_000)
	// The export's rows, as text, into a cdrdata table: ReadDB converts
	// text times and flags.
	f, err := os.Open(filepath.Join(dir, "export-000.csv"))
	require.NoError(t, err)
	r := csv.NewReader(f)
	r.Comma = ';'
	records, err := r.ReadAll()
	require.NoError(t, err)
	require.NoError(t, f.Close())
	pbx := testdb.SQLite(t)
	header := records[0]
	var cols, ph []string
	for _, h := range header {
		typ := "TEXT"
		if h == "id" {
			typ = "INTEGER PRIMARY KEY"
		}
		cols = append(cols, h+" "+typ)
		ph = append(ph, "?")
	}
	_, err = pbx.Exec("CREATE TABLE cdrdata (" + strings.Join(cols, ", ") + ")")
	require.NoError(t, err)
	for _, rec := range records[1:] {
		args := make([]any, len(rec))
		for i, v := range rec {
			args[i] = v
		}
		_, err := pbx.Exec("INSERT INTO cdrdata ("+strings.Join(header, ", ")+") VALUES ("+strings.Join(ph, ", ")+")", args...)
		require.NoError(t, err)
	}
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	dbsrc, err := starinsight.NewDBSource(pbx, "pbx1", cdr.WithPlaceholders(cdr.Question), cdr.WithDBLocation(loc))
	require.NoError(t, err)
	folder, err := starinsight.NewFolderSource(dir, "pbx1")
	require.NoError(t, err)

	tables := []string{sqlsink.TableLegs, sqlsink.TableJourneys}
	dump := func(src starinsight.Source) map[string][]string {
		s, db := sqliteSink(t, pseudo.Clear())
		sink, err := starinsight.NewSQLSink(s, "cdr")
		require.NoError(t, err)
		var errs []error
		pl := newPipeline(t, src, accounts, sink, pseudo.Clear(), 333, starinsight.WithOnError(func(_, _ string, err error) { errs = append(errs, err) }))
		require.NoError(t, pl.Sync(context.Background()))
		require.Empty(t, errs)
		return tableDump(t, db, s, tables...)
	}
	want, got := dump(folder), dump(dbsrc)
	require.NotEmpty(t, want[sqlsink.TableLegs])
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("from the CSV export vs from cdrdata (-want +got):\n%s", diff)
	}
}
