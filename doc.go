// Package starinsight is an open-source Go SDK for STARFACE call analytics.
//
// A STARFACE PBX writes a raw call list: several condensed rows per physical
// call, one per involved account and step. starinsight reads those rows,
// attributes each call to the right agent or group, computes announcement,
// ring, wait and talk times, and tells the caller's journey: who answered,
// how long the caller waited, and how the call ended when nobody did.
// Every interpretation rule is written down in docs/interpretation.md and
// pinned by a recorded call scenario that integrators can extend with their
// own PBX's rows.
//
// # Packages
//
//   - [github.com/starinsight/starinsight/cdr]: accounts, raw call-list
//     entries, phone-number normalisation, and streaming readers for
//     STARFACE's CSV export, its cdrdata table and a JSON form.
//   - [github.com/starinsight/starinsight/callflow]: pure functions that
//     turn rows into legs (cleaned per-account call-list entries) and
//     journeys (one record per physical call), plus a streaming assembler for
//     incremental exports; and a Reporter for the report questions: group
//     and iQueue KPIs per interval (service level, abandons, ASA), agents
//     and their leaderboard, external parties, lost calls and lost callers,
//     repeat calls, heat maps, today's live figures, labels in English,
//     German and French.
//   - [github.com/starinsight/starinsight/callflow/callflowtest]: the
//     recorded-scenario kit: a human-editable file of accounts, raw CSV rows
//     and expected legs and journeys, runnable in any go test.
//   - [github.com/starinsight/starinsight/pseudo]: pseudonymisation and
//     anonymisation of personal fields by a per-field policy, with keyed
//     HMAC pseudonyms that keep joins and lost-caller matching working;
//     [github.com/starinsight/starinsight/pseudo/pseudotest] scans a sink's
//     output for leaks.
//   - [github.com/starinsight/starinsight/live]: the PBX's live state:
//     users, groups and iQueues now, and the login-state history; a
//     STARFACE source (REST and UCI), a Poller, alerts and signed webhooks;
//     [github.com/starinsight/starinsight/live/starfacetest] is a fake
//     STARFACE PBX for tests.
//   - [github.com/starinsight/starinsight/sqlsink]: the records in a SQL
//     database (PostgreSQL, MySQL/MariaDB, SQL Server, SQLite): the Power BI
//     model's tables, add-only migrations, idempotent batched upserts whose
//     checkpoint commits with them.
//   - [github.com/starinsight/starinsight/powerbi]: Power BI push
//     datasets: a REST client for every national cloud with typed errors,
//     schemas derived from Go types, idempotent provisioning, a quota
//     scheduler that keeps every push limit, and an Uploader that waits out
//     429s and loses no row; [github.com/starinsight/starinsight/powerbi/msalauth]
//     signs in with MSAL Go, and [github.com/starinsight/starinsight/powerbi/powerbitest]
//     is a fake Power BI service for tests.
//   - examples/: runnable programs to copy from. quickstart is the main job
//     on embedded sample data (a terminal report, an HTML report with
//     charts, CSV for Excel); pipeline, sqlexport, powerbi, live,
//     crmconnector and pseudonymise each show one job end to end, offline
//     against the fakes by default.
//
// # A first program
//
//	dir, err := cdr.NewDirectory(accounts...)
//	in, err := callflow.New(dir, callflow.WithNumberPlan(cdr.GermanPlan("711")))
//	for call, err := range in.Calls(cdr.ReadCSV(f)) {
//		if err != nil {
//			// A bad row: the error names the line and the column.
//			var pe *cdr.ParseError
//			if errors.As(err, &pe) {
//				log.Printf("skipping line %d (%s): %v", pe.Line, pe.Column, pe.Err)
//				continue
//			}
//			return err
//		}
//		fmt.Println(call.Journey.Outcome, call.Journey.Wait)
//	}
//
// # Pipelines
//
// A Pipeline carries the call lists of one or more PBXs (a Site each: a
// cdrdata table, DBSource, or a folder of CSV exports, FolderSource) into
// one or more sinks (a Target each: NewSQLSink, or powerbi.PipelineSink
// through its outbox), each with its own privacy policy:
//
//	src, err := starinsight.NewFolderSource("/srv/exports", "pbx1")
//	sink, err := starinsight.NewSQLSink(store, "cdr") // store: a migrated *sqlsink.Sink
//	pl, err := starinsight.NewPipeline(
//		[]starinsight.Site{{Source: src, Directory: dir}},
//		[]starinsight.Target{{Sink: sink, Pseudonymiser: p}})
//	err = pl.Run(ctx) // catch up in chunks, then poll every 30 s
//
// Each pair of site and sink keeps its cursor (the last entry id) and its
// call assembler's state in the sink, written with the calls they cover,
// so a pipeline stopped at any moment, kill -9 included, continues where
// it stopped and leaves the tables an uninterrupted run leaves (pinned by
// a test that kills it 50 times). Entries are pseudonymised before they
// are assembled, so the stored state holds no clear personal data.
// Power BI's POST rows is not idempotent: its outbox resends a request
// that got no answer, so such rows may arrive twice (counted, never lost).
//
// A [LivePipeline] does the same for the live state: a live.Source read by
// a live.Poller (users and queues every 15 s, login states every 15 s,
// accounts hourly) into [LiveTarget] sinks, [NewLiveSQLSink] and
// [NewLivePowerBISink], each with its own privacy policy, queue and
// back-off.
//
// # Quotas and retries
//
// Every I/O call takes a context and never sleeps past its deadline. What
// can be retried is retried where the SDK knows it is safe, and reported
// with a typed error where it is not:
//
//   - Power BI: a powerbi.Quota per dataset keeps every push limit (rows
//     per request and per hour, requests per minute, pending requests) so a
//     backfill runs at the quota's pace without a 429; after a 429 the
//     client refuses calls until Retry-After has passed. powerbi.Retryable
//     and powerbi.SafeToRetry tell a throttle apart from a request that may
//     have been applied.
//   - Pipelines: a failing source or sink is retried after 1 s, 2 s, 4 s …
//     up to 5 minutes (a live target after its interval doubled per
//     failure, up to WithLiveMaxBackoff) and resumes by itself; WithOnError
//     and WithLiveOnError report each failure. Only an error no retry can
//     fix (such as a stored state this version cannot read) ends Run.
//   - The PBX: the STARFACE source logs in again before its 4-hour token
//     expires and on a 401.
//   - Webhooks: live.Webhook retries 5xx, 408 and 429, never other 4xx.
//
// # Idempotency
//
// Writing the same calls again changes nothing: the SQL sink upserts by
// natural keys, a call re-emitted because a late row arrived replaces its
// earlier legs, and the cursor commits in the same transaction. Power BI's
// POST rows is the exception (push datasets cannot update a row): the
// outbox resends a request that got no answer, so those rows can arrive
// twice, counted and never lost. Alerts and webhook deliveries carry
// stable ids (the Idempotency-Key header) so receivers can drop repeats.
//
// # Errors
//
// Bad input never panics and is never dropped silently. Readers yield a
// *cdr.ParseError naming the line (or row id) and the column, and go on with
// the next row; a missing required column is one *cdr.MissingColumnError.
// Use errors.As to act on them, as above. The interpretation itself never
// fails: what it had to repair or guess is marked with callflow.Flag values
// on the leg and the journey.
//
// # Privacy
//
// Personal fields leave the company only in the form the customer chose:
// pass every batch through a pseudo.Pseudonymiser (pseudo.Apply); sinks
// take one as an option and apply it to everything they write.
//
// # Time zones
//
// STARFACE writes local wall times. Readers take a *time.Location (default
// Europe/Berlin) and return absolute times; durations are computed in
// absolute time, so they are right across daylight-saving changes. The SQL
// sink and Power BI store UTC. A callflow.Reporter buckets calls in
// ReportConfig.Location (default UTC: set it to the PBX's zone), so its
// hours and days follow that zone's wall clock on both daylight-saving
// days.
//
// # Further reading
//
// The repository's docs/ folder explains the main concepts with diagrams:
// docs/interpretation.md (how rows become legs and journeys),
// docs/kpis.md (every KPI's definition), docs/pipelines.md (sources,
// sinks, checkpoints and failures) and docs/privacy.md (pseudonymisation).
// BENCHMARKS.md holds every measured figure and the one command that
// measures them again.
package starinsight
