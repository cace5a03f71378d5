package live

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// StarfaceErrorKind says what went wrong talking to a STARFACE PBX, as far
// as the client can tell, so that a caller can show the right hint.
type StarfaceErrorKind int

// The kinds of [StarfaceError].
const (
	// StarfaceUnreachable: no HTTP answer at all (name not resolved,
	// connection refused or reset, TLS failure, timeout).
	StarfaceUnreachable StarfaceErrorKind = iota + 1
	// StarfaceAuth: the PBX refused the login ID or password (REST login
	// 400/401, UCI login false), or refused a fresh token.
	StarfaceAuth
	// StarfaceForbidden: 403, the user lacks a permission (acting on
	// behalf of other users needs an administrator).
	StarfaceForbidden
	// StarfaceAPIDisabled: the API is not there: 404 or a web page where
	// the REST login or the XML-RPC endpoint should answer (a wrong URL,
	// a STARFACE older than 6.7, or the interface switched off).
	StarfaceAPIDisabled
	// StarfaceServer: the PBX answered 5xx.
	StarfaceServer
	// StarfaceRequest: any other 4xx.
	StarfaceRequest
	// StarfaceProtocol: an answer the client cannot read (malformed or
	// oversize JSON or XML).
	StarfaceProtocol
	// StarfaceFault: the UCI answered an XML-RPC fault; Err is an
	// [*RPCFault].
	StarfaceFault
)

var starfaceKindNames = [...]string{
	StarfaceUnreachable: "unreachable",
	StarfaceAuth:        "auth",
	StarfaceForbidden:   "forbidden",
	StarfaceAPIDisabled: "api-disabled",
	StarfaceServer:      "server",
	StarfaceRequest:     "request",
	StarfaceProtocol:    "protocol",
	StarfaceFault:       "fault",
}

// String returns a short name of the kind ("unreachable", "auth", …).
func (k StarfaceErrorKind) String() string {
	if k > 0 && int(k) < len(starfaceKindNames) {
		return starfaceKindNames[k]
	}
	return "StarfaceErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// StarfaceError is a failed exchange with a STARFACE PBX. It never holds
// the password, its hash or a token: the XML-RPC URL, which carries a
// password equivalent, is stripped from network errors.
type StarfaceError struct {
	Kind StarfaceErrorKind
	// Host is the PBX's host (and port) as configured.
	Host string
	// Endpoint is what was asked: "GET /rest/users", "POST /rest/login",
	// "XML-RPC ucp.v30.requests.userState.getUserState".
	Endpoint string
	// StatusCode is the HTTP status, 0 when there was no HTTP answer.
	StatusCode int
	// User is the login the request was made for when that is not the
	// client's own login (a UCI user, a user acted on behalf of).
	User string
	// Err is the cause: a network error, an [*RPCFault], a decoding
	// error; nil when the status says it all.
	Err error
}

// Error names the host, the endpoint, the status and a hint.
func (e *StarfaceError) Error() string {
	var b strings.Builder
	b.WriteString("live: STARFACE ")
	b.WriteString(e.Host)
	b.WriteString(": ")
	b.WriteString(e.Endpoint)
	if e.User != "" {
		b.WriteString(" (user ")
		b.WriteString(e.User)
		b.WriteString(")")
	}
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	if h := e.Hint(); h != "" {
		b.WriteString(": ")
		b.WriteString(h)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *StarfaceError) Unwrap() error { return e.Err }

// Hint says in a sentence what to check.
func (e *StarfaceError) Hint() string {
	switch e.Kind {
	case StarfaceUnreachable:
		return "PBX not reachable (check the host name, port, firewall and TLS certificate)"
	case StarfaceAuth:
		return "login refused (check the login ID and password; only internal STARFACE users, not Active Directory logins, are supported)"
	case StarfaceForbidden:
		return "permission denied (the user needs the right for the REST API / UCI, and administrator rights to read other users' redirects)"
	case StarfaceAPIDisabled:
		return "API not found (check the URL; STARFACE 6.7 or later is needed, with the REST interface and UCI enabled)"
	case StarfaceServer:
		return "PBX error (it may be busy or restarting; try again later)"
	case StarfaceRequest:
		return "request refused"
	case StarfaceProtocol:
		return "unreadable answer"
	case StarfaceFault:
		return "UCI fault"
	}
	return ""
}

// RPCFault is an XML-RPC fault answered by the UCI.
type RPCFault struct {
	Code    int
	Message string
}

// Error returns the fault's code and string.
func (f *RPCFault) Error() string {
	return "XML-RPC fault " + strconv.Itoa(f.Code) + ": " + f.Message
}

// netError strips what could carry a secret from a transport error: a
// *url.Error's URL holds the UCI auth parameter, so only its cause is
// kept.
func netError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// statusKind classifies an HTTP status. login says the request was the
// REST or UCI login, where 400 means an invalid login and 404 an API
// that is not there.
func statusKind(status int, login bool) StarfaceErrorKind {
	switch {
	case status == http.StatusUnauthorized, login && status == http.StatusBadRequest:
		return StarfaceAuth
	case status == http.StatusForbidden:
		return StarfaceForbidden
	case login && status == http.StatusNotFound:
		return StarfaceAPIDisabled
	case status >= 500:
		return StarfaceServer
	}
	return StarfaceRequest
}
