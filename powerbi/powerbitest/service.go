package powerbitest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/starinsight/starinsight/internal/fakehttp"
)

// maxBody caps a request body: 10,000 rows of 75 columns of long strings
// stay well below it.
const maxBody = 256 << 20

// Service is an in-memory Power BI push dataset service. It is safe for
// concurrent use. Serve it with [Service.Handler], call it in-process
// with [Service.Transport], or start a server around it with
// [NewServer].
type Service struct {
	now    func() time.Time
	limits Limits
	log    *slog.Logger
	tokens map[string]bool // nil: any non-empty token
	schema *schema
	routes []route

	mu       sync.Mutex
	revoked  map[string]bool
	groups   []*group // groups[0] is My workspace, ID ""
	faults   []*activeFault
	requests []Request
	stats    Stats
}

type group struct {
	id, name string
	datasets []*dataset
}

type dataset struct {
	id, name, group string
	retention, mode string
	created         time.Time
	tables          []*table
	rels            []Relationship
	posts           window // accepted POST rows requests, for the rate limits
	pending         int    // POST rows requests in flight
}

type table struct {
	def  Table // RowCount unused
	rows []map[string]any
}

// Option configures a [Service].
type Option func(*Service)

// WithTokens restricts the bearer tokens the service accepts to valid;
// any other token is a 401. Without it any non-empty token is accepted.
// Calls add up; WithTokens() with no token changes nothing.
func WithTokens(valid ...string) Option {
	return func(s *Service) {
		if len(valid) == 0 {
			return
		}
		if s.tokens == nil {
			s.tokens = map[string]bool{}
		}
		for _, t := range valid {
			s.tokens[t] = true
		}
	}
}

// WithLimits sets the limits enforced; zero fields take
// [DefaultLimits]' values, negative ones switch the limit off.
func WithLimits(l Limits) Option { return func(s *Service) { s.limits = l.withDefaults() } }

// WithClock sets the clock of the rolling windows and of the recorded
// times. The default, time.Now, is the fake clock inside a
// testing/synctest bubble; use WithClock elsewhere to control time. now
// must be safe for concurrent use. Fault delays still use the runtime's
// timers.
func WithClock(now func() time.Time) Option {
	return func(s *Service) {
		if now != nil {
			s.now = now
		}
	}
}

// WithLogger sets a logger for one debug record per request (method,
// path, operation, status, request ID; never the token). The default
// discards.
func WithLogger(l *slog.Logger) Option {
	return func(s *Service) {
		if l != nil {
			s.log = l
		}
	}
}

// New returns an empty service: My workspace with no datasets, no
// workspaces.
func New(opts ...Option) *Service {
	s := &Service{
		now:     time.Now,
		limits:  DefaultLimits(),
		log:     slog.New(slog.DiscardHandler),
		schema:  compiledSchema(),
		routes:  routes(),
		revoked: map[string]bool{},
		groups:  []*group{{}},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Handler returns the service's HTTP handler. It serves any host; the
// paths are the real ones, /v1.0/myorg/... and
// /v1.0/myorg/groups/{groupId}/....
func (s *Service) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// RevokeToken makes tok fail from now on with 403 TokenExpired, as an
// expired or revoked access token does.
func (s *Service) RevokeToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked[tok] = true
}

// route is one path and method the service serves. pattern is the
// swagger's path.
type route struct {
	method, pattern, op string
	query               []string // the query parameters allowed
}

func routes() []route {
	var rs []route
	for _, prefix := range []string{"/v1.0/myorg", "/v1.0/myorg/groups/{groupId}"} {
		rs = append(rs,
			route{http.MethodGet, prefix + "/datasets", OpGetDatasets, nil},
			route{http.MethodPost, prefix + "/datasets", OpCreateDataset, []string{"defaultRetentionPolicy"}},
			route{http.MethodGet, prefix + "/datasets/{datasetId}/tables", OpGetTables, nil},
			route{http.MethodPut, prefix + "/datasets/{datasetId}/tables/{tableName}", OpPutTable, nil},
			route{http.MethodPost, prefix + "/datasets/{datasetId}/tables/{tableName}/rows", OpPostRows, nil},
			route{http.MethodDelete, prefix + "/datasets/{datasetId}/tables/{tableName}/rows", OpDeleteRows, nil},
		)
	}
	return append(rs,
		route{http.MethodGet, "/v1.0/myorg/groups", OpGetGroups, []string{"$filter", "$top", "$skip"}},
		route{http.MethodPost, "/v1.0/myorg/groups", OpCreateGroup, []string{"workspaceV2"}},
	)
}

// match returns the path's parameters if path fits the pattern. Literal
// segments compare case-insensitively, as the real service's do.
func match(pattern, escapedPath string) (map[string]string, bool) {
	ps := strings.Split(pattern, "/")
	segs := strings.Split(escapedPath, "/")
	if len(ps) != len(segs) {
		return nil, false
	}
	params := map[string]string{}
	for i, p := range ps {
		if strings.HasPrefix(p, "{") {
			v, err := url.PathUnescape(segs[i])
			if err != nil || v == "" {
				return nil, false
			}
			params[strings.Trim(p, "{}")] = v
			continue
		}
		if !strings.EqualFold(p, segs[i]) {
			return nil, false
		}
	}
	return params, true
}

func (s *Service) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rid := newGUID()
	w.Header().Set("RequestId", rid)
	sw := &fakehttp.StatusWriter{ResponseWriter: w}
	rec := Request{Method: r.Method, Path: r.URL.Path, At: s.now(), RequestID: rid}
	faulted := false
	defer func() {
		rec.Status = sw.Status
		s.record(r.Context(), rec, faulted)
	}()

	if !s.authorize(sw, r) {
		return
	}
	var rt *route
	var params map[string]string
	var allowed []string
	for i := range s.routes {
		p, ok := match(s.routes[i].pattern, r.URL.EscapedPath())
		if !ok {
			continue
		}
		if s.routes[i].method != r.Method {
			allowed = append(allowed, s.routes[i].method)
			continue
		}
		rt, params = &s.routes[i], p
		break
	}
	if rt == nil {
		if allowed != nil {
			sw.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(sw, http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf("%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(allowed, ", ")))
			return
		}
		writeError(sw, http.StatusNotFound, "NotFound", fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path))
		return
	}
	rec.Op = rt.op
	for k := range r.URL.Query() {
		if !slices.Contains(rt.query, k) {
			writeError(sw, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("unknown query parameter %q for %s", k, rt.op))
			return
		}
	}
	var body []byte
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		var ok bool
		if body, ok = readBody(sw, r); !ok {
			return
		}
	}
	var rows []any
	var parseErr error
	if rt.op == OpPostRows {
		// Parsed here, once, so that the record has the row count
		// whatever the answer; parseErr is answered after the pending
		// check and the faults.
		rows, parseErr = s.schema.parsePostRows(body)
		rec.Rows = len(rows)
		release, ok := s.enterPost(sw, params)
		if !ok {
			return
		}
		defer release()
	}
	f, hasFault := s.takeFault(rt.op)
	if hasFault {
		faulted = true
		if f.Delay > 0 && !fakehttp.Sleep(r.Context(), f.Delay) {
			return
		}
		switch {
		case f.Drop:
			fakehttp.Drop(sw)
			return
		case f.Status != 0:
			writeFault(sw, f)
			return
		}
	}
	if r.Context().Err() != nil {
		// The client is gone: store nothing it cannot learn about.
		return
	}
	if hasFault && f.DropAfter {
		s.serveOp(httptest.NewRecorder(), r, rt.op, params, body, rows, parseErr)
		fakehttp.Drop(sw)
		return
	}
	s.serveOp(sw, r, rt.op, params, body, rows, parseErr)
}

// readBody reads a JSON request body; it answers 400 or 413 itself.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Body == nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "the request body is empty")
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("the request body is larger than %d bytes", maxBody))
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("reading the request body: %v", err))
		return nil, false
	case len(strings.TrimSpace(string(body))) == 0:
		writeError(w, http.StatusBadRequest, "InvalidRequest", "the request body is empty")
		return nil, false
	}
	if !json.Valid(body) {
		var v any
		err := json.Unmarshal(body, &v)
		writeError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("the request body is not valid JSON: %v", err))
		return nil, false
	}
	return body, true
}

func (s *Service) serveOp(w http.ResponseWriter, r *http.Request, op string, p map[string]string, body []byte, rows []any, rowsErr error) {
	switch op {
	case OpGetDatasets:
		s.getDatasets(w, p)
	case OpCreateDataset:
		s.createDataset(w, r, p, body)
	case OpGetTables:
		s.getTables(w, p)
	case OpPutTable:
		s.putTable(w, p, body)
	case OpPostRows:
		s.postRows(w, p, rows, rowsErr)
	case OpDeleteRows:
		s.deleteRows(w, p)
	case OpGetGroups:
		s.getGroups(w, r)
	case OpCreateGroup:
		s.createGroup(w, r, body)
	}
}

// authorize checks the bearer token; it answers 401 or 403 itself. No
// answer names the token.
func (s *Service) authorize(w http.ResponseWriter, r *http.Request) bool {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeError(w, http.StatusUnauthorized, "Unauthorized", "the request has no Authorization: Bearer token")
		return false
	}
	if s.tokens != nil && !s.tokens[tok] {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "InvalidToken", "the bearer token is not valid")
		return false
	}
	s.mu.Lock()
	revoked := s.revoked[tok]
	s.mu.Unlock()
	if revoked {
		writeError(w, http.StatusForbidden, "TokenExpired", "Access token has expired, resubmit with a new access token")
		return false
	}
	return true
}

// record stores what the request got.
func (s *Service) record(ctx context.Context, rec Request, faulted bool) {
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.stats.Requests++
	switch {
	case rec.Status == http.StatusTooManyRequests:
		s.stats.Throttled++
	case rec.Status >= 400:
		s.stats.Rejected++
	}
	if faulted {
		s.stats.Faults++
	}
	s.mu.Unlock()
	s.log.LogAttrs(ctx, slog.LevelDebug, "powerbitest: request",
		slog.String("method", rec.Method), slog.String("path", rec.Path), slog.String("op", rec.Op),
		slog.Int("status", rec.Status), slog.String("requestId", rec.RequestID))
}

// errorBody is Power BI's error shape.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only the fake's own types are marshalled; they cannot fail.
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"InternalServerError","message":"powerbitest: encoding the response"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeEmpty(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// newGUID returns a random (version 4) GUID.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// lookup finds the workspace, dataset and table the parameters name; it
// answers 404 itself. It must be called with s.mu held. Empty names are
// not looked up.
func (s *Service) lookup(w http.ResponseWriter, p map[string]string) (*group, *dataset, *table, bool) {
	g := s.group(p["groupId"])
	if g == nil {
		writeError(w, http.StatusNotFound, "PowerBIEntityNotFound", fmt.Sprintf("workspace %q not found", p["groupId"]))
		return nil, nil, nil, false
	}
	id, ok := p["datasetId"]
	if !ok {
		return g, nil, nil, true
	}
	i := slices.IndexFunc(g.datasets, func(d *dataset) bool { return strings.EqualFold(d.id, id) })
	if i < 0 {
		writeError(w, http.StatusNotFound, "ItemNotFound", fmt.Sprintf("dataset %q not found in %s", id, workspaceName(g)))
		return nil, nil, nil, false
	}
	d := g.datasets[i]
	name, ok := p["tableName"]
	if !ok {
		return g, d, nil, true
	}
	t := d.table(name)
	if t == nil {
		writeError(w, http.StatusNotFound, "ItemNotFound", fmt.Sprintf("table %q not found in dataset %q", name, d.name))
		return nil, nil, nil, false
	}
	return g, d, t, true
}

func workspaceName(g *group) string {
	if g.id == "" {
		return "My workspace"
	}
	return fmt.Sprintf("workspace %q", g.name)
}

// group returns the workspace with the id ("" is My workspace), or nil.
// It must be called with s.mu held.
func (s *Service) group(id string) *group {
	i := slices.IndexFunc(s.groups, func(g *group) bool { return strings.EqualFold(g.id, id) })
	if i < 0 {
		return nil
	}
	return s.groups[i]
}

func (d *dataset) table(name string) *table {
	i := slices.IndexFunc(d.tables, func(t *table) bool { return t.def.Name == name })
	if i < 0 {
		return nil
	}
	return d.tables[i]
}

// datasetJSON is a dataset as GET /datasets and POST /datasets return
// it: the swagger's Dataset properties a push dataset has, plus
// defaultRetentionPolicy, which the service's create response carries.
type datasetJSON struct {
	ID                               string `json:"id"`
	Name                             string `json:"name"`
	WebURL                           string `json:"webUrl"`
	AddRowsAPIEnabled                bool   `json:"addRowsAPIEnabled"`
	ConfiguredBy                     string `json:"configuredBy"`
	IsRefreshable                    bool   `json:"isRefreshable"`
	IsEffectiveIdentityRequired      bool   `json:"isEffectiveIdentityRequired"`
	IsEffectiveIdentityRolesRequired bool   `json:"isEffectiveIdentityRolesRequired"`
	IsOnPremGatewayRequired          bool   `json:"isOnPremGatewayRequired"`
	CreatedDate                      string `json:"createdDate"`
	DefaultRetentionPolicy           string `json:"defaultRetentionPolicy"`
}

func (d *dataset) json() datasetJSON {
	g := d.group
	if g == "" {
		g = "me"
	}
	return datasetJSON{
		ID:                     d.id,
		Name:                   d.name,
		WebURL:                 "https://app.powerbi.com/groups/" + g + "/datasets/" + d.id,
		AddRowsAPIEnabled:      true,
		ConfiguredBy:           "powerbitest@example.com",
		CreatedDate:            d.created.UTC().Format(time.RFC3339Nano),
		DefaultRetentionPolicy: d.retention,
	}
}

// groupJSON is a workspace as GET /groups and POST /groups return it.
type groupJSON struct {
	ID                    string `json:"id"`
	Name                  string `json:"name"`
	IsReadOnly            bool   `json:"isReadOnly"`
	IsOnDedicatedCapacity bool   `json:"isOnDedicatedCapacity"`
}

// tableJSON is a table as GET .../tables lists it: for push datasets the
// service returns names only, no columns.
type tableJSON struct {
	Name string `json:"name"`
}

type list[T any] struct {
	Value []T `json:"value"`
}

func (s *Service) getDatasets(w http.ResponseWriter, p map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, _, _, ok := s.lookup(w, p)
	if !ok {
		return
	}
	out := list[datasetJSON]{Value: []datasetJSON{}}
	for _, d := range g.datasets {
		out.Value = append(out.Value, d.json())
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Service) createDataset(w http.ResponseWriter, r *http.Request, p map[string]string, body []byte) {
	retention := RetentionNone
	if v := r.URL.Query().Get("defaultRetentionPolicy"); v != "" {
		c, ok := canonical(retentionPolicies, v)
		if !ok {
			writeError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("defaultRetentionPolicy: %q is not one of %s", v, strings.Join(retentionPolicies, ", ")))
			return
		}
		retention = c
	}
	req, err := s.schema.parseCreateDataset(body, s.limits)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "CreateDatasetRequest: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, _, _, ok := s.lookup(w, p)
	if !ok {
		return
	}
	d := &dataset{
		id: newGUID(), name: req.Name, group: g.id,
		retention: retention, mode: req.Mode, created: s.now(),
		rels: req.Relationships,
	}
	for _, t := range req.Tables {
		d.tables = append(d.tables, &table{def: t})
	}
	g.datasets = append(g.datasets, d)
	writeJSON(w, http.StatusCreated, d.json())
}

func (s *Service) getTables(w http.ResponseWriter, p map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, d, _, ok := s.lookup(w, p)
	if !ok {
		return
	}
	out := list[tableJSON]{Value: []tableJSON{}}
	for _, t := range d.tables {
		out.Value = append(out.Value, tableJSON{Name: t.def.Name})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Service) putTable(w http.ResponseWriter, p map[string]string, body []byte) {
	def, err := s.schema.parseTable(body, "", s.limits)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Table: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, d, t, ok := s.lookup(w, p)
	if !ok {
		return
	}
	if def.Name != t.def.Name {
		writeError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("Table: name: %q differs from the table in the path, %q: a table cannot be renamed", def.Name, t.def.Name))
		return
	}
	// A relationship must keep its columns.
	tables := make([]Table, len(d.tables))
	for i, dt := range d.tables {
		tables[i] = dt.def
		if dt == t {
			tables[i] = def
		}
	}
	for i, rel := range d.rels {
		if err := checkRelationship(rel, tables, fmt.Sprintf("relationship %q", rel.Name)); err != nil {
			writeError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("Table: the new columns break relationships[%d]: %v", i, err))
			return
		}
	}
	t.def = def
	for _, row := range t.rows {
		for k := range row {
			if def.column(k) == nil {
				delete(row, k)
			}
		}
	}
	writeJSON(w, http.StatusOK, tableJSON{Name: def.Name})
}

// enterPost counts a POST rows request as pending on its dataset, or
// answers 404 or 429 itself; release ends it.
func (s *Service) enterPost(w http.ResponseWriter, p map[string]string) (release func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, d, _, ok := s.lookup(w, p)
	if !ok {
		return nil, false
	}
	if limit := s.limits.MaxPendingPosts; limit > 0 && d.pending >= limit {
		// Nobody knows when a pending request ends; the shortest
		// Retry-After is the honest answer.
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "TooManyRequests", fmt.Sprintf("dataset %q has %d pending POST rows requests, the limit", d.name, limit))
		return nil, false
	}
	d.pending++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		d.pending--
	}, true
}

func (s *Service) postRows(w http.ResponseWriter, p map[string]string, raws []any, err error) {
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "PostRowsRequest: "+err.Error())
		return
	}
	lim := s.limits
	if lim.MaxRowsPerPost > 0 && len(raws) > lim.MaxRowsPerPost {
		writeError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("PostRowsRequest: rows: %d rows, more than the limit of %d per request", len(raws), lim.MaxRowsPerPost))
		return
	}
	if lim.MaxRowsPerHour > 0 && len(raws) > lim.MaxRowsPerHour {
		writeError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("PostRowsRequest: rows: %d rows, more than the limit of %d per hour", len(raws), lim.MaxRowsPerHour))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, d, t, ok := s.lookup(w, p)
	if !ok {
		return
	}
	rows, err := checkRows(raws, &t.def, lim.MaxStringLength)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "PostRowsRequest: "+err.Error())
		return
	}
	now := s.now()
	d.posts.prune(now)
	var wait time.Duration
	var why []string
	if wt := d.posts.waitForCount(now, minute, lim.MaxPostsPerMinute); wt > 0 {
		wait, why = max(wait, wt), append(why, fmt.Sprintf("%d POST rows requests per minute", lim.MaxPostsPerMinute))
	}
	if lim.LargeTableRows > 0 && len(t.rows) >= lim.LargeTableRows {
		if wt := d.posts.waitForCount(now, hour, lim.MaxPostsPerHourLarge); wt > 0 {
			wait, why = max(wait, wt), append(why, fmt.Sprintf("%d POST rows requests per hour once table %q holds %d rows", lim.MaxPostsPerHourLarge, t.def.Name, lim.LargeTableRows))
		}
	}
	if wt := d.posts.waitForRows(now, len(rows), lim.MaxRowsPerHour); wt > 0 {
		wait, why = max(wait, wt), append(why, fmt.Sprintf("%d rows per hour", lim.MaxRowsPerHour))
	}
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
		writeError(w, http.StatusTooManyRequests, "TooManyRequests", fmt.Sprintf("dataset %q is over its limit of %s; retry later", d.name, strings.Join(why, " and ")))
		return
	}
	if d.retention == RetentionNone && lim.MaxRowsNoRetention > 0 && len(t.rows)+len(rows) > lim.MaxRowsNoRetention {
		writeError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("table %q holds %d rows; %d more exceed the limit of %d rows per table without a retention policy", t.def.Name, len(t.rows), len(rows), lim.MaxRowsNoRetention))
		return
	}
	t.rows = append(t.rows, rows...)
	if d.retention == RetentionBasicFIFO && lim.FIFORows > 0 && len(t.rows) > lim.FIFORows {
		n := len(t.rows) - lim.FIFORows
		// Copy rather than reslice so the dropped rows can be collected.
		t.rows = append([]map[string]any(nil), t.rows[n:]...)
		s.stats.RowsEvicted += n
	}
	d.posts.add(now, len(rows))
	s.stats.PostsAccepted++
	s.stats.RowsAccepted += len(rows)
	writeEmpty(w)
}

func (s *Service) deleteRows(w http.ResponseWriter, p map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _, t, ok := s.lookup(w, p)
	if !ok {
		return
	}
	t.rows = nil
	writeEmpty(w)
}

// filterName is the one $filter the fake understands: name eq '...'
// (a quote doubled inside the string).
var filterName = regexp.MustCompile(`^\s*name\s+eq\s+'((?:[^']|'')*)'\s*$`)

func (s *Service) getGroups(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var name *string
	if f := q.Get("$filter"); f != "" {
		m := filterName.FindStringSubmatch(f)
		if m == nil {
			writeError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("$filter: %q: the fake understands only name eq '...'", f))
			return
		}
		n := strings.ReplaceAll(m[1], "''", "'")
		name = &n
	}
	top, skip := -1, 0
	for _, pr := range []struct {
		key string
		v   *int
	}{{"$top", &top}, {"$skip", &skip}} {
		if v := q.Get(pr.key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				writeError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("%s: %q is not a non-negative integer", pr.key, v))
				return
			}
			*pr.v = n
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := list[groupJSON]{Value: []groupJSON{}}
	for _, g := range s.groups[1:] {
		if name == nil || g.name == *name {
			out.Value = append(out.Value, groupJSON{ID: g.id, Name: g.name})
		}
	}
	out.Value = out.Value[min(skip, len(out.Value)):]
	if top >= 0 {
		out.Value = out.Value[:min(top, len(out.Value))]
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Service) createGroup(w http.ResponseWriter, r *http.Request, body []byte) {
	if v := r.URL.Query().Get("workspaceV2"); v != "" && !strings.EqualFold(v, "true") {
		writeError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("workspaceV2: %q: the only supported value is true", v))
		return
	}
	name, err := s.schema.parseCreateGroup(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "GroupCreationRequest: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.ContainsFunc(s.groups[1:], func(g *group) bool { return strings.EqualFold(g.name, name) }) {
		writeError(w, http.StatusConflict, "PowerBIEntityAlreadyExists", fmt.Sprintf("a workspace named %q already exists", name))
		return
	}
	g := &group{id: newGUID(), name: name}
	s.groups = append(s.groups, g)
	writeJSON(w, http.StatusOK, groupJSON{ID: g.id, Name: g.name})
}
