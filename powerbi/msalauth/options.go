package msalauth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/starinsight/starinsight/powerbi"
)

// Option configures a [User] or an [App].
type Option func(*config)

// config is what the options set. Its zero value is the public cloud, the
// "organizations" tenant, no persisted cache and MSAL's HTTP client.
type config struct {
	cloud      powerbi.Cloud
	tenant     string
	authority  string
	cacheFile  string
	httpClient *http.Client
	logger     *slog.Logger
	prompt     func(context.Context, Prompt) error
}

// WithCloud selects the Power BI cloud: it sets both the Microsoft Entra ID
// host that signs in ([powerbi.Cloud.LoginHost]) and the scope the token is
// for ([powerbi.Cloud.Scope]). The default is [powerbi.CloudPublic]. A
// token of one cloud is refused by the API of another, and an account of
// one cloud is unknown to the login host of another (AADSTS90051, AADSTS90002).
func WithCloud(c powerbi.Cloud) Option {
	return func(cfg *config) { cfg.cloud = c }
}

// WithTenant sets the tenant of a device-code sign-in ([NewDeviceCode]):
// a tenant id (a GUID) or a verified domain ("contoso.onmicrosoft.com").
// The default, "organizations", lets any work or school account sign in;
// an application registered as single-tenant needs its tenant here
// (AADSTS50194). Service principals take the tenant as an argument
// instead, and ignore this option.
func WithTenant(tenant string) Option {
	return func(cfg *config) { cfg.tenant = tenant }
}

// WithAuthority replaces the authority that [WithCloud] and the tenant
// would give ("https://login.microsoftonline.com/<tenant>") with a full
// authority URL, "https://<host>/<tenant>". It is for tests and for
// private or sovereign set-ups whose host MSAL does not know; MSAL's
// instance discovery (which asks login.microsoftonline.com whether the
// host is genuine) is turned off with it. The scope still comes from
// [WithCloud].
func WithAuthority(authority string) Option {
	return func(cfg *config) { cfg.authority = authority }
}

// WithCacheFile persists MSAL's token cache in the file at path, so a
// sign-in survives a restart. The file holds refresh tokens: it is created
// with mode 0600 (its directory, when created, 0700) and replaced
// atomically on every change, so a crash never leaves half a file. A file
// that cannot be decoded is reported, never silently dropped: see the
// package documentation ("The token cache file"). Without this option the
// cache lives in memory and a [User] must sign in again after a restart.
func WithCacheFile(path string) Option {
	return func(cfg *config) { cfg.cacheFile = path }
}

// WithHTTPClient sets the HTTP client MSAL talks to Microsoft Entra ID
// with (proxies, custom TLS roots, tests). The default is MSAL's own.
func WithHTTPClient(c *http.Client) Option {
	return func(cfg *config) { cfg.httpClient = c }
}

// WithLogger sets the logger for sign-ins, refreshes and failures. It logs
// the account's user name and the outcome (kind and AADSTS code), never a
// token, a device code or a secret. The default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(cfg *config) { cfg.logger = l }
}

// WithPrompt sets the function [User.Login] calls to show the user the
// code to enter and the page to enter it on. It is required for Login.
// Login waits for the sign-in after the function returns, so the
// function should show the prompt and return; an error from it cancels
// the sign-in.
func WithPrompt(f func(ctx context.Context, p Prompt) error) Option {
	return func(cfg *config) { cfg.prompt = f }
}

// Prompt is what the user needs to complete a device-code sign-in: open
// VerificationURL in any browser, on any device, and enter UserCode
// before ExpiresOn. Message is Microsoft's ready-made sentence saying the
// same, in the language Entra ID chose.
type Prompt struct {
	UserCode        string
	VerificationURL string
	Message         string
	ExpiresOn       time.Time
}

func newConfig(opts []Option) config {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// check validates the options shared by both constructors.
func (cfg *config) check() error {
	if !cfg.cloud.Valid() {
		return configError("The Power BI cloud setting is unknown. Use public, usgov, usgovhigh, usgovdod or china.",
			fmt.Errorf("msalauth: WithCloud: unknown cloud %q", string(cfg.cloud)))
	}
	if cfg.authority != "" {
		if _, _, err := splitAuthority(cfg.authority); err != nil {
			return err
		}
	}
	return nil
}

// splitAuthority checks an authority URL and returns its host (lower case,
// as MSAL stores it in the cache) and its tenant.
func splitAuthority(authority string) (host, tenant string, err error) {
	const hint = "The sign-in authority must be an https URL such as https://login.microsoftonline.com/<tenant>."
	u, err := url.Parse(strings.ToLower(authority))
	if err != nil {
		return "", "", configError(hint, fmt.Errorf("msalauth: WithAuthority: %w", err))
	}
	if u.Scheme != "https" || u.Host == "" {
		return "", "", configError(hint, fmt.Errorf("msalauth: WithAuthority: %q is not an https URL", authority))
	}
	tenant = strings.Trim(u.Path, "/")
	if tenant == "" || strings.Contains(tenant, "/") {
		return "", "", configError(hint, fmt.Errorf("msalauth: WithAuthority: %q must end with exactly one path element, the tenant", authority))
	}
	return u.Host, tenant, nil
}

// checkTenant refuses the tenants a service principal cannot use and
// anything that would not survive being put in a URL path. what names the
// argument or option in the error.
func checkTenant(what, tenant string) error {
	switch strings.ToLower(strings.TrimSpace(tenant)) {
	case "":
		return configError("A service principal needs the tenant id of its organization (a GUID, or a domain such as contoso.onmicrosoft.com); it is empty.",
			fmt.Errorf("msalauth: %s is empty", what))
	case "common", "organizations", "consumers":
		return configError(fmt.Sprintf("A service principal needs the tenant id of its organization (a GUID, or a domain such as contoso.onmicrosoft.com), not %q.", tenant),
			fmt.Errorf("msalauth: %s %q is not a specific tenant", what, tenant))
	}
	if strings.ContainsAny(tenant, "/?#%@ \t\r\n") {
		return configError("The tenant id is not valid. Use the directory (tenant) id GUID or a domain such as contoso.onmicrosoft.com.",
			fmt.Errorf("msalauth: %s %q is not a tenant id", what, tenant))
	}
	return nil
}
