package sqlsink

import (
	"fmt"
	"time"
)

// scanTime converts what a driver returns for a time column: a time.Time
// (PostgreSQL, MySQL with parseTime, SQL Server), or the SQLite dialect's
// text, or []byte of either text form; nil is the zero time.
func scanTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return t.UTC(), nil
	case []byte:
		return parseTimeText(string(t))
	case string:
		return parseTimeText(t)
	}
	return time.Time{}, fmt.Errorf("unexpected %T for a time", v)
}

func parseTimeText(s string) (time.Time, error) {
	for _, layout := range []string{TimeLayout, time.RFC3339Nano, "2006-01-02 15:04:05.999999", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time", s)
}
