// Package powerbitest is a fake Power BI REST service for push datasets,
// for tests, in the spirit of net/http/httptest: an in-memory [Service]
// that enforces what the real service enforces, so a client bug fails a
// test instead of a customer's upload.
//
// It serves, in My workspace (/v1.0/myorg/...) and in workspaces
// (/v1.0/myorg/groups/{groupId}/...):
//
//	GET    /datasets                              list datasets
//	POST   /datasets?defaultRetentionPolicy=...   create: 201, no idempotency (None|basicFIFO)
//	GET    /datasets/{id}/tables                  list tables: names only, as for push datasets
//	PUT    /datasets/{id}/tables/{table}          change an existing table (none new: 404)
//	POST   /datasets/{id}/tables/{table}/rows     add rows
//	DELETE /datasets/{id}/tables/{table}/rows     delete all rows
//	GET    /groups                                list workspaces ($filter=name eq '...', $top, $skip)
//	POST   /groups?workspaceV2=true               create a workspace: 200 (a taken name: 409)
//
// What it enforces:
//
//   - Authorization: Bearer <token> on every request: none is a 401 with
//     WWW-Authenticate: Bearer; [WithTokens] restricts the tokens, and
//     [Service.RevokeToken] turns one into a 403 TokenExpired. No answer,
//     record or log ever holds a token.
//   - Request bodies against the swagger's CreateDatasetRequest, Table,
//     Column, Measure, Relationship, PostRowsRequest and
//     GroupCreationRequest: required properties, no unknown property,
//     the name patterns; dataType one of Int64, Double, Boolean, Datetime,
//     String, Decimal (any case, as the service takes "string" and
//     "DateTime"; "bool" is refused); defaultMode "Push" or absent; no
//     rows, source or datasources in definitions (push datasets take
//     rows through PostRows only); a PostRowsRequest must have rows.
//     Errors are 400s naming the property, e.g.
//     "tables[0].columns[2].dataType".
//   - Row values against the table's columns (column names
//     case-sensitive): Int64 a JSON integer in -9223372036854775807 ..
//     9223372036854775806; Double and Decimal a finite JSON number;
//     Boolean a JSON boolean; Datetime an RFC 3339 string, or ISO 8601
//     without a zone or a bare date; String at most 4,000 UTF-16 code
//     units; null always. An unknown column or a bad value is a 400
//     naming the row index and the column; the request stores nothing.
//
// Every response carries a unique RequestId header; errors have Power
// BI's shape, {"error":{"code":"...","message":"..."}} (codes are not
// stable in the real service: match on the status). An unknown
// workspace, dataset or table is a 404; a known path with the wrong
// method a 405.
//
// # Limits
//
// The fake enforces the push dataset limits per dataset, all at once
// ([Limits], [DefaultLimits], [WithLimits]):
//
//	limit                                           default    over it
//	rows per POST rows request                       10,000    400
//	rows added per rolling hour                   1,000,000    429
//	POST rows requests per rolling minute               120    429
//	POST rows requests per rolling hour once the
//	  target table holds 250,000 rows or more           120    429
//	pending (in-flight) POST rows requests                5    429, Retry-After: 1
//	tables, columns per table, relationships        75 each    400 (create, put)
//	rows kept per table, basicFIFO                  200,000    oldest dropped
//	rows per table, retention None                5,000,000    400, nothing stored
//	characters per String value                       4,000    400
//
// A 429 carries Retry-After: the whole seconds (rounded up, at least 1)
// until the rolling windows free enough room for that request; a
// throttled or refused request stores nothing and does not count
// towards the windows, which count accepted requests only.
//
// # Faults
//
// [Service.Inject] acts out failures: a status (a 503, a "long throttle"
// of 429 with an hour's Retry-After), a delay (how a test keeps requests
// pending), a dropped connection before or after the request is served
// (the latter stores the rows and loses the answer, the case where a
// retry duplicates rows).
//
// # Assertions
//
// [Service.Requests], [Service.Rows], [Service.Datasets],
// [Service.DatasetByName] and [Service.Stats] tell a test what the fake
// received and holds.
//
// # Time and testing/synctest
//
// The rolling windows read time.Now and fault delays use the runtime's
// timers, so inside a testing/synctest bubble they run on the bubble's
// fake clock: a test can be throttled for an hour and go on after an
// instant. Use [Service.Transport] (or [Service.Client]) there: it calls
// the handler in-process, while a [Server]'s sockets would stall the
// bubble.
//
//	synctest.Test(t, func(t *testing.T) {
//		fake := powerbitest.New(powerbitest.WithLimits(powerbitest.Limits{MaxPostsPerMinute: 2}))
//		client := fake.Client() // base URL: https://api.powerbi.com/v1.0/myorg
//		// ... post three times: the third gets 429 with Retry-After: 60
//		time.Sleep(60 * time.Second) // instant
//		// ... the fourth succeeds
//	})
//
// Outside a bubble, [WithClock] sets the windows' clock.
package powerbitest
