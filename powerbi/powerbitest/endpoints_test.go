package powerbitest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/powerbi/powerbitest"
)

var guid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

type datasetBody struct {
	ID                     string `json:"id"`
	Name                   string `json:"name"`
	AddRowsAPIEnabled      bool   `json:"addRowsAPIEnabled"`
	DefaultRetentionPolicy string `json:"defaultRetentionPolicy"`
}

func TestCreateAndListDatasets(t *testing.T) {
	bothWays(t, func(t *testing.T, a *api) {
		g := a.fake.AddGroup("Analytics")
		for _, prefix := range []string{"", "/groups/" + g.ID} {
			t.Run("prefix="+prefix, func(t *testing.T) {
				r := a.do(http.MethodPost, prefix+"/datasets?defaultRetentionPolicy=basicFIFO", callsDataset("Calls"))
				require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
				var first datasetBody
				require.NoError(t, json.Unmarshal(r.Body, &first))
				assert.Regexp(t, guid, first.ID)
				if diff := cmp.Diff(datasetBody{ID: first.ID, Name: "Calls", AddRowsAPIEnabled: true, DefaultRetentionPolicy: "basicFIFO"}, first); diff != "" {
					t.Errorf("create response (-want +got):\n%s", diff)
				}

				// No idempotency: the same name makes a second dataset.
				r = a.do(http.MethodPost, prefix+"/datasets", callsDataset("Calls"))
				require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
				var second datasetBody
				require.NoError(t, json.Unmarshal(r.Body, &second))
				assert.NotEqual(t, first.ID, second.ID)
				assert.Equal(t, "None", second.DefaultRetentionPolicy, "the default retention policy")

				r = a.do(http.MethodGet, prefix+"/datasets", nil)
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
				var listed struct{ Value []datasetBody }
				require.NoError(t, json.Unmarshal(r.Body, &listed))
				if diff := cmp.Diff([]datasetBody{first, second}, listed.Value); diff != "" {
					t.Errorf("GET datasets (-want +got):\n%s", diff)
				}

				group := strings.TrimPrefix(prefix, "/groups/")
				ds := a.fake.Datasets(group)
				require.Len(t, ds, 2)
				assert.Equal(t, group, ds[0].Group)
				assert.Equal(t, []string{"Calls", "Accounts"}, []string{ds[0].Tables[0].Name, ds[0].Tables[1].Name})
				assert.Equal(t, "Datetime", ds[0].Tables[0].Columns[1].DataType)
				byName, ok := a.fake.DatasetByName(group, "Calls")
				require.True(t, ok)
				assert.Equal(t, first.ID, byName.ID, "DatasetByName returns the first created")
				_, ok = a.fake.DatasetByName(group, "Nope")
				assert.False(t, ok)
			})
		}
	})
}

func TestRetentionPolicyParameter(t *testing.T) {
	tests := []struct {
		query, want string
		status      int
	}{
		{"", "None", http.StatusCreated},
		{"?defaultRetentionPolicy=None", "None", http.StatusCreated},
		{"?defaultRetentionPolicy=basicFIFO", "basicFIFO", http.StatusCreated},
		{"?defaultRetentionPolicy=BasicFIFO", "basicFIFO", http.StatusCreated},
		{"?defaultRetentionPolicy=forever", "", http.StatusBadRequest},
		{"?retention=basicFIFO", "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			a := newAPI(t)
			r := a.do(http.MethodPost, "/datasets"+tt.query, callsDataset("Calls"))
			require.Equal(t, tt.status, r.Status, "%s", r.Body)
			if tt.status != http.StatusCreated {
				_, msg := r.apiError(t)
				assert.Contains(t, msg, strings.Split(strings.TrimPrefix(tt.query, "?"), "=")[0])
				assert.Empty(t, a.fake.Datasets(""))
				return
			}
			assert.Equal(t, tt.want, a.fake.Datasets("")[0].DefaultRetentionPolicy)
		})
	}
}

func TestGroups(t *testing.T) {
	bothWays(t, func(t *testing.T, a *api) {
		r := a.do(http.MethodPost, "/groups?workspaceV2=true", map[string]any{"name": "Sales"})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var sales struct{ ID, Name string }
		require.NoError(t, json.Unmarshal(r.Body, &sales))
		assert.Regexp(t, guid, sales.ID)
		assert.Equal(t, "Sales", sales.Name)

		r = a.do(http.MethodPost, "/groups", map[string]any{"name": "O'Brien"})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)

		r = a.do(http.MethodPost, "/groups?workspaceV2=true", map[string]any{"name": "sales"})
		assert.Equal(t, http.StatusConflict, r.Status, "a taken name: %s", r.Body)
		r = a.do(http.MethodPost, "/groups?workspaceV2=false", map[string]any{"name": "Other"})
		assert.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)

		names := func(query string) []string {
			t.Helper()
			r := a.do(http.MethodGet, "/groups"+query, nil)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			var l struct{ Value []struct{ ID, Name string } }
			require.NoError(t, json.Unmarshal(r.Body, &l))
			out := []string{}
			for _, g := range l.Value {
				out = append(out, g.Name)
			}
			return out
		}
		assert.Equal(t, []string{"Sales", "O'Brien"}, names(""))
		assert.Equal(t, []string{"O'Brien"}, names("?$filter="+url.QueryEscape("name eq 'O''Brien'")))
		assert.Equal(t, []string{}, names("?$filter="+url.QueryEscape("name eq 'Nobody'")))
		assert.Equal(t, []string{"Sales"}, names("?$top=1"))
		assert.Equal(t, []string{"O'Brien"}, names("?$skip=1&$top=5"))
		r = a.do(http.MethodGet, "/groups?$filter="+url.QueryEscape("contains(name,'S')"), nil)
		assert.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
		r = a.do(http.MethodGet, "/groups?$top=-1", nil)
		assert.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)

		want := []powerbitest.Group{{ID: sales.ID, Name: "Sales"}}
		if diff := cmp.Diff(want, a.fake.Groups()[:1]); diff != "" {
			t.Errorf("Groups() (-want +got):\n%s", diff)
		}
		assert.Equal(t, sales.ID, a.fake.AddGroup("SALES").ID, "AddGroup returns the existing workspace")
	})
}

func TestTables(t *testing.T) {
	bothWays(t, func(t *testing.T, a *api) {
		id := a.createDataset("", "Calls", "")
		r := a.do(http.MethodGet, "/datasets/"+id+"/tables", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.JSONEq(t, `{"value":[{"name":"Calls"},{"name":"Accounts"}]}`, string(r.Body))

		r = a.postRows("", id, "Accounts", map[string]any{"CallId": 1, "Name": "Ann"}, map[string]any{"CallId": 2})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)

		// Replace Name by Team: rows stay, Name's values go.
		put := map[string]any{"name": "Accounts", "columns": []any{col("CallId", "Int64"), col("Team", "String")}}
		r = a.do(http.MethodPut, "/datasets/"+id+"/tables/Accounts", put)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.JSONEq(t, `{"name":"Accounts"}`, string(r.Body))
		want := []map[string]any{{"CallId": json.Number("1")}, {"CallId": json.Number("2")}}
		if diff := cmp.Diff(want, a.fake.Rows("", id, "Accounts")); diff != "" {
			t.Errorf("rows after PUT (-want +got):\n%s", diff)
		}
		ds, _ := a.fake.DatasetByName("", "Calls")
		if diff := cmp.Diff([]powerbitest.Column{{Name: "CallId", DataType: "Int64"}, {Name: "Team", DataType: "String"}}, ds.Table("Accounts").Columns); diff != "" {
			t.Errorf("columns after PUT (-want +got):\n%s", diff)
		}
		r = a.postRows("", id, "Accounts", map[string]any{"CallId": 3, "Team": "Blue"})
		require.Equal(t, http.StatusOK, r.Status, "the new column takes values: %s", r.Body)

		tests := []struct {
			name, table string
			body        any
			status      int
			msg         string
		}{
			{"new table", "Queues", map[string]any{"name": "Queues", "columns": []any{col("Id", "Int64")}}, http.StatusNotFound, `"Queues"`},
			{"rename", "Accounts", map[string]any{"name": "Users", "columns": []any{col("CallId", "Int64")}}, http.StatusBadRequest, "renamed"},
			{"drop a related column", "Accounts", map[string]any{"name": "Accounts", "columns": []any{col("Team", "String")}}, http.StatusBadRequest, "CallAccount"},
			{"bad column", "Accounts", map[string]any{"name": "Accounts", "columns": []any{col("CallId", "Int32")}}, http.StatusBadRequest, "columns[0].dataType"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := a.do(http.MethodPut, "/datasets/"+id+"/tables/"+tt.table, tt.body)
				require.Equal(t, tt.status, r.Status, "%s", r.Body)
				_, msg := r.apiError(t)
				assert.Contains(t, msg, tt.msg)
			})
		}
	})
}

func TestPostAndDeleteRows(t *testing.T) {
	bothWays(t, func(t *testing.T, a *api) {
		g := a.fake.AddGroup("Ops")
		prefix := "/groups/" + g.ID
		id := a.createDataset(prefix, "Calls", "")
		row := map[string]any{
			"CallId": 7, "Start": "2025-03-01T08:00:00.5+01:00", "Duration": 12.5,
			"Answered": true, "Caller": "+49 30 1234", "Cost": 0.0123,
		}
		r := a.postRows(prefix, id, "Calls", row, map[string]any{"CallId": 8, "Caller": nil})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		want := []map[string]any{
			{"CallId": json.Number("7"), "Start": "2025-03-01T08:00:00.5+01:00", "Duration": json.Number("12.5"),
				"Answered": true, "Caller": "+49 30 1234", "Cost": json.Number("0.0123")},
			{"CallId": json.Number("8"), "Caller": nil},
		}
		if diff := cmp.Diff(want, a.fake.Rows(g.ID, id, "Calls")); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
		assert.Nil(t, a.fake.Rows("", id, "Calls"), "not in My workspace")

		reqs := a.fake.Requests()
		last := reqs[len(reqs)-1]
		assert.Equal(t, powerbitest.Request{
			Method: "POST", Path: "/v1.0/myorg/groups/" + g.ID + "/datasets/" + id + "/tables/Calls/rows",
			Op: powerbitest.OpPostRows, Status: 200, Rows: 2, At: last.At, RequestID: r.Header.Get("RequestId"),
		}, last)

		r = a.do(http.MethodDelete, prefix+"/datasets/"+id+"/tables/Calls/rows", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.Empty(t, a.fake.Rows(g.ID, id, "Calls"))
		ds, _ := a.fake.DatasetByName(g.ID, "Calls")
		assert.Equal(t, 0, ds.Table("Calls").RowCount)

		st := a.fake.Stats()
		assert.Equal(t, 1, st.PostsAccepted)
		assert.Equal(t, 2, st.RowsAccepted)
	})
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	bothWays(t, func(t *testing.T, a *api) {
		id := a.createDataset("", "Calls", "")
		const unknown = "00000000-0000-4000-8000-000000000000"
		tests := []struct {
			name, method, path string
			body               any
			status             int
			allow              string
		}{
			{"unknown path", "GET", "/reports", nil, 404, ""},
			{"trailing slash", "GET", "/datasets/", nil, 404, ""},
			{"unknown dataset: tables", "GET", "/datasets/" + unknown + "/tables", nil, 404, ""},
			{"unknown dataset: rows", "POST", "/datasets/" + unknown + "/tables/Calls/rows", map[string]any{"rows": []any{}}, 404, ""},
			{"unknown table: rows", "POST", "/datasets/" + id + "/tables/Nope/rows", map[string]any{"rows": []any{}}, 404, ""},
			{"unknown table: delete", "DELETE", "/datasets/" + id + "/tables/Nope/rows", nil, 404, ""},
			{"unknown group: datasets", "GET", "/groups/" + unknown + "/datasets", nil, 404, ""},
			{"unknown group: create", "POST", "/groups/" + unknown + "/datasets", callsDataset("X"), 404, ""},
			{"dataset in another workspace", "GET", "/groups/" + a.fake.AddGroup("W").ID + "/datasets/" + id + "/tables", nil, 404, ""},
			{"DELETE datasets", "DELETE", "/datasets", nil, 405, "GET, POST"},
			{"GET rows", "GET", "/datasets/" + id + "/tables/Calls/rows", nil, 405, "POST, DELETE"},
			{"POST table", "POST", "/datasets/" + id + "/tables/Calls", map[string]any{}, 405, "PUT"},
			{"PUT groups", "PUT", "/groups", map[string]any{}, 405, "GET, POST"},
			{"empty body", "POST", "/datasets", "", 400, ""},
			{"not JSON", "POST", "/datasets", "{name:", 400, ""},
			{"trailing data", "POST", "/groups", `{"name":"a"} {}`, 400, ""},
			{"unknown query parameter", "GET", "/datasets?$top=1", nil, 400, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := a.do(tt.method, tt.path, tt.body)
				require.Equal(t, tt.status, r.Status, "%s", r.Body)
				r.apiError(t)
				assert.Equal(t, tt.allow, r.Header.Get("Allow"))
			})
		}
		assert.Len(t, a.fake.Datasets(""), 1, "nothing created by the failures")

		seen := map[string]bool{}
		for _, rq := range a.fake.Requests() {
			assert.False(t, seen[rq.RequestID], "RequestId %s repeated", rq.RequestID)
			seen[rq.RequestID] = true
			assert.Regexp(t, guid, rq.RequestID)
		}
	})
}

func TestAuthentication(t *testing.T) {
	tests := []struct {
		name, header string
		opts         []powerbitest.Option
		revoke       string
		status       int
		code         string
		challenge    string
	}{
		{"no header", "", nil, "", 401, "Unauthorized", "Bearer"},
		{"empty bearer", "Bearer ", nil, "", 401, "Unauthorized", "Bearer"},
		{"blank bearer", "Bearer    ", nil, "", 401, "Unauthorized", "Bearer"},
		{"basic", "Basic dXNlcjpwYXNz", nil, "", 401, "Unauthorized", "Bearer"},
		{"any token", "Bearer " + testToken, nil, "", 200, "", ""},
		{"scheme case", "bearer " + testToken, nil, "", 200, "", ""},
		{"listed token", "Bearer " + testToken, []powerbitest.Option{powerbitest.WithTokens("other", testToken)}, "", 200, "", ""},
		{"unlisted token", "Bearer " + testToken, []powerbitest.Option{powerbitest.WithTokens("other")}, "", 401, "InvalidToken", `Bearer error="invalid_token"`},
		{"revoked token", "Bearer " + testToken, nil, testToken, 403, "TokenExpired", ""},
		{"another token revoked", "Bearer " + testToken, nil, "other", 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bothWays(t, func(t *testing.T, a *api) {
				a.fake.RevokeToken(tt.revoke)
				req, err := http.NewRequest(http.MethodGet, a.base+"/datasets", nil)
				require.NoError(t, err)
				if tt.header != "" {
					req.Header.Set("Authorization", tt.header)
				}
				resp, err := a.c.Do(req)
				require.NoError(t, err)
				defer resp.Body.Close()
				var body bytes.Buffer
				_, err = body.ReadFrom(resp.Body)
				require.NoError(t, err)
				require.Equal(t, tt.status, resp.StatusCode, "%s", body.String())
				assert.Equal(t, tt.challenge, resp.Header.Get("WWW-Authenticate"))
				assert.NotContains(t, body.String(), testToken, "the token is echoed")
				if tt.code != "" {
					code, _ := response{Body: body.Bytes()}.apiError(t)
					assert.Equal(t, tt.code, code)
					assert.Equal(t, 1, a.fake.Stats().Rejected)
				}
				reqs := a.fake.Requests()
				require.Len(t, reqs, 1)
				assert.Equal(t, tt.status, reqs[0].Status)
			}, tt.opts...)
		})
	}
}
