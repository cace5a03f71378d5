// Command powerbi feeds a STARFACE PBX's calls and live state into Power BI
// push datasets, as the product does: it signs in with the device-code
// flow, provisions the historical and the live dataset (finding them when
// they exist), backfills the call list through an outbox kept in a local
// SQLite file, and uploads a round of live users and queues. With -fake
// everything runs offline, against the fake Power BI service of package
// powerbi/powerbitest and the fake PBX of package live/starfacetest.
//
//	go run ./examples/powerbi -fake                 # offline: a simulated week and a fake PBX
//	STARINSIGHT_PBX_PASSWORD=… go run ./examples/powerbi \
//	    -client-id 00000000-0000-0000-0000-000000000000 -tenant contoso.onmicrosoft.com \
//	    -exports /srv/exports -accounts accounts.csv -pbx https://pbx.example.com -pbx-login 0001
//
// Run it again at any time: the datasets are found, not created twice, and
// the backfill continues after the last call it stored in the outbox.
// With -follow it keeps going (new calls every 30 s, live data every 15 s)
// until Ctrl-C. Set STARINSIGHT_PSEUDO_KEY to upload pseudonyms instead of
// names and numbers; without it the data goes in clear, and the output says
// so.
package main

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the outbox's database

	"github.com/starinsight/starinsight"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/live/starfacetest"
	"github.com/starinsight/starinsight/powerbi"
	"github.com/starinsight/starinsight/powerbi/msalauth"
	"github.com/starinsight/starinsight/powerbi/powerbitest"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/sqlsink"
)

// The environment variables the example reads: secrets never go on the
// command line, where other users of the machine can see them.
const (
	keyEnv         = "STARINSIGHT_PSEUDO_KEY"
	pbxPasswordEnv = "STARINSIGHT_PBX_PASSWORD"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:], os.Getenv); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "powerbi:", err)
		os.Exit(1)
	}
}

// offline are the stand-ins -fake runs against. A nil field is made
// afresh; tests pass their own, to keep them across runs and to look at
// what they received.
type offline struct {
	powerBI *powerbitest.Service
	pbx     *starfacetest.PBX
}

// options are the command line's.
type options struct {
	fake, live, follow, uploadAccounts bool

	clientID, tenant, cloud, tokenCache, workspace string
	dataset, liveDataset                           string

	exports, accounts, site, tz string
	outbox                      string
	pause                       time.Duration

	pbxURL, pbxLogin string
}

func parse(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("powerbi", flag.ContinueOnError)
	fs.BoolVar(&o.fake, "fake", false, "run offline against a fake Power BI service and a fake PBX")
	fs.StringVar(&o.clientID, "client-id", "", "the app registration's client id (public client flows allowed)")
	fs.StringVar(&o.tenant, "tenant", "", "the tenant: its id or a verified domain (contoso.onmicrosoft.com)")
	fs.StringVar(&o.cloud, "cloud", "public", "Power BI cloud: public, usgov, usgovhigh, usgovdod or china")
	fs.StringVar(&o.tokenCache, "token-cache", "", "token cache file, kept 0600 (default: starinsight/powerbi-tokens.json in the user's config directory)")
	fs.StringVar(&o.workspace, "workspace", "", "workspace name, found or created (default: My workspace)")
	fs.StringVar(&o.dataset, "dataset", "STARFACE Insight", "the historical dataset's name")
	fs.StringVar(&o.liveDataset, "live-dataset", "STARFACE Insight Live", "the live dataset's name")
	fs.StringVar(&o.exports, "exports", "", "folder of STARFACE CSV exports to backfill (default: a simulated week)")
	fs.StringVar(&o.accounts, "accounts", "", "accounts CSV (id;type;name;…), required with -exports")
	fs.StringVar(&o.site, "site", "pbx1", "the PBX's site name")
	fs.StringVar(&o.tz, "tz", "Europe/Berlin", "time zone of the PBX")
	fs.StringVar(&o.outbox, "outbox", "powerbi-outbox.db", "SQLite file of the outbox and the backfill's cursor (with -fake: a temporary one)")
	fs.DurationVar(&o.pause, "pause", 30*time.Second, "backfill pace: the wait between chunks of 7,500 entries (with -fake: 0)")
	fs.BoolVar(&o.uploadAccounts, "upload-accounts", false, "upload the accounts again (done once when the dataset is created; each upload adds rows)")
	fs.BoolVar(&o.live, "live", true, "upload live users and queues too")
	fs.StringVar(&o.pbxURL, "pbx", "", "the PBX's base URL for live data (https://pbx.example.com); password in $"+pbxPasswordEnv)
	fs.StringVar(&o.pbxLogin, "pbx-login", "", "the PBX login ID for live data (an administrator reads every user's redirects)")
	fs.BoolVar(&o.follow, "follow", false, "after the backfill keep going: new calls and live data until Ctrl-C")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.fake {
		if !set["pause"] {
			o.pause = 0 // the fake keeps the quotas itself; no need to pace a demo
		}
		if !set["outbox"] {
			o.outbox = "" // a temporary file: a new fake knows nothing of an old outbox
		}
		return o, validateSource(o)
	}
	var missing []string
	if o.clientID == "" {
		missing = append(missing, "-client-id")
	}
	if o.tenant == "" {
		missing = append(missing, "-tenant")
	}
	if o.live && o.pbxURL == "" {
		missing = append(missing, "-pbx")
	}
	if o.live && o.pbxLogin == "" {
		missing = append(missing, "-pbx-login")
	}
	if len(missing) > 0 {
		return o, fmt.Errorf("without -fake the example needs %s (or -live=false for no live data); try -fake first", strings.Join(missing, ", "))
	}
	if o.pause < 0 {
		return o, errors.New("-pause must not be negative")
	}
	return o, validateSource(o)
}

func validateSource(o options) error {
	if o.exports != "" && o.accounts == "" {
		return errors.New("-exports needs -accounts: without them groups cannot be told from users")
	}
	return nil
}

func run(ctx context.Context, w io.Writer, args []string, getenv func(string) string) error {
	return runWith(ctx, w, args, getenv, &offline{})
}

func runWith(ctx context.Context, w io.Writer, args []string, getenv func(string) string, off *offline) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(o.tz)
	if err != nil {
		return fmt.Errorf("-tz %q: %w", o.tz, err)
	}
	p, key, privacy, err := pseudonymiser(getenv)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "privacy:", privacy)
	var pbxPassword string
	if o.live && !o.fake {
		if pbxPassword = getenv(pbxPasswordEnv); pbxPassword == "" {
			return fmt.Errorf("-pbx needs the password of -pbx-login in $%s", pbxPasswordEnv)
		}
	}

	// The call list to backfill, and the accounts.
	src, accounts, cleanup, err := historicalSource(o, loc)
	if err != nil {
		return err
	}
	defer cleanup()
	if o.outbox == "" {
		tmp, err := os.MkdirTemp("", "starinsight-powerbi-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		o.outbox = filepath.Join(tmp, "outbox.db")
	}

	// Sign in, and the client.
	client, err := signIn(ctx, w, o, off)
	if err != nil {
		return err
	}
	group := "" // My workspace
	if o.workspace != "" {
		g, created, err := client.FindOrCreateGroup(ctx, o.workspace)
		if err != nil {
			return fmt.Errorf("workspace %q: %w", o.workspace, err)
		}
		fmt.Fprintf(w, "workspace %q: %s\n", g.Name, foundOrCreated(created))
		group = g.ID
	}

	// The historical dataset and its backfill through the outbox.
	hist, err := historical(ctx, w, client, group, o, p, key, accounts)
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(o.outbox)+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return fmt.Errorf("-outbox: %w", err)
	}
	defer db.Close()
	ob, err := powerbi.NewOutbox(ctx, db, sqlsink.SQLite{})
	if err != nil {
		return fmt.Errorf("-outbox %s: %w", o.outbox, err)
	}
	sink, err := powerbi.NewPipelineSink(hist, ob, "cdr", powerbi.WithSendOnError(func(err error) {
		fmt.Fprintln(w, "warning: sending the outbox:", err)
	}))
	if err != nil {
		return err
	}
	dir, err := cdr.NewDirectory(accounts...)
	if err != nil {
		return fmt.Errorf("-accounts: %w", err)
	}
	backfill, err := starinsight.NewPipeline(
		[]starinsight.Site{{Source: src, Directory: dir}},
		[]starinsight.Target{{Sink: sink, Pseudonymiser: p, Chunk: 7500, Pause: o.pause}},
		starinsight.WithProgress(func(pr starinsight.Progress) {
			fmt.Fprintf(w, "backfill: %d entries, %d calls into the outbox, cursor at entry %d", pr.Entries, pr.Calls, pr.Cursor)
			if pr.CaughtUp {
				fmt.Fprint(w, ", caught up")
			}
			fmt.Fprintln(w)
		}),
		starinsight.WithOnError(func(site, sink string, err error) { fmt.Fprintf(w, "warning: %s → %s: %v\n", site, sink, err) }))
	if err != nil {
		return err
	}

	// The live dataset and its pipeline.
	var livePl *starinsight.LivePipeline
	var liveDone func() error
	if o.live {
		if livePl, liveDone, err = livePipeline(ctx, w, client, group, o, loc, p, pbxPassword, accounts, off); err != nil {
			return err
		}
	}

	if o.follow {
		return follow(ctx, w, backfill, livePl)
	}
	if err := backfill.Sync(ctx); err != nil {
		return err
	}
	res, err := sink.Send(ctx)
	if err != nil {
		return fmt.Errorf("sending the outbox (the rest stays in %s for the next run): %w", o.outbox, err)
	}
	fmt.Fprintf(w, "backfill: %d rows sent in %d requests (%d resent after no answer, %d throttles waited out)\n", res.Rows, res.Requests, res.Unsure, res.Throttles)
	reqs, rows, err := ob.Pending(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "outbox: %d requests (%d rows) waiting\n", reqs, rows)
	if livePl == nil {
		return nil
	}
	return liveDone()
}

// pseudonymiser returns the privacy policy: pseudonyms under the key in
// $STARINSIGHT_PSEUDO_KEY, or clear data, said out loud.
func pseudonymiser(getenv func(string) string) (*pseudo.Pseudonymiser, string, string, error) {
	text := getenv(keyEnv)
	if text == "" {
		return pseudo.Clear(), "clear", "names and numbers uploaded in clear (set " + keyEnv + " to upload pseudonyms)", nil
	}
	key, err := pseudo.ParseKey(text)
	if err != nil {
		return nil, "", "", fmt.Errorf("$%s: %w", keyEnv, err)
	}
	p, err := pseudo.New(pseudo.WithKey(key))
	if err != nil {
		return nil, "", "", err
	}
	return p, key.ID(), "pseudonymised with key " + key.ID(), nil
}

// signIn returns a Power BI client: on the fake service with -fake, else
// signed in with the device-code flow, once; later runs use the cached
// refresh token.
func signIn(ctx context.Context, w io.Writer, o options, off *offline) (*powerbi.Client, error) {
	if o.fake {
		if off.powerBI == nil {
			off.powerBI = powerbitest.New()
		}
		fmt.Fprintln(w, "sign-in: none needed (-fake: the fake Power BI service takes any token)")
		return powerbi.NewClient(powerbi.StaticToken("offline"), powerbi.WithHTTPClient(off.powerBI.Client()))
	}
	cloud, err := powerbi.ParseCloud(o.cloud)
	if err != nil {
		return nil, fmt.Errorf("-cloud: %w", err)
	}
	cache := o.tokenCache
	if cache == "" {
		cfg, err := os.UserConfigDir()
		if err != nil {
			return nil, fmt.Errorf("no config directory for the token cache (set -token-cache): %w", err)
		}
		cache = filepath.Join(cfg, "starinsight", "powerbi-tokens.json")
	}
	user, err := msalauth.NewDeviceCode(o.clientID,
		msalauth.WithTenant(o.tenant),
		msalauth.WithCloud(cloud),
		msalauth.WithCacheFile(cache),
		msalauth.WithPrompt(func(_ context.Context, pr msalauth.Prompt) error {
			// The PBX has no browser: the person signs in on any device.
			_, err := fmt.Fprintf(w, "sign-in: open %s and enter the code %s (before %s)\n", pr.VerificationURL, pr.UserCode, pr.ExpiresOn.Local().Format("15:04"))
			return err
		}))
	if err != nil {
		return nil, err
	}
	name, err := user.Account(ctx)
	if err != nil {
		return nil, err
	}
	if name == "" {
		if err := user.Login(ctx); err != nil {
			return nil, err
		}
		if name, err = user.Account(ctx); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(w, "sign-in: %s (tokens cached in %s)\n", name, cache)
	return powerbi.NewClient(user, powerbi.WithCloud(cloud))
}

func foundOrCreated(created bool) string {
	if created {
		return "created"
	}
	return "found"
}

// historical provisions the historical dataset and returns its uploader.
// The accounts go up when the dataset is created (or on -upload-accounts):
// POST rows only adds, so uploading them at every run would add them again.
func historical(ctx context.Context, w io.Writer, c *powerbi.Client, group string, o options, p *pseudo.Pseudonymiser, key string, accounts []cdr.Account) (*powerbi.Uploader, error) {
	h, err := powerbi.NewHistorical()
	if err != nil {
		return nil, err
	}
	def, err := h.Definition(o.dataset)
	if err != nil {
		return nil, err
	}
	prov, err := c.Provision(ctx, group, def, powerbi.RetentionNone)
	if err != nil {
		return nil, fmt.Errorf("dataset %q: %w", o.dataset, err)
	}
	fmt.Fprintf(w, "dataset %q: %s (id %s)\n", o.dataset, foundOrCreated(prov.Created), prov.Dataset.ID)
	u, err := powerbi.NewUploader(c, group, prov.Dataset.ID, powerbi.WithPseudonymiser(p))
	if err != nil {
		return nil, err
	}
	if prov.Created || o.uploadAccounts {
		res, err := u.Accounts(ctx, accounts)
		if err != nil {
			return nil, fmt.Errorf("uploading the accounts: %w", err)
		}
		if _, err := u.Constants(ctx, []powerbi.ConstantRow{
			{Site: o.site, Name: "time_zone", Value: o.tz},
			{Site: o.site, Name: "pseudonym_key", Value: key},
		}); err != nil {
			return nil, fmt.Errorf("uploading the constants: %w", err)
		}
		fmt.Fprintf(w, "accounts: %d uploaded\n", res.Rows[powerbi.TableAccounts])
	}
	return u, nil
}

// livePipeline provisions the live dataset and returns a live pipeline of
// the PBX into it, and the function that runs one round: it returns once
// a snapshot is uploaded, or with the first failure.
func livePipeline(ctx context.Context, w io.Writer, c *powerbi.Client, group string, o options, loc *time.Location,
	p *pseudo.Pseudonymiser, password string, accounts []cdr.Account, off *offline) (*starinsight.LivePipeline, func() error, error) {
	l, err := powerbi.NewLive()
	if err != nil {
		return nil, nil, err
	}
	def, err := l.Definition(o.liveDataset)
	if err != nil {
		return nil, nil, err
	}
	// basicFIFO: the live tables keep the newest 200,000 rows, whatever
	// happens to the cleanup.
	prov, err := c.Provision(ctx, group, def, powerbi.RetentionFIFO)
	if err != nil {
		return nil, nil, fmt.Errorf("dataset %q: %w", o.liveDataset, err)
	}
	fmt.Fprintf(w, "dataset %q: %s (id %s)\n", o.liveDataset, foundOrCreated(prov.Created), prov.Dataset.ID)
	u, err := powerbi.NewUploader(c, group, prov.Dataset.ID, powerbi.WithPseudonymiser(p))
	if err != nil {
		return nil, nil, err
	}

	var src live.Source
	if o.fake {
		if off.pbx == nil {
			off.pbx = fakePBX(accounts)
		}
		opts := []live.StarfaceOption{live.WithStarfaceHTTPClient(off.pbx.Client()), live.WithStarfaceSite(o.site), live.WithStarfaceLocation(loc)}
		logins := fakeLogins(accounts)
		for _, login := range logins[1:] {
			// UCI shows a user's own state only: one session each.
			opts = append(opts, live.WithUCIUser(login, fakePassword))
		}
		if len(logins) == 0 {
			return nil, nil, errors.New("-fake: the accounts have no user to log in to the fake PBX as")
		}
		if src, err = live.NewStarface("https://pbx.test", logins[0], fakePassword, opts...); err != nil {
			return nil, nil, err
		}
	} else {
		if src, err = live.NewStarface(o.pbxURL, o.pbxLogin, password, live.WithStarfaceSite(o.site), live.WithStarfaceLocation(loc)); err != nil {
			return nil, nil, fmt.Errorf("-pbx: %w", err)
		}
	}

	// One round: the first uploaded snapshot ends it, the first failure
	// too (-follow instead reports failures and lets the pipeline retry).
	roundCtx, cancel := context.WithCancel(ctx)
	var mu sync.Mutex
	var failure error
	pl, err := starinsight.NewLivePipeline(src,
		[]starinsight.LiveTarget{{Sink: starinsight.NewLivePowerBISink(u), Pseudonymiser: p}},
		starinsight.WithLiveProgress(func(d starinsight.LiveDelivery) {
			fmt.Fprintf(w, "live: %s → %s: %d users, %d queues\n", d.Job, d.Target, d.Users, d.Queues)
			if d.Job == live.JobSnapshot && !o.follow {
				cancel()
			}
		}),
		starinsight.WithLiveOnError(func(e *starinsight.LiveError) {
			fmt.Fprintf(w, "warning: live: %v (next attempt in %s)\n", e, e.RetryIn)
			if !o.follow {
				mu.Lock()
				if failure == nil {
					failure = e
				}
				mu.Unlock()
				cancel()
			}
		}))
	if err != nil {
		cancel()
		return nil, nil, err
	}
	once := func() error {
		defer cancel()
		err := pl.Run(roundCtx)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case failure != nil:
			return fmt.Errorf("live: %w", failure)
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.Canceled):
			return nil // the round is done
		}
		return err
	}
	return pl, once, nil
}

// follow runs the backfill's pipeline (which also sends the outbox) and the
// live pipeline side by side until ctx ends or one fails for good.
func follow(ctx context.Context, w io.Writer, backfill *starinsight.Pipeline, livePl *starinsight.LivePipeline) error {
	fmt.Fprintln(w, "following: new calls every 30 s, live data every 15 s; Ctrl-C stops (a restart continues where it stopped)")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	n := 1
	go func() { errs <- backfill.Run(ctx) }()
	if livePl != nil {
		n++
		go func() { errs <- livePl.Run(ctx) }()
	}
	var first error
	for range n {
		if err := <-errs; first == nil {
			first = err
			cancel() // one stopped: stop the other
		}
	}
	return first
}

// historicalSource returns the folder of exports to backfill and the
// accounts, or a simulated week in a temporary folder; the function
// removes what it made.
func historicalSource(o options, loc *time.Location) (starinsight.Source, []cdr.Account, func(), error) {
	nothing := func() {}
	if o.exports != "" {
		f, err := os.Open(o.accounts)
		if err != nil {
			return nil, nil, nothing, fmt.Errorf("-accounts: %w", err)
		}
		defer f.Close()
		accounts, err := cdr.ReadAccountsCSV(f)
		if err != nil {
			return nil, nil, nothing, fmt.Errorf("-accounts %s: %w", o.accounts, err)
		}
		src, err := starinsight.NewFolderSource(o.exports, o.site, cdr.WithLocation(loc))
		return src, accounts, nothing, err
	}
	dir, err := os.MkdirTemp("", "starinsight-exports-")
	if err != nil {
		return nil, nil, nothing, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	cfg, err := demoConfig(o.site)
	if err == nil {
		err = writeDemo(dir, cfg)
	}
	var src *starinsight.FolderSource
	if err == nil {
		src, err = starinsight.NewFolderSource(dir, o.site, cdr.WithLocation(cfg.Start.Location()))
	}
	if err != nil {
		cleanup()
		return nil, nil, nothing, err
	}
	return src, cfg.Accounts(), cleanup, nil
}

// demoConfig is the simulated week: a small call centre in Stuttgart, in
// the past so that every call is complete.
func demoConfig(site string) (sim.Config, error) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return sim.Config{}, err
	}
	return sim.Config{Seed: 1, Start: time.Date(2026, 3, 2, 0, 0, 0, 0, loc), Days: 7, Site: site}, nil
}

// writeDemo writes cfg's call list into dir, one export per day, as a
// nightly export job drops them.
func writeDemo(dir string, cfg sim.Config) error { return sim.WriteDailyExports(dir, cfg) }

// fakePassword is every fake PBX user's password.
const fakePassword = "demo"

// fakeLogins are the login IDs of the fake PBX's users, in the accounts'
// order: the account's login, or its id when it has none.
func fakeLogins(accounts []cdr.Account) []string {
	var logins []string
	for _, a := range accounts {
		if a.Type == cdr.AccountUser {
			logins = append(logins, cmp.Or(a.Login, strconv.FormatInt(int64(a.ID), 10)))
		}
	}
	return logins
}

// fakePBX is a PBX with the accounts' users and groups, in the middle of
// a working day: agents available, talking or ringing, one on do not
// disturb, callers waiting in the first queue. The first user is the
// administrator the example logs in as.
func fakePBX(accounts []cdr.Account) *starfacetest.PBX {
	pbx := starfacetest.New()
	var users, groups []int64
	logins := fakeLogins(accounts)
	for _, a := range accounts {
		id := int64(a.ID)
		switch a.Type {
		case cdr.AccountUser:
			first, family, _ := strings.Cut(a.Name, " ")
			pbx.AddUser(starfacetest.User{ID: id, Login: logins[len(users)], Password: fakePassword, FirstName: first, FamilyName: family,
				Extension: strconv.FormatInt(id%1000+100, 10), Admin: len(users) == 0})
			users = append(users, id)
		case cdr.AccountGroup, cdr.AccountIQueue:
			groups = append(groups, id)
		}
	}
	for _, a := range accounts {
		if a.Type == cdr.AccountGroup || a.Type == cdr.AccountIQueue {
			pbx.AddGroup(starfacetest.Group{ID: int64(a.ID), Name: a.Name, GroupID: strconv.FormatInt(int64(a.ID), 10)}, users...)
		}
	}
	states := []string{"AVAILABLE", "ACTIVE", "AVAILABLE", "RINGING", "QUEUE_PAUSE", "AVAILABLE"}
	for i, u := range users {
		pbx.SetUserState(u, starfacetest.UserState{TelephonyState: states[i%len(states)], ChatPresence: "online", DoNotDisturb: i == 4})
		for j, g := range groups {
			pbx.SetGroupLogin(g, u, (i+j)%3 != 0) // about two in three logged in
		}
	}
	if len(users) >= 4 && len(groups) > 0 {
		q := strconv.FormatInt(groups[len(groups)-1], 10) // an iQueue
		pbx.StartCall(starfacetest.Call{ID: "live-1", UserID: users[1], State: "CONNECTED", CallerName: "Erika Muster", CallerNumber: "+4971112345", GroupID: q})
		pbx.StartCall(starfacetest.Call{ID: "live-2", UserID: users[3], SeenBy: users[:3], State: "RINGING", CallerNumber: "+4989123456", GroupID: q})
		pbx.StartCall(starfacetest.Call{ID: "live-3", UserID: users[0], SeenBy: users[1:4], State: "INCOMING", CallerNumber: "+4930987654", GroupID: q})
	}
	return pbx
}
