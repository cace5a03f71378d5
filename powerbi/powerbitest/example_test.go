package powerbitest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/starinsight/starinsight/powerbi/powerbitest"
)

// post sends a JSON body with a bearer token and returns the response's
// status, its Retry-After header and its error message, if any.
func post(c *http.Client, url, body string) (status int, retryAfter, msg string) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, "", err.Error()
	}
	req.Header.Set("Authorization", "Bearer my-token")
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err.Error()
	}
	defer resp.Body.Close()
	var e struct {
		Error struct{ Message string } `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, resp.Header.Get("Retry-After"), e.Error.Message
}

func ExampleNewServer() {
	srv := powerbitest.NewServer(powerbitest.WithLimits(powerbitest.Limits{MaxPostsPerMinute: 1}))
	defer srv.Close()
	c := srv.Client()

	status, _, _ := post(c, srv.BaseURL()+"/datasets?defaultRetentionPolicy=basicFIFO",
		`{"name":"Calls","defaultMode":"Push","tables":[{"name":"Calls","columns":[
			{"name":"CallId","dataType":"Int64"},{"name":"Start","dataType":"Datetime"}]}]}`)
	fmt.Println("create:", status)
	ds, _ := srv.DatasetByName("", "Calls")
	rows := srv.BaseURL() + "/datasets/" + ds.ID + "/tables/Calls/rows"

	status, _, _ = post(c, rows, `{"rows":[{"CallId":1,"Start":"2025-03-01T08:00:00Z"}]}`)
	fmt.Println("post:", status)
	status, _, msg := post(c, rows, `{"rows":[{"CallID":2}]}`)
	fmt.Println("bad column:", status, msg)
	status, retryAfter, _ := post(c, rows, `{"rows":[{"CallId":2}]}`)
	fmt.Println("second post within the minute:", status, "Retry-After:", retryAfter)

	fmt.Println("stored:", srv.Rows("", ds.ID, "Calls"))
	fmt.Printf("%+v\n", srv.Stats())
	// Output:
	// create: 201
	// post: 200
	// bad column: 400 PostRowsRequest: rows[0]: unknown column "CallID" (table "Calls" has: CallId, Start)
	// second post within the minute: 429 Retry-After: 60
	// stored: [map[CallId:1 Start:2025-03-01T08:00:00Z]]
	// {Requests:4 PostsAccepted:1 RowsAccepted:1 RowsEvicted:0 Throttled:1 Rejected:1 Faults:0}
}

// ExampleService_Transport shows the in-process transport, which needs
// no server: inside a testing/synctest bubble the rolling windows and
// fault delays then run on the bubble's clock.
func ExampleService_Transport() {
	fake := powerbitest.New(powerbitest.WithClock(func() time.Time {
		return time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	}))
	fake.Inject(powerbitest.Fault{Op: powerbitest.OpCreateGroup, Status: http.StatusTooManyRequests, RetryAfter: time.Hour})
	c := &http.Client{Transport: fake.Transport()}

	// Any host will do.
	status, retryAfter, _ := post(c, "https://api.powerbi.com/v1.0/myorg/groups?workspaceV2=true", `{"name":"Analytics"}`)
	fmt.Println(status, "Retry-After:", retryAfter)
	status, _, _ = post(c, "https://api.powerbi.com/v1.0/myorg/groups?workspaceV2=true", `{"name":"Analytics"}`)
	fmt.Println(status, fake.Groups()[0].Name)
	// Output:
	// 429 Retry-After: 3600
	// 200 Analytics
}
