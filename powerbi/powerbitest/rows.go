package powerbitest

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Power BI's whole-number range: Int64 without its two extreme values.
const (
	minWholeNumber = -9223372036854775807
	maxWholeNumber = 9223372036854775806
)

// datetimeLayouts are the ISO 8601 forms the fake accepts for a Datetime
// value: RFC 3339 with or without fractional seconds, the same without a
// zone (local time, as Power BI takes it), and a bare date.
var datetimeLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

// checkRows checks every value of rows (decoded with json.Number for
// numbers) against the table's columns and returns them as stored.
func checkRows(decoded []any, t *Table, maxString int) ([]map[string]any, error) {
	out := make([]map[string]any, 0, len(decoded))
	for i, v := range decoded {
		row, ok := v.(map[string]any)
		if !ok {
			return nil, invalid(fmt.Sprintf("rows[%d]", i), "want a JSON object of column: value, got %s", jsonKind(v))
		}
		for _, name := range sortedKeys(row) {
			col := t.column(name)
			if col == nil {
				return nil, invalid(fmt.Sprintf("rows[%d]", i), "unknown column %q (table %q has: %s)", name, t.Name, columnNames(t))
			}
			if err := checkValue(row[name], col.DataType, maxString); err != nil {
				return nil, invalid(fmt.Sprintf("rows[%d].%s", i, name), "%s column: %v", col.DataType, err)
			}
		}
		out = append(out, row)
	}
	return out, nil
}

func columnNames(t *Table) string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// checkValue checks one value (decoded with UseNumber) against a column
// type; null fits every type.
func checkValue(v any, dataType string, maxString int) error {
	if v == nil {
		return nil
	}
	switch dataType {
	case TypeInt64:
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("want a JSON integer, got %s", jsonKind(v))
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return fmt.Errorf("%s is outside Power BI's whole-number range %d..%d", n, int64(minWholeNumber), int64(maxWholeNumber))
			}
			return fmt.Errorf("want a JSON integer, got %s", n)
		}
		if i < minWholeNumber || i > maxWholeNumber {
			return fmt.Errorf("%s is outside Power BI's whole-number range %d..%d", n, int64(minWholeNumber), int64(maxWholeNumber))
		}
	case TypeDouble, TypeDecimal:
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("want a JSON number, got %s", jsonKind(v))
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("%s is not a finite double", n)
		}
	case TypeBoolean:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("want a JSON boolean, got %s", jsonKind(v))
		}
	case TypeDatetime:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want an ISO 8601 date-time string, got %s", jsonKind(v))
		}
		if !parsesAsDatetime(s) {
			return fmt.Errorf("%q is not an ISO 8601 / RFC 3339 date-time", s)
		}
	case TypeString:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want a JSON string, got %s", jsonKind(v))
		}
		if n := utf16Len(s); maxString > 0 && n > maxString {
			return fmt.Errorf("%d characters, more than the limit of %d", n, maxString)
		}
	}
	return nil
}

func parsesAsDatetime(s string) bool {
	for _, layout := range datetimeLayouts {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// utf16Len is the string's length in UTF-16 code units, the unit of the
// service's .NET strings: a character outside the Basic Multilingual
// Plane (an emoji) counts twice.
func utf16Len(s string) int {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}

func jsonKind(v any) string {
	switch v.(type) {
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// cloneRow returns a copy of a stored row; values are immutable
// (json.Number, string, bool, nil) except nested arrays and objects,
// which checkValue never lets through for a known column type.
func cloneRow(r map[string]any) map[string]any { return maps.Clone(r) }
