package starfacetest

import (
	"bytes"
	"crypto/subtle"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The fake's own small XML-RPC codec, independent of package live's, so
// that a test of the client against the fake checks one implementation
// against another.

// The UCI's fault codes are not documented; the fake's are these.
const (
	faultParse        = -32700 // the XML-RPC convention
	faultNoMethod     = -32601 // the XML-RPC convention
	faultNotLoggedIn  = 1
	faultUnknownCall  = 2
	faultBadArguments = 3
)

const uciPrefix = "ucp.v30.requests."

type methodCall struct {
	name   string
	params []string // string parameters only: all the fake's methods take
}

// parseMethodCall reads a methodCall whose parameters are strings
// (<string> or untyped).
func parseMethodCall(body []byte) (methodCall, error) {
	var c struct {
		XMLName xml.Name `xml:"methodCall"`
		Name    string   `xml:"methodName"`
		Params  []struct {
			String *string `xml:"string"`
			Text   string  `xml:",chardata"`
		} `xml:"params>param>value"`
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	if err := d.Decode(&c); err != nil {
		return methodCall{}, err
	}
	if c.Name == "" {
		return methodCall{}, errors.New("no methodName")
	}
	out := methodCall{name: strings.TrimSpace(c.Name)}
	for _, p := range c.Params {
		if p.String != nil {
			out.params = append(out.params, *p.String)
		} else {
			out.params = append(out.params, p.Text)
		}
	}
	return out, nil
}

// writeValue writes one <value>.
func writeValue(b *bytes.Buffer, v any, loc *time.Location) {
	b.WriteString("<value>")
	switch v := v.(type) {
	case nil:
		b.WriteString("<nil/>")
	case string:
		b.WriteString("<string>")
		_ = xml.EscapeText(b, []byte(v))
		b.WriteString("</string>")
	case bool:
		b.WriteString("<boolean>")
		if v {
			b.WriteString("1")
		} else {
			b.WriteString("0")
		}
		b.WriteString("</boolean>")
	case int64:
		b.WriteString("<i4>" + strconv.FormatInt(v, 10) + "</i4>")
	case time.Time:
		b.WriteString("<dateTime.iso8601>" + v.In(loc).Format("20060102T15:04:05") + "</dateTime.iso8601>")
	case []any:
		b.WriteString("<array><data>")
		for _, e := range v {
			writeValue(b, e, loc)
		}
		b.WriteString("</data></array>")
	case map[string]any:
		b.WriteString("<struct>")
		for _, k := range slices.Sorted(maps.Keys(v)) {
			b.WriteString("<member><name>")
			_ = xml.EscapeText(b, []byte(k))
			b.WriteString("</name>")
			writeValue(b, v[k], loc)
			b.WriteString("</member>")
		}
		b.WriteString("</struct>")
	default: // not reached: the fake encodes only the types above
		b.WriteString("<string>")
		_ = xml.EscapeText(b, []byte(fmt.Sprint(v)))
		b.WriteString("</string>")
	}
	b.WriteString("</value>")
}

func writeRPCResult(w http.ResponseWriter, v any, loc *time.Location) {
	var b bytes.Buffer
	b.WriteString(xml.Header + "<methodResponse><params><param>")
	writeValue(&b, v, loc)
	b.WriteString("</param></params></methodResponse>")
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	_, _ = w.Write(b.Bytes())
}

func writeRPCFault(w http.ResponseWriter, code int, msg string) {
	var b bytes.Buffer
	b.WriteString(xml.Header + "<methodResponse><fault>")
	writeValue(&b, map[string]any{"faultCode": int64(code), "faultString": msg}, time.UTC)
	b.WriteString("</fault></methodResponse>")
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	_, _ = w.Write(b.Bytes())
}

// uciUser checks the auth parameter and returns its user.
func (p *PBX) uciUser(r *http.Request) (User, bool) {
	login, hash, _ := strings.Cut(r.URL.Query().Get("de.vertico.starface.auth"), ":")
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, u := range p.users {
		if u.Login == login && u.Password != "" {
			want := sha512Hex(login + "*" + sha512Hex(u.Password))
			return u, subtle.ConstantTimeCompare([]byte(hash), []byte(want)) == 1
		}
	}
	return User{}, false
}

func (p *PBX) serveXMLRPC(w http.ResponseWriter, r *http.Request) {
	var body bytes.Buffer
	_, _ = body.ReadFrom(r.Body) // already read and capped by serveHTTP
	call, err := parseMethodCall(body.Bytes())
	if err != nil {
		writeRPCFault(w, faultParse, "parse error: "+err.Error())
		return
	}
	user, authOK := p.uciUser(r)
	method, ok := strings.CutPrefix(call.name, uciPrefix)
	if !ok {
		writeRPCFault(w, faultNoMethod, "no such method: "+call.name)
		return
	}
	if method == "connection.login" {
		if !authOK {
			writeRPCResult(w, false, p.loc)
			return
		}
		p.mu.Lock()
		p.sessions[user.Login] = true
		p.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: randomHex(16), Path: "/", HttpOnly: true})
		writeRPCResult(w, true, p.loc)
		return
	}
	p.mu.Lock()
	open := authOK && p.sessions[user.Login]
	p.mu.Unlock()
	if !open {
		writeRPCFault(w, faultNotLoggedIn, "not logged in")
		return
	}
	switch method {
	case "connection.logout":
		p.mu.Lock()
		delete(p.sessions, user.Login)
		p.mu.Unlock()
		writeRPCResult(w, true, p.loc)
	case "connection.keepAlive":
		writeRPCResult(w, true, p.loc)
	case "userState.getUserState":
		writeRPCResult(w, p.userState(user.ID), p.loc)
	case "call.getCallIds":
		p.mu.Lock()
		ids := []any{}
		for _, c := range sortedValues(p.calls) {
			if c.sees(user.ID) {
				ids = append(ids, c.ID)
			}
		}
		p.mu.Unlock()
		writeRPCResult(w, ids, p.loc)
	case "call.getCallState":
		if len(call.params) != 1 {
			writeRPCFault(w, faultBadArguments, "getCallState takes one call id")
			return
		}
		p.mu.Lock()
		c, ok := p.calls[call.params[0]]
		p.mu.Unlock()
		if !ok || !c.sees(user.ID) {
			writeRPCFault(w, faultUnknownCall, "no such call")
			return
		}
		writeRPCResult(w, map[string]any{
			"id": c.ID, "state": c.State, "timestamp": c.Timestamp,
			"callerName": c.CallerName, "callerNumber": c.CallerNumber,
			"calledName": c.CalledName, "calledNumber": c.CalledNumber,
			"groupID": c.GroupID,
		}, p.loc)
	case "group.getGroupSettings":
		p.mu.Lock()
		out := []any{}
		for _, g := range sortedValues(p.groups) {
			if p.members[[2]int64{g.ID, user.ID}] {
				out = append(out, map[string]any{
					"groupId":   strconv.FormatInt(g.ID, 10),
					"groupName": g.Name,
					"loggedIn":  p.logins[[2]int64{g.ID, user.ID}],
				})
			}
		}
		p.mu.Unlock()
		writeRPCResult(w, out, p.loc)
	default:
		writeRPCFault(w, faultNoMethod, "no such method: "+call.name)
	}
}

// userState is getUserState's struct; redirectAlwaysActive comes from
// the user's redirects.
func (p *PBX) userState(userID int64) map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.states[userID]
	always := false
	for _, r := range p.redirects {
		if r.UserID == userID && r.Enabled && !r.GroupNumber && r.Trigger == "ALWAYS" {
			always = true
		}
	}
	tel := st.TelephonyState
	if tel == "" {
		tel = "AVAILABLE"
	}
	return map[string]any{
		"telephonyState":       tel,
		"chatPresence":         st.ChatPresence,
		"chatPresenceMessage":  st.ChatPresenceMessage,
		"redirectAlwaysActive": always,
		"doNotDisturb":         st.DoNotDisturb,
		"avatarHash":           "",
	}
}

// sees reports whether the user's UCI session lists the call.
func (c Call) sees(userID int64) bool {
	return c.UserID == userID || slices.Contains(c.SeenBy, userID)
}
