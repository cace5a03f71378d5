package powerbitest

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// swaggerPath is the official Power BI swagger, kept outside the repo.
const swaggerPath = "../../../shared/specs/powerbi-rest-api.swagger.json"

type swaggerSchema struct {
	Ref        string                   `json:"$ref"`
	Required   []string                 `json:"required"`
	Properties map[string]swaggerSchema `json:"properties"`
	AllOf      []swaggerSchema          `json:"allOf"`
	Pattern    string                   `json:"pattern"`
	Enum       []string                 `json:"enum"`
}

type swaggerParam struct {
	Name string   `json:"name"`
	In   string   `json:"in"`
	Enum []string `json:"enum"`
}

type swaggerOp struct {
	OperationID string                     `json:"operationId"`
	Parameters  []swaggerParam             `json:"parameters"`
	Examples    map[string]json.RawMessage `json:"x-ms-examples"`
}

type swaggerDoc struct {
	Paths       map[string]map[string]swaggerOp `json:"paths"`
	Definitions map[string]swaggerSchema        `json:"definitions"`
}

// loadSwagger reads the swagger; without it the test fails on CI and is
// skipped elsewhere.
func loadSwagger(t *testing.T) swaggerDoc {
	t.Helper()
	b, err := os.ReadFile(swaggerPath)
	if errors.Is(err, fs.ErrNotExist) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the Power BI swagger is missing at %s (needed on CI)", swaggerPath)
		}
		t.Skipf("the Power BI swagger is not at %s: the fake's copy of its definitions is not checked", swaggerPath)
	}
	require.NoError(t, err)
	var doc swaggerDoc
	require.NoError(t, json.Unmarshal(b, &doc))
	return doc
}

// properties resolves a definition's properties through allOf and $ref.
func (d swaggerDoc) properties(name string) map[string]swaggerSchema {
	out := map[string]swaggerSchema{}
	var walk func(s swaggerSchema)
	walk = func(s swaggerSchema) {
		if s.Ref != "" {
			walk(d.Definitions[strings.TrimPrefix(s.Ref, "#/definitions/")])
		}
		for _, a := range s.AllOf {
			walk(a)
		}
		for k, v := range s.Properties {
			out[k] = v
		}
	}
	walk(d.Definitions[name])
	return out
}

func TestDefinitionsMatchSwagger(t *testing.T) {
	doc := loadSwagger(t)
	for name, mine := range definitions() {
		t.Run(name, func(t *testing.T) {
			def, ok := doc.Definitions[name]
			require.True(t, ok, "the swagger has no definition %s", name)
			var props []string
			patterns := map[string]string{}
			for k, v := range def.Properties {
				props = append(props, k)
				if v.Pattern != "" {
					patterns[k] = v.Pattern
				}
			}
			slices.Sort(props)
			required := slices.Sorted(slices.Values(def.Required))
			if diff := cmp.Diff(props, mine.properties); diff != "" {
				t.Errorf("properties (-swagger +fake):\n%s", diff)
			}
			if diff := cmp.Diff(required, slices.Sorted(slices.Values(mine.required)), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("required (-swagger +fake):\n%s", diff)
			}
			if diff := cmp.Diff(patterns, mine.patterns, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("patterns (-swagger +fake):\n%s", diff)
			}
		})
	}
}

func TestEnumsMatchSwagger(t *testing.T) {
	doc := loadSwagger(t)
	assert.Equal(t, doc.Definitions[defRelationship].Properties["crossFilteringBehavior"].Enum, crossFilteringBehaviors)
	modes := doc.Definitions[defCreateDataset].Properties["defaultMode"].Enum
	for _, m := range datasetModes {
		assert.Contains(t, modes, m, "defaultMode")
	}
	for _, path := range []string{"/v1.0/myorg/datasets", "/v1.0/myorg/groups/{groupId}/datasets"} {
		op := doc.Paths[path]["post"]
		i := slices.IndexFunc(op.Parameters, func(p swaggerParam) bool { return p.Name == "defaultRetentionPolicy" })
		require.GreaterOrEqual(t, i, 0, "%s has no defaultRetentionPolicy", path)
		assert.Equal(t, op.Parameters[i].Enum, retentionPolicies, path)
	}
}

func TestRoutesExistInSwagger(t *testing.T) {
	doc := loadSwagger(t)
	for _, rt := range routes() {
		t.Run(rt.method+" "+rt.pattern, func(t *testing.T) {
			methods, ok := doc.Paths[rt.pattern]
			require.True(t, ok, "the swagger has no path %s", rt.pattern)
			op, ok := methods[strings.ToLower(rt.method)]
			require.True(t, ok, "the swagger has no %s %s", rt.method, rt.pattern)
			for _, q := range rt.query {
				assert.True(t, slices.ContainsFunc(op.Parameters, func(p swaggerParam) bool { return p.Name == q && p.In == "query" }),
					"query parameter %s of %s %s not in the swagger", q, rt.method, rt.pattern)
			}
		})
	}
}

// TestPatternsCompile checks that the translation of the swagger's
// ECMAScript patterns to RE2 keeps their meaning.
func TestPatternsCompile(t *testing.T) {
	assert.Equal(t, `^[\x09\x0A\x0D\x20-\x{D7FF}\x{E000}-\x{FFFD}\x{10000}-\x{10FFFF}]+$`, ecmaToRE2(patternMemberName))
	s := compiledSchema()
	object := s.patterns[patternObjectName]
	member := s.patterns[patternMemberName]
	tests := []struct {
		name           string
		object, member bool
	}{
		{"Calls", true, true},
		{"Anrufe-#_@^~ Ü 😀", true, true},
		{strings.Repeat("x", 100), true, true},
		{strings.Repeat("x", 101), false, true},
		{"a/b", false, true},
		{"a.b", false, true},
		{"a(b)", false, true},
		{"", false, false},
		{"a\x01b", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.object, object.MatchString(tt.name), "object name")
			assert.Equal(t, tt.member, member.MatchString(tt.name), "member name")
		})
	}
}

// TestResponsesUseSwaggerProperties checks that the fake's response
// bodies use only properties the swagger defines (its casing is
// inconsistent, e.g. "IsRefreshable", so the comparison ignores case),
// except defaultRetentionPolicy, which the swagger's own create example
// returns.
func TestResponsesUseSwaggerProperties(t *testing.T) {
	doc := loadSwagger(t)
	tests := []struct {
		def   string
		value any
		extra []string
	}{
		{"Dataset", datasetJSON{}, []string{"defaultRetentionPolicy"}},
		{"Group", groupJSON{}, nil},
		{"Table", tableJSON{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.def, func(t *testing.T) {
			props := doc.properties(tt.def)
			require.NotEmpty(t, props)
			b, err := json.Marshal(tt.value)
			require.NoError(t, err)
			var keys map[string]any
			require.NoError(t, json.Unmarshal(b, &keys))
			for k := range keys {
				if slices.Contains(tt.extra, k) {
					continue
				}
				found := false
				for p := range props {
					found = found || strings.EqualFold(p, k)
				}
				assert.True(t, found, "%s.%s is not in the swagger", tt.def, k)
			}
		})
	}
	example := doc.Paths["/v1.0/myorg/datasets"]["post"].Examples["Push example"]
	assert.Regexp(t, regexp.MustCompile(`"defaultRetentionPolicy"\s*:\s*"basicFIFO"`), string(example), "the create example returns defaultRetentionPolicy")
}
