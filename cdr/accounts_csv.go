package cdr

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// accountColumns is the accounts file header, in the order
// WriteAccountsCSV writes it.
var accountColumns = [...]string{"id", "type", "name", "login", "samaccountname", "site", "iqueuesize", "maxwait"}

// ReadAccountsCSV reads an accounts file: ';'-separated, header
// id;type;name;login;samaccountname;site;iqueuesize;maxwait, values
// optionally quoted. Columns are found by header name, case-insensitively;
// only id and type are required, unknown columns are ignored. type is read
// by ParseAccountType; maxwait is a Go duration ("2m0s") or whole seconds
// ("120"); empty numbers are 0. An accounts file is small and used whole,
// so the first bad value fails the read with a *ParseError (or
// *MissingColumnError for the header). Duplicate or non-positive ids are
// left to NewDirectory to report.
func ReadAccountsCSV(r io.Reader) ([]Account, error) {
	sp := newSplitter(r)
	header, fields, _, err := sp.next()
	if err == io.EOF {
		return nil, &MissingColumnError{Columns: []string{"id", "type"}}
	}
	if err != nil {
		return nil, err
	}
	idx := make([]int, len(fields)) // field -> index in accountColumns, or -1
	names := make([]string, len(fields))
	var seen [len(accountColumns)]bool
	for i, f := range fields {
		names[i] = strings.TrimSpace(f.value(header))
		idx[i] = -1
		for k, c := range accountColumns {
			if !seen[k] && strings.EqualFold(names[i], c) {
				idx[i], seen[k] = k, true
				break
			}
		}
	}
	var missing []string
	for k, c := range accountColumns[:2] {
		if !seen[k] {
			missing = append(missing, c)
		}
	}
	if missing != nil {
		return nil, &MissingColumnError{Columns: missing}
	}

	var out []Account
	for {
		rec, fields, line, err := sp.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(fields) != len(idx) {
			return nil, &ParseError{Line: line, Err: fmt.Errorf("wrong number of fields: got %d, want %d", len(fields), len(idx))}
		}
		var a Account
		for i, f := range fields {
			if idx[i] < 0 {
				continue
			}
			v := f.value(rec)
			if err := setAccountField(&a, idx[i], v); err != nil {
				return nil, &ParseError{Line: line, Column: names[i], Value: v, Err: err}
			}
		}
		out = append(out, a)
	}
}

var errMissingID = errors.New("missing account id")

func setAccountField(a *Account, k int, v string) error {
	var err error
	switch accountColumns[k] {
	case "id":
		if trimASCIISpace(v) == "" {
			return errMissingID
		}
		a.ID, err = parseAccountID(v)
	case "type":
		if a.Type, err = ParseAccountType(v); err != nil {
			err = fmt.Errorf("invalid account type %s: want user, group or iqueue", quoteValue(v))
		}
	case "name":
		a.Name = v
	case "login":
		a.Login = v
	case "samaccountname":
		a.SAMAccountName = v
	case "site":
		a.Site = v
	case "iqueuesize":
		var n int64
		n, err = parseCSVInt(v)
		if err == nil && int64(int(n)) != n { // on 32-bit platforms
			err = fmt.Errorf("invalid integer %s: %w", quoteValue(v), strconv.ErrRange)
		}
		a.IQueueSize = int(n)
	case "maxwait":
		a.MaxWait, err = parseMaxWait(v)
	}
	return err
}

// parseMaxWait reads a Go duration or whole seconds: STARFACE shows the
// maximum wait in seconds, our writer uses Go's form.
func parseMaxWait(v string) (time.Duration, error) {
	s := trimASCIISpace(v)
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
			return 0, fmt.Errorf("invalid duration %s: %w", quoteValue(v), strconv.ErrRange)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %s: want e.g. 2m0s or seconds", quoteValue(v))
	}
	return d, nil
}

// WriteAccountsCSV writes accounts in the form ReadAccountsCSV reads:
// header first, every value quoted, ';' between values, CRLF line ends,
// maxwait in Go's duration form. Placeholder is not written: a placeholder
// is what a directory makes up for an id it lacks.
func WriteAccountsCSV(w io.Writer, accounts []Account) error {
	bw := bufio.NewWriter(w)
	var buf []byte
	for i, c := range accountColumns {
		if i > 0 {
			buf = append(buf, ';')
		}
		buf = appendQuoted(buf, c)
	}
	buf = append(buf, '\r', '\n')
	for _, a := range accounts {
		typ, err := a.Type.MarshalText()
		if err != nil {
			return fmt.Errorf("cdr: writing account %d: %w", a.ID, err)
		}
		buf = appendQuotedInt(buf, int64(a.ID))
		buf = append(buf, ';')
		buf = appendQuoted(buf, string(typ))
		for _, s := range [...]string{a.Name, a.Login, a.SAMAccountName, a.Site} {
			buf = append(buf, ';')
			buf = appendQuoted(buf, s)
		}
		buf = append(buf, ';')
		buf = appendQuotedInt(buf, int64(a.IQueueSize))
		buf = append(buf, ';')
		buf = appendQuoted(buf, a.MaxWait.String())
		buf = append(buf, '\r', '\n')
		if _, err := bw.Write(buf); err != nil {
			return fmt.Errorf("cdr: writing accounts: %w", err)
		}
		buf = buf[:0]
	}
	if _, err := bw.Write(buf); err != nil { // the header, if there were no accounts
		return fmt.Errorf("cdr: writing accounts: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("cdr: writing accounts: %w", err)
	}
	return nil
}
