package powerbi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/starinsight/starinsight/powerbi"
	"github.com/starinsight/starinsight/powerbi/powerbitest"
)

// A table derived from a Go type, and its rows as they are sent.
func ExampleNewSchema() {
	type QueueLoad struct {
		Queue   string    `powerbi:"queue"`
		Waiting int       `powerbi:"waiting"`
		At      time.Time `powerbi:"at"`
	}
	s, err := powerbi.NewSchema[QueueLoad]("queue_load")
	if err != nil {
		panic(err)
	}
	for _, c := range s.Table().Columns {
		fmt.Println(c.Name, c.DataType)
	}
	rows, _, err := s.Encode([]QueueLoad{{Queue: "Support", Waiting: 3, At: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}})
	if err != nil {
		panic(err)
	}
	b, _ := json.Marshal(rows)
	fmt.Println(string(b))
	// Output:
	// queue String
	// waiting Int64
	// at Datetime
	// [{"queue":"Support","waiting":3,"at":"2026-03-02T09:00:00.000Z"}]
}

// The errors.As idiom, on a throttled request.
func ExampleThrottledError() {
	svc := powerbitest.New()
	client, _ := powerbi.NewClient(powerbi.StaticToken("token"), powerbi.WithHTTPClient(svc.Client()))
	ctx := context.Background()
	def, _ := powerbi.NewDatasetDefinition("demo", powerbi.Table{Name: "t", Columns: []powerbi.Column{{Name: "n", DataType: powerbi.Int64}}})
	ds, _, _ := client.CreateDataset(ctx, "", def, powerbi.RetentionNone)
	svc.Inject(powerbitest.Fault{Op: "PostRows", Times: 1, Status: http.StatusTooManyRequests, RetryAfter: 90 * time.Second})

	_, err := client.PostRows(ctx, "", ds.ID, "t", []map[string]any{{"n": 1}})
	var te *powerbi.ThrottledError
	if errors.As(err, &te) {
		fmt.Println("wait", te.RetryAfter, "safe to retry:", powerbi.SafeToRetry(err))
	}
	// Output:
	// wait 1m30s safe to retry: true
}
