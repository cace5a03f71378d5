package main

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
)

func TestGensample(t *testing.T) {
	dir := t.TempDir()
	out, accounts := filepath.Join(dir, "output.csv"), filepath.Join(dir, "accounts.csv")
	err := run([]string{"-seed", "3", "-days", "2", "-start", "2025-03-03", "-calls-per-day", "100", "-out", out, "-accounts", accounts}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for e, err := range cdr.ReadCSV(f) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; e.ID != int64(n) || e.StartTime.Month() != 3 {
			t.Fatalf("row %d: %+v", n, e)
		}
	}
	if n < 100 {
		t.Fatalf("%d rows for two days", n)
	}
	af, err := os.Open(accounts)
	if err != nil {
		t.Fatal(err)
	}
	defer af.Close()
	got, err := cdr.ReadAccountsCSV(af)
	if err != nil {
		t.Fatal(err)
	}
	if want := (sim.Config{}).Accounts(); !reflect.DeepEqual(got, want) {
		t.Fatalf("accounts:\n got %+v\nwant %+v", got, want)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(matches) > 0 {
		t.Fatalf("temporary files left: %v", matches)
	}
}

func TestGensampleBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-days", "0"}, {"-start", "03.03.2025"}, {"stray"}} {
		if err := run(append(args, "-out", filepath.Join(t.TempDir(), "x.csv")), io.Discard, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}
