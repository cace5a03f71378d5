package powerbitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// definition is the fake's copy of what it checks of one swagger
// definition: its property names, the required ones, and the patterns of
// string properties. schema_test.go asserts that it equals the swagger's.
type definition struct {
	properties []string
	required   []string
	patterns   map[string]string // property -> the swagger's pattern, verbatim
}

// The swagger's name patterns, verbatim (ECMAScript syntax: \uXXXX).
const (
	// patternObjectName is Table.name, Relationship.name and the
	// relationship's table names: no punctuation but '#', '-', '@', '^',
	// '_' and '~', at most 100 characters.
	patternObjectName = `^[\x09\x0A\x0D\x20\x23\x2D\x30-\x39\x40-\x5A\x5E-\x5F\x61-\x7A\x7E-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]{1,100}$`
	// patternMemberName is Column.name, Measure.name and the
	// relationship's column names: any printable character.
	patternMemberName = `^[\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+$`
)

// The definitions the fake checks request bodies against.
const (
	defCreateDataset = "CreateDatasetRequest"
	defTable         = "Table"
	defColumn        = "Column"
	defMeasure       = "Measure"
	defRelationship  = "Relationship"
	defPostRows      = "PostRowsRequest"
	defCreateGroup   = "GroupCreationRequest"
)

// definitions returns the fake's copy of the swagger definitions. It is
// a function, not a variable, so that nothing can change it.
func definitions() map[string]definition {
	return map[string]definition{
		defCreateDataset: {
			properties: []string{"datasources", "defaultMode", "name", "relationships", "tables"},
			required:   []string{"name", "tables"},
		},
		defTable: {
			properties: []string{"columns", "description", "isHidden", "measures", "name", "rows", "source"},
			required:   []string{"columns", "name"},
			patterns:   map[string]string{"name": patternObjectName},
		},
		defColumn: {
			properties: []string{"dataCategory", "dataType", "formatString", "isHidden", "name", "sortByColumn", "summarizeBy"},
			required:   []string{"dataType", "name"},
			patterns:   map[string]string{"name": patternMemberName},
		},
		defMeasure: {
			properties: []string{"description", "expression", "formatString", "isHidden", "name"},
			required:   []string{"expression", "name"},
			patterns:   map[string]string{"name": patternMemberName},
		},
		defRelationship: {
			properties: []string{"crossFilteringBehavior", "fromColumn", "fromTable", "name", "toColumn", "toTable"},
			required:   []string{"fromColumn", "fromTable", "name", "toColumn", "toTable"},
			patterns: map[string]string{
				"name":       patternObjectName,
				"fromTable":  patternObjectName,
				"toTable":    patternObjectName,
				"fromColumn": patternMemberName,
				"toColumn":   patternMemberName,
			},
		},
		defPostRows: {
			properties: []string{"rows"},
		},
		defCreateGroup: {
			properties: []string{"name"},
			required:   []string{"name"},
		},
	}
}

// Enumerations the fake checks, each a subset of (or equal to) the
// swagger's; schema_test.go asserts the relation.
var (
	// retentionPolicies is the defaultRetentionPolicy query parameter's
	// enum (equal to the swagger's).
	retentionPolicies = []string{RetentionNone, RetentionBasicFIFO}
	// crossFilteringBehaviors is Relationship.crossFilteringBehavior's
	// enum (equal to the swagger's).
	crossFilteringBehaviors = []string{"OneDirection", "BothDirections", "Automatic"}
	// datasetModes is the subset of CreateDatasetRequest.defaultMode the
	// fake accepts: it serves push datasets only.
	datasetModes = []string{"Push"}
	// dataTypes are the documented column types. The swagger leaves
	// Column.dataType free; Microsoft's push dataset documentation lists
	// these.
	dataTypes = []string{TypeInt64, TypeDouble, TypeBoolean, TypeDatetime, TypeString, TypeDecimal}
)

// schema is the compiled form of definitions.
type schema struct {
	defs     map[string]definition
	patterns map[string]*regexp.Regexp // swagger pattern -> compiled
}

// compiledSchema compiles the definitions once; the result is never
// modified.
var compiledSchema = sync.OnceValue(func() *schema {
	s := &schema{defs: definitions(), patterns: map[string]*regexp.Regexp{}}
	for _, d := range s.defs {
		for _, p := range d.patterns {
			if _, ok := s.patterns[p]; !ok {
				// The patterns are constants above; a failure is a bug
				// caught by every test.
				s.patterns[p] = regexp.MustCompile(ecmaToRE2(p))
			}
		}
	}
	return s
})

// ecmaToRE2 rewrites the swagger's \uXXXX escapes (4 to 6 hex digits, as
// the swagger writes supplementary-plane code points like \u10FFFF) into
// RE2's \x{XXXX}.
func ecmaToRE2(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+1 < len(p) && p[i+1] == 'u' {
			j := i + 2
			for j < len(p) && j < i+8 && isHex(p[j]) {
				j++
			}
			if j-(i+2) >= 4 {
				b.WriteString(`\x{` + p[i+2:j] + `}`)
				i = j - 1
				continue
			}
		}
		if p[i] == '\\' && i+1 < len(p) {
			// Copy other escapes whole so that "\\u" is not misread.
			b.WriteString(p[i : i+2])
			i++
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// validationError is a request body that does not match the swagger or
// the fake's rules; it becomes a 400 whose message names the property.
type validationError struct {
	path string // e.g. "tables[0].columns[2].dataType"; "" for the body
	msg  string
}

func (e *validationError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

func invalid(path, format string, args ...any) error {
	return &validationError{path: path, msg: fmt.Sprintf(format, args...)}
}

// elem is the path of element i of array property prop.
func elem(base, prop string, i int) string { return fmt.Sprintf("%s[%d]", joinPath(base, prop), i) }

func joinPath(base, prop string) string {
	if base == "" {
		return prop
	}
	return base + "." + prop
}

// object checks that raw is a JSON object matching definition def: no
// unknown property, every required property present and not null, every
// patterned property a string matching its pattern. It returns the
// object's properties.
func (s *schema) object(raw json.RawMessage, def, path string) (map[string]json.RawMessage, error) {
	d := s.defs[def]
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		where := path
		if where == "" {
			where = "request body"
		}
		return nil, invalid("", "%s: want a JSON object (%s)", where, def)
	}
	for _, k := range sortedKeys(obj) {
		if !slices.Contains(d.properties, k) {
			return nil, invalid(joinPath(path, k), "unknown property of %s (known: %s)", def, strings.Join(d.properties, ", "))
		}
	}
	for _, k := range d.required {
		if v, ok := obj[k]; !ok || isNull(v) {
			return nil, invalid(joinPath(path, k), "required property of %s is missing", def)
		}
	}
	for _, k := range sortedKeys(d.patterns) {
		v, ok := obj[k]
		if !ok || isNull(v) {
			continue
		}
		var str string
		if err := json.Unmarshal(v, &str); err != nil {
			return nil, invalid(joinPath(path, k), "want a string")
		}
		if !s.patterns[d.patterns[k]].MatchString(str) {
			return nil, invalid(joinPath(path, k), "%q does not match the swagger's pattern %s", str, d.patterns[k])
		}
	}
	return obj, nil
}

// decode unmarshals raw into v, naming path on a type mismatch.
func decode(raw json.RawMessage, v any, path string) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	if err := d.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return invalid(joinPath(path, te.Field), "want a JSON %s, got %s", te.Type.Kind(), te.Value)
		}
		return invalid(path, "%v", err)
	}
	return nil
}

// array splits raw, a JSON array or null, into its elements.
func array(raw json.RawMessage, path string) ([]json.RawMessage, error) {
	if raw == nil || isNull(raw) {
		return nil, nil
	}
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, invalid(path, "want a JSON array")
	}
	return a, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// canonical returns the member of set equal to v ignoring case: the real
// service accepts "string" and "DateTime" (Microsoft's own examples use
// them), so the fake does too, and stores the documented spelling.
func canonical(set []string, v string) (string, bool) {
	for _, s := range set {
		if strings.EqualFold(s, v) {
			return s, true
		}
	}
	return "", false
}

// parseTables checks the tables of a dataset definition (or the single
// table of a PUT) and returns them.
func (s *schema) parseTable(raw json.RawMessage, path string, lim Limits) (Table, error) {
	obj, err := s.object(raw, defTable, path)
	if err != nil {
		return Table{}, err
	}
	var t Table
	if err := decode(raw, &t, path); err != nil {
		return Table{}, err
	}
	// Push datasets take their rows through PostRows and have no
	// Power Query source; the fake refuses both rather than ignore them.
	if rows, _ := array(obj["rows"], joinPath(path, "rows")); len(rows) > 0 {
		return Table{}, invalid(joinPath(path, "rows"), "the fake does not take rows in a table definition: post them with PostRows")
	}
	if src, _ := array(obj["source"], joinPath(path, "source")); len(src) > 0 {
		return Table{}, invalid(joinPath(path, "source"), "push dataset tables have no source")
	}
	cols, err := array(obj["columns"], joinPath(path, "columns"))
	if err != nil {
		return Table{}, err
	}
	if len(cols) == 0 {
		return Table{}, invalid(joinPath(path, "columns"), "a table needs at least one column")
	}
	if lim.MaxColumns > 0 && len(cols) > lim.MaxColumns {
		return Table{}, invalid(joinPath(path, "columns"), "%d columns, more than the limit of %d per table", len(cols), lim.MaxColumns)
	}
	t.Columns = make([]Column, 0, len(cols))
	seen := map[string]bool{}
	for i, c := range cols {
		cp := elem(path, "columns", i)
		if _, err := s.object(c, defColumn, cp); err != nil {
			return Table{}, err
		}
		var col Column
		if err := decode(c, &col, cp); err != nil {
			return Table{}, err
		}
		dt, ok := canonical(dataTypes, col.DataType)
		if !ok {
			return Table{}, invalid(cp+".dataType", "%q is not one of %s", col.DataType, strings.Join(dataTypes, ", "))
		}
		col.DataType = dt
		// Names are case-insensitive in the tabular model behind a
		// dataset, so "Id" and "ID" collide.
		if seen[strings.ToLower(col.Name)] {
			return Table{}, invalid(cp+".name", "duplicate column %q", col.Name)
		}
		seen[strings.ToLower(col.Name)] = true
		t.Columns = append(t.Columns, col)
	}
	for i, c := range t.Columns {
		if c.SortByColumn != "" && t.column(c.SortByColumn) == nil {
			return Table{}, invalid(elem(path, "columns", i)+".sortByColumn", "no column %q in table %q", c.SortByColumn, t.Name)
		}
	}
	ms, err := array(obj["measures"], joinPath(path, "measures"))
	if err != nil {
		return Table{}, err
	}
	t.Measures = nil
	for i, m := range ms {
		mp := elem(path, "measures", i)
		if _, err := s.object(m, defMeasure, mp); err != nil {
			return Table{}, err
		}
		var meas Measure
		if err := decode(m, &meas, mp); err != nil {
			return Table{}, err
		}
		t.Measures = append(t.Measures, meas)
	}
	return t, nil
}

// createDatasetRequest is a checked CreateDatasetRequest.
type createDatasetRequest struct {
	Name          string
	Mode          string
	Tables        []Table
	Relationships []Relationship
}

func (s *schema) parseCreateDataset(body []byte, lim Limits) (createDatasetRequest, error) {
	obj, err := s.object(body, defCreateDataset, "")
	if err != nil {
		return createDatasetRequest{}, err
	}
	var req createDatasetRequest
	var head struct {
		Name        string `json:"name"`
		DefaultMode string `json:"defaultMode"`
	}
	if err := decode(body, &head, ""); err != nil {
		return createDatasetRequest{}, err
	}
	if strings.TrimSpace(head.Name) == "" {
		return createDatasetRequest{}, invalid("name", "the dataset name is empty")
	}
	req.Name = head.Name
	req.Mode = "Push"
	if head.DefaultMode != "" {
		m, ok := canonical(datasetModes, head.DefaultMode)
		if !ok {
			return createDatasetRequest{}, invalid("defaultMode", "%q: the fake serves push datasets only (%s or absent)", head.DefaultMode, strings.Join(datasetModes, ", "))
		}
		req.Mode = m
	}
	if ds, _ := array(obj["datasources"], "datasources"); len(ds) > 0 {
		return createDatasetRequest{}, invalid("datasources", "push datasets have no data sources")
	}
	tables, err := array(obj["tables"], "tables")
	if err != nil {
		return createDatasetRequest{}, err
	}
	if len(tables) == 0 {
		return createDatasetRequest{}, invalid("tables", "a push dataset needs at least one table")
	}
	if lim.MaxTables > 0 && len(tables) > lim.MaxTables {
		return createDatasetRequest{}, invalid("tables", "%d tables, more than the limit of %d per dataset", len(tables), lim.MaxTables)
	}
	seen := map[string]bool{}
	for i, raw := range tables {
		tp := elem("", "tables", i)
		t, err := s.parseTable(raw, tp, lim)
		if err != nil {
			return createDatasetRequest{}, err
		}
		if seen[strings.ToLower(t.Name)] {
			return createDatasetRequest{}, invalid(tp+".name", "duplicate table %q", t.Name)
		}
		seen[strings.ToLower(t.Name)] = true
		req.Tables = append(req.Tables, t)
	}
	rels, err := array(obj["relationships"], "relationships")
	if err != nil {
		return createDatasetRequest{}, err
	}
	if lim.MaxRelationships > 0 && len(rels) > lim.MaxRelationships {
		return createDatasetRequest{}, invalid("relationships", "%d relationships, more than the limit of %d per dataset", len(rels), lim.MaxRelationships)
	}
	for i, raw := range rels {
		rp := elem("", "relationships", i)
		if _, err := s.object(raw, defRelationship, rp); err != nil {
			return createDatasetRequest{}, err
		}
		var r Relationship
		if err := decode(raw, &r, rp); err != nil {
			return createDatasetRequest{}, err
		}
		if r.CrossFilteringBehavior != "" {
			cf, ok := canonical(crossFilteringBehaviors, r.CrossFilteringBehavior)
			if !ok {
				return createDatasetRequest{}, invalid(rp+".crossFilteringBehavior", "%q is not one of %s", r.CrossFilteringBehavior, strings.Join(crossFilteringBehaviors, ", "))
			}
			r.CrossFilteringBehavior = cf
		}
		if err := checkRelationship(r, req.Tables, rp); err != nil {
			return createDatasetRequest{}, err
		}
		req.Relationships = append(req.Relationships, r)
	}
	return req, nil
}

// checkRelationship checks that r joins existing tables and columns.
func checkRelationship(r Relationship, tables []Table, path string) error {
	for _, end := range []struct{ table, column, prop string }{
		{r.FromTable, r.FromColumn, "from"},
		{r.ToTable, r.ToColumn, "to"},
	} {
		i := slices.IndexFunc(tables, func(t Table) bool { return t.Name == end.table })
		if i < 0 {
			return invalid(path+"."+end.prop+"Table", "no table %q in the dataset", end.table)
		}
		if tables[i].column(end.column) == nil {
			return invalid(path+"."+end.prop+"Column", "no column %q in table %q", end.column, end.table)
		}
	}
	return nil
}

// parsePostRows checks a PostRowsRequest's shape (not the values) and
// returns its rows, decoded with json.Number for numbers.
func (s *schema) parsePostRows(body []byte) ([]any, error) {
	obj, err := s.object(body, defPostRows, "")
	if err != nil {
		return nil, err
	}
	// Stricter than the swagger, which requires nothing: a body without
	// rows is a client bug.
	raw, ok := obj["rows"]
	if !ok || isNull(raw) {
		return nil, invalid("rows", "missing: the body must be {\"rows\": [...]}")
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var rows []any
	if err := d.Decode(&rows); err != nil {
		return nil, invalid("rows", "want a JSON array")
	}
	return rows, nil
}

func (s *schema) parseCreateGroup(body []byte) (string, error) {
	if _, err := s.object(body, defCreateGroup, ""); err != nil {
		return "", err
	}
	var g struct {
		Name string `json:"name"`
	}
	if err := decode(body, &g, ""); err != nil {
		return "", err
	}
	if strings.TrimSpace(g.Name) == "" {
		return "", invalid("name", "the workspace name is empty")
	}
	return g.Name, nil
}
