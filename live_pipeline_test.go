package starinsight_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/testdb"
	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/live/starfacetest"
	"github.com/starinsight/starinsight/powerbi"
	"github.com/starinsight/starinsight/powerbi/powerbitest"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/pseudo/pseudotest"
	"github.com/starinsight/starinsight/sqlsink"
)

// The fake PBX's people: the names a pseudonymised target must never
// hold.
var (
	liveUserNames = []string{"Sieglinde Schreiber", "Annegret Achterberg", "Bernhard Brandauer"}
	liveCaller    = "Gerda Gastmann"
	liveCallerNo  = "+4971112345678"
	livePlan      = cdr.GermanPlan("711")
)

// livePBX is a PBX with an administrator (1) and two agents (2, 3) in two
// groups; agent 2 is logged in to group 10.
func livePBX() *starfacetest.PBX {
	p := starfacetest.New()
	for i, name := range liveUserNames {
		first, family, _ := strings.Cut(name, " ")
		p.AddUser(starfacetest.User{ID: int64(i + 1), Login: fmt.Sprintf("000%d", i+1), Password: fmt.Sprintf("pw-%d", i+1),
			FirstName: first, FamilyName: family, Admin: i == 0, Extension: fmt.Sprintf("1%d", i)})
	}
	p.AddGroup(starfacetest.Group{ID: 10, Name: "Vertrieb"}, 2, 3)
	p.AddGroup(starfacetest.Group{ID: 11, Name: "Technik"}, 3)
	p.SetGroupLogin(10, 2, true)
	return p
}

// liveSource reads p as the administrator, with UCI sessions of the two
// agents.
func liveSource(t testing.TB, p *starfacetest.PBX) *live.Starface {
	t.Helper()
	s, err := live.NewStarface("https://pbx.test", "0001", "pw-1",
		live.WithStarfaceHTTPClient(p.Client()), live.WithStarfaceSite("HQ"), live.WithStarfaceNumberPlan(livePlan),
		live.WithUCIUser("0002", "pw-2"), live.WithUCIUser("0003", "pw-3"))
	require.NoError(t, err)
	return s
}

func livePseudonymiser(t testing.TB) *pseudo.Pseudonymiser {
	t.Helper()
	key, err := pseudo.GenerateKey("k1")
	require.NoError(t, err)
	p, err := pseudo.New(pseudo.WithKey(key), pseudo.WithNumberPlan(livePlan))
	require.NoError(t, err)
	return p
}

func liveCorpus() *pseudotest.Corpus {
	c := pseudotest.NewCorpus()
	for _, n := range liveUserNames {
		c.AddName(n)
	}
	c.AddName(liveCaller)
	c.AddNumber(liveCallerNo, livePlan)
	return c
}

// liveSQL is a migrated SQLite sink with its database.
func liveSQL(t testing.TB, p *pseudo.Pseudonymiser) (*sql.DB, *sqlsink.Sink) {
	t.Helper()
	db := testdb.SQLite(t)
	s, err := sqlsink.New(db, sqlsink.SQLite{}, sqlsink.WithPseudonymiser(p))
	require.NoError(t, err)
	_, err = s.Migrate(context.Background())
	require.NoError(t, err)
	return db, s
}

// livePowerBI provisions a live dataset called name on svc and returns
// an Uploader to it and the dataset's id.
func livePowerBI(t testing.TB, svc *powerbitest.Service, name string, p *pseudo.Pseudonymiser) (*powerbi.Uploader, string) {
	t.Helper()
	c, err := powerbi.NewClient(powerbi.StaticToken("t"), powerbi.WithHTTPClient(svc.Client()))
	require.NoError(t, err)
	l, err := powerbi.NewLive()
	require.NoError(t, err)
	def, err := l.Definition(name)
	require.NoError(t, err)
	prov, err := c.Provision(context.Background(), "", def, powerbi.RetentionNone)
	require.NoError(t, err)
	u, err := powerbi.NewUploader(c, "", prov.Dataset.ID, powerbi.WithPseudonymiser(p))
	require.NoError(t, err)
	return u, prov.Dataset.ID
}

// liveRecorder collects what the pipeline's hooks report.
type liveRecorder struct {
	mu         sync.Mutex
	errs       []*starinsight.LiveError
	deliveries []starinsight.LiveDelivery
	at         []time.Time // when each delivery was reported
}

func (r *liveRecorder) options() []starinsight.LiveOption {
	return []starinsight.LiveOption{
		starinsight.WithLiveOnError(func(e *starinsight.LiveError) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.errs = append(r.errs, e)
		}),
		starinsight.WithLiveProgress(func(d starinsight.LiveDelivery) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.deliveries = append(r.deliveries, d)
			r.at = append(r.at, time.Now())
		}),
	}
}

// errors returns the errors reported for target ("" the PBX).
func (r *liveRecorder) errors(target string) []*starinsight.LiveError {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*starinsight.LiveError
	for _, e := range r.errs {
		if e.Target == target && !e.Alerts {
			out = append(out, e)
		}
	}
	return out
}

// polled returns the poll times of target's deliveries of job, and
// whether each was delivered at once.
func (r *liveRecorder) polled(target string, job live.Job) (polled []time.Time, onTime bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	onTime = true
	for i, d := range r.deliveries {
		if d.Target == target && d.Job == job {
			polled = append(polled, d.Polled)
			onTime = onTime && r.at[i].Equal(d.Polled)
		}
	}
	return polled, onTime
}

// every returns the times from start + from to start + to, step apart.
func every(start time.Time, from, to, step time.Duration) []time.Time {
	var out []time.Time
	for d := from; d <= to; d += step {
		out = append(out, start.Add(d))
	}
	return out
}

// script runs each step at its offset from start, in a goroutine of the
// bubble; the offsets avoid the polls' instants (multiples of 15 s), so
// that which poll sees a change is certain.
type step struct {
	at time.Duration
	do func()
}

func script(start time.Time, steps ...step) {
	go func() {
		for _, s := range steps {
			time.Sleep(time.Until(start.Add(s.at)))
			s.do()
		}
	}()
}

func runFor(t *testing.T, pl *starinsight.LivePipeline, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	require.ErrorIs(t, pl.Run(ctx), context.DeadlineExceeded)
}

func sqlTimes(t testing.TB, db *sql.DB, query string, args ...any) []time.Time {
	t.Helper()
	rows, err := db.Query(query, args...)
	require.NoError(t, err)
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		at, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		out = append(out, at)
	}
	require.NoError(t, rows.Err())
	return out
}

func sqlCount(t testing.TB, db *sql.DB, query string) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow(query).Scan(&n))
	return n
}

func sqlUserLogins(t testing.TB, db *sql.DB) []live.UserLoginState {
	t.Helper()
	rows, err := db.Query(`SELECT site, account_id, at, dnd, always_forward FROM user_login_states ORDER BY at, account_id`)
	require.NoError(t, err)
	defer rows.Close()
	var out []live.UserLoginState
	for rows.Next() {
		var u live.UserLoginState
		var at string
		require.NoError(t, rows.Scan(&u.Site, &u.AccountID, &at, &u.DND, &u.AlwaysForward))
		u.At, err = time.Parse(time.RFC3339Nano, at)
		require.NoError(t, err)
		out = append(out, u)
	}
	require.NoError(t, rows.Err())
	return out
}

func sqlMemberLogins(t testing.TB, db *sql.DB) []live.MemberLoginState {
	t.Helper()
	rows, err := db.Query(`SELECT site, group_id, user_id, at, logged_in FROM member_login_states ORDER BY at, group_id, user_id`)
	require.NoError(t, err)
	defer rows.Close()
	var out []live.MemberLoginState
	for rows.Next() {
		var m live.MemberLoginState
		var at string
		require.NoError(t, rows.Scan(&m.Site, &m.GroupID, &m.UserID, &at, &m.LoggedIn))
		m.At, err = time.Parse(time.RFC3339Nano, at)
		require.NoError(t, err)
		out = append(out, m)
	}
	require.NoError(t, rows.Err())
	return out
}

// dumpSQL writes every row of every table as text, for the leak scan.
func dumpSQL(t testing.TB, db *sql.DB) []byte {
	t.Helper()
	var tables []string
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	require.NoError(t, err)
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		tables = append(tables, n)
	}
	require.NoError(t, rows.Err())
	rows.Close()
	var b bytes.Buffer
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		require.NoError(t, err)
		cols, err := rows.Columns()
		require.NoError(t, err)
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			require.NoError(t, rows.Scan(ptrs...))
			b.WriteString(table)
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "\t%v", v)
			}
			b.WriteByte('\n')
		}
		require.NoError(t, rows.Err())
		rows.Close()
	}
	return b.Bytes()
}

// fakeRows returns the rows of the live tables of a dataset as JSON.
func fakeRows(t testing.TB, svc *powerbitest.Service, id string) []byte {
	t.Helper()
	out, err := json.Marshal([][]map[string]any{svc.Rows("", id, powerbi.TableLiveUsers), svc.Rows("", id, powerbi.TableLiveQueues)})
	require.NoError(t, err)
	return out
}

// fakeTimes returns the distinct "at" values of a fake table, sorted.
func fakeTimes(t testing.TB, svc *powerbitest.Service, id, table string) []time.Time {
	t.Helper()
	var out []time.Time
	for _, r := range svc.Rows("", id, table) {
		at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(r["at"]))
		require.NoError(t, err)
		out = append(out, at)
	}
	slices.SortFunc(out, time.Time.Compare)
	return slices.CompactFunc(out, time.Time.Equal)
}

// fakeRequests returns the requests of op on dataset id that succeeded:
// their times and rows.
func fakeRequests(svc *powerbitest.Service, id, op string) (times []time.Time, rows int) {
	for _, r := range svc.Requests() {
		if r.Op == op && r.Status/100 == 2 && strings.Contains(r.Path, "/datasets/"+id+"/") {
			times = append(times, r.At)
			rows += r.Rows
		}
	}
	return times, rows
}

// TestLivePipelineHour runs one simulated hour into four targets: SQL
// and Power BI, each pseudonymised and in clear, with state changes on
// the PBX at known times.
func TestLivePipelineHour(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		pbx := livePBX()
		pseudonymiser := livePseudonymiser(t)
		dbP, sqlP := liveSQL(t, pseudonymiser)
		dbC, sqlC := liveSQL(t, pseudo.Clear())
		svc := powerbitest.New()
		pbiP, idP := livePowerBI(t, svc, "Live pseudonymised", pseudonymiser)
		pbiC, idC := livePowerBI(t, svc, "Live clear", pseudo.Clear())
		var rec liveRecorder
		pl, err := starinsight.NewLivePipeline(liveSource(t, pbx), []starinsight.LiveTarget{
			{Sink: starinsight.NewLiveSQLSink(sqlP), Pseudonymiser: pseudonymiser, Name: "sql-p"},
			{Sink: starinsight.NewLiveSQLSink(sqlC), Pseudonymiser: pseudo.Clear(), Name: "sql-c"},
			{Sink: starinsight.NewLivePowerBISink(pbiP), Pseudonymiser: pseudonymiser, Name: "pbi-p"},
			{Sink: starinsight.NewLivePowerBISink(pbiC), Pseudonymiser: pseudo.Clear(), Name: "pbi-c"},
		}, rec.options()...)
		require.NoError(t, err)

		script(t0,
			step{5*time.Minute + 7*time.Second, func() { pbx.SetUserState(2, starfacetest.UserState{TelephonyState: "AVAILABLE", DoNotDisturb: true}) }},
			step{10*time.Minute + 7*time.Second, func() {
				pbx.SetRedirect(starfacetest.Redirect{ID: "r1", UserID: 3, Trigger: "ALWAYS", Enabled: true, Destination: "+4971199999"})
			}},
			step{12*time.Minute + 7*time.Second, func() {
				pbx.StartCall(starfacetest.Call{ID: "c1", UserID: 2, SeenBy: []int64{3}, State: "RINGING",
					CallerName: liveCaller, CallerNumber: liveCallerNo, GroupID: "10"})
			}},
			step{13*time.Minute + 7*time.Second, func() { pbx.EndCall("c1") }},
			step{20*time.Minute + 7*time.Second, func() { pbx.SetGroupLogin(10, 2, false) }},
			step{30*time.Minute + 7*time.Second, func() { pbx.SetUserState(2, starfacetest.UserState{TelephonyState: "AVAILABLE"}) }},
			step{40*time.Minute + 7*time.Second, func() { pbx.SetGroupLogin(10, 2, true) }},
		)
		runFor(t, pl, time.Hour-time.Second)

		at := func(d time.Duration) time.Time { return t0.Add(d) }
		wantUsers := []live.UserLoginState{
			{At: at(0), Site: "HQ", AccountID: 1},
			{At: at(0), Site: "HQ", AccountID: 2},
			{At: at(0), Site: "HQ", AccountID: 3},
			{At: at(5*time.Minute + 15*time.Second), Site: "HQ", AccountID: 2, DND: true},
			{At: at(10*time.Minute + 15*time.Second), Site: "HQ", AccountID: 3, AlwaysForward: true},
			{At: at(30*time.Minute + 15*time.Second), Site: "HQ", AccountID: 2},
		}
		wantMembers := []live.MemberLoginState{
			{At: at(0), Site: "HQ", GroupID: 10, UserID: 2, LoggedIn: true},
			{At: at(0), Site: "HQ", GroupID: 10, UserID: 3},
			{At: at(0), Site: "HQ", GroupID: 11, UserID: 3},
			{At: at(20*time.Minute + 15*time.Second), Site: "HQ", GroupID: 10, UserID: 2},
			{At: at(40*time.Minute + 15*time.Second), Site: "HQ", GroupID: 10, UserID: 2, LoggedIn: true},
		}
		snapshots := every(t0, 0, time.Hour-15*time.Second, 15*time.Second)
		require.Len(t, snapshots, 240)
		for _, tc := range []struct {
			name string
			db   *sql.DB
		}{{"pseudonymised", dbP}, {"clear", dbC}} {
			func() {
				if diff := cmp.Diff(wantUsers, sqlUserLogins(t, tc.db)); diff != "" {
					t.Errorf("%s: user_login_states: only the changes (-want +got):\n%s", tc.name, diff)
				}
				if diff := cmp.Diff(wantMembers, sqlMemberLogins(t, tc.db)); diff != "" {
					t.Errorf("%s: member_login_states: only the changes (-want +got):\n%s", tc.name, diff)
				}
				if diff := cmp.Diff(snapshots, sqlTimes(t, tc.db, `SELECT DISTINCT at FROM live_users ORDER BY at`)); diff != "" {
					t.Errorf("%s: live_users: every snapshot (-want +got):\n%s", tc.name, diff)
				}
				if diff := cmp.Diff(snapshots, sqlTimes(t, tc.db, `SELECT DISTINCT at FROM live_queues ORDER BY at`)); diff != "" {
					t.Errorf("%s: live_queues: every snapshot (-want +got):\n%s", tc.name, diff)
				}
				require.Equal(t, 3*240, sqlCount(t, tc.db, `SELECT COUNT(*) FROM live_users`), tc.name)
				require.Equal(t, 2*240, sqlCount(t, tc.db, `SELECT COUNT(*) FROM live_queues`), tc.name)
				if diff := cmp.Diff(every(t0, 12*time.Minute+15*time.Second, 13*time.Minute, 15*time.Second),
					sqlTimes(t, tc.db, `SELECT at FROM live_queues WHERE account_id = 10 AND waiting_calls = 1 ORDER BY at`)); diff != "" {
					t.Errorf("%s: the waiting caller (-want +got):\n%s", tc.name, diff)
				}
				require.Equal(t, 5, sqlCount(t, tc.db, `SELECT COUNT(*) FROM accounts`), "%s: the accounts, read at the start", tc.name)
			}()
		}
		for _, tc := range []struct{ name, id string }{{"pseudonymised", idP}, {"clear", idC}} {
			func() {
				deletes, _ := fakeRequests(svc, tc.id, powerbitest.OpDeleteRows)
				want := []time.Time{at(20 * time.Minute), at(20 * time.Minute), at(40 * time.Minute), at(40 * time.Minute)}
				if diff := cmp.Diff(want, deletes); diff != "" {
					t.Errorf("%s: DeleteRows, both tables every 20 min (-want +got):\n%s", tc.name, diff)
				}
				_, posted := fakeRequests(svc, tc.id, powerbitest.OpPostRows)
				require.Equal(t, 240*(3+2), posted, "%s: every snapshot's rows posted once", tc.name)
				// The snapshot polled at the cleanup's instant may come
				// before or after it.
				got := fakeTimes(t, svc, tc.id, powerbi.TableLiveUsers)
				if len(got) > 0 && got[0].Equal(at(40*time.Minute)) {
					got = got[1:]
				}
				if diff := cmp.Diff(every(t0, 40*time.Minute+15*time.Second, time.Hour-15*time.Second, 15*time.Second), got); diff != "" {
					t.Errorf("%s: live_users holds the snapshots since the last cleanup (-want +got):\n%s", tc.name, diff)
				}
			}()
		}
		for _, target := range []string{"sql-p", "sql-c", "pbi-p", "pbi-c"} {
			polled, onTime := rec.polled(target, live.JobSnapshot)
			require.Len(t, polled, 240, target)
			require.True(t, onTime, "%s: every snapshot delivered when polled", target)
		}
		for _, target := range []string{"", "sql-p", "sql-c", "pbi-p", "pbi-c"} {
			require.Empty(t, rec.errors(target), "target %q", target)
		}

		{
			corpus := liveCorpus()
			pseudotest.AssertNoLeaks(t, "pseudonymised SQL", dumpSQL(t, dbP), corpus)
			pseudotest.AssertFinds(t, "clear SQL", dumpSQL(t, dbC), corpus, []pseudotest.Kind{pseudotest.KindName, pseudotest.KindNumber})
			pseudotest.AssertNoLeaks(t, "pseudonymised Power BI", fakeRows(t, svc, idP), corpus)
			pseudotest.AssertFinds(t, "clear Power BI", fakeRows(t, svc, idC), corpus, []pseudotest.Kind{pseudotest.KindName})
		}
	})
}

// TestLivePipelinePBXUnreachable: the PBX drops every request for five
// minutes. The failures are reported, the polls back off, and the
// pipeline resumes by itself when the PBX is back.
func TestLivePipelinePBXUnreachable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		pbx := livePBX()
		db, s := liveSQL(t, pseudo.Clear())
		var rec liveRecorder
		pl, err := starinsight.NewLivePipeline(liveSource(t, pbx),
			[]starinsight.LiveTarget{{Sink: starinsight.NewLiveSQLSink(s), Pseudonymiser: pseudo.Clear()}}, rec.options()...)
		require.NoError(t, err)
		down, up := 2*time.Minute+7*time.Second, 7*time.Minute+7*time.Second
		script(t0,
			step{down, func() { pbx.InjectFault(starfacetest.Fault{Drop: true, Times: -1}) }},
			step{up, func() { pbx.ClearFaults() }},
		)
		runFor(t, pl, 15*time.Minute-time.Second)

		got := sqlTimes(t, db, `SELECT DISTINCT at FROM live_users ORDER BY at`)
		i := slices.IndexFunc(got, func(at time.Time) bool { return at.After(t0.Add(down)) })
		require.Positive(t, i)
		if diff := cmp.Diff(every(t0, 0, 2*time.Minute, 15*time.Second), got[:i]); diff != "" {
			t.Errorf("before the outage (-want +got):\n%s", diff)
		}
		resumed := got[i]
		require.True(t, !resumed.Before(t0.Add(up)) && !resumed.After(t0.Add(up+live.DefaultMaxBackoff)),
			"resumed at %v, within the maximum back-off of the PBX's return", resumed.Sub(t0))
		if diff := cmp.Diff(every(resumed, 0, t0.Add(15*time.Minute-time.Second).Sub(resumed), 15*time.Second), got[i:]); diff != "" {
			t.Errorf("after the outage, every 15 s again (-want +got):\n%s", diff)
		}

		errs := rec.errors("")
		require.NotEmpty(t, errs)
		var waits []time.Duration
		for _, e := range errs {
			var se *live.StarfaceError
			require.ErrorAs(t, e, &se)
			require.Equal(t, live.StarfaceUnreachable, se.Kind, "%v", e)
			if e.Job == live.JobSnapshot {
				waits = append(waits, e.RetryIn)
			}
		}
		want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute}
		if diff := cmp.Diff(want, waits); diff != "" {
			t.Errorf("the snapshot job's back-off (-want +got):\n%s", diff)
		}
		require.Empty(t, rec.errors("sql:sqlite"), "the target saw no failure")
	})
}

// TestLivePipelineTargetDown: the SQL database is not usable for three
// minutes (its tables are missing until Migrate). Power BI gets every
// snapshot on time meanwhile, and the SQL target catches up on its
// backlog: every snapshot, and the login change with the time it was
// seen.
func TestLivePipelineTargetDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		pbx := livePBX()
		db := testdb.SQLite(t)
		s, err := sqlsink.New(db, sqlsink.SQLite{}, sqlsink.WithPseudonymiser(pseudo.Clear()))
		require.NoError(t, err)
		svc := powerbitest.New()
		u, id := livePowerBI(t, svc, "Live", pseudo.Clear())
		var rec liveRecorder
		pl, err := starinsight.NewLivePipeline(liveSource(t, pbx), []starinsight.LiveTarget{
			{Sink: starinsight.NewLiveSQLSink(s), Pseudonymiser: pseudo.Clear()},
			{Sink: starinsight.NewLivePowerBISink(u), Pseudonymiser: pseudo.Clear()},
		}, rec.options()...)
		require.NoError(t, err)
		script(t0,
			step{time.Minute + 7*time.Second, func() { pbx.SetUserState(2, starfacetest.UserState{TelephonyState: "AVAILABLE", DoNotDisturb: true}) }},
			step{3*time.Minute + 7*time.Second, func() {
				_, err := s.Migrate(context.Background())
				require.NoError(t, err)
			}},
		)
		runFor(t, pl, 10*time.Minute-time.Second)

		snapshots := every(t0, 0, 10*time.Minute-15*time.Second, 15*time.Second)
		polled, onTime := rec.polled("powerbi", live.JobSnapshot)
		if diff := cmp.Diff(snapshots, polled); diff != "" {
			t.Errorf("Power BI: every snapshot (-want +got):\n%s", diff)
		}
		require.True(t, onTime, "Power BI: every snapshot delivered when polled")
		if diff := cmp.Diff(snapshots, fakeTimes(t, svc, id, powerbi.TableLiveUsers)); diff != "" {
			t.Errorf("Power BI rows (-want +got):\n%s", diff)
		}

		if diff := cmp.Diff(snapshots, sqlTimes(t, db, `SELECT DISTINCT at FROM live_users ORDER BY at`)); diff != "" {
			t.Errorf("SQL: every snapshot, after the outage too (-want +got):\n%s", diff)
		}
		want := []live.UserLoginState{
			{At: t0, Site: "HQ", AccountID: 1},
			{At: t0, Site: "HQ", AccountID: 2},
			{At: t0, Site: "HQ", AccountID: 3},
			{At: t0.Add(time.Minute + 15*time.Second), Site: "HQ", AccountID: 2, DND: true},
		}
		if diff := cmp.Diff(want, sqlUserLogins(t, db)); diff != "" {
			t.Errorf("SQL: the login changes with the times they were seen (-want +got):\n%s", diff)
		}
		require.Equal(t, 5, sqlCount(t, db, `SELECT COUNT(*) FROM accounts`))

		errs := rec.errors("sql:sqlite")
		require.NotEmpty(t, errs)
		var waits []time.Duration
		for _, e := range errs {
			var fe *live.FatalError
			require.False(t, errors.As(e, &fe), "not fatal: %v", e)
			require.ErrorContains(t, e, "no such table")
			waits = append(waits, e.RetryIn)
		}
		// The seeding at the start (not retried), then the deliveries.
		if diff := cmp.Diff([]time.Duration{0, 30 * time.Second, time.Minute, 2 * time.Minute}, waits); diff != "" {
			t.Errorf("the target's back-off (-want +got):\n%s", diff)
		}
		require.Empty(t, rec.errors("powerbi"))
		require.Empty(t, rec.errors(""))
	})
}

// TestLivePipelinePowerBIThrottled: Power BI answers 429 to live rows.
// Within the backlog no snapshot is lost or doubled; beyond it the
// oldest waiting snapshots are dropped and reported, the newest kept.
// The SQL target is not held up either way.
func TestLivePipelinePowerBIThrottled(t *testing.T) {
	for _, tc := range []struct {
		name    string
		faults  []powerbitest.Fault
		backlog int
		run     time.Duration
		want    func(t0 time.Time) []time.Time // the snapshots Power BI holds
		dropped int
	}{{
		name:    "storm of ten 1-minute throttles",
		faults:  slices.Repeat([]powerbitest.Fault{{Op: powerbitest.OpPostRows, Status: http.StatusTooManyRequests, RetryAfter: time.Minute}}, 10),
		backlog: starinsight.DefaultLiveBacklog,
		run:     20*time.Minute - time.Second, // before the first cleanup
		want: func(t0 time.Time) []time.Time {
			return every(t0, 0, 20*time.Minute-15*time.Second, 15*time.Second)
		},
	}, {
		name:    "one throttle longer than the backlog",
		faults:  []powerbitest.Fault{{Op: powerbitest.OpPostRows, Status: http.StatusTooManyRequests, RetryAfter: 10*time.Minute + 7*time.Second}},
		backlog: 8,
		run:     15*time.Minute - time.Second,
		want: func(t0 time.Time) []time.Time {
			// The snapshot being sent, the 7 newest waiting with it,
			// and every one after the throttle.
			out := []time.Time{t0}
			out = append(out, every(t0, 8*time.Minute+30*time.Second, 10*time.Minute, 15*time.Second)...)
			return append(out, every(t0, 10*time.Minute+15*time.Second, 15*time.Minute-15*time.Second, 15*time.Second)...)
		},
		dropped: 40 - 7,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				db, s := liveSQL(t, pseudo.Clear())
				svc := powerbitest.New()
				u, id := livePowerBI(t, svc, "Live", pseudo.Clear())
				for _, f := range tc.faults {
					svc.Inject(f)
				}
				var rec liveRecorder
				pl, err := starinsight.NewLivePipeline(liveSource(t, livePBX()), []starinsight.LiveTarget{
					{Sink: starinsight.NewLivePowerBISink(u), Pseudonymiser: pseudo.Clear()},
					{Sink: starinsight.NewLiveSQLSink(s), Pseudonymiser: pseudo.Clear()},
				}, append(rec.options(), starinsight.WithLiveBacklog(tc.backlog))...)
				require.NoError(t, err)
				runFor(t, pl, tc.run)

				want := tc.want(t0)
				if diff := cmp.Diff(want, fakeTimes(t, svc, id, powerbi.TableLiveUsers)); diff != "" {
					t.Errorf("Power BI's snapshots (-want +got):\n%s", diff)
				}
				_, posted := fakeRequests(svc, id, powerbitest.OpPostRows)
				require.Equal(t, len(want)*(3+2), posted, "no row doubled")
				require.GreaterOrEqual(t, svc.Stats().Throttled, len(tc.faults))

				errs := rec.errors("powerbi")
				require.Len(t, errs, tc.dropped)
				for _, e := range errs {
					require.ErrorIs(t, e, starinsight.ErrSnapshotDropped)
				}

				snapshots := every(t0, 0, tc.run-time.Nanosecond, 15*time.Second)
				if diff := cmp.Diff(snapshots, sqlTimes(t, db, `SELECT DISTINCT at FROM live_users ORDER BY at`)); diff != "" {
					t.Errorf("SQL: every snapshot (-want +got):\n%s", diff)
				}
				_, onTime := rec.polled("sql:sqlite", live.JobSnapshot)
				require.True(t, onTime, "SQL: every snapshot delivered when polled")
			})
		})
	}
}

// fatalSink fails every snapshot with a fatal error.
type fatalSink struct{}

func (fatalSink) Name() string { return "fatal" }
func (fatalSink) Snapshot(context.Context, []live.UserState, []live.QueueState) error {
	return live.Fatal(errors.New("credential revoked"))
}

// TestLivePipelineFatal: an error no retry can mend stops Run, which
// returns it naming the target.
func TestLivePipelineFatal(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sink    func(t *testing.T) starinsight.LiveSink
		wantErr string
	}{{
		name: "Power BI dataset gone",
		sink: func(t *testing.T) starinsight.LiveSink {
			c, err := powerbi.NewClient(powerbi.StaticToken("t"), powerbi.WithHTTPClient(powerbitest.New().Client()))
			require.NoError(t, err)
			u, err := powerbi.NewUploader(c, "", "0b6a4a36-7a6c-4e4e-9d7e-000000000000", powerbi.WithPseudonymiser(pseudo.Clear()))
			require.NoError(t, err)
			return starinsight.NewLivePowerBISink(u)
		},
		wantErr: "starinsight: live: powerbi: snapshot polled at 2000-01-01T00:00:00Z: fatal: powerbi: upload to live_users: rows 0 to 2 not added (0 before them were): powerbi: PostRows",
	}, {
		name:    "sink's own fatal error",
		sink:    func(*testing.T) starinsight.LiveSink { return fatalSink{} },
		wantErr: "starinsight: live: fatal: snapshot polled at 2000-01-01T00:00:00Z: fatal: credential revoked",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				db, s := liveSQL(t, pseudo.Clear())
				pl, err := starinsight.NewLivePipeline(liveSource(t, livePBX()), []starinsight.LiveTarget{
					{Sink: starinsight.NewLiveSQLSink(s), Pseudonymiser: pseudo.Clear()},
					{Sink: tc.sink(t), Pseudonymiser: pseudo.Clear()},
				})
				require.NoError(t, err)
				ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
				defer cancel()
				err = pl.Run(ctx)
				var fe *live.FatalError
				require.ErrorAs(t, err, &fe)
				require.ErrorContains(t, err, tc.wantErr)
				require.Equal(t, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Now().UTC(), "stopped at once")
				require.LessOrEqual(t, sqlCount(t, db, `SELECT COUNT(DISTINCT at) FROM live_users`), 1)
			})
		})
	}
}

// TestNewLivePipelineErrors: every configuration error is named.
func TestNewLivePipelineErrors(t *testing.T) {
	db := testdb.SQLite(t)
	s, err := sqlsink.New(db, sqlsink.SQLite{}, sqlsink.WithPseudonymiser(pseudo.Clear()))
	require.NoError(t, err)
	src := liveSource(t, livePBX())
	sqlTarget := starinsight.LiveTarget{Sink: starinsight.NewLiveSQLSink(s), Pseudonymiser: pseudo.Clear()}
	for _, tc := range []struct {
		name    string
		src     live.Source
		targets []starinsight.LiveTarget
		opts    []starinsight.LiveOption
		wantErr []string
	}{
		{name: "no source", targets: []starinsight.LiveTarget{sqlTarget}, wantErr: []string{"nil live.Source"}},
		{name: "no target", src: src, wantErr: []string{"needs at least one target"}},
		{name: "nil sink", src: src, targets: []starinsight.LiveTarget{{Pseudonymiser: pseudo.Clear()}}, wantErr: []string{"target 0: nil Sink"}},
		{name: "nil sqlsink", src: src, targets: []starinsight.LiveTarget{{Sink: starinsight.NewLiveSQLSink(nil), Pseudonymiser: pseudo.Clear()}},
			wantErr: []string{"target 0: NewLiveSQLSink: nil *sqlsink.Sink"}},
		{name: "nil uploader", src: src, targets: []starinsight.LiveTarget{{Sink: starinsight.NewLivePowerBISink(nil), Pseudonymiser: pseudo.Clear()}},
			wantErr: []string{"target 0: NewLivePowerBISink: nil *powerbi.Uploader"}},
		{name: "no privacy choice", src: src, targets: []starinsight.LiveTarget{{Sink: starinsight.NewLiveSQLSink(s)}},
			wantErr: []string{"target 0 (sql:sqlite): no privacy choice"}},
		{name: "same name twice", src: src, targets: []starinsight.LiveTarget{sqlTarget, sqlTarget},
			wantErr: []string{`target 1: name "sql:sqlite" is target 0's too: set LiveTarget.Name`}},
		{name: "bad options", src: src, targets: []starinsight.LiveTarget{sqlTarget},
			opts: []starinsight.LiveOption{
				starinsight.WithLiveBacklog(0), starinsight.WithLiveInterval(live.JobSnapshot, 0),
				starinsight.WithLiveInterval(live.Job(9), time.Second), starinsight.WithLiveMaxBackoff(-time.Second),
				starinsight.WithLiveAlerter(nil),
			},
			wantErr: []string{
				"WithLiveBacklog: must be at least 1, got 0", "WithLiveInterval: snapshot interval must be positive, got 0s",
				"WithLiveInterval: unknown job Job(9)", "WithLiveMaxBackoff: must be positive, got -1s", "WithLiveAlerter: nil Alerter",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl, err := starinsight.NewLivePipeline(tc.src, tc.targets, tc.opts...)
			require.Error(t, err)
			require.Nil(t, pl)
			require.ErrorContains(t, err, "starinsight: NewLivePipeline: ")
			for _, want := range tc.wantErr {
				require.ErrorContains(t, err, want)
			}
		})
	}
}

// memLoginSink keeps the login-state history in memory and can say
// what it holds.
type memLoginSink struct {
	mu      sync.Mutex
	users   []live.UserLoginState
	members []live.MemberLoginState
	seedErr error
}

func (m *memLoginSink) Name() string { return "mem" }
func (m *memLoginSink) Snapshot(context.Context, []live.UserState, []live.QueueState) error {
	return nil
}

func (m *memLoginSink) LoginStates(_ context.Context, users []live.UserLoginState, members []live.MemberLoginState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.users = append(m.users, users...)
	m.members = append(m.members, members...)
	return nil
}

func (m *memLoginSink) LatestLoginStates(context.Context) ([]live.UserLoginState, []live.MemberLoginState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seedErr != nil {
		return nil, nil, m.seedErr
	}
	// The history is in time order: the last entry of a key is its latest.
	return slices.Clone(m.users), slices.Clone(m.members), nil
}

func (m *memLoginSink) userTimes() []time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []time.Time
	for _, u := range m.users {
		out = append(out, u.At)
	}
	return out
}

// TestLivePipelineRestart: a pipeline stopped and started again. A target
// that can say what it holds (the SQL one too) is seeded and records only
// the changes; one whose seeding fails records the current state once more.
func TestLivePipelineRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		pbx := livePBX()
		db, s := liveSQL(t, pseudo.Clear())
		seeded, unseeded := &memLoginSink{}, &memLoginSink{}
		var rec liveRecorder
		start := func() {
			pl, err := starinsight.NewLivePipeline(liveSource(t, pbx), []starinsight.LiveTarget{
				{Sink: starinsight.NewLiveSQLSink(s), Pseudonymiser: pseudo.Clear()},
				{Sink: seeded, Pseudonymiser: pseudo.Clear(), Name: "seeded"},
				{Sink: unseeded, Pseudonymiser: pseudo.Clear(), Name: "seed fails"},
			}, rec.options()...)
			require.NoError(t, err)
			runFor(t, pl, time.Minute-time.Second)
		}
		start()
		unseeded.seedErr = errors.New("database down")
		script(t0, step{time.Minute + 37*time.Second, func() {
			pbx.SetUserState(3, starfacetest.UserState{TelephonyState: "AVAILABLE", DoNotDisturb: true})
		}})
		start()

		restart := t0.Add(time.Minute - time.Second)
		change := restart.Add(45 * time.Second)
		if diff := cmp.Diff([]time.Time{t0, t0, t0, change}, seeded.userTimes()); diff != "" {
			t.Errorf("seeded: only the change (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]time.Time{t0, t0, t0, restart, restart, restart, change}, unseeded.userTimes()); diff != "" {
			t.Errorf("seeding failed: the state recorded again (-want +got):\n%s", diff)
		}
		got := sqlUserLogins(t, db)
		want := []live.UserLoginState{
			{At: t0, Site: "HQ", AccountID: 1}, {At: t0, Site: "HQ", AccountID: 2}, {At: t0, Site: "HQ", AccountID: 3},
			{At: change, Site: "HQ", AccountID: 3, DND: true},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("SQL: seeded, only the change (-want +got):\n%s", diff)
		}
		errs := rec.errors("seed fails")
		require.Len(t, errs, 1)
		require.ErrorContains(t, errs[0], "starinsight: live: seed fails: reading the latest login states: database down")
	})
}

// TestLivePipelineAlerts: a caller waiting in a group fires one alert;
// a failed delivery is reported and retried with the same id at the next
// snapshot.
func TestLivePipelineAlerts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		pbx := livePBX()
		_, s := liveSQL(t, pseudo.Clear())
		var (
			mu     sync.Mutex
			alerts []live.Alert
		)
		a, err := live.NewAlerter(live.AlertRules{QueueWaiting: &live.QueueWaitingRule{MinWaiting: 1}}, func(_ context.Context, a live.Alert) error {
			mu.Lock()
			defer mu.Unlock()
			alerts = append(alerts, a)
			if len(alerts) == 1 {
				return errors.New("webhook down")
			}
			return nil
		})
		require.NoError(t, err)
		var rec liveRecorder
		pl, err := starinsight.NewLivePipeline(liveSource(t, pbx),
			[]starinsight.LiveTarget{{Sink: starinsight.NewLiveSQLSink(s), Pseudonymiser: pseudo.Clear()}},
			append(rec.options(), starinsight.WithLiveAlerter(a))...)
		require.NoError(t, err)
		script(t0,
			step{time.Minute + 7*time.Second, func() {
				pbx.StartCall(starfacetest.Call{ID: "c1", UserID: 2, State: "RINGING", CallerName: liveCaller, CallerNumber: liveCallerNo, GroupID: "10"})
			}},
			step{3*time.Minute + 7*time.Second, func() { pbx.EndCall("c1") }},
		)
		runFor(t, pl, 5*time.Minute-time.Second)

		mu.Lock()
		defer mu.Unlock()
		require.Len(t, alerts, 2, "the failed delivery and its retry")
		require.Equal(t, alerts[0].ID, alerts[1].ID)
		first := time.Minute + 15*time.Second
		for i, a := range alerts {
			require.Equal(t, live.AlertQueueWaiting, a.Kind)
			require.Equal(t, cdr.AccountID(10), a.AccountID)
			require.Equal(t, "HQ", a.Site)
			require.Equal(t, t0.Add(first), a.Since)
			require.Equal(t, t0.Add(first+time.Duration(i)*15*time.Second), a.At)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		var alertErrs int
		for _, e := range rec.errs {
			if e.Alerts {
				alertErrs++
				require.ErrorContains(t, e, "starinsight: live: alerts: ")
				require.ErrorContains(t, e, "webhook down")
			}
		}
		require.Equal(t, 1, alertErrs)
	})
}

// TestLivePipelineRunTwice: a second Run while one runs is refused.
func TestLivePipelineRunTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, s := liveSQL(t, pseudo.Clear())
		pl, err := starinsight.NewLivePipeline(liveSource(t, livePBX()),
			[]starinsight.LiveTarget{{Sink: starinsight.NewLiveSQLSink(s), Pseudonymiser: pseudo.Clear()}})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- pl.Run(ctx) }()
		synctest.Wait()
		require.ErrorContains(t, pl.Run(ctx), "Run called while already running")
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
}
