package sqlsink_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/sqlsink"
)

// The injection and unicode corpus (DOMAIN.md §6: a single quote in a
// call-list value once broke the product's export). Every value goes
// through every dialect into the text columns of every table, keys
// included where the key type can hold it, and must read back
// byte-identical with plain SQL: stored as it is where the database can
// store it, else encoded (sqlsink.EncodedPrefix) and decoded by
// sqlsink.DecodeText, never dropped or replaced.

// corpusValue is one hostile or unusual text.
type corpusValue struct {
	name string
	v    string
}

func corpusValues() []corpusValue {
	return []corpusValue{
		{"single quote", "O'Brien"},
		{"doubled single quotes", "''"},
		{"double quote", `say "hello"`},
		{"backquote", "`CDR_Summary`"},
		{"brackets", "[dbo].[x]]"},
		{"backslash", `C:\new\table\`},
		{"backslash quote", `\'; \"`},
		{"injection", "'; DROP TABLE x; --"},
		{"injection in double quotes", `"; DROP TABLE "x"; --`},
		{"comment and semicolon", "/* x */ ; # -- "},
		{"placeholders", "? $1 ?1 @p1 :name %s %v"},
		{"like wildcards", "100% _x_"},
		{"NUL inside", "a\x00b"},
		{"NUL only", "\x00"},
		{"NUL at the end", "abc\x00"},
		{"emoji", "📞☎️👩🏽‍💻🇩🇪"},
		{"combining characters", "e\u0301 é Z\u0351\u0325a\u0308\u0308"},
		{"RTL text", "שלום مرحبا \u202eabc\u202c \u200f"},
		{"CJK", "電話番号 전화"},
		{"255 emoji", strings.Repeat("😀", 255)},
		{"4,001 characters", longText(4001, 1)},
		{"100,000 characters", longText(100000, 2)},
		{"leading and trailing spaces", "  padded  "},
		{"trailing space", "end "},
		{"only spaces", "   "},
		{"CR LF and tabs", "line 1\r\nline 2\n\ttab\rreturn"},
		{"control characters", "\x01\x07\x1b[31mred\x1b[0m\x7f"},
		{"invalid UTF-8 Latin-1", "M\xfcller"},
		{"invalid UTF-8 truncated", "\xe2\x82"},
		{"invalid UTF-8 surrogate", "\xed\xa0\x80"},
		{"invalid UTF-8 overlong", "\xc0\xaf"},
		{"invalid UTF-8 and NUL", "\xff\x00\xfe"},
		{"max rune and BOM", "\U0010FFFF\ufeffx\ufffd"},
		{"percent escapes", "%00%25%zz%"},
		{"encoded-looking", sqlsink.EncodedPrefix + "M%FCller"},
	}
}

// longText returns n characters from a mix of scripts, quotes, control
// characters and emoji, varied (a pseudo-random walk) so that no database
// compresses it much.
func longText(n int, seed uint64) string {
	alphabet := []rune("abcXYZ019 äöüßÄ'\"\\`[];-%_\r\n\tжщЯ電話번호שלוםمرحبا😀📞🇩\u0301\u200f")
	var b strings.Builder
	x := seed
	for range n {
		x = x*6364136223846793005 + 1442695040888963407
		b.WriteRune(alphabet[(x>>33)%uint64(len(alphabet))])
	}
	return b.String()
}

// keyFits reports whether v may be used as a key on the database: any
// text on SQLite; on PostgreSQL what stays well under the btree limit of
// about 2,700 bytes per index entry; on MySQL what VARCHAR(255) holds.
func keyFits(dbase database, v string) bool {
	switch dbase.name {
	case "postgres":
		return len(v) <= 1000
	case "mysql":
		return utf8.RuneCountInString(v) <= 255
	}
	return true
}

// encoded reports whether a dialect must store v encoded (see
// sqlsink.EncodedPrefix): invalid UTF-8 everywhere, NUL on PostgreSQL, a
// key ending in a space on MySQL, whose keys compare with PAD SPACE.
func encoded(dbase database, v string, key bool) bool {
	if !utf8.ValidString(v) || strings.HasPrefix(v, sqlsink.EncodedPrefix) {
		return true
	}
	switch dbase.name {
	case "postgres":
		return strings.IndexByte(v, 0) >= 0
	case "mysql":
		return key && strings.HasSuffix(v, " ")
	}
	return false
}

// corpusBatch puts v into every text field of one call (journey and leg),
// an account, a live user and queue, a lost caller and the checkpoint,
// all identified by id; site and call id are v where the key type holds
// it.
func corpusBatch(site, callID, v string, id cdr.AccountID) sqlsink.Batch {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(id) * time.Minute)
	typ := cdr.AccountUser
	if id%2 == 1 {
		typ = cdr.AccountGroup
	}
	return sqlsink.Batch{
		Calls: []callflow.Call{{
			Journey: callflow.Journey{
				CallID: callID, Site: site, Direction: callflow.Inbound,
				CallerAccountID: id, CallerCallerID: cdr.CallerID{Name: v},
				Arrival: at, End: at.Add(time.Minute), Rows: 1,
			},
			Legs: []callflow.Leg{{
				CallID: callID, Site: site, AccountID: id, AccountType: cdr.AccountUser,
				Incoming: true, Arrival: at, End: at.Add(time.Minute),
				CalledCallerID: cdr.CallerID{Name: v}, CallerCallerID: cdr.CallerID{Name: v},
				LineName: v, Comment: v, CommentAuthor: v,
			}},
		}},
		Accounts: []cdr.Account{{Site: site, ID: id, Type: typ, Name: v, Login: v, SAMAccountName: v}},
		Users: []live.UserState{{
			At: at, Site: site, AccountID: id, Name: v, Telephony: live.TelephonyState(v),
			ChatPresence: v, ChatPresenceMessage: v, CallID: v, CallState: live.CallState(v), CallerName: v,
		}},
		Queues: []live.QueueState{{At: at, Site: site, AccountID: id, Type: cdr.AccountGroup, Name: v}},
		LostCallers: []callflow.LostCaller{{
			Attempts: []callflow.Attempt{{CallID: callID, Site: site, Start: at, End: at.Add(time.Minute), CalledAccountID: id}},
			First:    at, Last: at, RecoveredBy: v, AgentID: id,
		}},
		Checkpoint: &sqlsink.Checkpoint{Name: callID, Site: site, Cursor: int64(id), UpdatedAt: at},
	}
}

// corpusColumn is a text column and the value it must hold.
type corpusColumn struct {
	name string
	key  bool
	want func(site, callID, v string) string
}

func val(_, _, v string) string       { return v }
func siteOf(site, _, _ string) string { return site }
func callOf(_, id, _ string) string   { return id }

// corpusTables lists, per table, the column that identifies the value's
// rows and the text columns to read back.
var corpusTables = []struct {
	table string
	id    string
	cols  []corpusColumn
}{
	{sqlsink.TableLegs, "account_id", []corpusColumn{
		{"site", true, siteOf}, {"call_id", true, callOf},
		{"called_caller_id", false, val}, {"called_name", false, val},
		{"caller_caller_id", false, val}, {"caller_name", false, val},
		{"line_name", false, val}, {"comment", false, val}, {"comment_author", false, val},
	}},
	{sqlsink.TableJourneys, "caller_account_id", []corpusColumn{
		{"site", true, siteOf}, {"call_id", true, callOf}, {"caller_caller_id", false, val}, {"caller_name", false, val},
	}},
	{sqlsink.TableAccounts, "account_id", []corpusColumn{
		{"site", true, siteOf}, {"name", false, val}, {"login", false, val}, {"sam_account_name", false, val},
	}},
	{sqlsink.TableGroupCallAccount, "Account_ID", []corpusColumn{{"Site", true, siteOf}, {"Account_Name", false, val}}},
	{sqlsink.TableUserCallAccount, "Account_ID", []corpusColumn{{"Site", true, siteOf}, {"Account_Name", false, val}}},
	{sqlsink.TableLiveUsers, "account_id", []corpusColumn{
		{"site", true, siteOf}, {"name", false, val}, {"telephony_state", false, val}, {"chat_presence", false, val},
		{"chat_presence_message", false, val}, {"call_id", false, val}, {"call_state", false, val}, {"caller_name", false, val},
	}},
	{sqlsink.TableLiveQueues, "account_id", []corpusColumn{{"site", true, siteOf}, {"name", false, val}}},
	{sqlsink.TableLostCallers, "agent_id", []corpusColumn{
		{"site", true, siteOf}, {"first_call_id", true, callOf}, {"recovered_by", false, val},
	}},
	{sqlsink.TableLostAttempts, "called_account_id", []corpusColumn{
		{"site", true, siteOf}, {"call_id", true, callOf}, {"first_call_id", false, callOf},
	}},
	{sqlsink.TableCheckpoints, "cursor", []corpusColumn{{"name", true, callOf}, {"site", true, siteOf}}},
}

// TestCorpus writes every corpus value on every database and reads it back
// with plain SQL.
func TestCorpus(t *testing.T) {
	values := corpusValues()
	for _, dbase := range withBulkCopy {
		t.Run(dbase.label(), func(t *testing.T) {
			ctx := context.Background()
			s, db := newSink(t, dbase)
			_, err := s.Migrate(ctx)
			require.NoError(t, err)
			type ids struct{ site, callID string }
			keys := map[cdr.AccountID]ids{}
			for i, c := range values {
				id := cdr.AccountID(1000 + i)
				k := ids{fmt.Sprintf("site-%d", i), fmt.Sprintf("call-%d", i)}
				if keyFits(dbase, c.v) {
					k = ids{c.v, c.v}
				}
				keys[id] = k
				_, err := s.Write(ctx, corpusBatch(k.site, k.callID, c.v, id))
				require.NoError(t, err, "writing %s", c.name)
			}
			// The read-back API decodes what Write encoded.
			t.Run("ReadCalls", func(t *testing.T) {
				n := 0
				for c, err := range s.ReadCalls(ctx, time.Time{}, time.Time{}) {
					require.NoError(t, err)
					n++
					i := int(c.Journey.CallerAccountID) - 1000
					require.True(t, i >= 0 && i < len(values), "caller account %d", c.Journey.CallerAccountID)
					v, k := values[i].v, keys[c.Journey.CallerAccountID]
					require.Len(t, c.Legs, 1, values[i].name)
					l := c.Legs[0]
					got := []string{c.Journey.Site, c.Journey.CallID, c.Journey.CallerCallerID.Name, l.Site, l.CallID, l.CallerCallerID.Name, l.CalledCallerID.Name, l.LineName, l.Comment, l.CommentAuthor}
					want := []string{k.site, k.callID, v, k.site, k.callID, v, v, v, v, v}
					for j := range want {
						if got[j] != want[j] {
							t.Errorf("%s: field %d read back %s, want %s", values[i].name, j, abbrev(got[j]), abbrev(want[j]))
						}
					}
				}
				require.Equal(t, len(values), n)
			})
			for _, tb := range corpusTables {
				t.Run(tb.table, func(t *testing.T) {
					got := readText(t, db, s, tb.table, tb.id, tb.cols)
					n := 0
					for i, c := range values {
						id := cdr.AccountID(1000 + i)
						if tb.table == sqlsink.TableGroupCallAccount && id%2 == 0 || tb.table == sqlsink.TableUserCallAccount && id%2 == 1 {
							continue
						}
						n++
						row, ok := got[int64(id)]
						if !ok {
							t.Errorf("%s: no row", c.name)
							continue
						}
						for j, col := range tb.cols {
							want := col.want(keys[id].site, keys[id].callID, c.v)
							raw := row[j]
							if d := sqlsink.DecodeText(raw); d != want {
								t.Errorf("%s: column %s read back %s, want %s", c.name, col.name, abbrev(d), abbrev(want))
							}
							if enc := encoded(dbase, want, col.key); enc != strings.HasPrefix(raw, sqlsink.EncodedPrefix) {
								t.Errorf("%s: column %s stored as %s: encoded %v, want %v", c.name, col.name, abbrev(raw), !enc, enc)
							}
							if !utf8.ValidString(raw) {
								t.Errorf("%s: column %s holds invalid UTF-8 %s", c.name, col.name, abbrev(raw))
							}
						}
					}
					require.Len(t, got, n, "rows in %s", tb.table)
				})
			}
		})
	}
}

// readText returns, per id, the named text columns of every row of table,
// read with a plain SELECT.
func readText(t *testing.T, db *sql.DB, s *sqlsink.Sink, table, id string, cols []corpusColumn) map[int64][]string {
	t.Helper()
	d := s.Dialect()
	q := "SELECT " + d.Quote(id)
	for _, c := range cols {
		q += ", " + d.Quote(c.name)
	}
	rows, err := db.Query(q + " FROM " + d.Quote(s.TableName(table)))
	require.NoError(t, err)
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var k int64
		vals := make([]string, len(cols))
		dest := []any{&k}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		require.NoError(t, rows.Scan(dest...))
		require.NotContains(t, out, k, "two rows of id %d in %s", k, table)
		out[k] = vals
	}
	require.NoError(t, rows.Err())
	return out
}

// abbrev quotes s, cut to 80 bytes, for a failure message.
func abbrev(s string) string {
	if len(s) > 80 {
		return fmt.Sprintf("%q… (%d bytes)", s[:80], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// TestCorpusKeysStayApart: keys that differ only in trailing spaces, case,
// Unicode normalisation, a NUL or an invalid byte are different calls on
// every database. MariaDB compares VARCHAR keys with PAD SPACE ("a" equals
// "a "): without encoding such keys, the second call overwrites the first
// without an error.
func TestCorpusKeysStayApart(t *testing.T) {
	groups := []struct {
		name string
		ids  []string
	}{
		{"trailing spaces", []string{"pad", "pad ", "pad  "}},
		{"case", []string{"call", "Call", "CALL"}},
		{"normalisation", []string{"e\u0301", "é"}},
		{"NUL", []string{"n", "n\x00", "\x00n"}},
		{"invalid byte", []string{"M\xfcller", "Müller", "M%FCller", sqlsink.EncodedPrefix + "M%FCller"}},
		{"tab and space", []string{"t\t", "t", "t "}},
	}
	for _, dbase := range databases {
		t.Run(dbase.name, func(t *testing.T) {
			ctx := context.Background()
			s, db := newSink(t, dbase)
			_, err := s.Migrate(ctx)
			require.NoError(t, err)
			for gi, g := range groups {
				var b sqlsink.Batch
				for i, callID := range g.ids {
					one := corpusBatch("site", callID, fmt.Sprintf("value %d of %s", i, g.name), cdr.AccountID(100*gi+i))
					b.Calls = append(b.Calls, one.Calls...)
				}
				_, err := s.Write(ctx, b)
				require.NoError(t, err, g.name)
			}
			for gi, g := range groups {
				t.Run(g.name, func(t *testing.T) {
					got := readText(t, db, s, sqlsink.TableJourneys, "caller_account_id", []corpusColumn{{name: "call_id"}, {name: "caller_name"}})
					for i, callID := range g.ids {
						row, ok := got[int64(100*gi+i)]
						if !ok {
							t.Errorf("call %q: no row: another key overwrote it", callID)
							continue
						}
						want := []string{callID, fmt.Sprintf("value %d of %s", i, g.name)}
						if diff := cmp.Diff(want, []string{sqlsink.DecodeText(row[0]), row[1]}); diff != "" {
							t.Errorf("call %q (-want +got):\n%s", callID, diff)
						}
					}
				})
			}
			total := 0
			for _, g := range groups {
				total += len(g.ids)
			}
			require.Equal(t, total, countRows(t, db, s, sqlsink.TableJourneys))
			require.Equal(t, total, countRows(t, db, s, sqlsink.TableLegs))
		})
	}
}

// TestCorpusKeyTooLong: a key the database cannot hold fails the write
// with an error naming the table, the row and the column, and stores
// nothing of the batch. MySQL's VARCHAR(255) holds 255 characters, not
// 256 (outside strict mode the server would truncate it and two long ids
// would become one); PostgreSQL refuses an index entry over about 2,700
// bytes; SQLite has no such limit.
func TestCorpusKeyTooLong(t *testing.T) {
	for _, dbase := range databases {
		t.Run(dbase.name, func(t *testing.T) {
			ctx := context.Background()
			s, db := newSink(t, dbase)
			_, err := s.Migrate(ctx)
			require.NoError(t, err)
			long := longText(100000, 3)
			if dbase.name == "mysql" {
				long = strings.Repeat("ä", 256)
			}
			var b sqlsink.Batch
			for i, callID := range []string{"a", "b", long, "d"} {
				one := corpusBatch("site", callID, "x", cdr.AccountID(i))
				b.Calls = append(b.Calls, one.Calls...)
			}
			b.Checkpoint = &sqlsink.Checkpoint{Name: "cdr", Cursor: 7}
			_, err = s.Write(ctx, b)
			if dbase.name == "sqlite" {
				require.NoError(t, err, "SQLite keys have no length limit")
				require.Equal(t, 4, countRows(t, db, s, sqlsink.TableLegs))
				got := readText(t, db, s, sqlsink.TableLegs, "account_id", []corpusColumn{{name: "call_id"}})
				require.Equal(t, long, got[2][0])
				return
			}
			require.Error(t, err)
			var we *sqlsink.WriteError
			require.ErrorAs(t, err, &we)
			require.Equal(t, s.TableName(sqlsink.TableLegs), we.Table, "the error names the table")
			require.Contains(t, err.Error(), s.TableName(sqlsink.TableLegs))
			require.Less(t, len(err.Error()), 1000, "the message quotes the key cut short: %s", abbrev(err.Error()))
			switch dbase.name {
			case "mysql":
				// The sink refuses the value before sending it, so it
				// knows the row and the column.
				require.ErrorIs(t, err, sqlsink.ErrKeyTooLong)
				require.Equal(t, 2, we.Row, "the row of the long call id")
				require.Equal(t, "call_id", we.Column)
				require.Contains(t, err.Error(), "256 characters")
			case "postgres":
				// The server refuses the index entry: the error names the
				// chunk (here the only one) and wraps the driver's error.
				var pe *pgconn.PgError
				require.ErrorAs(t, err, &pe)
				require.Equal(t, "54000", pe.Code, "program_limit_exceeded: %v", pe)
				require.Equal(t, 0, we.Chunk)
			}
			for _, table := range []string{sqlsink.TableLegs, sqlsink.TableJourneys, sqlsink.TableCheckpoints} {
				require.Zero(t, countRows(t, db, s, table), "%s after the failed write", table)
			}
			// The longest key the column holds is stored and reads back.
			fits := long[:len(long)-len("ä")]
			if dbase.name == "postgres" {
				fits = strings.Repeat("x", 2000) // compressible, so short in the index
			}
			_, err = s.Write(ctx, corpusBatch("site", fits, "x", 9))
			require.NoError(t, err)
			got := readText(t, db, s, sqlsink.TableLegs, "account_id", []corpusColumn{{name: "call_id"}})
			require.Equal(t, fits, got[9][0])
		})
	}
}
