package msalauth

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/starinsight/starinsight/powerbi"
)

// leakMarker is in every secret the fake Entra ID issues or accepts
// (access, refresh and ID tokens, the device code, the client secret):
// logs and errors must never contain it. Tokens signed by MSAL (client
// assertions) and the ID token start with "eyJ", also checked.
const leakMarker = "LEAK"

const (
	testTenant   = "contoso-tenant"
	testClientID = "11111111-2222-3333-4444-555555555555"
	testSecret   = "LEAK-client-secret-value"
	testUser     = "pbx@contoso.example"
	testUserCode = "ABCD-EFGH"
)

// entraErr is a scripted error reply.
type entraErr struct {
	status int
	body   string
}

// aadsts builds Entra ID's error JSON for an AADSTS code.
func aadsts(status int, oauthErr string, code int, text string) entraErr {
	b, _ := json.Marshal(map[string]any{
		"error":             oauthErr,
		"error_description": fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: 0000-trace\r\nCorrelation ID: 0000-corr\r\nTimestamp: 2025-01-01 00:00:00Z", code, text),
		"error_codes":       []int{code},
		"timestamp":         "2025-01-01 00:00:00Z",
		"trace_id":          "0000-trace",
		"correlation_id":    "0000-corr",
	})
	return entraErr{status, string(b)}
}

// fakeEntra is a Microsoft Entra ID good enough for MSAL: the OpenID
// discovery document, /devicecode and /token (device_code, refresh_token
// and client_credentials grants), over TLS.
type fakeEntra struct {
	t   *testing.T
	srv *httptest.Server

	mu sync.Mutex
	// set before use, read by the handler
	username      string
	uid           string
	expiresIn     int                 // access token lifetime, seconds
	codeExpiresIn int                 // device code lifetime, seconds
	pendingPolls  int                 // authorization_pending replies before success; < 0: forever
	certKey       *rsa.PublicKey      // accepted client assertion signer
	fail          map[string]entraErr // by endpoint or grant: "discovery", "devicecode", "device_code", "refresh_token", "client_credentials"
	// recorded
	seq           int
	refreshTokens map[string]bool
	calls         map[string]int
}

// newFakeEntra starts the fake; it is closed when the test ends. Create it
// outside a synctest bubble: its goroutines wait on the network, which a
// bubble cannot see as blocked.
func newFakeEntra(t *testing.T) *fakeEntra {
	t.Helper()
	f := &fakeEntra{
		t:             t,
		username:      testUser,
		uid:           "uid-1",
		expiresIn:     3600,
		codeExpiresIn: 900,
		fail:          map[string]entraErr{},
		refreshTokens: map[string]bool{},
		calls:         map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", f.discovery)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/devicecode", f.deviceCode)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", f.token)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("fake Entra ID: unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	f.srv = httptest.NewTLSServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// authority is the authority URL for tenant.
func (f *fakeEntra) authority(tenant string) string { return f.srv.URL + "/" + tenant }

// client returns an HTTP client trusting the fake. Keep-alives are off so
// no connection goroutine outlives a request: inside a synctest bubble an
// idle connection would stop the fake clock.
func (f *fakeEntra) client() *http.Client {
	tr := f.srv.Client().Transport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	return &http.Client{Transport: tr}
}

// opts are the options every test uses to talk to the fake.
func (f *fakeEntra) opts(extra ...Option) []Option {
	return append([]Option{WithAuthority(f.authority(testTenant)), WithHTTPClient(f.client())}, extra...)
}

func (f *fakeEntra) set(fn func(f *fakeEntra)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// count returns how often key ("discovery", "devicecode", or a grant) was
// requested.
func (f *fakeEntra) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[key]
}

func (f *fakeEntra) record(key string) (entraErr, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[key]++
	e, ok := f.fail[key]
	return e, ok
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, e entraErr) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if strings.HasPrefix(e.body, "<") {
		w.Header().Set("Content-Type", "text/html")
	}
	w.WriteHeader(e.status)
	_, _ = w.Write([]byte(e.body))
}

func (f *fakeEntra) discovery(w http.ResponseWriter, r *http.Request) {
	if e, ok := f.record("discovery"); ok {
		writeErr(w, e)
		return
	}
	base := f.srv.URL + "/{tenant}"
	writeJSON(w, http.StatusOK, map[string]any{
		"authorization_endpoint":        base + "/oauth2/v2.0/authorize",
		"token_endpoint":                base + "/oauth2/v2.0/token",
		"device_authorization_endpoint": base + "/oauth2/v2.0/devicecode",
		"issuer":                        base + "/v2.0",
	})
}

func (f *fakeEntra) deviceCode(w http.ResponseWriter, r *http.Request) {
	if e, ok := f.record("devicecode"); ok {
		writeErr(w, e)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") != testClientID {
		writeErr(w, aadsts(400, "unauthorized_client", 700016, "Application not found in the directory."))
		return
	}
	f.mu.Lock()
	exp := f.codeExpiresIn
	f.mu.Unlock()
	url := "https://microsoft.com/devicelogin"
	writeJSON(w, http.StatusOK, map[string]any{
		"user_code":        testUserCode,
		"device_code":      "LEAK-device-code",
		"verification_uri": url,
		"expires_in":       exp,
		"interval":         5,
		"message":          "To sign in, use a web browser to open the page " + url + " and enter the code " + testUserCode + " to authenticate.",
	})
}

func (f *fakeEntra) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeErr(w, aadsts(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'."))
		return
	}
	form := r.PostForm
	grant := form.Get("grant_type")
	switch grant {
	case "urn:ietf:params:oauth:grant-type:device_code": // RFC 8628's name; MSAL sends Entra's short one
		grant = "device_code"
	case "device_code", "refresh_token", "client_credentials":
	default:
		writeErr(w, aadsts(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."))
		return
	}
	if e, ok := f.record(grant); ok {
		writeErr(w, e)
		return
	}
	if form.Get("client_id") != testClientID {
		writeErr(w, aadsts(400, "unauthorized_client", 700016, "Application not found in the directory."))
		return
	}
	scope := powerbi.CloudPublic.Scope()
	if !strings.Contains(" "+form.Get("scope")+" ", " "+scope+" ") {
		writeErr(w, aadsts(400, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid."))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch grant {
	case "device_code":
		if form.Get("device_code") != "LEAK-device-code" {
			writeErr(w, aadsts(400, "invalid_grant", 70000, "The provided value for the input parameter 'device_code' is not valid."))
			return
		}
		if f.pendingPolls != 0 {
			if f.pendingPolls > 0 {
				f.pendingPolls--
			}
			writeErr(w, aadsts(400, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling."))
			return
		}
		writeJSON(w, http.StatusOK, f.userTokenLocked(scope))
	case "refresh_token":
		if !f.refreshTokens[form.Get("refresh_token")] {
			writeErr(w, aadsts(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid."))
			return
		}
		delete(f.refreshTokens, form.Get("refresh_token"))
		writeJSON(w, http.StatusOK, f.userTokenLocked(scope))
	case "client_credentials":
		if !f.clientAuthOKLocked(form.Get("client_secret"), form.Get("client_assertion"), form.Get("client_assertion_type")) {
			writeErr(w, aadsts(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID."))
			return
		}
		f.seq++
		writeJSON(w, http.StatusOK, map[string]any{
			"token_type":     "Bearer",
			"expires_in":     f.expiresIn,
			"ext_expires_in": f.expiresIn,
			"access_token":   fmt.Sprintf("LEAK-app-token-%d", f.seq),
		})
	}
}

// userTokenLocked issues a user's tokens; f.mu is held.
func (f *fakeEntra) userTokenLocked(scope string) map[string]any {
	f.seq++
	rt := fmt.Sprintf("LEAK-refresh-token-%d", f.seq)
	f.refreshTokens[rt] = true
	b64 := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	idToken := b64(map[string]any{"alg": "none", "typ": "JWT"}) + "." + b64(map[string]any{
		"aud":                testClientID,
		"iss":                f.srv.URL + "/" + testTenant + "/v2.0",
		"tid":                "tid-1",
		"oid":                f.uid,
		"sub":                "sub-" + f.uid,
		"preferred_username": f.username,
		"name":               "PBX " + f.uid,
		"nonce":              leakMarker,
	}) + ".sig"
	return map[string]any{
		"token_type":     "Bearer",
		"scope":          scope,
		"expires_in":     f.expiresIn,
		"ext_expires_in": f.expiresIn,
		"access_token":   fmt.Sprintf("LEAK-user-token-%d", f.seq),
		"refresh_token":  rt,
		"id_token":       idToken,
		"client_info":    b64(map[string]any{"uid": f.uid, "utid": "tid-1"}),
	}
}

// clientAuthOKLocked checks a client secret, or a client assertion signed
// (PS256) by the registered certificate's key for this client and the
// token endpoint.
func (f *fakeEntra) clientAuthOKLocked(secret, assertion, assertionType string) bool {
	if secret != "" {
		return secret == testSecret
	}
	if assertionType != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || f.certKey == nil {
		return false
	}
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return false
	}
	var hdr struct {
		Alg string `json:"alg"`
		X5t string `json:"x5t#S256"`
	}
	var claims struct {
		Aud string `json:"aud"`
		Iss string `json:"iss"`
		Sub string `json:"sub"`
	}
	if !decodeSeg(parts[0], &hdr) || !decodeSeg(parts[1], &claims) || hdr.Alg != "PS256" || hdr.X5t == "" {
		return false
	}
	if claims.Iss != testClientID || claims.Sub != testClientID || !strings.HasSuffix(claims.Aud, "/"+testTenant+"/oauth2/v2.0/token") {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	return rsa.VerifyPSS(f.certKey, crypto.SHA256, sum[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
}

func decodeSeg(seg string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	return err == nil && json.Unmarshal(b, v) == nil
}
