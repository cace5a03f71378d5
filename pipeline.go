package starinsight

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/pseudo"
)

// Sink is where a pipeline delivers calls: a SQL database (NewSQLSink), or
// any store that can keep the calls and the pipeline's state in one
// atomic step. A sink keeps one state per site.
type Sink interface {
	// Name names the sink in logs and progress reports.
	Name() string
	// Resume returns the cursor and state the last Deliver stored for
	// site (0 and nil before the first).
	Resume(ctx context.Context, site string) (cursor int64, state []byte, err error)
	// Deliver stores calls, the cursor and state atomically: after a
	// crash the sink holds either all of them or none.
	Deliver(ctx context.Context, site string, calls []callflow.Call, cursor int64, state []byte) error
}

// BackgroundSink is a Sink with work of its own while a pipeline runs
// (powerbi.PipelineSink sends its outbox). Run runs Background for each
// such sink, until its context ends.
type BackgroundSink interface {
	Sink
	Background(ctx context.Context) error
}

// PacedSink is a Sink with a pace of its own for catching up: a target
// that leaves Chunk and Pause zero takes it. powerbi.PipelineSink's is the
// product's 7,500 entries per 30 s.
type PacedSink interface {
	Sink
	Pace() (chunk int, pause time.Duration)
}

// Site is one PBX: its call list and its accounts.
type Site struct {
	Source    Source
	Directory *cdr.Directory
	// Options configure the call interpretation (number plan, …).
	Options []callflow.Option
}

// Target is one sink of a pipeline, with its own privacy policy and pace.
type Target struct {
	Sink Sink
	// Pseudonymiser conceals every entry before it is assembled into
	// calls, so that neither the calls nor the state the sink keeps hold
	// clear personal data (interpreting concealed rows equals concealing
	// the interpretation, pinned by package pseudo's tests). Required:
	// pseudo.Clear() is the written-down choice of clear data.
	Pseudonymiser *pseudo.Pseudonymiser
	// Chunk is the most entries read per delivery (default 7,500, the
	// product's backfill step, or the sink's Pace).
	Chunk int
	// Pause is the wait between two chunks while catching up (default 0,
	// or the sink's Pace: 30 s for Power BI).
	Pause time.Duration
}

// Progress is a lane's state after a delivery.
type Progress struct {
	Site, Sink string
	Cursor     int64
	Entries    int64         // entries read this run
	Calls      int64         // calls delivered this run
	Total      int64         // entries after the cursor at the start of the run; -1 unknown
	Rate       float64       // entries per second this run
	ETA        time.Duration // -1 unknown
	CaughtUp   bool          // the source had nothing more
}

// PipelineOption configures a Pipeline.
type PipelineOption func(*Pipeline) error

// WithPoll sets the wait between reads once a lane has caught up (default
// 30 s, the product's).
func WithPoll(d time.Duration) PipelineOption {
	return func(p *Pipeline) error {
		if d <= 0 {
			return fmt.Errorf("starinsight: WithPoll(%v): must be positive", d)
		}
		p.poll = d
		return nil
	}
}

// WithProgress calls f after every delivery.
func WithProgress(f func(Progress)) PipelineOption {
	return func(p *Pipeline) error { p.progress = f; return nil }
}

// WithPipelineLogger logs deliveries (debug), row errors and retries
// (warn). Default: nothing is logged.
func WithPipelineLogger(l *slog.Logger) PipelineOption {
	return func(p *Pipeline) error {
		if l != nil {
			p.log = l
		}
		return nil
	}
}

// WithOnError calls f for every row the source could not read and every
// failed delivery (which the pipeline retries).
func WithOnError(f func(site, sink string, err error)) PipelineOption {
	return func(p *Pipeline) error { p.onError = f; return nil }
}

// WithAssembler sets the call assembler's options (grace, retention).
func WithAssembler(opts ...callflow.AssemblerOption) PipelineOption {
	return func(p *Pipeline) error { p.asmOpts = opts; return nil }
}

// WithClock sets the clock that closes calls once the source has gone
// quiet (default time.Now).
func WithClock(now func() time.Time) PipelineOption {
	return func(p *Pipeline) error { p.now = now; return nil }
}

// Pipeline carries the call lists of one or more PBXs (sites) into one or
// more sinks, and keeps going: each pair of site and sink is a lane with
// its own cursor, call assembler and state, stored by the sink with the
// calls it covers. A lane stopped at any moment (kill -9 included) and
// started again continues exactly where its sink's last delivery left
// it, and the sink ends up with what an uninterrupted run leaves.
type Pipeline struct {
	lanes    []*lane
	poll     time.Duration
	progress func(Progress)
	log      *slog.Logger
	onError  func(site, sink string, err error)
	asmOpts  []callflow.AssemblerOption
	now      func() time.Time
}

type lane struct {
	p      *Pipeline
	site   Site
	target Target
	in     *callflow.Interpreter
	name   string // site → sink, for logs
}

// NewPipeline returns a pipeline of every site into every target.
func NewPipeline(sites []Site, targets []Target, opts ...PipelineOption) (*Pipeline, error) {
	p := &Pipeline{poll: 30 * time.Second, log: slog.New(slog.DiscardHandler), now: time.Now}
	var errs []error
	for _, o := range opts {
		if err := o(p); err != nil {
			errs = append(errs, err)
		}
	}
	if len(sites) == 0 || len(targets) == 0 {
		errs = append(errs, errors.New("starinsight: NewPipeline: needs at least one site and one target"))
	}
	seen := map[string]bool{}
	for i, s := range sites {
		if s.Source == nil || s.Directory == nil {
			errs = append(errs, fmt.Errorf("starinsight: NewPipeline: site %d: needs a Source and a Directory", i))
			continue
		}
		if seen[s.Source.Site()] {
			errs = append(errs, fmt.Errorf("starinsight: NewPipeline: site %q twice: every PBX needs its own site name", s.Source.Site()))
		}
		seen[s.Source.Site()] = true
	}
	for i, t := range targets {
		if t.Sink == nil {
			errs = append(errs, fmt.Errorf("starinsight: NewPipeline: target %d: nil Sink", i))
		}
		if t.Pseudonymiser == nil {
			errs = append(errs, fmt.Errorf("starinsight: NewPipeline: target %d: no privacy choice: set Pseudonymiser (pseudo.Clear() for clear data)", i))
		}
		if t.Chunk < 0 || t.Pause < 0 {
			errs = append(errs, fmt.Errorf("starinsight: NewPipeline: target %d: negative Chunk or Pause", i))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, s := range sites {
		for _, t := range targets {
			if ps, ok := t.Sink.(PacedSink); ok && t.Chunk == 0 && t.Pause == 0 {
				t.Chunk, t.Pause = ps.Pace()
			}
			if t.Chunk <= 0 {
				t.Chunk = 7500
			}
			in, err := callflow.New(s.Directory, s.Options...)
			if err != nil {
				return nil, fmt.Errorf("starinsight: NewPipeline: site %q: %w", s.Source.Site(), err)
			}
			p.lanes = append(p.lanes, &lane{p: p, site: s, target: t, in: in, name: s.Source.Site() + " → " + t.Sink.Name()})
		}
	}
	return p, nil
}

// laneState is what a sink keeps for a lane, as JSON.
type laneState struct {
	Version   int                     `json:"version"`
	Assembler callflow.AssemblerState `json:"assembler"`
}

// Run runs every lane until ctx ends: catching up in chunks, then reading
// new entries every poll interval. Failed deliveries are reported and
// retried with growing pauses (1 s up to 5 min); Run returns ctx's error,
// or an error no retry can fix (a state this version cannot read).
func (p *Pipeline) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errc := make(chan error, 2*len(p.lanes)) // a lane and a background job each
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	started := map[Sink]bool{}
	for _, l := range p.lanes {
		wg.Go(func() {
			if err := l.run(ctx, false); err != nil && ctx.Err() == nil {
				errc <- err
				cancel()
			}
		})
		if b, ok := l.target.Sink.(BackgroundSink); ok && !started[l.target.Sink] {
			started[l.target.Sink] = true
			wg.Go(func() {
				if err := b.Background(ctx); err != nil && ctx.Err() == nil {
					errc <- fmt.Errorf("starinsight: %s: %w", b.Name(), err)
					cancel()
				}
			})
		}
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	return ctx.Err()
}

// Sync brings every lane up to date once and returns: every entry there
// is now is delivered, and the calls that can no longer change are closed
// by the clock. For jobs run by a scheduler, and for tests.
func (p *Pipeline) Sync(ctx context.Context) error {
	var errs []error
	for _, l := range p.lanes {
		if err := l.run(ctx, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// errFatal marks errors no retry can fix.
type errFatal struct{ err error }

func (e errFatal) Error() string { return e.err.Error() }
func (e errFatal) Unwrap() error { return e.err }

func (l *lane) run(ctx context.Context, once bool) error {
	p := l.p
	site, sink := l.site.Source.Site(), l.target.Sink.Name()
	failures := 0
	var cursor int64
	var asm *callflow.Assembler
	start := time.Now()
	var read, delivered int64
	total := int64(-1)
	for {
		if asm == nil {
			var err error
			cursor, asm, err = l.resume(ctx)
			if err != nil {
				var fe errFatal
				if errors.As(err, &fe) || once {
					return err
				}
				if err := l.retry(ctx, &failures, err); err != nil {
					return err
				}
				continue
			}
			if c, ok := l.site.Source.(Counter); ok && total < 0 {
				if n, err := c.Count(ctx, cursor); err == nil {
					total = n
				}
			}
		}
		n, next, calls, err := l.chunk(ctx, asm, cursor)
		caughtUp := err == nil && n < l.target.Chunk
		if err == nil && caughtUp {
			calls = append(calls, asm.AdvanceTo(p.now())...)
		}
		if err == nil && (len(calls) > 0 || next != cursor) {
			err = l.deliver(ctx, calls, next, asm)
		}
		if err != nil {
			// The assembler has taken rows the sink did not store: start
			// again from the sink's state.
			asm = nil
			if once {
				return err
			}
			if err := l.retry(ctx, &failures, err); err != nil {
				return err
			}
			continue
		}
		failures = 0
		read += int64(n)
		delivered += int64(len(calls))
		cursor = next
		if p.progress != nil {
			pr := Progress{Site: site, Sink: sink, Cursor: cursor, Entries: read, Calls: delivered, Total: total, ETA: -1, CaughtUp: caughtUp}
			if el := time.Since(start).Seconds(); el > 0 {
				pr.Rate = float64(read) / el
				if total >= 0 && pr.Rate > 0 {
					pr.ETA = time.Duration(float64(max(total-read, 0)) / pr.Rate * float64(time.Second))
				}
			}
			p.progress(pr)
		}
		if caughtUp && once {
			return nil
		}
		wait := l.target.Pause
		if caughtUp {
			wait = p.poll
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// resume loads the lane's state from its sink.
func (l *lane) resume(ctx context.Context) (int64, *callflow.Assembler, error) {
	cursor, raw, err := l.target.Sink.Resume(ctx, l.site.Source.Site())
	if err != nil {
		return 0, nil, fmt.Errorf("starinsight: %s: resuming: %w", l.name, err)
	}
	var st laneState
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &st); err != nil {
			return 0, nil, errFatal{fmt.Errorf("starinsight: %s: the stored state is not readable: %w", l.name, err)}
		}
		if st.Version != 1 {
			return 0, nil, errFatal{fmt.Errorf("starinsight: %s: the stored state has version %d; this SDK reads version 1", l.name, st.Version)}
		}
	}
	asm, err := callflow.RestoreAssembler(l.in, st.Assembler, l.p.asmOpts...)
	if err != nil {
		return 0, nil, errFatal{fmt.Errorf("starinsight: %s: %w", l.name, err)}
	}
	return cursor, asm, nil
}

// chunk reads up to a chunk of entries after cursor into asm and returns
// how many it read, the new cursor and the calls they completed.
func (l *lane) chunk(ctx context.Context, asm *callflow.Assembler, cursor int64) (int, int64, []callflow.Call, error) {
	var entries []cdr.Entry
	next := cursor
	for e, err := range l.site.Source.Entries(ctx, cursor, l.target.Chunk) {
		if err != nil {
			if e.ID == 0 && ctx.Err() != nil {
				return 0, cursor, nil, ctx.Err()
			}
			l.report(fmt.Errorf("starinsight: %s: %w", l.name, err))
			if e.ID == 0 {
				var pe *cdr.ParseError
				var fe *FileError
				if !errors.As(err, &pe) && !errors.As(err, &fe) {
					// Not a row: the source failed.
					return 0, cursor, nil, fmt.Errorf("starinsight: %s: reading: %w", l.name, err)
				}
				continue
			}
			if e.CallID == "" {
				next = max(next, e.ID)
				continue // nothing to join it to; reported
			}
		}
		if e.ID <= next && e.ID != 0 {
			continue // a source must yield ids in ascending order
		}
		next = max(next, e.ID)
		entries = append(entries, e)
	}
	if err := ctx.Err(); err != nil {
		return 0, cursor, nil, err
	}
	concealed, err := pseudo.Apply(l.target.Pseudonymiser, entries)
	if err != nil {
		return 0, cursor, nil, errFatal{fmt.Errorf("starinsight: %s: %w", l.name, err)}
	}
	var calls []callflow.Call
	for _, e := range concealed {
		calls = append(calls, asm.Add(e)...)
	}
	return len(entries), next, calls, nil
}

func (l *lane) deliver(ctx context.Context, calls []callflow.Call, cursor int64, asm *callflow.Assembler) error {
	raw, err := json.Marshal(laneState{Version: 1, Assembler: asm.State()})
	if err != nil {
		return errFatal{fmt.Errorf("starinsight: %s: encoding the state: %w", l.name, err)}
	}
	if err := l.target.Sink.Deliver(ctx, l.site.Source.Site(), calls, cursor, raw); err != nil {
		return fmt.Errorf("starinsight: %s: delivering %d calls up to entry %d: %w", l.name, len(calls), cursor, err)
	}
	l.p.log.LogAttrs(ctx, slog.LevelDebug, "starinsight: delivered", slog.String("lane", l.name), slog.Int("calls", len(calls)), slog.Int64("cursor", cursor))
	return nil
}

func (l *lane) report(err error) {
	l.p.log.LogAttrs(context.Background(), slog.LevelWarn, "starinsight: row not read", slog.String("lane", l.name), slog.String("error", err.Error()))
	if l.p.onError != nil {
		l.p.onError(l.site.Source.Site(), l.target.Sink.Name(), err)
	}
}

// retry reports err and waits before the next attempt: 1 s, 2 s, 4 s …
// 5 min.
func (l *lane) retry(ctx context.Context, failures *int, err error) error {
	var fe errFatal
	if errors.As(err, &fe) {
		return err
	}
	l.report(err)
	wait := min(time.Second<<min(*failures, 9), 5*time.Minute)
	*failures++
	return sleep(ctx, wait)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
