// Command live shows a STARFACE PBX's queues and agents as they are now,
// refreshed in the terminal: callers waiting and connected per group, and
// per agent the telephony state, group login, DND, forwarding and the
// current call. By default it watches a fake PBX (package
// live/starfacetest) with calls it simulates itself, so it runs offline.
//
//	go run ./examples/live                 # the simulated PBX, refreshed every 2 s
//	go run ./examples/live -once           # one refresh, then exit
//	STARFACE_PASSWORD=… go run ./examples/live -url https://pbx.example.com -login 0001 \
//	    -uci 0002:secret -uci 0003:secret  # a real PBX
//
// The terminal is cleared before each refresh only when stdout is a
// terminal; piped into a file or another program, each refresh is
// printed after the last.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/live"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:], os.Getenv); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "live:", err)
		os.Exit(1)
	}
}

// uciUsers is the repeatable -uci flag.
type uciUsers [][2]string

func (u *uciUsers) String() string { return fmt.Sprint(len(*u), " users") }

func (u *uciUsers) Set(v string) error {
	login, password, ok := strings.Cut(v, ":")
	if !ok || login == "" || password == "" {
		return errors.New("want LOGIN:PASSWORD")
	}
	*u = append(*u, [2]string{login, password})
	return nil
}

func run(ctx context.Context, w io.Writer, args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("live", flag.ContinueOnError)
	url := fs.String("url", "", "the PBX's base URL, https://pbx.example.com (default: a simulated PBX)")
	login := fs.String("login", "", "the login ID to read the PBX with (an administrator sees every user's forwarding)")
	password := fs.String("password", "", "its password (default: $STARFACE_PASSWORD)")
	var uci uciUsers
	fs.Var(&uci, "uci", "LOGIN:PASSWORD of a user whose live state to show (repeatable): the UCI shows a user's calls and group logins only to that user")
	tz := fs.String("tz", "Europe/Berlin", "time zone of the PBX")
	site := fs.String("site", "", "the PBX's site name, for a multi-PBX set-up")
	every := fs.Duration("every", 0, "time between refreshes (default 15 s for a PBX, 2 s for the simulation)")
	once := fs.Bool("once", false, "print one refresh and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("-tz %q: %w", *tz, err)
	}
	cfg := watchConfig{every: *every, once: *once, loc: loc, term: isTerminal(w)}
	var src *live.Starface
	if *url == "" {
		d := newDemo(loc, 1)
		if src, err = d.source(*site); err != nil {
			return err
		}
		cfg.title = "simulated PBX"
		cfg.after = func(int) { d.step() } // the simulation moves on between refreshes
		if cfg.every == 0 {
			cfg.every = 2 * time.Second
		}
	} else {
		if *password == "" {
			*password = getenv("STARFACE_PASSWORD")
		}
		if *login == "" || *password == "" {
			return errors.New("-url needs -login and -password (or $STARFACE_PASSWORD)")
		}
		opts := []live.StarfaceOption{live.WithStarfaceLocation(loc), live.WithStarfaceSite(*site)}
		for _, u := range uci {
			opts = append(opts, live.WithUCIUser(u[0], u[1]))
		}
		if src, err = live.NewStarface(*url, *login, *password, opts...); err != nil {
			return err
		}
		cfg.title = src.Host()
	}
	if cfg.every == 0 {
		cfg.every = live.DefaultSnapshotInterval
	}
	defer func() {
		// Log the UCI sessions out, even after Ctrl-C.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = src.Close(ctx)
	}()
	return watch(ctx, w, src, cfg)
}

// watchConfig says how to show the refreshes.
type watchConfig struct {
	title string
	every time.Duration
	once  bool
	loc   *time.Location
	term  bool // clear the screen before each refresh
	// after, if set, runs after refresh n (from 1) is printed.
	after func(n int)
}

// watch polls src every cfg.every and prints each snapshot, until ctx
// ends (it then returns ctx's error) or, with cfg.once, after the first
// refresh. A failed poll is shown and retried with the Poller's back-off;
// with cfg.once it is returned.
func watch(ctx context.Context, w io.Writer, src live.Source, cfg watchConfig) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := errors.New("done")
	n := 0
	// The Poller calls the source and these functions from the snapshot
	// job's goroutine, one after the other: they need no lock.
	ps := &partialSource{Source: src}
	p, err := live.NewPoller(ps,
		live.WithInterval(live.JobSnapshot, cfg.every),
		live.WithMaxBackoff(live.JobSnapshot, max(cfg.every, time.Minute)),
		live.OnSnapshot(func(_ context.Context, users []live.UserState, queues []live.QueueState) error {
			n++
			if cfg.term {
				fmt.Fprint(w, "\x1b[H\x1b[2J") // home, clear
			} else if n > 1 {
				fmt.Fprintln(w)
			}
			if err := render(w, cfg, n, users, queues, ps.take()); err != nil {
				return live.Fatal(err) // stdout is gone
			}
			if cfg.once {
				cancel(done)
			} else if cfg.after != nil {
				cfg.after(n)
			}
			return nil
		}),
		live.OnError(func(_ live.Job, err error, retryIn time.Duration) {
			if cfg.once {
				cancel(err)
				return
			}
			fmt.Fprintf(w, "refresh failed, retrying in %v: %v\n", retryIn, err)
		}),
	)
	if err != nil {
		return err
	}
	err = p.Run(ctx)
	if cause := context.Cause(ctx); cause == done {
		return nil
	} else if cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

// render prints one refresh: a header, the queues, the agents.
func render(w io.Writer, cfg watchConfig, n int, users []live.UserState, queues []live.QueueState, partial []error) error {
	at := time.Now()
	if len(users) > 0 {
		at = users[0].At
	}
	mode := fmt.Sprintf("refresh %d, every %v", n, cfg.every)
	if cfg.once {
		mode = "once"
	}
	if _, err := fmt.Fprintf(w, "STARFACE %s · %s · %s\n\n", cfg.title, at.In(cfg.loc).Format("2006-01-02 15:04:05"), mode); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "QUEUE\tID\tWAITING\tCONNECTED\tMEMBERS\tREADY")
	for _, q := range queues {
		members, ready := 0, 0
		for _, u := range users {
			if slices.Contains(u.GroupIDs, q.AccountID) {
				members++
				if u.LoggedIn && u.Telephony == live.TelephonyAvailable && !u.DND {
					ready++
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", q.Name, q.AccountID, q.WaitingCalls, q.ConnectedCalls, members, ready)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tID\tSTATE\tGROUPS\tLOGIN\tFLAGS\tCALL")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n",
			u.Name, u.AccountID, orDash(string(u.Telephony)), groups(u.GroupIDs), yesNo(u.LoggedIn, "in", "out"), flags(u), call(u))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, err := range partial {
		if _, err := fmt.Fprintf(w, "incomplete: %v\n", err); err != nil {
			return err
		}
	}
	return nil
}

// partialSource shows what a PBX returns even when part of it failed.
// Starface's Users and Queues return every state they could read and the
// failures (a redirect the login may not read, a UCI session that
// failed); the Poller would drop such a snapshot whole, so the failures
// are kept aside and printed under the tables instead. Only a failure
// without states (the PBX unreachable, a wrong password) fails the poll.
type partialSource struct {
	live.Source
	errs []error
}

func (s *partialSource) Users(ctx context.Context) ([]live.UserState, error) {
	users, err := s.Source.Users(ctx)
	return users, s.keep(ctx, users != nil, err)
}

func (s *partialSource) Queues(ctx context.Context) ([]live.QueueState, error) {
	queues, err := s.Source.Queues(ctx)
	return queues, s.keep(ctx, queues != nil, err)
}

func (s *partialSource) keep(ctx context.Context, got bool, err error) error {
	if err == nil || !got || ctx.Err() != nil {
		return err
	}
	s.errs = append(s.errs, err)
	return nil
}

// take returns the failures kept since the last call.
func (s *partialSource) take() []error {
	errs := s.errs
	s.errs = nil
	return errs
}

func orDash(s string) string {
	if s == "" {
		return "-" // no UCI session for this user
	}
	return s
}

func groups(ids []cdr.AccountID) string {
	if len(ids) == 0 {
		return "-"
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(int64(id), 10)
	}
	return strings.Join(s, ",")
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func flags(u live.UserState) string {
	var f []string
	if u.DND {
		f = append(f, "DND")
	}
	if u.AlwaysForward {
		f = append(f, "FWD")
	}
	if len(f) == 0 {
		return "-"
	}
	return strings.Join(f, ",")
}

// call shows the current call's state and talk time, not the caller: a
// wallboard has no need for the number.
func call(u live.UserState) string {
	switch {
	case u.CallState == "":
		return "-"
	case u.CallState == live.CallConnected:
		return string(u.CallState) + " " + u.Talk.Round(time.Second).String()
	}
	return string(u.CallState)
}

// isTerminal reports whether w is a terminal (a character device), the
// only place where clearing the screen makes sense.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
