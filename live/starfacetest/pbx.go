package starfacetest

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/starinsight/starinsight/internal/fakehttp"
)

// TokenLifetime is how long a REST token is valid after the login.
const TokenLifetime = 4 * time.Hour

// nonceLifetime is how long a login nonce can be used.
const nonceLifetime = 5 * time.Minute

// maxRequestBody caps a request body the fake reads.
const maxRequestBody = 1 << 20

// User is a STARFACE user. Its ID is its account id.
type User struct {
	ID         int64
	Login      string // the login ID ("0001"), also the UCI login
	Password   string // empty: the user cannot log in
	FirstName  string
	FamilyName string
	Email      string
	Language   string // "" is sent as "default"
	// Extension is the primary internal phone number (Account
	// primaryInternalPhoneNumber).
	Extension string
	// Admin lets the user read other users' redirects
	// (?actOnBehalfOf=).
	Admin bool
}

// Group is a STARFACE group. Its ID is its account id.
type Group struct {
	ID   int64
	Name string
	// GroupID is the REST Group's groupId, a string the swagger does not
	// explain; calls may name their group by it.
	GroupID        string
	InternalNumber string
	ExternalNumber string
}

// Redirect is one of a user's redirects (REST Redirection).
type Redirect struct {
	ID      string
	UserID  int64
	Trigger string // ALWAYS, BUSY or TIMEOUT
	Enabled bool
	// PhoneNumber is the number the redirect handles; GroupNumber says
	// it is a group's number.
	PhoneNumber string
	GroupNumber bool
	// The destination: a phone number, or a mailbox when Mailbox is set.
	Destination string
	Mailbox     string
}

// UserState is a user's UCI state.
type UserState struct {
	TelephonyState      string // AVAILABLE, RINGING, ACTIVE, QUEUE_PAUSE, UNAVAILABLE, or anything
	ChatPresence        string
	ChatPresenceMessage string
	DoNotDisturb        bool
}

// Call is a call as a user's UCI session sees it.
type Call struct {
	ID     string
	UserID int64
	// SeenBy are more users whose UCI sessions list the call, as the
	// members a group call rings may all see it.
	SeenBy       []int64
	State        string // INCOMING, RINGING, CONNECTED, PARKED, HANGUP, or anything
	CallerName   string
	CallerNumber string
	CalledName   string
	CalledNumber string
	// GroupID names the group the call came through: its account id in
	// decimal or its REST groupId; "" for a direct call.
	GroupID string
	// Timestamp is when the state began; zero means time.Now at
	// StartCall.
	Timestamp time.Time
}

// Request is a request the PBX received.
type Request struct {
	Time      time.Time
	Method    string
	Path      string
	Query     url.Values
	Header    http.Header
	RPCMethod string // the XML-RPC method, for /xml-rpc
	Status    int    // the status answered; 0 for a dropped request
}

type token struct {
	user    int64
	expires time.Time
}

// PBX is a fake STARFACE PBX. It is safe for concurrent use. The zero
// value is not usable: call [New].
type PBX struct {
	log       *slog.Logger
	loc       *time.Location
	loginType string
	mux       *http.ServeMux

	mu        sync.Mutex
	users     map[int64]User
	groups    map[int64]Group
	members   map[[2]int64]bool // {group, user} → assigned
	logins    map[[2]int64]bool // {group, user} → logged in
	redirects map[string]Redirect
	states    map[int64]UserState
	calls     map[string]Call
	nonces    map[string]time.Time
	tokens    map[string]token
	sessions  map[string]bool // UCI login → session open
	faults    []*activeFault
	requests  []Request
}

// Option configures a [PBX].
type Option func(*PBX)

// WithLogger sets a logger for one debug record per request (method,
// path, XML-RPC method, status; never a secret). The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(p *PBX) {
		if l != nil {
			p.log = l
		}
	}
}

// WithLocation sets the PBX's time zone, in which UCI times are
// written. The default is UTC.
func WithLocation(loc *time.Location) Option {
	return func(p *PBX) {
		if loc != nil {
			p.loc = loc
		}
	}
}

// WithLoginType sets the loginType of the login template. The default is
// "Internal"; "ActiveDirectory" lets a test see a client refuse it (the
// fake still checks the Internal secret).
func WithLoginType(t string) Option { return func(p *PBX) { p.loginType = t } }

// New returns an empty PBX.
func New(opts ...Option) *PBX {
	p := &PBX{
		log:       slog.New(slog.DiscardHandler),
		loc:       time.UTC,
		loginType: "Internal",
		users:     map[int64]User{},
		groups:    map[int64]Group{},
		members:   map[[2]int64]bool{},
		logins:    map[[2]int64]bool{},
		redirects: map[string]Redirect{},
		states:    map[int64]UserState{},
		calls:     map[string]Call{},
		nonces:    map[string]time.Time{},
		tokens:    map[string]token{},
		sessions:  map[string]bool{},
	}
	for _, o := range opts {
		o(p)
	}
	p.mux = http.NewServeMux()
	for _, rt := range p.routes() {
		p.mux.HandleFunc(rt.pattern, rt.handler)
	}
	return p
}

type route struct {
	pattern string // a ServeMux pattern, "GET /rest/users"
	handler http.HandlerFunc
}

// routes lists what the PBX serves; the swagger test walks it.
func (p *PBX) routes() []route {
	return []route{
		{"GET /rest/login", p.getLogin},
		{"POST /rest/login", p.postLogin},
		{"DELETE /rest/login", p.deleteLogin},
		{"GET /rest/users", p.getUsers},
		{"GET /rest/accounts", p.getAccounts},
		{"GET /rest/groups", p.getGroups},
		{"GET /rest/groups/{groupid}", p.getGroup},
		{"GET /rest/redirects", p.getRedirects},
		{"POST /xml-rpc", p.serveXMLRPC},
	}
}

// AddUser adds u, or replaces the user with its ID.
func (p *PBX) AddUser(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users[u.ID] = u
}

// AddGroup adds g, or replaces the group with its ID, and makes members
// its members.
func (p *PBX) AddGroup(g Group, members ...int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.groups[g.ID] = g
	for _, u := range members {
		p.members[[2]int64{g.ID, u}] = true
	}
}

// SetMember makes a user a member of a group (assigned true) or not.
func (p *PBX) SetMember(groupID, userID int64, assigned bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if assigned {
		p.members[[2]int64{groupID, userID}] = true
	} else {
		delete(p.members, [2]int64{groupID, userID})
	}
}

// SetGroupLogin logs a member in to a group or out of it, as the UCI's
// group settings report it.
func (p *PBX) SetGroupLogin(groupID, userID int64, loggedIn bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.logins[[2]int64{groupID, userID}] = loggedIn
}

// SetRedirect adds r, or replaces the redirect with its ID.
func (p *PBX) SetRedirect(r Redirect) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.redirects[r.ID] = r
}

// RemoveRedirect removes a redirect.
func (p *PBX) RemoveRedirect(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.redirects, id)
}

// SetUserState sets a user's UCI state.
func (p *PBX) SetUserState(userID int64, st UserState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.states[userID] = st
}

// StartCall adds c, or replaces the call with its ID.
func (p *PBX) StartCall(c Call) {
	if c.Timestamp.IsZero() {
		c.Timestamp = time.Now()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[c.ID] = c
}

// SetCallState moves a call to state, with time.Now as its timestamp. It
// reports whether the call exists.
func (p *PBX) SetCallState(id, state string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.calls[id]
	if ok {
		c.State = state
		c.Timestamp = time.Now()
		p.calls[id] = c
	}
	return ok
}

// EndCall removes a call.
func (p *PBX) EndCall(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.calls, id)
}

// ExpireTokens forgets every REST token, as a PBX restart does.
func (p *PBX) ExpireTokens() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.tokens)
}

// ExpireUCISessions closes every UCI session.
func (p *PBX) ExpireUCISessions() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.sessions)
}

// Requests returns the requests received so far, oldest first.
func (p *PBX) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests)
}

// ResetRequests forgets the requests received so far.
func (p *PBX) ResetRequests() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = nil
}

// Handler returns the PBX's HTTP handler. It serves any host.
func (p *PBX) Handler() http.Handler { return http.HandlerFunc(p.serveHTTP) }

func (p *PBX) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{Time: time.Now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone()}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil || len(body) > maxRequestBody {
		http.Error(w, "request body unreadable or too large", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if r.URL.Path == "/xml-rpc" {
		if c, err := parseMethodCall(body); err == nil {
			rec.RPCMethod = c.name
		}
	}
	sw := &fakehttp.StatusWriter{ResponseWriter: w}
	defer func() {
		rec.Status = sw.Status
		p.log.Debug("starfacetest: request", "method", rec.Method, "path", rec.Path, "rpc", rec.RPCMethod, "status", rec.Status)
		p.mu.Lock()
		p.requests = append(p.requests, rec)
		p.mu.Unlock()
	}()
	if f, ok := p.takeFault(r.Method, r.URL.Path, rec.RPCMethod); ok {
		if f.Delay > 0 && !fakehttp.Sleep(r.Context(), f.Delay) {
			return
		}
		if f.Drop {
			fakehttp.Drop(sw)
			return
		}
		if f.act(sw) {
			return
		}
	}
	p.mux.ServeHTTP(sw, r)
}

// sha512Hex is hex(SHA-512(s)) in lower case.
func sha512Hex(s string) string {
	h := sha512.Sum512([]byte(s))
	return hex.EncodeToString(h[:])
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// sortedValues returns m's values ordered by key.
func sortedValues[K cmp.Ordered, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}
