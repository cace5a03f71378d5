package callflow_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/starinsight/starinsight/callflow"
)

// A call with late rows is stored under its own id, beside the complete
// call it belongs to; every other call is left as it is.
func ExampleKeepLateRowsApart() {
	late := callflow.Call{
		Journey: callflow.Journey{CallID: "c1", Flags: callflow.FlagLateRows},
		Legs:    []callflow.Leg{{CallID: "c1", Seq: 0}},
	}
	kept := callflow.KeepLateRowsApart(late)
	fmt.Println(kept.Journey.CallID, kept.Legs[0].CallID, late.Legs[0].CallID)
	fmt.Println(callflow.KeepLateRowsApart(callflow.Call{Journey: callflow.Journey{CallID: "c2"}}).Journey.CallID)
	// Output:
	// c1#late c1#late c1
	// c2
}

func TestKeepLateRowsApart(t *testing.T) {
	late := callflow.Call{
		Journey: callflow.Journey{CallID: "c1", Site: "s", Flags: callflow.FlagLateRows | callflow.FlagReopened},
		Legs:    []callflow.Leg{{CallID: "c1", Site: "s", Seq: 0}, {CallID: "c1", Site: "s", Seq: 1}},
	}
	orig := late
	orig.Legs = append([]callflow.Leg(nil), late.Legs...)
	once := callflow.KeepLateRowsApart(late)
	if diff := cmp.Diff(orig, late); diff != "" {
		t.Errorf("the argument changed (-want +got):\n%s", diff)
	}
	want := callflow.Call{
		Journey: callflow.Journey{CallID: "c1#late", Site: "s", Flags: late.Journey.Flags},
		Legs:    []callflow.Leg{{CallID: "c1#late", Site: "s", Seq: 0}, {CallID: "c1#late", Site: "s", Seq: 1}},
	}
	if diff := cmp.Diff(want, once); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(once, callflow.KeepLateRowsApart(once)); diff != "" {
		t.Errorf("applied twice (-want +got):\n%s", diff)
	}
}
