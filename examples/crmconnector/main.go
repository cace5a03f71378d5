// Command crmconnector embeds starinsight in a CRM connector: every new
// lost caller — someone who called a group or iQueue, hung up unanswered
// and has not been reached since — becomes a follow-up task, posted as
// JSON to the CRM's webhook. Run it as often as you like (cron, a systemd
// timer): each lost caller becomes one task, across restarts, retries and
// crashes.
//
//	go run ./examples/crmconnector                    # two simulated days, tasks to a demo CRM
//	go run ./examples/crmconnector -folder /srv/exports -accounts accounts.csv \
//	    -webhook https://crm.example.com/hooks/starface -state /var/lib/crmconnector/state.json
//	STARINSIGHT_PSEUDO_KEY=… go run ./examples/crmconnector   # pseudonymised numbers
//
// It reads a folder of STARFACE CSV exports (without -folder, two
// simulated days), interprets the calls (package callflow), lists the lost
// callers (Reporter.LostCallers), and lets a live.Alerter with a
// LostCallerRule decide which are due; a live.Webhook posts them, each
// with its alert ID as Idempotency-Key. The Alerter's State and a cursor
// are saved in a small JSON state file after every run.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/starinsight/starinsight"
	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/pseudo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "crmconnector:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("crmconnector", flag.ContinueOnError)
	folder := fs.String("folder", "", "folder of STARFACE CSV exports (default: two simulated days)")
	accountsPath := fs.String("accounts", "", "accounts CSV (id;type;name;…) for -folder")
	site := fs.String("site", "pbx1", "the PBX's site name")
	tz := fs.String("tz", "Europe/Berlin", "time zone of the PBX")
	area := fs.String("area", "711", "the PBX's area code, for number normalisation")
	webhook := fs.String("webhook", "", "the CRM's webhook URL (default: an in-process demo CRM that prints the tasks)")
	authEnv := fs.String("auth-env", "CRM_AUTHORIZATION", "environment variable with an Authorization header value for the webhook, if any")
	secretEnv := fs.String("secret-env", "STARINSIGHT_WEBHOOK_SECRET", "environment variable with a secret to sign the requests with (HMAC-SHA256), if any")
	keyEnv := fs.String("key-env", "STARINSIGHT_PSEUDO_KEY", "environment variable with a pseudonymisation key (id:secret); unset: clear numbers")
	statePath := fs.String("state", "crmconnector-state.json", "state file: the cursor and the tasks already sent")
	after := fs.Duration("after", 15*time.Minute, "grace for a callback before a lost caller becomes a task")
	since := fs.Duration("since", 0, "only lost callers whose last attempt is at most this old (measured from the data's end); 0: all")
	attempts := fs.Int("attempts", live.DefaultWebhookAttempts, "attempts per task while the webhook fails")
	backoff := fs.Duration("backoff", live.DefaultWebhookBackoff, "first wait between attempts (doubling, at most 30 s)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("-tz %q: %w", *tz, err)
	}
	plan := cdr.GermanPlan(*area)
	if err := plan.Validate(); err != nil {
		return fmt.Errorf("-area %q: %w", *area, err)
	}

	// Clear or pseudonymised: the choice is written down either way, and
	// kept in the state file, because a task's ID depends on it.
	p, mode := pseudo.Clear(), "clear"
	if text := getenv(*keyEnv); text != "" {
		key, err := pseudo.ParseKey(text)
		if err != nil {
			return fmt.Errorf("$%s: %w", *keyEnv, err)
		}
		if p, err = pseudo.New(pseudo.WithKey(key), pseudo.WithNumberPlan(plan)); err != nil {
			return err
		}
		mode = "pseudonymised:" + key.ID()
	}
	st, err := loadState(*statePath)
	if err != nil {
		return err
	}
	switch {
	case st.Mode == "":
		st.Mode, st.Site = mode, *site
	case st.Mode != mode:
		// Other numbers make other task IDs: every lost caller would
		// become a task again.
		return fmt.Errorf("%s was written in mode %q, this run is %q: the task IDs would change and every task be sent again; use another -state file", *statePath, st.Mode, mode)
	case st.Site != *site:
		return fmt.Errorf("%s belongs to site %q, not %q; use another -state file", *statePath, st.Site, *site)
	}

	// The calls.
	dir, cleanup, accounts, err := exportsFolder(*folder, *accountsPath)
	if err != nil {
		return err
	}
	defer cleanup()
	read, err := readFolder(ctx, dir, *site, loc)
	if err != nil {
		return err
	}
	directory, err := cdr.NewDirectory(accounts...)
	if err != nil {
		return err
	}
	in, err := callflow.New(directory, callflow.WithNumberPlan(plan))
	if err != nil {
		return err
	}
	calls := in.InterpretAll(read.entries)
	rep, err := callflow.NewReporter(callflow.ReportConfig{Location: loc})
	if err != nil {
		return err
	}
	dataEnd := latestEnd(calls)
	// The folder is the clock: a lost caller is judged on what the exports
	// show, so a callback in the next export still counts. Never go back
	// in time, though, e.g. when old exports are cleaned away.
	now := dataEnd
	if st.Cursor.DataEnd.After(now) {
		now = st.Cursor.DataEnd
	}
	lost := rep.LostCallers(calls, dataEnd)
	if *since > 0 {
		lost = slices.DeleteFunc(lost, func(lc callflow.LostCaller) bool { return lc.Last.Before(dataEnd.Add(-*since)) })
	}
	// The lost callers leave the company here: conceal them first when
	// pseudonymising. The task IDs are then derived from pseudonyms.
	if lost, err = pseudo.Apply(p, lost); err != nil {
		return err
	}

	// The CRM.
	endpoint, crm := *webhook, (*demoCRM)(nil)
	var secret []byte
	if s := getenv(*secretEnv); s != "" {
		secret = []byte(s)
	}
	if endpoint == "" {
		crm = &demoCRM{secret: secret}
		srv := httptest.NewServer(crm)
		defer srv.Close()
		endpoint = srv.URL + "/tasks"
	}
	opts := []live.WebhookOption{live.WithWebhookRetry(*attempts, *backoff, max(*backoff, live.DefaultWebhookMaxBackoff))}
	if secret != nil {
		opts = append(opts, live.WithWebhookSecret(secret))
	}
	if v := getenv(*authEnv); v != "" {
		opts = append(opts, live.WithWebhookHeader("Authorization", v))
	}
	hook, err := live.NewWebhook(endpoint, opts...)
	if err != nil {
		return err
	}
	sent := 0
	notify := func(ctx context.Context, a live.Alert) error {
		if err := hook.Notify(ctx, a); err != nil {
			return err
		}
		sent++ // the Alerter delivers one alert after another
		return nil
	}
	alerter, err := live.NewAlerter(live.AlertRules{LostCaller: &live.LostCallerRule{After: *after, OutOfHours: true}}, notify)
	if err != nil {
		return err
	}
	if err := alerter.Restore(st.Alerter); err != nil {
		return fmt.Errorf("%s: %w", *statePath, err)
	}
	deliveryErr := alerter.LostCallers(ctx, now, lost)

	// Save what was sent even when some deliveries failed: those stay
	// unsent in the state and the next run sends them, with the same IDs.
	prev := st.Cursor.LastEntryID
	st.Cursor = cursor{LastEntryID: max(prev, read.lastID), DataEnd: now}
	st.Alerter = alerter.State()
	if err := saveState(*statePath, st); err != nil {
		return errors.Join(deliveryErr, err)
	}

	fmt.Fprintf(w, "read %d entries (%d new) from %d files in %s: %d calls up to %s\n",
		len(read.entries), read.newer(prev), read.files, dir, len(calls), dataEnd.In(loc).Format("2006-01-02 15:04"))
	if read.bad > 0 {
		fmt.Fprintf(w, "skipped %d unreadable rows, the first: %v\n", read.bad, read.firstBad)
	}
	fmt.Fprintf(w, "%s\n", summarise(lost))
	waiting, unsent := 0, 0
	for _, e := range st.Alerter.Episodes {
		if !e.Fired {
			if now.Sub(e.Since) < *after {
				waiting++
			} else {
				unsent++
			}
		}
	}
	fmt.Fprintf(w, "sent %d new follow-up tasks to %s (%s numbers); %d waiting for the %v grace; state in %s\n",
		sent, hook, modeWord(mode), waiting, *after, *statePath)
	if crm != nil {
		crm.print(w, loc)
	}
	if deliveryErr != nil {
		return fmt.Errorf("%d tasks not delivered, the next run sends them again: %w", unsent, deliveryErr)
	}
	return nil
}

func modeWord(mode string) string {
	if mode == "clear" {
		return "clear"
	}
	return "pseudonymised"
}

// summarise counts the lost-caller episodes by outcome.
func summarise(lost []callflow.LostCaller) string {
	n := map[callflow.LostCallerOutcome]int{}
	recovered := 0
	for _, lc := range lost {
		n[lc.Outcome]++
		if lc.Outcome.Recovered() {
			recovered++
		}
	}
	return fmt.Sprintf("%d lost-caller episodes: %d lost, %d pending, %d recovered, %d with a withheld number",
		len(lost), n[callflow.LostCallerLost], n[callflow.LostCallerPending], recovered, n[callflow.LostCallerUnrecoverable])
}

func latestEnd(calls []callflow.Call) time.Time {
	var end time.Time
	for i := range calls {
		if e := calls[i].Journey.End; e.After(end) {
			end = e
		}
	}
	return end
}

// state is the connector's memory between runs, one small JSON file. It
// holds no phone number: the Alerter keys lost callers by hash.
type state struct {
	Version int    `json:"version"`
	Site    string `json:"site"`
	// Mode is "clear" or "pseudonymised:<key id>": the task IDs depend on it.
	Mode    string            `json:"mode"`
	Cursor  cursor            `json:"cursor"`
	Alerter live.AlerterState `json:"alerter"`
}

// cursor is how far the connector has read: the newest entry id and the
// end of the data, which is the clock the lost callers are judged by.
type cursor struct {
	LastEntryID int64     `json:"lastEntryId"`
	DataEnd     time.Time `json:"dataEnd,omitzero"`
}

const stateVersion = 1

func loadState(path string) (state, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return state{Version: stateVersion}, nil
	}
	if err != nil {
		return state{}, err
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return state{}, fmt.Errorf("state file %s: %w", path, err)
	}
	if st.Version != stateVersion {
		return state{}, fmt.Errorf("state file %s: version %d, want %d", path, st.Version, stateVersion)
	}
	return st, nil
}

// saveState replaces the state file atomically: a crash leaves the old
// file or the new one, never half of one.
func saveState(path string, st state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("state file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("state file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	return nil
}

// folderRead is what one run read from the exports folder.
type folderRead struct {
	entries  []cdr.Entry
	files    int
	lastID   int64
	bad      int
	firstBad error
}

// newer counts the entries after the cursor.
func (r folderRead) newer(after int64) int {
	n := 0
	for i := range r.entries {
		if r.entries[i].ID > after {
			n++
		}
	}
	return n
}

// readFolder reads every export in dir. It reads them all, every run: the
// lost callers of the last days need their calls, and exports are small.
// A row that does not parse is counted and skipped.
func readFolder(ctx context.Context, dir, site string, loc *time.Location) (folderRead, error) {
	var r folderRead
	names, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil {
		return r, err
	}
	r.files = len(names)
	src, err := starinsight.NewFolderSource(dir, site, cdr.WithLocation(loc))
	if err != nil {
		return r, err
	}
	for e, err := range src.Entries(ctx, 0, 0) {
		if err != nil {
			var fe *starinsight.FileError
			if !errors.As(err, &fe) {
				return r, err // the folder itself, or ctx
			}
			if r.bad++; r.firstBad == nil {
				r.firstBad = err
			}
			continue
		}
		r.entries = append(r.entries, e)
		r.lastID = max(r.lastID, e.ID)
	}
	return r, nil
}

// exportsFolder returns the folder to read and the accounts; without a
// folder it writes two simulated days into a temporary one, which cleanup
// removes. The simulation is deterministic, so every demo run sees the
// same calls.
func exportsFolder(folder, accountsPath string) (string, func(), []cdr.Account, error) {
	if folder != "" {
		if accountsPath == "" {
			return "", nil, nil, errors.New("-folder needs -accounts")
		}
		f, err := os.Open(accountsPath)
		if err != nil {
			return "", nil, nil, err
		}
		defer f.Close()
		accounts, err := cdr.ReadAccountsCSV(f)
		if err != nil {
			return "", nil, nil, fmt.Errorf("%s: %w", accountsPath, err)
		}
		return folder, func() {}, accounts, nil
	}
	dir, err := os.MkdirTemp("", "crmconnector-exports-")
	if err != nil {
		return "", nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	cfg, err := demoConfig(2)
	if err != nil {
		cleanup()
		return "", nil, nil, err
	}
	if err := writeExports(dir, cfg); err != nil {
		cleanup()
		return "", nil, nil, err
	}
	return dir, cleanup, cfg.Accounts(), nil
}

// demoConfig is the simulated call centre, from Monday 2 March 2026.
func demoConfig(days int) (sim.Config, error) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return sim.Config{}, err
	}
	return sim.Config{Seed: 1, Start: time.Date(2026, 3, 2, 0, 0, 0, 0, loc), Days: days}, nil
}

// writeExports writes the simulated call list into dir, one export file
// per day, as a nightly export job drops them.
func writeExports(dir string, cfg sim.Config) error { return sim.WriteDailyExports(dir, cfg) }

// demoCRM is the receiving end the demo posts to: what a CRM's webhook
// handler does with the tasks. It checks the signature when there is a
// secret, and drops a task whose Idempotency-Key it has seen — a retry
// after a lost answer, or a restarted connector that had not saved its
// state — so each lost caller is one task.
type demoCRM struct {
	secret []byte

	mu         sync.Mutex
	seen       map[string]bool
	tasks      []live.Alert
	duplicates int
}

func (c *demoCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	if c.secret != nil && !live.VerifySignature(c.secret, body, r.Header.Get(live.SignatureHeader)) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var a live.Alert
	if err := json.Unmarshal(body, &a); err != nil || a.LostCaller == nil {
		http.Error(w, "not a lost-caller alert", http.StatusUnprocessableEntity)
		return
	}
	key := r.Header.Get(live.IdempotencyKeyHeader)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	if c.seen[key] {
		c.duplicates++
		w.WriteHeader(http.StatusOK) // already a task: acknowledge, create nothing
		return
	}
	c.seen[key] = true
	c.tasks = append(c.tasks, a)
	w.WriteHeader(http.StatusCreated)
}

// print lists the first tasks the demo CRM created.
func (c *demoCRM) print(w io.Writer, loc *time.Location) {
	c.mu.Lock()
	defer c.mu.Unlock()
	const show = 5
	for i, a := range c.tasks {
		if i == show {
			fmt.Fprintf(w, "  … and %d more\n", len(c.tasks)-show)
			break
		}
		lc := a.LostCaller
		last := lc.Attempts[len(lc.Attempts)-1]
		fmt.Fprintf(w, "  CRM task %s: call back %s — %d lost call(s), the last to group %d at %s, waited %v\n",
			a.ID[len(a.ID)-8:], lc.Number, len(lc.Attempts), last.GroupID,
			last.Start.In(loc).Format("Mon 15:04"), last.Wait.Round(time.Second))
	}
	if c.duplicates > 0 {
		fmt.Fprintf(w, "  (%d repeated deliveries dropped by Idempotency-Key)\n", c.duplicates)
	}
}
