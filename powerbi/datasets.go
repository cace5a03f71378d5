package powerbi

import (
	"context"
	"net/http"
	"net/url"
)

// DataType is a column's type in a push dataset.
type DataType string

// The column types of push datasets.
const (
	Int64    DataType = "Int64"
	Double   DataType = "Double"
	Boolean  DataType = "Boolean"
	Datetime DataType = "Datetime"
	String   DataType = "String"
	Decimal  DataType = "Decimal"
)

// Column is a column of a push dataset's table.
type Column struct {
	Name         string   `json:"name"`
	DataType     DataType `json:"dataType"`
	FormatString string   `json:"formatString,omitempty"`
}

// Table is a table of a push dataset. The service lists tables by name
// only; Columns is what PutTable and CreateDataset send.
type Table struct {
	Name    string   `json:"name"`
	Columns []Column `json:"columns,omitempty"`
}

// Retention is a push dataset's default retention policy.
type Retention string

// The retention policies: None keeps up to 5,000,000 rows per table and
// refuses more; FIFO keeps the newest 200,000 rows per table.
const (
	RetentionNone Retention = "None"
	RetentionFIFO Retention = "basicFIFO"
)

// Dataset is a dataset as the service lists it.
type Dataset struct {
	ID                     string `json:"id"`
	Name                   string `json:"name"`
	AddRowsAPIEnabled      bool   `json:"addRowsAPIEnabled"`
	DefaultRetentionPolicy string `json:"defaultRetentionPolicy,omitempty"`
	ConfiguredBy           string `json:"configuredBy,omitempty"`
	WebURL                 string `json:"webUrl,omitempty"`
}

// DatasetDefinition is what CreateDataset sends: a push dataset's name and
// tables.
type DatasetDefinition struct {
	Name   string  `json:"name"`
	Tables []Table `json:"tables"`
	// DefaultMode is always "Push".
	DefaultMode string `json:"defaultMode"`
}

// Group is a workspace.
type Group struct {
	ID                    string `json:"id"`
	Name                  string `json:"name"`
	IsReadOnly            bool   `json:"isReadOnly,omitempty"`
	IsOnDedicatedCapacity bool   `json:"isOnDedicatedCapacity,omitempty"`
}

// Datasets lists the datasets of a workspace (group "" is My workspace).
func (c *Client) Datasets(ctx context.Context, group string) ([]Dataset, *Response, error) {
	var out struct {
		Value []Dataset `json:"value"`
	}
	resp, err := c.do(ctx, call{op: "GetDatasets", method: http.MethodGet, path: groupPath(group) + "/datasets", out: &out})
	return out.Value, resp, err
}

// CreateDataset creates a push dataset. The service has no idempotency
// key: calling it twice creates two datasets of one name. Provision looks
// the name up first.
func (c *Client) CreateDataset(ctx context.Context, group string, def DatasetDefinition, retention Retention) (Dataset, *Response, error) {
	def.DefaultMode = "Push"
	if retention == "" {
		retention = RetentionNone
	}
	var out Dataset
	resp, err := c.do(ctx, call{op: "PostDataset", method: http.MethodPost, path: groupPath(group) + "/datasets",
		query: url.Values{"defaultRetentionPolicy": {string(retention)}}, body: def, out: &out})
	return out, resp, err
}

// Tables lists a push dataset's tables (names only).
func (c *Client) Tables(ctx context.Context, group, datasetID string) ([]Table, *Response, error) {
	var out struct {
		Value []Table `json:"value"`
	}
	resp, err := c.do(ctx, call{op: "GetTables", method: http.MethodGet, path: datasetPath(group, datasetID) + "/tables", out: &out, dataset: datasetID})
	return out.Value, resp, err
}

// PutTable updates an existing table's columns. It cannot add a table to
// a push dataset.
func (c *Client) PutTable(ctx context.Context, group, datasetID string, t Table) (*Response, error) {
	return c.do(ctx, call{op: "PutTable", method: http.MethodPut, path: tablePath(group, datasetID, t.Name), body: t, dataset: datasetID})
}

// PostRows adds rows to a table: rows is anything that encodes as a JSON
// array of objects (a Schema's EncodedRows, []map[string]any). At most
// 10,000 rows per call. It is not idempotent: after a timeout or a 5xx
// the rows may have been added (see SafeToRetry).
func (c *Client) PostRows(ctx context.Context, group, datasetID, table string, rows any) (*Response, error) {
	return c.do(ctx, call{op: "PostRows", method: http.MethodPost, path: tablePath(group, datasetID, table) + "/rows",
		body: postRows{Rows: rows}, dataset: datasetID})
}

type postRows struct {
	Rows any `json:"rows"`
}

// DeleteRows deletes every row of a table.
func (c *Client) DeleteRows(ctx context.Context, group, datasetID, table string) (*Response, error) {
	return c.do(ctx, call{op: "DeleteRows", method: http.MethodDelete, path: tablePath(group, datasetID, table) + "/rows", dataset: datasetID})
}

// Groups lists the workspaces the account can see.
func (c *Client) Groups(ctx context.Context) ([]Group, *Response, error) {
	var out struct {
		Value []Group `json:"value"`
	}
	resp, err := c.do(ctx, call{op: "GetGroups", method: http.MethodGet, path: "/groups", out: &out})
	return out.Value, resp, err
}

// CreateGroup creates a workspace. Like datasets, names are not unique:
// look the name up first.
func (c *Client) CreateGroup(ctx context.Context, name string) (Group, *Response, error) {
	var out Group
	resp, err := c.do(ctx, call{op: "CreateGroup", method: http.MethodPost, path: "/groups",
		query: url.Values{"workspaceV2": {"true"}}, body: struct {
			Name string `json:"name"`
		}{name}, out: &out})
	return out, resp, err
}

func datasetPath(group, datasetID string) string {
	return groupPath(group) + "/datasets/" + url.PathEscape(datasetID)
}

func tablePath(group, datasetID, table string) string {
	return datasetPath(group, datasetID) + "/tables/" + url.PathEscape(table)
}
