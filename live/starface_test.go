package live_test

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/live/starfacetest"
)

const (
	pbxURL     = "https://pbx.test"
	svcLogin   = "0001"
	svcPass    = "Geheim!42"
	agentLogin = "0002"
	agentPass  = "agent-pw"
)

func hexSHA512(s string) string {
	h := sha512.Sum512([]byte(s))
	return hex.EncodeToString(h[:])
}

// newPBX is a PBX with a service user (an administrator), two agents
// and two groups.
func newPBX() *starfacetest.PBX {
	p := starfacetest.New()
	p.AddUser(starfacetest.User{ID: 1, Login: svcLogin, Password: svcPass, FirstName: "Sam", FamilyName: "Service", Admin: true, Extension: "10"})
	p.AddUser(starfacetest.User{ID: 2, Login: agentLogin, Password: agentPass, FirstName: "Anna", FamilyName: "Agent", Extension: "11"})
	p.AddUser(starfacetest.User{ID: 3, Login: "0003", Password: "ben-pw", FirstName: "Ben", FamilyName: "Berater", Extension: "12"})
	p.AddGroup(starfacetest.Group{ID: 10, Name: "Sales", GroupID: "sales", InternalNumber: "700"}, 2, 3)
	p.AddGroup(starfacetest.Group{ID: 11, Name: "Support", InternalNumber: "701"}, 3)
	return p
}

func newClient(t testing.TB, p *starfacetest.PBX, opts ...live.StarfaceOption) *live.Starface {
	t.Helper()
	opts = append([]live.StarfaceOption{
		live.WithStarfaceHTTPClient(p.Client()),
		live.WithStarfaceLocation(time.UTC),
		live.WithStarfaceSite("HQ"),
	}, opts...)
	s, err := live.NewStarface(pbxURL, svcLogin, svcPass, opts...)
	require.NoError(t, err)
	return s
}

// calls counts the recorded requests per "METHOD path" (and XML-RPC
// method).
func calls(p *starfacetest.PBX) map[string]int {
	out := map[string]int{}
	for _, r := range p.Requests() {
		k := r.Method + " " + r.Path
		if r.RPCMethod != "" {
			k = r.RPCMethod
		}
		out[k]++
	}
	return out
}

// starfaceError asserts err is a *live.StarfaceError of kind and returns
// it.
func starfaceError(t *testing.T, err error, kind live.StarfaceErrorKind) *live.StarfaceError {
	t.Helper()
	var se *live.StarfaceError
	require.True(t, errors.As(err, &se), "error %v (%T) is no *live.StarfaceError", err, err)
	assert.Equal(t, kind, se.Kind, "%v", err)
	return se
}

// assertNoSecrets checks that err's text has none of the secrets that
// went over the wire.
func assertNoSecrets(t *testing.T, err error, p *starfacetest.PBX, passwords ...string) {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	for _, pw := range append(passwords, svcPass, agentPass) {
		assert.NotContains(t, msg, pw)
		assert.NotContains(t, msg, hexSHA512(pw))
	}
	for _, r := range p.Requests() {
		if tok := r.Header.Get("authToken"); tok != "" {
			assert.NotContains(t, msg, tok)
		}
		if a := r.Query.Get("de.vertico.starface.auth"); a != "" {
			_, hash, _ := strings.Cut(a, ":")
			assert.NotContains(t, msg, hash)
		}
	}
}

func TestNewStarfaceValidates(t *testing.T) {
	tests := []struct {
		name, url, login, pw string
		opts                 []live.StarfaceOption
		wantErr              string
	}{
		{"ok", "https://pbx.example.com", "0001", "pw", nil, ""},
		{"trailing /rest", "https://pbx.example.com/rest/", "0001", "pw", nil, ""},
		{"no scheme", "pbx.example.com", "0001", "pw", nil, "want http(s)://host"},
		{"ftp", "ftp://pbx.example.com", "0001", "pw", nil, "want http(s)://host"},
		{"query", "https://pbx.example.com/?a=b", "0001", "pw", nil, "must not carry"},
		{"user info", "https://u:p@pbx.example.com", "0001", "pw", nil, "must not carry"},
		{"empty login", "https://pbx.example.com", "", "pw", nil, "must not be empty"},
		{"empty password", "https://pbx.example.com", "0001", "", nil, "must not be empty"},
		{"bad plan", "https://pbx.example.com", "0001", "pw", []live.StarfaceOption{live.WithStarfaceNumberPlan(cdr.NumberPlan{})}, "CountryCode"},
		{"nil client", "https://pbx.example.com", "0001", "pw", []live.StarfaceOption{live.WithStarfaceHTTPClient(nil)}, "nil client"},
		{"empty UCI user", "https://pbx.example.com", "0001", "pw", []live.StarfaceOption{live.WithUCIUser("", "x")}, "empty login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := live.NewStarface(tt.url, tt.login, tt.pw, tt.opts...)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, "pbx.example.com", s.Host())
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			assert.NotContains(t, err.Error(), "u:p")
		})
	}
}

func TestLoginHandshake(t *testing.T) {
	p := newPBX()
	s := newClient(t, p, live.WithoutUCI())
	_, err := s.Accounts(t.Context())
	require.NoError(t, err)
	_, err = s.Accounts(t.Context())
	require.NoError(t, err)

	reqs := p.Requests()
	require.GreaterOrEqual(t, len(reqs), 3)
	assert.Equal(t, "GET /rest/login", reqs[0].Method+" "+reqs[0].Path)
	assert.Equal(t, "POST /rest/login", reqs[1].Method+" "+reqs[1].Path)
	assert.Equal(t, http.StatusOK, reqs[1].Status, "the fake accepted the secret")
	var tok string
	for _, r := range reqs {
		assert.Equal(t, "2", r.Header.Get("X-Version"), "%s %s", r.Method, r.Path)
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"), "%s %s", r.Method, r.Path)
		if r.Path == "/rest/login" {
			assert.Empty(t, r.Header.Get("authToken"))
			continue
		}
		if tok == "" {
			tok = r.Header.Get("authToken")
		}
		assert.Equal(t, tok, r.Header.Get("authToken"), "one token for every request")
		assert.Equal(t, http.StatusOK, r.Status, "%s %s", r.Method, r.Path)
	}
	assert.NotEmpty(t, tok)
	assert.Equal(t, 1, calls(p)["POST /rest/login"], "the token is reused")
}

func TestActiveDirectoryLoginRefused(t *testing.T) {
	p := starfacetest.New(starfacetest.WithLoginType("ActiveDirectory"))
	p.AddUser(starfacetest.User{ID: 1, Login: svcLogin, Password: svcPass})
	s := newClient(t, p, live.WithoutUCI())
	_, err := s.Accounts(t.Context())
	se := starfaceError(t, err, live.StarfaceAuth)
	assert.ErrorContains(t, se, `login type "ActiveDirectory" is not supported`)
	assert.Zero(t, calls(p)["POST /rest/login"], "no secret is sent")
}

func TestReloginBeforeExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPBX()
		s := newClient(t, p, live.WithoutUCI(), live.WithDirectoryRefresh(0))
		ctx := t.Context()
		_, err := s.Accounts(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, calls(p)["POST /rest/login"])

		time.Sleep(3*time.Hour + 54*time.Minute)
		_, err = s.Accounts(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, calls(p)["POST /rest/login"], "the token still has more than 5 minutes")

		time.Sleep(2 * time.Minute) // 3h56m: within 5 minutes of the end
		_, err = s.Accounts(ctx)
		require.NoError(t, err)
		assert.Equal(t, 2, calls(p)["POST /rest/login"], "logged in again before the token ended")

		time.Sleep(4 * time.Hour) // the second token has ended too
		_, err = s.Accounts(ctx)
		require.NoError(t, err)
		assert.Equal(t, 3, calls(p)["POST /rest/login"])
		for _, r := range p.Requests() {
			assert.NotEqual(t, http.StatusUnauthorized, r.Status, "no request went out with an ended token: %s %s", r.Method, r.Path)
		}
	})
}

func TestReloginOn401(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(p *starfacetest.PBX)
	}{
		{"injected 401", func(p *starfacetest.PBX) {
			p.InjectFault(starfacetest.Fault{Path: "/rest/users", Status: http.StatusUnauthorized})
		}},
		{"PBX forgot the token", func(p *starfacetest.PBX) { p.ExpireTokens() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPBX()
			s := newClient(t, p, live.WithoutUCI(), live.WithDirectoryRefresh(0))
			_, err := s.Accounts(t.Context())
			require.NoError(t, err)
			tt.breakIt(p)
			p.ResetRequests()
			accs, err := s.Accounts(t.Context())
			require.NoError(t, err)
			assert.Len(t, accs, 5)
			reqs := p.Requests()
			require.GreaterOrEqual(t, len(reqs), 4)
			type step struct {
				What   string
				Status int
			}
			var got []step
			for _, r := range reqs[:4] {
				got = append(got, step{r.Method + " " + r.Path, r.Status})
			}
			want := []step{{"GET /rest/users", 401}, {"GET /rest/login", 200}, {"POST /rest/login", 200}, {"GET /rest/users", 200}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("401 again after the new login", func(t *testing.T) {
		p := newPBX()
		s := newClient(t, p, live.WithoutUCI())
		p.InjectFault(starfacetest.Fault{Path: "/rest/users", Status: http.StatusUnauthorized, Times: -1})
		_, err := s.Accounts(t.Context())
		se := starfaceError(t, err, live.StarfaceAuth)
		assert.Equal(t, http.StatusUnauthorized, se.StatusCode)
		assert.Equal(t, "GET /rest/users", se.Endpoint)
		assert.Equal(t, 2, calls(p)["POST /rest/login"], "one new login, not a loop")
	})
}

func TestConcurrentCallsLogInOnce(t *testing.T) {
	p := newPBX()
	s := newClient(t, p, live.WithUCIUser(agentLogin, agentPass))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			switch i % 4 {
			case 0:
				_, errs[i] = s.Users(t.Context())
			case 1:
				_, errs[i] = s.Queues(t.Context())
			case 2:
				_, _, errs[i] = s.LoginStates(t.Context())
			default:
				_, errs[i] = s.Accounts(t.Context())
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	c := calls(p)
	assert.Equal(t, 1, c["POST /rest/login"])
	assert.Equal(t, 2, c["ucp.v30.requests.connection.login"], "one UCI login per session")
}

func TestWrongPassword(t *testing.T) {
	t.Run("REST", func(t *testing.T) {
		p := newPBX()
		const wrong = "not-the-password"
		s, err := live.NewStarface(pbxURL, svcLogin, wrong, live.WithStarfaceHTTPClient(p.Client()))
		require.NoError(t, err)
		_, err = s.Users(t.Context())
		se := starfaceError(t, err, live.StarfaceAuth)
		assert.Equal(t, http.StatusUnauthorized, se.StatusCode)
		assert.Equal(t, "POST /rest/login", se.Endpoint)
		assert.Equal(t, "pbx.test", se.Host)
		assert.Contains(t, err.Error(), "check the login ID and password")
		assertNoSecrets(t, err, p, wrong)
	})
	t.Run("UCI user", func(t *testing.T) {
		p := newPBX()
		const wrong = "wrong-agent-pw"
		s := newClient(t, p, live.WithUCIUser(agentLogin, wrong))
		users, err := s.Users(t.Context())
		se := starfaceError(t, err, live.StarfaceAuth)
		assert.Equal(t, agentLogin, se.User)
		assert.Equal(t, "XML-RPC ucp.v30.requests.connection.login", se.Endpoint)
		assertNoSecrets(t, err, p, wrong)
		require.Len(t, users, 3, "the other users' states are still returned")
		assert.Equal(t, live.TelephonyAvailable, users[0].Telephony, "the service user's UCI session works")
		assert.Empty(t, users[1].Telephony)
	})
}

func TestUnreachableAndBrokenPBX(t *testing.T) {
	big := "<?xml version=\"1.0\"?><methodResponse><params><param><value><string>" + strings.Repeat("x", 5<<20) + "</string></value></param></params></methodResponse>"
	tests := []struct {
		name     string
		fault    starfacetest.Fault
		kind     live.StarfaceErrorKind
		status   int
		endpoint string
		contains string
	}{
		{"connection dropped", starfacetest.Fault{Drop: true, Times: -1}, live.StarfaceUnreachable, 0, "GET /rest/login", "not reachable"},
		{"REST API missing", starfacetest.Fault{Path: "/rest/login", Status: 404, Times: -1}, live.StarfaceAPIDisabled, 404, "GET /rest/login", "API not found"},
		{"web page instead of the API", starfacetest.Fault{Path: "/rest/login", Body: "<html>STARFACE</html>", ContentType: "text/html", Times: -1},
			live.StarfaceAPIDisabled, 200, "GET /rest/login", "not the login template"},
		{"PBX restarting", starfacetest.Fault{Status: 503, Times: -1}, live.StarfaceServer, 503, "GET /rest/login", "busy or restarting"},
		{"forbidden", starfacetest.Fault{Path: "/rest/users", Status: 403, Times: -1}, live.StarfaceForbidden, 403, "GET /rest/users", "permission"},
		{"malformed JSON", starfacetest.Fault{Path: "/rest/users", Body: `[{"id": 1,`, Times: -1}, live.StarfaceProtocol, 200, "GET /rest/users", "decoding the JSON"},
		{"wrong JSON shape", starfacetest.Fault{Path: "/rest/groups", Body: `{"id": "x"}`, Times: -1}, live.StarfaceProtocol, 200, "GET /rest/groups", "decoding the JSON"},
		{"UCI missing", starfacetest.Fault{Path: "/xml-rpc", Status: 404, Times: -1}, live.StarfaceAPIDisabled, 404, "XML-RPC ucp.v30.requests.connection.login", ""},
		{"UCI web page", starfacetest.Fault{Path: "/xml-rpc", Body: "<html></html>", ContentType: "text/html", Times: -1}, live.StarfaceAPIDisabled, 200, "XML-RPC ucp.v30.requests.connection.login", "web page"},
		{"malformed XML-RPC", starfacetest.Fault{RPCMethod: "ucp.v30.requests.userState.getUserState", Body: "<methodResponse><params>", Times: -1},
			live.StarfaceProtocol, 0, "XML-RPC ucp.v30.requests.userState.getUserState", "malformed XML-RPC"},
		{"XML-RPC with a DOCTYPE", starfacetest.Fault{RPCMethod: "ucp.v30.requests.userState.getUserState", Times: -1,
			Body: `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><methodResponse><params><param><value>&a;</value></param></params></methodResponse>`},
			live.StarfaceProtocol, 0, "XML-RPC ucp.v30.requests.userState.getUserState", "directive"},
		{"oversize XML-RPC", starfacetest.Fault{RPCMethod: "ucp.v30.requests.call.getCallIds", Body: big, Times: -1},
			live.StarfaceProtocol, 200, "XML-RPC ucp.v30.requests.call.getCallIds", "larger than"},
		{"wrong XML-RPC result type", starfacetest.Fault{RPCMethod: "ucp.v30.requests.call.getCallIds", Times: -1,
			Body: `<methodResponse><params><param><value><int>1</int></value></param></params></methodResponse>`},
			live.StarfaceProtocol, 0, "XML-RPC ucp.v30.requests.call.getCallIds", "want an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPBX()
			p.InjectFault(tt.fault)
			s := newClient(t, p)
			_, err := s.Users(t.Context())
			se := starfaceError(t, err, tt.kind)
			assert.Equal(t, tt.status, se.StatusCode)
			assert.Equal(t, tt.endpoint, se.Endpoint)
			assert.Contains(t, err.Error(), "STARFACE pbx.test")
			assert.Contains(t, err.Error(), tt.contains)
			assertNoSecrets(t, err, p)
		})
	}
	t.Run("dropped is errors.Is ErrDropped", func(t *testing.T) {
		p := newPBX()
		p.InjectFault(starfacetest.Fault{Drop: true})
		_, err := newClient(t, p).Accounts(t.Context())
		assert.ErrorIs(t, err, starfacetest.ErrDropped)
	})
	t.Run("nothing listening", func(t *testing.T) {
		// A loopback port nothing listens on: connection refused.
		s, err := live.NewStarface("http://127.0.0.1:1", svcLogin, svcPass)
		require.NoError(t, err)
		_, err = s.Accounts(t.Context())
		se := starfaceError(t, err, live.StarfaceUnreachable)
		assert.Equal(t, "127.0.0.1:1", se.Host)
		assert.Contains(t, err.Error(), "STARFACE 127.0.0.1:1")
		assert.NotContains(t, err.Error(), svcPass)
	})
	t.Run("UCI network error hides the auth parameter", func(t *testing.T) {
		p := newPBX()
		p.InjectFault(starfacetest.Fault{Path: "/xml-rpc", Drop: true, Times: -1})
		_, err := newClient(t, p).Users(t.Context())
		starfaceError(t, err, live.StarfaceUnreachable)
		assert.NotContains(t, err.Error(), "de.vertico.starface.auth")
		assertNoSecrets(t, err, p)
	})
	t.Run("deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newPBX()
			p.InjectFault(starfacetest.Fault{Delay: time.Hour, Times: -1})
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			_, err := newClient(t, p).Users(ctx)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			starfaceError(t, err, live.StarfaceUnreachable)
		})
	})
}

func TestAlwaysForwardFromRedirects(t *testing.T) {
	tests := []struct {
		name     string
		redirect starfacetest.Redirect
		want     bool
	}{
		{"ALWAYS enabled", starfacetest.Redirect{Trigger: "ALWAYS", Enabled: true, Destination: "+4917011111"}, true},
		{"ALWAYS enabled to a mailbox", starfacetest.Redirect{Trigger: "ALWAYS", Enabled: true, Mailbox: "mb-2"}, true},
		{"ALWAYS disabled", starfacetest.Redirect{Trigger: "ALWAYS", Destination: "+4917011111"}, false},
		{"BUSY enabled", starfacetest.Redirect{Trigger: "BUSY", Enabled: true, Destination: "13"}, false},
		{"TIMEOUT enabled", starfacetest.Redirect{Trigger: "TIMEOUT", Enabled: true, Destination: "13"}, false},
		{"ALWAYS enabled on a group number", starfacetest.Redirect{Trigger: "ALWAYS", Enabled: true, GroupNumber: true, PhoneNumber: "700"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPBX()
			r := tt.redirect
			r.ID, r.UserID = "r-2", 2
			p.SetRedirect(r)
			s := newClient(t, p, live.WithoutUCI()) // REST only: the UCI would report it too
			users, err := s.Users(t.Context())
			require.NoError(t, err)
			require.Len(t, users, 3)
			assert.Equal(t, tt.want, users[1].AlwaysForward)
			assert.False(t, users[0].AlwaysForward)
			logins, _, err := s.LoginStates(t.Context())
			require.NoError(t, err)
			assert.Equal(t, tt.want, logins[1].AlwaysForward)
			assert.Equal(t, 6, calls(p)["GET /rest/redirects"], "one redirect request per user and call")
		})
	}
}

func TestRedirectsOfOthersNeedAnAdministrator(t *testing.T) {
	p := newPBX()
	p.AddUser(starfacetest.User{ID: 1, Login: svcLogin, Password: svcPass, FirstName: "Sam", FamilyName: "Service"}) // no longer admin
	p.SetRedirect(starfacetest.Redirect{ID: "r1", UserID: 1, Trigger: "ALWAYS", Enabled: true})
	s := newClient(t, p, live.WithoutUCI())
	users, err := s.Users(t.Context())
	se := starfaceError(t, err, live.StarfaceForbidden)
	assert.Equal(t, agentLogin, se.User)
	assert.Equal(t, "GET /rest/redirects", se.Endpoint)
	require.Len(t, users, 3)
	assert.True(t, users[0].AlwaysForward, "the own redirects are read")
	assert.Equal(t, 2, calls(p)["GET /rest/redirects"], "after one 403 the others are not asked")
}

func TestUsersMapping(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		p := newPBX()
		p.SetUserState(2, starfacetest.UserState{TelephonyState: "ACTIVE", ChatPresence: "busy", ChatPresenceMessage: "Im Termin", DoNotDisturb: true})
		p.SetRedirect(starfacetest.Redirect{ID: "r3", UserID: 3, Trigger: "ALWAYS", Enabled: true, Destination: "+4917011111"})
		p.SetGroupLogin(10, 2, true)
		p.SetGroupLogin(11, 3, false)
		p.StartCall(starfacetest.Call{ID: "call-1", UserID: 2, State: "RINGING", CallerName: "Kunde GmbH", CallerNumber: "0711 987654", GroupID: "sales"})
		time.Sleep(20 * time.Second)
		p.SetCallState("call-1", "CONNECTED")
		s := newClient(t, p, live.WithUCIUser(agentLogin, agentPass), live.WithUCIUser("0003", "ben-pw"),
			live.WithStarfaceNumberPlan(cdr.GermanPlan("711")))

		time.Sleep(90 * time.Second)
		users, err := s.Users(t.Context())
		require.NoError(t, err)
		now := time.Now()
		connectedAt := start.Add(20 * time.Second)
		want := []live.UserState{
			{At: now, Site: "HQ", AccountID: 1, Name: "Sam Service", Telephony: live.TelephonyAvailable},
			{At: now, Site: "HQ", AccountID: 2, Name: "Anna Agent", Telephony: live.TelephonyActive, LoggedIn: true, DND: true,
				ChatPresence: "busy", ChatPresenceMessage: "Im Termin", GroupIDs: []cdr.AccountID{10},
				CallID: "call-1", CallState: live.CallConnected, CallerName: "Kunde GmbH",
				CallerNumber: cdr.GermanPlan("711").Normalize("+49711987654"),
				// The first poll saw the call connected: its start is the
				// connection's timestamp.
				CallStart: connectedAt, Talk: 90 * time.Second},
			{At: now, Site: "HQ", AccountID: 3, Name: "Ben Berater", Telephony: live.TelephonyAvailable, AlwaysForward: true,
				GroupIDs: []cdr.AccountID{10, 11}},
		}
		if diff := cmp.Diff(want, users, cmpopts.EquateComparable(cdr.PhoneNumber{})); diff != "" {
			t.Errorf("users (-want +got):\n%s", diff)
		}

		// A minute later the talk time has grown; the start stays.
		time.Sleep(time.Minute)
		users, err = s.Users(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 150*time.Second, users[1].Talk)
		assert.Equal(t, connectedAt.UTC(), users[1].CallStart.UTC())
	})
}

func TestTelephonyStates(t *testing.T) {
	for _, st := range []string{"AVAILABLE", "RINGING", "ACTIVE", "QUEUE_PAUSE", "UNAVAILABLE", "SOMETHING_NEW"} {
		t.Run(st, func(t *testing.T) {
			p := newPBX()
			p.SetUserState(1, starfacetest.UserState{TelephonyState: st})
			users, err := newClient(t, p).Users(t.Context())
			require.NoError(t, err)
			assert.Equal(t, live.TelephonyState(st), users[0].Telephony, "kept as written")
		})
	}
}

func TestCallStates(t *testing.T) {
	tests := []struct {
		state      string
		number     string
		wantNumber string
		wantTalk   bool
	}{
		{"INCOMING", "+49 30 1234567", "+49301234567", false},
		{"RINGING", "0711 1234567", "+497111234567", false},
		{"CONNECTED", "12", "12", true},
		{"PARKED", "anonymous", "withheld", false},
		{"HANGUP", "", "", false},
		{"ON_HOLD_SOMEHOW", "*21#", "~*21#", false}, // an unknown state, kept as written
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPBX()
				p.StartCall(starfacetest.Call{ID: "c-" + tt.state, UserID: 1, State: tt.state, CallerName: "Caller " + tt.state, CallerNumber: tt.number})
				time.Sleep(30 * time.Second)
				users, err := newClient(t, p).Users(t.Context())
				require.NoError(t, err)
				u := users[0]
				assert.Equal(t, "c-"+tt.state, u.CallID)
				assert.Equal(t, live.CallState(tt.state), u.CallState)
				assert.Equal(t, "Caller "+tt.state, u.CallerName)
				assert.Equal(t, tt.wantNumber, u.CallerNumber.String())
				assert.Equal(t, time.Now().Add(-30*time.Second).UTC(), u.CallStart.UTC())
				if tt.wantTalk {
					assert.Equal(t, 30*time.Second, u.Talk)
				} else {
					assert.Zero(t, u.Talk)
				}
			})
		})
	}
	t.Run("the connected call wins", func(t *testing.T) {
		p := newPBX()
		p.StartCall(starfacetest.Call{ID: "a", UserID: 1, State: "HANGUP"})
		p.StartCall(starfacetest.Call{ID: "b", UserID: 1, State: "RINGING"})
		p.StartCall(starfacetest.Call{ID: "c", UserID: 1, State: "CONNECTED"})
		p.StartCall(starfacetest.Call{ID: "d", UserID: 1, State: "PARKED"})
		users, err := newClient(t, p).Users(t.Context())
		require.NoError(t, err)
		assert.Equal(t, "c", users[0].CallID)
	})
	t.Run("a call that ends between the requests is skipped", func(t *testing.T) {
		p := newPBX()
		p.StartCall(starfacetest.Call{ID: "gone", UserID: 1, State: "RINGING"})
		p.InjectFault(starfacetest.Fault{RPCMethod: "ucp.v30.requests.call.getCallState", FaultCode: 2, FaultString: "no such call"})
		users, err := newClient(t, p).Users(t.Context())
		require.NoError(t, err)
		assert.Empty(t, users[0].CallID)
	})
}

func TestQueues(t *testing.T) {
	p := newPBX()
	// Sales: two callers wait (q1 rings Anna, q2 comes in), one talks to
	// Ben. Support: one rings, a parked call counts as neither. A direct
	// call and one through an unknown group count nowhere.
	p.StartCall(starfacetest.Call{ID: "q1", UserID: 2, State: "RINGING", GroupID: "10"})
	p.StartCall(starfacetest.Call{ID: "q1-ben", UserID: 3, State: "CONNECTED", GroupID: "sales"})
	p.StartCall(starfacetest.Call{ID: "q2", UserID: 2, State: "INCOMING", GroupID: "sales"})
	p.StartCall(starfacetest.Call{ID: "q3", UserID: 3, State: "RINGING", GroupID: "11"})
	p.StartCall(starfacetest.Call{ID: "q4", UserID: 3, State: "PARKED", GroupID: "11"})
	p.StartCall(starfacetest.Call{ID: "direct", UserID: 2, State: "CONNECTED"})
	p.StartCall(starfacetest.Call{ID: "elsewhere", UserID: 2, State: "RINGING", GroupID: "999"})
	s := newClient(t, p, live.WithUCIUser(agentLogin, agentPass), live.WithUCIUser("0003", "ben-pw"))
	qs, err := s.Queues(t.Context())
	require.NoError(t, err)
	at := qs[0].At
	want := []live.QueueState{
		{At: at, Site: "HQ", AccountID: 10, Type: cdr.AccountGroup, Name: "Sales", WaitingCalls: 2, ConnectedCalls: 1},
		{At: at, Site: "HQ", AccountID: 11, Type: cdr.AccountGroup, Name: "Support", WaitingCalls: 1},
	}
	if diff := cmp.Diff(want, qs); diff != "" {
		t.Errorf("queues (-want +got):\n%s", diff)
	}
	c := calls(p)
	assert.Zero(t, c["GET /rest/redirects"], "queues need no redirects")
	assert.Zero(t, c["ucp.v30.requests.userState.getUserState"], "nor user states")

	t.Run("a call several sessions see counts once", func(t *testing.T) {
		p := newPBX()
		p.StartCall(starfacetest.Call{ID: "x", UserID: 2, SeenBy: []int64{1, 3}, State: "RINGING", GroupID: "10"})
		qs, err := newClient(t, p, live.WithUCIUser(agentLogin, agentPass), live.WithUCIUser("0003", "ben-pw")).Queues(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 1, qs[0].WaitingCalls)
		assert.Equal(t, 3, calls(p)["ucp.v30.requests.call.getCallState"], "each session read it")
	})
	t.Run("without UCI", func(t *testing.T) {
		p := newPBX()
		p.StartCall(starfacetest.Call{ID: "x", UserID: 1, State: "RINGING", GroupID: "10"})
		qs, err := newClient(t, p, live.WithoutUCI()).Queues(t.Context())
		require.NoError(t, err)
		require.Len(t, qs, 2)
		assert.Zero(t, qs[0].WaitingCalls)
		assert.Zero(t, calls(p)["POST /xml-rpc"])
	})
}

func TestLoginStates(t *testing.T) {
	p := newPBX()
	p.SetGroupLogin(10, 2, true)
	p.SetGroupLogin(10, 3, false)
	p.SetGroupLogin(11, 3, true)
	p.SetUserState(3, starfacetest.UserState{DoNotDisturb: true})
	p.SetRedirect(starfacetest.Redirect{ID: "r", UserID: 2, Trigger: "ALWAYS", Enabled: true})
	s := newClient(t, p, live.WithUCIUser(agentLogin, agentPass), live.WithUCIUser("0003", "ben-pw"))
	users, members, err := s.LoginStates(t.Context())
	require.NoError(t, err)
	at := users[0].At
	wantUsers := []live.UserLoginState{
		{At: at, Site: "HQ", AccountID: 1},
		{At: at, Site: "HQ", AccountID: 2, AlwaysForward: true},
		{At: at, Site: "HQ", AccountID: 3, DND: true},
	}
	wantMembers := []live.MemberLoginState{
		{At: at, Site: "HQ", GroupID: 10, UserID: 2, LoggedIn: true},
		{At: at, Site: "HQ", GroupID: 10, UserID: 3},
		{At: at, Site: "HQ", GroupID: 11, UserID: 3, LoggedIn: true},
	}
	if diff := cmp.Diff(wantUsers, users); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantMembers, members); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

func TestAccounts(t *testing.T) {
	p := newPBX()
	accs, err := newClient(t, p, live.WithoutUCI()).Accounts(t.Context())
	require.NoError(t, err)
	want := []cdr.Account{
		{ID: 1, Type: cdr.AccountUser, Name: "Sam Service", Login: svcLogin, Site: "HQ"},
		{ID: 2, Type: cdr.AccountUser, Name: "Anna Agent", Login: agentLogin, Site: "HQ"},
		{ID: 3, Type: cdr.AccountUser, Name: "Ben Berater", Login: "0003", Site: "HQ"},
		{ID: 10, Type: cdr.AccountGroup, Name: "Sales", Site: "HQ"},
		{ID: 11, Type: cdr.AccountGroup, Name: "Support", Site: "HQ"},
	}
	if diff := cmp.Diff(want, accs); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	_, err = cdr.NewDirectory(accs...)
	assert.NoError(t, err, "the accounts make a valid directory")

	t.Run("federation and invalid accounts are skipped", func(t *testing.T) {
		p := newPBX()
		p.InjectFault(starfacetest.Fault{Path: "/rest/accounts", Body: `[
			{"accountId": 2, "type": "USER", "firstname": "Anna", "lastname": "Agent", "local": true},
			{"accountId": 2, "type": "USER", "firstname": "Anna", "lastname": "Twice", "local": true},
			{"accountId": 0, "type": "USER", "local": true},
			{"accountId": 50, "type": "REMOTE_USER", "firstname": "Far", "lastname": "Away", "local": false},
			{"accountId": 51, "type": "REMOTE_GROUP", "local": false},
			{"accountId": 60, "type": "GROUP", "displayInformation": "Hotline", "local": true}
		]`})
		accs, err := newClient(t, p, live.WithoutUCI()).Accounts(t.Context())
		require.NoError(t, err)
		want := []cdr.Account{
			{ID: 2, Type: cdr.AccountUser, Name: "Anna Agent", Login: agentLogin, Site: "HQ"},
			{ID: 60, Type: cdr.AccountGroup, Name: "Hotline", Site: "HQ"},
		}
		if diff := cmp.Diff(want, accs); diff != "" {
			t.Errorf("accounts (-want +got):\n%s", diff)
		}
	})
}

func TestDirectoryCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPBX()
		s := newClient(t, p, live.WithoutUCI(), live.WithDirectoryRefresh(time.Minute))
		for range 3 {
			_, err := s.Users(t.Context())
			require.NoError(t, err)
		}
		c := calls(p)
		assert.Equal(t, 1, c["GET /rest/groups"])
		assert.Equal(t, 1, c["GET /rest/users"])
		assert.Equal(t, 9, c["GET /rest/redirects"], "redirects are live: read every time")

		// A new member shows once the cache has aged.
		p.SetMember(11, 2, true)
		time.Sleep(time.Minute)
		users, err := s.Users(t.Context())
		require.NoError(t, err)
		assert.Equal(t, []cdr.AccountID{10, 11}, users[1].GroupIDs)
		assert.Equal(t, 2, calls(p)["GET /rest/groups"])
	})
}

func TestUCIFaults(t *testing.T) {
	const getUserState = "ucp.v30.requests.userState.getUserState"
	t.Run("one fault: log in again and retry", func(t *testing.T) {
		p := newPBX()
		s := newClient(t, p)
		_, err := s.Users(t.Context()) // opens the session
		require.NoError(t, err)
		p.InjectFault(starfacetest.Fault{RPCMethod: getUserState, FaultCode: 1, FaultString: "not logged in"})
		users, err := s.Users(t.Context())
		require.NoError(t, err)
		assert.Equal(t, live.TelephonyAvailable, users[0].Telephony)
		assert.Equal(t, 2, calls(p)["ucp.v30.requests.connection.login"])
	})
	t.Run("session expired on the PBX", func(t *testing.T) {
		p := newPBX()
		s := newClient(t, p)
		_, err := s.Users(t.Context())
		require.NoError(t, err)
		p.ExpireUCISessions()
		_, err = s.Users(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 2, calls(p)["ucp.v30.requests.connection.login"])
	})
	t.Run("persistent fault", func(t *testing.T) {
		p := newPBX()
		p.InjectFault(starfacetest.Fault{RPCMethod: getUserState, FaultCode: 17, FaultString: "internal error", Times: -1})
		users, err := newClient(t, p).Users(t.Context())
		se := starfaceError(t, err, live.StarfaceFault)
		var f *live.RPCFault
		require.ErrorAs(t, err, &f)
		assert.Equal(t, live.RPCFault{Code: 17, Message: "internal error"}, *f)
		assert.Equal(t, "XML-RPC "+getUserState, se.Endpoint)
		assert.Len(t, users, 3, "REST states still returned")
	})
	t.Run("fault on login is a refused login", func(t *testing.T) {
		p := newPBX()
		p.InjectFault(starfacetest.Fault{RPCMethod: "ucp.v30.requests.connection.login", FaultCode: 403, FaultString: "forbidden", Times: -1})
		_, err := newClient(t, p).Users(t.Context())
		starfaceError(t, err, live.StarfaceAuth)
		var f *live.RPCFault
		assert.ErrorAs(t, err, &f)
	})
	t.Run("cookie kept", func(t *testing.T) {
		p := newPBX()
		_, err := newClient(t, p).Users(t.Context())
		require.NoError(t, err)
		var withCookie int
		for _, r := range p.Requests() {
			if r.RPCMethod != "" && r.RPCMethod != "ucp.v30.requests.connection.login" && strings.Contains(r.Header.Get("Cookie"), "JSESSIONID=") {
				withCookie++
			}
		}
		assert.Equal(t, 3, withCookie, "getUserState, getCallIds, getGroupSettings send the session cookie")
	})
}

func TestClose(t *testing.T) {
	p := newPBX()
	s := newClient(t, p, live.WithUCIUser(agentLogin, agentPass))
	_, err := s.Users(t.Context())
	require.NoError(t, err)
	require.NoError(t, s.Close(t.Context()))
	c := calls(p)
	assert.Equal(t, 1, c["DELETE /rest/login"])
	assert.Equal(t, 2, c["ucp.v30.requests.connection.logout"])
	// Usable again: it logs in anew.
	_, err = s.Users(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 2, calls(p)["POST /rest/login"])
	require.NoError(t, s.Close(t.Context()))
}

func TestOverServer(t *testing.T) {
	p := newPBX()
	srv := p.NewServer()
	defer srv.Close()
	s, err := live.NewStarface(srv.URL, svcLogin, svcPass, live.WithStarfaceHTTPClient(srv.Client()))
	require.NoError(t, err)
	users, err := s.Users(t.Context())
	require.NoError(t, err)
	assert.Len(t, users, 3)
}

func TestClockAndLogger(t *testing.T) {
	p := newPBX()
	p.InjectFault(starfacetest.Fault{Path: "/rest/users", Status: http.StatusUnauthorized}) // a re-login to log
	p.StartCall(starfacetest.Call{ID: "c", UserID: 1, State: "RINGING", GroupID: "404"})
	var logs strings.Builder
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s := newClient(t, p,
		live.WithStarfaceClock(func() time.Time { return at }),
		live.WithStarfaceLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	users, err := s.Users(t.Context())
	require.NoError(t, err)
	assert.Equal(t, at, users[0].At)
	qs, err := s.Queues(t.Context())
	require.NoError(t, err)
	assert.Equal(t, at, qs[0].At)
	out := logs.String()
	assert.Contains(t, out, "REST login")
	assert.Contains(t, out, "REST token refused")
	assert.Contains(t, out, "UCI login")
	assert.Contains(t, out, "group not among the REST groups")
	assert.NotContains(t, out, svcPass)
	assert.NotContains(t, out, hexSHA512(svcPass))
	for _, r := range p.Requests() {
		if tok := r.Header.Get("authToken"); tok != "" {
			assert.NotContains(t, out, tok)
		}
	}
	_, err = live.NewStarface(pbxURL, svcLogin, svcPass, live.WithStarfaceClock(nil))
	assert.ErrorContains(t, err, "nil clock")
	_, err = live.NewStarface(pbxURL, svcLogin, svcPass, live.WithStarfaceLocation(nil))
	assert.ErrorContains(t, err, "nil location")
}
