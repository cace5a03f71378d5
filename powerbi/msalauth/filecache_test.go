package msalauth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// memCache is a stand-in for MSAL's in-memory cache.
type memCache struct {
	data []byte
	err  error // returned by Unmarshal
}

func (m *memCache) Marshal() ([]byte, error) { return m.data, nil }

func (m *memCache) Unmarshal(b []byte) error {
	if m.err != nil {
		return m.err
	}
	m.data = append([]byte(nil), b...)
	return nil
}

func newTestFileCache(t *testing.T, path string) (*fileCache, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	c, err := newFileCache(path, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	return c, &logs
}

func TestFileCacheRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "cache.json")
	c, _ := newTestFileCache(t, path)

	var got memCache
	require.NoError(t, c.Replace(t.Context(), &got, cache.ReplaceHints{}))
	if diff := cmp.Diff("{}", string(got.data)); diff != "" {
		t.Errorf("missing file loads as (-want +got):\n%s", diff)
	}

	require.NoError(t, c.Export(t.Context(), &memCache{data: []byte(`{"AccessToken":{}}`)}, cache.ExportHints{}))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, want 0600", fi.Mode().Perm())
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		di, err := os.Stat(d)
		require.NoError(t, err)
		if di.Mode().Perm() != 0o700 {
			t.Errorf("created directory %s mode = %v, want 0700", d, di.Mode().Perm())
		}
	}
	require.NoError(t, c.Replace(t.Context(), &got, cache.ReplaceHints{}))
	if diff := cmp.Diff(`{"AccessToken":{}}`, string(got.data)); diff != "" {
		t.Errorf("reloaded (-want +got):\n%s", diff)
	}

	// An emptied file (truncated by hand) is an empty cache, not a corrupt one.
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	require.NoError(t, c.Replace(t.Context(), &got, cache.ReplaceHints{}))
	if diff := cmp.Diff("{}", string(got.data)); diff != "" {
		t.Errorf("empty file loads as (-want +got):\n%s", diff)
	}
}

// A failed write leaves the old file whole and no temporary file behind.
func TestFileCacheAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cache.json")
	c, _ := newTestFileCache(t, path)
	require.NoError(t, c.Export(t.Context(), &memCache{data: []byte(`{"old":true}`)}, cache.ExportHints{}))

	errDisk := errors.New("disk full")
	var tmpName string
	c.beforeRename = func(tmp *os.File) error {
		tmpName = tmp.Name()
		return errDisk
	}
	err := c.Export(t.Context(), &memCache{data: []byte(`{"new":true,"padding":"` + strings.Repeat("x", 1<<16) + `"}`)}, cache.ExportHints{})
	if !errors.Is(err, errDisk) {
		t.Fatalf("Export = %v, want the write error", err)
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	if diff := cmp.Diff(`{"old":true}`, string(got)); diff != "" {
		t.Errorf("file after a failed write (-want +got):\n%s", diff)
	}
	if filepath.Dir(tmpName) != dir {
		t.Errorf("temporary file %s is not in the cache's directory %s", tmpName, dir)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"cache.json"}, names); diff != "" {
		t.Errorf("directory after a failed write (-want +got):\n%s", diff)
	}
}

func TestFileCacheCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.json")
	require.NoError(t, os.WriteFile(path, []byte("LEAK-refresh-token garbage"), 0o600))
	c, logs := newTestFileCache(t, path)

	err := c.Replace(t.Context(), &memCache{err: errors.New("invalid character 'L' looking for LEAK")}, cache.ReplaceHints{})
	if !errors.Is(err, ErrCacheCorrupt) {
		t.Fatalf("Replace = %v, want ErrCacheCorrupt", err)
	}
	if strings.Contains(err.Error(), leakMarker) {
		t.Errorf("error quotes the file: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("corrupt file was removed: %v", err)
	}

	// Healing (service principals): set aside, logged, empty cache.
	c.heal = true
	var got memCache
	fail := &memCache{err: errors.New("bad")}
	require.NoError(t, c.Replace(t.Context(), &healOnce{bad: fail, good: &got}, cache.ReplaceHints{}))
	if diff := cmp.Diff("{}", string(got.data)); diff != "" {
		t.Errorf("healed cache (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(path + ".corrupt"); err != nil {
		t.Errorf("not set aside: %v", err)
	}
	if !strings.Contains(logs.String(), "set aside") {
		t.Errorf("healing not logged: %q", logs.String())
	}
}

// healOnce fails the first Unmarshal (the corrupt file) and passes the
// second (the empty cache) to good.
type healOnce struct {
	bad, good *memCache
	calls     int
}

func (h *healOnce) Unmarshal(b []byte) error {
	h.calls++
	if h.calls == 1 {
		return h.bad.Unmarshal(b)
	}
	return h.good.Unmarshal(b)
}

func TestFileCacheWarnsAboutMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.json")
	require.NoError(t, os.WriteFile(path, []byte("{}"), 0o600))
	require.NoError(t, os.Chmod(path, 0o644))
	c, logs := newTestFileCache(t, path)
	for range 2 {
		require.NoError(t, c.Replace(t.Context(), &memCache{}, cache.ReplaceHints{}))
	}
	if n := strings.Count(logs.String(), "other users"); n != 1 {
		t.Errorf("mode warnings = %d, want 1:\n%s", n, logs.String())
	}
	require.NoError(t, c.Export(t.Context(), &memCache{data: []byte("{}")}, cache.ExportHints{}))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after a write = %v, want 0600", fi.Mode().Perm())
	}
}

func TestFileCacheCancelled(t *testing.T) {
	c, _ := newTestFileCache(t, filepath.Join(t.TempDir(), "cache.json"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := c.Replace(ctx, &memCache{}, cache.ReplaceHints{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Replace = %v, want context.Canceled", err)
	}
	if err := c.Export(ctx, &memCache{}, cache.ExportHints{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Export = %v, want context.Canceled", err)
	}
}
