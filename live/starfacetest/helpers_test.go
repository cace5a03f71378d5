package starfacetest

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const base = "https://pbx.test"

type resp struct {
	status int
	body   string
	header http.Header
}

// send makes a request; hdr adds or (with "") removes headers from the
// REST defaults.
func send(t testing.TB, c *http.Client, method, path, tok, body string, hdr map[string]string) resp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, base+path, rd)
	require.NoError(t, err)
	req.Header.Set("X-Version", "2")
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("authToken", tok)
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	r, err := c.Do(req)
	require.NoError(t, err)
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	return resp{status: r.StatusCode, body: string(b), header: r.Header}
}

func get(t testing.TB, c *http.Client, path, tok string) resp {
	t.Helper()
	return send(t, c, http.MethodGet, path, tok, "", nil)
}

// nonce gets a login template's nonce.
func nonce(t testing.TB, c *http.Client) string {
	t.Helper()
	r := get(t, c, "/rest/login", "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	var l struct {
		LoginType string  `json:"loginType"`
		Nonce     string  `json:"nonce"`
		Secret    *string `json:"secret"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &l))
	require.NotEmpty(t, l.Nonce)
	require.Nil(t, l.Secret)
	return l.Nonce
}

func loginBody(login, password, nonce string) string {
	secret := login + ":" + sha512Hex(login+nonce+sha512Hex(password))
	b, _ := json.Marshal(map[string]string{"loginType": "Internal", "nonce": nonce, "secret": secret})
	return string(b)
}

// login runs the handshake and returns the token.
func login(t testing.TB, c *http.Client, login, password string) string {
	t.Helper()
	r := send(t, c, http.MethodPost, "/rest/login", "", loginBody(login, password, nonce(t, c)), nil)
	require.Equal(t, http.StatusOK, r.status, r.body)
	var at struct {
		Token string `json:"token"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &at))
	require.NotEmpty(t, at.Token)
	return at.Token
}

func uciAuth(login, password string) string {
	return login + ":" + sha512Hex(login+"*"+sha512Hex(password))
}

// rpc calls an XML-RPC method with string parameters.
func rpc(t testing.TB, c *http.Client, auth, method string, params ...string) resp {
	t.Helper()
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?><methodCall><methodName>" + method + "</methodName><params>")
	for _, p := range params {
		b.WriteString("<param><value><string>")
		_ = xml.EscapeText(&b, []byte(p))
		b.WriteString("</string></value></param>")
	}
	b.WriteString("</params></methodCall>")
	return send(t, c, http.MethodPost, "/xml-rpc?de.vertico.starface.auth="+url.QueryEscape(auth), "", b.String(),
		map[string]string{"Content-Type": "text/xml", "X-Version": ""})
}
