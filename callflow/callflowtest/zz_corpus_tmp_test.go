package callflowtest

import "testing"

func TestTmpCorpus(t *testing.T) { Run(t, "../testdata/scenarios") }
