// Command pseudonymise conceals the personal data of a STARFACE call-list
// export and its accounts before the files leave the company: for a support
// case, a recorded scenario, or a partner's analysis. The output reads,
// interprets and reports like the original: the same caller gets the same
// pseudonym in every row, so lost callers and callbacks are still found.
//
//	go run ./examples/pseudonymise -genkey k1 > key.txt        # once; keep key.txt secret
//	STARINSIGHT_PSEUDO_KEY=$(cat key.txt) go run ./examples/pseudonymise \
//	    -export output.csv -accounts accounts.csv -out shared/
//	go run ./examples/pseudonymise -policy 'groupName=keep' …  # see docs/privacy.md
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/pseudo"
)

func main() {
	if err := run(os.Stdout, os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "pseudonymise:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("pseudonymise", flag.ContinueOnError)
	genkey := fs.String("genkey", "", "print a new key with this id (e.g. k1) and exit")
	keyEnv := fs.String("key-env", "STARINSIGHT_PSEUDO_KEY", "environment variable holding the key (id:secret)")
	policyText := fs.String("policy", "", "the policy, e.g. 'groupName=keep,comment=anonymise' (default: pseudonymise every personal field)")
	exportPath := fs.String("export", "", "STARFACE CSV export to read")
	accountsPath := fs.String("accounts", "", "accounts CSV (id;type;name;…) to read, optional")
	outDir := fs.String("out", "", "directory to write export.csv and accounts.csv to")
	tz := fs.String("tz", "Europe/Berlin", "time zone of the PBX")
	area := fs.String("area", "", "the PBX's area code, for number normalisation (use the one your reports use)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *genkey != "" {
		k, err := pseudo.GenerateKey(*genkey)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, k.Export())
		return err
	}
	if *exportPath == "" || *outDir == "" {
		return errors.New("need -export and -out (or -genkey to make a key)")
	}
	text := getenv(*keyEnv)
	if text == "" {
		return fmt.Errorf("no key in $%s: make one with -genkey k1 and keep it secret", *keyEnv)
	}
	key, err := pseudo.ParseKey(text)
	if err != nil {
		return fmt.Errorf("$%s: %w", *keyEnv, err)
	}
	policy, err := pseudo.ParsePolicy(*policyText)
	if err != nil {
		return err
	}
	p, err := pseudo.New(pseudo.WithKey(key), pseudo.WithPolicy(policy), pseudo.WithNumberPlan(cdr.GermanPlan(*area)))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	rows, err := pseudonymiseExport(p, *exportPath, filepath.Join(*outDir, "export.csv"), *tz)
	if err != nil {
		return err
	}
	accounts := 0
	if *accountsPath != "" {
		if accounts, err = pseudonymiseAccounts(p, *accountsPath, filepath.Join(*outDir, "accounts.csv")); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(w, "%d rows and %d accounts written to %s with key %s, policy %q\n", rows, accounts, *outDir, key.ID(), policy)
	return err
}

// pseudonymiseExport streams the export through the pseudonymiser. A row
// that does not parse stops the run: skipping it would lose it, and
// copying it would copy its personal data in clear.
func pseudonymiseExport(p *pseudo.Pseudonymiser, in, out, tz string) (int, error) {
	loc, err := loadLocation(tz)
	if err != nil {
		return 0, err
	}
	src, err := os.Open(in)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	dst, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	// A half-written file would look like a whole export: any error
	// removes it.
	fail := func(n int, err error) (int, error) {
		dst.Close()
		os.Remove(out)
		return n, fmt.Errorf("%s: %w (nothing written)", in, err)
	}
	cw := cdr.NewCSVWriter(dst, cdr.WithLocation(loc))
	n := 0
	for e, err := range cdr.ReadCSV(src, cdr.WithLocation(loc)) {
		if err != nil {
			return fail(n, err)
		}
		if err := cw.Write(p.Entry(e)); err != nil {
			return fail(n, err)
		}
		n++
	}
	if err := cw.Flush(); err != nil {
		return fail(n, err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(out)
		return n, fmt.Errorf("%s: %w (nothing written)", out, err)
	}
	return n, nil
}

func pseudonymiseAccounts(p *pseudo.Pseudonymiser, in, out string) (int, error) {
	src, err := os.Open(in)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	accounts, err := cdr.ReadAccountsCSV(src)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", in, err)
	}
	concealed, err := pseudo.Apply(p, accounts)
	if err != nil {
		return 0, err
	}
	dst, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	if err := cdr.WriteAccountsCSV(dst, concealed); err != nil {
		dst.Close()
		return 0, err
	}
	return len(concealed), dst.Close()
}

func loadLocation(tz string) (*time.Location, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", tz, err)
	}
	return loc, nil
}
