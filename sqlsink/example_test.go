package sqlsink_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"time"

	_ "modernc.org/sqlite" // the embedded default: pure Go, no server

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/sqlsink"
)

func Example() {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:example?mode=memory&cache=shared")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	// The privacy choice is required; this example keeps clear data.
	sink, err := sqlsink.New(db, sqlsink.SQLite{}, sqlsink.WithPseudonymiser(pseudo.Clear()))
	if err != nil {
		log.Fatal(err)
	}
	version, err := sink.Migrate(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("schema version", version)

	arrival := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	call := callflow.Call{
		Journey: callflow.Journey{CallID: "1772442000.101", Direction: callflow.Inbound, Arrival: arrival, End: arrival.Add(3 * time.Minute), Answered: true, AnsweredBy: 11, Outcome: callflow.OutcomeAnswered},
		Legs:    []callflow.Leg{{CallID: "1772442000.101", AccountID: 11, AccountType: cdr.AccountUser, Arrival: arrival, End: arrival.Add(3 * time.Minute), Answered: true, Talk: 170 * time.Second}},
	}
	batch := sqlsink.Batch{
		Calls:      []callflow.Call{call},
		Accounts:   []cdr.Account{{ID: 11, Type: cdr.AccountUser, Name: "Anna Agent"}, {ID: 200, Type: cdr.AccountGroup, Name: "Support"}},
		Checkpoint: &sqlsink.Checkpoint{Name: "cdr", Cursor: 1001},
	}
	// Writing twice stores the batch once: upserts on natural keys.
	for range 2 {
		if _, err := sink.Write(ctx, batch); err != nil {
			log.Fatal(err)
		}
	}
	for _, table := range []string{sqlsink.TableLegs, sqlsink.TableJourneys, sqlsink.TableGroupCallAccount, sqlsink.TableUserCallAccount} {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+sink.Dialect().Quote(table)).Scan(&n); err != nil {
			log.Fatal(err)
		}
		fmt.Println(table, n)
	}
	var talk int64
	if err := db.QueryRowContext(ctx, `SELECT talk_ms FROM "CDR_Summary"`).Scan(&talk); err != nil {
		log.Fatal(err)
	}
	fmt.Println("talk", time.Duration(talk)*time.Millisecond)
	cp, _, err := sink.Checkpoint(ctx, "cdr", "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("resume after entry", cp.Cursor)
	// Output:
	// schema version 3
	// CDR_Summary 1
	// journeys 1
	// Group_Call_Account 1
	// User_Call_Account 1
	// talk 2m50s
	// resume after entry 1001
}
