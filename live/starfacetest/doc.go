// Package starfacetest is a fake STARFACE PBX for tests, in the manner of
// net/http/httptest: an in-memory PBX that speaks the REST API (version
// 2, as in STARFACE's swagger 6.7.0.22) and the UCI XML-RPC methods that
// package live uses.
//
// A test fills the PBX ([PBX.AddUser], [PBX.AddGroup],
// [PBX.SetRedirect], [PBX.SetUserState], [PBX.SetGroupLogin],
// [PBX.StartCall], …), points a client at it — in-process with
// [PBX.Transport], which works inside a testing/synctest bubble, or over
// a loopback socket with [PBX.NewServer] — and then inspects
// [PBX.Requests].
//
// # What it implements
//
// REST, below /rest, with the JSON property names of the swagger:
//
//	GET    /rest/login                 login template {loginType, nonce, secret: null}
//	POST   /rest/login                 {loginType, nonce, secret} → {token}
//	DELETE /rest/login                 log the token out
//	GET    /rest/users                 [User]
//	GET    /rest/accounts              [Account]: users (USER) and groups (GROUP)
//	GET    /rest/groups                [GroupListItem]
//	GET    /rest/groups/{groupid}      Group with assignableUsers (assigned = member)
//	GET    /rest/redirects             [Redirection] of the caller, or of
//	                                   ?actOnBehalfOf=<login> (administrators only)
//
// The login is checked as STARFACE does: a nonce is good for one POST
// (right or wrong) and for 5 minutes; the secret must be
// login + ":" + hex(SHA-512(login + nonce + hex(SHA-512(password)))); a
// wrong secret, an unknown or used nonce is 401. A token expires
// [TokenLifetime] after the login, measured with time.Now (so a synctest
// bubble's fake clock moves it), and a request without a valid authToken
// header is 401. Every REST request must carry X-Version: 2, and a POST
// Content-Type: application/json; otherwise it is 400 (stricter than a
// PBX may be, to catch a client that forgets them).
//
// UCI XML-RPC, POST /xml-rpc?de.vertico.starface.auth=<login>:<hash> with
// hash = hex(SHA-512(login + "*" + hex(SHA-512(password)))):
//
//	ucp.v30.requests.connection.login       true, or false for a wrong auth parameter
//	ucp.v30.requests.connection.logout      true
//	ucp.v30.requests.connection.keepAlive   true
//	ucp.v30.requests.userState.getUserState struct{telephonyState, chatPresence,
//	                                        chatPresenceMessage, redirectAlwaysActive,
//	                                        doNotDisturb, avatarHash}
//	ucp.v30.requests.call.getCallIds        array of the ids of the calls the user sees
//	ucp.v30.requests.call.getCallState      struct{id, state, timestamp, callerName,
//	                                        callerNumber, calledName, calledNumber, groupID}
//	ucp.v30.requests.group.getGroupSettings array of struct{groupId, groupName, loggedIn}
//	                                        for the user's groups
//
// Any method but login needs a session opened by login with the same
// auth parameter; without one, or after [PBX.ExpireUCISessions], it is a
// fault. redirectAlwaysActive is computed from the user's redirects.
// Times are written as dateTime.iso8601 without a zone, in the PBX's
// location ([WithLocation], UTC by default), as a Java server writes
// them.
//
// Where STARFACE's documentation is silent, the fake makes a documented
// choice: doNotDisturb and the group-settings struct's member names are
// the fake's, the REST error bodies are {"code", "message"}, and a wrong
// login is 401 (the swagger says 400; clients should treat both alike).
//
// # Faults
//
// [PBX.InjectFault] makes the next matching requests fail: any status,
// a verbatim body (malformed JSON or XML, a web page), an XML-RPC fault,
// a delay, or a dropped connection (through the Transport a network
// error wrapping [ErrDropped]). Faults act before authentication and
// routing.
package starfacetest
