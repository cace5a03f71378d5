package msalauth

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
	"github.com/stretchr/testify/require"
)

// TestNoSecretsInErrorsOrLogs runs sign-ins, refreshes and failures with
// a debug logger and checks that no token, device code, client secret or
// client assertion shows in the log, in any error text, or through
// errors.As to MSAL's error (which holds the request).
func TestNoSecretsInErrorsOrLogs(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var errs []error
	var shown []string // other text that must be clean (String, GoString)

	f := newFakeEntra(t)
	pemData, pub := selfSignedPEM(t)
	other, _ := selfSignedPEM(t)
	f.set(func(f *fakeEntra) { f.certKey = pub; f.pendingPolls = 1 })
	path := filepath.Join(t.TempDir(), "tokens.json")

	synctest.Test(t, func(t *testing.T) {
		// A user: sign-in, silent token, refresh, refused refresh.
		u := login(t, f, WithLogger(log), WithCacheFile(path))
		_, err := u.Token(t.Context())
		require.NoError(t, err)
		time.Sleep(time.Hour)
		_, err = u.Token(t.Context())
		require.NoError(t, err)
		f.set(func(f *fakeEntra) {
			f.fail["refresh_token"] = aadsts(400, "invalid_grant", 700082, "The refresh token has expired due to inactivity.")
		})
		time.Sleep(time.Hour)
		_, err = u.Token(t.Context())
		errs = append(errs, err)
		shown = append(shown, fmt.Sprintf("%v %+v %#v %s", u, u, u, u))

		// A refused device-code poll (MSAL reads that reply itself).
		f.set(func(f *fakeEntra) {
			f.fail["device_code"] = aadsts(400, "authorization_declined", 70000, "The user declined.")
		})
		errs = append(errs, u.Login(t.Context()))
	})

	// A corrupt cache file holding a refresh token.
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"RefreshToken":{"k":{"secret":"LEAK-refresh-token-9"`), 0o600))
	u, err := NewDeviceCode(testClientID, f.opts(WithLogger(log), WithCacheFile(bad))...)
	require.NoError(t, err)
	_, err = u.Token(t.Context())
	errs = append(errs, err)

	// Service principals: a good secret, a wrong secret, an unregistered certificate.
	app, err := NewClientSecret(testTenant, testClientID, testSecret, f.opts(WithLogger(log))...)
	require.NoError(t, err)
	_, err = app.Token(t.Context())
	require.NoError(t, err)
	shown = append(shown, fmt.Sprintf("%v %+v %#v %s", app, app, app, app))

	wrong, err := NewClientSecret(testTenant, testClientID, "LEAK-wrong-secret", f.opts(WithLogger(log))...)
	require.NoError(t, err)
	_, err = wrong.Token(t.Context())
	errs = append(errs, err)
	shown = append(shown, fmt.Sprintf("%v %+v %#v %s", wrong, wrong, wrong, wrong))

	good, err := NewClientCertificate(testTenant, testClientID, pemData, "", f.opts(WithLogger(log))...)
	require.NoError(t, err)
	_, err = good.Token(t.Context())
	require.NoError(t, err)

	cert, err := NewClientCertificate(testTenant, testClientID, other, "", f.opts(WithLogger(log))...)
	require.NoError(t, err)
	_, err = cert.Token(t.Context())
	errs = append(errs, err)

	// A network failure after the secret was sent.
	opts := f.opts(WithLogger(log))
	f.srv.Close()
	down, err := NewClientSecret(testTenant, testClientID, testSecret, opts...)
	require.NoError(t, err)
	_, err = down.Token(t.Context())
	errs = append(errs, err)

	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		shown = append(shown, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
		for e := err; e != nil; e = errors.Unwrap(e) {
			shown = append(shown, e.Error())
		}
		var ce msalerrors.CallErr
		if errors.As(err, &ce) {
			t.Errorf("case %d: MSAL's CallErr (with the request) is reachable: %v", i, err)
		}
	}
	for _, s := range append(shown, logs.String()) {
		for _, secret := range []string{leakMarker, "eyJ", testUserCode} {
			if strings.Contains(s, secret) {
				t.Errorf("%q shows in:\n%s", secret, s)
			}
		}
	}
	// The log is not empty: it names the account and the outcomes.
	for _, want := range []string{`"account":"` + testUser + `"`, "signed in", "token refreshed", `"code":"AADSTS700082"`, `"code":"AADSTS7000215"`, "service principal token acquired"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
}
