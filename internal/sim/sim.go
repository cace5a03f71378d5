// Package sim simulates a small or medium STARFACE call centre and writes the
// raw call-list rows (cdr.Entry) its calls would leave, following the row
// model of docs/interpretation.md to the letter. It is the project's test
// oracle and demo data source: every call comes with a Truth, what an
// interpretation of its rows should find.
//
// The output is a pure function of Config: the same seed gives the same rows
// on every machine (math/rand/v2's PCG, the embedded zone database, no
// global state, no floating-point operation whose result depends on the
// architecture). Generation streams: memory is bounded by the calls in
// progress and the follow-ups of the last 90 minutes, not by the length of
// the history.
//
// The simulation in short: inbound calls arrive as a Poisson process whose
// rate follows the hour of the day (peaks at 10:00 and 14:00, business hours
// Monday–Friday 08:00–18:00, few calls at night and on weekends). Each call
// goes to an iQueue, a ring-all group or an agent's direct number and runs
// through the scenarios of Mix. Agents are occupied while they talk, so busy
// agents do not ring, queues wait for a free agent, and a direct call to a
// talking agent is busy. Lost callers are called back or call again.
package sim

import (
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/starinsight/starinsight/cdr"
)

// Generate returns the call-list rows of the simulated period in the order
// the PBX appends them: by end time (callresulttime), with ids counting up
// from 1. All rows of a call share its callid; a call's rows may be
// interleaved with other calls' rows, as in a real export.
//
// Rows are produced as they are consumed; stopping the iteration stops the
// simulation.
func Generate(c Config) iter.Seq[cdr.Entry] {
	return func(yield func(cdr.Entry) bool) {
		var o outbox
		done := newGen(c).run(func(c *call) bool {
			// A call's rows end no earlier than it starts, and calls come
			// in order of start: no row ending before this call's start
			// can still appear.
			if !o.release(c.truth.Start.Unix(), yield) {
				return false
			}
			o.add(c)
			return true
		})
		if done {
			o.release(math.MaxInt64, yield)
		}
	}
}

// outbox holds generated rows until they are due, and numbers them in
// the order it releases them. It holds only the rows of calls still in
// progress, which bounds Generate's memory.
type outbox struct {
	pending heap[rowItem]
	seq     uint64
	id      int64
}

func (o *outbox) add(c *call) {
	if o.pending.less == nil {
		o.pending.less = rowBefore
	}
	for i := range c.rows {
		o.seq++
		o.pending.push(rowItem{end: c.rows[i].CallResultTime.Unix(), seq: o.seq, e: &c.rows[i]})
	}
}

// release yields, in order of end, the rows that end before the given Unix
// time, and reports false when yield stopped.
func (o *outbox) release(before int64, yield func(cdr.Entry) bool) bool {
	for o.pending.len() > 0 && o.pending.peek().end < before {
		it := o.pending.pop()
		o.id++
		e := *it.e
		e.ID = o.id
		if !yield(e) {
			return false
		}
	}
	return true
}

// Truths returns the ground truth of every call Generate writes for the same
// Config, in order of the calls' start (ties in generation order).
func Truths(c Config) iter.Seq[Truth] {
	return func(yield func(Truth) bool) {
		newGen(c).run(func(c *call) bool { return yield(c.truth) })
	}
}

// rowItem is a generated row waiting for its turn in the output.
type rowItem struct {
	end int64 // callresulttime, Unix seconds
	seq uint64
	e   *cdr.Entry
}

func rowBefore(a, b rowItem) bool { return a.end < b.end || (a.end == b.end && a.seq < b.seq) }

// call is one simulated call: its rows (ids not yet assigned) and its truth.
type call struct {
	rows  []cdr.Entry
	truth Truth
}

// followUp is a call that a generated call causes later: a recall or a
// callback of a lost caller, or a prebuilt consultation call.
type followUp struct {
	at       int64 // Unix seconds
	seq      uint64
	kind     followKind
	ep       entryPoint // recall: where the caller calls again; callback: whose agents call back
	party    int64      // the external party's index
	related  string
	prebuilt *call
}

type followKind uint8

const (
	followRecall followKind = iota + 1
	followCallback
	followPrebuilt
)

func followBefore(a, b *followUp) bool { return a.at < b.at || (a.at == b.at && a.seq < b.seq) }

// hourWeight is the relative arrival rate by local hour: a morning peak at
// 10:00, lunch, an afternoon peak at 14:00, about 5 % of the calls outside
// 08:00–18:00.
var hourWeight = [24]float64{
	0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.3,
	1.0, 1.6, 2.0, 1.7, 1.0, 1.4, 1.8, 1.5,
	1.2, 0.8, 0.25, 0.1, 0.06, 0.04, 0.03, 0.02,
}

var hourWeightSum = func() float64 {
	s := 0.0
	for _, w := range hourWeight {
		s += w
	}
	return s
}()

// gen is the state of one simulation run.
type gen struct {
	cfg     Config
	mix     Mix
	w       *world
	rng     *rand.Rand
	seed    uint64
	horizon int64     // end of the last day, Unix seconds
	busy    []int64   // per agent: on the phone or in after-call work until, Unix seconds
	paused  []int64   // per agent: group and iQueue memberships paused until, Unix seconds
	waiting [][]int64 // per iQueue: when each caller in it leaves, Unix seconds
	follow  heap[*followUp]
	seq     uint64
	pool    int64 // callers with an index below pool are returning customers

	// The arrival process, one hour at a time: a Poisson number of
	// arrivals, each at a uniform second of the hour. That is a Poisson
	// process with the hour's rate, drawn without math.Exp or math.Log
	// (see expNeg).
	arrivals []int64 // the current hour's arrivals, Unix seconds, sorted
	next     int     // index of the next arrival in arrivals
	hourEnd  int64
	dayEnd   int64
	day      int
	perCall  float64 // all calls per inbound call: 1 + Internal + Outbound
	idBuf    [36]byte
}

func newGen(c Config) *gen {
	c = c.normalized()
	g := &gen{
		cfg:     c,
		mix:     c.Mix,
		w:       newWorld(c),
		rng:     rand.New(rand.NewPCG(c.Seed, c.Seed^0x5354415246414345)), // "STARFACE"
		seed:    c.Seed,
		busy:    make([]int64, c.Agents),
		paused:  make([]int64, c.Agents),
		waiting: make([][]int64, c.IQueues),
		follow:  heap[*followUp]{less: followBefore},
		pool:    int64(max(100, 3*c.CallsPerDay)),
		perCall: 1 + max(0, c.Mix.Internal) + max(0, c.Mix.Outbound),
		day:     -1,
	}
	start := c.Start.Unix()
	g.hourEnd, g.dayEnd = start, start
	y, m, d := c.Start.Date()
	g.horizon = time.Date(y, m, d+c.Days, 0, 0, 0, 0, c.Location).Unix()
	return g
}

// run generates the calls in order of start and hands each to emit. It
// reports false when emit stopped it.
func (g *gen) run(emit func(*call) bool) bool {
	next, ok := g.nextArrival()
	for {
		var c *call
		switch {
		case g.follow.len() > 0 && (!ok || g.follow.peek().at <= next):
			c = g.followUp(g.follow.pop())
		case ok:
			c = g.fresh(next)
			next, ok = g.nextArrival()
		default:
			return true
		}
		if c != nil && !emit(c) {
			return false
		}
	}
}

// nextArrival returns the start of the next fresh call, whole seconds.
func (g *gen) nextArrival() (int64, bool) {
	for g.next >= len(g.arrivals) {
		if !g.nextHour() {
			return 0, false
		}
	}
	g.next++
	return g.arrivals[g.next-1], true
}

// nextHour draws the next hour's arrivals. Hours are absolute (3600 s) from
// local midnight, so DST days have 23 or 25 of them.
func (g *gen) nextHour() bool {
	hs := g.hourEnd
	if hs >= g.horizon {
		return false
	}
	if hs >= g.dayEnd {
		g.day++
		y, m, d := g.cfg.Start.Date()
		g.dayEnd = time.Date(y, m, d+g.day+1, 0, 0, 0, 0, g.cfg.Location).Unix()
	}
	g.hourEnd = min(hs+3600, g.dayEnd)
	t := time.Unix(hs, 0).In(g.cfg.Location)
	perDay := float64(g.cfg.CallsPerDay) * g.perCall
	switch t.Weekday() {
	case time.Saturday:
		perDay *= 0.06
	case time.Sunday:
		perDay *= 0.03
	}
	n := g.poisson(perDay * hourWeight[t.Hour()] / hourWeightSum * float64(g.hourEnd-hs) / 3600)
	g.arrivals, g.next = g.arrivals[:0], 0
	for range n {
		g.arrivals = append(g.arrivals, hs+g.rng.Int64N(g.hourEnd-hs))
	}
	slices.Sort(g.arrivals)
	return true
}

// poisson draws from a Poisson distribution with mean lambda by inversion,
// in chunks of at most 500 so that e^-chunk stays a normal float.
func (g *gen) poisson(lambda float64) int {
	n := 0
	for lambda > 0 {
		l := min(lambda, 500)
		lambda -= l
		p := expNeg(l)
		cdf, u := p, g.rng.Float64()
		for k := 1; u > cdf && k < 100_000; k++ {
			p = p * l / float64(k)
			cdf += p
			n++
		}
	}
	return n
}

// expNeg returns e^-x for x ≥ 0 with only correctly rounded operations, so
// that it gives the same bits on every architecture (math.Exp has
// architecture-specific assembly, and Go may fuse a multiply and an add into
// one FMA instruction on some architectures; float64() forbids that).
// Relative error below 1e-9 for x ≤ 500: plenty for a simulation.
func expNeg(x float64) float64 {
	k := 0
	for x > 0x1p-10 {
		x /= 2 // exact
		k++
	}
	// Taylor series of e^-x for x ≤ 2^-10: the next term is below 1e-21.
	y := 1 - float64(x*(1-float64(x*(0.5-float64(x*(1.0/6-float64(x*(1.0/24-x/120))))))))
	for range k {
		y *= y
	}
	return y
}

// open reports whether the call centre is staffed at t: Monday–Friday
// 08:00–18:00 local time. Outside, agents are logged out of groups and
// iQueues.
func (g *gen) open(t time.Time) bool {
	switch t.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	h := t.Hour()
	return h >= 8 && h < 18
}

// nextOpening returns t if the call centre is open then, else the next
// opening time.
func (g *gen) nextOpening(t time.Time) time.Time {
	for range 8 {
		if g.open(t) {
			return t
		}
		y, m, d := t.Date()
		if t.Hour() < 8 {
			t = time.Date(y, m, d, 8, 0, 0, 0, t.Location())
		} else {
			t = time.Date(y, m, d+1, 8, 0, 0, 0, t.Location())
		}
	}
	return t
}

// fresh generates a call of the arrival process: inbound, internal or
// outbound in the proportions of Mix.
func (g *gen) fresh(at int64) *call {
	t := g.time(at)
	r := g.rng.Float64() * g.perCall
	switch {
	case r < 1:
		party := int64(-1)
		if g.rng.Float64() >= g.mix.Withheld {
			party = g.customer()
		}
		return g.inbound(t, g.pickEntry(), party, OriginInbound, "")
	case r < 1+max(0, g.mix.Internal):
		return g.internal(t)
	}
	party := g.customer()
	if g.rng.IntN(10) < 4 {
		party = g.pool + g.rng.Int64N(1_000_000_000) // someone new
	}
	return g.outbound(t, party, -1, OriginOutbound, "")
}

// customer picks a returning caller. The distribution is skewed, so a few
// customers call many times and many call once or twice.
func (g *gen) customer() int64 {
	u := g.rng.Float64()
	return int64(float64(g.pool) * u * math.Sqrt(u)) // u^1.5
}

// followUp turns a due follow-up into its call (nil when nobody is free to
// make it).
func (g *gen) followUp(f *followUp) *call {
	t := g.time(f.at)
	switch f.kind {
	case followPrebuilt:
		return f.prebuilt
	case followRecall:
		return g.inbound(t, f.ep, f.party, OriginRecall, f.related)
	}
	// A callback is made by an agent of the target the caller was lost at.
	var cands []int
	switch f.ep.kind {
	case epQueue:
		cands = g.w.queues[f.ep.idx].members
	case epGroup:
		cands = g.w.groups[f.ep.idx].members
	case epUser:
		cands = []int{f.ep.idx}
	}
	return g.outbound(t, f.party, g.pickFree(cands, f.at, -1), OriginCallback, f.related)
}

// schedule queues a follow-up; recalls and callbacks after the simulated
// period are dropped.
func (g *gen) schedule(f *followUp) {
	if f.kind != followPrebuilt && f.at >= g.horizon {
		return
	}
	g.seq++
	f.seq = g.seq
	g.follow.push(f)
}

func (g *gen) time(unix int64) time.Time { return time.Unix(unix, 0).In(g.cfg.Location) }

// secs draws whole seconds uniformly from [lo, hi].
func (g *gen) secs(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + g.rng.IntN(hi-lo+1)
}

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

// talkQuantiles are the 0, 5, …, 100 % quantiles of the talk time in
// seconds: log-normal with median 150 s and σ 0.8, cut to 30 s–15 min.
// A table rather than math.Exp, whose last bit differs between
// architectures, keeps the output the same on every machine.
var talkQuantiles = [21]float64{30, 40, 54, 65, 77, 87, 99, 110, 122, 136, 150, 166, 184, 204, 228, 257, 294, 344, 418, 559, 900}

// talk draws a talk time, interpolating talkQuantiles.
func (g *gen) talk() int {
	x := g.rng.Float64() * 20
	i := int(x)
	// float64() rounds the product: Go may otherwise fuse the multiply
	// and add into one FMA instruction on some architectures only.
	return int(talkQuantiles[i] + float64((x-float64(i))*(talkQuantiles[i+1]-talkQuantiles[i])))
}

// agentRing draws how long an agent's phone rings before they answer:
// 2 to 20 s, median about 4 s: most answer quickly, a few are slow.
func (g *gen) agentRing() int {
	u := g.rng.Float64()
	return 2 + int(19*u*u*u)
}

// wrapUp is the after-call work during which an agent takes no call.
func (g *gen) wrapUp() int64 { return int64(g.secs(5, 60)) }

// free reports whether agent i's phone is free at unix time t.
func (g *gen) free(i int, t int64) bool { return g.busy[i] <= t }

// ready reports whether agent i takes group and iQueue calls at unix time
// t: free and not paused.
func (g *gen) ready(i int, t int64) bool { return g.busy[i] <= t && g.paused[i] <= t }

// occupy marks agent i busy until t plus after-call work; sometimes the
// agent then pauses their memberships (a break, paperwork), as STARFACE's
// queue pause does. Direct calls still ring during a pause.
func (g *gen) occupy(i int, until time.Time) {
	if i < 0 {
		return
	}
	g.busy[i] = max(g.busy[i], until.Unix()+g.wrapUp())
	if g.chance(g.mix.Pause) {
		g.paused[i] = max(g.paused[i], g.busy[i]+int64(g.secs(180, 1200)))
	}
}

// pickFree returns a free agent from cands (any agent if cands is empty),
// starting at a random position so that load spreads, or -1.
func (g *gen) pickFree(cands []int, t int64, exclude int) int {
	n := len(cands)
	if n == 0 {
		n = len(g.w.agents)
	}
	off := g.rng.IntN(n)
	for k := range n {
		i := (off + k) % n
		if len(cands) > 0 {
			i = cands[i]
		}
		if i != exclude && g.free(i, t) {
			return i
		}
	}
	return -1
}

// uuid returns a random UUID-shaped id (version 4 layout), the form of
// STARFACE's call and leg ids.
func (g *gen) uuid() string {
	const hexd = "0123456789abcdef"
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	hi = hi&^0xf000 | 0x4000 // version 4
	lo = lo&^(3<<62) | 2<<62 // variant 10
	b := &g.idBuf
	j := 0
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b[j] = '-'
			j++
		}
		var nib uint64
		if i < 16 {
			nib = hi >> (60 - 4*i) & 0xf
		} else {
			nib = lo >> (60 - 4*(i-16)) & 0xf
		}
		b[j] = hexd[nib]
		j++
	}
	return string(b[:])
}

// party returns the number and caller id of external party idx; withheld
// callers (idx < 0) have no number and show as "anonymous" or nothing.
func (g *gen) party(idx int64) (number string, cid cdr.CallerID) {
	if idx < 0 {
		if g.rng.IntN(10) < 6 {
			return "", cdr.ParseCallerID("anonymous")
		}
		return "", cdr.CallerID{}
	}
	number, name := externalParty(g.seed, uint64(idx))
	return number, cdr.CallerID{Name: name, Number: number}
}

// heap is a binary min-heap; a hand-made generic one keeps the hot row
// queue free of interface conversions.
type heap[T any] struct {
	s    []T
	less func(a, b T) bool
}

func (h *heap[T]) len() int { return len(h.s) }
func (h *heap[T]) peek() T  { return h.s[0] }

func (h *heap[T]) push(v T) {
	h.s = append(h.s, v)
	i := len(h.s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(h.s[i], h.s[p]) {
			break
		}
		h.s[i], h.s[p] = h.s[p], h.s[i]
		i = p
	}
}

func (h *heap[T]) pop() T {
	top := h.s[0]
	n := len(h.s) - 1
	h.s[0] = h.s[n]
	var zero T
	h.s[n] = zero
	h.s = h.s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.less(h.s[r], h.s[l]) {
			m = r
		}
		if !h.less(h.s[m], h.s[i]) {
			break
		}
		h.s[i], h.s[m] = h.s[m], h.s[i]
		i = m
	}
	return top
}
