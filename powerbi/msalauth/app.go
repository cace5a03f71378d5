package msalauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"

	"github.com/starinsight/starinsight/powerbi"
)

// App is a service principal: the application signs in as itself with a
// client secret or a certificate (the client-credentials flow), with no
// user and no prompt. The tenant must allow service principals to use the
// Power BI APIs, and the service principal must be a member of the
// workspaces it writes to (it has no "My workspace"). It is safe for
// concurrent use.
type App struct {
	client   confidential.Client
	clientID string
	tenant   string
	scopes   []string
	log      *slog.Logger

	memo atomic.Pointer[memo]
}

var _ powerbi.TokenSource = (*App)(nil)

// NewClientSecret returns an [App] that signs in as the application
// clientID of tenant tenantID with a client secret (the secret's Value in
// the app registration, not its Secret ID). tenantID must be the
// organization's tenant id or domain; "common", "organizations" and ""
// are refused. Options: [WithCloud], [WithCacheFile], [WithHTTPClient],
// [WithAuthority], [WithLogger]. It does not talk to Entra ID.
func NewClientSecret(tenantID, clientID, secret string, opts ...Option) (*App, error) {
	if secret == "" {
		return nil, configError("The client secret is empty. "+hintRotateSecret, errors.New("msalauth: NewClientSecret: empty secret"))
	}
	cred, err := confidential.NewCredFromSecret(secret)
	if err != nil {
		// MSAL's message does not repeat the secret; it only says it is empty.
		return nil, configError("The client secret is not valid. "+hintRotateSecret, fmt.Errorf("msalauth: NewClientSecret: %w", err))
	}
	return newApp("NewClientSecret", tenantID, clientID, cred, opts)
}

// NewClientCertificate returns an [App] that signs in as the application
// clientID of tenant tenantID with a certificate: pemData holds the
// certificate (and its chain, leaf first) and its private key, PEM
// encoded, as produced by "openssl pkcs12 -in app.pfx -out app.pem
// -nodes". The certificate (public part) must be uploaded to the app
// registration.
//
// MSAL Go reads unencrypted keys only and ignores passwords; password is
// kept for configurations that carry one and must be "" (an encrypted key
// is refused with a hint how to decrypt it). Options and tenant rules are
// those of [NewClientSecret].
func NewClientCertificate(tenantID, clientID string, pemData []byte, password string, opts ...Option) (*App, error) {
	const decrypt = "MSAL Go needs the private key unencrypted: decrypt it with 'openssl pkcs8 -topk8 -nocrypt -in key.pem -out plain.pem', protect the file with permissions, and leave the password empty."
	if password != "" {
		return nil, configError("The certificate's private key has a password. "+decrypt,
			errors.New("msalauth: NewClientCertificate: password must be empty"))
	}
	certs, key, err := confidential.CertFromPEM(pemData, password)
	if err != nil {
		hint := "The certificate file must hold the certificate and its private key, PEM encoded."
		if strings.Contains(string(pemData), "ENCRYPTED") {
			hint = "The certificate's private key is encrypted. " + decrypt
		}
		return nil, configError(hint, fmt.Errorf("msalauth: NewClientCertificate: %w", err))
	}
	cred, err := confidential.NewCredFromCert(certs, key)
	if err != nil {
		return nil, configError("The certificate or its private key cannot be used: the key must be an RSA key and belong to one of the certificates in the file.",
			fmt.Errorf("msalauth: NewClientCertificate: %w", err))
	}
	return newApp("NewClientCertificate", tenantID, clientID, cred, opts)
}

func newApp(fn, tenantID, clientID string, cred confidential.Credential, opts []Option) (*App, error) {
	cfg := newConfig(opts)
	if strings.TrimSpace(clientID) == "" {
		return nil, configError("The application (client) id is empty. Copy it from the app registration's Overview page.",
			fmt.Errorf("msalauth: %s: empty clientID", fn))
	}
	if err := checkTenant(fn+": tenantID", tenantID); err != nil {
		return nil, err
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	authority := cfg.cloud.Authority(tenantID)
	if cfg.authority != "" {
		_, tenant, err := splitAuthority(cfg.authority)
		if err != nil {
			return nil, err
		}
		if err := checkTenant("WithAuthority: tenant", tenant); err != nil {
			return nil, err
		}
		authority = cfg.authority
	}
	a := &App{
		clientID: clientID,
		tenant:   tenantID,
		scopes:   []string{cfg.cloud.Scope()},
		log:      cfg.logger,
	}
	var copts []confidential.Option
	if cfg.authority != "" {
		copts = append(copts, confidential.WithInstanceDiscovery(false))
	}
	if cfg.httpClient != nil {
		copts = append(copts, confidential.WithHTTPClient(cfg.httpClient))
	}
	if cfg.cacheFile != "" {
		c, err := newFileCache(cfg.cacheFile, cfg.logger)
		if err != nil {
			return nil, err
		}
		c.heal = true
		copts = append(copts, confidential.WithCache(c))
	}
	client, err := confidential.New(authority, clientID, cred, copts...)
	if err != nil {
		return nil, configError("The sign-in settings are not valid.", fmt.Errorf("msalauth: %s: %w", fn, err))
	}
	a.client = client
	return a, nil
}

// Token returns an access token for the Power BI API: the one it returned
// before while it is good for 5 more minutes, else one from MSAL's cache,
// else a new one from Entra ID. (MSAL's AcquireTokenByCredential looks in
// its cache first; its AcquireTokenSilent needs a user account and is not
// for service principals.) A cache file that cannot be decoded is set
// aside as "<file>.corrupt", logged, and replaced: a service principal
// signs in again by itself. Failures are *powerbi.AuthError (see
// [Classify]).
func (a *App) Token(ctx context.Context) (string, error) {
	if m := a.memo.Load(); m.good(time.Now()) {
		return m.token, nil
	}
	res, err := a.client.AcquireTokenByCredential(ctx, a.scopes)
	if err != nil {
		return "", a.fail(ctx, err)
	}
	a.memo.Store(newMemo(res.AccessToken, res.ExpiresOn, res.Metadata.RefreshOn))
	level, msg := slog.LevelDebug, "msalauth: token from the cache"
	if res.Metadata.TokenSource == confidential.TokenSourceIdentityProvider {
		level, msg = slog.LevelInfo, "msalauth: service principal token acquired"
	}
	a.log.LogAttrs(ctx, level, msg, slog.String("client_id", a.clientID), slog.String("tenant", a.tenant),
		slog.Time("token_expires_on", res.ExpiresOn))
	return res.AccessToken, nil
}

func (a *App) fail(ctx context.Context, err error) *powerbi.AuthError {
	ae := Classify(err)
	logFailure(ctx, a.log, "msalauth: service principal sign-in failed", "", ae)
	return ae
}

// String describes the App without its secret or tokens.
func (a *App) String() string {
	return "msalauth.App(client " + a.clientID + ", tenant " + a.tenant + ")"
}

// GoString is String, so %#v shows no secret either.
func (a *App) GoString() string { return a.String() }
