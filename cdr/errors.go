package cdr

import (
	"errors"
	"strconv"
	"strings"
)

// ParseError is a bad record or value in a call-list or accounts file. The
// readers return it for one row and go on with the next, so a caller can
// count, log or stop on it.
type ParseError struct {
	// Line is the 1-based physical line where the record starts; the
	// header is line 1.
	Line int
	// Column is the header name of the bad value, or empty when the record
	// as a whole is bad (wrong number of fields, broken quoting, bad JSON).
	Column string
	// Value is the text that failed to parse, as it was in the file.
	Value string
	// Err describes what is wrong.
	Err error
}

// Error returns e.g.
// `cdr: line 12, column "starttime": invalid time "32.13.2026 10:00:00": day out of range`.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("cdr: line ")
	b.WriteString(strconv.Itoa(e.Line))
	if e.Column != "" {
		b.WriteString(", column ")
		b.WriteString(strconv.Quote(e.Column))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err, so errors.Is sees causes such as strconv.ErrRange.
func (e *ParseError) Unwrap() error { return e.Err }

// ErrMissingColumn matches, with errors.Is, the error of any reader whose
// input lacks a required column: a *MissingColumnError from ReadCSV, a
// *DBError wrapping it from ReadDB.
var ErrMissingColumn = errors.New("required column missing")

// MissingColumnError reports required columns absent from a header. It is
// returned once per file: without those columns no row can be read.
type MissingColumnError struct {
	Columns []string // in the order of the required columns
}

// Is reports whether target is ErrMissingColumn, so that one errors.Is
// check covers the CSV and the database reader.
func (e *MissingColumnError) Is(target error) bool { return target == ErrMissingColumn }

// Error lists the missing columns.
func (e *MissingColumnError) Error() string {
	s := "column"
	if len(e.Columns) != 1 {
		s = "columns"
	}
	q := make([]string, len(e.Columns))
	for i, c := range e.Columns {
		q[i] = strconv.Quote(c)
	}
	return "cdr: missing required " + s + " " + strings.Join(q, ", ")
}

// errRecordTooLong is returned when a record exceeds maxRecordBytes, which
// is almost always a quote that is never closed.
var errRecordTooLong = errors.New("record too long (unclosed quote?)")

// quoteValue quotes a value for an error message, cut short so that a huge
// field cannot flood a log.
func quoteValue(v string) string {
	const limit = 64
	if len(v) > limit {
		return strconv.Quote(v[:limit]) + "…"
	}
	return strconv.Quote(v)
}
