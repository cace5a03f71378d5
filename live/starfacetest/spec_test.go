package starfacetest

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specPath is STARFACE's official REST swagger, kept outside the repo.
const specPath = "../../../shared/specs/starface-rest-api-6.7.0.22.yaml"

// yamlNode is a mapping key of the swagger, with its scalar value, its
// child keys and the scalar items of a list below it.
type yamlNode struct {
	key, value string
	indent     int
	children   []*yamlNode
	items      []string
}

func (n *yamlNode) child(key string) *yamlNode {
	if n == nil {
		return nil
	}
	for _, c := range n.children {
		if c.key == key {
			return c
		}
	}
	return nil
}

// kids are the node's child keys; none for a missing node.
func (n *yamlNode) kids() []*yamlNode {
	if n == nil {
		return nil
	}
	return n.children
}

// list is the node's list items; none for a missing node.
func (n *yamlNode) list() []string {
	if n == nil {
		return nil
	}
	return n.items
}

// val is the node's scalar value; "" for a missing node.
func (n *yamlNode) val() string {
	if n == nil {
		return ""
	}
	return n.value
}

func (n *yamlNode) keys() []string {
	if n == nil {
		return nil
	}
	out := make([]string, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, c.key)
	}
	return out
}

// readYAML reads the subset of YAML the swagger uses for what the test
// needs: block mappings ("key:" and "key: scalar", nested by
// indentation) and lists of scalars ("- item"). A list item that is
// itself a mapping ("- name: x" and its lines) is skipped whole, and so
// are block scalars' continuation lines that hold no key. It is no
// general YAML reader.
func readYAML(r io.Reader) (*yamlNode, error) {
	root := &yamlNode{indent: -1}
	stack := []*yamlNode{root}
	skipDeeper := -1 // skip lines indented more than this (inside a mapping list item)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimLeft(line, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indent := len(line) - len(trimmed)
		if skipDeeper >= 0 {
			if indent > skipDeeper {
				continue
			}
			skipDeeper = -1
		}
		if item, ok := strings.CutPrefix(trimmed, "-"); ok {
			item = strings.TrimSpace(item)
			// The list's owner is the nearest key indented no deeper.
			for len(stack) > 1 && stack[len(stack)-1].indent > indent {
				stack = stack[:len(stack)-1]
			}
			if isKeyLine(item) {
				skipDeeper = indent
				continue
			}
			top := stack[len(stack)-1]
			top.items = append(top.items, unquote(item))
			continue
		}
		if !isKeyLine(trimmed) {
			continue // a continuation of a multi-line scalar
		}
		key, value, _ := strings.Cut(trimmed, ":")
		n := &yamlNode{key: unquote(strings.TrimSpace(key)), value: unquote(strings.TrimSpace(value)), indent: indent}
		for len(stack) > 1 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		parent := stack[len(stack)-1]
		parent.children = append(parent.children, n)
		stack = append(stack, n)
	}
	return root, sc.Err()
}

// isKeyLine reports "key:" or "key: value" (a colon followed by a space
// or the end, before any quote).
func isKeyLine(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'', '"':
			return false
		case ':':
			return i > 0 && (i == len(s)-1 || s[i+1] == ' ')
		}
	}
	return false
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '\'' && s[len(s)-1] == '\'' || s[0] == '"' && s[len(s)-1] == '"') {
		return s[1 : len(s)-1]
	}
	return s
}

func TestReadYAML(t *testing.T) {
	const doc = `
paths:
    /a/{id}:
        get:
            parameters:
            -   name: id
                in: path
            produces:
            - application/json
            responses:
                200:
                    schema:
                        $ref: '#/definitions/X'
definitions:
    X:
        description: a thing: with a colon
            and a second line
        properties:
            p:
                type: string
        required:
            - p
`
	root, err := readYAML(strings.NewReader(doc))
	require.NoError(t, err)
	op := root.child("paths").child("/a/{id}").child("get")
	require.NotNil(t, op)
	assert.Equal(t, []string{"parameters", "produces", "responses"}, op.keys())
	assert.Equal(t, []string{"application/json"}, op.child("produces").items)
	assert.Equal(t, "#/definitions/X", op.child("responses").child("200").child("schema").child("$ref").val())
	x := root.child("definitions").child("X")
	assert.Equal(t, []string{"p"}, x.child("properties").keys())
	assert.Equal(t, []string{"p"}, x.child("required").items)
}

// loadSpec reads the swagger; without it the test fails on CI and is
// skipped elsewhere.
func loadSpec(t *testing.T) *yamlNode {
	t.Helper()
	f, err := os.Open(specPath)
	if errors.Is(err, fs.ErrNotExist) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the STARFACE REST swagger is missing at %s (needed on CI)", specPath)
		}
		t.Skipf("the STARFACE REST swagger is not at %s: the fake's routes and JSON shapes are not checked against it", specPath)
	}
	require.NoError(t, err)
	defer f.Close()
	root, err := readYAML(f)
	require.NoError(t, err)
	require.NotNil(t, root.child("paths"), "swagger has no paths")
	require.NotNil(t, root.child("definitions"), "swagger has no definitions")
	return root
}

// TestRoutesInSwagger checks that every REST path and method the fake
// serves is in the swagger (whose paths are below /rest).
func TestRoutesInSwagger(t *testing.T) {
	spec := loadSpec(t)
	paths := spec.child("paths")
	for _, rt := range New().routes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		rest, ok := strings.CutPrefix(path, "/rest")
		if !ok {
			continue // the UCI's XML-RPC endpoint is not REST
		}
		t.Run(rt.pattern, func(t *testing.T) {
			p := paths.child(rest)
			require.NotNil(t, p, "path %s not in the swagger", rest)
			assert.NotNil(t, p.child(strings.ToLower(method)), "%s %s not in the swagger", method, rest)
		})
	}
}

// subtypes are the concrete definitions an abstract one stands for.
var subtypes = map[string][]string{
	"RedirectDestination": {"RedirectPhoneNumberDestination", "RedirectMailboxDestination"},
}

// checkObject checks that obj's property names are the definition's (or
// its subtypes') and that its required ones are there, recursing into
// properties that refer to definitions.
func checkObject(t *testing.T, spec *yamlNode, def string, obj map[string]any, where string) {
	t.Helper()
	defs := spec.child("definitions")
	d := defs.child(def)
	require.NotNil(t, d, "definition %s not in the swagger", def)
	props := map[string]*yamlNode{}
	for _, name := range append([]string{def}, subtypes[def]...) {
		for _, p := range defs.child(name).child("properties").kids() {
			props[p.key] = p
		}
	}
	for _, req := range d.child("required").list() {
		assert.Contains(t, obj, req, "%s: required property %s of %s missing", where, req, def)
	}
	for k, v := range obj {
		p, ok := props[k]
		if !assert.True(t, ok, "%s: property %q not in definition %s", where, k, def) {
			continue
		}
		ref := p.child("$ref").val()
		if ref == "" {
			ref = p.child("items").child("$ref").val()
		}
		ref = strings.TrimPrefix(ref, "#/definitions/")
		if ref == "" {
			continue
		}
		switch v := v.(type) {
		case map[string]any:
			checkObject(t, spec, ref, v, where+"."+k)
		case []any:
			for _, e := range v {
				if m, ok := e.(map[string]any); ok {
					checkObject(t, spec, ref, m, where+"."+k+"[]")
				}
			}
		}
	}
}

// TestJSONInSwagger checks the property names of the objects the fake
// returns against the swagger's definitions.
func TestJSONInSwagger(t *testing.T) {
	spec := loadSpec(t)
	p := New()
	p.AddUser(User{ID: 1, Login: "0001", Password: "pw", FirstName: "Sam", FamilyName: "Service", Email: "s@example.com", Extension: "10", Admin: true})
	p.AddUser(User{ID: 2, Login: "0002", Password: "pw", FirstName: "Anna", FamilyName: "Agent"})
	p.AddGroup(Group{ID: 10, Name: "Sales", GroupID: "sales", InternalNumber: "700", ExternalNumber: "+4971112345700"}, 2)
	p.SetRedirect(Redirect{ID: "r1", UserID: 1, Trigger: "ALWAYS", Enabled: true, PhoneNumber: "10", Destination: "+4917012345"})
	p.SetRedirect(Redirect{ID: "r2", UserID: 1, Trigger: "BUSY", Enabled: true, PhoneNumber: "10", Mailbox: "mb1"})
	c := p.Client()
	tok := login(t, c, "0001", "pw")

	tests := []struct {
		path, def string
		list      bool
	}{
		{"/rest/users", "User", true},
		{"/rest/accounts", "Account", true},
		{"/rest/groups", "GroupListItem", true},
		{"/rest/groups/10", "Group", false},
		{"/rest/redirects", "Redirection", true},
		{"/rest/login", "Login", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp := get(t, c, tt.path, tok)
			require.Equal(t, http.StatusOK, resp.status, resp.body)
			var v any
			require.NoError(t, json.Unmarshal([]byte(resp.body), &v))
			objs := []any{v}
			if tt.list {
				l, ok := v.([]any)
				require.True(t, ok, "want a list: %s", resp.body)
				require.NotEmpty(t, l)
				objs = l
			}
			for _, o := range objs {
				m, ok := o.(map[string]any)
				require.True(t, ok)
				checkObject(t, spec, tt.def, m, tt.path)
			}
		})
	}
	t.Run("AuthToken", func(t *testing.T) {
		// The POST /rest/login answer.
		checkObject(t, spec, "AuthToken", map[string]any{"token": tok}, "POST /rest/login")
	})
	t.Run("login request", func(t *testing.T) {
		// The body the fake reads is a Login object.
		checkObject(t, spec, "Login", map[string]any{"loginType": "Internal", "nonce": "n", "secret": "s"}, "POST /rest/login body")
	})
}

// TestSwaggerFacts documents the swagger facts the client and
// the fake rely on, so a new swagger that changes them fails here.
func TestSwaggerFacts(t *testing.T) {
	spec := loadSpec(t)
	defs := spec.child("definitions")
	enum := func(def, prop string) []string {
		return defs.child(def).child("properties").child(prop).child("enum").list()
	}
	if diff := cmp.Diff([]string{"ALWAYS", "BUSY", "TIMEOUT"}, enum("RedirectTrigger", "redirectTriggerType")); diff != "" {
		t.Errorf("redirect triggers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"USER", "GROUP", "REMOTE_USER", "REMOTE_GROUP"}, enum("Account", "type")); diff != "" {
		t.Errorf("account types (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Internal", "ActiveDirectory"}, enum("Login", "loginType")); diff != "" {
		t.Errorf("login types (-want +got):\n%s", diff)
	}
	assert.True(t, slices.Contains(defs.child("AssignableUser").child("properties").keys(), "assigned"))
	// No iQueue or ring strategy anywhere in the definitions.
	for _, d := range defs.kids() {
		for _, p := range d.child("properties").keys() {
			l := strings.ToLower(p)
			assert.False(t, strings.Contains(l, "queue") || strings.Contains(l, "strategy"), "%s.%s", d.key, p)
		}
	}
}
