package powerbi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/sqlsink"
)

// Outbox keeps POST rows requests in a database until Power BI has
// acknowledged them: rows waiting out a long Retry-After (an hour has been
// seen) survive a restart. Any database sqlsink has a dialect for will do;
// a local SQLite file is the default of the examples. The package imports
// no driver: the caller opens the *sql.DB.
//
// One process at a time may send from an outbox (its requests are
// numbered in the database, sent in order).
//
// POST rows is not idempotent. The outbox marks a request as sent before
// it sends it and deletes it once Power BI answered 200. A request that
// was sent but not acknowledged (a timeout, a 5xx, the process killed
// mid-request) is sent again: no row is lost, but the service may then
// hold its rows twice. SendResult.Unsure counts such requests, and the
// logger names them.
type Outbox struct {
	db     *sql.DB
	d      sqlsink.Dialect
	prefix string
	log    *slog.Logger
	now    func() time.Time
	mu     sync.Mutex // one writer in this process
}

// OutboxOption configures an Outbox.
type OutboxOption func(*Outbox)

// WithOutboxPrefix puts prefix before the outbox's table names.
func WithOutboxPrefix(prefix string) OutboxOption { return func(o *Outbox) { o.prefix = prefix } }

// WithOutboxLogger logs requests stored, sent again and acknowledged.
func WithOutboxLogger(l *slog.Logger) OutboxOption {
	return func(o *Outbox) {
		if l != nil {
			o.log = l
		}
	}
}

// WithOutboxClock sets the clock of the outbox's times (tests).
func WithOutboxClock(now func() time.Time) OutboxOption { return func(o *Outbox) { o.now = now } }

// The outbox's tables, before the prefix.
const (
	TableOutbox     = "powerbi_outbox"
	TableLaneStates = "powerbi_lane_states"
	TablePosted     = "powerbi_posted_calls"
)

var (
	outboxTable = sqlsink.Table{Name: TableOutbox, Key: []string{"id"}, Columns: []sqlsink.Column{
		{Name: "id", Type: sqlsink.TypeInt}, {Name: "dataset", Type: sqlsink.TypeText}, {Name: "tbl", Type: sqlsink.TypeText},
		{Name: "row_count", Type: sqlsink.TypeInt}, {Name: "body", Type: sqlsink.TypeText},
		{Name: "created_ms", Type: sqlsink.TypeInt}, {Name: "sent_ms", Type: sqlsink.TypeInt}, {Name: "attempts", Type: sqlsink.TypeInt},
	}, Comment: "POST rows requests not yet acknowledged by Power BI"}
	laneStateTable = sqlsink.Table{Name: TableLaneStates, Key: []string{"name", "site"}, Columns: []sqlsink.Column{
		{Name: "name", Type: sqlsink.TypeText}, {Name: "site", Type: sqlsink.TypeText},
		{Name: "cursor", Type: sqlsink.TypeInt}, {Name: "state", Type: sqlsink.TypeText},
	}, Comment: "pipeline cursors and call-assembler states of the Power BI lanes"}
	postedTable = sqlsink.Table{Name: TablePosted, Key: []string{"dataset", "site", "call_id"}, Columns: []sqlsink.Column{
		{Name: "dataset", Type: sqlsink.TypeText}, {Name: "site", Type: sqlsink.TypeText}, {Name: "call_id", Type: sqlsink.TypeText},
		{Name: "legs", Type: sqlsink.TypeInt}, {Name: "created_ms", Type: sqlsink.TypeInt},
	}, Comment: "how many legs of each call went into the outbox, so a call emitted again adds only new legs; negative for a call first read late"}
)

// NewOutbox returns an outbox on db in dialect d, creating its tables if
// they do not exist.
func NewOutbox(ctx context.Context, db *sql.DB, d sqlsink.Dialect, opts ...OutboxOption) (*Outbox, error) {
	if db == nil || d == nil {
		return nil, errors.New("powerbi: NewOutbox: needs a *sql.DB and its sqlsink.Dialect")
	}
	o := &Outbox{db: db, d: d, log: slog.New(slog.DiscardHandler), now: time.Now}
	for _, opt := range opts {
		opt(o)
	}
	for _, t := range []sqlsink.Table{outboxTable, laneStateTable, postedTable} {
		t.Name = o.prefix + t.Name
		if _, err := db.ExecContext(ctx, d.CreateTable(&t)); err != nil {
			return nil, fmt.Errorf("powerbi: outbox: creating %s: %w", t.Name, err)
		}
	}
	return o, nil
}

func (o *Outbox) table(t sqlsink.Table) *sqlsink.Table {
	t.Name = o.prefix + t.Name
	return &t
}

func (o *Outbox) q(name string) string { return o.d.Quote(name) }

// bindKey binds a key text as sqlsink does.
func (o *Outbox) bindKey(s string) (any, error) { return o.d.BindText(s, true) }

// pending is one stored request.
type pending struct {
	id       int64
	dataset  string
	table    string
	rows     int
	body     string
	sent     bool
	attempts int
}

// Pending returns how many requests and rows wait to be sent.
func (o *Outbox) Pending(ctx context.Context) (requests int, rows int64, err error) {
	var n sql.NullInt64
	err = o.db.QueryRowContext(ctx, "SELECT COUNT(*), SUM("+o.q("row_count")+") FROM "+o.q(o.prefix+TableOutbox)).Scan(&requests, &n)
	if err != nil {
		return 0, 0, fmt.Errorf("powerbi: outbox: %w", err)
	}
	return requests, n.Int64, nil
}

// next returns the oldest request of dataset, if any.
func (o *Outbox) next(ctx context.Context, dataset string) (pending, bool, error) {
	ds, err := o.bindKey(dataset)
	if err != nil {
		return pending{}, false, err
	}
	q := "SELECT " + o.q("id") + ", " + o.q("tbl") + ", " + o.q("row_count") + ", " + o.q("body") + ", " + o.q("sent_ms") + ", " + o.q("attempts") +
		" FROM " + o.q(o.prefix+TableOutbox) + " WHERE " + o.q("dataset") + " = " + o.d.Placeholder(1) + " ORDER BY " + o.q("id")
	rows, err := o.db.QueryContext(ctx, q, ds)
	if err != nil {
		return pending{}, false, fmt.Errorf("powerbi: outbox: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return pending{}, false, rows.Err()
	}
	p := pending{dataset: dataset}
	var sentMS int64
	if err := rows.Scan(&p.id, &p.table, &p.rows, &p.body, &sentMS, &p.attempts); err != nil {
		return pending{}, false, fmt.Errorf("powerbi: outbox: %w", err)
	}
	p.table, p.body = sqlsink.DecodeText(p.table), sqlsink.DecodeText(p.body)
	p.sent = sentMS != 0
	return p, true, nil
}

// markSent records an attempt right before the request goes out (sent),
// or takes the mark back when the attempt certainly added nothing.
func (o *Outbox) markSent(ctx context.Context, id int64, sent bool) error {
	at, inc := o.now().UnixMilli(), 1
	if !sent {
		at, inc = 0, 0
	}
	q := "UPDATE " + o.q(o.prefix+TableOutbox) + " SET " + o.q("sent_ms") + " = " + o.d.Placeholder(1) + ", " + o.q("attempts") + " = " + o.q("attempts") + " + " + o.d.Placeholder(2) + " WHERE " + o.q("id") + " = " + o.d.Placeholder(3)
	if _, err := o.db.ExecContext(ctx, q, at, inc, id); err != nil {
		return fmt.Errorf("powerbi: outbox: marking request %d sent: %w", id, err)
	}
	return nil
}

// acknowledge deletes an acknowledged request.
func (o *Outbox) acknowledge(ctx context.Context, id int64) error {
	q := "DELETE FROM " + o.q(o.prefix+TableOutbox) + " WHERE " + o.q("id") + " = " + o.d.Placeholder(1)
	if _, err := o.db.ExecContext(ctx, q, id); err != nil {
		return fmt.Errorf("powerbi: outbox: request %d was acknowledged, but deleting it failed (it will be sent again): %w", id, err)
	}
	return nil
}

// laneState returns a lane's stored cursor and state.
func (o *Outbox) laneState(ctx context.Context, name, site string) (int64, []byte, error) {
	bn, err := o.bindKey(name)
	if err != nil {
		return 0, nil, err
	}
	bs, err := o.bindKey(site)
	if err != nil {
		return 0, nil, err
	}
	q := "SELECT " + o.q("cursor") + ", " + o.q("state") + " FROM " + o.q(o.prefix+TableLaneStates) +
		" WHERE " + o.q("name") + " = " + o.d.Placeholder(1) + " AND " + o.q("site") + " = " + o.d.Placeholder(2)
	var cursor int64
	var state string
	err = o.db.QueryRowContext(ctx, q, bn, bs).Scan(&cursor, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("powerbi: outbox: lane %s/%s: %w", name, site, err)
	}
	return cursor, []byte(sqlsink.DecodeText(state)), nil
}

// posted returns how many legs of each call were stored for dataset.
func (o *Outbox) posted(ctx context.Context, tx *sql.Tx, dataset, site string, callIDs []string) (map[string]int, error) {
	out := map[string]int{}
	if len(callIDs) == 0 {
		return out, nil
	}
	ds, err := o.bindKey(dataset)
	if err != nil {
		return nil, err
	}
	bs, err := o.bindKey(site)
	if err != nil {
		return nil, err
	}
	const per = 400
	for from := 0; from < len(callIDs); from += per {
		part := callIDs[from:min(from+per, len(callIDs))]
		args := []any{ds, bs}
		var in strings.Builder
		for i, id := range part {
			b, err := o.bindKey(id)
			if err != nil {
				return nil, err
			}
			if i > 0 {
				in.WriteString(", ")
			}
			in.WriteString(o.d.Placeholder(len(args) + 1))
			args = append(args, b)
		}
		q := "SELECT " + o.q("call_id") + ", " + o.q("legs") + " FROM " + o.q(o.prefix+TablePosted) +
			" WHERE " + o.q("dataset") + " = " + o.d.Placeholder(1) + " AND " + o.q("site") + " = " + o.d.Placeholder(2) +
			" AND " + o.q("call_id") + " IN (" + in.String() + ")"
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("powerbi: outbox: %w", err)
		}
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("powerbi: outbox: %w", err)
			}
			out[sqlsink.DecodeText(id)] = n
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// upsertRow writes one row of t with an upsert.
func (o *Outbox) upsertRow(ctx context.Context, tx *sql.Tx, t sqlsink.Table, vals ...any) error {
	for i, c := range t.Columns {
		if s, ok := vals[i].(string); ok && c.Type == sqlsink.TypeText {
			v, err := o.d.BindText(s, t.IsKey(c.Name))
			if err != nil {
				return fmt.Errorf("powerbi: outbox: %s.%s: %w", t.Name, c.Name, err)
			}
			vals[i] = v
		}
	}
	if _, err := tx.ExecContext(ctx, o.d.Upsert(o.table(t), 1), vals...); err != nil {
		return fmt.Errorf("powerbi: outbox: writing %s: %w", o.prefix+t.Name, err)
	}
	return nil
}

// PipelineSink delivers a pipeline's calls (package starinsight) to a
// Power BI dataset through an Outbox: Deliver stores the requests and the
// lane's state in one transaction; Send (or Run) posts them within the
// dataset's quota and deletes each once acknowledged.
//
// Push datasets cannot update rows: every leg is posted once, as the call
// was first delivered. A call delivered again with more legs (late rows)
// adds only its new legs; changes to legs already posted reach only the
// SQL sink.
type PipelineSink struct {
	u       *Uploader
	ob      *Outbox
	name    string
	every   time.Duration
	ceiling time.Duration
	onError func(error)
}

// PipelineSinkOption configures a PipelineSink.
type PipelineSinkOption func(*PipelineSink)

// WithSendInterval sets how often Background sends the outbox (default
// 30 s, the product's), and the longest it waits after failures (default
// 1 h).
func WithSendInterval(every, ceiling time.Duration) PipelineSinkOption {
	return func(s *PipelineSink) { s.every, s.ceiling = every, ceiling }
}

// WithSendOnError calls f for every failed Send in Background.
func WithSendOnError(f func(error)) PipelineSinkOption {
	return func(s *PipelineSink) { s.onError = f }
}

// NewPipelineSink returns the sink of a pipeline named name into u's
// dataset through ob.
func NewPipelineSink(u *Uploader, ob *Outbox, name string, opts ...PipelineSinkOption) (*PipelineSink, error) {
	if u == nil || ob == nil || name == "" {
		return nil, errors.New("powerbi: NewPipelineSink: needs an Uploader, an Outbox and a name")
	}
	s := &PipelineSink{u: u, ob: ob, name: name, every: 30 * time.Second, ceiling: time.Hour}
	for _, o := range opts {
		o(s)
	}
	if s.every <= 0 || s.ceiling < s.every {
		return nil, fmt.Errorf("powerbi: NewPipelineSink: send interval %v up to %v: positive, and the ceiling at least the interval", s.every, s.ceiling)
	}
	return s, nil
}

// Background sends the outbox until ctx ends: every send interval, and
// after a failure (a sign-in that needs a person, the network, a 5xx)
// after an interval that grows step by step up to the ceiling and shrinks
// back once sends succeed again. Failures are reported through
// WithSendOnError and the outbox's logger; nothing in the outbox is ever
// dropped. A Pipeline runs it while it runs.
func (s *PipelineSink) Background(ctx context.Context) error {
	iv, err := NewInterval(s.every, s.ceiling)
	if err != nil {
		return err
	}
	for {
		_, err := s.Send(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			s.ob.log.LogAttrs(ctx, slog.LevelWarn, "powerbi: sending the outbox failed; trying again later", slog.String("error", err.Error()))
			if s.onError != nil {
				s.onError(err)
			}
			iv.Throttled(0)
		default:
			iv.Succeeded()
		}
		t := time.NewTimer(iv.Next())
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Name returns "powerbi:" and the name.
func (s *PipelineSink) Name() string { return "powerbi:" + s.name }

// Pace returns the product's backfill pace, 7,500 entries per 30 s: a
// pipeline target that sets neither Chunk nor Pause takes it.
func (s *PipelineSink) Pace() (int, time.Duration) { return 7500, 30 * time.Second }

// Resume returns the lane's stored cursor and state.
func (s *PipelineSink) Resume(ctx context.Context, site string) (int64, []byte, error) {
	return s.ob.laneState(ctx, s.name, site)
}

func isLate(c *callflow.Call) bool { return c.Journey.Flags&callflow.FlagLateRows != 0 }

// Deliver stores the calls' legs as POST rows requests, with the lane's
// cursor and state, in one transaction.
func (s *PipelineSink) Deliver(ctx context.Context, site string, calls []callflow.Call, cursor int64, state []byte) error {
	calls, err := pseudo.Apply(s.u.pseudo, calls)
	if err != nil {
		return err
	}
	ob := s.ob
	ob.mu.Lock()
	defer ob.mu.Unlock()
	tx, err := ob.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("powerbi: outbox: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	// Take the write lock before reading the ledger: in SQLite a
	// transaction that read first cannot write once another connection
	// (the SQL sink on the same file) has written, whatever the busy
	// timeout.
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+ob.q(ob.prefix+TablePosted)+" WHERE 1 = 0"); err != nil {
		return fmt.Errorf("powerbi: outbox: %w", err)
	}

	ids := make([]string, 0, len(calls))
	for i := range calls {
		ids = append(ids, calls[i].Journey.CallID)
		if isLate(&calls[i]) {
			ids = append(ids, calls[i].Journey.CallID+callflow.LateRowsSuffix)
		}
	}
	before, err := ob.posted(ctx, tx, s.u.dataset, site, ids)
	if err != nil {
		return err
	}
	var rows []LegRow
	now := ob.now().UnixMilli()
	for i := range calls {
		c := &calls[i]
		// The ledger counts the legs posted per call id: a call emitted
		// again adds only its new legs. A call with FlagLateRows is
		// either a whole call read late, counted as minus its legs so
		// that it stays told apart, or the late rows of a call posted
		// complete before: a call of its own, under the "#late" id
		// (callflow.KeepLateRowsApart), not legs the ledger had already.
		had, sign := before[c.Journey.CallID], 1
		if had < 0 {
			had, sign = -had, -1 // first read late
		}
		switch {
		case isLate(c) && sign > 0 && had > 0:
			apart := callflow.KeepLateRowsApart(*c)
			c = &apart
			had = max(before[c.Journey.CallID], 0)
		case isLate(c):
			sign = -1
		}
		if len(c.Legs) <= had {
			continue
		}
		for j := had; j < len(c.Legs); j++ {
			rows = append(rows, NewLegRow(&c.Legs[j]))
		}
		before[c.Journey.CallID] = sign * len(c.Legs)
		if err := ob.upsertRow(ctx, tx, postedTable, s.u.dataset, site, c.Journey.CallID, int64(sign*len(c.Legs)), now); err != nil {
			return err
		}
	}
	var next int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX("+ob.q("id")+"), 0) FROM "+ob.q(ob.prefix+TableOutbox)).Scan(&next); err != nil {
		return fmt.Errorf("powerbi: outbox: %w", err)
	}
	per := min(MaxRowsPerPost, s.u.quota.Limits().RowsPerPost)
	for from := 0; from < len(rows); from += per {
		enc, _, err := s.u.hist.Legs.Encode(rows[from:min(from+per, len(rows))])
		if err != nil {
			return err
		}
		next++
		if err := ob.upsertRow(ctx, tx, outboxTable, next, s.u.dataset, TableLegs, int64(enc.Len()), string(enc.json), now, int64(0), int64(0)); err != nil {
			return err
		}
	}
	if err := ob.upsertRow(ctx, tx, laneStateTable, s.name, site, cursor, string(state)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("powerbi: outbox: %w", err)
	}
	return nil
}

// SendResult counts what Send did.
type SendResult struct {
	Requests int // acknowledged
	Rows     int
	// Unsure are requests sent again after an attempt that got no
	// answer: Power BI may hold their rows twice.
	Unsure    int
	Throttles int
}

// Send posts the dataset's stored requests in order, within the quota,
// waiting out throttles, and deletes each once acknowledged. It returns
// when the outbox holds none for the dataset, or at the first failure (the
// request stays, and goes first next time).
func (s *PipelineSink) Send(ctx context.Context) (SendResult, error) {
	var res SendResult
	for {
		p, ok, err := s.ob.next(ctx, s.u.dataset)
		if err != nil || !ok {
			return res, err
		}
		if p.sent {
			res.Unsure++
			s.ob.log.LogAttrs(ctx, slog.LevelWarn, "powerbi: sending a request again that got no answer: Power BI may hold its rows twice",
				slog.Int64("request", p.id), slog.String("table", p.table), slog.Int("rows", p.rows), slog.Int("attempts", p.attempts))
		}
		ur := UploadResult{Rows: map[string]int{}}
		hooks := &sendHooks{
			sending: func() error { return s.ob.markSent(ctx, p.id, true) },
			notApplied: func() {
				if !p.sent {
					// Certainly not added: not a possible duplicate.
					_ = s.ob.markSent(context.WithoutCancel(ctx), p.id, false)
				}
			},
		}
		if err := s.u.postHooked(ctx, p.table, EncodedRows{json: []byte(p.body), n: p.rows}, &ur, hooks); err != nil {
			return res, &UploadError{Table: p.table, Rows: p.rows, Unsure: !SafeToRetry(err), Err: err}
		}
		res.Throttles += ur.Throttles
		if err := s.ob.acknowledge(ctx, p.id); err != nil {
			return res, err
		}
		res.Requests++
		res.Rows += p.rows
	}
}
