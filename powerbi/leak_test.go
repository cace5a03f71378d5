package powerbi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/powerbi"
	"github.com/starinsight/starinsight/powerbi/powerbitest"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/pseudo/pseudotest"
)

var leakPlan = cdr.GermanPlan("711")

// recorder keeps every request body the client sends: the encoder's
// bytes as they leave the process.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	body bytes.Buffer
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.body.Write(b)
		r.body.WriteByte('\n')
		r.mu.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	return r.next.RoundTrip(req)
}

// leakDay simulates a day with call ids that embed the caller's number
// and name, interprets it, and builds live snapshots naming agents and
// callers.
func leakDay(t testing.TB) ([]cdr.Account, []callflow.Call, []live.UserState, []live.QueueState, *pseudotest.Corpus) {
	t.Helper()
	cfg := sim.Config{Seed: 11, Days: 1}
	var entries []cdr.Entry
	for e := range sim.Generate(cfg) {
		e.CallID = e.CallID + ";" + e.CallerCallerID.Number + ";" + e.CallerCallerID.Name
		entries = append(entries, e)
	}
	accounts := cfg.Accounts()
	dir, err := cdr.NewDirectory(accounts...)
	require.NoError(t, err)
	in, err := callflow.New(dir, callflow.WithNumberPlan(leakPlan))
	require.NoError(t, err)
	calls := in.InterpretAll(entries)
	var users []live.UserState
	var queues []live.QueueState
	for _, c := range calls {
		j := c.Journey
		if j.Answered && dir.Known(j.AnsweredBy) {
			a := dir.Lookup(j.AnsweredBy)
			users = append(users, live.UserState{At: j.Answer, Site: j.Site, AccountID: a.ID, Name: a.Name, CallID: j.CallID,
				CallState: live.CallConnected, CallerName: j.CallerCallerID.Name, CallerNumber: j.CallerNumber, CallStart: j.Answer,
				ChatPresenceMessage: "back at 3, ask " + a.Name})
		}
		for _, q := range j.Queues {
			g := dir.Lookup(q.GroupID)
			queues = append(queues, live.QueueState{At: q.Arrival, Site: j.Site, AccountID: g.ID, Type: g.Type, Name: g.Name, WaitingCalls: 1})
		}
	}
	require.NotEmpty(t, users)
	return accounts, calls, users, queues, pseudotest.CorpusFromEntries(entries, accounts, leakPlan)
}

// uploadAll provisions both datasets on a fresh fake and uploads
// everything through p, returning the bytes the client sent.
func uploadAll(t *testing.T, p *pseudo.Pseudonymiser, accounts []cdr.Account, calls []callflow.Call, users []live.UserState, queues []live.QueueState) []byte {
	t.Helper()
	ctx := context.Background()
	svc := powerbitest.New()
	rec := &recorder{next: svc.Transport()}
	c, err := powerbi.NewClient(powerbi.StaticToken("t"), powerbi.WithHTTPClient(&http.Client{Transport: rec}))
	require.NoError(t, err)
	hist, err := powerbi.NewHistorical()
	require.NoError(t, err)
	lv, err := powerbi.NewLive()
	require.NoError(t, err)
	hdef, err := hist.Definition("history")
	require.NoError(t, err)
	ldef, err := lv.Definition("live")
	require.NoError(t, err)
	h, err := c.Provision(ctx, "", hdef, powerbi.RetentionNone)
	require.NoError(t, err)
	l, err := c.Provision(ctx, "", ldef, powerbi.RetentionFIFO)
	require.NoError(t, err)

	hu, err := powerbi.NewUploader(c, "", h.Dataset.ID, powerbi.WithPseudonymiser(p))
	require.NoError(t, err)
	lu, err := powerbi.NewUploader(c, "", l.Dataset.ID, powerbi.WithPseudonymiser(p))
	require.NoError(t, err)
	res, err := hu.Calls(ctx, calls)
	require.NoError(t, err)
	legs := 0
	for _, c := range calls {
		legs += len(c.Legs)
	}
	require.Equal(t, legs, res.Rows[powerbi.TableLegs])
	_, err = hu.Accounts(ctx, accounts)
	require.NoError(t, err)
	_, err = lu.Live(ctx, users, queues)
	require.NoError(t, err)
	require.Len(t, svc.Rows("", h.Dataset.ID, powerbi.TableLegs), legs)
	return rec.body.Bytes()
}

// TestUploadLeaks scans the bytes the Power BI client sends: in clear,
// they hold every kind of personal value (the control); through the
// default policy, none.
func TestUploadLeaks(t *testing.T) {
	accounts, calls, users, queues, corpus := leakDay(t)
	clear := uploadAll(t, pseudo.Clear(), accounts, calls, users, queues)
	leaks := pseudotest.AssertFinds(t, "clear upload", clear, corpus, pseudotest.Kinds())
	t.Logf("clear: %d bytes sent, %v", len(clear), pseudotest.CountByKind(leaks))

	key, err := pseudo.GenerateKey("k1")
	require.NoError(t, err)
	p, err := pseudo.New(pseudo.WithKey(key), pseudo.WithNumberPlan(leakPlan))
	require.NoError(t, err)
	start := time.Now()
	sent := uploadAll(t, p, accounts, calls, users, queues)
	pseudotest.AssertNoLeaks(t, "pseudonymised upload", sent, corpus)
	t.Logf("pseudonymised: %d bytes sent, no leak (%v)", len(sent), time.Since(start).Round(time.Millisecond))
}
