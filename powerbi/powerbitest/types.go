package powerbitest

import (
	"slices"
	"time"
)

// The operations the fake serves, as they appear in [Request.Op] and
// [Fault.Op]. Each covers the My workspace and the workspace form of the
// path.
const (
	OpGetDatasets   = "GetDatasets"   // GET    /datasets
	OpCreateDataset = "CreateDataset" // POST   /datasets
	OpGetTables     = "GetTables"     // GET    /datasets/{datasetId}/tables
	OpPutTable      = "PutTable"      // PUT    /datasets/{datasetId}/tables/{tableName}
	OpPostRows      = "PostRows"      // POST   /datasets/{datasetId}/tables/{tableName}/rows
	OpDeleteRows    = "DeleteRows"    // DELETE /datasets/{datasetId}/tables/{tableName}/rows
	OpGetGroups     = "GetGroups"     // GET    /groups
	OpCreateGroup   = "CreateGroup"   // POST   /groups
)

// The column data types a push dataset accepts (Column.dataType). The
// fake matches them case-insensitively, as the real service does, and
// stores these spellings.
const (
	TypeInt64    = "Int64"
	TypeDouble   = "Double"
	TypeBoolean  = "Boolean"
	TypeDatetime = "Datetime"
	TypeString   = "String"
	TypeDecimal  = "Decimal"
)

// The retention policies of POST /datasets?defaultRetentionPolicy=.
const (
	// RetentionNone keeps every row up to [Limits.MaxRowsNoRetention]
	// per table; it is the default when the parameter is absent.
	RetentionNone = "None"
	// RetentionBasicFIFO keeps the newest [Limits.FIFORows] rows per
	// table, dropping the oldest.
	RetentionBasicFIFO = "basicFIFO"
)

// Dataset is a snapshot of a push dataset the fake holds.
type Dataset struct {
	ID                     string // a GUID
	Name                   string
	Group                  string // the workspace's ID; "" is My workspace
	DefaultRetentionPolicy string // RetentionNone or RetentionBasicFIFO
	DefaultMode            string // "Push"
	CreatedAt              time.Time
	Tables                 []Table
	Relationships          []Relationship
}

// Table returns the dataset's table called name, or nil.
func (d Dataset) Table(name string) *Table {
	for i := range d.Tables {
		if d.Tables[i].Name == name {
			return &d.Tables[i]
		}
	}
	return nil
}

// Table is a push dataset table. Its JSON form is the swagger's Table
// definition (without rows).
type Table struct {
	Name        string    `json:"name"`
	Columns     []Column  `json:"columns"`
	Measures    []Measure `json:"measures,omitempty"`
	IsHidden    bool      `json:"isHidden,omitempty"`
	Description string    `json:"description,omitempty"`
	// RowCount is the number of rows the table holds (snapshots only).
	RowCount int `json:"-"`
}

func (t *Table) column(name string) *Column {
	i := slices.IndexFunc(t.Columns, func(c Column) bool { return c.Name == name })
	if i < 0 {
		return nil
	}
	return &t.Columns[i]
}

// Column is a table column, in the swagger's Column shape.
type Column struct {
	Name         string `json:"name"`
	DataType     string `json:"dataType"` // one of the Type constants
	FormatString string `json:"formatString,omitempty"`
	SortByColumn string `json:"sortByColumn,omitempty"`
	DataCategory string `json:"dataCategory,omitempty"`
	IsHidden     bool   `json:"isHidden,omitempty"`
	SummarizeBy  string `json:"summarizeBy,omitempty"`
}

// Measure is a DAX measure of a table, in the swagger's Measure shape.
type Measure struct {
	Name         string `json:"name"`
	Expression   string `json:"expression"`
	FormatString string `json:"formatString,omitempty"`
	Description  string `json:"description,omitempty"`
	IsHidden     bool   `json:"isHidden,omitempty"`
}

// Relationship joins two tables of a dataset, in the swagger's
// Relationship shape.
type Relationship struct {
	Name                   string `json:"name"`
	FromTable              string `json:"fromTable"`
	FromColumn             string `json:"fromColumn"`
	ToTable                string `json:"toTable"`
	ToColumn               string `json:"toColumn"`
	CrossFilteringBehavior string `json:"crossFilteringBehavior,omitempty"`
}

// Group is a workspace.
type Group struct {
	ID   string // a GUID
	Name string
}

// Request is what the fake recorded of one request. It never holds the
// bearer token.
type Request struct {
	Method    string
	Path      string // the URL path, without the query
	Op        string // one of the Op constants; "" for an unknown path
	Status    int    // the status sent; 0 when none was (a cancelled or dropped request)
	Rows      int    // PostRows: the number of rows in the body, when it parsed
	At        time.Time
	RequestID string // the RequestId header sent
}

// Stats counts what the fake did.
type Stats struct {
	Requests      int // requests seen, whatever the outcome
	PostsAccepted int // PostRows requests answered 200
	RowsAccepted  int // rows stored by those requests
	RowsEvicted   int // rows dropped by basicFIFO retention
	Throttled     int // 429 responses, from limits and from injected faults
	Rejected      int // other error responses (4xx and 5xx)
	Faults        int // requests an injected fault acted on, pure delays included
}
