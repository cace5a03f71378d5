package powerbi_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/powerbi"
)

// TestProvision: the first run creates the dataset, every later run finds
// it and changes nothing (no second dataset, no row deleted); a table the
// dataset lacks is a *SchemaChangeError; two datasets of the name are
// refused, not guessed between.
func TestProvision(t *testing.T) {
	ctx := context.Background()
	c, svc := newFake(t, nil)
	hist, err := powerbi.NewHistorical()
	require.NoError(t, err)
	def, err := hist.Definition("STARFACE Insight")
	require.NoError(t, err)

	first, err := c.Provision(ctx, "", def, powerbi.RetentionNone)
	require.NoError(t, err)
	require.True(t, first.Created)
	ds, ok := svc.DatasetByName("", "STARFACE Insight")
	require.True(t, ok)
	require.Equal(t, first.Dataset.ID, ds.ID)
	require.Len(t, ds.Tables, 5)
	require.Equal(t, "None", ds.DefaultRetentionPolicy)

	_, err = c.PostRows(ctx, "", first.Dataset.ID, powerbi.TableConstants, []map[string]any{{"site": "s", "name": "k", "value": "v"}})
	require.NoError(t, err)

	for range 3 {
		again, err := c.Provision(ctx, "", def, powerbi.RetentionNone)
		require.NoError(t, err)
		require.False(t, again.Created)
		require.Equal(t, first.Dataset.ID, again.Dataset.ID)
		require.Empty(t, again.Updated)
	}
	require.Len(t, svc.Datasets(""), 1)
	require.Len(t, svc.Rows("", first.Dataset.ID, powerbi.TableConstants), 1, "re-provisioning deletes no row")

	// With column updates: PutTable on every table, rows kept.
	upd, err := c.Provision(ctx, "", def, powerbi.RetentionNone, powerbi.ProvisionUpdateColumns())
	require.NoError(t, err)
	require.Len(t, upd.Updated, 5)
	require.Len(t, svc.Rows("", first.Dataset.ID, powerbi.TableConstants), 1)

	// A definition with a table more: push datasets cannot get it.
	more := def
	more.Tables = append(append([]powerbi.Table(nil), def.Tables...), powerbi.Table{Name: "journeys", Columns: []powerbi.Column{{Name: "id", DataType: powerbi.String}}})
	_, err = c.Provision(ctx, "", more, powerbi.RetentionNone)
	var sc *powerbi.SchemaChangeError
	require.ErrorAs(t, err, &sc)
	require.Equal(t, []string{"journeys"}, sc.MissingTables)
	require.Contains(t, err.Error(), "cannot get new tables")
	require.Len(t, svc.Datasets(""), 1, "nothing created")

	// A definition with a table less: the extra table is left alone.
	less := def
	less.Tables = def.Tables[:4]
	p, err := c.Provision(ctx, "", less, powerbi.RetentionNone)
	require.NoError(t, err)
	require.Equal(t, []string{powerbi.TableConstants}, p.Extra)

	// Two datasets of one name (made outside Provision).
	_, _, err = c.CreateDataset(ctx, "", def, powerbi.RetentionNone)
	require.NoError(t, err)
	_, err = c.Provision(ctx, "", def, powerbi.RetentionNone)
	require.ErrorIs(t, err, powerbi.ErrAmbiguous)
}

func TestProvisionLiveInWorkspace(t *testing.T) {
	ctx := context.Background()
	c, svc := newFake(t, nil)
	g, created, err := c.FindOrCreateGroup(ctx, "Analytics")
	require.NoError(t, err)
	require.True(t, created)
	again, created, err := c.FindOrCreateGroup(ctx, "Analytics")
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, g.ID, again.ID)

	l, err := powerbi.NewLive()
	require.NoError(t, err)
	def, err := l.Definition("STARFACE Live")
	require.NoError(t, err)
	p, err := c.Provision(ctx, g.ID, def, powerbi.RetentionFIFO)
	require.NoError(t, err)
	require.True(t, p.Created)
	ds, ok := svc.DatasetByName(g.ID, "STARFACE Live")
	require.True(t, ok)
	require.Equal(t, "basicFIFO", ds.DefaultRetentionPolicy)
	require.Empty(t, svc.Datasets(""), "not in My workspace")
}
