package callflow_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/starinsight/starinsight/callflow/callflowtest"
)

const scenarioDir = "testdata/scenarios"

// TestScenarios runs the recorded scenarios in testdata/scenarios: each file
// holds a raw STARFACE export of one call flow and the legs and journeys
// that docs/interpretation.md says it must yield, computed by hand from the
// rules the file names. See testdata/scenarios/README.md.
//
// To rewrite the expectations of a failing scenario with what the code
// returns (then review every changed line against the rules before
// committing; the scenario is only worth something if a person did):
//
//	go test ./callflow -run TestScenarios/name -update
func TestScenarios(t *testing.T) {
	callflowtest.Run(t, scenarioDir)
}

// TestScenarioCorpus keeps the corpus honest: every rule of
// docs/interpretation.md is pinned by a scenario, every scenario names
// existing rules and says in one to three lines what it shows, and the
// README's index lists every file.
func TestScenarioCorpus(t *testing.T) {
	_, rules := docRules(t)
	if len(rules) < 30 {
		t.Fatalf("found only %d rule ids in docs/interpretation.md: %v", len(rules), rules)
	}
	readme, err := os.ReadFile(filepath.Join(scenarioDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(scenarioDir, "*.scenario"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 28 {
		t.Errorf("%d scenarios, want at least 28", len(paths))
	}
	pinned := map[string]bool{}
	for _, p := range paths {
		s, err := callflowtest.Load(p)
		if err != nil {
			t.Error(err)
			continue
		}
		if len(s.Rules) == 0 {
			t.Errorf("%s: no rules: line", p)
		}
		for _, r := range s.Rules {
			if !slices.Contains(rules, r) {
				t.Errorf("%s: rule %q is not in docs/interpretation.md", p, r)
			}
			pinned[r] = true
		}
		if n := strings.Count(s.Description, "\n") + 1; s.Description == "" || n > 3 {
			t.Errorf("%s: the description has %d lines, want 1 to 3", p, n)
		}
		base := filepath.Base(p)
		if !strings.Contains(string(readme), "| ["+base+"]("+base+") | "+strings.Join(s.Rules, " ")+" |") {
			t.Errorf("README.md: the index lacks %s with rules %s", base, strings.Join(s.Rules, " "))
		}
	}
	for _, r := range rules {
		if !pinned[r] {
			t.Errorf("rule %s of docs/interpretation.md is pinned by no scenario", r)
		}
	}
}

// TestRuleIndexInDoc keeps the rule → scenario index at the end of
// docs/interpretation.md true: it must list, for every rule, exactly the
// scenarios whose rules: line names it. On a mismatch it prints the index
// to paste.
func TestRuleIndexInDoc(t *testing.T) {
	doc, rules := docRules(t)
	paths, err := filepath.Glob(filepath.Join(scenarioDir, "*.scenario"))
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]string{}
	for _, p := range paths {
		s, err := callflowtest.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range s.Rules {
			base := filepath.Base(p)
			by[r] = append(by[r], "["+strings.TrimSuffix(base, ".scenario")+"](../callflow/testdata/scenarios/"+base+")")
		}
	}
	var b strings.Builder
	b.WriteString("| rule | pinned by |\n|---|---|\n")
	for _, r := range rules {
		b.WriteString("| " + r + " | " + strings.Join(by[r], ", ") + " |\n")
	}
	if !strings.Contains(string(doc), b.String()) {
		t.Errorf("docs/interpretation.md: the rule index is out of date; replace it with:\n\n%s", b.String())
	}
}

// docRules reads docs/interpretation.md and the rule ids it defines, in
// order.
func docRules(t *testing.T) ([]byte, []string) {
	t.Helper()
	doc, err := os.ReadFile("../docs/interpretation.md")
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, m := range regexp.MustCompile(`(?m)^- \*\*([ALXJ][0-9]+)\b`).FindAllSubmatch(doc, -1) {
		rules = append(rules, string(m[1]))
	}
	return doc, rules
}
