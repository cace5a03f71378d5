// Package callflow interprets raw STARFACE call-list rows: pure functions,
// no I/O, no package state, time passed in.
//
// A physical call writes several rows (cdr.Entry), one per involved account
// and step. An [Interpreter] turns the rows of one call into a [Call]:
//
//   - Legs: cleaned per-account call-list entries, attributed by the
//     vendor's rules (a group call goes to the user who answered it, else to
//     the group; a busy or always forward yields a leg for the target only; a
//     timeout forward for both; members who merely rang are not missed).
//   - a Journey: the call from the caller's side: the accounts it passed,
//     who answered, how long the caller waited, how it ended (answered,
//     voicemail, lost during the announcement, lost while ringing, busy,
//     rejected, forwarded away, …) and what happened on the way (forwards,
//     pickups, transfers, parking, modules).
//
// Every rule, and every assumption where STARFACE's behaviour is not public,
// is stated in docs/interpretation.md with the scenario that pins it. The
// assumptions live in assumptions.go and can be changed through [Rules].
//
// # Durations
//
// Announcement = first ring − arrival; ring = stop − first ring, where stop
// is the answer (a user's, or a voicemail box's) or else the end; wait =
// announcement + ring; talk = end − answer; call = end −
// arrival. They are never negative, and for an answered leg announcement +
// ring + talk = call. Inconsistent timestamps are repaired by documented
// rules and flagged, never dropped.
//
// # Streaming
//
// [Interpreter.InterpretAll] takes a whole batch; its output does not depend
// on row order. For incremental exports and large files, [Assembler] and
// [Interpreter.Calls] emit each call once it can no longer change (a grace
// period after its newest timestamp), with memory bounded by the open calls
// and those emitted within the retention window.
//
// # Reports
//
// A [Reporter], configured once by a [ReportConfig] (zone, service level
// threshold and short-abandon limit, business hours, [Filter], window W),
// answers the report questions over interpreted calls, as plain values with
// JSON tags:
//
//   - [Reporter.Groups]: group and iQueue KPIs per [Interval] (offered,
//     answered, missed, abandoned, short abandons, lost during the
//     announcement or while ringing, forwards, voicemail, answer rate,
//     service level, ASA, ring and talk statistics); [SlowestFastest].
//   - [Reporter.Agents], [Reporter.AgentsInGroups], [Leaderboard],
//     [Reporter.GroupAgentFlow], [Reporter.BestBuddies].
//   - [Reporter.Parties], [Reporter.ExcessiveTalkers].
//   - [Reporter.LostCalls], [Reporter.LostCallers], [Reporter.RepeatCalls].
//   - [Reporter.HeatMap], [Reporter.CallsPerDay], and [Reporter.NewToday] for
//     the live view, updated call by call.
//   - [Language] labels outcomes, dispositions, events and [KPI] names in
//     English, German and French.
//
// The KPI definitions (DOMAIN.md §3.5) are the doc comments of the result
// fields. A rate over nothing is a [Ratio] without a value, never 0 % or
// 100 %. docs/kpis.md in the repository explains the KPIs;
// docs/interpretation.md states the interpretation's rules.
//
// # Time zones
//
// Times are instants. The export's local times are read in the PBX's zone
// ([cdr.WithLocation], default Europe/Berlin); at the autumn DST change a
// repeated wall time is resolved by rule X5. Durations are differences of
// instants, so a call across a DST change has its true length.
//
// A [Reporter] buckets calls in [ReportConfig.Location], which defaults to
// UTC: set it to the PBX's zone. Hours, days, weeks (ISO, from Monday) and
// months of an [Interval] start at the wall-clock boundaries of that zone,
// so a DST day has 23 or 25 hours and the repeated autumn hour is two
// intervals of its own. [HeatMap] counts by wall-clock hour instead: the
// skipped spring hour stays empty, the repeated autumn hour counts twice.
// [BusinessHours], [Filter] hours and weekdays, the business-day [Window]
// and the day of [Today] are read in the same zone, so "08:00–18:00" means
// the same wall-clock hours on both sides of a DST change. A window of
// fixed length (60 minutes, 24 hours) is a duration, not a wall-clock span.
//
// # Idempotency
//
// An [Assembler] can emit a call more than once. When a row comes for a
// call it emitted within the retention ([DefaultRetention],
// [WithRetention]), the whole call is emitted again with the same site
// and call id, complete, with [FlagReopened] on the journey and every leg.
// The new version replaces the old one and can have fewer legs (a busy leg
// that the late rows turn into part of a forward). The same row exported
// again within the retention changes nothing.
//
// Consumers should therefore keep one version per site and call id, the
// last, and replace the whole call, its legs included, rather than add to
// it. The SQL sink (package sqlsink) does this, and so does [Today.Add].
// The [Reporter]'s methods count every call they are passed: pass each
// call once.
//
// A row that comes after the retention becomes a call of its own, with the
// same call id and [FlagLateRows], holding only the late rows: either a
// whole call read late (an old export dropped in later), or the late part
// of a call emitted complete before. Do not let the latter replace the
// stored call: [KeepLateRowsApart] gives it a call id of its own. Both
// sinks do this when the call they hold under that id has no FlagLateRows,
// and [Today] counts every late call apart.
//
// # Lost calls and lost callers
//
// A lost call is an inbound call to a group or iQueue that no user
// answered ([Reporter.LostCalls], summed by [LostCallSummary]).
// [Reporter.LostCallers] groups the lost calls of one number into a
// lost-caller episode, recovered when an answered callback or an answered
// new call from the number comes within the window W
// ([ReportConfig.Window]); lost when W ends without one; pending while W
// is still open at the end of the data. [LostCallerSummary] sums them. The
// rules are in the doc comments of those methods.
//
// # Scenarios
//
// Each rule of docs/interpretation.md is pinned by a recorded scenario in
// callflow/testdata/scenarios: the raw export of a call flow, its
// accounts, and the legs and journeys worked out by hand. Package
// [github.com/starinsight/starinsight/callflow/callflowtest] reads and runs
// them; integrators use it to pin how their own PBX set-up is read.
package callflow
