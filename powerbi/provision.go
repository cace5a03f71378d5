package powerbi

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrAmbiguous is wrapped when a name Provision looks up belongs to more
// than one dataset or workspace: the service does not keep names unique,
// and guessing could write into the wrong one.
var ErrAmbiguous = errors.New("powerbi: more than one item has this name")

// SchemaChangeError is a dataset that cannot take the definition: push
// datasets cannot get new tables after they are created.
type SchemaChangeError struct {
	Dataset       string // name
	DatasetID     string
	MissingTables []string
}

func (e *SchemaChangeError) Error() string {
	return fmt.Sprintf("powerbi: dataset %s (%s) lacks table(s) %s, and a push dataset cannot get new tables: "+
		"provision a dataset under a new name (and point the reports at it), or delete this dataset in Power BI first (its rows go with it)",
		e.Dataset, e.DatasetID, strings.Join(e.MissingTables, ", "))
}

// Provisioned is what Provision found or did.
type Provisioned struct {
	Dataset Dataset
	Created bool
	// Updated are the tables whose columns PutTable set (with
	// ProvisionUpdateColumns).
	Updated []string
	// Extra are tables of the dataset the definition does not have; they
	// are left alone.
	Extra []string
}

// ProvisionOption configures Provision.
type ProvisionOption func(*provisionConfig)

type provisionConfig struct{ updateColumns bool }

// ProvisionUpdateColumns makes Provision put the definition's columns on
// the dataset's existing tables (PutTable). Without it, existing tables
// are left as they are: the service lists tables by name only, and a
// changed column set is a decision, not a side effect of re-running the
// set-up.
func ProvisionUpdateColumns() ProvisionOption {
	return func(c *provisionConfig) { c.updateColumns = true }
}

// Provision finds the push dataset named def.Name in group ("" is My
// workspace) or creates it with retention. Running it again never
// deletes a dataset, a table or a row: an existing dataset is kept, and a
// table it lacks is reported as a *SchemaChangeError, since push datasets
// cannot get new tables.
func (c *Client) Provision(ctx context.Context, group string, def DatasetDefinition, retention Retention, opts ...ProvisionOption) (Provisioned, error) {
	var cfg provisionConfig
	for _, o := range opts {
		o(&cfg)
	}
	def, err := NewDatasetDefinition(def.Name, def.Tables...)
	if err != nil {
		return Provisioned{}, err
	}
	all, _, err := c.Datasets(ctx, group)
	if err != nil {
		return Provisioned{}, err
	}
	var found []Dataset
	for _, d := range all {
		if d.Name == def.Name {
			found = append(found, d)
		}
	}
	switch len(found) {
	case 0:
		d, _, err := c.CreateDataset(ctx, group, def, retention)
		if err != nil {
			return Provisioned{}, err
		}
		return Provisioned{Dataset: d, Created: true}, nil
	case 1:
	default:
		ids := make([]string, len(found))
		for i, d := range found {
			ids[i] = d.ID
		}
		return Provisioned{}, fmt.Errorf("%w: dataset %q: %s; rename or delete all but one in Power BI", ErrAmbiguous, def.Name, strings.Join(ids, ", "))
	}
	p := Provisioned{Dataset: found[0]}
	tables, _, err := c.Tables(ctx, group, p.Dataset.ID)
	if err != nil {
		return p, err
	}
	have := map[string]bool{}
	for _, t := range tables {
		have[t.Name] = true
	}
	want := map[string]bool{}
	var missing []string
	for _, t := range def.Tables {
		want[t.Name] = true
		if !have[t.Name] {
			missing = append(missing, t.Name)
		}
	}
	for _, t := range tables {
		if !want[t.Name] {
			p.Extra = append(p.Extra, t.Name)
		}
	}
	if len(missing) > 0 {
		return p, &SchemaChangeError{Dataset: def.Name, DatasetID: p.Dataset.ID, MissingTables: missing}
	}
	if cfg.updateColumns {
		for _, t := range def.Tables {
			if _, err := c.PutTable(ctx, group, p.Dataset.ID, t); err != nil {
				return p, err
			}
			p.Updated = append(p.Updated, t.Name)
		}
	}
	return p, nil
}

// FindOrCreateGroup returns the workspace named name, creating it if
// there is none.
func (c *Client) FindOrCreateGroup(ctx context.Context, name string) (Group, bool, error) {
	groups, _, err := c.Groups(ctx)
	if err != nil {
		return Group{}, false, err
	}
	var found []Group
	for _, g := range groups {
		if g.Name == name {
			found = append(found, g)
		}
	}
	switch len(found) {
	case 0:
		g, _, err := c.CreateGroup(ctx, name)
		return g, err == nil, err
	case 1:
		return found[0], false, nil
	}
	ids := make([]string, len(found))
	for i, g := range found {
		ids[i] = g.ID
	}
	return Group{}, false, fmt.Errorf("%w: workspace %q: %s", ErrAmbiguous, name, strings.Join(ids, ", "))
}
