package powerbitest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// edit returns callsDataset("D") changed by f.
func edit(f func(d map[string]any)) map[string]any {
	d := callsDataset("D")
	f(d)
	return d
}

func table0(d map[string]any) map[string]any { return d["tables"].([]any)[0].(map[string]any) }

func column0(d map[string]any) map[string]any {
	return table0(d)["columns"].([]any)[0].(map[string]any)
}

func rel0(d map[string]any) map[string]any { return d["relationships"].([]any)[0].(map[string]any) }

func TestCreateDatasetValidation(t *testing.T) {
	tests := []struct {
		name string
		body any
		want string // in the message: the property's path
	}{
		{"not an object", `[]`, "request body"},
		{"unknown property", edit(func(d map[string]any) { d["retention"] = "x" }), `retention: unknown property of CreateDatasetRequest`},
		{"name missing", edit(func(d map[string]any) { delete(d, "name") }), "name: required property of CreateDatasetRequest"},
		{"name null", edit(func(d map[string]any) { d["name"] = nil }), "name: required"},
		{"name empty", edit(func(d map[string]any) { d["name"] = " " }), "name: the dataset name is empty"},
		{"name not a string", edit(func(d map[string]any) { d["name"] = 5 }), "name: want a JSON string"},
		{"tables missing", edit(func(d map[string]any) { delete(d, "tables") }), "tables: required"},
		{"tables empty", edit(func(d map[string]any) { d["tables"] = []any{}; delete(d, "relationships") }), "tables: a push dataset needs at least one table"},
		{"tables not an array", edit(func(d map[string]any) { d["tables"] = "Calls" }), "tables"},
		{"streaming mode", edit(func(d map[string]any) { d["defaultMode"] = "Streaming" }), "defaultMode"},
		{"datasources", edit(func(d map[string]any) { d["datasources"] = []any{map[string]any{}} }), "datasources"},
		{"table unknown property", edit(func(d map[string]any) { table0(d)["hidden"] = true }), "tables[0].hidden: unknown property of Table"},
		{"table name missing", edit(func(d map[string]any) { delete(table0(d), "name") }), "tables[0].name: required property of Table"},
		{"table name pattern", edit(func(d map[string]any) { table0(d)["name"] = "Calls/2025" }), "tables[0].name: \"Calls/2025\" does not match"},
		{"table name too long", edit(func(d map[string]any) { table0(d)["name"] = strings.Repeat("x", 101) }), "tables[0].name"},
		{"table rows", edit(func(d map[string]any) { table0(d)["rows"] = []any{map[string]any{"CallId": 1}} }), "tables[0].rows"},
		{"table source", edit(func(d map[string]any) { table0(d)["source"] = []any{map[string]any{}} }), "tables[0].source"},
		{"duplicate table", edit(func(d map[string]any) {
			d["tables"] = append(d["tables"].([]any), map[string]any{"name": "calls", "columns": []any{col("A", "Int64")}})
		}), "tables[2].name: duplicate table"},
		{"no columns", edit(func(d map[string]any) { table0(d)["columns"] = []any{}; delete(d, "relationships") }), "tables[0].columns: a table needs at least one column"},
		{"column unknown property", edit(func(d map[string]any) { column0(d)["type"] = "Int64" }), "tables[0].columns[0].type: unknown property of Column"},
		{"column dataType missing", edit(func(d map[string]any) { delete(column0(d), "dataType") }), "tables[0].columns[0].dataType: required property of Column"},
		{"column dataType bad", edit(func(d map[string]any) { column0(d)["dataType"] = "bool" }), "tables[0].columns[0].dataType: \"bool\" is not one of"},
		{"column name pattern", edit(func(d map[string]any) { column0(d)["name"] = "a\x01b" }), "tables[0].columns[0].name"},
		{"duplicate column", edit(func(d map[string]any) {
			table0(d)["columns"] = append(table0(d)["columns"].([]any), col("callid", "String"))
		}), "tables[0].columns[6].name: duplicate column"},
		{"sortByColumn unknown", edit(func(d map[string]any) { column0(d)["sortByColumn"] = "Nope" }), "tables[0].columns[0].sortByColumn"},
		{"measure expression missing", edit(func(d map[string]any) { table0(d)["measures"] = []any{map[string]any{"name": "Total"}} }), "tables[0].measures[0].expression: required property of Measure"},
		{"measure unknown property", edit(func(d map[string]any) {
			table0(d)["measures"] = []any{map[string]any{"name": "Total", "expression": "1", "dax": "1"}}
		}), "tables[0].measures[0].dax: unknown property of Measure"},
		{"relationship toColumn missing", edit(func(d map[string]any) { delete(rel0(d), "toColumn") }), "relationships[0].toColumn: required property of Relationship"},
		{"relationship name pattern", edit(func(d map[string]any) { rel0(d)["name"] = "a:b" }), "relationships[0].name"},
		{"relationship unknown table", edit(func(d map[string]any) { rel0(d)["toTable"] = "Users" }), "relationships[0].toTable: no table \"Users\""},
		{"relationship unknown column", edit(func(d map[string]any) { rel0(d)["fromColumn"] = "Id" }), "relationships[0].fromColumn: no column \"Id\""},
		{"relationship filter", edit(func(d map[string]any) { rel0(d)["crossFilteringBehavior"] = "Sideways" }), "relationships[0].crossFilteringBehavior"},
		{"relationship unknown property", edit(func(d map[string]any) { rel0(d)["cardinality"] = "OneToMany" }), "relationships[0].cardinality: unknown property of Relationship"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t)
			r := a.do(http.MethodPost, "/datasets", tt.body)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			code, msg := r.apiError(t)
			assert.Equal(t, "InvalidRequest", code)
			assert.Contains(t, msg, tt.want)
			assert.Empty(t, a.fake.Datasets(""))
			assert.Equal(t, 1, a.fake.Stats().Rejected)
		})
	}
}

func TestCreateDatasetAccepts(t *testing.T) {
	tests := []struct {
		name string
		body map[string]any
	}{
		{"as the swagger's example spells types", edit(func(d map[string]any) {
			table0(d)["columns"] = []any{col("CallId", "Int64"), col("Name", "string"), col("Start", "DateTime"), col("Sales", "int64")}
		})},
		{"no defaultMode, no relationships", edit(func(d map[string]any) { delete(d, "defaultMode"); delete(d, "relationships") })},
		{"every optional property", edit(func(d map[string]any) {
			d["datasources"] = []any{}
			table0(d)["isHidden"] = false
			table0(d)["description"] = "calls"
			table0(d)["rows"] = []any{}
			table0(d)["measures"] = []any{map[string]any{"name": "Total", "expression": "COUNTROWS(Calls)", "formatString": "0", "description": "n", "isHidden": true}}
			column0(d)["formatString"] = "0"
			column0(d)["sortByColumn"] = "Start"
			column0(d)["dataCategory"] = "Uncategorized"
			column0(d)["isHidden"] = true
			column0(d)["summarizeBy"] = "None"
		})},
		{"names with the pattern's edge characters", edit(func(d map[string]any) {
			table0(d)["name"] = "Anrufe-#_@^~ Ü 😀"
			delete(d, "relationships")
			column0(d)["name"] = "Dauer (s), brutto: 100%"
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t)
			r := a.do(http.MethodPost, "/datasets", tt.body)
			require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		})
	}
}

func TestPostRowsValidation(t *testing.T) {
	long := strings.Repeat("x", 4000)
	tests := []struct {
		name string
		body any
		want string // "" for accepted
	}{
		{"valid values", map[string]any{"rows": []any{map[string]any{
			"CallId": -9223372036854775807, "Start": "2025-03-01T08:00:00Z", "Duration": 1e300,
			"Answered": false, "Caller": long, "Cost": -1.5}}}, ""},
		{"max whole number", `{"rows":[{"CallId":9223372036854775806}]}`, ""},
		{"datetime without zone", `{"rows":[{"Start":"2025-03-01T08:00:00.123"}]}`, ""},
		{"bare date", `{"rows":[{"Start":"2025-03-01"}]}`, ""},
		{"all null", `{"rows":[{"CallId":null,"Start":null,"Duration":null,"Answered":null,"Caller":null,"Cost":null}]}`, ""},
		{"empty rows", `{"rows":[]}`, ""},
		{"rows missing", `{}`, "rows: missing"},
		{"rows null", `{"rows":null}`, "rows: missing"},
		{"unknown property", `{"rows":[],"table":"Calls"}`, "table: unknown property of PostRowsRequest"},
		{"rows not an array", `{"rows":{"CallId":1}}`, "rows: want a JSON array"},
		{"row not an object", `{"rows":[{"CallId":1},[1]]}`, "rows[1]: want a JSON object"},
		{"unknown column", `{"rows":[{"CallId":1},{"callid":2}]}`, `rows[1]: unknown column "callid"`},
		{"int64 fraction", `{"rows":[{"CallId":1.5}]}`, "rows[0].CallId: Int64 column: want a JSON integer"},
		{"int64 exponent", `{"rows":[{"CallId":1e3}]}`, "rows[0].CallId: Int64"},
		{"int64 string", `{"rows":[{"CallId":"1"}]}`, "rows[0].CallId: Int64 column: want a JSON integer, got a string"},
		{"int64 max", `{"rows":[{"CallId":9223372036854775807}]}`, "rows[0].CallId: Int64 column: 9223372036854775807 is outside"},
		{"int64 min", `{"rows":[{"CallId":-9223372036854775808}]}`, "outside Power BI's whole-number range"},
		{"int64 overflow", `{"rows":[{"CallId":99999999999999999999}]}`, "outside"},
		{"double overflow", `{"rows":[{"Duration":1e400}]}`, "rows[0].Duration: Double column: 1e400 is not a finite double"},
		{"double string", `{"rows":[{"Duration":"1.5"}]}`, "rows[0].Duration: Double column: want a JSON number"},
		{"decimal bool", `{"rows":[{"Cost":true}]}`, "rows[0].Cost: Decimal column"},
		{"boolean number", `{"rows":[{"Answered":1}]}`, "rows[0].Answered: Boolean column: want a JSON boolean"},
		{"datetime US", `{"rows":[{"Start":"07/30/2014"}]}`, `rows[0].Start: Datetime column: "07/30/2014" is not`},
		{"datetime number", `{"rows":[{"Start":1700000000}]}`, "rows[0].Start: Datetime column: want an ISO 8601"},
		{"string too long", map[string]any{"rows": []any{map[string]any{"Caller": long + "x"}}}, "rows[0].Caller: String column: 4001 characters"},
		{"string too long in UTF-16", map[string]any{"rows": []any{map[string]any{"Caller": long[1:] + "😀"}}}, "4001 characters"},
		{"string object", `{"rows":[{"Caller":{"a":1}}]}`, "rows[0].Caller: String column: want a JSON string, got an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t)
			id := a.createDataset("", "Calls", "")
			r := a.do(http.MethodPost, "/datasets/"+id+"/tables/Calls/rows", tt.body)
			if tt.want == "" {
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
				return
			}
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			_, msg := r.apiError(t)
			assert.Contains(t, msg, tt.want)
			assert.Empty(t, a.fake.Rows("", id, "Calls"), "a rejected request stores nothing")
			assert.Equal(t, 0, a.fake.Stats().PostsAccepted)
		})
	}
}

func TestCreateGroupValidation(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"name missing", `{}`, "name: required property of GroupCreationRequest"},
		{"name empty", `{"name":""}`, "name: the workspace name is empty"},
		{"unknown property", `{"name":"a","description":"b"}`, "description: unknown property of GroupCreationRequest"},
		{"name a number", `{"name":1}`, "name: want a JSON string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t)
			r := a.do(http.MethodPost, "/groups?workspaceV2=true", tt.body)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			_, msg := r.apiError(t)
			assert.Contains(t, msg, tt.want)
			assert.Empty(t, a.fake.Groups())
		})
	}
}

// TestRowsKeepNumbers checks that numbers come back as sent.
func TestRowsKeepNumbers(t *testing.T) {
	a := newAPI(t)
	id := a.createDataset("", "Calls", "")
	r := a.do(http.MethodPost, "/datasets/"+id+"/tables/Calls/rows", `{"rows":[{"CallId":9223372036854775806,"Duration":0.1}]}`)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	got := a.fake.Rows("", id, "Calls")
	require.Len(t, got, 1)
	assert.Equal(t, json.Number("9223372036854775806"), got[0]["CallId"])
	assert.Equal(t, json.Number("0.1"), got[0]["Duration"])

	// Rows returns copies.
	got[0]["CallId"] = "changed"
	assert.Equal(t, json.Number("9223372036854775806"), a.fake.Rows("", id, "Calls")[0]["CallId"])
}
