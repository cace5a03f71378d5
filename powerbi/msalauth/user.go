package msalauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/starinsight/starinsight/powerbi"
)

// User is a person signed in to Power BI with the device-code flow: the
// PBX has no browser, so the user opens a page on any device and enters a
// short code. After [User.Login], [User.Token] returns tokens silently
// (MSAL refreshes them with the refresh token) until the refresh token
// stops working, and then reports [powerbi.AuthReloginNeeded]; Token never
// starts a sign-in itself.
//
// A User holds one account: Login keeps only the account that signed in.
// It is safe for concurrent use.
type User struct {
	client   public.Client
	clientID string
	env      string // the authority's host, MSAL's "environment" of accounts
	scopes   []string
	prompt   func(context.Context, Prompt) error
	cache    *fileCache // nil without WithCacheFile
	log      *slog.Logger

	mu      sync.Mutex // guards account
	account *public.Account

	memo atomic.Pointer[memo] // the last token, while it is good
}

// memo is a token returned before, reused without asking MSAL while it
// stays good: Token is called before every API request.
type memo struct {
	token string
	until time.Time
}

func (m *memo) good(now time.Time) bool { return m != nil && now.Before(m.until) }

// newMemo keeps a token until MSAL itself would stop returning it from its
// cache: 5 minutes before it expires, or when MSAL wants to refresh it
// early (the "refresh_in" Entra ID may send).
func newMemo(token string, expiresOn, refreshOn time.Time) *memo {
	until := expiresOn.Add(-5 * time.Minute)
	if !refreshOn.IsZero() && refreshOn.Before(until) {
		until = refreshOn
	}
	return &memo{token: token, until: until}
}

var _ powerbi.TokenSource = (*User)(nil)

// NewDeviceCode returns a [User] that signs in with the device-code flow
// as the application clientID (the app registration must allow public
// client flows). Options: [WithCloud], [WithTenant] (default
// "organizations"), [WithCacheFile], [WithPrompt], [WithHTTPClient],
// [WithAuthority], [WithLogger]. It does not talk to Entra ID.
func NewDeviceCode(clientID string, opts ...Option) (*User, error) {
	cfg := newConfig(opts)
	if strings.TrimSpace(clientID) == "" {
		return nil, configError("The application (client) id is empty. Copy it from the app registration's Overview page.",
			errors.New("msalauth: NewDeviceCode: empty clientID"))
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	authority := cfg.authority
	if authority == "" {
		tenant := cfg.tenant
		if tenant == "" {
			tenant = "organizations"
		} else if strings.ContainsAny(tenant, "/?#%@ \t\r\n") {
			return nil, configError("The tenant id is not valid. Use the directory (tenant) id GUID or a domain such as contoso.onmicrosoft.com.",
				fmt.Errorf("msalauth: WithTenant %q is not a tenant id", tenant))
		}
		authority = cfg.cloud.Authority(tenant)
	}
	env, _, err := splitAuthority(authority)
	if err != nil {
		return nil, err
	}
	u := &User{
		clientID: clientID,
		env:      env,
		scopes:   []string{cfg.cloud.Scope()},
		prompt:   cfg.prompt,
		log:      cfg.logger,
	}
	popts := []public.Option{public.WithAuthority(authority)}
	if cfg.authority != "" {
		popts = append(popts, public.WithInstanceDiscovery(false))
	}
	if cfg.httpClient != nil {
		popts = append(popts, public.WithHTTPClient(cfg.httpClient))
	}
	if cfg.cacheFile != "" {
		if u.cache, err = newFileCache(cfg.cacheFile, cfg.logger); err != nil {
			return nil, err
		}
		popts = append(popts, public.WithCache(u.cache))
	}
	if u.client, err = public.New(clientID, popts...); err != nil {
		return nil, configError("The sign-in settings are not valid.", fmt.Errorf("msalauth: NewDeviceCode: %w", err))
	}
	return u, nil
}

// Login runs the device-code sign-in: it asks Entra ID for a code, calls
// the [WithPrompt] function with it, then waits until the user has entered
// the code and signed in, the code expires (15 minutes) or ctx ends. On
// success the account replaces any other in the cache.
//
// A token cache file that cannot be decoded is set aside as
// "<file>.corrupt" (and logged) so the sign-in can start a new one.
//
// Failures are *powerbi.AuthError, except an error of the prompt
// function, which is returned wrapped.
func (u *User) Login(ctx context.Context) error {
	if u.prompt == nil {
		return configError("The program cannot show the sign-in code.", errors.New("msalauth: Login needs WithPrompt"))
	}
	if err := u.recoverCache(ctx); err != nil {
		return u.fail(ctx, "msalauth: sign-in failed", "", err)
	}
	dc, err := u.client.AcquireTokenByDeviceCode(ctx, u.scopes)
	if err != nil {
		return u.fail(ctx, "msalauth: sign-in failed", "", err)
	}
	p := Prompt{
		UserCode:        dc.Result.UserCode,
		VerificationURL: dc.Result.VerificationURL,
		Message:         dc.Result.Message,
		ExpiresOn:       dc.Result.ExpiresOn,
	}
	u.log.LogAttrs(ctx, slog.LevelInfo, "msalauth: device-code sign-in started",
		slog.String("verification_url", p.VerificationURL), slog.Time("expires_on", p.ExpiresOn))
	if err := u.prompt(ctx, p); err != nil {
		return fmt.Errorf("msalauth: showing the sign-in code: %w", err)
	}
	res, err := dc.AuthenticationResult(ctx)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			// MSAL ends its polling with its own deadline, the code's
			// expiry.
			err = &powerbi.AuthError{Kind: powerbi.AuthReloginNeeded, Code: "AADSTS70020",
				Hint: codeRules[70020].hint, Err: errors.New("msalauth: the device code expired")}
		}
		return u.fail(ctx, "msalauth: sign-in failed", "", err)
	}
	// One cache, one signed-in user: forget the others so Token and
	// Account never have to choose.
	if accounts, err := u.client.Accounts(ctx); err == nil {
		for _, a := range accounts {
			if a.HomeAccountID != res.Account.HomeAccountID || a.Environment != res.Account.Environment {
				if err := u.client.RemoveAccount(ctx, a); err != nil {
					return u.fail(ctx, "msalauth: sign-in failed", res.Account.PreferredUsername, err)
				}
			}
		}
	}
	acct := res.Account
	u.mu.Lock()
	u.account = &acct
	u.mu.Unlock()
	u.memo.Store(newMemo(res.AccessToken, res.ExpiresOn, res.Metadata.RefreshOn))
	u.log.LogAttrs(ctx, slog.LevelInfo, "msalauth: signed in",
		slog.String("account", acct.PreferredUsername), slog.Time("token_expires_on", res.ExpiresOn))
	return nil
}

// recoverCache sets a corrupt cache file aside before a sign-in.
func (u *User) recoverCache(ctx context.Context) error {
	if u.cache == nil {
		return nil
	}
	_, err := u.client.Accounts(ctx)
	if !errors.Is(err, ErrCacheCorrupt) {
		return nil // other errors show again where they matter
	}
	aside, err := u.cache.setAside()
	if err != nil {
		return err
	}
	u.log.LogAttrs(ctx, slog.LevelWarn, "msalauth: the token cache file was damaged; it was set aside and a new one is started",
		slog.String("path", u.cache.path), slog.String("set_aside_as", aside))
	return nil
}

// Token returns an access token for the Power BI API: the one it returned
// before while it is good for 5 more minutes, else MSAL's cached one, else
// a new one MSAL gets with the refresh token. It never prompts: with no
// signed-in account, or a refresh token Entra ID no longer accepts, it
// returns an *powerbi.AuthError of kind [powerbi.AuthReloginNeeded]. All
// failures are *powerbi.AuthError (see [Classify]).
func (u *User) Token(ctx context.Context) (string, error) {
	if m := u.memo.Load(); m.good(time.Now()) {
		return m.token, nil
	}
	acct, err := u.currentAccount(ctx)
	if err != nil {
		return "", u.fail(ctx, "msalauth: no token", "", err)
	}
	res, err := u.client.AcquireTokenSilent(ctx, u.scopes, public.WithSilentAccount(acct))
	if err != nil {
		if isNoToken(err) {
			err = &powerbi.AuthError{Kind: powerbi.AuthReloginNeeded,
				Hint: "The token cache holds no usable sign-in for " + acct.PreferredUsername + " (signed out elsewhere?). " + hintRelogin,
				Err:  errors.New("msalauth: no refresh token in the cache")}
		}
		return "", u.fail(ctx, "msalauth: token refresh failed", acct.PreferredUsername, err)
	}
	u.memo.Store(newMemo(res.AccessToken, res.ExpiresOn, res.Metadata.RefreshOn))
	level, msg := slog.LevelDebug, "msalauth: token from the cache"
	if res.Metadata.TokenSource == public.TokenSourceIdentityProvider {
		level, msg = slog.LevelInfo, "msalauth: token refreshed"
	}
	u.log.LogAttrs(ctx, level, msg, slog.String("account", acct.PreferredUsername), slog.Time("token_expires_on", res.ExpiresOn))
	return res.AccessToken, nil
}

var errNoAccount = errors.New("msalauth: no account in the token cache")

// isNoToken matches MSAL's error for a silent request that found neither
// an access token nor a refresh token (v1.x says "no token found").
func isNoToken(err error) bool {
	return strings.Contains(err.Error(), "no token found")
}

// currentAccount returns the signed-in account: the one Login set, else
// the one account of this authority in the cache.
func (u *User) currentAccount(ctx context.Context) (public.Account, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.account != nil {
		return *u.account, nil
	}
	accounts, err := u.accounts(ctx)
	if err != nil {
		return public.Account{}, err
	}
	switch len(accounts) {
	case 0:
		return public.Account{}, &powerbi.AuthError{Kind: powerbi.AuthReloginNeeded,
			Hint: "No one is signed in to Power BI. Sign in first (device-code sign-in).",
			Err:  errNoAccount}
	case 1:
		u.account = &accounts[0]
		return accounts[0], nil
	}
	return public.Account{}, &powerbi.AuthError{Kind: powerbi.AuthReloginNeeded,
		Hint: "The token cache holds several accounts. " + hintRelogin + " The sign-in keeps only the new account.",
		Err:  fmt.Errorf("msalauth: %d accounts in the token cache", len(accounts))}
}

// accounts lists the cached accounts of this authority's host.
func (u *User) accounts(ctx context.Context) ([]public.Account, error) {
	all, err := u.client.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	var out []public.Account
	for _, a := range all {
		if strings.EqualFold(a.Environment, u.env) {
			out = append(out, a)
		}
	}
	return out, nil
}

// Account returns the user name of the signed-in account
// ("pbx@contoso.com"), or "" when no one is signed in. It reads the token
// cache, not Entra ID.
func (u *User) Account(ctx context.Context) (string, error) {
	acct, err := u.currentAccount(ctx)
	if errors.Is(err, errNoAccount) {
		return "", nil
	}
	if err != nil {
		return "", Classify(err)
	}
	return acct.PreferredUsername, nil
}

// Logout signs out: it removes the account's tokens, and any other
// account's, from the cache (and the cache file). Entra ID is not told;
// the refresh token stays valid there until it expires or is revoked. A
// corrupt cache file is set aside.
func (u *User) Logout(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.memo.Store(nil)
	u.account = nil
	accounts, err := u.client.Accounts(ctx)
	if errors.Is(err, ErrCacheCorrupt) {
		aside, serr := u.cache.setAside()
		if serr != nil {
			return u.fail(ctx, "msalauth: sign-out failed", "", serr)
		}
		u.log.LogAttrs(ctx, slog.LevelWarn, "msalauth: the token cache file was damaged; it was set aside",
			slog.String("path", u.cache.path), slog.String("set_aside_as", aside))
		return nil
	}
	if err != nil {
		return u.fail(ctx, "msalauth: sign-out failed", "", err)
	}
	for _, a := range accounts {
		if err := u.client.RemoveAccount(ctx, a); err != nil {
			return u.fail(ctx, "msalauth: sign-out failed", a.PreferredUsername, err)
		}
		u.log.LogAttrs(ctx, slog.LevelInfo, "msalauth: signed out", slog.String("account", a.PreferredUsername))
	}
	return nil
}

// fail classifies err, logs it (kind and code, never the token) and
// returns the *powerbi.AuthError.
func (u *User) fail(ctx context.Context, msg, account string, err error) *powerbi.AuthError {
	ae := Classify(err)
	logFailure(ctx, u.log, msg, account, ae)
	return ae
}

func logFailure(ctx context.Context, log *slog.Logger, msg, account string, ae *powerbi.AuthError) {
	attrs := []slog.Attr{slog.String("kind", ae.Kind.String())}
	if account != "" {
		attrs = append(attrs, slog.String("account", account))
	}
	if ae.Code != "" {
		attrs = append(attrs, slog.String("code", ae.Code))
	}
	attrs = append(attrs, slog.String("error", ae.Error()))
	log.LogAttrs(ctx, slog.LevelWarn, msg, attrs...)
}

// String describes the User without its tokens.
func (u *User) String() string {
	return "msalauth.User(client " + u.clientID + ", " + u.env + ")"
}

// GoString is String, so %#v shows no token either.
func (u *User) GoString() string { return u.String() }
