package live

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The REST paths, below the base URL.
const (
	pathLogin     = "/rest/login"
	pathUsers     = "/rest/users"
	pathAccounts  = "/rest/accounts"
	pathGroups    = "/rest/groups"
	pathRedirects = "/rest/redirects"
)

const (
	// tokenLifetime is how long STARFACE honours a REST token.
	tokenLifetime = 4 * time.Hour
	// tokenRefresh is how long before the token's end the client logs in
	// again, so that a request never goes out with a token about to end.
	tokenRefresh = 5 * time.Minute
	// maxJSONBody bounds a REST answer: a PBX with thousands of users
	// stays far below it.
	maxJSONBody = 32 << 20
)

// The JSON shapes of the swagger (STARFACE REST 6.7.0.22), reduced to
// the properties the client reads.
type (
	restLogin struct {
		LoginType string  `json:"loginType"`
		Nonce     string  `json:"nonce"`
		Secret    *string `json:"secret"`
	}
	restAuthToken struct {
		Token string `json:"token"`
	}
	restUser struct {
		ID         int64  `json:"id"`
		Login      string `json:"login"`
		FirstName  string `json:"firstName"`
		FamilyName string `json:"familyName"`
	}
	restAccount struct {
		AccountID          int64  `json:"accountId"`
		DisplayInformation string `json:"displayInformation"`
		FirstName          string `json:"firstname"`
		LastName           string `json:"lastname"`
		Local              bool   `json:"local"`
		Type               string `json:"type"`
	}
	restGroupItem struct {
		ID   int64  `json:"id"`
		Name string `json:"groupname"`
	}
	restGroup struct {
		ID              int64                `json:"id"`
		GroupID         string               `json:"groupId"`
		Name            string               `json:"name"`
		AssignableUsers []restAssignableUser `json:"assignableUsers"`
	}
	restAssignableUser struct {
		ID       int64 `json:"id"`
		Assigned bool  `json:"assigned"`
	}
	restRedirect struct {
		ID              string `json:"id"`
		Enabled         bool   `json:"enabled"`
		GroupNumber     bool   `json:"groupNumber"`
		PhoneNumber     string `json:"phoneNumber"`
		RedirectTrigger struct {
			Type string `json:"redirectTriggerType"`
		} `json:"redirectTrigger"`
	}
)

func (u restUser) name() string { return joinName(u.FirstName, u.FamilyName) }

func (a restAccount) name() string {
	if n := joinName(a.FirstName, a.LastName); n != "" {
		return n
	}
	return strings.TrimSpace(a.DisplayInformation)
}

func joinName(first, last string) string {
	return strings.TrimSpace(strings.TrimSpace(first) + " " + strings.TrimSpace(last))
}

// sha512Hex is hex(SHA-512(s)), lower case as STARFACE computes it.
func sha512Hex(s string) string {
	h := sha512.Sum512([]byte(s))
	return hex.EncodeToString(h[:])
}

// restSecret is the REST login's secret for an internal user:
// login + ":" + hex(SHA-512(login + nonce + hex(SHA-512(password)))).
func restSecret(login, nonce, pwHash string) string {
	return login + ":" + sha512Hex(login+nonce+pwHash)
}

// rest makes one authenticated REST request and decodes the JSON answer
// into out (when not nil). A 401 makes it log in again and retry once.
func (s *Starface) rest(ctx context.Context, method, path string, query url.Values, out any) error {
	tok, err := s.ensureToken(ctx)
	if err != nil {
		return err
	}
	resp, err := s.send(ctx, method, path, query, nil, tok)
	if err != nil {
		return err
	}
	if resp.status == http.StatusUnauthorized {
		s.log.Debug("starface: REST token refused, logging in again", "host", s.base.Host, "endpoint", method+" "+path)
		if tok, err = s.relogin(ctx, tok); err != nil {
			return err
		}
		if resp, err = s.send(ctx, method, path, query, nil, tok); err != nil {
			return err
		}
	}
	if resp.status/100 != 2 {
		return s.statusError(method+" "+path, resp.status, false)
	}
	if out == nil {
		return nil
	}
	return s.decodeJSON(method+" "+path, resp, out)
}

// ensureToken returns a token that lives at least tokenRefresh more,
// logging in if needed.
func (s *Starface) ensureToken(ctx context.Context) (string, error) {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	if s.token != "" && s.now().Before(s.expires.Add(-tokenRefresh)) {
		return s.token, nil
	}
	return s.loginLocked(ctx)
}

// relogin replaces the token stale, which the PBX refused, unless another
// request has already done so.
func (s *Starface) relogin(ctx context.Context, stale string) (string, error) {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	if s.token != "" && s.token != stale && s.now().Before(s.expires.Add(-tokenRefresh)) {
		return s.token, nil
	}
	s.token = ""
	return s.loginLocked(ctx)
}

// loginLocked runs the REST login handshake; s.authMu is held.
func (s *Starface) loginLocked(ctx context.Context) (string, error) {
	const getEP, postEP = "GET " + pathLogin, "POST " + pathLogin
	resp, err := s.send(ctx, http.MethodGet, pathLogin, nil, nil, "")
	if err != nil {
		return "", err
	}
	if resp.status != http.StatusOK {
		return "", s.statusError(getEP, resp.status, true)
	}
	var tmpl restLogin
	if err := json.Unmarshal(resp.body, &tmpl); err != nil || !isJSON(resp.contentType) {
		// A web page where the login template belongs: not the REST API.
		return "", &StarfaceError{Kind: StarfaceAPIDisabled, Host: s.base.Host, Endpoint: getEP, StatusCode: resp.status,
			Err: fmt.Errorf("answer is not the login template (content type %q)", resp.contentType)}
	}
	if tmpl.Nonce == "" {
		return "", &StarfaceError{Kind: StarfaceProtocol, Host: s.base.Host, Endpoint: getEP, Err: errors.New("login template without a nonce")}
	}
	if tmpl.LoginType != "" && !strings.EqualFold(tmpl.LoginType, "Internal") {
		return "", &StarfaceError{Kind: StarfaceAuth, Host: s.base.Host, Endpoint: getEP,
			Err: fmt.Errorf("login type %q is not supported (only Internal)", tmpl.LoginType)}
	}
	secret := restSecret(s.login, tmpl.Nonce, s.pwHash)
	loginType := tmpl.LoginType
	if loginType == "" {
		loginType = "Internal"
	}
	body, err := json.Marshal(restLogin{LoginType: loginType, Nonce: tmpl.Nonce, Secret: &secret})
	if err != nil {
		return "", err
	}
	if resp, err = s.send(ctx, http.MethodPost, pathLogin, nil, body, ""); err != nil {
		return "", err
	}
	if resp.status != http.StatusOK {
		return "", s.statusError(postEP, resp.status, true)
	}
	var at restAuthToken
	if err := s.decodeJSON(postEP, resp, &at); err != nil {
		return "", err
	}
	if at.Token == "" {
		return "", &StarfaceError{Kind: StarfaceProtocol, Host: s.base.Host, Endpoint: postEP, Err: errors.New("login answer without a token")}
	}
	s.token = at.Token
	s.expires = s.now().Add(tokenLifetime)
	s.log.Debug("starface: REST login", "host", s.base.Host, "login", s.login, "expires", s.expires)
	return s.token, nil
}

// response is an HTTP answer read whole.
type response struct {
	status      int
	contentType string
	header      http.Header
	body        []byte
}

// send makes one REST request to path (below the base URL) and reads the
// answer. token, when set, goes into the authToken header. A failure without an HTTP answer is a
// *StarfaceError of kind StarfaceUnreachable (or the context's error,
// wrapped).
func (s *Starface) send(ctx context.Context, method, path string, query url.Values, body []byte, token string) (*response, error) {
	u := *s.base
	u.Path += path
	if query != nil {
		u.RawQuery = query.Encode()
	}
	ep := method + " " + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, &StarfaceError{Kind: StarfaceRequest, Host: s.base.Host, Endpoint: ep, Err: netError(err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Version", "2")
	if token != "" {
		req.Header.Set("authToken", token)
	}
	return s.do(req, ep, maxJSONBody)
}

// do sends req and reads the answer, at most limit bytes.
func (s *Starface) do(req *http.Request, ep string, limit int64) (*response, error) {
	resp, err := s.http.Do(req)
	if err != nil {
		err = netError(err)
		if ctxErr := req.Context().Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return nil, &StarfaceError{Kind: StarfaceUnreachable, Host: s.base.Host, Endpoint: ep, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, &StarfaceError{Kind: StarfaceUnreachable, Host: s.base.Host, Endpoint: ep, StatusCode: resp.StatusCode,
			Err: fmt.Errorf("reading the answer: %w", netError(err))}
	}
	if int64(len(b)) > limit {
		return nil, &StarfaceError{Kind: StarfaceProtocol, Host: s.base.Host, Endpoint: ep, StatusCode: resp.StatusCode,
			Err: fmt.Errorf("answer larger than %d bytes", limit)}
	}
	return &response{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), header: resp.Header, body: b}, nil
}

// statusError is the error for an unsuccessful status.
func (s *Starface) statusError(ep string, status int, login bool) error {
	return &StarfaceError{Kind: statusKind(status, login), Host: s.base.Host, Endpoint: ep, StatusCode: status}
}

// decodeJSON decodes a REST answer into out.
func (s *Starface) decodeJSON(ep string, resp *response, out any) error {
	if err := json.Unmarshal(resp.body, out); err != nil {
		return &StarfaceError{Kind: StarfaceProtocol, Host: s.base.Host, Endpoint: ep, StatusCode: resp.status,
			Err: fmt.Errorf("decoding the JSON answer (content type %q): %w", resp.contentType, err)}
	}
	return nil
}

// isJSON reports a JSON content type, or none (some STARFACE versions
// send none).
func isJSON(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}
