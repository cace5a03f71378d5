package msalauth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/powerbi"
)

// selfSignedPEM returns a certificate and its RSA key, PEM encoded in one
// file as NewClientCertificate wants it, and the public key.
func selfSignedPEM(t *testing.T) ([]byte, *rsa.PublicKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "starinsight test"},
		NotBefore:    time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})...)
	return out, &key.PublicKey
}

func TestAppClientSecret(t *testing.T) {
	f := newFakeEntra(t)
	synctest.Test(t, func(t *testing.T) {
		app, err := NewClientSecret(testTenant, testClientID, testSecret, f.opts()...)
		require.NoError(t, err)
		tok, err := app.Token(t.Context())
		require.NoError(t, err)
		if tok != "LEAK-app-token-1" {
			t.Errorf("Token = %q, want LEAK-app-token-1", tok)
		}
		app.memo.Store(nil) // MSAL's cache answers, not the memo
		tok, err = app.Token(t.Context())
		require.NoError(t, err)
		if tok != "LEAK-app-token-1" || f.count("client_credentials") != 1 {
			t.Errorf("second Token = %q after %d requests, want the cached token after 1", tok, f.count("client_credentials"))
		}
		time.Sleep(time.Hour)
		tok, err = app.Token(t.Context())
		require.NoError(t, err)
		if tok != "LEAK-app-token-2" {
			t.Errorf("Token after expiry = %q, want LEAK-app-token-2", tok)
		}
	})
}

func TestAppClientCertificate(t *testing.T) {
	f := newFakeEntra(t)
	pemData, pub := selfSignedPEM(t)
	f.set(func(f *fakeEntra) { f.certKey = pub })
	synctest.Test(t, func(t *testing.T) {
		app, err := NewClientCertificate(testTenant, testClientID, pemData, "", f.opts()...)
		require.NoError(t, err)
		tok, err := app.Token(t.Context())
		require.NoError(t, err)
		if tok != "LEAK-app-token-1" {
			t.Errorf("Token = %q, want LEAK-app-token-1", tok)
		}
	})

	t.Run("unregistered certificate", func(t *testing.T) {
		other, _ := selfSignedPEM(t)
		f.set(func(f *fakeEntra) {
			f.fail["client_credentials"] = aadsts(401, "invalid_client", 700027, "Client assertion failed signature validation.")
		})
		app, err := NewClientCertificate(testTenant, testClientID, other, "", f.opts()...)
		require.NoError(t, err)
		_, err = app.Token(t.Context())
		requireAuthError(t, err, powerbi.AuthConfiguration, "AADSTS700027")
	})
}

func TestNewClientCertificateRefusals(t *testing.T) {
	good, _ := selfSignedPEM(t)
	encrypted := []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n")
	tests := []struct {
		name     string
		pem      []byte
		password string
	}{
		{"garbage", []byte("not a pem file"), ""},
		{"certificate only", good[:len(good)/2], ""},
		{"password", good, "hunter2"},
		{"encrypted key", encrypted, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewClientCertificate(testTenant, testClientID, tt.pem, tt.password)
			requireAuthError(t, err, powerbi.AuthConfiguration, "")
		})
	}
}

func TestAppRefusesNonSpecificTenant(t *testing.T) {
	tests := []struct {
		name   string
		tenant string
		opts   []Option
	}{
		{"empty", "", nil},
		{"blank", "  ", nil},
		{"common", "common", nil},
		{"organizations", "organizations", nil},
		{"organizations capitalised", "Organizations", nil},
		{"consumers", "consumers", nil},
		{"path", "contoso/../common", nil},
		{"authority common", testTenant, []Option{WithAuthority("https://login.microsoftonline.com/common")}},
	}
	pemData, _ := selfSignedPEM(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewClientSecret(tt.tenant, testClientID, testSecret, tt.opts...)
			requireAuthError(t, err, powerbi.AuthConfiguration, "")
			_, err = NewClientCertificate(tt.tenant, testClientID, pemData, "", tt.opts...)
			requireAuthError(t, err, powerbi.AuthConfiguration, "")
		})
	}
}

func TestNewClientSecretConfiguration(t *testing.T) {
	tests := []struct {
		name             string
		clientID, secret string
		opts             []Option
	}{
		{"empty secret", testClientID, "", nil},
		{"empty client id", "", testSecret, nil},
		{"unknown cloud", testClientID, testSecret, []Option{WithCloud("atlantis")}},
		{"bad authority", testClientID, testSecret, []Option{WithAuthority("ftp://x/y")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewClientSecret(testTenant, tt.clientID, tt.secret, tt.opts...)
			requireAuthError(t, err, powerbi.AuthConfiguration, "")
		})
	}
}

func TestAppCacheFile(t *testing.T) {
	f := newFakeEntra(t)
	path := filepath.Join(t.TempDir(), "app-tokens.json")
	synctest.Test(t, func(t *testing.T) {
		app, err := NewClientSecret(testTenant, testClientID, testSecret, f.opts(WithCacheFile(path))...)
		require.NoError(t, err)
		_, err = app.Token(t.Context())
		require.NoError(t, err)

		restarted, err := NewClientSecret(testTenant, testClientID, testSecret, f.opts(WithCacheFile(path))...)
		require.NoError(t, err)
		tok, err := restarted.Token(t.Context())
		require.NoError(t, err)
		if tok != "LEAK-app-token-1" || f.count("client_credentials") != 1 {
			t.Errorf("Token after restart = %q after %d requests, want the cached token after 1", tok, f.count("client_credentials"))
		}
	})
}

// A service principal replaces a corrupt cache by itself: it needs no user.
func TestAppCorruptCacheFile(t *testing.T) {
	f := newFakeEntra(t)
	path := filepath.Join(t.TempDir(), "app-tokens.json")
	require.NoError(t, os.WriteFile(path, []byte("\x00\x01 not json"), 0o600))
	synctest.Test(t, func(t *testing.T) {
		app, err := NewClientSecret(testTenant, testClientID, testSecret, f.opts(WithCacheFile(path))...)
		require.NoError(t, err)
		tok, err := app.Token(t.Context())
		require.NoError(t, err)
		if tok != "LEAK-app-token-1" {
			t.Errorf("Token = %q, want LEAK-app-token-1", tok)
		}
		if _, err := os.Stat(path + ".corrupt"); err != nil {
			t.Errorf("corrupt file not set aside: %v", err)
		}
	})
}

func TestNewClientSecretCloud(t *testing.T) {
	for _, c := range powerbi.Clouds() {
		t.Run(c.String(), func(t *testing.T) {
			app, err := NewClientSecret(testTenant, testClientID, testSecret, WithCloud(c))
			require.NoError(t, err)
			if got, want := app.scopes[0], c.Scope(); got != want {
				t.Errorf("scope = %q, want %q", got, want)
			}
		})
	}
}
