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
// 100 %.
package callflow
