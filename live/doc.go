// Package live holds the live state of a STARFACE PBX: users, groups and
// iQueues as they are now, and the login-state history of users and group
// members (DOMAIN.md §3.3).
//
// The snapshot types are plain values; package pseudo conceals their
// personal fields before they leave the company.
package live
