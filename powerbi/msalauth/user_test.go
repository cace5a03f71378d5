package msalauth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/powerbi"
)

// promptRecorder is a WithPrompt function that keeps what it was shown.
type promptRecorder struct{ got []Prompt }

func (p *promptRecorder) prompt(_ context.Context, pr Prompt) error {
	p.got = append(p.got, pr)
	return nil
}

// login signs a new User in against f.
func login(t *testing.T, f *fakeEntra, extra ...Option) *User {
	t.Helper()
	var rec promptRecorder
	u, err := NewDeviceCode(testClientID, f.opts(append([]Option{WithPrompt(rec.prompt)}, extra...)...)...)
	require.NoError(t, err)
	require.NoError(t, u.Login(t.Context()))
	return u
}

// requireAuthError asserts err is an *powerbi.AuthError of kind and code.
func requireAuthError(t *testing.T, err error, kind powerbi.AuthErrorKind, code string) *powerbi.AuthError {
	t.Helper()
	var ae *powerbi.AuthError
	require.ErrorAs(t, err, &ae)
	if diff := cmp.Diff([]string{kind.String(), code}, []string{ae.Kind.String(), ae.Code}); diff != "" {
		t.Fatalf("kind and code (-want +got):\n%s\nerror: %v", diff, err)
	}
	if ae.Hint == "" {
		t.Errorf("no hint: %v", err)
	}
	return ae
}

func TestUserLogin(t *testing.T) {
	f := newFakeEntra(t)
	f.set(func(f *fakeEntra) { f.pendingPolls = 3 })
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var rec promptRecorder
		u, err := NewDeviceCode(testClientID, f.opts(WithPrompt(rec.prompt))...)
		require.NoError(t, err)
		require.NoError(t, u.Login(t.Context()))

		require.Len(t, rec.got, 1, "prompt calls")
		p := rec.got[0]
		if diff := cmp.Diff(Prompt{
			UserCode:        testUserCode,
			VerificationURL: "https://microsoft.com/devicelogin",
			Message:         "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code " + testUserCode + " to authenticate.",
			ExpiresOn:       start.Add(900 * time.Second).UTC(),
		}, p); diff != "" {
			t.Errorf("prompt (-want +got):\n%s", diff)
		}
		if got := f.count("device_code"); got != 4 {
			t.Errorf("device_code polls = %d, want 4 (3 pending, then the token)", got)
		}

		name, err := u.Account(t.Context())
		require.NoError(t, err)
		if name != testUser {
			t.Errorf("Account = %q, want %q", name, testUser)
		}
		tok, err := u.Token(t.Context())
		require.NoError(t, err)
		if want := "LEAK-user-token-1"; tok != want {
			t.Errorf("Token = %q, want %q", tok, want)
		}
	})
}

func TestUserTokenSilentFromCache(t *testing.T) {
	f := newFakeEntra(t)
	synctest.Test(t, func(t *testing.T) {
		u := login(t, f)
		before := f.count("device_code") + f.count("refresh_token")
		// Within the token's life, neither the memo nor MSAL's cache asks Entra ID.
		for range 3 {
			tok, err := u.Token(t.Context())
			require.NoError(t, err)
			if tok != "LEAK-user-token-1" {
				t.Fatalf("Token = %q, want the token of the sign-in", tok)
			}
			time.Sleep(10 * time.Minute)
		}
		u.memo.Store(nil) // MSAL's own cache, not the memo
		tok, err := u.Token(t.Context())
		require.NoError(t, err)
		if tok != "LEAK-user-token-1" {
			t.Errorf("Token from MSAL's cache = %q, want LEAK-user-token-1", tok)
		}
		if after := f.count("device_code") + f.count("refresh_token"); after != before {
			t.Errorf("token requests went from %d to %d, want none", before, after)
		}
	})
}

func TestUserRefreshAfterExpiry(t *testing.T) {
	f := newFakeEntra(t)
	synctest.Test(t, func(t *testing.T) {
		u := login(t, f)
		// MSAL refreshes 5 minutes before expiry.
		time.Sleep(time.Hour - 4*time.Minute)
		tok, err := u.Token(t.Context())
		require.NoError(t, err)
		if tok != "LEAK-user-token-2" {
			t.Errorf("Token after expiry = %q, want the refreshed LEAK-user-token-2", tok)
		}
		if got := f.count("refresh_token"); got != 1 {
			t.Errorf("refresh_token grants = %d, want 1", got)
		}
		time.Sleep(time.Hour)
		tok, err = u.Token(t.Context())
		require.NoError(t, err)
		if tok != "LEAK-user-token-3" {
			t.Errorf("second refresh = %q, want LEAK-user-token-3 (rotated refresh token used)", tok)
		}
	})
}

func TestUserRefreshFailures(t *testing.T) {
	tests := []struct {
		name string
		fail entraErr
		kind powerbi.AuthErrorKind
		code string
	}{
		{"inactivity", aadsts(400, "invalid_grant", 700082, "The refresh token has expired due to inactivity."), powerbi.AuthReloginNeeded, "AADSTS700082"},
		{"revoked", aadsts(400, "invalid_grant", 50173, "The provided grant has expired due to it being revoked."), powerbi.AuthReloginNeeded, "AADSTS50173"},
		{"mfa", aadsts(400, "interaction_required", 50076, "Due to a configuration change made by your administrator, you must use multi-factor authentication."), powerbi.AuthReloginNeeded, "AADSTS50076"},
		{"conditional access", aadsts(400, "invalid_grant", 53003, "Access has been blocked by Conditional Access policies."), powerbi.AuthAdminAction, "AADSTS53003"},
		{"outage", entraErr{503, "<html>Service Unavailable</html>"}, powerbi.AuthTransient, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEntra(t)
			synctest.Test(t, func(t *testing.T) {
				u := login(t, f)
				f.set(func(f *fakeEntra) { f.fail["refresh_token"] = tt.fail })
				time.Sleep(time.Hour)
				_, err := u.Token(t.Context())
				requireAuthError(t, err, tt.kind, tt.code)
			})
		})
	}
}

func TestUserTokenWithoutSignIn(t *testing.T) {
	f := newFakeEntra(t)
	u, err := NewDeviceCode(testClientID, f.opts()...)
	require.NoError(t, err)
	_, err = u.Token(t.Context())
	requireAuthError(t, err, powerbi.AuthReloginNeeded, "")
	name, err := u.Account(t.Context())
	require.NoError(t, err)
	if name != "" {
		t.Errorf("Account = %q, want \"\" before a sign-in", name)
	}
	if n := f.count("device_code") + f.count("devicecode"); n != 0 {
		t.Errorf("Token started a sign-in: %d device-code requests", n)
	}
}

func TestUserCacheFile(t *testing.T) {
	f := newFakeEntra(t)
	dir := filepath.Join(t.TempDir(), "state", "msal")
	path := filepath.Join(dir, "tokens.json")
	synctest.Test(t, func(t *testing.T) {
		login(t, f, WithCacheFile(path))

		fi, err := os.Stat(path)
		require.NoError(t, err)
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("cache file mode = %v, want 0600", got)
		}
		di, err := os.Stat(dir)
		require.NoError(t, err)
		if got := di.Mode().Perm(); got != 0o700 {
			t.Errorf("created directory mode = %v, want 0700", got)
		}

		// A new User (a restart) finds the account and the token in the file.
		u2, err := NewDeviceCode(testClientID, f.opts(WithCacheFile(path))...)
		require.NoError(t, err)
		name, err := u2.Account(t.Context())
		require.NoError(t, err)
		if name != testUser {
			t.Errorf("Account after restart = %q, want %q", name, testUser)
		}
		tok, err := u2.Token(t.Context())
		require.NoError(t, err)
		if tok != "LEAK-user-token-1" {
			t.Errorf("Token after restart = %q, want the cached LEAK-user-token-1", tok)
		}
		if got := f.count("refresh_token"); got != 0 {
			t.Errorf("refresh_token grants = %d, want 0", got)
		}
		// And refreshes with the refresh token from the file.
		time.Sleep(2 * time.Hour)
		tok, err = u2.Token(t.Context())
		require.NoError(t, err)
		if tok != "LEAK-user-token-2" {
			t.Errorf("Token after expiry = %q, want LEAK-user-token-2", tok)
		}
	})
}

func TestUserLogout(t *testing.T) {
	f := newFakeEntra(t)
	path := filepath.Join(t.TempDir(), "tokens.json")
	synctest.Test(t, func(t *testing.T) {
		u := login(t, f, WithCacheFile(path))
		require.NoError(t, u.Logout(t.Context()))

		_, err := u.Token(t.Context())
		requireAuthError(t, err, powerbi.AuthReloginNeeded, "")
		u2, err := NewDeviceCode(testClientID, f.opts(WithCacheFile(path))...)
		require.NoError(t, err)
		name, err := u2.Account(t.Context())
		require.NoError(t, err)
		if name != "" {
			t.Errorf("Account after Logout = %q, want \"\"", name)
		}
	})
}

// A sign-out by another process sharing the file shows at the next refresh.
func TestUserLoggedOutElsewhere(t *testing.T) {
	f := newFakeEntra(t)
	path := filepath.Join(t.TempDir(), "tokens.json")
	synctest.Test(t, func(t *testing.T) {
		u := login(t, f, WithCacheFile(path))
		other, err := NewDeviceCode(testClientID, f.opts(WithCacheFile(path))...)
		require.NoError(t, err)
		require.NoError(t, other.Logout(t.Context()))

		time.Sleep(2 * time.Hour)
		_, err = u.Token(t.Context())
		requireAuthError(t, err, powerbi.AuthReloginNeeded, "")
	})
}

func TestUserLoginKeepsOneAccount(t *testing.T) {
	f := newFakeEntra(t)
	path := filepath.Join(t.TempDir(), "tokens.json")
	synctest.Test(t, func(t *testing.T) {
		login(t, f, WithCacheFile(path))
		f.set(func(f *fakeEntra) { f.username, f.uid = "other@contoso.example", "uid-2" })
		login(t, f, WithCacheFile(path))

		u, err := NewDeviceCode(testClientID, f.opts(WithCacheFile(path))...)
		require.NoError(t, err)
		name, err := u.Account(t.Context())
		require.NoError(t, err)
		if name != "other@contoso.example" {
			t.Errorf("Account = %q, want the last sign-in other@contoso.example", name)
		}
		all, err := u.client.Accounts(t.Context())
		require.NoError(t, err)
		if len(all) != 1 {
			t.Errorf("cache holds %d accounts, want 1", len(all))
		}
	})
}

func TestUserCorruptCacheFile(t *testing.T) {
	f := newFakeEntra(t)
	path := filepath.Join(t.TempDir(), "tokens.json")
	garbage := []byte(`{"AccessToken": {"x": LEAK-truncated`)
	require.NoError(t, os.WriteFile(path, garbage, 0o600))
	synctest.Test(t, func(t *testing.T) {
		var rec promptRecorder
		u, err := NewDeviceCode(testClientID, f.opts(WithCacheFile(path), WithPrompt(rec.prompt))...)
		require.NoError(t, err)

		// Reported, not dropped: Token says so and leaves the file alone.
		_, err = u.Token(t.Context())
		requireAuthError(t, err, powerbi.AuthReloginNeeded, "")
		if !errors.Is(err, ErrCacheCorrupt) {
			t.Errorf("Token error %v does not match ErrCacheCorrupt", err)
		}
		_, err = u.Account(t.Context())
		if !errors.Is(err, ErrCacheCorrupt) {
			t.Errorf("Account error %v does not match ErrCacheCorrupt", err)
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		if diff := cmp.Diff(garbage, got); diff != "" {
			t.Errorf("Token changed the corrupt file (-want +got):\n%s", diff)
		}

		// The sign-in sets it aside and starts a new cache.
		require.NoError(t, u.Login(t.Context()))
		aside, err := os.ReadFile(path + ".corrupt")
		require.NoError(t, err)
		if diff := cmp.Diff(garbage, aside); diff != "" {
			t.Errorf("set-aside file (-want +got):\n%s", diff)
		}
		u2, err := NewDeviceCode(testClientID, f.opts(WithCacheFile(path))...)
		require.NoError(t, err)
		name, err := u2.Account(t.Context())
		require.NoError(t, err)
		if name != testUser {
			t.Errorf("Account from the new cache = %q, want %q", name, testUser)
		}
	})
}

func TestUserLoginFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fakeEntra)
		kind  powerbi.AuthErrorKind
		code  string
	}{
		{"code expires unused", func(f *fakeEntra) { f.pendingPolls, f.codeExpiresIn = -1, 60 }, powerbi.AuthReloginNeeded, "AADSTS70020"},
		{"user declines", func(f *fakeEntra) {
			f.fail["device_code"] = entraErr{400, `{"error":"authorization_declined","error_description":"AADSTS70000: The user declined.","error_codes":[70000]}`}
		}, powerbi.AuthReloginNeeded, "AADSTS70000"},
		{"code expired reply", func(f *fakeEntra) {
			f.fail["device_code"] = entraErr{400, `{"error":"expired_token","error_description":"AADSTS70020: The provided value for the input parameter 'device_code' is not valid. This device code has expired.","error_codes":[70020]}`}
		}, powerbi.AuthReloginNeeded, "AADSTS70020"},
		{"public client flows off", func(f *fakeEntra) {
			f.fail["device_code"] = aadsts(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		}, powerbi.AuthConfiguration, "AADSTS7000218"},
		{"unknown client", func(f *fakeEntra) {
			f.fail["devicecode"] = aadsts(400, "unauthorized_client", 700016, "Application with identifier 'x' was not found in the directory 'contoso'.")
		}, powerbi.AuthConfiguration, "AADSTS700016"},
		{"wrong cloud", func(f *fakeEntra) {
			f.fail["discovery"] = aadsts(400, "invalid_tenant", 90002, "Tenant 'contoso' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
		}, powerbi.AuthConfiguration, "AADSTS90002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEntra(t)
			f.set(tt.setup)
			synctest.Test(t, func(t *testing.T) {
				var rec promptRecorder
				u, err := NewDeviceCode(testClientID, f.opts(WithPrompt(rec.prompt))...)
				require.NoError(t, err)
				err = u.Login(t.Context())
				requireAuthError(t, err, tt.kind, tt.code)
			})
		})
	}
}

func TestUserLoginPrompt(t *testing.T) {
	f := newFakeEntra(t)
	t.Run("missing", func(t *testing.T) {
		u, err := NewDeviceCode(testClientID, f.opts()...)
		require.NoError(t, err)
		requireAuthError(t, u.Login(t.Context()), powerbi.AuthConfiguration, "")
	})
	t.Run("fails", func(t *testing.T) {
		errShow := errors.New("no display")
		u, err := NewDeviceCode(testClientID, f.opts(WithPrompt(func(context.Context, Prompt) error { return errShow }))...)
		require.NoError(t, err)
		if err := u.Login(t.Context()); !errors.Is(err, errShow) {
			t.Errorf("Login = %v, want the prompt's error", err)
		}
		if n := f.count("device_code"); n != 0 {
			t.Errorf("polled %d times after the prompt failed, want 0", n)
		}
	})
}

func TestNewDeviceCodeConfiguration(t *testing.T) {
	tests := []struct {
		name     string
		clientID string
		opts     []Option
	}{
		{"empty client id", "", nil},
		{"unknown cloud", testClientID, []Option{WithCloud("mars")}},
		{"http authority", testClientID, []Option{WithAuthority("http://login.example/tenant")}},
		{"authority without tenant", testClientID, []Option{WithAuthority("https://login.example")}},
		{"bad tenant", testClientID, []Option{WithTenant("a/b")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewDeviceCode(tt.clientID, tt.opts...)
			requireAuthError(t, err, powerbi.AuthConfiguration, "")
		})
	}
}

func TestNewDeviceCodeCloud(t *testing.T) {
	for _, c := range powerbi.Clouds() {
		t.Run(c.String(), func(t *testing.T) {
			u, err := NewDeviceCode(testClientID, WithCloud(c))
			require.NoError(t, err)
			if diff := cmp.Diff([]string{c.LoginHost(), c.Scope()}, []string{u.env, u.scopes[0]}); diff != "" {
				t.Errorf("login host and scope (-want +got):\n%s", diff)
			}
		})
	}
}

// Token is called before every API request: while the token is good it
// must not touch MSAL or the cache file.
func BenchmarkUserTokenGood(b *testing.B) {
	u, err := NewDeviceCode(testClientID, WithCacheFile(filepath.Join(b.TempDir(), "tokens.json")))
	require.NoError(b, err)
	u.memo.Store(newMemo("token", time.Now().Add(24*time.Hour), time.Time{}))
	ctx := b.Context()
	for b.Loop() {
		if _, err := u.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
