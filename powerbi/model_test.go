package powerbi_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/internal/testdb"
	"github.com/starinsight/starinsight/powerbi"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/sqlsink"
)

// TestModelMatchesSQL: the datasets' tables have the columns, in order, of
// the SQL sink's tables of the same name, so one report can point at
// either.
func TestModelMatchesSQL(t *testing.T) {
	db := testdb.SQLite(t)
	s, err := sqlsink.New(db, sqlsink.SQLite{}, sqlsink.WithPseudonymiser(pseudo.Clear()))
	require.NoError(t, err)
	_, err = s.Migrate(context.Background())
	require.NoError(t, err)
	hist, err := powerbi.NewHistorical()
	require.NoError(t, err)
	lv, err := powerbi.NewLive()
	require.NoError(t, err)
	tables := []powerbi.Table{hist.Legs.Table(), hist.Accounts.Table(), hist.GroupCallAccounts.Table(), hist.UserCallAccounts.Table(), lv.Users.Table(), lv.Queues.Table()}
	for _, tbl := range tables {
		t.Run(tbl.Name, func(t *testing.T) {
			rows, err := db.Query("SELECT * FROM " + sqlsink.SQLite{}.Quote(tbl.Name) + " LIMIT 0")
			require.NoError(t, err)
			want, err := rows.Columns()
			require.NoError(t, err)
			require.NoError(t, rows.Close())
			var got []string
			for _, c := range tbl.Columns {
				got = append(got, c.Name)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("columns of %s, SQL sink vs Power BI (-want +got):\n%s", tbl.Name, diff)
			}
		})
	}
}
