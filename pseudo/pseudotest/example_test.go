package pseudotest_test

import (
	"encoding/json"
	"fmt"
	"log"

	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/pseudo/pseudotest"
)

// A leak check of a sink's output: the corpus is built from the clear
// rows, and the same rows are written once in clear and once pseudonymised.
// The clear output must show leaks (else the scan cannot see what the sink
// writes); the pseudonymised one must show none. In a test,
// AssertFinds and AssertNoLeaks do the same and fail t.
func Example() {
	plan := cdr.GermanPlan("711")
	entries := []cdr.Entry{{
		ID: 1, CallID: "1772442000.102", CDRAccountID: 11, CalledAccountID: 11,
		CallerCallerID: cdr.ParseCallerID("Erika Muster (0711 1234567)"),
		Login:          "anna.agent",
	}}
	accounts := []cdr.Account{{ID: 11, Type: cdr.AccountUser, Name: "Anna Agent", Login: "anna.agent"}}
	corpus := pseudotest.CorpusFromEntries(entries, accounts, plan)

	// The sink under test: here, JSON of the rows.
	sink := func(rows []cdr.Entry) []byte {
		b, err := json.Marshal(rows)
		if err != nil {
			log.Fatal(err)
		}
		return b
	}

	clear, err := pseudo.Apply(pseudo.Clear(), entries)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range corpus.Scan(sink(clear)) {
		fmt.Printf("in clear: %s %q as %q\n", l.Kind, l.Original, l.Form)
	}

	key, err := pseudo.GenerateKey("k1") // a real key is made once and kept secret
	if err != nil {
		log.Fatal(err)
	}
	p, err := pseudo.New(pseudo.WithKey(key), pseudo.WithNumberPlan(plan))
	if err != nil {
		log.Fatal(err)
	}
	concealed, err := pseudo.Apply(p, entries)
	if err != nil {
		log.Fatal(err)
	}
	leaks := corpus.Scan(sink(concealed))
	fmt.Println("pseudonymised:", len(leaks), "leaks")
	// Output:
	// in clear: call id "1772442000.102" as "1772442000.102"
	// in clear: name "Erika Muster" as "Erika Muster"
	// in clear: number "+497111234567" as "0711 1234567"
	// in clear: login "anna.agent" as "anna.agent"
	// pseudonymised: 0 leaks
}
