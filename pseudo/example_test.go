package pseudo_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/pseudo"
)

// exampleKey stands for the customer's key. A real one comes from
// pseudo.GenerateKey once and is kept in a secret store; ParseKey reads it
// back, e.g. from an environment variable.
func exampleKey() pseudo.Key {
	secret := sha256.Sum256([]byte("example only: never derive a real key from a phrase"))
	k, err := pseudo.ParseKey("k1:" + base64.RawURLEncoding.EncodeToString(secret[:]))
	if err != nil {
		log.Fatal(err)
	}
	return k
}

func Example() {
	p, err := pseudo.New(pseudo.WithKey(exampleKey()))
	if err != nil {
		log.Fatal(err)
	}
	legs := []callflow.Leg{{
		CallID:         "4711;+4971112345;Erika Muster",
		CallerCallerID: cdr.CallerID{Name: "Erika Muster", Number: "0711 12345"},
		CallerNumber:   cdr.GermanPlan("").Normalize("+49 711 12345"),
		CalledCallerID: cdr.CallerID{Name: "Support", Number: "200"},
	}}
	out, err := pseudo.Apply(p, legs)
	if err != nil {
		log.Fatal(err)
	}
	l := out[0]
	fmt.Println(l.CallID)
	fmt.Println(l.CallerCallerID)
	fmt.Println(l.CallerNumber)
	fmt.Println(l.CalledCallerID)
	// The original is unchanged: another sink may want it in clear.
	fmt.Println(legs[0].CallerCallerID)
	// Output:
	// call-58D00D8E6C85E2CF-k1
	// Person D7B871A33F93-k1 (+49 7… #9B8E8258AD7E-k1)
	// +49 7… #9B8E8258AD7E-k1
	// Person 7692DBD4065F-k1 (… #1B41B4BC7296-k1)
	// Erika Muster (0711 12345)
}

// A policy per field, in the text form a configuration file holds.
func ExampleParsePolicy() {
	pol, err := pseudo.ParsePolicy("all=pseudonymise, groupName=keep, calledNumber=mask:4, comment=anonymise:\"(removed)\"")
	if err != nil {
		log.Fatal(err)
	}
	p, err := pseudo.New(pseudo.WithKey(exampleKey()), pseudo.WithPolicy(pol))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pol)
	fmt.Println(p.Conceal(pseudo.GroupName, "Support Hotline"))
	fmt.Println(p.Conceal(pseudo.CalledNumber, "0711 1234567"))
	fmt.Println(p.Conceal(pseudo.Comment, "called back, Mrs Muster wants an offer"))
	// Output:
	// calledNumber=mask:4,groupName=keep,comment=anonymise:"(removed)",presenceMessage=pseudonymise
	// Support Hotline
	// +49711123xxxx
	// (removed)
}

// Pseudonyms keep lost-caller matching working; masks break it: many
// numbers share one mask, so a masked number matches nothing.
func ExamplePseudonymiser_ConcealNumber() {
	pseudonyms, err := pseudo.New(pseudo.WithKey(exampleKey()))
	if err != nil {
		log.Fatal(err)
	}
	maskAll, err := pseudo.ParsePolicy("all=mask") // names to initials, numbers' last 3 digits; ids stay pseudonymised
	if err != nil {
		log.Fatal(err)
	}
	masks, err := pseudo.New(pseudo.WithKey(exampleKey()), pseudo.WithPolicy(maskAll))
	if err != nil {
		log.Fatal(err)
	}
	plan := cdr.GermanPlan("711")
	caller := plan.Normalize("0711 1234567") // the caller who gave up
	callback := plan.Normalize("+49 711 1234567")
	other := plan.Normalize("0711 1234999") // somebody else

	a, b, c := pseudonyms.ConcealNumber(pseudo.CallerNumber, caller), pseudonyms.ConcealNumber(pseudo.CalledNumber, callback), pseudonyms.ConcealNumber(pseudo.CallerNumber, other)
	fmt.Println("pseudonymised:", a, "| callback matches:", a == b, "| other matches:", a == c, "| matchable:", a.Matchable())
	a, b, c = masks.ConcealNumber(pseudo.CallerNumber, caller), masks.ConcealNumber(pseudo.CalledNumber, callback), masks.ConcealNumber(pseudo.CallerNumber, other)
	fmt.Println("masked:", a, "| callback matches:", a == b, "| other matches:", a == c, "| matchable:", a.Matchable())
	// Output:
	// pseudonymised: +49 7… #0337D0355A39-k1 | callback matches: true | other matches: false | matchable: true
	// masked: +497111234xxx | callback matches: true | other matches: true | matchable: false
}

// The key id in every pseudonym tells which key made it, so a key can be
// rotated and old and new data told apart.
func ExampleKeyID() {
	p, err := pseudo.New(pseudo.WithKey(exampleKey()))
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range []string{p.Conceal(pseudo.UserName, "Anna Agent"), p.Conceal(pseudo.CallerNumber, "+4971112345"), "Anna Agent"} {
		id, ok := pseudo.KeyID(s)
		fmt.Printf("%q %q %v\n", s, id, ok)
	}
	// Output:
	// "Person 82E04FD64B72-k1" "k1" true
	// "+49 7… #9B8E8258AD7E-k1" "k1" true
	// "Anna Agent" "" false
}

// A weak key is refused with an error that says what to do.
func ExampleNewKey() {
	_, err := pseudo.NewKey("k1", []byte("secret"))
	fmt.Println(errors.Is(err, pseudo.ErrShortKey))
	fmt.Println(err)
	_, err = pseudo.NewKey("k1", []byte("abababababababababababababababababababab"))
	fmt.Println(errors.Is(err, pseudo.ErrWeakKey))
	// Output:
	// true
	// pseudo: key secret too short: key "k1" has 6 bytes, need at least 32; generate one with pseudo.GenerateKey
	// true
}
