package callflow

import (
	"container/heap"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// DefaultGrace is how long after a call's newest timestamp the Assembler
// waits for more of its rows. STARFACE writes a row when that row's step
// ends, so after a forward or a transfer the next row of the same call can
// come as late as the rest of the conversation lasts: the grace must cover
// the longest talk that follows a step. An hour covers all but rare calls;
// the rest are re-emitted complete (FlagReopened).
const DefaultGrace = time.Hour

// DefaultRetention is how long after a call is due the Assembler remembers
// it, so that late rows complete it instead of starting a partial call.
// Rows of one call come within the call's own duration, so four hours
// covers all but marathon calls; a longer retention costs memory and
// garbage-collector time for every remembered call.
const DefaultRetention = 4 * time.Hour

// AssemblerOption configures an Assembler.
type AssemblerOption func(*Assembler)

// WithGrace sets how long after a call's newest timestamp the data must
// have moved on before the call counts as complete. Longer is safer for
// exports that write rows late; shorter emits sooner.
func WithGrace(d time.Duration) AssemblerOption { return func(a *Assembler) { a.grace = d } }

// WithRetention sets how long after a call's newest timestamp an emitted
// call is remembered (default DefaultRetention, at least the grace). Memory
// grows with the calls of this window.
func WithRetention(d time.Duration) AssemblerOption { return func(a *Assembler) { a.retention = d } }

// Assembler groups the rows of an incremental export into calls and emits
// each call once it can no longer change: when the watermark (the newest
// timestamp seen in the data, or a time passed to AdvanceTo) is at least the
// grace period past the call's newest timestamp. Memory is bounded by the
// calls still open plus the calls emitted within the retention window, not
// by the size of the export.
//
// A row that arrives for a call emitted within the retention window reopens
// it: the whole call is emitted again with FlagReopened, so consumers that
// upsert by call id end up with the complete call. A row later than that
// becomes a call of its own with FlagLateRows. The retention runs on the
// data's own clock, not on AdvanceTo's: an export read a day after the
// previous one still joins the calls that span both.
//
// An Assembler is not safe for concurrent use.
type Assembler struct {
	in        *Interpreter
	grace     time.Duration
	retention time.Duration
	watermark time.Time
	calls     map[string]*pending // open and remembered calls
	queue     pendingHeap         // open calls by newest timestamp
	// emitted lists emitted calls in the order they were emitted, roughly
	// the order they are due in: the head is forgotten first (a call behind
	// a later-due one waits for it, which only delays forgetting).
	emitted []emittedCall
	head    int // a.emitted[:head] are done with
	open    int
	scratch scratch
	// recent holds the newest timestamps of the last rows; the data moves
	// the watermark by their median, so one row with a wrong clock (a year
	// ahead) cannot make every later call look late.
	recent  [3]time.Time
	nrecent int
	// dataMark is the furthest the data clock has come. Lateness and
	// forgetting go by it, not by the watermark: AdvanceTo moves the
	// watermark to the wall clock when an export goes quiet, and the next
	// export, read hours later, must still join the calls that span both.
	dataMark time.Time
}

type pending struct {
	key    string
	rows   []cdr.Entry
	newest time.Time
	// due is when the call counts as quiet: its newest timestamp, or the
	// watermark when a row came in later than that (late rows get a full
	// grace period to be joined by the rest of their call).
	due   time.Time
	index int // in queue, while open
	open  bool
	gen   int // counts emissions, to skip stale entries of emitted
	flags Flag
	// buf holds the rows of most calls (one or two), so that a call costs
	// one allocation; more rows spill to the heap.
	buf [2]cdr.Entry
}

type emittedCall struct {
	p   *pending
	gen int
}

// NewAssembler returns an Assembler that interprets calls with in.
func NewAssembler(in *Interpreter, opts ...AssemblerOption) (*Assembler, error) {
	if in == nil {
		return nil, fmt.Errorf("callflow: NewAssembler: nil Interpreter")
	}
	a := &Assembler{in: in, grace: DefaultGrace, retention: DefaultRetention, calls: map[string]*pending{}}
	for _, o := range opts {
		o(a)
	}
	if a.grace < 0 {
		return nil, fmt.Errorf("callflow: NewAssembler: negative grace %v", a.grace)
	}
	if a.retention < a.grace {
		return nil, fmt.Errorf("callflow: NewAssembler: retention %v shorter than the grace %v", a.retention, a.grace)
	}
	return a, nil
}

// Open returns the number of calls waiting for more rows.
func (a *Assembler) Open() int { return a.open }

// Watermark returns the newest time the Assembler has seen.
func (a *Assembler) Watermark() time.Time { return a.watermark }

// Add adds one row and returns the calls it completed, if any (the row's
// times move the watermark).
func (a *Assembler) Add(e cdr.Entry) []Call {
	var out []Call
	a.add(e, func(c Call) { out = append(out, c) })
	sortCalls(out)
	return out
}

func (a *Assembler) add(e cdr.Entry, emit func(Call)) {
	key := callKey(&e)
	newest := latest(e.StartTime, e.RingingTime, e.LinkTime, e.CallResultTime)
	due := newest
	if a.watermark.After(due) {
		due = a.watermark
	}
	p := a.calls[key]
	switch {
	case p == nil:
		p = &pending{key: key, newest: newest, due: due}
		p.rows = p.buf[:0:len(p.buf)]
		if !a.dataMark.IsZero() && !newest.Add(a.retention).After(a.dataMark) {
			// Older than anything we still remember: it cannot be
			// joined to rows of its call that came before.
			p.flags |= FlagLateRows
		}
		a.calls[key] = p
		a.reopen(p)
	case !p.open:
		if hasRow(p.rows, &e) {
			// The same row exported again: nothing changes (L12).
			a.advance(a.dataClock(newest), emit)
			return
		}
		// Emitted already: late rows complete it, and it is emitted again.
		p.flags |= FlagReopened
		p.due = due
		a.reopen(p)
	}
	p.rows = append(p.rows, e)
	if newest.After(p.newest) {
		p.newest = newest
	}
	if due.After(p.due) {
		p.due = due
		heap.Fix(&a.queue, p.index)
	}
	a.advance(a.dataClock(newest), emit)
}

// dataClock records a row's newest timestamp and returns the median of the
// last few: the time the data itself says it is. It moves dataMark.
func (a *Assembler) dataClock(t time.Time) time.Time {
	m := a.median(t)
	if m.After(a.dataMark) {
		a.dataMark = m
	}
	return m
}

func (a *Assembler) median(t time.Time) time.Time {
	a.recent[a.nrecent%len(a.recent)] = t
	a.nrecent++
	x, y, z := a.recent[0], a.recent[1], a.recent[2]
	switch a.nrecent {
	case 1:
		return x
	case 2:
		return earliest(x, y) // the lower median: never ahead of the data
	}
	// The median of three, without sorting.
	if x.After(y) {
		x, y = y, x
	}
	if y.After(z) {
		y = z
	}
	if x.After(y) {
		return x
	}
	return y
}

func hasRow(rows []cdr.Entry, e *cdr.Entry) bool {
	want := inUTC(*e)
	for i := range rows {
		if inUTC(rows[i]) == want {
			return true
		}
	}
	return false
}

// inUTC returns e with its times in UTC, so that == compares instants: a
// row read again, or restored from an AssemblerState, may carry another
// *time.Location for the same instant.
func inUTC(e cdr.Entry) cdr.Entry {
	e.StartTime, e.RingingTime, e.LinkTime, e.CallResultTime = e.StartTime.UTC(), e.RingingTime.UTC(), e.LinkTime.UTC(), e.CallResultTime.UTC()
	return e
}

// callKey is the key of the call a row belongs to: the site and the callid
// (two PBXs may reuse ids), or the row's own id when it has no callid.
func callKey(e *cdr.Entry) string {
	if e.CallID == "" {
		return e.Site + "\x00\x00entry:" + strconv.FormatInt(e.ID, 10)
	}
	if e.Site == "" {
		return e.CallID
	}
	return e.Site + "\x00" + e.CallID
}

func (a *Assembler) reopen(p *pending) {
	p.open = true
	p.gen++
	a.open++
	heap.Push(&a.queue, p)
}

// AdvanceTo moves the watermark to now (if later) and returns the calls
// completed by it. Pass the wall clock when the export has gone quiet.
func (a *Assembler) AdvanceTo(now time.Time) []Call {
	var out []Call
	a.advance(now, func(c Call) { out = append(out, c) })
	sortCalls(out)
	return out
}

func (a *Assembler) advance(now time.Time, emit func(Call)) {
	if now.After(a.watermark) {
		a.watermark = now
	}
	for len(a.queue) > 0 && !a.queue[0].due.Add(a.grace).After(a.watermark) {
		p := heap.Pop(&a.queue).(*pending)
		a.close(p)
		emit(a.emit(p))
	}
	// Forget emitted calls once the retention has passed on the data
	// clock: a row of the call can no longer come in time.
	for a.head < len(a.emitted) {
		ec := a.emitted[a.head]
		if ec.gen == ec.p.gen && !ec.p.open {
			if ec.p.newest.Add(a.retention).After(a.dataMark) {
				break
			}
			delete(a.calls, ec.p.key)
		}
		a.emitted[a.head] = emittedCall{}
		a.head++
	}
	// Compact now and then, not on every row: the queue can be long.
	if a.head > 1024 && a.head > len(a.emitted)/2 {
		a.emitted = append(a.emitted[:0], a.emitted[a.head:]...)
		a.head = 0
	}
}

func (a *Assembler) close(p *pending) {
	p.open = false
	a.open--
	if a.retention > 0 {
		a.emitted = append(a.emitted, emittedCall{p, p.gen})
	} else {
		delete(a.calls, p.key)
	}
}

// Flush emits every open call, complete or not, e.g. at the end of a file.
func (a *Assembler) Flush() []Call {
	var out []Call
	a.flush(func(c Call) { out = append(out, c) })
	sortCalls(out)
	return out
}

func (a *Assembler) flush(emit func(Call)) {
	for len(a.queue) > 0 {
		p := heap.Pop(&a.queue).(*pending)
		a.close(p)
		emit(a.emit(p))
	}
}

func (a *Assembler) emit(p *pending) Call {
	c := a.in.interpret(p.rows, &a.scratch)
	if p.flags != 0 {
		c.Journey.Flags |= p.flags
		for i := range c.Legs {
			c.Legs[i].Flags |= p.flags
		}
	}
	return c
}

// Calls interprets a stream of rows, such as cdr.ReadCSV returns, and yields
// each call as soon as it is complete, then the rest at the end. Errors
// from the stream are passed on with a zero Call and the stream goes on;
// the consumer decides whether to stop. A row that came with an error but
// has an id and a callid (a reader keeps what parsed of a bad row) is still
// interpreted, so one bad value does not turn a call into a missed one.
func (in *Interpreter) Calls(rows iter.Seq2[cdr.Entry, error], opts ...AssemblerOption) iter.Seq2[Call, error] {
	return func(yield func(Call, error) bool) {
		a, err := NewAssembler(in, opts...)
		if err != nil {
			yield(Call{}, err)
			return
		}
		// Calls completed by one row are yielded after it was added, in
		// the order they completed.
		var ready []Call
		collect := func(c Call) { ready = append(ready, c) }
		for e, err := range rows {
			if err != nil {
				if !yield(Call{}, err) {
					return
				}
				if e.ID == 0 || e.CallID == "" {
					continue
				}
				// The reader kept what parsed of a bad row: interpret it
				// rather than lose the row (the bad fields are zero and
				// repaired or flagged like any other gap).
			}
			ready = ready[:0]
			a.add(e, collect)
			for _, c := range ready {
				if !yield(c, nil) {
					return
				}
			}
		}
		ready = ready[:0]
		a.flush(collect)
		for _, c := range ready {
			if !yield(c, nil) {
				return
			}
		}
	}
}

// pendingHeap orders calls by when they are due, then key.
type pendingHeap []*pending

func (h pendingHeap) Len() int { return len(h) }
func (h pendingHeap) Less(i, j int) bool {
	if c := h[i].due.Compare(h[j].due); c != 0 {
		return c < 0
	}
	return h[i].key < h[j].key
}
func (h pendingHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *pendingHeap) Push(x any) {
	p := x.(*pending)
	p.index = len(*h)
	*h = append(*h, p)
}
func (h *pendingHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return p
}
