package cdr

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Berlin, the default zone, on systems without a zone database
)

// PlaceholderStyle is how a database driver spells query parameters. It also
// selects how the table name is quoted.
type PlaceholderStyle uint8

// The placeholder styles.
const (
	// Dollar writes $1, $2 and quotes names with double quotes: PostgreSQL
	// (the STARFACE database). The default.
	Dollar PlaceholderStyle = iota
	// Question writes ? and quotes names with backticks: MySQL, MariaDB and
	// SQLite.
	Question
)

// String returns "dollar" or "question".
func (s PlaceholderStyle) String() string {
	switch s {
	case Dollar:
		return "dollar"
	case Question:
		return "question"
	}
	return "PlaceholderStyle(" + strconv.Itoa(int(s)) + ")"
}

// DefaultDBBatchSize is the number of rows ReadDB fetches per query unless
// WithBatchSize says otherwise.
const DefaultDBBatchSize = 5000

// DefaultDBTable is the STARFACE call-list table ReadDB reads unless
// WithTable says otherwise.
const DefaultDBTable = "cdrdata"

// DBError reports a problem with one column of the call-list table: a value
// of row ID that could not be converted, or (ID 0, Err wrapping
// ErrMissingColumn) a required column the table lacks.
type DBError struct {
	Table  string // the table as given to WithTable, e.g. "cdrdata"
	ID     int64  // the row's id; 0 when the error is not about one row
	Column string // the column name as the database reports it
	Value  string // the offending value as text, shortened; "" for a missing column
	Err    error
}

// Error names the table, the row id and the column.
func (e *DBError) Error() string {
	var b strings.Builder
	b.WriteString("cdr: table ")
	b.WriteString(e.Table)
	if e.ID != 0 || !errors.Is(e.Err, ErrMissingColumn) {
		b.WriteString(", row id ")
		b.WriteString(strconv.FormatInt(e.ID, 10))
	}
	b.WriteString(", column ")
	b.WriteString(e.Column)
	if e.Value != "" {
		b.WriteString(", value ")
		b.WriteString(strconv.Quote(e.Value))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *DBError) Unwrap() error { return e.Err }

// DBOption configures ReadDB.
type DBOption func(*dbConfig)

type dbConfig struct {
	table     string
	afterID   int64
	batchSize int
	style     PlaceholderStyle
	loc       *time.Location
	site      string
	errs      []error
}

// WithTable sets the table to read; the default is "cdrdata". The name may be
// schema-qualified ("public.cdrdata") or database- and schema-qualified
// ("asterisk.public.cdrdata"). Every part must consist of ASCII letters,
// digits and underscores; each is quoted (see PlaceholderStyle), so on
// PostgreSQL the name is matched case-sensitively: write it in lower case as
// STARFACE does.
func WithTable(name string) DBOption {
	return func(c *dbConfig) { c.table = name }
}

// WithAfterID makes ReadDB return only rows with an id greater than id: the
// incremental cursor. Pass the ID of the last Entry a previous read yielded.
func WithAfterID(id int64) DBOption {
	return func(c *dbConfig) { c.afterID = id }
}

// WithBatchSize sets the number of rows fetched per query (default
// DefaultDBBatchSize). It bounds ReadDB's memory. It must be positive.
func WithBatchSize(n int) DBOption {
	return func(c *dbConfig) {
		if n <= 0 {
			c.errs = append(c.errs, fmt.Errorf("cdr: WithBatchSize(%d): the batch size must be positive", n))
			return
		}
		c.batchSize = n
	}
}

// WithPlaceholders sets the driver's parameter style: Dollar (PostgreSQL, the
// default) or Question (MySQL, MariaDB, SQLite).
func WithPlaceholders(style PlaceholderStyle) DBOption {
	return func(c *dbConfig) {
		if style != Dollar && style != Question {
			c.errs = append(c.errs, fmt.Errorf("cdr: WithPlaceholders(%v): unknown style", style))
			return
		}
		c.style = style
	}
}

// WithDBLocation sets the zone in which times without a zone are read:
// timestamp columns without time zone (PostgreSQL timestamp, MySQL DATETIME
// and TIMESTAMP, SQLite DATETIME) and text times. The default is
// Europe/Berlin. Epoch milliseconds and zoned values keep their instant and
// are only presented in loc.
func WithDBLocation(loc *time.Location) DBOption {
	return func(c *dbConfig) {
		if loc == nil {
			c.errs = append(c.errs, errors.New("cdr: WithDBLocation(nil): a location is required"))
			return
		}
		c.loc = loc
	}
}

// WithDBSite sets Entry.Site on every entry read, naming the PBX the rows
// come from.
func WithDBSite(site string) DBOption {
	return func(c *dbConfig) { c.site = site }
}

var dbBerlin = sync.OnceValues(func() (*time.Location, error) {
	return time.LoadLocation("Europe/Berlin")
})

// ReadDB reads the STARFACE call-list table (cdrdata in the PBX database) from db
// in id order. db may be any database/sql driver: the library imports none.
// ReadDB only reads.
//
// It runs
//
//	SELECT * FROM <table> WHERE id > $1 ORDER BY id LIMIT $2
//
// (with ? placeholders under WithPlaceholders(Question)) in batches of
// WithBatchSize rows, starting after WithAfterID, until a batch comes back
// short. Each batch runs in its own read-only transaction; a driver that
// refuses read-only transactions (BeginTx fails) is read with plain queries
// instead, which read the same rows but not from one snapshot per batch. A
// batch is fetched completely and its transaction ended before its rows are
// yielded, so the loop body may use db itself, and memory is bounded by the
// batch size.
//
// Columns are mapped by name, case-insensitively; unknown columns are
// ignored, so the table may be of any STARFACE version. Both spellings
// answeredelsewhere and answeredelswhere are accepted. The columns id,
// callid, cdraccountid, calleraccountid, calledaccountid and starttime are
// required: if one is missing, ReadDB yields one error (a *DBError per
// missing column, wrapping ErrMissingColumn) and stops.
//
// Values are converted by their type, so the same table works on
// PostgreSQL, MySQL/MariaDB and SQLite. NULL is the zero value. Time columns
// may hold epoch milliseconds (the STARFACE form; 0 is the zero time), a
// timestamp (see WithDBLocation for zoneless ones) or text: "dd.MM.yyyy
// HH:mm:ss", RFC 3339, "yyyy-MM-dd HH:mm:ss" or digits (epoch milliseconds).
// Flags may be booleans, the integers 0 and 1, or text (true/false, t/f,
// 1/0, yes/no, on/off). Caller-id columns are split with ParseCallerID.
//
// A value that cannot be converted yields a *DBError naming the row's id and
// the column (several at once are joined with errors.Join), together with the
// Entry holding the row's ID and every column that did convert; iteration
// continues with the next row. Rows are never dropped: deleted rows
// (Entry.Deleted) are yielded as well. A failing query or a cancelled ctx
// yields one error wrapping the cause, with a zero Entry, and ends the
// iteration; so does a row whose id cannot be read, because the cursor could
// not move past it.
//
// To read incrementally, record the ID of the last Entry yielded (including
// one yielded with a row error, whose ID is set) and pass it with
// WithAfterID to the next ReadDB:
//
//	for e, err := range cdr.ReadDB(ctx, db, cdr.WithAfterID(last)) {
//		if e.ID > last {
//			last = e.ID // persist it with what you did with e
//		}
//		...
//	}
func ReadDB(ctx context.Context, db *sql.DB, opts ...DBOption) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		r, err := newDBReader(db, opts)
		if err != nil {
			yield(Entry{}, err)
			return
		}
		after := r.cfg.afterID
		for {
			if err := ctx.Err(); err != nil {
				yield(Entry{}, r.queryErr(ctx, after, err))
				return
			}
			rows, last, n, err := r.batch(ctx, after)
			for _, row := range rows {
				if cerr := ctx.Err(); cerr != nil {
					yield(Entry{}, r.queryErr(ctx, after, cerr))
					return
				}
				if !yield(row.e, row.err) {
					return
				}
			}
			if err != nil {
				yield(Entry{}, err)
				return
			}
			if n < r.cfg.batchSize {
				return
			}
			if last <= after {
				// Cannot happen with ORDER BY id on an id greater than after,
				// but a broken driver or collation must not loop forever.
				yield(Entry{}, fmt.Errorf("cdr: reading %s after id %d: the batch's last id %d does not advance the cursor", r.cfg.table, after, last))
				return
			}
			after = last
		}
	}
}

// dbRow is one converted row of a batch.
type dbRow struct {
	e   Entry
	err error
}

type dbReader struct {
	db         *sql.DB
	cfg        dbConfig
	query      string
	noReadOnly bool // the driver refused a read-only transaction
}

func newDBReader(db *sql.DB, opts []DBOption) (*dbReader, error) {
	cfg := dbConfig{table: DefaultDBTable, batchSize: DefaultDBBatchSize, style: Dollar}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if err := errors.Join(cfg.errs...); err != nil {
		return nil, err
	}
	if db == nil {
		return nil, errors.New("cdr: ReadDB: db is nil")
	}
	if cfg.loc == nil {
		loc, err := dbBerlin()
		if err != nil {
			return nil, fmt.Errorf("cdr: ReadDB: loading the default zone: %w", err)
		}
		cfg.loc = loc
	}
	quoted, err := dbQuoteTable(cfg.table, cfg.style)
	if err != nil {
		return nil, err
	}
	var q string
	if cfg.style == Dollar {
		q = "SELECT * FROM " + quoted + " WHERE id > $1 ORDER BY id LIMIT $2"
	} else {
		q = "SELECT * FROM " + quoted + " WHERE id > ? ORDER BY id LIMIT ?"
	}
	return &dbReader{db: db, cfg: cfg, query: q}, nil
}

// dbQuoteTable validates a possibly qualified table name and quotes each
// part.
func dbQuoteTable(name string, style PlaceholderStyle) (string, error) {
	parts := strings.Split(name, ".")
	if len(parts) > 3 {
		return "", fmt.Errorf("cdr: WithTable(%q): at most database.schema.table", name)
	}
	q := byte('"')
	if style == Question {
		q = '`'
	}
	var b strings.Builder
	for i, p := range parts {
		if p == "" || len(p) > 64 {
			return "", fmt.Errorf("cdr: WithTable(%q): part %d must be 1 to 64 characters", name, i+1)
		}
		for j := 0; j < len(p); j++ {
			c := p[j]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
				return "", fmt.Errorf("cdr: WithTable(%q): only letters, digits and _ are allowed in a name part, got %q", name, c)
			}
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteByte(q)
		b.WriteString(p)
		b.WriteByte(q)
	}
	return b.String(), nil
}

// queryErr wraps an error of a whole query. When ctx is done, the result
// wraps ctx's error so that errors.Is(err, context.Canceled) holds even when
// the driver reports the cancellation in its own words.
func (r *dbReader) queryErr(ctx context.Context, after int64, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("cdr: reading %s after id %d: %w (%w)", r.cfg.table, after, cerr, err)
	}
	return fmt.Errorf("cdr: reading %s after id %d: %w", r.cfg.table, after, err)
}

// batch reads up to batchSize rows after the cursor. It returns the
// converted rows, the id of the last row, the number of rows read and an
// error that ends the iteration (after the returned rows were yielded).
func (r *dbReader) batch(ctx context.Context, after int64) (out []dbRow, last int64, n int, err error) {
	var (
		rows    *sql.Rows
		tx      *sql.Tx
		beginEr error
	)
	if !r.noReadOnly {
		tx, beginEr = r.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if beginEr != nil {
			if ctx.Err() != nil {
				return nil, after, 0, r.queryErr(ctx, after, beginEr)
			}
			// The driver may not support read-only transactions: fall
			// back to plain queries. If the server is down, the query
			// below fails and reports it.
			r.noReadOnly = true
		}
	}
	if tx != nil {
		defer tx.Rollback() // read-only: nothing to keep
		rows, err = tx.QueryContext(ctx, r.query, after, r.cfg.batchSize)
	} else {
		rows, err = r.db.QueryContext(ctx, r.query, after, r.cfg.batchSize)
	}
	if err != nil {
		if beginEr != nil {
			err = fmt.Errorf("%w (a read-only transaction failed before: %v)", err, beginEr)
		}
		return nil, after, 0, r.queryErr(ctx, after, err)
	}
	defer rows.Close()

	cols, err := rows.Columns()
	if err != nil {
		return nil, after, 0, r.queryErr(ctx, after, err)
	}
	m := r.mapColumns(rows, cols)
	if len(m.missing) > 0 {
		errs := make([]error, len(m.missing))
		for i, c := range m.missing {
			errs[i] = &DBError{Table: r.cfg.table, Column: c, Err: ErrMissingColumn}
		}
		return nil, after, 0, errors.Join(errs...)
	}

	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	last = after
	out = make([]dbRow, 0, min(r.cfg.batchSize, 1024))
	for rows.Next() {
		clear(vals)
		if err := rows.Scan(ptrs...); err != nil {
			return out, last, n, r.queryErr(ctx, last, err)
		}
		n++
		id, err := dbInt(vals[m.id])
		if err == nil && vals[m.id] == nil {
			err = errors.New("id is NULL")
		}
		if err != nil {
			// Without the id the cursor cannot move past this row.
			return out, last, n, fmt.Errorf("cdr: reading %s: the row after id %d: column %s, value %q: %w; cannot read past it",
				r.cfg.table, last, cols[m.id], dbShow(vals[m.id]), err)
		}
		last = id
		out = append(out, r.convert(id, cols, m, vals))
	}
	if err := rows.Err(); err != nil {
		return out, last, n, r.queryErr(ctx, last, err)
	}
	return out, last, n, nil
}

// dbMapping maps the result columns of one query to Entry fields.
type dbMapping struct {
	fields  []colKind
	zoned   []bool // the column's type carries a time zone
	id      int    // index of the id column
	missing []string
}

func (r *dbReader) mapColumns(rows *sql.Rows, cols []string) dbMapping {
	m := dbMapping{fields: make([]colKind, len(cols)), zoned: make([]bool, len(cols)), id: -1}
	seen := make(map[colKind]bool, len(cols))
	for i, c := range cols {
		f := columnsByName[strings.ToLower(strings.TrimSpace(c))]
		m.fields[i] = f
		seen[f] = true
		if f == colID && m.id < 0 {
			m.id = i
		}
	}
	if types, err := rows.ColumnTypes(); err == nil && len(types) == len(cols) {
		for i, t := range types {
			name := strings.ToUpper(t.DatabaseTypeName())
			m.zoned[i] = strings.Contains(name, "TIMESTAMPTZ") || strings.Contains(name, "WITH TIME ZONE")
		}
	}
	for _, name := range requiredColumns {
		if !seen[columnsByName[name]] {
			m.missing = append(m.missing, name)
		}
	}
	return m
}

// convert turns one scanned row into an Entry, collecting one DBError per
// column that did not convert.
func (r *dbReader) convert(id int64, cols []string, m dbMapping, vals []any) dbRow {
	e := Entry{ID: id, Site: r.cfg.site}
	var errs []error
	loc := r.cfg.loc
	for i, f := range m.fields {
		v := vals[i]
		if f == colIgnore || f == colID || v == nil {
			continue
		}
		var err error
		switch f {
		case colCallID:
			e.CallID, err = dbString(v, loc)
		case colCallStepID:
			e.CallStepID, err = dbString(v, loc)
		case colCallLegUUID:
			e.CallLegUUID, err = dbString(v, loc)
		case colChannelName:
			e.ChannelName, err = dbString(v, loc)
		case colCDRAccountID:
			e.CDRAccountID, err = dbAccount(v)
		case colCallerAccountID:
			e.CallerAccountID, err = dbAccount(v)
		case colCalledAccountID:
			e.CalledAccountID, err = dbAccount(v)
		case colAnsweredElsewhere:
			var a AccountID
			if a, err = dbAccount(v); err == nil && a != 0 {
				e.AnsweredElsewhere = a
			}
		case colCallerCallerID:
			var s string
			s, err = dbString(v, loc)
			e.CallerCallerID = ParseCallerID(s)
		case colCalledCallerID:
			var s string
			s, err = dbString(v, loc)
			e.CalledCallerID = ParseCallerID(s)
		case colServiceID:
			e.ServiceID, err = dbInt(v)
		case colDuration:
			e.Duration, err = dbInt(v)
		case colStartTime:
			e.StartTime, err = dbTime(v, m.zoned[i], loc)
		case colRingingTime:
			e.RingingTime, err = dbTime(v, m.zoned[i], loc)
		case colLinkTime:
			e.LinkTime, err = dbTime(v, m.zoned[i], loc)
		case colCallResultTime:
			e.CallResultTime, err = dbTime(v, m.zoned[i], loc)
		case colCallResult:
			var s string
			s, err = dbString(v, loc)
			e.CallResult = CallResult(s)
		case colCallResultCausedBy:
			e.CallResultCausedBy, err = dbString(v, loc)
		case colLineID:
			e.LineID, err = dbString(v, loc)
		case colLineName:
			e.LineName, err = dbString(v, loc)
		case colCallbackNumber:
			e.CallbackNumber, err = dbString(v, loc)
		case colLogin:
			e.Login, err = dbString(v, loc)
		case colStartTimeFormatted:
			e.StartTimeFormatted, err = dbString(v, loc)
		case colCallbackNumberExtern:
			e.CallbackNumberExtern, err = dbBool(v)
		case colIncoming:
			e.Incoming, err = dbBool(v)
		case colAnswered:
			e.Answered, err = dbBool(v)
		case colHasVoicemail:
			e.HasVoicemail, err = dbBool(v)
		case colHasMonitor:
			e.HasMonitor, err = dbBool(v)
		case colHasFax:
			e.HasFax, err = dbBool(v)
		case colDeleted:
			e.Deleted, err = dbBool(v)
		case colPrivateCall:
			e.PrivateCall, err = dbBool(v)
		case colSummaryStep:
			e.SummaryStep, err = dbBool(v)
		}
		if err != nil {
			errs = append(errs, &DBError{Table: r.cfg.table, ID: id, Column: cols[i], Value: dbShow(v), Err: err})
		}
	}
	return dbRow{e: e, err: errors.Join(errs...)}
}

// dbShow renders a value for an error message, shortened.
func dbShow(v any) string {
	var s string
	switch v := v.(type) {
	case nil:
		return ""
	case []byte:
		s = string(v)
	case string:
		s = v
	case time.Time:
		s = v.Format(time.RFC3339Nano)
	default:
		s = fmt.Sprint(v)
	}
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return s
}

// dbText returns the text of a string or []byte value.
func dbText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	}
	return "", false
}

// dbInt converts an integer column. NULL and empty text are 0.
func dbInt(v any) (int64, error) {
	switch v := v.(type) {
	case nil:
		return 0, nil
	case int64:
		return v, nil
	case int32:
		return int64(v), nil
	case int:
		return int64(v), nil
	case int16:
		return int64(v), nil
	case int8:
		return int64(v), nil
	case uint64:
		if v > math.MaxInt64 {
			return 0, errors.New("integer out of range")
		}
		return int64(v), nil
	case uint32:
		return int64(v), nil
	case uint16:
		return int64(v), nil
	case uint8:
		return int64(v), nil
	case float64:
		return dbFloatInt(v)
	case float32:
		return dbFloatInt(float64(v))
	}
	s, ok := dbText(v)
	if !ok {
		return 0, fmt.Errorf("cannot convert %T to an integer", v)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err == nil {
		return n, nil
	}
	// NUMERIC columns arrive as text such as "12.0".
	if f, ferr := strconv.ParseFloat(s, 64); ferr == nil {
		if n, ierr := dbFloatInt(f); ierr == nil {
			return n, nil
		}
	}
	return 0, errors.New("not an integer")
}

func dbFloatInt(f float64) (int64, error) {
	if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, fmt.Errorf("%v is not an integer", f)
	}
	return int64(f), nil
}

func dbAccount(v any) (AccountID, error) {
	n, err := dbInt(v)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, fmt.Errorf("negative account id %d", n)
	}
	return AccountID(n), nil
}

// dbString converts a text column. Numbers are written in decimal, times as
// dd.MM.yyyy HH:mm:ss in loc.
func dbString(v any, loc *time.Location) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case int64, int32, int, int16, int8, uint64, uint32, uint16, uint8:
		return fmt.Sprint(v), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32), nil
	case bool:
		return strconv.FormatBool(v), nil
	case time.Time:
		if v.IsZero() {
			return "", nil
		}
		return v.In(loc).Format("02.01.2006 15:04:05"), nil
	case fmt.Stringer:
		return v.String(), nil
	}
	return "", fmt.Errorf("cannot convert %T to text", v)
}

// dbBool converts a flag column.
func dbBool(v any) (bool, error) {
	switch v := v.(type) {
	case nil:
		return false, nil
	case bool:
		return v, nil
	case []byte:
		// MySQL BIT(1) arrives as one raw byte.
		if len(v) == 1 && v[0] <= 1 {
			return v[0] == 1, nil
		}
	}
	if s, ok := dbText(v); ok {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "t", "1", "yes", "y", "on":
			return true, nil
		case "false", "f", "0", "no", "n", "off", "":
			return false, nil
		}
		return false, errors.New("not a boolean (want true/false, t/f, 1/0, yes/no or on/off)")
	}
	n, err := dbInt(v)
	if err != nil {
		return false, fmt.Errorf("cannot convert %T to a boolean", v)
	}
	switch n {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, fmt.Errorf("integer %d is not a boolean (want 0 or 1)", n)
}

// dbTime converts a time column. zoned reports whether the column's type
// carries a zone; the wall clock of other timestamps is read in loc.
func dbTime(v any, zoned bool, loc *time.Location) (time.Time, error) {
	switch v := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		if v.IsZero() {
			return time.Time{}, nil
		}
		if zoned {
			return v.In(loc), nil
		}
		y, mo, d := v.Date()
		h, mi, s := v.Clock()
		return time.Date(y, mo, d, h, mi, s, v.Nanosecond(), loc), nil
	}
	if s, ok := dbText(v); ok {
		return dbParseTime(strings.TrimSpace(s), loc)
	}
	ms, err := dbInt(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("cannot convert %T to a time", v)
	}
	return dbMillis(ms, loc)
}

func dbMillis(ms int64, loc *time.Location) (time.Time, error) {
	switch {
	case ms == 0:
		return time.Time{}, nil
	case ms < 0:
		return time.Time{}, fmt.Errorf("negative epoch milliseconds %d", ms)
	}
	return time.UnixMilli(ms).In(loc), nil
}

// dbZonelessLayouts are text forms read in the configured zone.
var dbZonelessLayouts = []string{
	"02.01.2006 15:04:05",
	"02.01.2006 15:04",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
}

// dbZonedLayouts are text forms that carry their own offset.
var dbZonedLayouts = []string{
	time.RFC3339,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z07", // PostgreSQL's text form of timestamptz
}

func dbParseTime(s string, loc *time.Location) (time.Time, error) {
	if s == "" || strings.HasPrefix(s, "0000-00-00") {
		return time.Time{}, nil
	}
	if s[0] >= '0' && s[0] <= '9' || s[0] == '-' {
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			return dbMillis(ms, loc)
		}
	}
	for _, l := range dbZonedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.In(loc), nil
		}
	}
	for _, l := range dbZonelessLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not a time (want epoch milliseconds, dd.MM.yyyy HH:mm:ss or RFC 3339)")
}
