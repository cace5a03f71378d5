package sqlsink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/pseudo"
)

// Sink writes the SDK's records to a database the caller opened. Create it
// with New; it is safe for concurrent use (each Write is one transaction).
type Sink struct {
	db     *sql.DB
	d      Dialect
	prefix string
	pseudo *pseudo.Pseudonymiser
	log    *slog.Logger
	now    func() time.Time

	copier  BulkCopier
	copyMin int
}

// Option configures a Sink.
type Option func(*Sink)

// WithPseudonymiser sets the privacy policy every write goes through. It is
// required: pass pseudo.Clear() to store clear data, a choice someone then
// wrote down.
func WithPseudonymiser(p *pseudo.Pseudonymiser) Option { return func(s *Sink) { s.pseudo = p } }

// WithTablePrefix puts prefix before every table name ("pbx1_" gives
// "pbx1_CDR_Summary"): several exports, or tests, in one database. Letters,
// digits and '_' only.
func WithTablePrefix(prefix string) Option { return func(s *Sink) { s.prefix = prefix } }

// WithLogger sets the logger for what the sink does (migrations applied,
// batches written). Default: nothing is logged.
func WithLogger(l *slog.Logger) Option { return func(s *Sink) { s.log = l } }

// WithClock sets the clock for the checkpoint's and the migrations' times
// (tests). Default: time.Now.
func WithClock(now func() time.Time) Option { return func(s *Sink) { s.now = now } }

// ErrNoPseudonymiser is returned by New without WithPseudonymiser.
var ErrNoPseudonymiser = errors.New("sqlsink: no privacy choice: pass WithPseudonymiser(p) with p from pseudo.New, or pseudo.Clear() to store clear data")

// New returns a sink writing to db in dialect d. It does not touch the
// database; call Migrate before the first Write.
func New(db *sql.DB, d Dialect, opts ...Option) (*Sink, error) {
	s := &Sink{db: db, d: d, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	var errs []error
	if db == nil {
		errs = append(errs, errors.New("sqlsink: nil *sql.DB"))
	}
	if d == nil {
		errs = append(errs, errors.New("sqlsink: nil Dialect: pass sqlsink.Postgres{}, MySQL{}, SQLServer{} or SQLite{}"))
	}
	if s.pseudo == nil {
		errs = append(errs, ErrNoPseudonymiser)
	}
	for i := 0; i < len(s.prefix); i++ {
		if c := s.prefix[i]; !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			errs = append(errs, fmt.Errorf("sqlsink: table prefix %q: letters, digits and '_' only", s.prefix))
			break
		}
	}
	if _, ok := d.(StagingDialect); s.copier != nil && d != nil && !ok {
		errs = append(errs, fmt.Errorf("sqlsink: WithBulkCopy: dialect %s has no staging table (only a StagingDialect has: Postgres)", d.Name()))
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Dialect returns the sink's dialect.
func (s *Sink) Dialect() Dialect { return s.d }

// TableName returns the name of a table as the sink writes it (with the
// prefix), e.g. TableName(TableLegs).
func (s *Sink) TableName(name string) string { return s.prefix + name }

// Batch is what one Write stores, in one transaction: calls (their legs go
// to CDR_Summary, their journeys to journeys), accounts (also to the
// Group_Call_Account and User_Call_Account dimensions), lost callers with
// their attempts, login-state history, live snapshots, and the checkpoint
// the batch advances. Every record goes through the sink's Pseudonymiser
// first.
type Batch struct {
	Calls             []callflow.Call
	Accounts          []cdr.Account
	LostCallers       []callflow.LostCaller
	UserLoginStates   []live.UserLoginState
	MemberLoginStates []live.MemberLoginState
	Users             []live.UserState
	Queues            []live.QueueState
	// Checkpoint, if set, is written in the same transaction: after a
	// crash, the database holds either the batch and its checkpoint or
	// neither.
	Checkpoint *Checkpoint
	// PipelineState, if set, is written in the same transaction too.
	PipelineState *PipelineState
}

// Result counts what a Write stored: rows sent per table (rows that
// repeated a key within the batch are counted once).
type Result struct {
	Rows map[string]int
}

// Write stores a batch in one transaction with batched multi-row upserts
// keyed on natural keys, so writing the same batch again changes nothing
// and a crash at any point followed by a re-run leaves exactly what a
// clean run leaves. An error names the table, the chunk and the row, and
// wraps the driver's error; nothing of the batch is then stored.
func (s *Sink) Write(ctx context.Context, b Batch) (Result, error) {
	res := Result{Rows: map[string]int{}}
	b, err := s.conceal(b)
	if err != nil {
		return res, err
	}
	w, err := s.begin(ctx)
	if err != nil {
		return res, err
	}
	defer w.rollback()
	tx := w.tx

	// A call re-emitted within the batch counts in its last version only:
	// an earlier version's legs beyond the last one's would stay.
	calls := latestCalls(b.Calls)
	if err := keepLateRowsApart(ctx, s, tx, calls); err != nil {
		return res, err
	}
	var legs []callflow.Leg
	var journeys []callflow.Journey
	for _, c := range calls {
		journeys = append(journeys, c.Journey)
		legs = append(legs, c.Legs...)
	}
	var groups, users []cdr.Account
	for _, a := range b.Accounts {
		if a.Type.IsGroup() {
			groups = append(groups, a)
		} else {
			users = append(users, a)
		}
	}
	var episodes []lostCallerRow
	var attempts []attemptRow
	for i := range b.LostCallers {
		c := &b.LostCallers[i]
		r := lostCallerRow{c: c}
		if len(c.Attempts) > 0 {
			r.site, r.firstCall = c.Attempts[0].Site, c.Attempts[0].CallID
		}
		episodes = append(episodes, r)
		for j := range c.Attempts {
			attempts = append(attempts, attemptRow{firstCall: r.firstCall, a: &c.Attempts[j]})
		}
	}
	steps := []func() error{
		func() error { return deleteStaleLegs(ctx, s, w.tx, calls) },
		func() error { return upsert(ctx, s, w, &legSpec, legs, res) },
		func() error { return upsert(ctx, s, w, &journeySpec, journeys, res) },
		func() error { return upsert(ctx, s, w, &accountSpec, b.Accounts, res) },
		func() error { return upsert(ctx, s, w, &groupCallAccountSpec, groups, res) },
		func() error { return upsert(ctx, s, w, &userCallAccountSpec, users, res) },
		func() error { return upsert(ctx, s, w, &lostCallerSpec, episodes, res) },
		func() error { return upsert(ctx, s, w, &attemptSpec, attempts, res) },
		func() error { return upsert(ctx, s, w, &userLoginSpec, b.UserLoginStates, res) },
		func() error { return upsert(ctx, s, w, &memberLoginSpec, b.MemberLoginStates, res) },
		func() error { return upsert(ctx, s, w, &liveUserSpec, b.Users, res) },
		func() error { return upsert(ctx, s, w, &liveQueueSpec, b.Queues, res) },
	}
	if b.Checkpoint != nil {
		cp := *b.Checkpoint
		if cp.UpdatedAt.IsZero() {
			cp.UpdatedAt = s.now()
		}
		steps = append(steps, func() error { return upsert(ctx, s, w, &checkpointSpec, []Checkpoint{cp}, res) })
	}
	if b.PipelineState != nil {
		ps := *b.PipelineState
		if ps.UpdatedAt.IsZero() {
			ps.UpdatedAt = s.now()
		}
		steps = append(steps, func() error { return upsert(ctx, s, w, &pipelineStateSpec, []PipelineState{ps}, res) })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return Result{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Result{}, fmt.Errorf("sqlsink: commit: %w", err)
	}
	s.log.LogAttrs(ctx, slog.LevelDebug, "sqlsink: batch written", slog.Any("rows", res.Rows))
	return res, nil
}

// conceal applies the Pseudonymiser to every record of the batch.
func (s *Sink) conceal(b Batch) (Batch, error) {
	var err error
	apply := func(batch any) {
		if err != nil {
			return
		}
		switch v := batch.(type) {
		case *[]callflow.Call:
			*v, err = pseudo.Apply(s.pseudo, *v)
		case *[]cdr.Account:
			*v, err = pseudo.Apply(s.pseudo, *v)
		case *[]callflow.LostCaller:
			*v, err = pseudo.Apply(s.pseudo, *v)
		case *[]live.UserState:
			*v, err = pseudo.Apply(s.pseudo, *v)
		case *[]live.QueueState:
			*v, err = pseudo.Apply(s.pseudo, *v)
		}
	}
	apply(&b.Calls)
	apply(&b.Accounts)
	apply(&b.LostCallers)
	apply(&b.Users)
	apply(&b.Queues)
	// Login states hold no personal field.
	return b, err
}

// WriteError is a failed write: which table, which chunk of the batch's
// rows for it (from 0), and the first row of the chunk (its index among
// the rows sent to the table, and its natural key). When the sink refused
// one value before sending it (a key longer than its column, ErrKeyTooLong),
// Row and Key are that row's and Column names the column.
type WriteError struct {
	Table  string
	Chunk  int
	Row    int
	Key    string
	Column string
	Err    error
}

func (e *WriteError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("sqlsink: table %s, chunk %d, row %d (key %s), column %s: %v", e.Table, e.Chunk, e.Row, e.Key, e.Column, e.Err)
	}
	return fmt.Sprintf("sqlsink: table %s, chunk %d (rows from %d, first key %s): %v", e.Table, e.Chunk, e.Row, e.Key, e.Err)
}

func (e *WriteError) Unwrap() error { return e.Err }

// upsert writes rows of one table in chunks under the dialect's limits,
// keeping the last of rows that share a key.
func upsert[T any](ctx context.Context, s *Sink, w *writer, sp *spec[T], rows []T, res Result) error {
	if len(rows) == 0 {
		return nil
	}
	t := sp.table(s.prefix)
	keyIdx := make([]int, len(t.Key))
	for i, k := range t.Key {
		for j, c := range t.Columns {
			if c.Name == k {
				keyIdx[i] = j
			}
		}
	}
	ncol := len(t.Columns)
	per := s.d.MaxParams() / ncol
	if m := s.d.MaxRows(); m > 0 && m < per {
		per = m
	}
	if per < 1 {
		return &WriteError{Table: t.Name, Err: fmt.Errorf("%d columns exceed the dialect's %d parameters", ncol, s.d.MaxParams())}
	}
	isKey := make([]bool, ncol)
	for _, k := range keyIdx {
		isKey[k] = true
	}
	// Deduplicate: a statement may not touch one key twice (PostgreSQL
	// refuses it); the last row of a key wins, as a second write would.
	vals := make([]any, 0, len(rows)*ncol)
	index := make(map[string]int, len(rows))
	keys := make([]string, 0, len(rows))
	var kb []byte
	for i := range rows {
		start := len(vals)
		for j, f := range sp.fields {
			v := f.val(&rows[i], s.d)
			if str, ok := v.(string); ok && f.col.Type == TypeText {
				var err error
				if v, err = s.d.BindText(str, isKey[j]); err != nil {
					return &WriteError{Table: t.Name, Chunk: len(keys) / per, Row: i, Key: rowKey(sp, &rows[i], keyIdx, s.d), Column: f.col.Name, Err: err}
				}
			}
			vals = append(vals, v)
		}
		kb = kb[:0]
		for _, k := range keyIdx {
			kb = appendKey(kb, vals[start+k])
		}
		key := string(kb)
		if at, ok := index[key]; ok {
			copy(vals[at*ncol:], vals[start:start+ncol])
			vals = vals[:start]
			continue
		}
		index[key] = len(keys)
		keys = append(keys, key)
	}
	n := len(keys)
	if w.conn != nil && n >= s.copyMin {
		if err := s.copyUpsert(ctx, w, t, vals, ncol, keyIdx); err != nil {
			return err
		}
		res.Rows[sp.name] += n
		return nil
	}
	tx := w.tx
	var stmt *sql.Stmt
	stmtRows := 0
	defer func() {
		if stmt != nil {
			stmt.Close()
		}
	}()
	for chunk, from := 0, 0; from < n; chunk, from = chunk+1, from+per {
		to := min(from+per, n)
		if stmt == nil || stmtRows != to-from {
			if stmt != nil {
				stmt.Close()
			}
			var err error
			stmt, err = tx.PrepareContext(ctx, s.d.Upsert(t, to-from))
			if err != nil {
				return &WriteError{Table: t.Name, Chunk: chunk, Row: from, Key: printableKey(vals, ncol, keyIdx, from), Err: err}
			}
			stmtRows = to - from
		}
		if _, err := stmt.ExecContext(ctx, vals[from*ncol:to*ncol]...); err != nil {
			return &WriteError{Table: t.Name, Chunk: chunk, Row: from, Key: printableKey(vals, ncol, keyIdx, from), Err: err}
		}
	}
	res.Rows[sp.name] += n
	return nil
}

// appendKey appends a key column's value, length-prefixed where it is
// text, so that no two different keys concatenate alike.
func appendKey(b []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
	case int64:
		b = strconv.AppendInt(b, v, 10)
	case time.Time:
		b = v.AppendFormat(b, time.RFC3339Nano)
	default:
		b = fmt.Append(b, v)
	}
	return append(b, 0)
}

// printableKey formats the key of the row-th row for an error message.
func printableKey(vals []any, ncol int, keyIdx []int, row int) string {
	parts := make([]any, len(keyIdx))
	for i, k := range keyIdx {
		parts[i] = vals[row*ncol+k]
	}
	return formatKey(parts)
}

// rowKey formats the key of a row as given, before binding.
func rowKey[T any](sp *spec[T], row *T, keyIdx []int, d Dialect) string {
	parts := make([]any, len(keyIdx))
	for i, k := range keyIdx {
		parts[i] = sp.fields[k].val(row, d)
	}
	return formatKey(parts)
}

// formatKey quotes each part, cut to maxKeyPart bytes: an error message
// stays one line of bounded length whatever a key holds.
func formatKey(parts []any) string {
	const maxKeyPart = 64
	var b strings.Builder
	b.WriteByte('(')
	for i, p := range parts {
		if i > 0 {
			b.WriteString(", ")
		}
		s := fmt.Sprint(p)
		if len(s) > maxKeyPart {
			fmt.Fprintf(&b, "%q… (%d bytes)", s[:maxKeyPart], len(s))
			continue
		}
		fmt.Fprintf(&b, "%q", s)
	}
	b.WriteByte(')')
	return b.String()
}

// callKey identifies a call.
type callKey struct{ site, callID string }

// latestCalls returns the calls with only the last version of each. Late
// rows of a call the batch holds whole are kept apart from it, as
// keepLateRowsApart keeps them apart from a stored call.
func latestCalls(calls []callflow.Call) []*callflow.Call {
	out := make([]*callflow.Call, 0, len(calls))
	at := make(map[callKey]int, len(calls))
	for i := range calls {
		c := &calls[i]
		k := callKey{c.Journey.Site, c.Journey.CallID}
		if j, ok := at[k]; ok && isLate(c) && !isLate(out[j]) {
			apart := callflow.KeepLateRowsApart(*c)
			c, k = &apart, callKey{apart.Journey.Site, apart.Journey.CallID}
		}
		if j, ok := at[k]; ok {
			out[j] = c
			continue
		}
		at[k] = len(out)
		out = append(out, c)
	}
	return out
}

// bindCallKey binds a call's site and call id as the keys of table are
// bound; an error is a *WriteError naming the row.
func bindCallKey(d Dialect, c *callflow.Call, table string, chunk, row int) (site, id any, err error) {
	key := func() string { return formatKey([]any{c.Journey.Site, c.Journey.CallID}) }
	if site, err = d.BindText(c.Journey.Site, true); err != nil {
		return nil, nil, &WriteError{Table: table, Chunk: chunk, Row: row, Key: key(), Column: "site", Err: err}
	}
	if id, err = d.BindText(c.Journey.CallID, true); err != nil {
		return nil, nil, &WriteError{Table: table, Chunk: chunk, Row: row, Key: key(), Column: "call_id", Err: err}
	}
	return site, id, nil
}

func isLate(c *callflow.Call) bool { return c.Journey.Flags&callflow.FlagLateRows != 0 }

// keepLateRowsApart looks up the calls with FlagLateRows in the journeys
// table. Such a call is rows that came after the Assembler forgot their
// call: either a whole call read late (an old export dropped in later),
// stored as it is, or the late part of a call stored complete before.
// Upserted under its call id, the late part would replace the complete
// call and delete its legs; when the stored call has no FlagLateRows, the
// late part is stored beside it under callflow.KeepLateRowsApart's id.
func keepLateRowsApart(ctx context.Context, s *Sink, tx *sql.Tx, calls []*callflow.Call) error {
	var late []int
	for i, c := range calls {
		if isLate(c) && !strings.HasSuffix(c.Journey.CallID, callflow.LateRowsSuffix) {
			late = append(late, i)
		}
	}
	d := s.d
	table := s.prefix + TableJourneys
	if len(late) > 0 {
		// Take the write lock before reading: in SQLite a transaction that
		// read first cannot write once another connection has written
		// (SQLITE_BUSY at once, whatever the busy timeout).
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+d.Quote(table)+" WHERE 1 = 0"); err != nil {
			return &WriteError{Table: table, Err: fmt.Errorf("looking up the calls late rows belong to: %w", err)}
		}
	}
	per := min(d.MaxParams()/2, 500)
	for chunk, from := 0, 0; from < len(late); chunk, from = chunk+1, from+per {
		to := min(from+per, len(late))
		var b strings.Builder
		b.WriteString("SELECT " + d.Quote("site") + ", " + d.Quote("call_id") + ", " + d.Quote("flags") + " FROM " + d.Quote(table) + " WHERE ")
		args := make([]any, 0, 2*(to-from))
		byKey := make(map[[2]string]int, to-from)
		for n, i := range late[from:to] {
			site, id, err := bindCallKey(d, calls[i], table, chunk, from+n)
			if err != nil {
				return err
			}
			if n > 0 {
				b.WriteString(" OR ")
			}
			b.WriteString("(" + d.Quote("site") + " = " + d.Placeholder(len(args)+1) + " AND " + d.Quote("call_id") + " = " + d.Placeholder(len(args)+2) + ")")
			args = append(args, site, id)
			byKey[[2]string{fmt.Sprint(site), fmt.Sprint(id)}] = i
		}
		rows, err := tx.QueryContext(ctx, b.String(), args...)
		if err != nil {
			c := calls[late[from]]
			return &WriteError{Table: table, Chunk: chunk, Row: from, Key: formatKey([]any{c.Journey.Site, c.Journey.CallID}), Err: fmt.Errorf("looking up the calls late rows belong to: %w", err)}
		}
		for rows.Next() {
			var site, id, flags string
			if err := rows.Scan(&site, &id, &flags); err != nil {
				rows.Close()
				return &WriteError{Table: table, Chunk: chunk, Err: fmt.Errorf("looking up the calls late rows belong to: %w", err)}
			}
			i, ok := byKey[[2]string{site, id}]
			if ok && !strings.Contains(flags, callflow.FlagLateRows.String()) {
				apart := callflow.KeepLateRowsApart(*calls[i])
				calls[i] = &apart
			}
		}
		err = rows.Err()
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return &WriteError{Table: table, Chunk: chunk, Err: fmt.Errorf("looking up the calls late rows belong to: %w", err)}
		}
	}
	return nil
}

// deleteStaleLegs deletes the legs that an earlier version of a call had
// beyond the legs it has now: a call re-emitted with late rows can have
// fewer legs (a busy leg becomes part of a forward), and an upsert alone
// would keep the old ones, counted in every KPI. Legs are numbered 0, 1, …
// so those are the legs numbered len(Legs) and up.
func deleteStaleLegs(ctx context.Context, s *Sink, tx *sql.Tx, calls []*callflow.Call) error {
	d := s.d
	table := s.prefix + TableLegs
	per := min(d.MaxParams()/3, 500) // a long OR list costs the planner more than a statement
	for chunk, from := 0, 0; from < len(calls); chunk, from = chunk+1, from+per {
		to := min(from+per, len(calls))
		var b strings.Builder
		b.WriteString("DELETE FROM " + d.Quote(table) + " WHERE ")
		args := make([]any, 0, 3*(to-from))
		for i, c := range calls[from:to] {
			site, id, err := bindCallKey(d, c, table, chunk, from+i)
			if err != nil {
				return err
			}
			if i > 0 {
				b.WriteString(" OR ")
			}
			n := len(args)
			b.WriteString("(" + d.Quote("site") + " = " + d.Placeholder(n+1) + " AND " + d.Quote("call_id") + " = " + d.Placeholder(n+2) +
				" AND " + d.Quote("leg_seq") + " >= " + d.Placeholder(n+3) + ")")
			args = append(args, site, id, int64(len(c.Legs)))
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			c := calls[from]
			return &WriteError{Table: table, Chunk: chunk, Row: from, Key: formatKey([]any{c.Journey.Site, c.Journey.CallID}), Err: fmt.Errorf("deleting legs of an earlier version: %w", err)}
		}
	}
	return nil
}
