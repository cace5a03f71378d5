package pseudo_test

import (
	"crypto/sha256"
	"strconv"
	"testing"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/pseudo"
)

// benchPseudonymiser is the default policy under a fixed key.
func benchPseudonymiser(b *testing.B) *pseudo.Pseudonymiser {
	b.Helper()
	secret := sha256.Sum256([]byte("starinsight benchmark key"))
	k, err := pseudo.NewKey("k1", secret[:])
	if err != nil {
		b.Fatal(err)
	}
	p, err := pseudo.New(pseudo.WithKey(k))
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// Distinct inputs, so that nothing a cache could remember helps.
func benchNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "Anna Agent " + strconv.Itoa(i)
	}
	return out
}

func benchNumbers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "+49711" + strconv.Itoa(1000000+i)
	}
	return out
}

// BenchmarkConceal measures single field pseudonymisations; fields/s is
// the figure (target ≥ 1,000,000 per core: run with -cpu 1).
func BenchmarkConceal(b *testing.B) {
	p := benchPseudonymiser(b)
	names, numbers := benchNames(4096), benchNumbers(4096)
	parsed := make([]cdr.PhoneNumber, len(numbers))
	for i, s := range numbers {
		parsed[i], _ = cdr.ParsePhoneNumber(s)
	}
	ids := make([]string, 4096)
	for i := range ids {
		ids[i] = "1a2b3c4d-0000-4000-8000-" + strconv.Itoa(100000000000+i)
	}
	cases := []struct {
		name string
		f    func(i int)
	}{
		{"name", func(i int) { _ = p.Conceal(pseudo.CallerName, names[i&4095]) }},
		{"raw-number", func(i int) { _ = p.Conceal(pseudo.CallerNumber, numbers[i&4095]) }},
		{"number", func(i int) { _ = p.ConcealNumber(pseudo.CallerNumber, parsed[i&4095]) }},
		{"call-id", func(i int) { _ = p.Conceal(pseudo.CallID, ids[i&4095]) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c.f(i)
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fields/s")
		})
	}
}

// BenchmarkConcealParallel is BenchmarkConceal's name case on every core:
// the pool of HMAC states must not serialise callers.
func BenchmarkConcealParallel(b *testing.B) {
	p := benchPseudonymiser(b)
	names := benchNames(4096)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			_ = p.Conceal(pseudo.CallerName, names[i&4095])
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fields/s")
}

// BenchmarkApplyLegs conceals batches of legs as a sink would: per leg the
// call id, two caller-id names and numbers, and two normalised numbers.
func BenchmarkApplyLegs(b *testing.B) {
	p := benchPseudonymiser(b)
	names, numbers := benchNames(1000), benchNumbers(1000)
	legs := make([]callflow.Leg, 1000)
	for i := range legs {
		n, _ := cdr.ParsePhoneNumber(numbers[i])
		legs[i] = callflow.Leg{
			CallID:         "1a2b3c4d-0000-4000-8000-" + strconv.Itoa(100000000000+i),
			CallerCallerID: cdr.CallerID{Name: names[i], Number: numbers[i]},
			CallerNumber:   n,
			CalledCallerID: cdr.CallerID{Name: "Support Hotline", Number: "200"},
			CalledNumber:   cdr.PhoneNumber{},
		}
	}
	const fieldsPerLeg = 6 // call id, 2 names, 2 caller-id numbers, the caller number (the empty called number costs nothing)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pseudo.Apply(p, legs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(legs))/b.Elapsed().Seconds(), "legs/s")
	b.ReportMetric(float64(b.N*len(legs)*fieldsPerLeg)/b.Elapsed().Seconds(), "fields/s")
}
