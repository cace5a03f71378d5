package live

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// Starface is a [Source] that reads a STARFACE PBX (6.7 or later) through
// its REST API and its UCI XML-RPC interface. It is safe for concurrent
// use.
//
// # REST
//
// Every REST request goes to baseURL + "/rest" with the headers
// Content-Type: application/json and X-Version: 2. The client logs in
// with the handshake of DOMAIN.md §7: GET /rest/login gives a nonce;
// POST /rest/login sends
//
//	secret = login + ":" + hex(SHA-512(login + nonce + hex(SHA-512(password))))
//
// and gets a token, sent from then on in the header authToken. A token
// lives 4 hours: the client logs in again 5 minutes before that, and
// once more when a request is answered 401 (a PBX restart forgets
// tokens). The client keeps hex(SHA-512(password)), never the password.
// Only the login type Internal is supported; an Active Directory login
// needs the plain password in its secret and is refused.
//
// Users and group memberships (/users, /groups, /groups/{id}) are cached
// for [WithDirectoryRefresh] (5 minutes by default); redirects, which are
// live state, are read on every call: /redirects for the client's own
// user and /redirects?actOnBehalfOf=<login> for the others, which needs
// an administrator. Without that right the others' always-forward comes
// only from their UCI sessions, and the 403 is returned as an error next
// to the states. So a Users or LoginStates call costs one redirect
// request per user, plus per UCI session three XML-RPC requests and one
// per current call; Queues needs only the call requests.
//
// The REST user id and group id are taken to be the account ids of the
// call list, and actOnBehalfOf to take the user's login ID: the swagger
// does not say.
//
// # UCI
//
// Live state comes from UCI XML-RPC at baseURL + "/xml-rpc", each request
// authenticated with the query parameter
//
//	de.vertico.starface.auth = login + ":" + hex(SHA-512(login + "*" + hex(SHA-512(password))))
//
// A UCI session is a user's own: the client opens one for its login (see
// [WithoutUCI]) and one for each [WithUCIUser], calls
// ucp.v30.requests.connection.login once, then per poll
// userState.getUserState, call.getCallIds, call.getCallState for each
// call, and group.getGroupSettings. A fault or a 401/403 on a session
// that was logged in makes the client log in again once. The XML-RPC
// codec refuses documents over 4 MiB, DOCTYPEs and entities, nesting
// deeper than 64 and malformed values, with a [*StarfaceError] of kind
// [StarfaceProtocol].
//
// What the STARFACE documentation leaves open, and what the client does:
// the UCI user state's member names beyond telephonyState, chatPresence,
// chatPresenceMessage and redirectAlwaysActive are not documented, so DND
// is read from a boolean doNotDisturb member when there is one; the group
// settings are read as structs with a group reference (groupId, groupID or
// id) and a boolean loggedIn; a call's groupID is matched to a group by
// its account id or its REST groupId. Times without a zone are read in
// the PBX's zone ([WithStarfaceLocation]).
//
// # Errors
//
// Every failure is a [*StarfaceError] (errors.As) naming the host and the
// endpoint, with a [StarfaceErrorKind] telling a wrong password
// ([StarfaceAuth]) from an unreachable PBX ([StarfaceUnreachable]) and a
// missing API ([StarfaceAPIDisabled]). Errors never contain the password,
// its hash, the UCI auth parameter or a token. A cancelled context's error
// is wrapped, so errors.Is(err, context.Canceled) holds.
type Starface struct {
	base     *url.URL // scheme://host[:port][/prefix], no trailing slash
	login    string
	pwHash   string // hex(SHA-512(password)): all either login needs
	http     *http.Client
	log      *slog.Logger
	now      func() time.Time
	site     string
	plan     cdr.NumberPlan
	loc      *time.Location
	dirTTL   time.Duration
	noUCI    bool
	uciUsers []uciCredential
	sessions []*uciSession

	authMu  sync.Mutex // guards token and expires; held during a REST login
	token   string
	expires time.Time

	mu    sync.Mutex // guards dir and calls
	dir   *directory
	calls map[string]*callTrack
}

type uciCredential struct{ login, pwHash string }

// StarfaceOption configures a [Starface].
type StarfaceOption func(*Starface) error

// WithStarfaceHTTPClient sets the HTTP client. The default has a
// 30-second timeout. A PBX with a self-signed certificate needs a client
// whose transport trusts it.
func WithStarfaceHTTPClient(c *http.Client) StarfaceOption {
	return func(s *Starface) error {
		if c == nil {
			return errors.New("live: WithStarfaceHTTPClient: nil client")
		}
		s.http = c
		return nil
	}
}

// WithStarfaceLogger sets a logger for logins, re-logins and skipped
// data (debug and warn records; never a password, hash or token). The
// default discards.
func WithStarfaceLogger(l *slog.Logger) StarfaceOption {
	return func(s *Starface) error {
		if l != nil {
			s.log = l
		}
		return nil
	}
}

// WithStarfaceClock sets the clock for the records' At and the token's
// lifetime. The default, time.Now, is the fake clock inside a
// testing/synctest bubble.
func WithStarfaceClock(now func() time.Time) StarfaceOption {
	return func(s *Starface) error {
		if now == nil {
			return errors.New("live: WithStarfaceClock: nil clock")
		}
		s.now = now
		return nil
	}
}

// WithStarfaceSite sets the site name written into every record.
func WithStarfaceSite(site string) StarfaceOption {
	return func(s *Starface) error { s.site = site; return nil }
}

// WithStarfaceNumberPlan sets the plan that normalises the caller
// numbers of live calls. The default is cdr.GermanPlan("").
func WithStarfaceNumberPlan(p cdr.NumberPlan) StarfaceOption {
	return func(s *Starface) error {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("live: WithStarfaceNumberPlan: %w", err)
		}
		s.plan = p
		return nil
	}
}

// WithStarfaceLocation sets the PBX's time zone, in which UCI times
// without a zone are read. The default is time.Local.
func WithStarfaceLocation(loc *time.Location) StarfaceOption {
	return func(s *Starface) error {
		if loc == nil {
			return errors.New("live: WithStarfaceLocation: nil location")
		}
		s.loc = loc
		return nil
	}
}

// WithUCIUser adds a user whose live state the client reads through a
// UCI session of its own: the UCI shows a user's telephony state, calls
// and group logins only to that user. Only the hash of the password is
// kept.
func WithUCIUser(login, password string) StarfaceOption {
	return func(s *Starface) error {
		if login == "" || password == "" {
			return errors.New("live: WithUCIUser: empty login or password")
		}
		s.uciUsers = append(s.uciUsers, uciCredential{login: login, pwHash: sha512Hex(password)})
		return nil
	}
}

// WithoutUCI reads REST only: no telephony state, calls, chat presence,
// DND or group logins, and no queue load.
func WithoutUCI() StarfaceOption {
	return func(s *Starface) error { s.noUCI = true; return nil }
}

// WithDirectoryRefresh sets how long users, groups and memberships read
// over REST are reused before they are read again. Zero or less reads
// them on every call. The default is 5 minutes.
func WithDirectoryRefresh(d time.Duration) StarfaceOption {
	return func(s *Starface) error { s.dirTTL = d; return nil }
}

// NewStarface returns a client for the PBX at baseURL ("https://pbx.example.com";
// a trailing "/rest" is dropped) that logs in as login with password. It
// does not contact the PBX: the first call logs in.
func NewStarface(baseURL, login, password string, opts ...StarfaceOption) (*Starface, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("live: STARFACE base URL: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("live: STARFACE base URL %q: want http(s)://host[:port]", baseURL)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("live: STARFACE base URL %s://%s: must not carry user info, a query or a fragment", u.Scheme, u.Host)
	}
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/rest")
	u.RawPath = ""
	if login == "" || password == "" {
		return nil, errors.New("live: STARFACE login and password must not be empty")
	}
	s := &Starface{
		base:   u,
		login:  login,
		pwHash: sha512Hex(password),
		http:   &http.Client{Timeout: 30 * time.Second},
		log:    slog.New(slog.DiscardHandler),
		now:    time.Now,
		plan:   cdr.GermanPlan(""),
		loc:    time.Local,
		dirTTL: 5 * time.Minute,
		calls:  map[string]*callTrack{},
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if !s.noUCI {
		seen := map[string]bool{}
		for _, c := range append([]uciCredential{{login, s.pwHash}}, s.uciUsers...) {
			if seen[c.login] {
				continue
			}
			seen[c.login] = true
			s.sessions = append(s.sessions, &uciSession{login: c.login, auth: uciAuth(c.login, c.pwHash)})
		}
	}
	return s, nil
}

// Host returns the PBX's host (and port) as configured.
func (s *Starface) Host() string { return s.base.Host }

// Close logs the REST token and the UCI sessions out. The client can be
// used again afterwards: the next call logs in anew.
func (s *Starface) Close(ctx context.Context) error {
	var errs []error
	s.authMu.Lock()
	tok := s.token
	s.token = ""
	s.authMu.Unlock()
	if tok != "" {
		if _, err := s.send(ctx, http.MethodDelete, pathLogin, nil, nil, tok); err != nil {
			errs = append(errs, err)
		}
	}
	for _, sess := range s.sessions {
		if err := s.uciLogout(ctx, sess); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// directory is what the REST API tells about users and groups; it is
// immutable once built.
type directory struct {
	at       time.Time
	users    []restUser      // by id
	groups   []restGroupItem // by id
	members  map[int64][]cdr.AccountID
	groupRef map[string]cdr.AccountID // a UCI group reference (decimal id, REST groupId) → group id
	byLogin  map[string]int64
}

// directory returns the cached directory, or reads it when it is older
// than the refresh interval or fresh is set.
func (s *Starface) directory(ctx context.Context, fresh bool) (*directory, error) {
	now := s.now()
	s.mu.Lock()
	d := s.dir
	s.mu.Unlock()
	if d != nil && !fresh && s.dirTTL > 0 && now.Sub(d.at) < s.dirTTL {
		return d, nil
	}
	d = &directory{at: now, members: map[int64][]cdr.AccountID{}, groupRef: map[string]cdr.AccountID{}, byLogin: map[string]int64{}}
	if err := s.rest(ctx, http.MethodGet, pathUsers, nil, &d.users); err != nil {
		return nil, err
	}
	if err := s.rest(ctx, http.MethodGet, pathGroups, nil, &d.groups); err != nil {
		return nil, err
	}
	slices.SortFunc(d.users, func(a, b restUser) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(d.groups, func(a, b restGroupItem) int { return cmp.Compare(a.ID, b.ID) })
	for _, u := range d.users {
		d.byLogin[u.Login] = u.ID
	}
	for _, g := range d.groups {
		var grp restGroup
		if err := s.rest(ctx, http.MethodGet, pathGroups+"/"+fmt.Sprint(g.ID), nil, &grp); err != nil {
			return nil, err
		}
		gid := cdr.AccountID(g.ID)
		d.groupRef[fmt.Sprint(g.ID)] = gid
		if grp.GroupID != "" {
			d.groupRef[grp.GroupID] = gid
		}
		for _, au := range grp.AssignableUsers {
			if au.Assigned {
				d.members[au.ID] = append(d.members[au.ID], gid)
			}
		}
	}
	s.mu.Lock()
	s.dir = d
	s.mu.Unlock()
	return d, nil
}

// parts says what a collection reads besides the directory.
type parts uint8

const (
	partRedirects parts = 1 << iota
	partUserState
	partCalls
	partGroupLogin
)

// collected is one poll's data.
type collected struct {
	at      time.Time
	dir     *directory
	forward map[int64]bool         // REST always-forward by user id; missing: unknown
	uci     map[int64]*uciSnapshot // by user id
	errs    []error                // failures of enriching parts
}

// collect reads the directory and the wanted parts. A failure of the
// directory fails the call; a failure of a part that enriches it (one
// user's redirects, one UCI session) is kept in errs and the rest goes
// on, unless ctx is done.
func (s *Starface) collect(ctx context.Context, want parts) (*collected, error) {
	dir, err := s.directory(ctx, false)
	if err != nil {
		return nil, err
	}
	c := &collected{at: s.now(), dir: dir, forward: map[int64]bool{}, uci: map[int64]*uciSnapshot{}}
	if want&partRedirects != 0 {
		if err := s.readRedirects(ctx, c); err != nil {
			return nil, err
		}
	}
	if uw := want &^ partRedirects; uw != 0 {
		for _, sess := range s.sessions {
			snap, err := s.pollUCI(ctx, sess, uw, dir)
			if err != nil {
				if ctx.Err() != nil {
					return nil, err
				}
				c.errs = append(c.errs, err)
				continue
			}
			id, ok := dir.byLogin[sess.login]
			if !ok {
				s.log.Warn("starface: UCI user not among the REST users; its state is dropped", "host", s.base.Host, "login", sess.login)
				continue
			}
			c.uci[id] = snap
		}
		if uw&partCalls != 0 {
			s.trackCalls(c)
		}
	}
	return c, nil
}

// readRedirects reads every user's redirects into c.forward. After a 403
// for another user it stops asking for others: the client's user is no
// administrator.
func (s *Starface) readRedirects(ctx context.Context, c *collected) error {
	forbidden := false
	for _, u := range c.dir.users {
		var q url.Values
		if u.Login != s.login {
			if forbidden {
				continue
			}
			q = url.Values{"actOnBehalfOf": {u.Login}}
		}
		var rs []restRedirect
		err := s.rest(ctx, http.MethodGet, pathRedirects, q, &rs)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			var se *StarfaceError
			if errors.As(err, &se) {
				se.User = u.Login
				if se.Kind == StarfaceForbidden && q != nil {
					forbidden = true
				}
			}
			c.errs = append(c.errs, err)
			continue
		}
		c.forward[u.ID] = alwaysForward(rs)
	}
	return nil
}

// alwaysForward reports an enabled ALWAYS redirect of the user's own
// number; a group number's redirect forwards the group, not the user.
func alwaysForward(rs []restRedirect) bool {
	for _, r := range rs {
		if r.Enabled && !r.GroupNumber && strings.EqualFold(r.RedirectTrigger.Type, "ALWAYS") {
			return true
		}
	}
	return false
}

// Users returns every REST user's state, by account id. Live fields are
// filled for the users with a UCI session. When a redirect read or a UCI
// session fails, Users still returns every state (without what failed)
// and the failures joined; when the user or group list fails it returns
// nil and the error.
func (s *Starface) Users(ctx context.Context) ([]UserState, error) {
	c, err := s.collect(ctx, partRedirects|partUserState|partCalls|partGroupLogin)
	if err != nil {
		return nil, err
	}
	out := make([]UserState, 0, len(c.dir.users))
	for _, u := range c.dir.users {
		st := UserState{
			At:            c.at,
			Site:          s.site,
			AccountID:     cdr.AccountID(u.ID),
			Name:          u.name(),
			AlwaysForward: c.forward[u.ID],
			GroupIDs:      slices.Clone(c.dir.members[u.ID]),
		}
		if snap := c.uci[u.ID]; snap != nil {
			s.applyUCI(&st, snap, c.at)
		}
		out = append(out, st)
	}
	return out, errors.Join(c.errs...)
}

// Queues returns every group's load, by account id. The load is derived
// from the calls the UCI sessions see (see [Source]); without UCI it is
// zero. Errors are as for [Starface.Users].
func (s *Starface) Queues(ctx context.Context) ([]QueueState, error) {
	c, err := s.collect(ctx, partCalls)
	if err != nil {
		return nil, err
	}
	// A call seen by several sessions counts once, connected if any
	// session sees it connected.
	type seen struct {
		group     cdr.AccountID
		connected bool
		waiting   bool
	}
	calls := map[string]seen{}
	for _, snap := range c.uci {
		for _, call := range snap.calls {
			gid, ok := c.dir.groupRef[call.groupRef]
			if !ok {
				if call.groupRef != "" {
					s.log.Debug("starface: call's group not among the REST groups", "host", s.base.Host, "groupID", call.groupRef)
				}
				continue
			}
			v := calls[call.id]
			v.group = gid
			switch call.state {
			case CallConnected:
				v.connected = true
			case CallIncoming, CallRinging:
				v.waiting = true
			}
			calls[call.id] = v
		}
	}
	load := map[cdr.AccountID]*QueueState{}
	out := make([]QueueState, 0, len(c.dir.groups))
	for _, g := range c.dir.groups {
		out = append(out, QueueState{At: c.at, Site: s.site, AccountID: cdr.AccountID(g.ID), Type: cdr.AccountGroup, Name: g.Name})
	}
	for i := range out {
		load[out[i].AccountID] = &out[i]
	}
	for _, v := range calls {
		q := load[v.group]
		switch {
		case v.connected:
			q.ConnectedCalls++
		case v.waiting:
			q.WaitingCalls++
		}
	}
	return out, errors.Join(c.errs...)
}

// LoginStates returns every user's DND and always-forward, and the group
// logins of the users with a UCI session, by account id (members by
// group, then user). Errors are as for [Starface.Users].
func (s *Starface) LoginStates(ctx context.Context) ([]UserLoginState, []MemberLoginState, error) {
	c, err := s.collect(ctx, partRedirects|partUserState|partGroupLogin)
	if err != nil {
		return nil, nil, err
	}
	users := make([]UserLoginState, 0, len(c.dir.users))
	var members []MemberLoginState
	for _, u := range c.dir.users {
		st := UserLoginState{At: c.at, Site: s.site, AccountID: cdr.AccountID(u.ID), AlwaysForward: c.forward[u.ID]}
		if snap := c.uci[u.ID]; snap != nil {
			st.DND = snap.state.dnd
			st.AlwaysForward = st.AlwaysForward || snap.state.redirectAlways
			for _, g := range snap.groups {
				members = append(members, MemberLoginState{At: c.at, Site: s.site, GroupID: g.group, UserID: cdr.AccountID(u.ID), LoggedIn: g.loggedIn})
			}
		}
		users = append(users, st)
	}
	slices.SortFunc(members, func(a, b MemberLoginState) int {
		return cmp.Or(cmp.Compare(a.GroupID, b.GroupID), cmp.Compare(a.UserID, b.UserID))
	})
	return users, members, errors.Join(c.errs...)
}

// Accounts returns the PBX's local users and groups from REST /accounts,
// by id, with the users' logins and the groups' names; it refreshes the
// cached directory. Federation accounts (REMOTE_USER, REMOTE_GROUP) and
// accounts with an id below 1 are skipped. Groups are
// cdr.AccountGroup: REST does not tell iQueues apart.
func (s *Starface) Accounts(ctx context.Context) ([]cdr.Account, error) {
	dir, err := s.directory(ctx, true)
	if err != nil {
		return nil, err
	}
	var accs []restAccount
	if err := s.rest(ctx, http.MethodGet, pathAccounts, nil, &accs); err != nil {
		return nil, err
	}
	users := map[int64]restUser{}
	for _, u := range dir.users {
		users[u.ID] = u
	}
	groups := map[int64]restGroupItem{}
	for _, g := range dir.groups {
		groups[g.ID] = g
	}
	out := make([]cdr.Account, 0, len(accs))
	seen := map[int64]bool{}
	for _, a := range accs {
		var typ cdr.AccountType
		switch strings.ToUpper(a.Type) {
		case "USER":
			typ = cdr.AccountUser
		case "GROUP":
			typ = cdr.AccountGroup
		default:
			s.log.Debug("starface: account skipped", "host", s.base.Host, "id", a.AccountID, "type", a.Type)
			continue
		}
		if a.AccountID < 1 || seen[a.AccountID] {
			s.log.Warn("starface: account with an invalid or repeated id skipped", "host", s.base.Host, "id", a.AccountID)
			continue
		}
		seen[a.AccountID] = true
		acc := cdr.Account{ID: cdr.AccountID(a.AccountID), Type: typ, Site: s.site, Name: a.name()}
		if u, ok := users[a.AccountID]; ok && typ == cdr.AccountUser {
			acc.Login = u.Login
			if n := u.name(); n != "" {
				acc.Name = n
			}
		}
		if g, ok := groups[a.AccountID]; ok && typ == cdr.AccountGroup && g.Name != "" {
			acc.Name = g.Name
		}
		out = append(out, acc)
	}
	slices.SortFunc(out, func(a, b cdr.Account) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}
