// Package live holds the live state of a STARFACE PBX: users, groups and
// iQueues as they are now, and the login-state history of users and group
// members (DOMAIN.md §3.3).
//
// A [Source] reads a PBX: [Starface] on STARFACE's REST API and UCI
// XML-RPC (package live/starfacetest is a fake PBX for tests). A [Poller]
// reads a Source at the product's intervals (live users and iQueues every
// 15 s, accounts hourly, a cleanup tick every 20 min) with per-job
// back-off, never overlapping; [LoginHistory] keeps only the login-state
// changes; an [Alerter] fires debounced alerts (waiting callers, service
// level, lost callers) once per episode, e.g. through a [Webhook].
//
// The snapshot types are plain values; package pseudo conceals their
// personal fields before they leave the company.
package live
