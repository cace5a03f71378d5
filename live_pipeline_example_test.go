package starinsight_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"

	_ "modernc.org/sqlite" // the SQLite driver

	"github.com/starinsight/starinsight"
	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/live/starfacetest"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/sqlsink"
)

// A live pipeline from a PBX into a SQL database, pseudonymised. Here the
// PBX is the fake of package starfacetest; against a real one, drop
// WithStarfaceHTTPClient. A Power BI target is one more LiveTarget with
// NewLivePowerBISink. The example stops once each job has delivered once;
// a service runs until it is told to stop.
func ExampleNewLivePipeline() {
	pbx := starfacetest.New()
	pbx.AddUser(starfacetest.User{ID: 1, Login: "0001", Password: "secret", FirstName: "Sam", FamilyName: "Service", Admin: true})
	pbx.AddUser(starfacetest.User{ID: 2, Login: "0002", Password: "agent", FirstName: "Anna", FamilyName: "Agent"})
	pbx.AddGroup(starfacetest.Group{ID: 10, Name: "Sales"}, 2)
	pbx.SetGroupLogin(10, 2, true)

	src, err := live.NewStarface("https://pbx.test", "0001", "secret",
		live.WithStarfaceHTTPClient(pbx.Client()), live.WithStarfaceSite("HQ"), live.WithUCIUser("0002", "agent"))
	if err != nil {
		log.Fatal(err)
	}

	dir, err := os.MkdirTemp("", "live")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", filepath.Join(dir, "live.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	key, err := pseudo.GenerateKey("k1") // in production: pseudo.ParseKey of a stored key
	if err != nil {
		log.Fatal(err)
	}
	p, err := pseudo.New(pseudo.WithKey(key))
	if err != nil {
		log.Fatal(err)
	}
	store, err := sqlsink.New(db, sqlsink.SQLite{}, sqlsink.WithPseudonymiser(p))
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}

	var mu sync.Mutex
	seen := map[live.Job]bool{}
	pl, err := starinsight.NewLivePipeline(src,
		[]starinsight.LiveTarget{{Sink: starinsight.NewLiveSQLSink(store), Pseudonymiser: p}},
		starinsight.WithLiveProgress(func(d starinsight.LiveDelivery) {
			mu.Lock()
			defer mu.Unlock()
			if seen[d.Job] = true; len(seen) == 3 { // snapshot, login states, accounts
				cancel()
			}
		}))
	if err != nil {
		log.Fatal(err)
	}
	if err := pl.Run(ctx); !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}

	for _, table := range []string{"live_users", "live_queues", "user_login_states", "member_login_states", "accounts"} {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			log.Fatal(err)
		}
		fmt.Println(table, n)
	}
	var name string
	if err := db.QueryRow("SELECT name FROM live_users WHERE account_id = 2").Scan(&name); err != nil {
		log.Fatal(err)
	}
	fmt.Println("Anna Agent stored as her name:", name == "Anna Agent")
	// Output:
	// live_users 2
	// live_queues 1
	// user_login_states 2
	// member_login_states 1
	// accounts 3
	// Anna Agent stored as her name: false
}
