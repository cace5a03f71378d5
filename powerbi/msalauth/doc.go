// Package msalauth signs in to Power BI with the Microsoft Authentication
// Library for Go (MSAL Go) and implements [powerbi.TokenSource] for
// [powerbi.NewClient].
//
// # Which flow to use
//
// A [User] ([NewDeviceCode]) is a person's Power BI account, signed in
// once with the device-code flow: [User.Login] shows a short code (through
// the [WithPrompt] function) that the person enters at
// https://microsoft.com/devicelogin on any device with a browser; the PBX
// needs none. After that, [User.Token] works unattended: MSAL renews the
// access token (about an hour) with the refresh token, which stays good
// for 90 days after its last use unless the tenant's policies end it
// sooner (sign-in frequency, password change, revoked sessions,
// multi-factor prompts). Then Token reports [powerbi.AuthReloginNeeded]
// and the person signs in again. Use it when datasets should live in the
// person's workspaces, or when no administrator can set up a service
// principal. The app registration must allow public client flows
// (Authentication, "Allow public client flows") and hold the delegated
// Power BI Service permissions the client needs (Dataset.ReadWrite.All,
// and Workspace.Read.All, or Workspace.ReadWrite.All to create
// workspaces), with consent.
//
// An [App] ([NewClientSecret], [NewClientCertificate]) is a service
// principal: the application signs in as itself, with no person and no
// expiry of the sign-in, only of the secret or certificate (rotate them
// before they expire: AADSTS7000222). Use it for unattended installations
// that must not depend on a person's account. A tenant administrator must
// allow service principals to use the Power BI APIs (Fabric admin portal,
// Tenant settings, Developer settings), usually for a security group the
// app belongs to, and add the service principal to the workspace it
// writes to: service principals have no "My workspace". A certificate is
// preferred to a secret where the PBX can keep a key file.
//
// # The token cache file
//
// Without [WithCacheFile] tokens live in memory and a [User] signs in again
// after every restart. With it, MSAL's whole token cache is kept in one
// file (JSON, MSAL's cross-language format). The file holds refresh tokens,
// which are as good as a password for Power BI: it is created with mode
// 0600, its directory (when this package creates it) with 0700, and a file
// found readable by others is logged once and rewritten 0600 at the next
// change. Every change is written to a temporary file in the same
// directory, synced and renamed over the old one, so the file is always
// either the old cache or the new one. Processes sharing a file do not
// lock it: the last writer wins, which costs at most a refresh. Use one
// file per signed-in person, and another for a service principal.
//
// A file that cannot be decoded is never silently dropped. [User.Token]
// and [User.Account] fail with an [powerbi.AuthError] of kind
// [powerbi.AuthReloginNeeded] matching [ErrCacheCorrupt] and leave the
// file alone; [User.Login] and [User.Logout] rename it to
// "<file>.corrupt" (logged as a warning) and start a new cache. An [App]
// needs no person to sign in again, so it sets the file aside by itself,
// with the same warning. An empty or missing file is an empty cache.
//
// # National clouds
//
// [WithCloud] picks the cloud; it sets both the sign-in host and the
// token's scope, which must match the API host the client talks to:
//
//	cloud       sign-in host                scope
//	public      login.microsoftonline.com   https://analysis.windows.net/powerbi/api/.default
//	usgov       login.microsoftonline.com   https://analysis.usgovcloudapi.net/powerbi/api/.default
//	usgovhigh   login.microsoftonline.us    https://high.analysis.usgovcloudapi.net/powerbi/api/.default
//	usgovdod    login.microsoftonline.us    https://mil.analysis.usgovcloudapi.net/powerbi/api/.default
//	china       login.chinacloudapi.cn      https://analysis.chinacloudapi.cn/powerbi/api/.default
//
// An account or tenant used against the wrong cloud fails with AADSTS90051
// or AADSTS90002, classified as [powerbi.AuthConfiguration]. [WithAuthority]
// replaces the sign-in host and tenant for private set-ups and tests.
//
// # Errors
//
// Every failure of Login and Token is an *[powerbi.AuthError]; [Classify]
// makes them from MSAL's errors. Kind says who must act, Code is the
// AADSTS code, Hint says what to do, and Err is a [*ServiceError] (Entra
// ID's reply: status, OAuth error, first line of the description, trace
// and correlation ids), a network or context error, or this package's
// own. The main rows:
//
//	kind                 AADSTS codes                          what to do
//	re-login needed      50173 grant revoked,                  sign in again (User.Login)
//	                     700082 refresh token unused 90 days,
//	                     70043 sign-in frequency,
//	                     50076 50079 50078 multi-factor,
//	                     50132 50133 password changed/expired,
//	                     70020 device code expired,
//	                     no signed-in account, corrupt cache
//	pending              70016 authorization_pending            keep waiting (MSAL polls by itself)
//	configuration        90051 90002 wrong cloud or tenant,     fix the setting: WithCloud, the tenant,
//	                     900023 tenant id not valid,            the client id, "Allow public client
//	                     700016 unknown client id,              flows", the clock, the certificate;
//	                     7000215 wrong secret,                  rotate the secret (use its Value,
//	                     7000222 expired secret,                not its Secret ID)
//	                     700027 certificate not registered,
//	                     700024 clock skew,
//	                     7000218 public client flows off,
//	                     50194 single-tenant app needs a tenant,
//	                     untrusted TLS certificate (proxy)
//	administrator action 650052 Power BI not enabled,           a tenant administrator acts: enable
//	                     65001 consent missing,                 Power BI or a licence, grant admin
//	                     53003 conditional access,              consent, adjust the policy, enable
//	                     500011 Power BI not in the tenant,     the app or the user
//	                     7000112 app disabled,
//	                     50057 user disabled
//	transient            network errors, timeouts,              retry later
//	                     cancelled requests, HTTP 429 and 5xx
//
// A code not in the table is classified by its OAuth error
// (invalid_grant: re-login; invalid_client, unauthorized_client,
// invalid_scope: configuration; consent_required: administrator;
// temporarily_unavailable, server_error: transient). Anything else is a
// configuration error, not a transient one: a failure nobody recognises
// should stop and be shown rather than be retried forever.
//
// # Secrets
//
// No token, refresh token, device code, client secret or client
// assertion appears in an error or a log record. MSAL's own HTTP errors
// are replaced by [*ServiceError] because they keep the request, from
// which the form with the client secret can be rebuilt, and reply bodies
// that are not Entra ID's JSON are not quoted. [User] and [App] print as
// their client id. The logger ([WithLogger]) records sign-ins, refreshes
// and failures with the account's user name, the kind and the AADSTS
// code.
package msalauth
