package powerbi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/pseudo"
)

// Uploader posts the SDK's records to one push dataset: through the
// Pseudonymiser, encoded and checked by the dataset's schemas, split into
// requests of at most 10,000 rows, and sent within the dataset's quotas
// (a Quota). A 429 makes the whole dataset wait its Retry-After, then the
// same rows are sent again: a throttled request added nothing, so no row
// is lost and none doubled. Create it with NewUploader; its methods are
// safe for concurrent use (the Quota keeps them within the limits).
type Uploader struct {
	c        *Client
	group    string
	dataset  string
	quota    *Quota
	pseudo   *pseudo.Pseudonymiser
	hist     *Historical
	live     *Live
	log      *slog.Logger
	retries  int
	progress func(Progress)
}

// UploaderOption configures an Uploader.
type UploaderOption func(*Uploader) error

// WithPseudonymiser sets the privacy policy every record goes through. It
// is required: pass pseudo.Clear() to upload clear data, a choice someone
// then wrote down.
func WithPseudonymiser(p *pseudo.Pseudonymiser) UploaderOption {
	return func(u *Uploader) error { u.pseudo = p; return nil }
}

// WithQuota shares a dataset's Quota between uploaders (several
// processes' worth of uploads to one dataset must share one). Default: a
// Quota of DefaultLimits of its own.
func WithQuota(q *Quota) UploaderOption {
	return func(u *Uploader) error {
		if q == nil {
			return errors.New("powerbi: WithQuota: nil Quota")
		}
		u.quota = q
		return nil
	}
}

// WithUploadLogger logs each request's outcome at debug level and each
// throttle at warn level.
func WithUploadLogger(l *slog.Logger) UploaderOption {
	return func(u *Uploader) error {
		if l != nil {
			u.log = l
		}
		return nil
	}
}

// WithRetries sets how often a request that certainly added nothing (a
// sign-in hiccup, a refused connection) is tried again before the upload
// fails; throttles (429) are always waited out, within the context.
// Default 5.
func WithRetries(n int) UploaderOption {
	return func(u *Uploader) error {
		if n < 0 {
			return fmt.Errorf("powerbi: WithRetries(%d): not negative", n)
		}
		u.retries = n
		return nil
	}
}

// WithProgress calls f after every request the service acknowledged.
func WithProgress(f func(Progress)) UploaderOption {
	return func(u *Uploader) error { u.progress = f; return nil }
}

// Progress is an upload's state after a request.
type Progress struct {
	Table     string
	Posted    int // rows acknowledged so far, in this call
	Total     int // rows of this call
	Throttles int
}

// ErrNoPseudonymiser is returned by NewUploader without WithPseudonymiser.
var ErrNoPseudonymiser = errors.New("powerbi: no privacy choice: pass WithPseudonymiser(p) with p from pseudo.New, or pseudo.Clear() to upload clear data")

// NewUploader returns an uploader to dataset datasetID of workspace group
// ("" is My workspace).
func NewUploader(c *Client, group, datasetID string, opts ...UploaderOption) (*Uploader, error) {
	u := &Uploader{c: c, group: group, dataset: datasetID, retries: 5, log: slog.New(slog.DiscardHandler)}
	var errs []error
	for _, o := range opts {
		if err := o(u); err != nil {
			errs = append(errs, err)
		}
	}
	if c == nil {
		errs = append(errs, errors.New("powerbi: NewUploader: nil Client"))
	}
	if datasetID == "" {
		errs = append(errs, errors.New("powerbi: NewUploader: empty dataset id (Provision returns it)"))
	}
	if u.pseudo == nil {
		errs = append(errs, ErrNoPseudonymiser)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var err error
	if u.quota == nil {
		if u.quota, err = NewQuota(DefaultLimits()); err != nil {
			return nil, err
		}
	}
	if u.hist, err = NewHistorical(); err != nil {
		return nil, err
	}
	if u.live, err = NewLive(); err != nil {
		return nil, err
	}
	return u, nil
}

// Quota returns the uploader's quota.
func (u *Uploader) Quota() *Quota { return u.quota }

// UploadResult counts what an upload did.
type UploadResult struct {
	Rows      map[string]int // rows acknowledged, per table
	Requests  int            // POST rows requests acknowledged
	Throttles int            // 429s waited out
	Truncated map[string]int // strings cut to 4,000 characters, per "table.column"
}

func (r *UploadResult) add(o UploadResult) {
	if r.Rows == nil {
		r.Rows = map[string]int{}
	}
	for k, v := range o.Rows {
		r.Rows[k] += v
	}
	r.Requests += o.Requests
	r.Throttles += o.Throttles
	for k, v := range o.Truncated {
		if r.Truncated == nil {
			r.Truncated = map[string]int{}
		}
		r.Truncated[k] += v
	}
}

// UploadError is a failed upload: the table, the rows of the request that
// failed (from FirstRow, Rows of them, counted in the call's rows), how
// many rows of the call were acknowledged before it, and whether the
// failed request may have added its rows anyway (Unsure: after a timeout
// or a 5xx, POST rows may or may not have been applied).
type UploadError struct {
	Table    string
	FirstRow int
	Rows     int
	Posted   int
	Unsure   bool
	Err      error
}

func (e *UploadError) Error() string {
	unsure := ""
	if e.Unsure {
		unsure = "; the service may have added them anyway"
	}
	return fmt.Sprintf("powerbi: upload to %s: rows %d to %d not added (%d before them were)%s: %v",
		e.Table, e.FirstRow, e.FirstRow+e.Rows-1, e.Posted, unsure, e.Err)
}

func (e *UploadError) Unwrap() error { return e.Err }

// Calls uploads the legs of calls to CDR_Summary.
func (u *Uploader) Calls(ctx context.Context, calls []callflow.Call) (UploadResult, error) {
	calls, err := pseudo.Apply(u.pseudo, calls)
	if err != nil {
		return UploadResult{}, err
	}
	var rows []LegRow
	for i := range calls {
		for j := range calls[i].Legs {
			rows = append(rows, NewLegRow(&calls[i].Legs[j]))
		}
	}
	return upload(ctx, u, u.hist.Legs, rows)
}

// Accounts uploads accounts to accounts, and to Group_Call_Account
// (groups and iQueues) or User_Call_Account (users).
func (u *Uploader) Accounts(ctx context.Context, accounts []cdr.Account) (UploadResult, error) {
	accounts, err := pseudo.Apply(u.pseudo, accounts)
	if err != nil {
		return UploadResult{}, err
	}
	var all []AccountRow
	var groups, users []CallAccountRow
	for i := range accounts {
		a := &accounts[i]
		all = append(all, NewAccountRow(a))
		if a.Type.IsGroup() {
			groups = append(groups, NewCallAccountRow(a))
		} else {
			users = append(users, NewCallAccountRow(a))
		}
	}
	var res UploadResult
	for _, step := range []func() (UploadResult, error){
		func() (UploadResult, error) { return upload(ctx, u, u.hist.Accounts, all) },
		func() (UploadResult, error) { return upload(ctx, u, u.hist.GroupCallAccounts, groups) },
		func() (UploadResult, error) { return upload(ctx, u, u.hist.UserCallAccounts, users) },
	} {
		r, err := step()
		res.add(r)
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// Constants uploads rows of constants (they hold no personal data).
func (u *Uploader) Constants(ctx context.Context, rows []ConstantRow) (UploadResult, error) {
	return upload(ctx, u, u.hist.Constants, rows)
}

// Live uploads a snapshot of users and of groups / iQueues to the live
// dataset's tables.
func (u *Uploader) Live(ctx context.Context, users []live.UserState, queues []live.QueueState) (UploadResult, error) {
	users, err := pseudo.Apply(u.pseudo, users)
	if err != nil {
		return UploadResult{}, err
	}
	queues, err = pseudo.Apply(u.pseudo, queues)
	if err != nil {
		return UploadResult{}, err
	}
	urows := make([]LiveUserRow, len(users))
	for i := range users {
		urows[i] = NewLiveUserRow(&users[i])
	}
	qrows := make([]LiveQueueRow, len(queues))
	for i := range queues {
		qrows[i] = NewLiveQueueRow(&queues[i])
	}
	res, err := upload(ctx, u, u.live.Users, urows)
	if err != nil {
		return res, err
	}
	r, err := upload(ctx, u, u.live.Queues, qrows)
	res.add(r)
	return res, err
}

// DeleteLive deletes every row of the live tables (the product does it
// every 20 minutes, so the live dataset stays small).
func (u *Uploader) DeleteLive(ctx context.Context) error {
	for _, t := range []string{TableLiveUsers, TableLiveQueues} {
		if err := u.deleteRows(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

func (u *Uploader) deleteRows(ctx context.Context, table string) error {
	for attempt := 0; ; attempt++ {
		_, err := u.c.DeleteRows(ctx, u.group, u.dataset, table)
		if err == nil {
			u.quota.SetTableRows(table, 0)
			return nil
		}
		var te *ThrottledError
		if errors.As(err, &te) {
			u.quota.ThrottledAt(u.c.now(), te.Until.Sub(u.c.now()))
			if err := sleepUntil(ctx, u.c.now, te.Until); err != nil {
				return fmt.Errorf("powerbi: deleting the rows of %s: %w", table, err)
			}
			continue
		}
		if attempt < u.retries && Retryable(err) {
			if err := sleepCtx(ctx, backoff(attempt)); err != nil {
				return err
			}
			continue // deleting twice deletes the same: idempotent
		}
		return err
	}
}

// upload sends rows of one table.
func upload[T any](ctx context.Context, u *Uploader, s *Schema[T], rows []T) (UploadResult, error) {
	res := UploadResult{Rows: map[string]int{}}
	table := s.Name()
	per := min(MaxRowsPerPost, u.quota.Limits().RowsPerPost)
	for from := 0; from < len(rows); from += per {
		to := min(from+per, len(rows))
		enc, rep, err := s.Encode(rows[from:to])
		if err != nil {
			return res, &UploadError{Table: table, FirstRow: from, Rows: to - from, Posted: res.Rows[table], Err: err}
		}
		for col, n := range rep.Truncated {
			if res.Truncated == nil {
				res.Truncated = map[string]int{}
			}
			res.Truncated[table+"."+col] += n
		}
		if err := u.post(ctx, table, enc, &res); err != nil {
			return res, &UploadError{Table: table, FirstRow: from, Rows: to - from, Posted: res.Rows[table], Unsure: !SafeToRetry(err), Err: err}
		}
		if u.progress != nil {
			u.progress(Progress{Table: table, Posted: res.Rows[table], Total: len(rows), Throttles: res.Throttles})
		}
	}
	return res, nil
}

// post sends one request's rows within the quota, waiting out throttles.
func (u *Uploader) post(ctx context.Context, table string, rows EncodedRows, res *UploadResult) error {
	return u.postHooked(ctx, table, rows, res, nil)
}

// sendHooks are called around each attempt: sending right before the
// request goes, notApplied when it certainly added nothing (a 429, a
// failure before sending).
type sendHooks struct {
	sending    func() error
	notApplied func()
}

func (u *Uploader) postHooked(ctx context.Context, table string, rows EncodedRows, res *UploadResult, h *sendHooks) error {
	failures := 0
	for {
		r, err := u.quota.Wait(ctx, table, rows.Len())
		if err != nil {
			return err
		}
		if h != nil && h.sending != nil {
			if err := h.sending(); err != nil {
				r.Cancel()
				return err
			}
		}
		_, err = u.c.PostRows(ctx, u.group, u.dataset, table, rows)
		if err != nil && SafeToRetry(err) && h != nil && h.notApplied != nil {
			h.notApplied()
		}
		if err == nil {
			r.Done()
			res.Rows[table] += rows.Len()
			res.Requests++
			return nil
		}
		var te *ThrottledError
		if errors.As(err, &te) {
			// Nothing was added: give the reservation back, and make the
			// whole dataset wait.
			r.Cancel()
			u.quota.ThrottledAt(u.c.now(), te.Until.Sub(u.c.now()))
			if te.Sent {
				res.Throttles++
				u.log.LogAttrs(ctx, slog.LevelWarn, "powerbi: throttled; waiting",
					slog.String("table", table), slog.Duration("retry_after", te.RetryAfter), slog.Int("rows", rows.Len()))
			}
			continue
		}
		if SafeToRetry(err) && Retryable(err) && failures < u.retries {
			r.Cancel()
			if err := sleepCtx(ctx, backoff(failures)); err != nil {
				return err
			}
			failures++
			continue
		}
		if SafeToRetry(err) {
			r.Cancel()
		} else {
			r.Done() // it may have added the rows
		}
		return err
	}
}

// backoff is the wait before retry attempt+1: 1 s, 2 s, 4 s … 1 min.
func backoff(attempt int) time.Duration {
	return min(time.Second<<min(attempt, 6), time.Minute)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func sleepUntil(ctx context.Context, now func() time.Time, until time.Time) error {
	if d := until.Sub(now()); d > 0 {
		if dl, ok := ctx.Deadline(); ok && dl.Before(until) {
			return fmt.Errorf("throttled until %s, after the context's deadline: %w", until.UTC().Format(time.RFC3339), context.DeadlineExceeded)
		}
		return sleepCtx(ctx, d)
	}
	return nil
}
