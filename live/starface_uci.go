package live

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

const (
	pathXMLRPC   = "/xml-rpc"
	uciAuthParam = "de.vertico.starface.auth"
	// maxXMLRPCBody bounds an XML-RPC answer; a user's state and calls
	// take a few kilobytes.
	maxXMLRPCBody = 4 << 20
	// maxCallsPerUser bounds the getCallState requests per user and poll.
	maxCallsPerUser = 64
	// callTrackTTL is how long a call no poll has seen is remembered.
	callTrackTTL = 15 * time.Minute
)

// The UCI methods used (UCI 3.0, "ucp.v30").
const (
	uciLogin            = "ucp.v30.requests.connection.login"
	uciLogout           = "ucp.v30.requests.connection.logout"
	uciGetUserState     = "ucp.v30.requests.userState.getUserState"
	uciGetCallIDs       = "ucp.v30.requests.call.getCallIds"
	uciGetCallState     = "ucp.v30.requests.call.getCallState"
	uciGetGroupSettings = "ucp.v30.requests.group.getGroupSettings"
)

// uciAuth is the value of the UCI auth parameter:
// login + ":" + hex(SHA-512(login + "*" + hex(SHA-512(password)))).
// It is a password equivalent: it never goes into a log or an error.
func uciAuth(login, pwHash string) string {
	return login + ":" + sha512Hex(login+"*"+pwHash)
}

// uciSession is one user's UCI session.
type uciSession struct {
	login string
	auth  string

	mu       sync.Mutex // held for a whole poll: one exchange at a time
	loggedIn bool
	cookies  map[string]*http.Cookie
}

// uciSnapshot is what one poll of a session read.
type uciSnapshot struct {
	state  uciUserState
	calls  []uciCall
	groups []uciGroupLogin // by group id
}

type uciUserState struct {
	telephony      TelephonyState
	chat, chatMsg  string
	redirectAlways bool
	dnd            bool
}

type uciCall struct {
	id                       string
	state                    CallState
	callerName, callerNumber string
	groupRef                 string
	at                       time.Time // the state's timestamp; zero if none
	start, connected         time.Time // filled by trackCalls
}

type uciGroupLogin struct {
	group    cdr.AccountID
	loggedIn bool
}

// callTrack remembers when a call was first seen and first connected.
type callTrack struct {
	start, connected, seen time.Time
}

// rpc makes one XML-RPC request on the session; sess.mu is held.
func (s *Starface) rpc(ctx context.Context, sess *uciSession, method string, params ...any) (any, error) {
	ep := "XML-RPC " + method
	fail := func(kind StarfaceErrorKind, status int, err error) error {
		se := &StarfaceError{Kind: kind, Host: s.base.Host, Endpoint: ep, StatusCode: status, Err: err}
		if sess.login != s.login {
			se.User = sess.login
		}
		return se
	}
	body, err := encodeXMLRPCCall(method, params...)
	if err != nil {
		return nil, fail(StarfaceRequest, 0, err)
	}
	u := *s.base
	u.Path += pathXMLRPC
	login, hash, _ := strings.Cut(sess.auth, ":")
	u.RawQuery = uciAuthParam + "=" + url.QueryEscape(login) + ":" + hash
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fail(StarfaceRequest, 0, netError(err))
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("Accept", "text/xml")
	for _, c := range sess.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := s.do(req, ep, maxXMLRPCBody)
	if err != nil {
		var se *StarfaceError
		if errors.As(err, &se) && sess.login != s.login {
			se.User = sess.login
		}
		return nil, err
	}
	for _, c := range (&http.Response{Header: resp.header}).Cookies() {
		if sess.cookies == nil {
			sess.cookies = map[string]*http.Cookie{}
		}
		sess.cookies[c.Name] = c
	}
	if resp.status == http.StatusNotFound {
		return nil, fail(StarfaceAPIDisabled, resp.status, nil)
	}
	if resp.status != http.StatusOK {
		return nil, fail(statusKind(resp.status, method == uciLogin), resp.status, nil)
	}
	if mt, _, _ := mime.ParseMediaType(resp.contentType); mt == "text/html" {
		return nil, fail(StarfaceAPIDisabled, resp.status, errors.New("answer is a web page, not XML-RPC"))
	}
	v, err := decodeXMLRPCResponse(resp.body, s.loc)
	if err != nil {
		var f *RPCFault
		if errors.As(err, &f) {
			return nil, fail(StarfaceFault, 0, f)
		}
		return nil, fail(StarfaceProtocol, 0, err)
	}
	return v, nil
}

// uciLoginLocked opens the session; sess.mu is held.
func (s *Starface) uciLoginLocked(ctx context.Context, sess *uciSession) error {
	sess.loggedIn = false
	sess.cookies = nil
	v, err := s.rpc(ctx, sess, uciLogin)
	if err != nil {
		var se *StarfaceError
		if errors.As(err, &se) && se.Kind == StarfaceFault {
			se.Kind = StarfaceAuth // a fault on login is a refused login
		}
		return err
	}
	if ok, _ := v.(bool); !ok {
		se := &StarfaceError{Kind: StarfaceAuth, Host: s.base.Host, Endpoint: "XML-RPC " + uciLogin, Err: errors.New("login answered false")}
		if sess.login != s.login {
			se.User = sess.login
		}
		return se
	}
	sess.loggedIn = true
	s.log.Debug("starface: UCI login", "host", s.base.Host, "login", sess.login)
	return nil
}

// uciCall calls method on the session, logging in first if needed, and
// once more if a session that was open is refused (the PBX forgets
// sessions on restart or after inactivity). sess.mu is held.
func (s *Starface) uciCall(ctx context.Context, sess *uciSession, method string, params ...any) (any, error) {
	fresh := false
	if !sess.loggedIn {
		if err := s.uciLoginLocked(ctx, sess); err != nil {
			return nil, err
		}
		fresh = true
	}
	v, err := s.rpc(ctx, sess, method, params...)
	var se *StarfaceError
	if err == nil || fresh || !errors.As(err, &se) ||
		(se.Kind != StarfaceFault && se.Kind != StarfaceAuth && se.Kind != StarfaceForbidden) {
		return v, err
	}
	s.log.Debug("starface: UCI call refused, logging in again", "host", s.base.Host, "login", sess.login, "method", method, "kind", se.Kind)
	if err := s.uciLoginLocked(ctx, sess); err != nil {
		return nil, err
	}
	return s.rpc(ctx, sess, method, params...)
}

// uciLogout closes the session if it is open.
func (s *Starface) uciLogout(ctx context.Context, sess *uciSession) error {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if !sess.loggedIn {
		return nil
	}
	sess.loggedIn = false
	_, err := s.rpc(ctx, sess, uciLogout)
	sess.cookies = nil
	return err
}

// pollUCI reads the wanted parts of one session.
func (s *Starface) pollUCI(ctx context.Context, sess *uciSession, want parts, dir *directory) (*uciSnapshot, error) {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	snap := &uciSnapshot{}
	protocol := func(method string, err error) error {
		se := &StarfaceError{Kind: StarfaceProtocol, Host: s.base.Host, Endpoint: "XML-RPC " + method, Err: err}
		if sess.login != s.login {
			se.User = sess.login
		}
		return se
	}
	if want&partUserState != 0 {
		v, err := s.uciCall(ctx, sess, uciGetUserState)
		if err != nil {
			return nil, err
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, protocol(uciGetUserState, fmt.Errorf("result is %T, want a struct", v))
		}
		snap.state = uciUserState{
			telephony:      TelephonyState(rpcString(m["telephonyState"])),
			chat:           rpcString(m["chatPresence"]),
			chatMsg:        rpcString(m["chatPresenceMessage"]),
			redirectAlways: rpcBool(m["redirectAlwaysActive"]),
			dnd:            rpcBool(m["doNotDisturb"]),
		}
	}
	if want&partCalls != 0 {
		v, err := s.uciCall(ctx, sess, uciGetCallIDs)
		if err != nil {
			return nil, err
		}
		ids, ok := v.([]any)
		if !ok {
			return nil, protocol(uciGetCallIDs, fmt.Errorf("result is %T, want an array", v))
		}
		if len(ids) > maxCallsPerUser {
			s.log.Warn("starface: too many calls for one user; reading the first", "host", s.base.Host, "login", sess.login, "calls", len(ids), "read", maxCallsPerUser)
			ids = ids[:maxCallsPerUser]
		}
		for _, idv := range ids {
			id := rpcString(idv)
			if id == "" {
				continue
			}
			v, err := s.rpc(ctx, sess, uciGetCallState, id)
			if err != nil {
				var se *StarfaceError
				if errors.As(err, &se) && se.Kind == StarfaceFault {
					// The call ended between the two requests.
					s.log.Debug("starface: call state not available", "host", s.base.Host, "login", sess.login, "err", err)
					continue
				}
				return nil, err
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, protocol(uciGetCallState, fmt.Errorf("result is %T, want a struct", v))
			}
			snap.calls = append(snap.calls, s.parseCall(m, id))
		}
	}
	if want&partGroupLogin != 0 {
		v, err := s.uciCall(ctx, sess, uciGetGroupSettings)
		if err != nil {
			return nil, err
		}
		list, ok := v.([]any)
		if !ok {
			return nil, protocol(uciGetGroupSettings, fmt.Errorf("result is %T, want an array", v))
		}
		for _, e := range list {
			m, _ := e.(map[string]any)
			ref := rpcString(cmp.Or(m["groupId"], m["groupID"], m["id"]))
			gid, ok := dir.groupRef[ref]
			if !ok {
				s.log.Debug("starface: group setting for a group not among the REST groups", "host", s.base.Host, "login", sess.login, "group", ref)
				continue
			}
			snap.groups = append(snap.groups, uciGroupLogin{group: gid, loggedIn: rpcBool(m["loggedIn"])})
		}
		slices.SortFunc(snap.groups, func(a, b uciGroupLogin) int { return cmp.Compare(a.group, b.group) })
		snap.groups = slices.CompactFunc(snap.groups, func(a, b uciGroupLogin) bool { return a.group == b.group })
	}
	return snap, nil
}

// parseCall reads a getCallState struct. The state is kept as written.
func (s *Starface) parseCall(m map[string]any, id string) uciCall {
	c := uciCall{
		id:           cmp.Or(rpcString(m["id"]), id),
		state:        CallState(rpcString(m["state"])),
		callerName:   rpcString(m["callerName"]),
		callerNumber: rpcString(m["callerNumber"]),
		groupRef:     rpcString(cmp.Or(m["groupID"], m["groupId"])),
	}
	switch t := m["timestamp"].(type) {
	case time.Time:
		c.at = t
	case int64: // epoch milliseconds (Java) or seconds
		if t > 1e11 {
			c.at = time.UnixMilli(t)
		} else if t > 0 {
			c.at = time.Unix(t, 0)
		}
	case string:
		if ts, err := time.Parse(time.RFC3339Nano, t); err == nil {
			c.at = ts
		} else if ts, err := parseXMLRPCTime(t, s.loc); err == nil {
			c.at = ts
		}
	}
	return c
}

// trackCalls fills every call's start and connection time from what
// earlier polls saw, and forgets calls no poll saw for callTrackTTL.
func (s *Starface) trackCalls(c *collected) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, snap := range c.uci {
		for i := range snap.calls {
			call := &snap.calls[i]
			at := call.at
			if at.IsZero() || at.After(c.at) {
				at = c.at
			}
			t := s.calls[call.id]
			if t == nil {
				t = &callTrack{start: at}
				s.calls[call.id] = t
			}
			if at.Before(t.start) {
				t.start = at
			}
			if call.state == CallConnected && t.connected.IsZero() {
				t.connected = at
			}
			t.seen = c.at
			call.start, call.connected = t.start, t.connected
		}
	}
	for id, t := range s.calls {
		if c.at.Sub(t.seen) > callTrackTTL {
			delete(s.calls, id)
		}
	}
}

// callRank orders a user's calls for the one UserState shows: the
// connected one first, then ringing, parked, unknown states, and hung-up.
func callRank(st CallState) int {
	switch st {
	case CallConnected:
		return 0
	case CallIncoming, CallRinging:
		return 1
	case CallParked:
		return 2
	case CallHangup:
		return 4
	}
	return 3
}

// applyUCI copies a session's state into st.
func (s *Starface) applyUCI(st *UserState, snap *uciSnapshot, at time.Time) {
	st.Telephony = snap.state.telephony
	st.ChatPresence = snap.state.chat
	st.ChatPresenceMessage = snap.state.chatMsg
	st.DND = snap.state.dnd
	st.AlwaysForward = st.AlwaysForward || snap.state.redirectAlways
	for _, g := range snap.groups {
		st.LoggedIn = st.LoggedIn || g.loggedIn
	}
	if len(snap.calls) == 0 {
		return
	}
	call := slices.MinFunc(snap.calls, func(a, b uciCall) int {
		return cmp.Or(cmp.Compare(callRank(a.state), callRank(b.state)), a.start.Compare(b.start), cmp.Compare(a.id, b.id))
	})
	st.CallID = call.id
	st.CallState = call.state
	st.CallerName = call.callerName
	st.CallerNumber = s.plan.Normalize(call.callerNumber)
	st.CallStart = call.start
	if call.state == CallConnected && !call.connected.IsZero() {
		st.Talk = max(0, at.Sub(call.connected))
	}
}

// rpcString reads an XML-RPC scalar as text: a string as is, an integer
// in decimal, anything else as "".
func rpcString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

// rpcBool reads an XML-RPC scalar as a flag: a boolean, 1, or "true".
func rpcBool(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case int64:
		return v == 1
	case string:
		return strings.EqualFold(v, "true") || v == "1"
	}
	return false
}
