package starfacetest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestPBX() *PBX {
	p := New()
	p.AddUser(User{ID: 1, Login: "0001", Password: "pw1", FirstName: "Sam", FamilyName: "Service", Admin: true})
	p.AddUser(User{ID: 2, Login: "0002", Password: "pw2", FirstName: "Anna", FamilyName: "Agent"})
	p.AddUser(User{ID: 3, Login: "0003", FirstName: "No", FamilyName: "Password"})
	p.AddGroup(Group{ID: 10, Name: "Sales", GroupID: "sales"}, 2)
	return p
}

func TestLoginHandshake(t *testing.T) {
	p := newTestPBX()
	c := p.Client()

	t.Run("right secret", func(t *testing.T) {
		tok := login(t, c, "0001", "pw1")
		assert.Equal(t, http.StatusOK, get(t, c, "/rest/users", tok).status)
	})
	tests := []struct {
		name string
		body func(nonce string) string
		hdr  map[string]string
		want int
	}{
		{"wrong password", func(n string) string { return loginBody("0001", "wrong", n) }, nil, http.StatusUnauthorized},
		{"unknown user", func(n string) string { return loginBody("0999", "pw1", n) }, nil, http.StatusUnauthorized},
		{"user without password", func(n string) string { return loginBody("0003", "", n) }, nil, http.StatusUnauthorized},
		{"unknown nonce", func(string) string { return loginBody("0001", "pw1", "made-up") }, nil, http.StatusUnauthorized},
		{"not JSON", func(string) string { return "secret=x" }, nil, http.StatusBadRequest},
		{"no X-Version", func(n string) string { return loginBody("0001", "pw1", n) }, map[string]string{"X-Version": ""}, http.StatusBadRequest},
		{"no JSON content type", func(n string) string { return loginBody("0001", "pw1", n) }, map[string]string{"Content-Type": "text/plain"}, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, c, http.MethodPost, "/rest/login", "", tt.body(nonce(t, c)), tt.hdr)
			assert.Equal(t, tt.want, r.status, r.body)
			assert.NotContains(t, r.body, "token")
		})
	}
	t.Run("nonce is single-use", func(t *testing.T) {
		n := nonce(t, c)
		r := send(t, c, http.MethodPost, "/rest/login", "", loginBody("0001", "wrong", n), nil)
		require.Equal(t, http.StatusUnauthorized, r.status)
		// A failed try used it up: the right secret with it fails too.
		r = send(t, c, http.MethodPost, "/rest/login", "", loginBody("0001", "pw1", n), nil)
		assert.Equal(t, http.StatusUnauthorized, r.status)
		n = nonce(t, c)
		require.Equal(t, http.StatusOK, send(t, c, http.MethodPost, "/rest/login", "", loginBody("0001", "pw1", n), nil).status)
		assert.Equal(t, http.StatusUnauthorized, send(t, c, http.MethodPost, "/rest/login", "", loginBody("0001", "pw1", n), nil).status)
	})
}

func TestTokenChecks(t *testing.T) {
	p := newTestPBX()
	c := p.Client()
	tok := login(t, c, "0001", "pw1")
	tests := []struct {
		name string
		tok  string
		hdr  map[string]string
		want int
	}{
		{"valid", tok, nil, http.StatusOK},
		{"missing authToken", "", nil, http.StatusUnauthorized},
		{"unknown authToken", "deadbeef", nil, http.StatusUnauthorized},
		{"no X-Version", tok, map[string]string{"X-Version": ""}, http.StatusBadRequest},
		{"X-Version 1", tok, map[string]string{"X-Version": "1"}, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, c, http.MethodGet, "/rest/users", tt.tok, "", tt.hdr)
			assert.Equal(t, tt.want, r.status, r.body)
		})
	}
	t.Run("logout", func(t *testing.T) {
		tok := login(t, c, "0002", "pw2")
		require.Equal(t, http.StatusNoContent, send(t, c, http.MethodDelete, "/rest/login", tok, "", nil).status)
		assert.Equal(t, http.StatusUnauthorized, get(t, c, "/rest/users", tok).status)
	})
	t.Run("ExpireTokens", func(t *testing.T) {
		tok := login(t, c, "0002", "pw2")
		p.ExpireTokens()
		assert.Equal(t, http.StatusUnauthorized, get(t, c, "/rest/users", tok).status)
	})
}

func TestTokenExpiresAfterFourHours(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newTestPBX()
		c := p.Client()
		tok := login(t, c, "0001", "pw1")
		time.Sleep(TokenLifetime - time.Second)
		require.Equal(t, http.StatusOK, get(t, c, "/rest/users", tok).status)
		time.Sleep(time.Second)
		assert.Equal(t, http.StatusUnauthorized, get(t, c, "/rest/users", tok).status)
	})
}

func TestNonceExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newTestPBX()
		c := p.Client()
		n := nonce(t, c)
		time.Sleep(nonceLifetime + time.Second)
		assert.Equal(t, http.StatusUnauthorized, send(t, c, http.MethodPost, "/rest/login", "", loginBody("0001", "pw1", n), nil).status)
	})
}

func TestRESTEndpoints(t *testing.T) {
	p := newTestPBX()
	p.SetRedirect(Redirect{ID: "r1", UserID: 2, Trigger: "ALWAYS", Enabled: true, PhoneNumber: "12", Destination: "0711"})
	c := p.Client()
	admin := login(t, c, "0001", "pw1")
	agent := login(t, c, "0002", "pw2")

	decode := func(t *testing.T, r resp) any {
		t.Helper()
		require.Equal(t, http.StatusOK, r.status, r.body)
		var v any
		require.NoError(t, json.Unmarshal([]byte(r.body), &v))
		return v
	}
	t.Run("group membership", func(t *testing.T) {
		g := decode(t, get(t, c, "/rest/groups/10", admin)).(map[string]any)
		var assigned []float64
		for _, u := range g["assignableUsers"].([]any) {
			if m := u.(map[string]any); m["assigned"] == true {
				assigned = append(assigned, m["id"].(float64))
			}
		}
		assert.Equal(t, []float64{2}, assigned)
		assert.Equal(t, "sales", g["groupId"])
		assert.Equal(t, http.StatusNotFound, get(t, c, "/rest/groups/99", admin).status)
		assert.Equal(t, http.StatusNotFound, get(t, c, "/rest/groups/x", admin).status)
	})
	t.Run("redirects", func(t *testing.T) {
		own := decode(t, get(t, c, "/rest/redirects", agent)).([]any)
		require.Len(t, own, 1)
		assert.Equal(t, "ALWAYS", own[0].(map[string]any)["redirectTrigger"].(map[string]any)["redirectTriggerType"])
		onBehalf := decode(t, get(t, c, "/rest/redirects?actOnBehalfOf=0002", admin)).([]any)
		assert.Len(t, onBehalf, 1)
		assert.Empty(t, decode(t, get(t, c, "/rest/redirects", admin)).([]any))
		assert.Equal(t, http.StatusForbidden, get(t, c, "/rest/redirects?actOnBehalfOf=0001", agent).status)
		assert.Equal(t, http.StatusNotFound, get(t, c, "/rest/redirects?actOnBehalfOf=0999", admin).status)
	})
	t.Run("unknown path", func(t *testing.T) {
		assert.Equal(t, http.StatusNotFound, get(t, c, "/rest/nothing", admin).status)
	})
}

func TestXMLRPC(t *testing.T) {
	p := newTestPBX()
	at := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	p.SetUserState(2, UserState{TelephonyState: "RINGING", ChatPresence: "available", ChatPresenceMessage: "hi <there>"})
	p.StartCall(Call{ID: "c1", UserID: 2, State: "RINGING", CallerName: "Kunde", CallerNumber: "+4971112345", GroupID: "10", Timestamp: at})
	p.StartCall(Call{ID: "c2", UserID: 1, State: "CONNECTED"})
	p.SetGroupLogin(10, 2, true)
	c := p.Client()
	auth := uciAuth("0002", "pw2")

	tests := []struct {
		name, method string
		params       []string
		want         []string // substrings of the body
	}{
		{"before login", "ucp.v30.requests.userState.getUserState", nil, []string{"<fault>", "not logged in"}},
		{"login", "ucp.v30.requests.connection.login", nil, []string{"<boolean>1</boolean>"}},
		{"user state", "ucp.v30.requests.userState.getUserState", nil,
			[]string{"<name>telephonyState</name><value><string>RINGING</string>", "hi &lt;there&gt;", "<name>redirectAlwaysActive</name><value><boolean>0</boolean>"}},
		{"call ids", "ucp.v30.requests.call.getCallIds", nil, []string{"<array><data><value><string>c1</string></value></data></array>"}},
		{"call state", "ucp.v30.requests.call.getCallState", []string{"c1"},
			[]string{"<name>groupID</name><value><string>10</string>", "<dateTime.iso8601>20250304T10:00:00</dateTime.iso8601>"}},
		{"another user's call", "ucp.v30.requests.call.getCallState", []string{"c2"}, []string{"<fault>", "no such call"}},
		{"group settings", "ucp.v30.requests.group.getGroupSettings", nil, []string{"<name>groupId</name><value><string>10</string>", "<name>loggedIn</name><value><boolean>1</boolean>"}},
		{"unknown method", "ucp.v30.requests.nothing.here", nil, []string{"<fault>", "no such method"}},
		{"other version", "ucp.v22.requests.connection.login", nil, []string{"<fault>"}},
		{"logout", "ucp.v30.requests.connection.logout", nil, []string{"<boolean>1</boolean>"}},
		{"after logout", "ucp.v30.requests.call.getCallIds", nil, []string{"<fault>", "not logged in"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rpc(t, c, auth, tt.method, tt.params...)
			require.Equal(t, http.StatusOK, r.status)
			for _, w := range tt.want {
				assert.Contains(t, r.body, w)
			}
		})
	}
	t.Run("wrong auth", func(t *testing.T) {
		r := rpc(t, c, uciAuth("0002", "wrong"), "ucp.v30.requests.connection.login")
		assert.Contains(t, r.body, "<boolean>0</boolean>")
		assert.Empty(t, r.header.Values("Set-Cookie"))
	})
	t.Run("login sets a session cookie", func(t *testing.T) {
		r := rpc(t, c, auth, "ucp.v30.requests.connection.login")
		assert.Contains(t, r.header.Get("Set-Cookie"), "JSESSIONID=")
		p.ExpireUCISessions()
		assert.Contains(t, rpc(t, c, auth, "ucp.v30.requests.call.getCallIds").body, "not logged in")
	})
	t.Run("malformed call", func(t *testing.T) {
		r := send(t, c, http.MethodPost, "/xml-rpc", "", "<methodCall>", map[string]string{"Content-Type": "text/xml"})
		assert.Contains(t, r.body, "<fault>")
	})
}

func TestFaults(t *testing.T) {
	t.Run("status once, then normal", func(t *testing.T) {
		p := newTestPBX()
		c := p.Client()
		p.InjectFault(Fault{Path: "/rest/login", Method: http.MethodGet, Status: http.StatusServiceUnavailable})
		assert.Equal(t, http.StatusServiceUnavailable, get(t, c, "/rest/login", "").status)
		assert.Equal(t, http.StatusOK, get(t, c, "/rest/login", "").status)
	})
	t.Run("path prefix, times, clear", func(t *testing.T) {
		p := newTestPBX()
		c := p.Client()
		tok := login(t, c, "0001", "pw1")
		p.InjectFault(Fault{Path: "/rest/groups/", Status: 500, Times: 2})
		assert.Equal(t, 200, get(t, c, "/rest/groups", tok).status)
		assert.Equal(t, 500, get(t, c, "/rest/groups/10", tok).status)
		assert.Equal(t, 500, get(t, c, "/rest/groups/10", tok).status)
		assert.Equal(t, 200, get(t, c, "/rest/groups/10", tok).status)
		p.InjectFault(Fault{Status: 502, Times: -1})
		assert.Equal(t, 502, get(t, c, "/rest/users", tok).status)
		p.ClearFaults()
		assert.Equal(t, 200, get(t, c, "/rest/users", tok).status)
	})
	t.Run("body and XML-RPC fault", func(t *testing.T) {
		p := newTestPBX()
		c := p.Client()
		p.InjectFault(Fault{Path: "/rest/login", Body: "<html>login page</html>", ContentType: "text/html"})
		r := get(t, c, "/rest/login", "")
		assert.Equal(t, "<html>login page</html>", r.body)
		assert.Equal(t, "text/html", r.header.Get("Content-Type"))
		p.InjectFault(Fault{RPCMethod: "ucp.v30.requests.connection.login", FaultCode: 42, FaultString: "boom"})
		r = rpc(t, c, uciAuth("0002", "pw2"), "ucp.v30.requests.connection.login")
		assert.Contains(t, r.body, "<i4>42</i4>")
		assert.Contains(t, r.body, "boom")
	})
	t.Run("drop through the transport", func(t *testing.T) {
		p := newTestPBX()
		p.InjectFault(Fault{Drop: true})
		req, err := http.NewRequest(http.MethodGet, base+"/rest/login", nil)
		require.NoError(t, err)
		_, err = p.Client().Do(req)
		require.Error(t, err)
		assert.True(t, errors.Is(err, ErrDropped), "%v", err)
		assert.Equal(t, 0, p.Requests()[0].Status)
	})
	t.Run("drop through a server", func(t *testing.T) {
		p := newTestPBX()
		s := p.NewServer()
		defer s.Close()
		p.InjectFault(Fault{Drop: true})
		resp, err := s.Client().Get(s.URL + "/rest/login")
		if err == nil {
			resp.Body.Close()
		}
		require.Error(t, err)
		resp, err = s.Client().Get(s.URL + "/rest/nothing")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	})
	t.Run("delay honours the context", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newTestPBX()
			p.InjectFault(Fault{Delay: time.Minute, Times: -1})
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/rest/login", nil)
			require.NoError(t, err)
			start := time.Now()
			_, err = p.Client().Do(req)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Equal(t, time.Second, time.Since(start))
			// Without a deadline the delayed request is served.
			start = time.Now()
			assert.Equal(t, http.StatusOK, get(t, p.Client(), "/rest/login", "").status)
			assert.Equal(t, time.Minute, time.Since(start))
		})
	})
}

func TestRequestsRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newTestPBX()
		c := p.Client()
		tok := login(t, c, "0001", "pw1")
		get(t, c, "/rest/users?searchTerm=a", tok)
		rpc(t, c, uciAuth("0002", "pw2"), "ucp.v30.requests.connection.login")
		type row struct {
			Method, Path, Query, RPC, Token string
			Status                          int
		}
		var got []row
		for _, r := range p.Requests() {
			assert.Equal(t, time.Now(), r.Time)
			got = append(got, row{r.Method, r.Path, r.Query.Get("searchTerm"), r.RPCMethod, r.Header.Get("authToken"), r.Status})
		}
		want := []row{
			{"GET", "/rest/login", "", "", "", 200},
			{"POST", "/rest/login", "", "", "", 200},
			{"GET", "/rest/users", "a", "", tok, 200},
			{"POST", "/xml-rpc", "", "ucp.v30.requests.connection.login", "", 200},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		p.ResetRequests()
		assert.Empty(t, p.Requests())
	})
}

func TestConcurrentUse(t *testing.T) {
	p := newTestPBX()
	c := p.Client()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			tok := login(t, c, "0001", "pw1")
			get(t, c, "/rest/users", tok)
			p.SetUserState(2, UserState{TelephonyState: strings.Repeat("X", i)})
			p.StartCall(Call{ID: "c", UserID: 2, State: "RINGING"})
			p.SetCallState("c", "CONNECTED")
			rpc(t, c, uciAuth("0002", "pw2"), "ucp.v30.requests.connection.login")
		})
	}
	wg.Wait()
	assert.Len(t, p.Requests(), 8*4)
}
