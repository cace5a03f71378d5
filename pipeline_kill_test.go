package starinsight_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight"
	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/testdb"
	"github.com/starinsight/starinsight/powerbi"
	"github.com/starinsight/starinsight/powerbi/powerbitest"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/sqlsink"
)

var killSeed = flag.Uint64("kill.seed", 0, "seed of TestPipelineKill's kill delays (0: from the clock)")

// killChildEnv carries the child's spec (JSON) to the re-executed test
// binary.
const killChildEnv = "STARINSIGHT_PIPELINE_KILL_CHILD"

type killSpec struct {
	Dir        string // the CSV exports
	DB         string // "sqlite" or "postgres"
	SQLitePath string
	Prefix     string
	Chunk      int
	// PowerBI, when set, is the base URL of a fake Power BI service: the
	// child delivers to it through an outbox in the SQLite file.
	PowerBI string
}

// killTables are the tables a pipeline fills.
var killTables = []string{sqlsink.TableLegs, sqlsink.TableJourneys, sqlsink.TablePipelineStates}

var killAssembler = starinsight.WithAssembler(callflow.WithGrace(20*time.Minute), callflow.WithRetention(time.Hour))

func killAccounts(t testing.TB, dir string) []cdr.Account {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "accounts.json"))
	require.NoError(t, err)
	var accounts []cdr.Account
	require.NoError(t, json.Unmarshal(b, &accounts))
	return accounts
}

func openKillDB(t testing.TB, spec killSpec) (*sql.DB, sqlsink.Dialect) {
	t.Helper()
	if spec.DB == "sqlite" {
		db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(spec.SQLitePath)+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		return db, sqlsink.SQLite{}
	}
	return testdb.Postgres(t), sqlsink.Postgres{}
}

// runKillPipeline runs the pipeline of spec to the end.
func runKillPipeline(t testing.TB, spec killSpec) (*sqlsink.Sink, *sql.DB) {
	t.Helper()
	db, d := openKillDB(t, spec)
	s, err := sqlsink.New(db, d, sqlsink.WithPseudonymiser(pseudo.Clear()), sqlsink.WithTablePrefix(spec.Prefix),
		sqlsink.WithClock(func() time.Time { return fixedNow }))
	require.NoError(t, err)
	_, err = s.Migrate(context.Background())
	require.NoError(t, err)
	sink, err := starinsight.NewSQLSink(s, "cdr")
	require.NoError(t, err)
	src, err := starinsight.NewFolderSource(spec.Dir, "pbx1")
	require.NoError(t, err)
	pl := newPipeline(t, src, killAccounts(t, spec.Dir), sink, pseudo.Clear(), spec.Chunk, killAssembler)
	require.NoError(t, pl.Sync(context.Background()))
	return s, db
}

// runKillPowerBI runs the pipeline of spec into Power BI to the end: the
// calls into the outbox, then the outbox to the service.
func runKillPowerBI(t testing.TB, spec killSpec) {
	t.Helper()
	db, _ := openKillDB(t, spec)
	c, err := powerbi.NewClient(powerbi.StaticToken("t"), powerbi.WithBaseURL(spec.PowerBI))
	require.NoError(t, err)
	sink, _, _ := powerBISink(t, c, db, pseudo.Clear())
	src, err := starinsight.NewFolderSource(spec.Dir, "pbx1")
	require.NoError(t, err)
	pl := newPipeline(t, src, killAccounts(t, spec.Dir), sink, pseudo.Clear(), spec.Chunk, killAssembler)
	require.NoError(t, pl.Sync(context.Background()))
	_, err = sink.Send(context.Background())
	require.NoError(t, err)
}

// TestPipelineKillChild is the process TestPipelineKill kills; it runs
// only when re-executed by it.
func TestPipelineKillChild(t *testing.T) {
	raw := os.Getenv(killChildEnv)
	if raw == "" {
		t.Skip("run by TestPipelineKill")
	}
	fmt.Println(readyLine)
	var spec killSpec
	require.NoError(t, json.Unmarshal([]byte(raw), &spec))
	if spec.PowerBI != "" {
		runKillPowerBI(t, spec)
		return
	}
	runKillPipeline(t, spec)
}

// TestPipelineKill kills a pipeline process (SIGKILL) at random moments
// while it backfills a simulated export into a database, restarts it
// each time, and requires the tables to equal those of an uninterrupted
// run: at least 50 kills on PostgreSQL and 25 on SQLite.
func TestPipelineKill(t *testing.T) {
	if os.Getenv(killChildEnv) != "" {
		t.Skip("in the child")
	}
	seed := *killSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill delays from seed %d (rerun with -kill.seed=%d)", seed, seed)
	dir := t.TempDir()
	_, accounts := simExport(t, dir, 8, 1, 300)
	b, err := json.Marshal(accounts)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "accounts.json"), b, 0o644))

	for i, tc := range []struct {
		db    string
		kills int
	}{{"postgres", 50}, {"sqlite", 25}} {
		t.Run(tc.db, func(t *testing.T) {
			if tc.db == "postgres" {
				testdb.Postgres(t) // skips without a DSN
			}
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			base := killSpec{Dir: dir, DB: tc.db, Chunk: 40}
			newSpec := func() killSpec {
				spec := base
				spec.Prefix = testdb.Name("kill") + "_"
				spec.SQLitePath = filepath.Join(t.TempDir(), "kill.sqlite")
				t.Cleanup(func() {
					if tc.db == "postgres" {
						db := testdb.Postgres(t)
						for _, name := range append(killTables, sqlsink.TableAccounts, sqlsink.TableGroupCallAccount, sqlsink.TableUserCallAccount,
							sqlsink.TableLostCallers, sqlsink.TableLostAttempts, sqlsink.TableUserLoginStates, sqlsink.TableMemberLoginStates,
							sqlsink.TableLiveUsers, sqlsink.TableLiveQueues, sqlsink.TableCheckpoints, sqlsink.TableSchemaVersion) {
							db.Exec("DROP TABLE IF EXISTS " + sqlsink.Postgres{}.Quote(spec.Prefix+name))
						}
					}
				})
				return spec
			}
			clean := newSpec()
			cs, cdb := runKillPipeline(t, clean)
			want := tableDump(t, cdb, cs, killTables...)
			require.NotEmpty(t, want[sqlsink.TableLegs])

			// Time one child run, to place the kills within it.
			probe := newSpec()
			full, err := runChild(t, probe, -1)
			require.NoError(t, err)
			t.Logf("one uninterrupted child run: %v", full.Round(time.Millisecond))

			kills, rounds := 0, 0
			for kills < tc.kills {
				rounds++
				spec := newSpec()
				for {
					delay := time.Duration(rng.Int64N(int64(full)))
					_, err := runChild(t, spec, delay)
					if err == nil {
						break
					}
					require.ErrorIs(t, err, errKilled)
					kills++
				}
				s, db := openKillSink(t, spec)
				got := tableDump(t, db, s, killTables...)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("round %d (%d kills so far): the tables differ from an uninterrupted run (-want +got):\n%s", rounds, kills, diff)
				}
			}
			t.Logf("%d kills in %d rounds; every round's tables equal the uninterrupted run's", kills, rounds)
		})
	}
}

func openKillSink(t *testing.T, spec killSpec) (*sqlsink.Sink, *sql.DB) {
	t.Helper()
	db, d := openKillDB(t, spec)
	s, err := sqlsink.New(db, d, sqlsink.WithPseudonymiser(pseudo.Clear()), sqlsink.WithTablePrefix(spec.Prefix))
	require.NoError(t, err)
	return s, db
}

var errKilled = fmt.Errorf("killed")

// readyLine is what a child prints once the process has started, so that
// kills land in its work, not in the loading of the test binary.
const readyLine = "STARINSIGHT-KILL-CHILD-READY"

// runChild runs the child until it ends, or kills it delay after it is
// ready (delay < 0: never). It returns the time from ready to the end,
// and errKilled when it killed it.
func runChild(t *testing.T, spec killSpec, delay time.Duration) (time.Duration, error) {
	t.Helper()
	raw, err := json.Marshal(spec)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run", "^TestPipelineKillChild$", "-test.count", "1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+string(raw))
	out := &lockedBuffer{ready: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var ready time.Time
	select {
	case <-out.ready:
		ready = time.Now()
	case err := <-done:
		t.Fatalf("child ended before it was ready: %v\n%s", err, out.String())
	}
	if delay >= 0 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("child failed: %v\n%s", err, out.String())
			}
			return time.Since(ready), nil
		case <-time.After(delay):
			_ = cmd.Process.Kill()
			<-done
			return time.Since(ready), errKilled
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("child failed: %v\n%s", err, out.String())
	}
	return time.Since(ready), nil
}

// lockedBuffer collects a child's output.
type lockedBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	ready chan struct{} // closed when readyLine was written
	seen  bool
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.b.Write(p)
	if !l.seen && bytes.Contains(l.b.Bytes(), []byte(readyLine)) {
		l.seen = true
		close(l.ready)
	}
	return n, err
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPipelineKillPowerBI kills a pipeline process (SIGKILL) at random
// moments while it backfills into a fake Power BI service through its
// outbox, at least 50 times, and requires every leg of the export to be
// in the service: none lost. A kill between a request's arrival and the
// outbox's record of its acknowledgement sends its rows again; the test
// reports how many legs arrived twice.
func TestPipelineKillPowerBI(t *testing.T) {
	if os.Getenv(killChildEnv) != "" {
		t.Skip("in the child")
	}
	seed := *killSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill delays from seed %d (rerun with -kill.seed=%d)", seed, seed)
	dir := t.TempDir()
	rows, accounts := simExport(t, dir, 12, 1, 300)
	b, err := json.Marshal(accounts)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "accounts.json"), b, 0o644))
	want := legKeys(interpretAll(t, rows, accounts, "pbx1"))
	rng := rand.New(rand.NewPCG(seed, 99))

	round := func() (*powerbitest.Server, killSpec) {
		srv := powerbitest.NewServer()
		t.Cleanup(srv.Close)
		return srv, killSpec{Dir: dir, DB: "sqlite", SQLitePath: filepath.Join(t.TempDir(), "outbox.sqlite"), Chunk: 40, PowerBI: srv.BaseURL()}
	}
	srv, probe := round()
	full, err := runChild(t, probe, -1)
	require.NoError(t, err)
	ds, ok := srv.DatasetByName("", "STARFACE Insight")
	require.True(t, ok)
	require.Equal(t, want, fakeLegKeys(t, srv.Rows("", ds.ID, powerbi.TableLegs)), "an uninterrupted run posts every leg once")
	t.Logf("one uninterrupted child run: %v", full.Round(time.Millisecond))

	kills, rounds, twice := 0, 0, 0
	for kills < 50 {
		rounds++
		srv, spec := round()
		for {
			_, err := runChild(t, spec, time.Duration(rng.Int64N(int64(full))))
			if err == nil {
				break
			}
			kills++
		}
		require.Len(t, srv.Datasets(""), 1, "provisioning again made a second dataset")
		ds, _ := srv.DatasetByName("", "STARFACE Insight")
		got := fakeLegKeys(t, srv.Rows("", ds.ID, powerbi.TableLegs))
		for k := range want {
			require.Positive(t, got[k], "round %d: leg %s lost", rounds, k)
			if got[k] > 1 {
				twice++
			}
		}
		require.Len(t, got, len(want), "round %d: legs that are not in the export", rounds)
	}
	t.Logf("%d kills in %d rounds: no leg lost; %d legs arrived more than once (of %d per round)", kills, rounds, twice, len(want))
}
