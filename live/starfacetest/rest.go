package starfacetest

import (
	"crypto/subtle"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers an error body. STARFACE's is not in the swagger;
// the fake's is {"code", "message"}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"code": status, "message": msg})
}

// checkHeaders requires X-Version: 2 and, on a body, a JSON content type.
func checkHeaders(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("X-Version") != "2" {
		writeError(w, http.StatusBadRequest, "header X-Version: 2 is required")
		return false
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			writeError(w, http.StatusBadRequest, "Content-Type application/json is required")
			return false
		}
	}
	return true
}

// authUser checks the headers and the authToken and returns the token's
// user; otherwise it has answered.
func (p *PBX) authUser(w http.ResponseWriter, r *http.Request) (User, bool) {
	if !checkHeaders(w, r) {
		return User{}, false
	}
	tok := r.Header.Get("authToken")
	p.mu.Lock()
	t, ok := p.tokens[tok]
	if ok && !time.Now().Before(t.expires) {
		delete(p.tokens, tok)
		ok = false
	}
	u, known := p.users[t.user]
	p.mu.Unlock()
	if !ok || tok == "" || !known {
		writeError(w, http.StatusUnauthorized, "authToken missing, unknown or expired")
		return User{}, false
	}
	return u, true
}

func (p *PBX) getLogin(w http.ResponseWriter, r *http.Request) {
	if !checkHeaders(w, r) {
		return
	}
	nonce := randomHex(16)
	now := time.Now()
	p.mu.Lock()
	for n, at := range p.nonces {
		if now.Sub(at) > nonceLifetime {
			delete(p.nonces, n)
		}
	}
	p.nonces[nonce] = now
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"loginType": p.loginType, "nonce": nonce, "secret": nil})
}

func (p *PBX) postLogin(w http.ResponseWriter, r *http.Request) {
	if !checkHeaders(w, r) {
		return
	}
	var l struct {
		LoginType string `json:"loginType"`
		Nonce     string `json:"nonce"`
		Secret    string `json:"secret"`
	}
	if err := json.NewDecoder(r.Body).Decode(&l); err != nil {
		writeError(w, http.StatusBadRequest, "body is not a Login object")
		return
	}
	login, _, _ := strings.Cut(l.Secret, ":")
	now := time.Now()
	p.mu.Lock()
	issued, nonceOK := p.nonces[l.Nonce]
	delete(p.nonces, l.Nonce) // good for one try, right or wrong
	nonceOK = nonceOK && now.Sub(issued) <= nonceLifetime
	var user User
	found := false
	for _, u := range p.users {
		if u.Login == login && u.Password != "" {
			user, found = u, true
			break
		}
	}
	p.mu.Unlock()
	want := login + ":" + sha512Hex(login+l.Nonce+sha512Hex(user.Password))
	if !nonceOK || !found || subtle.ConstantTimeCompare([]byte(l.Secret), []byte(want)) != 1 {
		writeError(w, http.StatusUnauthorized, "invalid login")
		return
	}
	tok := randomHex(32)
	p.mu.Lock()
	p.tokens[tok] = token{user: user.ID, expires: now.Add(TokenLifetime)}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"token": tok})
}

func (p *PBX) deleteLogin(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.authUser(w, r); !ok {
		return
	}
	p.mu.Lock()
	delete(p.tokens, r.Header.Get("authToken"))
	p.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (p *PBX) getUsers(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.authUser(w, r); !ok {
		return
	}
	p.mu.Lock()
	users := sortedValues(p.users)
	p.mu.Unlock()
	out := make([]map[string]any, 0, len(users))
	for _, u := range users {
		lang := u.Language
		if lang == "" {
			lang = "default"
		}
		out = append(out, map[string]any{
			"id": u.ID, "login": u.Login, "firstName": u.FirstName, "familyName": u.FamilyName,
			"email": u.Email, "language": lang,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func (p *PBX) getAccounts(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.authUser(w, r); !ok {
		return
	}
	p.mu.Lock()
	users, groups := sortedValues(p.users), sortedValues(p.groups)
	p.mu.Unlock()
	out := make([]map[string]any, 0, len(users)+len(groups))
	for _, u := range users {
		display := strings.TrimSpace(u.FirstName + " " + u.FamilyName)
		if u.Extension != "" {
			display += " (" + u.Extension + ")"
		}
		out = append(out, map[string]any{
			"accountId": u.ID, "displayInformation": display, "federationname": "",
			"firstname": u.FirstName, "lastname": u.FamilyName, "local": true,
			"primaryInternalPhoneNumber": u.Extension, "type": "USER",
		})
	}
	for _, g := range groups {
		out = append(out, map[string]any{
			"accountId": g.ID, "displayInformation": g.Name, "federationname": "",
			"firstname": "", "lastname": g.Name, "local": true,
			"primaryInternalPhoneNumber": g.InternalNumber, "type": "GROUP",
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func (p *PBX) getGroups(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.authUser(w, r); !ok {
		return
	}
	p.mu.Lock()
	groups := sortedValues(p.groups)
	p.mu.Unlock()
	out := make([]map[string]any, 0, len(groups))
	for _, g := range groups {
		out = append(out, map[string]any{
			"id": g.ID, "groupname": g.Name,
			"groupinternalnumber": g.InternalNumber, "groupexternalnumber": g.ExternalNumber,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func (p *PBX) getGroup(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.authUser(w, r); !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("groupid"), 10, 64)
	p.mu.Lock()
	g, found := p.groups[id]
	users := sortedValues(p.users)
	assigned := map[int64]bool{}
	for _, u := range users {
		assigned[u.ID] = p.members[[2]int64{id, u.ID}]
	}
	p.mu.Unlock()
	if err != nil || !found {
		writeError(w, http.StatusNotFound, "no group with id "+r.PathValue("groupid"))
		return
	}
	au := make([]map[string]any, 0, len(users))
	for _, u := range users {
		au = append(au, map[string]any{"id": u.ID, "firstname": u.FirstName, "lastname": u.FamilyName, "assigned": assigned[u.ID]})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": g.ID, "groupId": g.GroupID, "name": g.Name, "chatGroup": false, "voicemail": false,
		"assignableUsers": au, "assignableNumbers": []any{},
	})
}

func (p *PBX) getRedirects(w http.ResponseWriter, r *http.Request) {
	caller, ok := p.authUser(w, r)
	if !ok {
		return
	}
	target := caller
	if login := r.URL.Query().Get("actOnBehalfOf"); login != "" && login != caller.Login {
		if !caller.Admin {
			writeError(w, http.StatusForbidden, "acting on behalf of another user needs administrator rights")
			return
		}
		found := false
		p.mu.Lock()
		for _, u := range p.users {
			if u.Login == login {
				target, found = u, true
				break
			}
		}
		p.mu.Unlock()
		if !found {
			writeError(w, http.StatusNotFound, "no user with login "+login)
			return
		}
	}
	p.mu.Lock()
	all := sortedValues(p.redirects)
	p.mu.Unlock()
	out := []map[string]any{}
	for _, rd := range all {
		if rd.UserID != target.ID {
			continue
		}
		dest := map[string]any{"redirectDestinationType": "PHONENUMBER", "phoneNumber": rd.Destination}
		if rd.Mailbox != "" {
			dest = map[string]any{"redirectDestinationType": "MAILBOX", "mailboxId": rd.Mailbox}
		}
		out = append(out, map[string]any{
			"id": rd.ID, "enabled": rd.Enabled, "groupNumber": rd.GroupNumber, "phoneNumber": rd.PhoneNumber,
			"redirectDestination": dest,
			"redirectTrigger":     map[string]any{"redirectTriggerType": rd.Trigger},
		})
	}
	writeJSON(w, http.StatusOK, out)
}
