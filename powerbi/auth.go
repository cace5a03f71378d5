package powerbi

import (
	"context"
	"fmt"
	"strings"
)

// TokenSource gives the bearer token for the next request. It is the one
// thing the client needs of authentication; package powerbi/msalauth
// implements it with MSAL Go (device code, silent refresh, a persisted
// cache, service principals). Token is called before every request and
// must return quickly when it holds a valid token.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// StaticToken is a TokenSource that always returns the same token: tests,
// and tokens obtained elsewhere.
type StaticToken string

// Token returns the token.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// String hides the token.
func (t StaticToken) String() string { return "StaticToken(redacted)" }

// GoString hides the token from %#v.
func (t StaticToken) GoString() string { return t.String() }

// AuthErrorKind says what a failed sign-in needs.
type AuthErrorKind int

// The kinds of sign-in failure.
const (
	// AuthTransient: a network error or a service hiccup; retrying later
	// may succeed.
	AuthTransient AuthErrorKind = iota
	// AuthReloginNeeded: the user must sign in again (the refresh token
	// expired through inactivity, the grant was revoked, no cached
	// account).
	AuthReloginNeeded
	// AuthConfiguration: the set-up is wrong (the wrong national cloud,
	// an unknown client or tenant id, a bad or expired client secret or
	// certificate); fix the configuration.
	AuthConfiguration
	// AuthAdminAction: a tenant administrator must act (Power BI not
	// enabled for the tenant, consent missing, a conditional-access
	// policy).
	AuthAdminAction
	// AuthPending: the device-code sign-in is still waiting for the user.
	AuthPending
)

func (k AuthErrorKind) String() string {
	switch k {
	case AuthTransient:
		return "transient"
	case AuthReloginNeeded:
		return "re-login needed"
	case AuthConfiguration:
		return "configuration error"
	case AuthAdminAction:
		return "administrator action needed"
	case AuthPending:
		return "sign-in pending"
	}
	return fmt.Sprintf("AuthErrorKind(%d)", int(k))
}

// AuthError is a failed sign-in or token refresh, classified: Kind says
// who must act, Code is the Entra ID error code ("AADSTS700082") when the
// service gave one, Hint says what to do in words a user can follow. It
// never holds a token or a secret.
type AuthError struct {
	Kind AuthErrorKind
	Code string
	Hint string
	Err  error
}

func (e *AuthError) Error() string {
	msg := "powerbi: sign-in failed (" + e.Kind.String()
	if e.Code != "" {
		msg += ", " + e.Code
	}
	msg += ")"
	if e.Hint != "" {
		hint := e.Hint
		if e.Err != nil {
			// Hints are sentences: no period before ": <err>".
			hint = strings.TrimSuffix(hint, ".")
		}
		msg += ": " + hint
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *AuthError) Unwrap() error { return e.Err }

// Retryable reports whether trying again later, unchanged, may succeed.
func (e *AuthError) Retryable() bool { return e.Kind == AuthTransient || e.Kind == AuthPending }
