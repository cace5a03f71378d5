// Package live holds the live state of a STARFACE PBX: users, groups and
// iQueues as they are now, and the login-state history of users and group
// members (DOMAIN.md §3.3).
//
// A [Source] reads a PBX; [Starface] is the one for STARFACE. A [Poller]
// reads a Source on a schedule and hands each result to a function the
// caller sets. [LoginHistory] keeps only the login-state changes. An
// [Alerter] turns snapshots and lost callers into alerts, once per
// episode, and a [Webhook] delivers them. The snapshot types ([UserState],
// [QueueState], [UserLoginState], [MemberLoginState]) are plain values.
//
// # Sources
//
// [Starface] reads STARFACE 6.7 or later. REST gives users, groups,
// redirects and accounts after a login handshake: GET /rest/login gives a
// nonce, POST /rest/login a SHA-512 secret made from it, and the answer a
// token. A token lives 4 hours; the client logs in again 5 minutes before
// that, and once on a 401 (a PBX restart forgets tokens). UCI XML-RPC
// gives telephony state, calls and group logins, each only to its own
// user: one session for the client's login ([WithoutUCI] drops it) and one
// per [WithUCIUser], each logged in again once when the PBX refuses it.
//
// # Polling intervals and load
//
// A Poller runs a job only when its function is set ([OnSnapshot],
// [OnLoginStates], [OnAccounts], [OnCleanup]), by default users and
// queues every 15 s, login states every 15 s, accounts hourly (the product
// reads them on demand: [Poller.Trigger]) and cleanup every 20 min, its
// first tick one interval after Run starts ([DefaultSnapshotInterval] and
// the others; [WithInterval]). Runs of one job never overlap. A Users or
// LoginStates call costs the PBX one redirect request per user, and per
// UCI session three XML-RPC requests and one per current call; users,
// groups and memberships are cached for 5 minutes ([WithDirectoryRefresh]).
//
// # Retries and back-off
//
// The Starface client retries only its logins; a failed run is the
// Poller's to repeat. A failing job waits, from the run's end, twice its
// interval, then four times, up to [DefaultMaxBackoff] (5 min,
// [WithMaxBackoff]) but never less than the interval: a 15 s job waits
// 30 s, 1 min, 2 min, 4 min, then 5 min; the hourly and 20-minute jobs just
// wait their interval. One success restores the interval. Failures go to
// the logger and [OnError]; only an error wrapped with [Fatal] stops Run.
//
// # Login-state history
//
// [LoginHistory.Record] passes on a user's entry only when DND or
// always-forward changed, a member's only when the group login changed,
// plus the first sighting of each, and remembers it only once stored, so a
// failed store is retried with the next poll. An entry's At is the poll
// that saw the change. After a restart, seed the history with the latest
// stored entries, or it records every state once more:
//
//	users, members, err := sink.LatestLoginStates(ctx) // package sqlsink
//	history.Seed(users, members)
//
// # Alerts and webhooks
//
// An Alerter evaluates its rules ([QueueWaitingRule], [ServiceLevelRule],
// [LostCallerRule]) on what the caller passes it. A [Debounce] makes a
// condition hold For a while before it fires and stay cleared for ReArm
// before a new episode may, so each episode fires once. An alert's ID is
// stable: a lost caller's comes from the episode, a condition's from rule,
// queue and episode start (keep it across a restart with [Alerter.State]
// and [Alerter.Restore]). Delivery runs in the evaluating goroutine; a
// failed one is retried at the next evaluation with the same ID.
//
// A Webhook POSTs the alert as JSON, its ID in Idempotency-Key
// ([IdempotencyKeyHeader]) and, with [WithWebhookSecret], the body's
// HMAC-SHA256 in X-Starinsight-Signature-256 ([SignatureHeader],
// [VerifySignature]). A network error, a timeout, 5xx, 408 and 429 are
// retried: 5 attempts by default, 1, 2, 4 and 8 s apart (doubling up to
// 30 s; a longer Retry-After is honoured up to 30 s). Other 4xx are final.
//
// # Time zones
//
// A record's At is the client's clock when the Source call began
// ([WithStarfaceClock], time.Now by default). Call times the UCI sends
// without a zone are read in [WithStarfaceLocation], which defaults to
// time.Local, not to Europe/Berlin as package cdr does: set it to the
// PBX's zone when the host runs in another (a UTC container). The Alerter
// keeps no clock: Since and At are the times it was given.
//
// # Privacy
//
// Personal: a user's name, presence message and current call (id, caller
// name and number), and a queue's name; login states hold ids and flags.
// Package [github.com/starinsight/starinsight/pseudo] conceals snapshots
// before they leave the company. A lost-caller alert carries its episode
// ([callflow.LostCaller]): pseudonymise episodes before the Alerter sees
// them if alerts leave the company ([LostCallerKey] is an unkeyed hash).
// Errors and logs never hold a password, its hash, a token, or a webhook's
// secret, path or query.
//
// # Testing
//
// Package [github.com/starinsight/starinsight/live/starfacetest] is a fake
// STARFACE PBX that speaks the REST and UCI requests this package makes.
// Its in-process Transport needs no socket and works inside a
// testing/synctest bubble, where the Poller's timers and the Starface
// client's default clock follow the fake time; it can also inject faults.
// Any other type with the four methods of [Source] can stand in for a PBX.
package live
