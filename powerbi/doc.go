// Package powerbi delivers the SDK's records to Power BI push datasets:
// a REST client, the datasets' schemas derived from Go types, idempotent
// provisioning, and an Uploader that keeps every quota and loses no row
// to throttling.
//
//	tokens, err := msalauth.NewDeviceCode(clientID, msalauth.WithCacheFile(path)) // package powerbi/msalauth
//	client, err := powerbi.NewClient(tokens)
//	hist, err := powerbi.NewHistorical()
//	def, err := hist.Definition("STARFACE Insight")
//	ds, err := client.Provision(ctx, "", def, powerbi.RetentionNone)
//	up, err := powerbi.NewUploader(client, "", ds.Dataset.ID, powerbi.WithPseudonymiser(p))
//	res, err := up.Calls(ctx, calls)
//
// # Client
//
// Client has one method per endpoint the SDK uses (Datasets,
// CreateDataset, Tables, PutTable, PostRows, DeleteRows, Groups,
// CreateGroup), each of the form Op(ctx, …) (T, *Response, error), in My
// workspace (group "") or in a workspace (service principals must use
// one). WithCloud selects a national cloud. Authentication is a
// TokenSource: msalauth for real sign-ins, StaticToken in tests. Tokens
// never appear in errors or logs.
//
// # Errors and retries
//
// Errors are typed, for errors.As:
//
//	var te *powerbi.ThrottledError // 429: RetryAfter, Until
//	var ae *powerbi.APIError       // StatusCode, Code, Message, RequestID, Hint
//	var au *powerbi.AuthError      // Kind: re-login, configuration, admin, transient
//	if errors.As(err, &te) {
//		log.Printf("Power BI asks to wait %s", te.RetryAfter)
//	}
//
// Retryable says whether the same request may succeed later; SafeToRetry
// whether the failed request certainly had no effect. They differ for
// POST rows, which is not idempotent: after a timeout or a 5xx its rows
// may or may not have been added, and sending them again may add them
// twice. The Uploader retries only what is safe; an *UploadError says
// which rows failed and whether the service may have added them (Unsure).
//
// # Quotas
//
// A push dataset allows at most 10,000 rows per request, 1,000,000 rows per
// hour, 120 POST rows requests per minute (120 per hour once a table holds
// 250,000 rows), and 5 pending requests (DOMAIN.md §5). A Quota per dataset
// schedules requests within all of them at once, like a rate.Limiter:
// Reserve and Wait, with …At(now) forms for tests. After a 429 the whole
// dataset waits at least the Retry-After, never less; the client refuses
// calls for a throttled dataset without sending them, since refused
// requests count against the caller too. Interval lengthens a periodic
// upload's interval step by step after throttles and shortens it again
// after quiet periods.
//
// On simulated time (testing/synctest), a backfill of 2,500,000 rows
// against the fake service finishes at the earliest time the hourly quota
// allows, with no 429; under a storm of 429s no row is lost or doubled.
//
// # Datasets and values
//
// NewSchema derives a table from a struct's `powerbi:"Column"` tags
// (string, integers, floats, bool, time.Time; time.Duration is refused:
// store milliseconds). Historical (CDR_Summary, accounts,
// Group_Call_Account, User_Call_Account, constants) and Live (live_users,
// live_queues) are the SDK's two datasets, with the table and column names
// of package sqlsink, so a report can point at either. Encoding checks
// every value: strings over 4,000 characters are cut, marked
// (TruncationMark) and counted; a NaN, an infinity or a whole number
// beyond Power BI's range fails naming the row and column; times are sent
// in UTC in one format (DatetimeLayout). A schema over 75 columns, or a
// dataset over 75 tables, is refused when it is built.
//
// # Provisioning
//
// Provision finds a dataset by name or creates it. Running it again never
// deletes a dataset, a table or a row. Push datasets cannot get new
// tables: a definition with a table the dataset lacks is a
// *SchemaChangeError that says what to do. Two datasets of one name are
// refused (ErrAmbiguous) rather than guessed between. Creating new push
// datasets ends on 2027-10-31 (existing ones keep working): package
// sqlsink is the long-term path.
//
// # Privacy
//
// NewUploader requires WithPseudonymiser: every record passes through it
// before it is encoded; pseudo.Clear() is the explicit choice of clear
// data. The tests scan the bytes the client sends with pseudotest.
//
// # Testing
//
// Package powerbi/powerbitest is a fake Power BI service that enforces the
// limits and checks request bodies against the official API description;
// its Transport works inside testing/synctest bubbles.
package powerbi
