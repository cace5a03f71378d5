package powerbi

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// The limits a dataset's definition must keep (DOMAIN.md §5).
const (
	MaxTables       = 75
	MaxColumns      = 75
	MaxStringLength = 4000 // characters (UTF-16 code units) per string value
	MaxRowsPerPost  = 10_000
)

// The range of Power BI's whole numbers (Int64): one short of Go's int64
// at both ends.
const (
	MinInt64Value = math.MinInt64 + 1
	MaxInt64Value = math.MaxInt64 - 1
)

// DatetimeLayout is the one format Datetime values are sent in: UTC with
// milliseconds.
const DatetimeLayout = "2006-01-02T15:04:05.000Z"

// TruncationMark ends a string cut to MaxStringLength, so that a report
// shows the value was longer.
const TruncationMark = " …[truncated]"

// ErrSchema is wrapped by every error about a table's or a dataset's
// definition.
var ErrSchema = errors.New("powerbi: invalid schema")

// ErrValue is wrapped by every error about a row value Power BI cannot
// hold (a NaN, a whole number out of range).
var ErrValue = errors.New("powerbi: value out of range")

// Schema is a push dataset table derived from a Go struct type T: one
// column per field tagged `powerbi:"Column_Name"` (untagged and "-"
// fields are skipped), typed from the field's Go type:
//
//	string                       String
//	int, int8 … int64, uint8 … uint32   Int64
//	float32, float64             Double
//	bool                         Boolean
//	time.Time                    Datetime (the zero time is sent as null)
//	a pointer to one of these    the same, nil sent as null
//
// Other types are refused when the schema is built, as are more than 75
// columns and names Power BI refuses. A Schema is immutable and safe for
// concurrent use.
type Schema[T any] struct {
	table  Table
	fields []schemaField
}

type schemaField struct {
	index []int
	kind  DataType
	ptr   bool
	name  string
	key   []byte // `"name":` ready to append
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
)

// NewSchema returns the schema of table name for T.
func NewSchema[T any](name string) (*Schema[T], error) {
	t, fields, err := schemaOf(name, reflect.TypeFor[T]())
	if err != nil {
		return nil, err
	}
	return &Schema[T]{table: t, fields: fields}, nil
}

// schemaOf derives a table's columns from a struct type.
func schemaOf(name string, rt reflect.Type) (Table, []schemaField, error) {
	if err := checkTableName(name); err != nil {
		return Table{}, nil, err
	}
	if rt.Kind() != reflect.Struct {
		return Table{}, nil, fmt.Errorf("%w: table %s: %s is not a struct", ErrSchema, name, rt)
	}
	t := Table{Name: name}
	var fields []schemaField
	seen := map[string]bool{}
	for _, f := range reflect.VisibleFields(rt) {
		tag, ok := f.Tag.Lookup("powerbi")
		if !ok || tag == "-" || !f.IsExported() {
			continue
		}
		col := strings.Split(tag, ",")[0]
		if err := checkColumnName(col); err != nil {
			return Table{}, nil, fmt.Errorf("%w: table %s, field %s: %v", ErrSchema, name, f.Name, err)
		}
		if seen[strings.ToLower(col)] {
			return Table{}, nil, fmt.Errorf("%w: table %s: column %q twice (names are compared without case)", ErrSchema, name, col)
		}
		seen[strings.ToLower(col)] = true
		ft, ptr := f.Type, false
		if ft.Kind() == reflect.Pointer {
			ft, ptr = ft.Elem(), true
		}
		kind, err := dataTypeOf(ft)
		if err != nil {
			return Table{}, nil, fmt.Errorf("%w: table %s, field %s (column %s): %v", ErrSchema, name, f.Name, col, err)
		}
		key := appendJSONString(nil, col)
		fields = append(fields, schemaField{index: f.Index, kind: kind, ptr: ptr, name: col, key: append(key, ':')})
		t.Columns = append(t.Columns, Column{Name: col, DataType: kind})
	}
	if len(fields) == 0 {
		return Table{}, nil, fmt.Errorf("%w: table %s: %s has no field tagged `powerbi:\"…\"`", ErrSchema, name, rt)
	}
	if len(fields) > MaxColumns {
		return Table{}, nil, fmt.Errorf("%w: table %s has %d columns; a push dataset table has at most %d", ErrSchema, name, len(fields), MaxColumns)
	}
	return t, fields, nil
}

func dataTypeOf(t reflect.Type) (DataType, error) {
	if t == timeType {
		return Datetime, nil
	}
	if t == durationType {
		// Nanoseconds in a report are a mistake waiting to happen.
		return "", fmt.Errorf("type time.Duration has no Power BI column type: store whole milliseconds in an int64 (d.Milliseconds())")
	}
	switch t.Kind() {
	case reflect.String:
		return String, nil
	case reflect.Bool:
		return Boolean, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return Int64, nil
	case reflect.Float32, reflect.Float64:
		return Double, nil
	}
	return "", fmt.Errorf("type %s has no Power BI column type (use string, an integer, a float, bool or time.Time)", t)
}

// checkTableName applies the swagger's pattern for table names: 1 to 100
// characters, letters, digits, space, '#', '-', '@', '^', '_', '~' and
// any non-ASCII character.
func checkTableName(name string) error {
	n := utf8.RuneCountInString(name)
	if n < 1 || n > 100 {
		return fmt.Errorf("%w: table name %q: 1 to 100 characters", ErrSchema, name)
	}
	for _, r := range name {
		if !tableNameRune(r) {
			return fmt.Errorf("%w: table name %q: character %q not allowed (letters, digits, space, # - @ ^ _ ~)", ErrSchema, name, r)
		}
	}
	return nil
}

func tableNameRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == ' ' || r == '#' || r == '-':
		return true
	case r >= '0' && r <= '9', r >= '@' && r <= 'Z', r == '^' || r == '_', r >= 'a' && r <= 'z':
		return true
	case r >= '~' && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// checkColumnName applies the swagger's pattern for column names: one or
// more characters, no control characters but tab, newline and return.
func checkColumnName(name string) error {
	if name == "" {
		return errors.New("empty column name")
	}
	for _, r := range name {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r >= 0xD800 && r <= 0xDFFF || r == 0xFFFE || r == 0xFFFF || r == utf8.RuneError {
			return fmt.Errorf("column name %q: character %U not allowed", name, r)
		}
	}
	return nil
}

// Table returns the table's definition (a copy).
func (s *Schema[T]) Table() Table {
	t := s.table
	t.Columns = append([]Column(nil), s.table.Columns...)
	return t
}

// Name returns the table's name.
func (s *Schema[T]) Name() string { return s.table.Name }

// EncodedRows is rows encoded for PostRows: a JSON array of objects.
type EncodedRows struct {
	json []byte
	n    int
}

// MarshalJSON returns the JSON array.
func (e EncodedRows) MarshalJSON() ([]byte, error) {
	if e.json == nil {
		return []byte("[]"), nil
	}
	return e.json, nil
}

// Len returns how many rows there are.
func (e EncodedRows) Len() int { return e.n }

// Bytes returns the size of the JSON.
func (e EncodedRows) Bytes() int { return len(e.json) }

// EncodeReport counts what encoding changed: strings cut to
// MaxStringLength, per column.
type EncodeReport struct {
	Truncated map[string]int
}

// Total returns how many values were truncated.
func (r EncodeReport) Total() int {
	n := 0
	for _, v := range r.Truncated {
		n += v
	}
	return n
}

// Encode encodes rows for PostRows, checking every value: strings longer
// than MaxStringLength are cut, marked with TruncationMark and counted;
// a NaN or infinite Double, or a whole number beyond Power BI's range,
// fails with an error wrapping ErrValue that names the row and column.
// Times are sent in UTC in DatetimeLayout.
func (s *Schema[T]) Encode(rows []T) (EncodedRows, EncodeReport, error) {
	var rep EncodeReport
	b := make([]byte, 0, 64+len(rows)*len(s.fields)*24)
	b = append(b, '[')
	for i := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		v := reflect.ValueOf(&rows[i]).Elem()
		b = append(b, '{')
		first := true
		for _, f := range s.fields {
			fv := v.FieldByIndex(f.index)
			if f.ptr {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			if f.kind == Datetime && timeOf(fv).IsZero() {
				continue // null: absent
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, f.key...)
			var err error
			b, err = appendValue(b, f, fv, &rep)
			if err != nil {
				return EncodedRows{}, rep, fmt.Errorf("%w: table %s, row %d, column %s: %v", ErrValue, s.table.Name, i, f.name, err)
			}
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	return EncodedRows{json: b, n: len(rows)}, rep, nil
}

func appendValue(b []byte, f schemaField, v reflect.Value, rep *EncodeReport) ([]byte, error) {
	switch f.kind {
	case String:
		str, cut := truncate(v.String())
		if cut {
			if rep.Truncated == nil {
				rep.Truncated = map[string]int{}
			}
			rep.Truncated[f.name]++
		}
		return appendJSONString(b, str), nil
	case Boolean:
		return strconv.AppendBool(b, v.Bool()), nil
	case Int64:
		var n int64
		if v.CanInt() {
			n = v.Int()
		} else {
			n = int64(v.Uint()) // at most uint32
		}
		if n < MinInt64Value || n > MaxInt64Value {
			return b, fmt.Errorf("%d is beyond Power BI's whole numbers (%d to %d)", n, int64(MinInt64Value), int64(MaxInt64Value))
		}
		return strconv.AppendInt(b, n, 10), nil
	case Double:
		x := v.Float()
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return b, fmt.Errorf("%v is not a number Power BI can hold", x)
		}
		return strconv.AppendFloat(b, x, 'g', -1, 64), nil
	case Datetime:
		t := timeOf(v)
		b = append(b, '"')
		b = t.UTC().AppendFormat(b, DatetimeLayout)
		return append(b, '"'), nil
	}
	return b, fmt.Errorf("unknown column type %s", f.kind)
}

// timeOf returns the time.Time v holds; v is addressable (a field of a
// row reached through a pointer), so this does not allocate.
func timeOf(v reflect.Value) time.Time { return *v.Addr().Interface().(*time.Time) }

// truncate cuts s to MaxStringLength UTF-16 code units, the mark
// included, on a character boundary.
func truncate(s string) (string, bool) {
	if len(s) <= MaxStringLength { // bytes ≥ code units
		return s, false
	}
	units := 0
	for _, r := range s {
		units += utf16.RuneLen(r)
		if units > MaxStringLength {
			break
		}
	}
	if units <= MaxStringLength {
		return s, false
	}
	limit := MaxStringLength - len(utf16.Encode([]rune(TruncationMark)))
	units = 0
	for i, r := range s {
		n := utf16.RuneLen(r)
		if n < 0 {
			n = 1
		}
		if units+n > limit {
			return s[:i] + TruncationMark, true
		}
		units += n
	}
	return s, false
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// NewDatasetDefinition returns a push dataset's definition from its
// tables, checking the limits: at most 75 tables, unique names.
func NewDatasetDefinition(name string, tables ...Table) (DatasetDefinition, error) {
	if strings.TrimSpace(name) == "" {
		return DatasetDefinition{}, fmt.Errorf("%w: a dataset needs a name", ErrSchema)
	}
	if len(tables) == 0 {
		return DatasetDefinition{}, fmt.Errorf("%w: dataset %s has no table", ErrSchema, name)
	}
	if len(tables) > MaxTables {
		return DatasetDefinition{}, fmt.Errorf("%w: dataset %s has %d tables; a push dataset has at most %d", ErrSchema, name, len(tables), MaxTables)
	}
	seen := map[string]bool{}
	for _, t := range tables {
		if err := checkTableName(t.Name); err != nil {
			return DatasetDefinition{}, err
		}
		if len(t.Columns) > MaxColumns {
			return DatasetDefinition{}, fmt.Errorf("%w: table %s has %d columns; at most %d", ErrSchema, t.Name, len(t.Columns), MaxColumns)
		}
		k := strings.ToLower(t.Name)
		if seen[k] {
			return DatasetDefinition{}, fmt.Errorf("%w: dataset %s: table %s twice", ErrSchema, name, t.Name)
		}
		seen[k] = true
	}
	return DatasetDefinition{Name: name, Tables: tables, DefaultMode: "Push"}, nil
}
