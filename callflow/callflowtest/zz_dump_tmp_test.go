package callflowtest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTmpDump(t *testing.T) {
	paths, _ := filepath.Glob("../testdata/scenarios/" + os.Getenv("SC") + ".scenario")
	for _, p := range paths {
		s, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		calls, err := s.Interpret()
		if err != nil {
			t.Fatal(err)
		}
		legs, js := s.Got(calls)
		t.Logf("== %s", p)
		for _, l := range legs {
			t.Logf("L %s", formatFields(l))
		}
		for _, j := range js {
			t.Logf("J %s", formatFields(j))
		}
	}
}
