package callflow

import (
	"container/heap"
	"errors"
	"fmt"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// AssemblerState is everything an Assembler holds: the rows of the calls
// still open, the calls it still remembers (to join late rows), and the
// data's clock. A pipeline stores it with its cursor, in the same
// transaction as the calls emitted so far; an Assembler restored from it
// (RestoreAssembler) and fed the rows after the cursor emits exactly what
// the first one would have emitted had it never stopped. It marshals to
// JSON (entries as cdr.WriteJSON writes them).
type AssemblerState struct {
	Watermark time.Time       `json:"watermark,omitzero"`
	DataMark  time.Time       `json:"dataMark,omitzero"` // the furthest the data clock came; zero in states of SDKs before it: the watermark
	Recent    []time.Time     `json:"recent,omitempty"`  // the data clock's last timestamps, oldest first
	Calls     []AssemblerCall `json:"calls,omitempty"`   // open calls, then remembered ones in the order they were emitted
	Version   int             `json:"version"`
}

// AssemblerCall is one call an Assembler holds.
type AssemblerCall struct {
	Rows   []cdr.Entry `json:"rows"`
	Newest time.Time   `json:"newest"`
	Due    time.Time   `json:"due"`
	Open   bool        `json:"open,omitempty"`
	Flags  Flag        `json:"flags,omitempty"`
}

// assemblerStateVersion is the format of AssemblerState; a state of
// another version is refused, not misread.
const assemblerStateVersion = 1

// State returns what the Assembler holds, for RestoreAssembler. The rows
// are copies; the Assembler can go on.
func (a *Assembler) State() AssemblerState {
	st := AssemblerState{Watermark: a.watermark, DataMark: a.dataMark, Version: assemblerStateVersion}
	n := min(a.nrecent, len(a.recent))
	for i := range n {
		// Oldest first: the slot after the newest, when the ring is full.
		st.Recent = append(st.Recent, a.recent[(a.nrecent-n+i)%len(a.recent)])
	}
	add := func(p *pending) {
		st.Calls = append(st.Calls, AssemblerCall{
			Rows: append([]cdr.Entry(nil), p.rows...), Newest: p.newest, Due: p.due, Open: p.open, Flags: p.flags,
		})
	}
	// Open calls in the order they are due (the heap's order is not
	// stable across restores; this one is).
	open := append(pendingHeap(nil), a.queue...)
	sortPending(open)
	for _, p := range open {
		add(p)
	}
	for _, ec := range a.emitted[a.head:] {
		if ec.gen == ec.p.gen && !ec.p.open {
			add(ec.p)
		}
	}
	return st
}

func sortPending(ps pendingHeap) {
	// Insertion sort by (due, key): the open calls are few.
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps.Less(j, j-1); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// ErrAssemblerState is wrapped by RestoreAssembler's errors.
var ErrAssemblerState = errors.New("callflow: invalid assembler state")

// RestoreAssembler returns an Assembler holding st, as State returned it,
// with the options of the Assembler that returned it (a different grace
// or retention is allowed, and applies from now on).
func RestoreAssembler(in *Interpreter, st AssemblerState, opts ...AssemblerOption) (*Assembler, error) {
	a, err := NewAssembler(in, opts...)
	if err != nil {
		return nil, err
	}
	if st.Version == 0 && len(st.Calls) == 0 && st.Watermark.IsZero() && len(st.Recent) == 0 {
		return a, nil // the zero state: a fresh Assembler
	}
	if st.Version != assemblerStateVersion {
		return nil, fmt.Errorf("%w: version %d, this SDK reads version %d", ErrAssemblerState, st.Version, assemblerStateVersion)
	}
	if len(st.Recent) > len(a.recent) {
		return nil, fmt.Errorf("%w: %d recent timestamps, at most %d", ErrAssemblerState, len(st.Recent), len(a.recent))
	}
	a.watermark = st.Watermark
	a.dataMark = st.DataMark
	if a.dataMark.IsZero() {
		a.dataMark = st.Watermark // as those SDKs forgot calls
	}
	copy(a.recent[:], st.Recent)
	a.nrecent = len(st.Recent)
	for i, c := range st.Calls {
		if len(c.Rows) == 0 {
			return nil, fmt.Errorf("%w: call %d has no rows", ErrAssemblerState, i)
		}
		key := callKey(&c.Rows[0])
		for j := range c.Rows[1:] {
			if k := callKey(&c.Rows[j+1]); k != key {
				return nil, fmt.Errorf("%w: call %d mixes rows of calls %q and %q", ErrAssemblerState, i, key, k)
			}
		}
		if _, dup := a.calls[key]; dup {
			return nil, fmt.Errorf("%w: call %q twice", ErrAssemblerState, key)
		}
		p := &pending{key: key, newest: c.Newest, due: c.Due, flags: c.Flags}
		p.rows = append(p.buf[:0:len(p.buf)], c.Rows...)
		a.calls[key] = p
		if c.Open {
			p.open = true
			p.gen = 1
			a.open++
			heap.Push(&a.queue, p)
		} else {
			p.gen = 1
			a.emitted = append(a.emitted, emittedCall{p, p.gen})
		}
	}
	return a, nil
}
