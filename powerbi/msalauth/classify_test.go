package msalauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/powerbi"
)

// TestClassifyEntraReplies sends every classified Entra ID reply through
// MSAL (a service principal's token request) and checks the result.
func TestClassifyEntraReplies(t *testing.T) {
	const (
		relogin = powerbi.AuthReloginNeeded
		pending = powerbi.AuthPending
		config  = powerbi.AuthConfiguration
		admin   = powerbi.AuthAdminAction
		transit = powerbi.AuthTransient
	)
	tests := []struct {
		name     string
		reply    entraErr
		kind     powerbi.AuthErrorKind
		code     string
		hintWord string // a word the hint must contain
	}{
		{"grant revoked", aadsts(400, "invalid_grant", 50173, "The provided grant has expired due to it being revoked."), relogin, "AADSTS50173", "Sign in"},
		{"pending", aadsts(400, "authorization_pending", 70016, "Authorization is pending."), pending, "AADSTS70016", "waiting"},
		{"refresh token inactive", aadsts(400, "invalid_grant", 700082, "The refresh token has expired due to inactivity."), relogin, "AADSTS700082", "Sign in"},
		{"sign-in frequency", aadsts(400, "invalid_grant", 70043, "The refresh token has expired or is invalid due to sign-in frequency checks."), relogin, "AADSTS70043", "Sign in"},
		{"mfa required", aadsts(400, "interaction_required", 50076, "You must use multi-factor authentication."), relogin, "AADSTS50076", "multi-factor"},
		{"mfa registration", aadsts(400, "interaction_required", 50079, "The user is required to use multi-factor authentication."), relogin, "AADSTS50079", "multi-factor"},
		{"mfa expired", aadsts(400, "interaction_required", 50078, "Presented multi-factor authentication has expired."), relogin, "AADSTS50078", "multi-factor"},
		{"password changed", aadsts(400, "invalid_grant", 50132, "The session is not valid due to password expiration or recent password change."), relogin, "AADSTS50132", "password"},
		{"password expired", aadsts(400, "invalid_grant", 50133, "Session is invalid due to expiration or recent password change."), relogin, "AADSTS50133", "password"},
		{"device code expired", aadsts(400, "expired_token", 70020, "This device code has expired."), relogin, "AADSTS70020", "expired"},
		{"wrong national cloud", aadsts(400, "invalid_request", 90051, "Invalid national Cloud ID."), config, "AADSTS90051", "cloud"},
		{"tenant not found", aadsts(400, "invalid_tenant", 90002, "Tenant 'x' not found."), config, "AADSTS90002", "cloud"},
		{"tenant id not valid", aadsts(400, "invalid_tenant", 900023, "Specified tenant identifier is neither a valid DNS name, nor a valid external domain."), config, "AADSTS900023", "tenant"},
		{"unknown client id", aadsts(400, "unauthorized_client", 700016, "Application with identifier 'x' was not found in the directory."), config, "AADSTS700016", "client id"},
		{"invalid client secret", aadsts(401, "invalid_client", 7000215, "Invalid client secret provided."), config, "AADSTS7000215", "secret"},
		{"expired client secret", aadsts(401, "invalid_client", 7000222, "The provided client secret keys for app 'x' are expired."), config, "AADSTS7000222", "secret"},
		{"certificate not registered", aadsts(401, "invalid_client", 700027, "Client assertion failed signature validation."), config, "AADSTS700027", "certificate"},
		{"clock skew", aadsts(401, "invalid_client", 700024, "Client assertion is not within its valid time range."), config, "AADSTS700024", "clock"},
		{"public client flows off", aadsts(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."), config, "AADSTS7000218", "public client"},
		{"single-tenant app", aadsts(400, "invalid_request", 50194, "Application 'x' is not configured as a multi-tenant application."), config, "AADSTS50194", "tenant id"},
		{"power bi not enabled", aadsts(400, "invalid_request", 650052, "The app needs access to a service that your organization has not subscribed to or enabled."), admin, "AADSTS650052", "Power BI"},
		{"consent missing", aadsts(400, "invalid_grant", 65001, "The user or administrator has not consented to use the application."), admin, "AADSTS65001", "consent"},
		{"conditional access", aadsts(400, "invalid_grant", 53003, "Access has been blocked by Conditional Access policies."), admin, "AADSTS53003", "conditional-access"},
		{"power bi not in tenant", aadsts(400, "invalid_resource", 500011, "The resource principal named https://analysis.windows.net/powerbi/api was not found in the tenant."), admin, "AADSTS500011", "Power BI"},
		{"application disabled", aadsts(400, "unauthorized_client", 7000112, "Application is disabled."), admin, "AADSTS7000112", "disabled"},
		{"user disabled", aadsts(400, "invalid_grant", 50057, "The user account is disabled."), admin, "AADSTS50057", "disabled"},
		// By OAuth error when the code is unknown.
		{"unknown code, invalid_grant", aadsts(400, "invalid_grant", 9999901, "Something new."), relogin, "AADSTS9999901", "Sign in"},
		{"unknown code, invalid_client", aadsts(401, "invalid_client", 9999902, "Something new."), config, "AADSTS9999902", "client id"},
		{"unknown code, consent_required", aadsts(400, "consent_required", 9999903, "Something new."), admin, "AADSTS9999903", "consent"},
		{"unknown code, temporarily_unavailable", aadsts(503, "temporarily_unavailable", 9999904, "Try again."), transit, "AADSTS9999904", "retried"},
		{"code only in the description", entraErr{400, `{"error":"invalid_request","error_description":"AADSTS90051: Invalid national Cloud ID."}`}, config, "AADSTS90051", "cloud"},
		// By HTTP status.
		{"throttled", entraErr{429, `{"error":"too_many_requests"}`}, transit, "", "retried"},
		{"bad gateway page", entraErr{502, "<html><body>LEAK proxy page</body></html>"}, transit, "", "retried"},
		{"server error JSON", aadsts(500, "server_error", 90033, "A transient error has occurred."), transit, "AADSTS90033", "retried"},
		// Unknown: not retried, shown.
		{"unknown 400", aadsts(400, "invalid_request", 9999905, "Something new."), config, "AADSTS9999905", "Check"},
		{"unknown 403 without JSON", entraErr{403, "Forbidden"}, config, "", "Check"},
	}
	f := newFakeEntra(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.set(func(f *fakeEntra) { f.fail["client_credentials"] = tt.reply })
			app, err := NewClientSecret(testTenant, testClientID, testSecret, f.opts()...)
			require.NoError(t, err)
			_, err = app.Token(t.Context())
			ae := requireAuthError(t, err, tt.kind, tt.code)
			if !strings.Contains(ae.Hint, tt.hintWord) {
				t.Errorf("hint %q lacks %q", ae.Hint, tt.hintWord)
			}
			var se *ServiceError
			require.ErrorAs(t, err, &se)
			if se.StatusCode != tt.reply.status {
				t.Errorf("ServiceError.StatusCode = %d, want %d", se.StatusCode, tt.reply.status)
			}
			if strings.Contains(err.Error(), "Trace ID:") || strings.Contains(err.Error(), "\r") {
				t.Errorf("error keeps the description's extra lines: %q", err)
			}
			if strings.Contains(err.Error(), leakMarker) {
				t.Errorf("error shows a non-Entra reply body: %q", err)
			}
		})
	}
}

func TestServiceErrorText(t *testing.T) {
	f := newFakeEntra(t)
	f.set(func(f *fakeEntra) {
		f.fail["client_credentials"] = aadsts(400, "invalid_grant", 700082, "The refresh token has expired due to inactivity.")
	})
	app, err := NewClientSecret(testTenant, testClientID, testSecret, f.opts()...)
	require.NoError(t, err)
	_, err = app.Token(t.Context())
	var se *ServiceError
	require.ErrorAs(t, err, &se)
	want := &ServiceError{
		StatusCode:    400,
		OAuthError:    "invalid_grant",
		Codes:         []int{700082},
		Description:   "AADSTS700082: The refresh token has expired due to inactivity.",
		TraceID:       "0000-trace",
		CorrelationID: "0000-corr",
	}
	if diff := cmp.Diff(want, se); diff != "" {
		t.Errorf("ServiceError (-want +got):\n%s", diff)
	}
	wantText := "Entra ID answered HTTP 400 invalid_grant: AADSTS700082: The refresh token has expired due to inactivity. (trace ID 0000-trace, correlation ID 0000-corr)"
	if diff := cmp.Diff(wantText, se.Error()); diff != "" {
		t.Errorf("Error() (-want +got):\n%s", diff)
	}
}

// TestClassifyOther covers errors that are not Entra ID replies.
func TestClassifyOther(t *testing.T) {
	existing := &powerbi.AuthError{Kind: powerbi.AuthAdminAction, Hint: "already classified"}
	tests := []struct {
		name string
		err  error
		kind powerbi.AuthErrorKind
		code string
		is   error // errors.Is must hold, when set
	}{
		{"cancelled", fmt.Errorf("server response error:\n %w", &url.Error{Op: "Post", URL: "https://login.example/t/oauth2/v2.0/token", Err: context.Canceled}), powerbi.AuthTransient, "", context.Canceled},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), powerbi.AuthTransient, "", context.DeadlineExceeded},
		{"connection refused", &url.Error{Op: "Post", URL: "https://login.example", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}, powerbi.AuthTransient, "", syscall.ECONNREFUSED},
		{"dns", &net.DNSError{Err: "no such host", Name: "login.example", IsNotFound: true}, powerbi.AuthTransient, "", nil},
		{"unexpected EOF", fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), powerbi.AuthTransient, "", io.ErrUnexpectedEOF},
		{"corrupt cache", fmt.Errorf("%w: /x", ErrCacheCorrupt), powerbi.AuthReloginNeeded, "", ErrCacheCorrupt},
		{"code in another library's text", errors.New("AADSTS700082: The refresh token has expired due to inactivity."), powerbi.AuthReloginNeeded, "AADSTS700082", nil},
		{"unknown", errors.New("something odd"), powerbi.AuthConfiguration, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ae := Classify(tt.err)
			requireAuthError(t, ae, tt.kind, tt.code)
			if tt.is != nil && !errors.Is(ae, tt.is) {
				t.Errorf("Classify(%v) does not match %v", tt.err, tt.is)
			}
		})
	}
	t.Run("nil", func(t *testing.T) {
		if ae := Classify(nil); ae != nil {
			t.Errorf("Classify(nil) = %v, want nil", ae)
		}
	})
	t.Run("already classified", func(t *testing.T) {
		if ae := Classify(fmt.Errorf("wrapped: %w", existing)); ae != existing {
			t.Errorf("Classify = %v, want the wrapped *powerbi.AuthError itself", ae)
		}
	})
}

// TestClassifyNetwork uses real connections: a closed server and a TLS
// certificate the client does not trust.
func TestClassifyNetwork(t *testing.T) {
	t.Run("unreachable", func(t *testing.T) {
		f := newFakeEntra(t)
		opts := f.opts()
		f.srv.Close()
		app, err := NewClientSecret(testTenant, testClientID, testSecret, opts...)
		require.NoError(t, err)
		_, err = app.Token(t.Context())
		ae := requireAuthError(t, err, powerbi.AuthTransient, "")
		if !ae.Retryable() {
			t.Errorf("network error not retryable: %v", err)
		}
		var ue *url.Error
		if !errors.As(err, &ue) {
			t.Errorf("error %v does not keep the *url.Error", err)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		f := newFakeEntra(t)
		app, err := NewClientSecret(testTenant, testClientID, testSecret,
			WithAuthority(f.authority(testTenant)), WithHTTPClient(&http.Client{}))
		require.NoError(t, err)
		_, err = app.Token(t.Context())
		requireAuthError(t, err, powerbi.AuthConfiguration, "")
	})
}
