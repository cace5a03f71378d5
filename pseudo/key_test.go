package pseudo

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// testSecret derives a fixed 32-byte secret from a label: random-looking,
// so NewKey accepts it, and the same on every run.
func testSecret(label string) []byte {
	s := sha256.Sum256([]byte("starinsight pseudo test secret: " + label))
	return s[:]
}

func testKey(t testing.TB, id, label string) Key {
	t.Helper()
	k, err := NewKey(id, testSecret(label))
	require.NoError(t, err)
	return k
}

func TestNewKeyAccepts(t *testing.T) {
	long := append(testSecret("a"), testSecret("b")...)
	tests := []struct {
		name   string
		secret []byte
	}{
		{"sha-256 output", testSecret("x")},
		{"64 bytes", long},
		// Ten distinct byte values is the least the check accepts.
		{"ten distinct bytes", []byte("\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89" + "\x89\x88\x87\x86\x85\x84\x83\x82\x81\x80" + "\x81\x83\x85\x87\x89\x82\x84\x86\x88\x80" + "\x80\x82")},
		// A pattern that repeats for less than half of the secret is not
		// "a repeated pattern".
		{"period 17 of 33", append(bytes.Clone(testSecret("p")[:17]), testSecret("p")[:16]...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := NewKey("k1", tc.secret)
			require.NoError(t, err)
			require.Equal(t, "k1", k.ID())
			require.False(t, k.IsZero())
		})
	}
}

func TestNewKeyRefuses(t *testing.T) {
	counting := make([]byte, 32)
	step7 := make([]byte, 40)
	down := make([]byte, 32)
	for i := range counting {
		counting[i] = byte(i)
		down[i] = byte(255 - i)
	}
	for i := range step7 {
		step7[i] = byte(i * 7) // wraps around 256: still a counting sequence
	}
	r := testSecret("pattern")
	nine := []byte("012345678" + "876543210" + "135724680" + "02468")

	tests := []struct {
		name   string
		secret []byte
		want   error
		msg    []string
	}{
		{"nil", nil, ErrNoKey, []string{"empty", "GenerateKey"}},
		{"empty", []byte{}, ErrNoKey, []string{"empty"}},
		{"one byte", []byte{7}, ErrShortKey, []string{"has 1 bytes", "at least 32"}},
		{"31 bytes", testSecret("x")[:31], ErrShortKey, []string{"has 31 bytes", "at least 32"}},
		{"all the same byte", bytes.Repeat([]byte{'a'}, 32), ErrWeakKey, []string{"1 distinct"}},
		{"all zero", make([]byte, 64), ErrWeakKey, []string{"distinct"}},
		{"repeated 16-byte pattern", bytes.Repeat(r[:16], 2), ErrWeakKey, []string{"16-byte pattern"}},
		{"repeated 11-byte pattern", bytes.Repeat(r[:11], 4), ErrWeakKey, []string{"11-byte pattern"}},
		{"repeated pattern cut short", append(bytes.Repeat(r[:12], 3), r[:5]...), ErrWeakKey, []string{"12-byte pattern"}},
		{"pasted twice", bytes.Repeat([]byte("correct horse battery staple!"), 2), ErrWeakKey, []string{"pattern"}},
		{"counting sequence", counting, ErrWeakKey, []string{"counting"}},
		// The reviewer's near misses of the pattern checks: typed text.
		{"password", []byte("Summer2026!Summer2026!Winter2027"), ErrWeakKey, []string{"typed text"}},
		{"alphabet", []byte("abcdefghijklmnopqrstuvwxyz012345"), ErrWeakKey, []string{"typed text"}},
		{"hex text as bytes", []byte(hex.EncodeToString(testSecret("h"))), ErrWeakKey, []string{"typed text", "ParseKey"}},
		{"counting in steps", step7, ErrWeakKey, []string{"counting"}},
		{"counting down", down, ErrWeakKey, []string{"counting"}},
		{"alphabet", []byte("abcdefghijklmnopqrstuvwxyz{|}~\x7f\x80"), ErrWeakKey, []string{"counting"}},
		{"nine distinct bytes", nine, ErrWeakKey, []string{"9 distinct"}},
		{"hex text of few digits", []byte("1212121233334444121212123333444412"), ErrWeakKey, []string{"distinct"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := NewKey("k1", tc.secret)
			require.ErrorIs(t, err, tc.want)
			for _, m := range tc.msg {
				require.ErrorContains(t, err, m)
			}
			require.ErrorContains(t, err, `"k1"`, "the error names the key")
			require.True(t, k.IsZero())
			for _, other := range []error{ErrNoKey, ErrShortKey, ErrWeakKey, ErrKeyID, ErrKeyText} {
				if other != tc.want {
					require.False(t, errors.Is(err, other), "not also %v", other)
				}
			}
		})
	}
}

func TestKeyID(t *testing.T) {
	for _, id := range []string{"k1", "2026a", "a", "12345678", "abcdefgh"} {
		k, err := NewKey(id, testSecret("x"))
		require.NoError(t, err, id)
		require.Equal(t, id, k.ID())
		g, err := GenerateKey(id)
		require.NoError(t, err, id)
		require.Equal(t, id, g.ID())
	}
	for _, id := range []string{"", "K1", "k-1", "k_1", "k 1", "123456789", "schlüssel", "k1\n"} {
		t.Run(fmt.Sprintf("%q", id), func(t *testing.T) {
			_, err := NewKey(id, testSecret("x"))
			require.ErrorIs(t, err, ErrKeyID)
			_, err = GenerateKey(id)
			require.ErrorIs(t, err, ErrKeyID)
			_, err = ParseKey(id + ":" + hex.EncodeToString(testSecret("x")))
			require.ErrorIs(t, err, ErrKeyID)
		})
	}
	t.Run("the id is checked before the secret", func(t *testing.T) {
		_, err := NewKey("K1", nil)
		require.ErrorIs(t, err, ErrKeyID)
	})
}

func TestGenerateKey(t *testing.T) {
	a, err := GenerateKey("k1")
	require.NoError(t, err)
	b, err := GenerateKey("k1")
	require.NoError(t, err)
	require.NotEqual(t, a.Export(), b.Export(), "two generated keys differ")

	id, enc, ok := strings.Cut(a.Export(), ":")
	require.True(t, ok)
	require.Equal(t, "k1", id)
	secret, err := base64.RawURLEncoding.DecodeString(enc)
	require.NoError(t, err)
	require.Len(t, secret, MinSecretLen)

	// A generated key passes NewKey's checks.
	_, err = NewKey("k1", secret)
	require.NoError(t, err)
}

func TestZeroKey(t *testing.T) {
	var k Key
	require.True(t, k.IsZero())
	require.Equal(t, "", k.ID())
	require.Equal(t, "pseudo.Key()", k.String())
}

// TestParseKeyForms reads one secret in every form ParseKey accepts.
func TestParseKeyForms(t *testing.T) {
	secret := testSecret("base64 forms")
	std, url := base64.StdEncoding.EncodeToString(secret), base64.URLEncoding.EncodeToString(secret)
	require.NotEqual(t, std, url, "precondition: the secret uses the characters the alphabets differ in")
	require.True(t, strings.HasSuffix(std, "="), "precondition: padded base64 has padding")
	want, err := NewKey("k1", secret)
	require.NoError(t, err)

	forms := map[string]string{
		"hex":                       hex.EncodeToString(secret),
		"upper-case hex":            strings.ToUpper(hex.EncodeToString(secret)),
		"base64":                    std,
		"unpadded base64":           base64.RawStdEncoding.EncodeToString(secret),
		"base64url":                 url,
		"unpadded base64url":        base64.RawURLEncoding.EncodeToString(secret),
		"surrounded by white space": " \t" + hex.EncodeToString(secret) + "\n",
	}
	for name, enc := range forms {
		t.Run(name, func(t *testing.T) {
			text := "k1:" + enc
			if strings.HasPrefix(enc, " ") {
				text = " \tk1:" + strings.TrimSpace(enc) + "\n"
			}
			got, err := ParseKey(text)
			require.NoError(t, err)
			require.Equal(t, "k1", got.ID())
			require.Equal(t, want.Export(), got.Export())
		})
	}
	require.Equal(t, "k1:"+base64.RawURLEncoding.EncodeToString(secret), want.Export(), "Export writes unpadded base64url")
}

func TestParseKeyErrors(t *testing.T) {
	good := base64.RawURLEncoding.EncodeToString(testSecret("x"))
	tests := []struct {
		name string
		text string
		want error
	}{
		{"empty", "", ErrKeyText},
		{"no colon", "k1", ErrKeyText},
		{"secret only", good, ErrKeyText},
		{"empty secret", "k1:", ErrKeyText},
		{"not base64 nor hex", "k1:" + good[:20] + "!" + good[21:], ErrKeyText},
		{"empty id", ":" + good, ErrKeyID},
		{"upper-case id", "K1:" + good, ErrKeyID},
		{"short", "k1:" + hex.EncodeToString(testSecret("x")[:31]), ErrShortKey},
		{"weak", "k1:" + strings.Repeat("ab", 32), ErrWeakKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseKey(tc.text)
			require.ErrorIs(t, err, tc.want)
			require.True(t, k.IsZero())
		})
	}
}

// TestExportParseKeyRoundTrip: Export is what a customer stores; reading
// it back must give the same key, or every pseudonym changes.
func TestExportParseKeyRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{'r', 'o', 'u', 'n', 'd'}))
	for i := range 200 {
		secret := make([]byte, 32+rng.IntN(49))
		for j := range secret {
			secret[j] = byte(rng.Uint32())
		}
		k, err := NewKey("k"+fmt.Sprint(i%10), secret)
		require.NoError(t, err)
		got, err := ParseKey(k.Export())
		require.NoError(t, err, "key %d: %d bytes", i, len(secret))
		require.Equal(t, k.ID(), got.ID())
		require.Equal(t, k.Export(), got.Export())
	}
	// The same key makes the same pseudonyms.
	k, err := NewKey("k1", testSecret("same"))
	require.NoError(t, err)
	got, err := ParseKey(k.Export())
	require.NoError(t, err)
	p1, err := New(WithKey(k))
	require.NoError(t, err)
	p2, err := New(WithKey(got))
	require.NoError(t, err)
	for _, f := range Fields() {
		require.Equal(t, p1.Conceal(f, "Anna Agent 0711 12345"), p2.Conceal(f, "Anna Agent 0711 12345"))
	}

	t.Run("export that looks like hex", func(t *testing.T) {
		// 33 bytes export as 44 base64 characters; when all of them happen
		// to be hex digits, ParseKey reads the text as hex: 22 bytes.
		text := hex.EncodeToString(testSecret("ambiguous"))[:44]
		secret, err := base64.RawURLEncoding.DecodeString(text)
		require.NoError(t, err)
		k, err := NewKey("k1", secret)
		require.NoError(t, err, "a valid key")
		require.Equal(t, 33, len(secret))
		require.False(t, k.IsZero())
		require.True(t, isHex(text), "precondition: its base64 is all hex digits")
		got, err := ParseKey(k.Export())
		require.NoError(t, err)
		require.Equal(t, k.Export(), got.Export())
	})
}

// distinctiveSecret is a valid secret that is easy to find in any output.
// The last byte is not printable: NewKey refuses typed text.
var distinctiveSecret = []byte("zqxSECRETwv-0123456789-ABCDEFGHIJKLMNOP\xff")

// secretForms are the ways the secret could show up in text.
func secretForms(secret []byte) []string {
	return []string{
		string(secret[:12]),
		hex.EncodeToString(secret)[:16],
		strings.ToUpper(hex.EncodeToString(secret))[:16],
		base64.StdEncoding.EncodeToString(secret)[:16],
		base64.RawURLEncoding.EncodeToString(secret)[:16],
		fmt.Sprint(secret[:8])[1:20], // "[122 113 120 …"
		fmt.Sprintf("%#v", secret[:4])[7:20],
	}
}

func requireNoSecret(t *testing.T, what, out string, secret []byte) {
	t.Helper()
	for _, s := range secretForms(secret) {
		if strings.Contains(out, s) {
			t.Errorf("%s shows the secret (%q): %s", what, s, out)
		}
	}
}

func TestKeyNeverShowsTheSecret(t *testing.T) {
	k, err := NewKey("k1", distinctiveSecret)
	require.NoError(t, err)
	p, err := New(WithKey(k))
	require.NoError(t, err)
	require.Contains(t, k.Export(), secretForms(distinctiveSecret)[4], "precondition: the check finds the exported secret")

	t.Run("fmt", func(t *testing.T) {
		type config struct {
			Name string
			Key  Key
			Ptr  *Key
		}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X"} {
			for _, arg := range []any{k, &k, config{"c", k, &k}, []Key{k}, map[string]Key{"k": k}} {
				out := fmt.Sprintf(verb, arg)
				requireNoSecret(t, fmt.Sprintf("Sprintf(%q, %T)", verb, arg), out, distinctiveSecret)
			}
		}
		require.Equal(t, "pseudo.Key(k1)", fmt.Sprint(k))
		require.Equal(t, "pseudo.Key(k1)", fmt.Sprintf("%#v", k))
	})
	t.Run("slog", func(t *testing.T) {
		var buf bytes.Buffer
		for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
			log := slog.New(h)
			log.Info("key", "key", k, "ptr", &k)
			log.Info("group", slog.Group("g", slog.Any("key", k)))
			log.With("key", k).Warn("with")
			log.Info("struct", "config", struct{ Key Key }{k})
		}
		require.Contains(t, buf.String(), "pseudo.Key(k1)")
		requireNoSecret(t, "slog output", buf.String(), distinctiveSecret)
	})
	t.Run("errors", func(t *testing.T) {
		// Every error a secret can reach, with the secret in it.
		enc := base64.RawURLEncoding.EncodeToString(distinctiveSecret)
		var errs []error
		_, err := NewKey("k1", distinctiveSecret[:20])
		errs = append(errs, err)
		_, err = NewKey("k1", bytes.Repeat(distinctiveSecret[:16], 3))
		errs = append(errs, err)
		_, err = NewKey("K1", distinctiveSecret)
		errs = append(errs, err)
		for _, text := range []string{
			enc,                               // the id forgotten
			"k1:" + enc[:20] + "!" + enc[20:], // a typo
			"k1:" + enc[:30],                  // cut short
			"K1:" + enc,                       // a bad id
			"k1:" + hex.EncodeToString(bytes.Repeat(distinctiveSecret[:16], 3)),
		} {
			_, err := ParseKey(text)
			errs = append(errs, err)
		}
		_, err = New(WithKey(k), WithTagLength(1), WithPolicy(DefaultPolicy().With(Mask, CallID)))
		errs = append(errs, err)
		for i, err := range errs {
			require.Error(t, err, "case %d", i)
			requireNoSecret(t, fmt.Sprintf("error %d", i), err.Error(), distinctiveSecret)
		}
	})
	t.Run("parts swapped", func(t *testing.T) {
		for _, enc := range []string{hex.EncodeToString(distinctiveSecret), base64.RawURLEncoding.EncodeToString(distinctiveSecret)} {
			_, err := ParseKey(enc + ":k1")
			require.Error(t, err)
			requireNoSecret(t, "ParseKey error", err.Error(), distinctiveSecret)
		}
	})
	t.Run("inside other values", func(t *testing.T) {
		type holder struct{ key Key }
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("pseudonymiser", "p", p, "holder", holder{k})
		outs := []string{fmt.Sprintf("%v", p), fmt.Sprintf("%+v", p), fmt.Sprintf("%#v", p), fmt.Sprintf("%+v", holder{k}), buf.String()}
		for i, out := range outs {
			requireNoSecret(t, fmt.Sprintf("output %d", i), out, distinctiveSecret)
		}
	})
}
