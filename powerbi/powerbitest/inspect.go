package powerbitest

import (
	"slices"
	"strings"
)

// Requests returns every request the service saw, oldest first.
func (s *Service) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Stats returns the service's counters.
func (s *Service) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Rows returns a copy of the rows a table holds, oldest first, as
// stored: JSON numbers as json.Number, columns a row left out absent.
// group is the workspace's ID ("" is My workspace). It returns nil for
// an unknown workspace, dataset or table.
func (s *Service) Rows(group, datasetID, table string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.datasetLocked(group, datasetID)
	if d == nil {
		return nil
	}
	t := d.table(table)
	if t == nil {
		return nil
	}
	out := make([]map[string]any, len(t.rows))
	for i, r := range t.rows {
		out[i] = cloneRow(r)
	}
	return out
}

// Datasets returns the datasets of a workspace ("" is My workspace) in
// creation order.
func (s *Service) Datasets(group string) []Dataset {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.group(group)
	if g == nil {
		return nil
	}
	out := make([]Dataset, 0, len(g.datasets))
	for _, d := range g.datasets {
		out = append(out, d.snapshot())
	}
	return out
}

// DatasetByName returns the first dataset created with the name in a
// workspace ("" is My workspace). Names need not be unique: the service,
// like the real one, creates a second dataset of the same name.
func (s *Service) DatasetByName(group, name string) (Dataset, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.group(group)
	if g == nil {
		return Dataset{}, false
	}
	for _, d := range g.datasets {
		if d.name == name {
			return d.snapshot(), true
		}
	}
	return Dataset{}, false
}

// Groups returns the workspaces in creation order (My workspace is not
// one).
func (s *Service) Groups() []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Group, 0, len(s.groups)-1)
	for _, g := range s.groups[1:] {
		out = append(out, Group{ID: g.id, Name: g.name})
	}
	return out
}

// AddGroup creates a workspace as POST /groups would, without a request:
// for tests that start with an existing workspace (service principals
// must use one). If a workspace of that name (case-insensitive) exists,
// AddGroup returns it.
func (s *Service) AddGroup(name string) Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.groups[1:] {
		if strings.EqualFold(g.name, name) {
			return Group{ID: g.id, Name: g.name}
		}
	}
	g := &group{id: newGUID(), name: name}
	s.groups = append(s.groups, g)
	return Group{ID: g.id, Name: g.name}
}

// datasetLocked returns a dataset by workspace and ID, or nil; s.mu must
// be held.
func (s *Service) datasetLocked(group, id string) *dataset {
	g := s.group(group)
	if g == nil {
		return nil
	}
	i := slices.IndexFunc(g.datasets, func(d *dataset) bool { return strings.EqualFold(d.id, id) })
	if i < 0 {
		return nil
	}
	return g.datasets[i]
}

// snapshot copies the dataset; s.mu must be held.
func (d *dataset) snapshot() Dataset {
	out := Dataset{
		ID: d.id, Name: d.name, Group: d.group,
		DefaultRetentionPolicy: d.retention, DefaultMode: d.mode,
		CreatedAt:     d.created,
		Relationships: slices.Clone(d.rels),
	}
	for _, t := range d.tables {
		def := t.def
		def.Columns = slices.Clone(def.Columns)
		def.Measures = slices.Clone(def.Measures)
		def.RowCount = len(t.rows)
		out.Tables = append(out.Tables, def)
	}
	return out
}
