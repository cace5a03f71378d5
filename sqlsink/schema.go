package sqlsink

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/live"
)

// The schema. Table and column names of CDR_Summary, Group_Call_Account and
// User_Call_Account are those of the Power BI model of the product this SDK
// is modelled on, so that existing reports can point at the database.
// Durations are integer milliseconds (exact, so KPIs recomputed from the
// database equal those computed from the rows); instants are UTC.

// The table names, before the sink's prefix.
const (
	TableLegs              = "CDR_Summary"
	TableJourneys          = "journeys"
	TableAccounts          = "accounts"
	TableGroupCallAccount  = "Group_Call_Account"
	TableUserCallAccount   = "User_Call_Account"
	TableLostCallers       = "lost_callers"
	TableLostAttempts      = "lost_caller_attempts"
	TableUserLoginStates   = "user_login_states"
	TableMemberLoginStates = "member_login_states"
	TableLiveUsers         = "live_users"
	TableLiveQueues        = "live_queues"
	TableCheckpoints       = "export_checkpoints"
	TableSchemaVersion     = "starinsight_schema"
	TablePipelineStates    = "pipeline_states"
)

// field is one column and how to get its value from a record.
type field[T any] struct {
	col Column
	val func(r *T, d Dialect) any
}

// spec is a table of records of type T.
type spec[T any] struct {
	name    string
	key     []string
	comment string
	fields  []field[T]
}

func (s *spec[T]) table(prefix string) *Table {
	t := &Table{Name: prefix + s.name, Key: s.key, Comment: s.comment}
	for _, f := range s.fields {
		t.Columns = append(t.Columns, f.col)
	}
	return t
}

// Column constructors.
func text[T any](name string, v func(*T) string) field[T] {
	return field[T]{Column{Name: name, Type: TypeText}, func(r *T, _ Dialect) any { return v(r) }}
}

func integer[T any](name string, v func(*T) int64) field[T] {
	return field[T]{Column{Name: name, Type: TypeInt}, func(r *T, _ Dialect) any { return v(r) }}
}

func boolean[T any](name string, v func(*T) bool) field[T] {
	return field[T]{Column{Name: name, Type: TypeBool}, func(r *T, _ Dialect) any { return v(r) }}
}

func millis[T any](name string, v func(*T) time.Duration) field[T] {
	return field[T]{Column{Name: name, Type: TypeInt}, func(r *T, _ Dialect) any { return v(r).Milliseconds() }}
}

// instant is a NOT NULL time; a zero time is stored as the zero instant.
func instant[T any](name string, v func(*T) time.Time) field[T] {
	return field[T]{Column{Name: name, Type: TypeTime}, func(r *T, d Dialect) any { return d.BindTime(v(r)) }}
}

// maybeInstant is a time that may not have happened: NULL when zero.
func maybeInstant[T any](name string, v func(*T) time.Time) field[T] {
	return field[T]{Column{Name: name, Type: TypeTime, Null: true}, func(r *T, d Dialect) any {
		t := v(r)
		if t.IsZero() {
			return nil
		}
		return d.BindTime(t)
	}}
}

func id(a cdr.AccountID) int64 { return int64(a) }

func idList(ids []cdr.AccountID) string {
	var b strings.Builder
	for i, a := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(int64(a), 10))
	}
	return b.String()
}

func int64List(ids []int64) string {
	var b strings.Builder
	for i, a := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(a, 10))
	}
	return b.String()
}

// jsonText encodes v as JSON; the types encoded never fail.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func textOf(m interface{ MarshalText() ([]byte, error) }) string {
	b, err := m.MarshalText()
	if err != nil {
		return ""
	}
	return string(b)
}

// legSpec is CDR_Summary: one row per leg (DOMAIN.md §3.1).
var legSpec = spec[callflow.Leg]{
	name: TableLegs, key: []string{"site", "call_id", "leg_seq"},
	fields: []field[callflow.Leg]{
		text("site", func(l *callflow.Leg) string { return l.Site }),
		text("call_id", func(l *callflow.Leg) string { return l.CallID }),
		integer("leg_seq", func(l *callflow.Leg) int64 { return int64(l.Seq) }),
		integer("account_id", func(l *callflow.Leg) int64 { return id(l.AccountID) }),
		text("account_type", func(l *callflow.Leg) string { return l.AccountType.String() }),
		integer("group_account_id", func(l *callflow.Leg) int64 { return id(l.GroupID) }),
		integer("owner_account_id", func(l *callflow.Leg) int64 { return id(l.OwnerAccountID) }),
		text("call_origin_type", func(l *callflow.Leg) string { return l.Range.String() }),
		boolean("incoming", func(l *callflow.Leg) bool { return l.Incoming }),
		boolean("answered", func(l *callflow.Leg) bool { return l.Answered }),
		text("result", func(l *callflow.Leg) string { return l.Result.String() }),
		integer("caused_by_account_id", func(l *callflow.Leg) int64 { return id(l.CausedByAccountID) }),
		instant("start_time", func(l *callflow.Leg) time.Time { return l.Arrival }),
		maybeInstant("ring_time", func(l *callflow.Leg) time.Time { return l.RingStart }),
		maybeInstant("answer_time", func(l *callflow.Leg) time.Time { return l.Answer }),
		instant("end_time", func(l *callflow.Leg) time.Time { return l.End }),
		millis("announcement_ms", func(l *callflow.Leg) time.Duration { return l.Announcement }),
		millis("ring_ms", func(l *callflow.Leg) time.Duration { return l.Ring }),
		millis("wait_ms", func(l *callflow.Leg) time.Duration { return l.Wait }),
		millis("talk_ms", func(l *callflow.Leg) time.Duration { return l.Talk }),
		millis("call_ms", func(l *callflow.Leg) time.Duration { return l.Call }),
		millis("agent_ring_ms", func(l *callflow.Leg) time.Duration { return l.AgentRing }),
		integer("called_account_id", func(l *callflow.Leg) int64 { return id(l.CalledAccountID) }),
		text("called_caller_id", func(l *callflow.Leg) string { return l.CalledCallerID.String() }),
		text("called_name", func(l *callflow.Leg) string { return l.CalledCallerID.Name }),
		text("called_number", func(l *callflow.Leg) string { return l.CalledNumber.String() }),
		integer("caller_account_id", func(l *callflow.Leg) int64 { return id(l.CallerAccountID) }),
		text("caller_caller_id", func(l *callflow.Leg) string { return l.CallerCallerID.String() }),
		text("caller_name", func(l *callflow.Leg) string { return l.CallerCallerID.Name }),
		text("caller_number", func(l *callflow.Leg) string { return l.CallerNumber.String() }),
		boolean("fax", func(l *callflow.Leg) bool { return l.Fax }),
		boolean("recorded", func(l *callflow.Leg) bool { return l.Recorded }),
		boolean("voicemail", func(l *callflow.Leg) bool { return l.Voicemail }),
		boolean("private", func(l *callflow.Leg) bool { return l.Private }),
		text("line_name", func(l *callflow.Leg) string { return l.LineName }),
		text("comment", func(l *callflow.Leg) string { return l.Comment }),
		text("comment_author", func(l *callflow.Leg) string { return l.CommentAuthor }),
		boolean("called_back", func(l *callflow.Leg) bool { return l.CalledBack }),
		text("flags", func(l *callflow.Leg) string { return l.Flags.String() }),
		text("entry_ids", func(l *callflow.Leg) string { return int64List(l.EntryIDs) }),
	},
}

// journeySpec is one row per physical call.
var journeySpec = spec[callflow.Journey]{
	name: TableJourneys, key: []string{"site", "call_id"},
	fields: []field[callflow.Journey]{
		text("site", func(j *callflow.Journey) string { return j.Site }),
		text("call_id", func(j *callflow.Journey) string { return j.CallID }),
		text("direction", func(j *callflow.Journey) string { return j.Direction.String() }),
		integer("caller_account_id", func(j *callflow.Journey) int64 { return id(j.CallerAccountID) }),
		text("caller_caller_id", func(j *callflow.Journey) string { return j.CallerCallerID.String() }),
		text("caller_name", func(j *callflow.Journey) string { return j.CallerCallerID.Name }),
		text("caller_number", func(j *callflow.Journey) string { return j.CallerNumber.String() }),
		integer("dialled_account_id", func(j *callflow.Journey) int64 { return id(j.DialledAccountID) }),
		text("called_number", func(j *callflow.Journey) string { return j.CalledNumber.String() }),
		instant("start_time", func(j *callflow.Journey) time.Time { return j.Arrival }),
		instant("end_time", func(j *callflow.Journey) time.Time { return j.End }),
		text("path", func(j *callflow.Journey) string { return idList(j.Path) }),
		boolean("answered", func(j *callflow.Journey) bool { return j.Answered }),
		integer("answered_by", func(j *callflow.Journey) int64 { return id(j.AnsweredBy) }),
		integer("answered_via", func(j *callflow.Journey) int64 { return id(j.AnsweredVia) }),
		maybeInstant("answer_time", func(j *callflow.Journey) time.Time { return j.Answer }),
		millis("announcement_ms", func(j *callflow.Journey) time.Duration { return j.Announcement }),
		millis("wait_ms", func(j *callflow.Journey) time.Duration { return j.Wait }),
		millis("talk_ms", func(j *callflow.Journey) time.Duration { return j.Talk }),
		millis("duration_ms", func(j *callflow.Journey) time.Duration { return j.Duration }),
		text("outcome", func(j *callflow.Journey) string { return j.Outcome.String() }),
		text("events", func(j *callflow.Journey) string { return jsonText(j.Events) }),
		text("queues", func(j *callflow.Journey) string { return jsonText(j.Queues) }),
		boolean("private", func(j *callflow.Journey) bool { return j.Private }),
		integer("row_count", func(j *callflow.Journey) int64 { return int64(j.Rows) }),
		text("flags", func(j *callflow.Journey) string { return j.Flags.String() }),
	},
}

var accountSpec = spec[cdr.Account]{
	name: TableAccounts, key: []string{"site", "account_id"},
	fields: []field[cdr.Account]{
		text("site", func(a *cdr.Account) string { return a.Site }),
		integer("account_id", func(a *cdr.Account) int64 { return id(a.ID) }),
		text("account_type", func(a *cdr.Account) string { return a.Type.String() }),
		text("name", func(a *cdr.Account) string { return a.Name }),
		text("login", func(a *cdr.Account) string { return a.Login }),
		text("sam_account_name", func(a *cdr.Account) string { return a.SAMAccountName }),
		integer("iqueue_size", func(a *cdr.Account) int64 { return int64(a.IQueueSize) }),
		millis("max_wait_ms", func(a *cdr.Account) time.Duration { return a.MaxWait }),
		boolean("placeholder", func(a *cdr.Account) bool { return a.Placeholder }),
	},
}

// callAccountSpec is Group_Call_Account or User_Call_Account: the account
// dimension the Power BI model joins to CDR_Summary's group_account_id and
// account_id.
func callAccountSpec(name string) spec[cdr.Account] {
	return spec[cdr.Account]{
		name: name, key: []string{"Site", "Account_ID"},
		fields: []field[cdr.Account]{
			text("Site", func(a *cdr.Account) string { return a.Site }),
			integer("Account_ID", func(a *cdr.Account) int64 { return id(a.ID) }),
			text("Account_Name", func(a *cdr.Account) string { return a.Name }),
			text("Account_Type", func(a *cdr.Account) string { return a.Type.String() }),
		},
	}
}

var (
	groupCallAccountSpec = callAccountSpec(TableGroupCallAccount)
	userCallAccountSpec  = callAccountSpec(TableUserCallAccount)
)

// lostCallerRow is a lost-caller episode with the site of its first
// attempt, which with the first attempt's call id keys it.
type lostCallerRow struct {
	site, firstCall string
	c               *callflow.LostCaller
}

var lostCallerSpec = spec[lostCallerRow]{
	name: TableLostCallers, key: []string{"site", "first_call_id"},
	fields: []field[lostCallerRow]{
		text("site", func(r *lostCallerRow) string { return r.site }),
		text("first_call_id", func(r *lostCallerRow) string { return r.firstCall }),
		text("number", func(r *lostCallerRow) string { return r.c.Number.String() }),
		text("outcome", func(r *lostCallerRow) string { return textOf(r.c.Outcome) }),
		integer("attempts", func(r *lostCallerRow) int64 { return int64(len(r.c.Attempts)) }),
		instant("first_attempt", func(r *lostCallerRow) time.Time { return r.c.First }),
		instant("last_attempt", func(r *lostCallerRow) time.Time { return r.c.Last }),
		maybeInstant("window_end", func(r *lostCallerRow) time.Time { return r.c.WindowEnd }),
		text("recovered_by", func(r *lostCallerRow) string { return r.c.RecoveredBy }),
		maybeInstant("recovered_at", func(r *lostCallerRow) time.Time { return r.c.RecoveredAt }),
		millis("callback_latency_ms", func(r *lostCallerRow) time.Duration { return r.c.CallbackLatency }),
		integer("agent_id", func(r *lostCallerRow) int64 { return id(r.c.AgentID) }),
		boolean("out_of_hours", func(r *lostCallerRow) bool { return r.c.OutOfHours }),
	},
}

// attemptRow is one attempt of a lost-caller episode.
type attemptRow struct {
	firstCall string
	a         *callflow.Attempt
}

var attemptSpec = spec[attemptRow]{
	name: TableLostAttempts, key: []string{"site", "call_id"},
	fields: []field[attemptRow]{
		text("site", func(r *attemptRow) string { return r.a.Site }),
		text("call_id", func(r *attemptRow) string { return r.a.CallID }),
		text("first_call_id", func(r *attemptRow) string { return r.firstCall }),
		instant("start_time", func(r *attemptRow) time.Time { return r.a.Start }),
		instant("end_time", func(r *attemptRow) time.Time { return r.a.End }),
		millis("wait_ms", func(r *attemptRow) time.Duration { return r.a.Wait }),
		integer("called_account_id", func(r *attemptRow) int64 { return id(r.a.CalledAccountID) }),
		integer("group_account_id", func(r *attemptRow) int64 { return id(r.a.GroupID) }),
		text("reason", func(r *attemptRow) string { return r.a.Reason.String() }),
		boolean("out_of_hours", func(r *attemptRow) bool { return r.a.OutOfHours }),
	},
}

var userLoginSpec = spec[live.UserLoginState]{
	name: TableUserLoginStates, key: []string{"site", "account_id", "at"},
	fields: []field[live.UserLoginState]{
		text("site", func(s *live.UserLoginState) string { return s.Site }),
		integer("account_id", func(s *live.UserLoginState) int64 { return id(s.AccountID) }),
		instant("at", func(s *live.UserLoginState) time.Time { return s.At }),
		boolean("dnd", func(s *live.UserLoginState) bool { return s.DND }),
		boolean("always_forward", func(s *live.UserLoginState) bool { return s.AlwaysForward }),
	},
}

var memberLoginSpec = spec[live.MemberLoginState]{
	name: TableMemberLoginStates, key: []string{"site", "group_id", "user_id", "at"},
	fields: []field[live.MemberLoginState]{
		text("site", func(s *live.MemberLoginState) string { return s.Site }),
		integer("group_id", func(s *live.MemberLoginState) int64 { return id(s.GroupID) }),
		integer("user_id", func(s *live.MemberLoginState) int64 { return id(s.UserID) }),
		instant("at", func(s *live.MemberLoginState) time.Time { return s.At }),
		boolean("logged_in", func(s *live.MemberLoginState) bool { return s.LoggedIn }),
	},
}

var liveUserSpec = spec[live.UserState]{
	name: TableLiveUsers, key: []string{"site", "account_id", "at"},
	fields: []field[live.UserState]{
		text("site", func(u *live.UserState) string { return u.Site }),
		integer("account_id", func(u *live.UserState) int64 { return id(u.AccountID) }),
		instant("at", func(u *live.UserState) time.Time { return u.At }),
		text("name", func(u *live.UserState) string { return u.Name }),
		text("telephony_state", func(u *live.UserState) string { return string(u.Telephony) }),
		boolean("logged_in", func(u *live.UserState) bool { return u.LoggedIn }),
		boolean("dnd", func(u *live.UserState) bool { return u.DND }),
		boolean("always_forward", func(u *live.UserState) bool { return u.AlwaysForward }),
		text("chat_presence", func(u *live.UserState) string { return u.ChatPresence }),
		text("chat_presence_message", func(u *live.UserState) string { return u.ChatPresenceMessage }),
		text("group_ids", func(u *live.UserState) string { return idList(u.GroupIDs) }),
		text("call_id", func(u *live.UserState) string { return u.CallID }),
		text("call_state", func(u *live.UserState) string { return string(u.CallState) }),
		text("caller_name", func(u *live.UserState) string { return u.CallerName }),
		text("caller_number", func(u *live.UserState) string { return u.CallerNumber.String() }),
		maybeInstant("call_start", func(u *live.UserState) time.Time { return u.CallStart }),
		millis("talk_ms", func(u *live.UserState) time.Duration { return u.Talk }),
	},
}

var liveQueueSpec = spec[live.QueueState]{
	name: TableLiveQueues, key: []string{"site", "account_id", "at"},
	fields: []field[live.QueueState]{
		text("site", func(q *live.QueueState) string { return q.Site }),
		integer("account_id", func(q *live.QueueState) int64 { return id(q.AccountID) }),
		instant("at", func(q *live.QueueState) time.Time { return q.At }),
		text("account_type", func(q *live.QueueState) string { return q.Type.String() }),
		text("name", func(q *live.QueueState) string { return q.Name }),
		integer("waiting_calls", func(q *live.QueueState) int64 { return int64(q.WaitingCalls) }),
		integer("connected_calls", func(q *live.QueueState) int64 { return int64(q.ConnectedCalls) }),
		integer("iqueue_size", func(q *live.QueueState) int64 { return int64(q.IQueueSize) }),
		millis("max_wait_ms", func(q *live.QueueState) time.Duration { return q.MaxWait }),
	},
}

// Checkpoint is how far an export has come: Cursor is the last raw entry
// id written for the named export and site. It is written in the same
// transaction as the rows it covers, so after a crash the rows and the
// checkpoint agree.
type Checkpoint struct {
	Name      string    `json:"name"`
	Site      string    `json:"site,omitempty"`
	Cursor    int64     `json:"cursor"`
	UpdatedAt time.Time `json:"updatedAt"`
}

var checkpointSpec = spec[Checkpoint]{
	name: TableCheckpoints, key: []string{"name", "site"},
	fields: []field[Checkpoint]{
		text("name", func(c *Checkpoint) string { return c.Name }),
		text("site", func(c *Checkpoint) string { return c.Site }),
		integer("cursor", func(c *Checkpoint) int64 { return c.Cursor }),
		instant("updated_at", func(c *Checkpoint) time.Time { return c.UpdatedAt }),
	},
}

// schemaVersionRow is one applied migration.
type schemaVersionRow struct {
	version     int
	appliedAt   time.Time
	description string
}

var schemaVersionSpec = spec[schemaVersionRow]{
	name: TableSchemaVersion, key: []string{"version"},
	fields: []field[schemaVersionRow]{
		integer("version", func(r *schemaVersionRow) int64 { return int64(r.version) }),
		instant("applied_at", func(r *schemaVersionRow) time.Time { return r.appliedAt }),
		text("description", func(r *schemaVersionRow) string { return r.description }),
	},
}

// pipelineStateSpec is where pipelines keep their cursor and assembler
// state, one row per pipeline and site.
var pipelineStateSpec = spec[PipelineState]{
	name: TablePipelineStates, key: []string{"name", "site"},
	comment: "pipeline cursors and call-assembler states; times in UTC",
	fields: []field[PipelineState]{
		text("name", func(p *PipelineState) string { return p.Name }),
		text("site", func(p *PipelineState) string { return p.Site }),
		integer("cursor", func(p *PipelineState) int64 { return p.Cursor }),
		text("state", func(p *PipelineState) string { return p.State }),
		instant("updated_at", func(p *PipelineState) time.Time { return p.UpdatedAt }),
	},
}
